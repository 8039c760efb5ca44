FROM opensuse/leap:15.6
# want DF-0008 "zypper install does not pin the version of \"curl\", \"git-core>=2.40\" \\(write NAME=VERSION\\)"
RUN zypper --non-interactive install --no-recommends curl 'git-core>=2.40' 'nginx=1.21.5' && zypper clean --all
# want DF-0008 "zypper in does not pin the version of \"tar\""
RUN zypper -n in -r repo-oss tar && zypper clean
USER 10001
