FROM opensuse/leap:15.6
ARG JQ_VERSION=1.6-3.3.1
RUN zypper --non-interactive install --no-recommends \
        'nginx=1.21.5' \
        'curl<8.7' \
        "jq=${JQ_VERSION}" \
        tar-1.34 \
        pattern:devel_basis \
        ./local/tool-1.0.rpm \
    && zypper -n install -t pattern devel_C_C++ \
    && zypper -n remove vim \
    && zypper clean --all
USER 10001
