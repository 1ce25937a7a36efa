# One image for the migrate job, the api and the worker (docker-compose.yml picks the command).
# Node 20 pinned to an exact release; production dependencies only; runs as `node`.
FROM node:20.20.2-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    SCARF_ANALYTICS=false

WORKDIR /app

# dependencies first: this layer is rebuilt only when the lockfile changes
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

COPY . .

# the workflow bundle, built once here (the worker reads it from WORKFLOW_BUNDLE_PATH)
RUN node --import tsx workers/bundle.ts dist/workflow-bundle.js

# the app's files stay owned by root, read-only to the process
USER node

EXPOSE 3000 3001
CMD ["node", "--import", "tsx", "api/server.ts"]
