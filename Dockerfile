# crPipeline image: one image for every role (api, worker, migrate, all-in-one services).
# The Bun version must equal package.json "packageManager" (k8s/test/dockerfile.test.ts checks it).

# --- manifests: only the files `bun install` reads, with their directory layout kept, so the
# install layer below is rebuilt when dependencies change and not on every source edit.
FROM oven/bun:1.4.5 AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
 && find . -name package.json -not -path "*/node_modules/*" -exec cp --parents {} /manifests/ \; \
 && cp bun.lock bunfig.toml /manifests/

# --- deps: production dependencies only, exactly as locked in the text lockfile bun.lock.
FROM oven/bun:1.4.5 AS deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN bun install --frozen-lockfile --production \
 && rm -rf /root/.bun/install/cache

# --- runtime: sources on top of the installed tree; code stays root-owned and read-only to the
# app user, only DATA_DIR is writable.
FROM oven/bun:1.4.5 AS runtime
WORKDIR /app
# The native engine for OCR stages that choose `engine: tesseract` (tesseract.js needs nothing).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng \
 && rm -rf /var/lib/apt/lists/*
COPY --from=deps /app/ ./
COPY . .

# The English OCR data ships inside the npm package @tesseract.js-data/eng, so tesseract.js
# never reaches for a CDN at run time; fail the build here if the package layout ever changes.
RUN test -s packages/ocr/node_modules/@tesseract.js-data/eng/4.0.0_best_int/eng.traineddata.gz \
 && mkdir -p /app/data \
 && chown 1000:1000 /app/data

# Numeric ids so Kubernetes can verify runAsNonRoot; 1000 is the image's own `bun` user.
USER 1000:1000
ENV DATA_DIR=/app/data \
    API_PORT=8080 \
    METRICS_PORT=9100

# 8080: HTTP API (/healthz, /readyz); 9100: Prometheus /metrics, served by every role.
EXPOSE 8080 9100

# The default command serves the API, so probe its liveness endpoint; the worker role overrides
# this in docker-compose.yml and Kubernetes with a probe of /metrics on 9100.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bun", "-e", "fetch('http://127.0.0.1:' + (process.env.API_PORT || 8080) + '/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["bun", "run", "services"]
