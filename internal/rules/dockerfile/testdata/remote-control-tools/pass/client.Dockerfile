FROM debian:12.7-slim AS keys
# A builder stage may use an SSH server, for example to test.
RUN apt-get update && apt-get install -y --no-install-recommends openssh-server && rm -rf /var/lib/apt/lists/*

FROM debian:12.7-slim
COPY --from=keys /etc/ssh/ssh_config /etc/ssh/ssh_config
# The SSH client is not a server.
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client && rm -rf /var/lib/apt/lists/*
# Installed and removed again.
RUN apt-get update && apt-get install -y --no-install-recommends telnetd && apt-get purge -y --auto-remove telnetd
# In the RPM family, openssh is the common files; the server is openssh-server.
RUN dnf install -y openssh openssh-clients && dnf clean all
# A CMD that is overridden does not start anything.
CMD ["/usr/sbin/sshd", "-D"]
CMD ["/usr/local/bin/app"]
USER 10001
