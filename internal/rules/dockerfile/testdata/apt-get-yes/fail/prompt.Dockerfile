FROM debian:12.7-slim
RUN apt-get update \
    # want DF-0019 "apt-get install without -y aborts when it asks for a confirmation"
    && apt-get install --no-install-recommends curl=7.88.1-10+deb12u8 \
    && rm -rf /var/lib/apt/lists/*
# One -q is not enough: quiet level 2 implies -y.
# want DF-0019 "apt-get install without -y"
RUN apt-get update && apt-get -q install --no-install-recommends wget=1.21.3-1+b2 && rm -rf /var/lib/apt/lists/*
# want DF-0019 "apt install without -y"
RUN apt install --update --no-install-recommends make=4.3-4.1 && apt-get dist-clean
USER 10001
