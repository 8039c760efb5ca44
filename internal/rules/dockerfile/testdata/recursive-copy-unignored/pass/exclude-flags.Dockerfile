# No .dockerignore here, but the copy excludes .git and .env itself.
FROM python:3.12.7-slim-bookworm
COPY --exclude=.git --exclude=.env* . /app
USER 10001
