FROM alpine:3.20
# want DF-0023 "\"apk add\" installs socat into the running image"
RUN apk add --no-cache socat=1.8.0.0-r0 \
    && apk add --no-cache --virtual .fetch-deps gnupg \
    && apk del .fetch-deps
ENV TOOLS="busybox-extras ca-certificates"
# want DF-0023 "\"apk add\" installs busybox-extras"
RUN apk add --no-cache $TOOLS
# want DF-0023 "\"apk add\" installs curl and wget into the running image and no later step removes them"
RUN apk add --no-cache curl wget
USER 10001
