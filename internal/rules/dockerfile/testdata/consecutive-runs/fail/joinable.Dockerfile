FROM debian:12.7-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates
# want DF-0026 "RUN follows the RUN on line 2 with nothing between them and both only install packages"
RUN apt-get install -y --no-install-recommends tzdata
# A comment between them does not separate them.
# want DF-0026 "RUN follows the RUN on line 4 with nothing between them and the second only cleans up after earlier layers"
RUN rm -rf /var/lib/apt/lists/*
COPY app /usr/local/bin/app
RUN mkdir -p /data
# want DF-0026 "RUN follows the RUN on line 9 with nothing between them and both are short: join them into one layer"
RUN set -eux; chown 10001 /data
USER 10001
