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
        ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY src ./src
COPY tests/deploy/check-hardening.sh ./
# The Makefile's hardening flags (PIE, full RELRO, stack protector,
# FORTIFY) apply to this build too; the check fails the image without them.
RUN make CI=true build/visitsd && strip build/visitsd \
 && ./check-hardening.sh build/visitsd

# The runtime tree, assembled in the build stage: the binary, exactly the
# shared libraries it links (ldd, with the dynamic loader), the CA bundle,
# passwd/group entries for the non-root user, and its state folder.  No
# shell, no package manager: the HEALTHCHECK runs the binary itself.  The
# libraries are installed executable: the kernel execs the dynamic loader.
RUN set -eu; root=/runtime; \
    install -D -m 0755 build/visitsd "$root/usr/local/sbin/visitsd"; \
    for lib in $(ldd build/visitsd | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do \
        install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"; \
    done; \
    install -D -m 0644 /etc/ssl/certs/ca-certificates.crt \
        "$root/etc/ssl/certs/ca-certificates.crt"; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nvisitsd:x:10001:10001:visitsd:/var/lib/visitsd:/sbin/nologin\n' \
        >"$root/etc/passwd"; \
    printf 'root:x:0:\nvisitsd:x:10001:\n' >"$root/etc/group"; \
    printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"; \
    install -d -o 10001 -g 10001 -m 0700 "$root/var/lib/visitsd"

FROM scratch
COPY --from=build /runtime/ /

ENV VISITSD_LISTEN=0.0.0.0:8080 \
    VISITSD_SQLITE_PATH=/var/lib/visitsd/visits.db \
    VISITSD_LOG_FORMAT=json
VOLUME ["/var/lib/visitsd"]
WORKDIR /var/lib/visitsd
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["/usr/local/sbin/visitsd", "--health-check"]
# visitsd handles SIGTERM itself (graceful stop, exit 0) and starts no
# children, so it can run as PID 1 without an init.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/sbin/visitsd"]
