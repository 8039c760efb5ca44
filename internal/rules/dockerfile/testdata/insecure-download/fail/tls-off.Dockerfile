FROM debian:12.7-slim
# want DF-0031 "curl -k/--insecure turns off TLS certificate checks"
RUN curl -fsSLk -o /tmp/x https://example.com/x
# want DF-0031 "wget --no-check-certificate"
RUN wget --no-check-certificate -O /tmp/y https://example.com/y
# want DF-0031 "an apt source marked \\[trusted=yes\\]"
RUN echo "deb [trusted=yes] http://repo.example.com/debian stable main" > /etc/apt/sources.list.d/x.list
# want DF-0031 "apt-get is allowed to install unauthenticated packages"
RUN apt-get update && apt-get install -y --allow-unauthenticated --no-install-recommends foo
# want DF-0031 "apt-get -o Acquire::https::Verify-Peer=false turns off"
RUN apt-get -o Acquire::https::Verify-Peer=false update
# want DF-0031 "pip --trusted-host accepts the host without valid TLS"
RUN pip install --no-cache-dir --trusted-host pypi.example.com flask==3.0.3
# want DF-0031 "npm strict-ssl false"
RUN npm config set strict-ssl false
# want DF-0031 "git -c http.sslVerify=false"
RUN git -c http.sslVerify=false clone https://git.example.com/app.git /src
# want DF-0031 "GIT_SSL_NO_VERIFY turns off git's TLS certificate checks"
RUN GIT_SSL_NO_VERIFY=1 git clone https://git.example.com/app.git /src2
# want DF-0031 "ENV NODE_TLS_REJECT_UNAUTHORIZED=0"
ENV NODE_TLS_REJECT_UNAUTHORIZED=0
# want DF-0031 "ENV GOSUMDB=off"
ENV GOSUMDB=off
USER 10001
