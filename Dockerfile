# Eclipso container image. Build: docker build -t eclipso .
# Another base: any image with node and npm on PATH and a uid 1000, as no apk or apt-get runs
# (CI builds on one made from the host's Node.js: test/container/smoke.sh, .ci/run):
#   docker build --build-arg BASE=node:24-slim -t eclipso .
ARG BASE=node:24-alpine

# 1. Compile TypeScript with the dev dependencies.
FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --no-update-notifier
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json && mkdir -p /empty

# 2. Production dependencies only.
FROM ${BASE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --no-update-notifier

# 3. What ships: dist/, production node_modules, package.json (the version); npm's cache stays
#    behind in the deps stage.
FROM ${BASE}
ENV NODE_ENV=production \
    ZONE_DIR=/config/domains \
    PORT=53 \
    METRICS_PORT=9153
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# Mount points the non-root user can use: the zone folder and the S3 snapshot cache (a Docker
# named volume copies this ownership on first use).
COPY --from=build --chown=1000:1000 /empty /config/domains
COPY --from=build --chown=1000:1000 /empty /var/cache/eclipso
# The official node images' "node" user, numeric so Kubernetes can check runAsNonRoot.
# Port 53 without root: Docker (20.10+) sets net.ipv4.ip_unprivileged_port_start=0 in the
# container's network namespace; elsewhere set that sysctl, or PORT=5353 and map 53 to it.
USER 1000:1000
EXPOSE 53/udp 53/tcp 9153/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD ["node", "/app/dist/ops/healthcheck.js"]
STOPSIGNAL SIGTERM
# glibc gives each thread that allocates its own malloc arena: the compile threads' arenas kept
# freed memory beside the zones they handed over. Two arenas: 14% less memory, start-up as fast
# (bench/RESULTS.md).
ENV MALLOC_ARENA_MAX=2
# A young generation of Node.js 20's size: Node.js 24 grows it with the machine's memory, and held
# 871 MiB instead of 758 for 1M records (bench/RESULTS.md); the throughput figures were measured with it.
ENTRYPOINT ["node", "--max-semi-space-size=16", "/app/dist/main.js"]
