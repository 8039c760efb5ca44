FROM debian:12.7-slim
# want DF-0013 "RUN changes directory with \"cd /usr/src/app\""
RUN cd /usr/src/app
RUN set -eux; \
    make -C /src; \
    # want DF-0013 "cd build"
    cd build && ./configure
RUN bash -c 'mkdir -p /x && \
  # want DF-0013 "cd /x"
  cd /x && make'
RUN <<EOF
# want DF-0013 "pushd"
pushd /opt
EOF
USER 10001
