# KD Studio image. One image runs the web server, the migrations and the Celery workers; the
# caption worker image is the same build with the `worker` extras (torch, transformers).
#
#   docker build -t kdstudio .                                        # web, migrate, default queue
#   docker build --build-arg EXTRAS=worker -t kdstudio-captions .     # + the captions queue
#
# The image runs kdapp.settings.production, which takes nothing for granted: KD_SECRET_KEY,
# DATABASE_URL and CELERY_BROKER_URL must come from the environment (docker-compose.yml shows
# the whole topology).
#
# The browser app (frontend/, React + Vite) is built in a Node stage; only its output
# (frontend/dist) reaches the runtime image, where collectstatic picks up its hashed files.

# --- Browser app --------------------------------------------------------------------------------
FROM node:20-slim AS frontend

WORKDIR /build/frontend
COPY frontend/package.json frontend/package-lock.json frontend/.npmrc ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
COPY schema/ /build/schema/
RUN npm run build

# --- Dependencies -------------------------------------------------------------------------------
FROM python:3.11-slim AS deps

# Comma-separated extras from pyproject.toml: empty for the core image, "worker" for captions.
ARG EXTRAS=""

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /build
# Only the project metadata, so this (large, with torch) layer is rebuilt when pyproject.toml
# changes and not on every code change. With no packages beside it, `pip install .` installs the
# pinned dependencies and extras; the code itself runs from /app (see the next stage), because
# the project's templates live beside the code and are not part of a built wheel.
COPY pyproject.toml README.m[d] ./
RUN if [ -n "$EXTRAS" ]; then target=".[$EXTRAS]"; else target="."; fi \
 && pip install "$target" \
 && if pip show torchvision >/dev/null 2>&1; then \
      echo "torchvision must not be installed: its wheels do not match the pinned torch" >&2; \
      exit 1; \
    fi

# --- Runtime ------------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=kdapp.settings.production \
    KD_DATA_DIR=/data \
    KD_MEDIA_ROOT=/data/media \
    HF_HOME=/data/models

# An unprivileged user owns the writable state; the code and the collected static files stay
# owned by root, read-only to the processes. /data/media and /data/models exist in the image
# with that owner, so named volumes mounted there start out writable by it.
RUN groupadd --gid 10001 kd \
 && useradd --uid 10001 --gid kd --home-dir /data --no-create-home --shell /usr/sbin/nologin kd \
 && mkdir -p /data/media /data/models \
 && chown -R kd:kd /data

COPY --from=deps /opt/venv /opt/venv

WORKDIR /app
COPY . .
COPY --from=frontend /build/frontend/dist /app/frontend/dist

# Static files are collected into the image ($KD_DATA_DIR/static, served by WhiteNoise), so every
# web replica carries the same files and manifest as its code. The production settings refuse
# to load without a secret, a database URL and a broker URL; collectstatic connects to neither,
# so throwaway values are given to this one command and kept nowhere.
RUN KD_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    DATABASE_URL="postgres://build@127.0.0.1:5432/build" \
    CELERY_BROKER_URL="redis://127.0.0.1:6379/0" \
    python manage.py collectstatic --noinput --verbosity 0

USER kd:kd
EXPOSE 8000

# The web server; docker-compose.yml gives the migrate and worker services their own commands.
CMD ["gunicorn", "kdapp.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4"]
