# Stages built FROM one another are still one image: there is no builder to move the tools to.
FROM alpine:3.20 AS base
# want DF-0027 "\"apk add\" installs go"
RUN apk add --no-cache go=1.22.8-r0 git=2.45.2-r0

FROM base
RUN go build -o /usr/local/bin/app ./...
USER 10001
