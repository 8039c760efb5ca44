FROM alpine:3.20
# want DF-0020
ENV AZURE_BATCH_KEY=Zx8abcdEFGH1234ijklMNOP5678qrstUVWX9yz0
# want DF-0020
RUN echo "----BEGIN RSA PRIVATE KEY----" > /tmp/k
# want DF-0020
RUN printf 'DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=Ab3+/x9ZAb3+/x9ZAb3+/x9ZAb3+/x9ZAb3+/x9ZAb3+/x9ZAb3+/x9ZAb3+/x9ZAb3+/x9ZAb3+/x9ZQw8+Yt==' > /etc/conn
USER 65532
