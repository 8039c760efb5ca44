FROM alpine:3.20
# want DF-0020 "the line holds an AWS access key ID"
ENV AWS_ACCESS_KEY_ID=AKIAZ4XQ7RSTUVWXYZ12
RUN apk add --no-cache git=2.45.2-r0 \
    # want DF-0020 "the line holds a password in a URL"
    && git clone https://deploy:Pa55w0rd@git.example.com/team/app.git /src
# want DF-0020 "the line holds a GitHub token"
RUN git clone https://ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789@github.com/acme/app.git /src2
# want DF-0020 "COPY writes a file into the .ssh directory /root/.ssh/deploy"
COPY <<KEY /root/.ssh/deploy
# want DF-0020 "the line holds a private key"
-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
-----END OPENSSH PRIVATE KEY-----
KEY
RUN <<EOF
set -eu
# want DF-0020 "the line holds an npm registry token"
echo "//registry.npmjs.org/:_authToken=npm-abcdef0123456789" > /root/.npmrc
EOF
USER 10001
