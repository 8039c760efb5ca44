FROM debian:12.7-slim
# want DF-0030 "curl pipes a download into sh, which runs it unverified"
RUN curl -fsSL https://get.example.com/install.sh | sh
RUN apt-get update \
    # want DF-0030 "wget pipes a download into bash"
    && wget -qO- https://deb.example.com/setup_22.x | sudo -E bash - \
    && rm -rf /var/lib/apt/lists/*
# want DF-0030 "curl pipes a download into python3"
RUN curl -sSL https://install.python-poetry.org | python3 -
# want DF-0030 "bash runs the output of curl as a script"
RUN bash <(curl -fsSL https://sh.rustup.rs) -y
# want DF-0030 "sh runs the output of curl as a script"
RUN sh -c "$(curl -fsSL https://raw.githubusercontent.com/ohmyzsh/ohmyzsh/master/tools/install.sh)"
# want DF-0030 "eval runs the output of wget as a script"
RUN eval "$(wget -qO- https://example.com/env.sh)"
USER 10001
