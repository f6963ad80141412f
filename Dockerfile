# The API image (docker-compose.yml, and what an operator deploys). Two stages:
# the first installs every dependency and compiles (npm run build: esbuild,
# scripts/build.mjs); the second ships the compiled output and the production
# dependencies only, run by plain node (no tsx, no TypeScript, no dev tools).
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
ENV API_HOST=0.0.0.0 API_PORT=4012
# A heap cap sized for the API (about 50 MB live), not for the host's RAM: see
# src/stack/api-node-flags.ts. Override with your own NODE_OPTIONS.
ENV NODE_OPTIONS=--max-old-space-size=1024
EXPOSE 4012
USER node
# The admin CLI: node dist/admin-cli.js <command> (docker compose exec api node dist/admin-cli.js cleanup).
CMD ["node", "--enable-source-maps", "dist/main.js"]
