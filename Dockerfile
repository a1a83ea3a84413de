# syntax=docker/dockerfile:1
# The production image: TypeScript compiled in a build stage, production dependencies
# installed in their own stage, and a runtime stage with only what `node dist/src/main.js`
# reads (compiled code, production node_modules, package.json and schema/), run as the
# unprivileged `node` user with files it cannot write.
#
#   docker build -t shielded-bff .
#   docker run --rm -p 4000:4000 -p 9464:9464 --env-file prod.env shielded-bff
#
# Signals: node is PID 1 and installs its own SIGTERM/SIGINT handlers (src/lifecycle.ts), so
# `docker stop` / a Kubernetes termination drains the server: readiness false, a pause of
# SHUTDOWN_DELAY_MS, in-flight requests finish, exit 0 (forced exit after 25 s). No init
# (tini, --init) is needed: the server starts no child processes, so there are no zombies to
# reap, and PID 1's default of ignoring unhandled signals does not matter once handlers exist.

ARG NODE_VERSION=20.20.2

# --- production dependencies only (no dev tools in the final image) ---
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- compile TypeScript ---
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY schema ./schema
COPY src ./src
RUN npm run build

# --- runtime ---
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root, read-only for the `node` user that runs the server.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schema ./schema
USER node
# PORT (GraphQL, /healthz, /readyz) and METRICS_PORT (Prometheus) as the manifests set them.
EXPOSE 4000 9464
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
