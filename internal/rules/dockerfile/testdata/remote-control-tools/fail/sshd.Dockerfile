FROM ubuntu:24.04
RUN apt-get update \
    # want DF-0033 "\"apt-get install\" installs the remote access server openssh-server into the running image"
    && apt-get install -y --no-install-recommends openssh-server \
    && rm -rf /var/lib/apt/lists/*
# want DF-0033 "\"apt-get install\" installs the remote access server x11vnc"
RUN apt-get update && apt-get install -y --no-install-recommends x11vnc && rm -rf /var/lib/apt/lists/*
# want DF-0033 "CMD starts the remote access server sshd"
CMD ["/usr/sbin/sshd", "-D"]
