FROM alpine:3.20 AS base
# Exposed ports are inherited by stages built FROM this one.
# want DF-0021 "EXPOSE 22 announces the SSH port"
EXPOSE 22

FROM base
ARG ADMIN_PORT=22
# want DF-0021 "EXPOSE 22/tcp announces the SSH port"
EXPOSE 8080 ${ADMIN_PORT}/tcp
# want DF-0021 "EXPOSE 20-25 includes the SSH port 22"
EXPOSE 20-25
# want DF-0021 "EXPOSE 65536: ports range from 1 to 65535"
EXPOSE 65536 8443
# want DF-0021 "EXPOSE 0: port 0"
EXPOSE 0
# want DF-0021 "EXPOSE http: not a port number"
EXPOSE http
USER 10001
