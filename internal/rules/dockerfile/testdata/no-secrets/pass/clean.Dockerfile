# syntax=docker/dockerfile:1
FROM python:3.12.7-slim-bookworm
# Names that describe a secret rather than hold one, and switches about secrets.
ENV POSTGRES_PASSWORD_FILE=/run/secrets/db_password \
    ALLOW_EMPTY_PASSWORD=yes \
    TOKEN_URL=https://auth.example.com/token \
    PASSWORD_MIN_LENGTH=12 \
    AWS_ACCESS_KEY_ID_FILE=/run/secrets/aws_id \
    GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305 \
    SECRET_NAME=app-db \
    TOKEN_LIMIT=100 \
    TOKENIZERS_PARALLELISM=false \
    GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/google/key.json \
    DB_PASSWORD=""
# Secrets mounted for one RUN only.
RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN \
    --mount=type=secret,id=pip_conf,target=/etc/pip.conf \
    pip install --no-cache-dir -r /dev/null
# Public key material and templates.
COPY known_hosts /root/.ssh/known_hosts
COPY certs/ca.pem /usr/local/share/ca-certificates/ca.crt
COPY .env.example /app/.env.example
COPY id_ed25519.pub /home/app/.ssh/authorized_keys
# Passwords from variables, files and prompts, not written here.
RUN echo "app:$(cat /run/secrets/app_password)" | chpasswd \
    && mysql -uroot -p -e 'SELECT 1' \
    && docker login -u ci --password-stdin registry.example.com < /run/secrets/registry \
    && git clone "https://oauth2:${GIT_TOKEN}@gitlab.example.com/team/app.git" /src \
    && useradd -m -p '*' svc
# The AWS documentation's example key is not a key.
RUN aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE
# Repository signing keys and CA certificates are public.
COPY nginx_signing.key /etc/apt/keyrings/nginx.key
COPY Release.key repo.key /tmp/
COPY certs/internal-ca.key.pem /usr/local/share/ca-certificates/
# Switches and secret references are not secrets.
RUN docker build --secret id=npm,src=/run/secrets/npm --secret=id=pip,src=/p . \
    && some-cli --use-token=true --password-stdin < /run/secrets/pw
COPY --from=python:3.12.7-slim-bookworm /root/.ssh/id_rsa.pub /tmp/
USER 10001
