FROM ruby:3.3.5-slim
# want DF-0011 "gem install does not pin the version of \"bundler\" \\(add -v VERSION or write NAME:VERSION\\)"
RUN gem install bundler
# Options after -- go to the gem's build, not to gem.
# want DF-0011 "gem install does not pin the version of \"mysql2\", \"rake\""
RUN gem install --no-document mysql2 rake rails:7.2.1 -- --with-mysql-config=/usr/bin/mysql_config
USER 10001
