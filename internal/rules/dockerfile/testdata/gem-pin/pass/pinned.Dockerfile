FROM ruby:3.3.5-slim
ENV BUNDLER_VERSION=2.5.22
RUN gem install bundler -v "$BUNDLER_VERSION" \
    && gem install --no-document rails --version '~> 7.2' \
    && gem install rake:13.2.1 \
    && gem install ./vendor/tool-1.0.gem \
    && gem install $GEMS \
    && gem update --system 3.5.22 \
    && bundle install
USER 10001
