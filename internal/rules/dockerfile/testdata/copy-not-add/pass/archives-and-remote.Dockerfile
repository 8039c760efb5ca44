FROM alpine:3.20
# Extracting a local archive on purpose is what ADD is for.
ADD rootfs.tar.xz /
ADD vendor.tgz /opt/vendor/
# Remote ADD is judged by the download-integrity rule, not this one.
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tar.gz /tmp/
ADD https://github.com/acme/tool.git#v1.2.3 /src/tool
ADD ${ARTIFACT} /opt/
COPY app.jar /opt/app/app.jar
USER 10001
