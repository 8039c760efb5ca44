FROM alpine:3.20 AS tools
# Ports of a builder stage do not count.
EXPOSE 1 2 3 4 5

FROM nginx:1.27.2-alpine
COPY --from=tools /etc/hostname /tmp/hostname
# The same port twice, and TCP and UDP of one port, are still few ports.
EXPOSE 80 443 443/udp
EXPOSE 80
USER nginx
