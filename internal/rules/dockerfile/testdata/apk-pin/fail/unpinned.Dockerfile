FROM alpine:3.20
# The name given to --virtual is not a package.
# want DF-0006 "apk add does not pin the version of \"gcc\", \"musl-dev\" \\(write NAME=VERSION"
RUN apk add --no-cache --virtual .build-deps gcc musl-dev make=4.4.1-r2
# A lower bound alone lets any newer release in.
# want DF-0006 "of \"su-exec>=0.2\""
RUN apk add --no-cache 'su-exec>=0.2' tini~0.19
RUN set -eux; \
    # want DF-0006 "of \"curl\""
    apk add --no-cache -t.fetch-deps -X https://dl-cdn.alpinelinux.org/alpine/edge/community curl; \
    apk del --no-network .fetch-deps
USER 10001
