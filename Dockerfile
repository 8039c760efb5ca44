# kharden's image for container engines: the static binary on an empty base, run as a
# non-root user, no shell. `make image` builds the binaries and bin/rootfs first, and
# writes the same image as an OCI layout without any engine (hack/release); a test
# keeps the user and entrypoint here equal to that image's.
FROM scratch
ARG TARGETARCH
COPY bin/rootfs/ /
COPY --chown=65532:65532 bin/home/ /home/nonroot/
COPY --chmod=0555 bin/linux-${TARGETARCH}/kharden /kharden
ENV HOME=/home/nonroot SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
WORKDIR /home/nonroot
USER 65532:65532
ENTRYPOINT ["/kharden"]
