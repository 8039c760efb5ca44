FROM rabbitmq:4.0.2-alpine AS base
EXPOSE 5672

FROM base
EXPOSE 5671
# want DF-0022 "the image exposes 6 ports [(]4369, 5671, 5672, 15672, 25672/tcp, 35672[)], more than 3"
EXPOSE 15672 4369
EXPOSE 25672/tcp 35672
USER rabbitmq
