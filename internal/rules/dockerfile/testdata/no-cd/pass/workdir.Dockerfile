FROM debian:12.7-slim
WORKDIR /usr/src/app
RUN make -C /src && tar -C /opt -xzf /tmp/x.tgz
RUN dir="$(cd "$(dirname "$0")" && pwd)" && echo "$dir"
RUN echo "cd is only mentioned here"
# CMD is not a build step: cd there changes the running process's directory.
CMD cd /srv && exec ./server
USER 10001
