# CPU image of the service: the wasm backend (its binary ships in the npm
# package), SQLite on the /app/data volume. The GPU image is Dockerfile.gpu.
FROM node:20-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY models ./models
COPY migrations ./migrations
ENV FORECASTER_BACKEND=auto \
    FORECASTER_DB=/app/data/forecaster.db
VOLUME ["/app/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FORECASTER_PORT || 8080) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/forecaster.js"]
CMD ["run"]
