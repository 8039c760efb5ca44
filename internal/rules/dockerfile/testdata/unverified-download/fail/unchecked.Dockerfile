FROM debian:12.7-slim AS build
# Builder stages count too: what they fetch is built into the image.
# want DF-0032 "curl downloads kubectl and no checksum or signature check follows in this RUN"
RUN curl -fsSLO https://dl.k8s.io/release/v1.31.2/bin/linux/amd64/kubectl && install kubectl /usr/local/bin/

FROM debian:12.7-slim
COPY --from=build /usr/local/bin/kubectl /usr/local/bin/kubectl
# want DF-0032 "wget downloads app.tar.gz and no checksum"
RUN wget https://example.com/releases/app.tar.gz \
    && tar -xzf app.tar.gz -C /opt
# A check before the download does not verify it.
RUN echo "$OTHER_SHA256  other.tgz" | sha256sum -c - \
    # want DF-0032 "curl downloads /usr/local/bin/yq"
    && curl -fsSL https://github.com/mikefarah/yq/releases/download/v4.44.3/yq_linux_amd64 > /usr/local/bin/yq
# want DF-0032 "curl streams a download into tar without verifying it"
RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin
# want DF-0032 "ADD downloads https://\\*\\*\\*@example.com/app.jar without --checksum"
ADD https://user:pass@example.com/app.jar /opt/app.jar
USER 10001
