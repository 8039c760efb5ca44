FROM alpine:3.20
ENV CURL_VERSION=8.9.1-r0
RUN apk add --no-cache \
        ca-certificates=20240705-r0 \
        curl="$CURL_VERSION" \
        tzdata~2024 \
        'bash<5.3' \
    && apk add --no-cache --virtual .build-deps $buildDeps \
    && apk add --no-cache --allow-untrusted /tmp/packages/*.apk \
    && apk del --no-network .build-deps \
    && apk add --no-cache --virtual=.rundeps $(scanelf --needed /usr/local/bin/app | awk '{print "so:" $2}')
USER 10001
