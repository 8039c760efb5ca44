FROM debian:12.7-slim
# want DF-0020 "chpasswd sets a password written in the Dockerfile"
RUN echo 'root:toor' | chpasswd
RUN service mariadb start \
    # want DF-0020 "mysql -p passes a password"
    && mysql -uroot -pS3cret -e 'CREATE DATABASE app'
# want DF-0020 "docker login passes a password"
RUN docker login -u ci -p 'p4ssw0rd' registry.example.com
# want DF-0020 "curl -u passes a password"
RUN curl -fsSL -u admin:admin -o /tmp/x https://nexus.example.com/x
# want DF-0020 "htpasswd -b sets a password"
RUN htpasswd -bc /etc/nginx/.htpasswd admin secret123
# want DF-0020 "vault --token passes a secret"
RUN vault login --token=s.abcdef123456 -method=token
# want DF-0020 "openssl passwd hashes a password"
RUN useradd -m -p "$(openssl passwd -6 letmein)" app
# want DF-0020 "docker login reads a password written in the Dockerfile"
RUN echo "hunter2" | docker login --username ci --password-stdin registry.example.com
USER 10001
