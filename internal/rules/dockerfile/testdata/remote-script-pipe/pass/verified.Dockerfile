FROM debian:12.7-slim
ENV INSTALLER_SHA256=2d2f4c0a1c2c5b1e9f8f1f9f7f6f5f4f3f2f1f0f9f8f7f6f5f4f3f2f1f0f9f8f
# Downloaded to a file, verified, then run.
RUN curl -fsSLo /tmp/install.sh https://get.example.com/install.sh \
    && echo "$INSTALLER_SHA256  /tmp/install.sh" | sha256sum -c - \
    && sh /tmp/install.sh
# Piped into an extractor, gpg or a checksum tool: not executed as a script.
RUN curl -fsSL https://example.com/tool.tar.gz | tar -xz -C /usr/local/bin \
    && curl -fsSL https://example.com/key.asc | gpg --dearmor -o /usr/share/keyrings/example.gpg \
    && curl -fsSL https://example.com/x | sha256sum
# A shell reading a script file, and a script that only mentions curl.
RUN curl -fsSLo /tmp/x.sh https://example.com/x.sh | bash /tmp/other.sh \
    && sh -c 'curl -fsSL https://example.com/health'
USER 10001
