# syntax=docker/dockerfile:1
# One image for every oretrail role; the command picks the role:
#   capture | worker | sink | connectors run NAME ... | run (all in one) | topics create
#
# build:   the locked dependencies (uv.lock, no dev extra) first, so a source change does
#          not reinstall them, then oretrail itself as a wheel (schemas/ and the sample EPCIS
#          documents are packaged into it, see [tool.hatch.build...] in pyproject.toml).
# runtime: the same Python base, the virtual environment copied at the same path, tini as
#          PID 1 (signals reach oretrail, which stops cleanly on SIGTERM), a non-root user.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/oretrail
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-install-project --no-editable
COPY schemas ./schemas
COPY examples/epcis ./examples/epcis
COPY oretrail ./oretrail
COPY connectors ./connectors
COPY streams ./streams
COPY sink ./sink
COPY simulator ./simulator
RUN uv sync --frozen --no-editable \
    && /opt/oretrail/bin/oretrail --version \
    && /opt/oretrail/bin/oretrail connectors list

FROM ${PYTHON_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 oretrail \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/oretrail --create-home \
       --shell /usr/sbin/nologin oretrail
COPY --from=build /opt/oretrail /opt/oretrail
ENV PATH=/opt/oretrail/bin:${PATH} \
    PYTHONUNBUFFERED=1 \
    ORETRAIL_HOME=/var/lib/oretrail
USER 10001:10001
WORKDIR /var/lib/oretrail
# capture interface, resolver, worker web (faust)
EXPOSE 8080 8780 6066
ENTRYPOINT ["/usr/bin/tini", "--", "oretrail"]
CMD ["--help"]
