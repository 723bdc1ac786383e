# syntax=docker/dockerfile:1
# feedbot image: the project installed into a virtualenv in a builder stage, copied into a clean
# slim image that runs as an unprivileged user. Build: docker compose build (or docker build .).

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# What `pip install .` needs: the project metadata (README.md is its long description) and the
# three packages. Every dependency ships wheels, so no compiler is needed even here.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY jobs ./jobs
COPY storage ./storage
# The same install as README's "Try it" (`pip install -e .`), minus -e: the final image keeps
# the installed package, not the source tree.
RUN /opt/venv/bin/pip install .

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home feedbot \
    && mkdir /app && chown feedbot:feedbot /app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
USER feedbot
# 8443: webhook mode (telegram.webhook.port); 8080: /healthz in polling mode (health.port).
EXPOSE 8443 8080
# Exec form: feedbot is PID 1 and gets docker's SIGTERM itself (it exits 0 on it).
CMD ["feedbot", "run", "--config", "/app/config.yaml"]
