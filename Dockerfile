# syntax=docker/dockerfile:1
# Multi-stage: build wheels with the toolchain, run on a slim image as a non-root user.
FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
# Dependencies from the hashed runtime lock (make lock), before the sources, so the layer is cached
# and the image holds exactly what CI tested; pip pinned like the Makefile's PIP_VERSION.
COPY requirements/runtime.txt requirements/build.txt ./requirements/
RUN python -m venv /opt/lgsp && /opt/lgsp/bin/pip install pip==26.3 \
    && /opt/lgsp/bin/pip install --require-hashes -r requirements/runtime.txt \
    && /opt/lgsp/bin/pip install --require-hashes -r requirements/build.txt
COPY pyproject.toml README.md ./
COPY contracts ./contracts
COPY adapters ./adapters
COPY mocks ./mocks
COPY gateway ./gateway
RUN /opt/lgsp/bin/pip install --no-deps --no-build-isolation . \
    && /opt/lgsp/bin/pip uninstall --yes setuptools wheel

FROM python:3.11.11-slim-bookworm AS runtime
ENV PATH=/opt/lgsp/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LGSP_ENV=production \
    LGSP_HOST=0.0.0.0 \
    LGSP_PORT=8000 \
    LGSP_LOG_FORMAT=json \
    LGSP_AUDIT_DSN=sqlite:////var/lib/lgsp/audit.sqlite3
# A fixed numeric uid so Kubernetes' runAsNonRoot can verify it (deploy/k8s runs as 10001).
RUN groupadd --system --gid 10001 lgsp \
    && useradd --system --uid 10001 --gid lgsp --home-dir /var/lib/lgsp lgsp \
    && mkdir -p /var/lib/lgsp/maintenance && chown -R lgsp:lgsp /var/lib/lgsp
COPY --from=build /opt/lgsp /opt/lgsp
USER 10001:10001
WORKDIR /var/lib/lgsp
EXPOSE 8000 9000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os,sys,urllib.request; sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"LGSP_PORT\",\"8000\")}/healthz', timeout=2).status == 200 else 1)"]
# /var/lib/lgsp/maintenance exists owned by lgsp so a named volume mounted there is writable
# (deploy/compose.yaml shares it between replicas for LGSP_MAINTENANCE_FILE).
# The gateway by default; the mock national side with: docker run IMAGE lgsp mock --host 0.0.0.0
CMD ["lgsp", "serve"]
