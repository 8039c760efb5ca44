FROM alpine:3.20
# want DF-0002 "ADD copies the local file \"app.jar\": use COPY"
ADD app.jar /opt/app/app.jar
# want DF-0002 "ADD copies local files \"config/\", \"entrypoint.sh\""
ADD --chown=10001 config/ entrypoint.sh /opt/app/
# want DF-0002 "<<"
ADD <<EOF /etc/app.conf
key=value
EOF
USER 10001
