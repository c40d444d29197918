# The bot's image: python app.py on a slim Python base, as an unprivileged user, data in a volume.
# This repository's CI parses this file (tests/test_deploy.py) but does not build the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=3978 \
    DATA_DIR=/data \
    LOG_FORMAT=json

WORKDIR /app

# Only the runtime dependencies, every one pinned with its hash.
COPY requirements.txt ./
RUN pip install --no-cache-dir --require-hashes -r requirements.txt

COPY app.py manifest.json trust.example.toml ./
COPY bot ./bot
COPY cards ./cards
COPY handlers ./handlers
COPY appPackage ./appPackage

RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin concerns \
    && mkdir -p /data \
    && chown concerns /data \
    && chmod 0700 /data

USER concerns
VOLUME ["/data"]
EXPOSE 3978

# Ready, not only alive: 503 while the store is unreachable or notices wait too long.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3978') + '/readyz', timeout=4)"]

CMD ["python", "app.py", "serve"]
