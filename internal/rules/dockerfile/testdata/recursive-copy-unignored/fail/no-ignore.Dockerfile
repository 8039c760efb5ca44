# This fixture directory has no .dockerignore.
FROM node:22.11-alpine3.20
WORKDIR /app
# want DF-0029 "COPY . copies the whole build context into the running image, and there is no .dockerignore"
COPY . .
# want DF-0029 "COPY \\* copies the whole build context"
COPY ["*", "/srv/"]
USER node
