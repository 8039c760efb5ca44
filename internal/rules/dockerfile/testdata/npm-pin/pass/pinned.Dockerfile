FROM node:20.18-alpine
ARG PNPM_VERSION=9.12.1
WORKDIR /app
COPY package.json package-lock.json ./
# Installing from the lockfile names no package.
RUN npm ci --omit=dev && npm install --production
RUN npm install -g \
        npm@10.9.0 \
        typescript@^5.6 \
        @nestjs/cli@~10.4.5 \
        "pnpm@${PNPM_VERSION}" \
        eslint@9.x \
        'prettier@>=3.3 <4' \
        react-scripts@npm:react-scripts@5.0.1 \
        ./local-package \
        /tmp/tool-1.0.0.tgz \
        git+https://github.com/example/tool.git#v1.2.3 \
        example/tool#v1.2.3 \
        $TOOLS
USER 10001
