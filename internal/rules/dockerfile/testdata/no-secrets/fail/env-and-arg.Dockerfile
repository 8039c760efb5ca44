# want DF-0020 "ARG NPM_TOKEN takes a secret as a build argument.*--mount=type=secret"
ARG NPM_TOKEN
FROM node:22.11-alpine3.20
# want DF-0020 "ENV DB_PASSWORD stores a secret in the image configuration"
ENV DB_PASSWORD=hunter2
# want DF-0020 "ENV apiKey and SESSION_SECRET stores"
ENV apiKey="k-123" SESSION_SECRET=s3cr3t LOG_LEVEL=info
# A build argument copied into ENV ends up in the image configuration too.
# want DF-0020 "ARG REGISTRY_TOKEN takes a secret"
ARG REGISTRY_TOKEN
# want DF-0020 "ENV NPM_CONFIG_TOKEN stores"
ENV NPM_CONFIG_TOKEN=${REGISTRY_TOKEN}
# want DF-0020 "ARG MYSQL_ROOT_PASSWORD has a literal default"
ARG MYSQL_ROOT_PASSWORD=changeme
# Words run together, and MySQL's MYSQL_PWD (not the shell's PWD).
# want DF-0020 "ENV PGPASSWORD and MYSQL_PWD stores"
ENV PGPASSWORD=postgres MYSQL_PWD=root PWD=/app
USER node
