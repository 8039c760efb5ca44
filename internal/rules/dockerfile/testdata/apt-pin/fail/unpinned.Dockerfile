FROM debian:12.7-slim
RUN apt-get update \
    # want DF-0004 "apt-get install does not pin the version of \"curl\", \"git\" \\(write NAME=VERSION\\)"
    && apt-get install -y --no-install-recommends ca-certificates=20230311 curl git \
    && rm -rf /var/lib/apt/lists/*
# Options that take a value (-o, -t) are not packages; the release selects no version.
# want DF-0004 "apt-get install does not pin the version of \"nginx/bookworm-backports\" \\("
RUN apt-get -o Dpkg::Options::=--force-confold -t bookworm-backports install -y nginx/bookworm-backports
RUN apt-get update && \
    # want DF-0004 "\"g\\+\\+\", \"make\", \"libc6-dev\", \"pkg-config\", \"file\" and 2 more"
    apt-get install -y --no-install-recommends g++ make libc6-dev pkg-config file patch bzip2 && \
    rm -rf /var/lib/apt/lists/*
# want DF-0004 "apt install does not pin the version of \"jq\""
RUN sudo apt install -y jq && rm -rf /var/lib/apt/lists/*
USER 10001
