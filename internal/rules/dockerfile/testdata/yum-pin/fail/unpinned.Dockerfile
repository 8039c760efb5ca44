FROM registry.access.redhat.com/ubi9/ubi:9.4
# A dash followed by a word is part of the name, not a version.
# want DF-0007 "yum install does not pin the version of \"java-17-openjdk-headless\", \"python3-pip\" \\(write NAME-VERSION\\)"
RUN yum install -y java-17-openjdk-headless python3-pip nginx-1.20.1 && yum clean all
# want DF-0007 "dnf install does not pin the version of \"git\""
RUN dnf -y --setopt=install_weak_deps=False --enablerepo crb install git glibc.i686-2.34-100.el9 && dnf clean all
# want DF-0007 "microdnf install does not pin the version of \"shadow-utils\""
RUN microdnf install -y --nodocs shadow-utils && microdnf clean all
USER 10001
