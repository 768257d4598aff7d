# Wren daemon image. Build: docker build -t wren .
# Run (host network, needs CAP_NET_ADMIN for kernel routes in later releases):
#   docker run --net=host -v /etc/wren:/etc/wren -v /run/wren:/run/wren wren
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bench ./bench
COPY demo ./demo
COPY test/harness ./test/harness
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config/wren.yaml /etc/wren/wren.yaml
EXPOSE 179
ENTRYPOINT ["/app/bin/wren"]
CMD ["daemon", "--config", "/etc/wren/wren.yaml", "--control", "/run/wren/wren.sock"]
