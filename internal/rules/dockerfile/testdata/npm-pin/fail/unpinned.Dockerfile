FROM node:20.18-alpine
# want DF-0010 "npm install does not pin the version of \"npm@latest\", \"pm2\" \\(write NAME@VERSION\\)"
RUN npm install -g npm@latest pm2 typescript@5.6.3
# want DF-0010 "npm i does not pin the version of \"@angular/cli\", \"yarn@>=1\""
RUN npm i --global @angular/cli @nestjs/cli@10.4.5 'yarn@>=1'
# want DF-0010 "npm add does not pin the version of \"serve@next\""
RUN npm add --prefix /opt/tools serve@next
USER 10001
