FROM alpine:3.20
# Build dependencies installed as a virtual package and deleted in the same RUN.
RUN apk add --no-cache --virtual .build-deps gcc make musl-dev \
    && make -C /src install \
    && apk del --no-network .build-deps
RUN apk add --no-cache --virtual .build-deps g++ && apk del .build-deps
USER 10001
