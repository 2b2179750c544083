# visitsd container image.
#
#   docker build -t visitsd .
#   docker run -e VISITSD_API_KEY=change-me -p 8080:8080 --read-only visitsd
#
# The embedded SQLite store lives in the /var/lib/visitsd volume; set
# VISITSD_STORE=dynamodb (and VISITSD_API_KEY_PARAMETER, AWS_REGION) to run
# on DynamoDB and SSM instead (docs/deploy-aws.md).  Every setting is a
# VISITSD_* environment variable (visitsd(8), docs/configuration.md).

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config libmicrohttpd-dev libjansson-dev \
        libssl-dev libsqlite3-dev libinih-dev libcurl4-openssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY src ./src
COPY tests/deploy/check-hardening.sh ./
# The Makefile's hardening flags (PIE, full RELRO, stack protector,
# FORTIFY) apply to this build too; the check fails the image without them.
RUN make CI=true build/visitsd && strip build/visitsd \
 && ./check-hardening.sh build/visitsd

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libmicrohttpd12 libjansson4 libssl3 libsqlite3-0 libinih1 libcurl4 \
        ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 visitsd \
 && useradd --system --uid 10001 --gid visitsd --no-create-home \
        --home-dir /var/lib/visitsd --shell /usr/sbin/nologin visitsd \
 && install -d -o visitsd -g visitsd -m 0700 /var/lib/visitsd
COPY --from=build /src/build/visitsd /usr/local/sbin/visitsd
COPY deploy/healthcheck.sh /usr/local/libexec/visitsd/healthcheck

ENV VISITSD_LISTEN=0.0.0.0:8080 \
    VISITSD_SQLITE_PATH=/var/lib/visitsd/visits.db \
    VISITSD_LOG_FORMAT=json
VOLUME ["/var/lib/visitsd"]
WORKDIR /var/lib/visitsd
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/libexec/visitsd/healthcheck"]
# visitsd handles SIGTERM itself (graceful stop, exit 0) and starts no
# children, so it can run as PID 1 without an init.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/sbin/visitsd"]
