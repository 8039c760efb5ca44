FROM debian:12.7-slim
# want DF-0001 "RUN uses sudo"
RUN sudo -i
RUN apt-get update \
    && apt-get install -y --no-install-recommends make \
    # want DF-0001 "RUN runs \"make\" through sudo"
    && sudo make install
# want DF-0001 "RUN runs \"make\" through sudo"
RUN ["sh", "-c", "sudo make install"]
RUN su app -c 'id && \
  # want DF-0001 "through doas"
  doas -u app ./run'
RUN <<EOF
set -eu
# want DF-0001 "RUN runs \"apt-get\" through sudo"
sudo apt-get install -y --no-install-recommends curl=7.88.1-10
EOF
USER 10001
