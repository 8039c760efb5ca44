FROM alpine:3.20
# want DF-0033 "\"apk add\" installs the remote access server openssh"
RUN apk add --no-cache openssh=9.7_p1-r4
# want DF-0033 "ENTRYPOINT starts the remote access server ssh"
ENTRYPOINT service ssh start && exec tail -f /dev/null
