# One image for the api, the worker and the migrate job (docker-compose.yml picks the command).
FROM node:20.20.2-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
USER node
CMD ["node", "--import", "tsx", "api/server.ts"]
