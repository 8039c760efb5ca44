FROM registry.access.redhat.com/ubi9/ubi-minimal:9.4
# want DF-0023 "\"microdnf install\" installs nmap-ncat"
RUN microdnf install -y nmap-ncat-7.92-1.el9.x86_64 tar && microdnf clean all
USER 1001
