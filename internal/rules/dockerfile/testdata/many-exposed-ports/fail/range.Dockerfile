FROM alpine:3.20
# want DF-0022 "the image exposes 101 ports [(]8000-8100[)]"
EXPOSE 8000-8100
USER 10001
