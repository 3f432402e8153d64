# eeo-reconcile in a container: docker build -t eeo-reconcile .
#   docker run --rm -v "$PWD/rosters:/rosters" -e EEO_SECRET -e EEO_STATE_DSN \
#     eeo-reconcile plan /rosters
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY eeo_reconcile ./eeo_reconcile
COPY schemas ./schemas
RUN python -m pip install . \
    && useradd --create-home --uid 10001 eeo \
    && rm -rf /src

USER eeo
WORKDIR /home/eeo
ENTRYPOINT ["eeo-reconcile"]
CMD ["--help"]
