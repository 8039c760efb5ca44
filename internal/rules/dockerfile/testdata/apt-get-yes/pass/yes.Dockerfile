FROM debian:12.7-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8 \
    && apt-get install --yes --no-install-recommends wget=1.21.3-1+b2 \
    && apt-get install --assume-yes --no-install-recommends make=4.3-4.1 \
    && apt-get -fmy install --no-install-recommends patch=2.7.6-7 \
    && apt-get -qq install --no-install-recommends gcc=4:12.2.0-3 \
    && apt-get -q=2 install --no-install-recommends file=1:5.44-3 \
    && apt-get -o APT::Get::Assume-Yes=true install --no-install-recommends jq=1.6-2.1 \
    && yes | apt-get install --no-install-recommends less=590-2.1 \
    && apt-get install -s --no-install-recommends vim \
    && rm -rf /var/lib/apt/lists/*

FROM debian:12.7-slim AS configured
RUN printf 'APT::Get::Assume-Yes "true";\n' > /etc/apt/apt.conf.d/90-yes
RUN apt-get update && apt-get install --no-install-recommends curl=7.88.1-10+deb12u8 && rm -rf /var/lib/apt/lists/*
USER 10001
