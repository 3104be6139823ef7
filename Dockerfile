# CPU image of the service (the wasm backend). A GPU image comes with the
# docker-compose GPU profile.
FROM node:20-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY models ./models
COPY migrations ./migrations
ENV FORECASTER_BACKEND=auto
VOLUME ["/app/data"]
ENTRYPOINT ["node", "bin/forecaster.js"]
CMD ["run"]
