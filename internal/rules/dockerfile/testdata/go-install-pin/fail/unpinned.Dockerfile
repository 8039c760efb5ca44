FROM golang:1.23.2 AS build
# want DF-0014 "go install does not pin the version of \"golang.org/x/tools/gopls@latest\" \\(write PATH@vX.Y.Z\\)"
RUN go install golang.org/x/tools/gopls@latest
# A branch or a version prefix resolves to whatever is newest.
# want DF-0014 "of \"github.com/go-delve/delve/cmd/dlv@master\", \"honnef.co/go/tools/cmd/staticcheck@v0.5\""
RUN go install -ldflags "-s -w" github.com/go-delve/delve/cmd/dlv@master honnef.co/go/tools/cmd/staticcheck@v0.5
# go get without a version means @upgrade.
# want DF-0014 "go get does not pin the version of \"github.com/spf13/cobra\""
RUN GO111MODULE=on go get github.com/spf13/cobra

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /go/bin/gopls /usr/local/bin/gopls
