ARG BASE=debian
ARG NODE_TAG=latest
# want DF-0005 "base image \"debian\" has no tag, so it means debian:latest"
FROM ${BASE} AS build
# want DF-0005 "base image \"node:latest\" uses the latest tag"
FROM node:${NODE_TAG} AS web
# want DF-0005 "registry.example.com:5000/team/app:latest"
FROM registry.example.com:5000/team/app:latest
# want DF-0005 "has no tag"
FROM --platform=linux/amd64 registry.example.com:5000/team/app
USER 10001
