# syntax=docker/dockerfile:1
# One image, every role: `docker run IMAGE web|processor|alerts|syslog|migrate|manage …`
# (deploy/docker/entrypoint.sh). Build: `docker build -t devlogs .` — docs/deploy.md.

# --- the dashboard: Node builds the React app into static files ---------------------------------
FROM node:20.19.0-bookworm-slim AS dashboard
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN npm run build

# --- the runtime: slim Python, the runtime requirements only, a non-root user --------------------
FROM python:3.11.13-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEVLOGS_DATA_DIR=/app/var \
    STATIC_ROOT=/app/static
WORKDIR /app

# The "# Runtime" section of requirements.txt: the test tools below "# Tests" stay out of the image.
COPY requirements.txt ./
RUN sed -n '/^# Runtime/,/^# Tests/p' requirements.txt > /tmp/runtime-requirements.txt \
    && pip install --no-compile -r /tmp/runtime-requirements.txt \
    && rm /tmp/runtime-requirements.txt

RUN groupadd --system --gid 10001 devlogs \
    && useradd --system --uid 10001 --gid devlogs --home-dir /app --no-create-home --shell /usr/sbin/nologin devlogs

COPY . .
COPY --from=dashboard /src/frontend/dist /app/frontend/dist
# Static files and byte code are made here, owned by root: the app user can read, never change them.
# The build-time key only lets settings load; the image holds no key (set SECRET_KEY at run time).
RUN SECRET_KEY=build-time-only-for-collectstatic-never-used-at-run-time-0123456789 DEVLOGS_PRODUCTION=false \
       python manage.py collectstatic --no-input -v0 \
    && python -m compileall -q -j 0 /app /usr/local/lib/python3.11/site-packages \
    && rm -rf /app/var && mkdir -p /app/var && chown devlogs:devlogs /app/var \
    && chmod 0755 /app/deploy/docker/entrypoint.sh

USER 10001:10001
# 8000: the web role (HTTP, WebSocket, /healthz, /readyz). 8081: the workers' health listener.
EXPOSE 8000 8081
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]
CMD ["web"]
