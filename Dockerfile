# The API image for docker-compose.yml (the native launcher does not use it).
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
ENV NODE_ENV=production API_HOST=0.0.0.0 API_PORT=4012
# A heap cap sized for the API (about 50 MB live), not for the host's RAM: see
# src/stack/api-node-flags.ts. Override with your own NODE_OPTIONS.
ENV NODE_OPTIONS=--max-old-space-size=1024
EXPOSE 4012
USER node
CMD ["node", "--import", "tsx", "src/servers/main.ts"]
