FROM debian:12.7-slim
# want DF-0020 "COPY copies id_rsa, a key or credential file, into the image"
COPY id_rsa /root/.ssh/id_rsa
# want DF-0020 "COPY copies .env, a key or credential file"
COPY .env /app/.env
# want DF-0020 "ADD copies server.key"
ADD certs/server.key /etc/nginx/tls/
# want DF-0020 "COPY copies .aws/credentials"
COPY .aws/credentials /root/.aws/credentials
# want DF-0020 "COPY puts deploy_key into the .ssh directory /home/app/.ssh/"
COPY deploy_key /home/app/.ssh/
# want DF-0020 "COPY copies .env.production"
COPY ["config/.env.production", "/app/"]
USER 10001
