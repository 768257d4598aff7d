# Wren node daemon image. Build: docker build -t wren .
# Run on a node (host network; pod wiring needs NET_ADMIN and SYS_ADMIN for setns, the runtime's
# network namespaces and a place for the pod state):
#   docker run --net=host --cap-add NET_ADMIN --cap-add SYS_ADMIN \
#     -v /etc/wren:/etc/wren -v /run/wren:/run/wren -v /var/lib/wren:/var/lib/wren \
#     -v /var/run/netns:/var/run/netns:rshared wren
# The CNI plugin runs on the host (the runtime executes it): see docs/cni.md.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# The native helpers (setns for pod wiring, madvise for the start-up pages) are compiled with the
# system C compiler against Node's own headers (/usr/local/include/node in this image).
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY native ./native
COPY scripts ./scripts
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
COPY --from=build /app/native/build ./native/build
COPY package.json ./
COPY bin ./bin
COPY config/wren.yaml /etc/wren/wren.yaml
EXPOSE 179
# Node-agent tuning (src/lab/wren-bin.ts explains both): a 1 MB young generation, ~14 MB less
# RSS per node daemon for ~15% more CPU under heavy churn; and an 8x interrupt budget, so V8
# optimises only what runs hot (a mesh forms with far less compiling). For a dedicated
# reflector with full tables, override the entry point without --interrupt-budget.
ENTRYPOINT ["node", "--max-semi-space-size=1", "--interrupt-budget=540672", "/app/bin/wren"]
CMD ["daemon", "--config", "/etc/wren/wren.yaml", "--control", "/run/wren/wren.sock"]
