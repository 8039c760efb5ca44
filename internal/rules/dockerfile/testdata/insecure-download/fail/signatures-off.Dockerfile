FROM rockylinux:9.3
# want DF-0031 "dnf installs packages without checking their signatures"
RUN dnf install -y --nogpgcheck https://example.com/pkg.rpm
# want DF-0031 "yum --setopt=gpgcheck=0 turns off"
RUN yum --setopt=gpgcheck=0 install -y foo
RUN cat <<EOF > /etc/yum.repos.d/example.repo
[example]
baseurl=https://repo.example.com/el9
# want DF-0031 "a repository definition sets gpgcheck.0"
gpgcheck=0
EOF
# want DF-0031 "apk --allow-untrusted installs packages without checking their signatures"
RUN apk add --allow-untrusted -X https://repo.example.com/alpine foo
# want DF-0031 "a repository definition sets gpgcheck.0"
RUN sed -i 's/gpgcheck=1/gpgcheck=0/' /etc/yum.repos.d/example.repo
USER 1001
