FROM debian:12.7-slim
RUN apt-get update && apt-get install -y --no-install-recommends sudo=1.9.13p3-1 \
    && echo "sudo is only mentioned" > /tmp/note
RUN cat <<EOF > /etc/motd
sudo is data here, not a command
EOF
# A sudoers entry is a file, not a sudo call.
COPY sudoers /etc/sudoers.d/app
USER 10001
CMD ["sudo", "-n", "true"]
