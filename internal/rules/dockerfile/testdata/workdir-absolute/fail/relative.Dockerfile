FROM alpine:3.20
WORKDIR /srv
# want DF-0012 "WORKDIR \"app\" is a relative path"
WORKDIR app
# want DF-0012 "\"~/data\""
WORKDIR ~/data
USER 10001
