#!/bin/bash
# check-docker.sh CACHE_DIR: build the visitsd image and smoke-test a running
# container, without any registry.
#
#  1. Use the dockerd that answers (DOCKER_HOST or the default socket), or
#     start a private one (dockerd.sh: vfs storage, no iptables, no bridge;
#     its data root under CACHE_DIR so rebuilds hit the layer cache) and
#     stop it at the end.
#  2. Make debian:bookworm and debian:bookworm-slim from the machine's Debian
#     mirror (debian-base.sh), build the Dockerfile with --network host.
#  3. Check the image metadata, run it read-only on a named volume as the
#     image's own user, and drive it over HTTP: POST, GET, 403 without key,
#     /healthz, /readyz, the HEALTHCHECK (visitsd --health-check) turning
#     "healthy", a non-root uid; the size (printed, at most 40 MB) and that
#     the image holds no shell and no package manager;
#     `docker stop` (SIGTERM) exits 0; a restart keeps the count.
#  4. Run the image on DynamoDB and SSM against the AWS test peer
#     (check-docker-aws.sh).
#  5. Run systemd/visitsd.service under a real systemd in a container with
#     the image's daemon (check-systemd-live.sh).
#  6. With VISITSD_DEB_DIR set (make check-docker does), install the .deb
#     there into a fresh Debian root and purge it (check-deb.sh).
#  7. Bring up deploy/compose.yaml with the image, its dynamodb profile
#     too, and count through it (check-compose.sh).
#
# Host networking is used for build and run (no bridge), so the container
# listens on a free loopback port picked here, not on 8080.
set -euo pipefail

cache=$(mkdir -p "${1:?usage: check-docker.sh CACHE_DIR}" && cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
image=visitsd:check
name=visitsd-check-$$
volume=visitsd-check-$$
key=check-docker-$$-$RANDOM
run=

# Prefer the CLI of the Debian package, which matches its dockerd.
if [ -x /usr/bin/docker ]; then docker=/usr/bin/docker; else docker=docker; fi
export DOCKER="$docker"
# shellcheck source=tests/deploy/dockerd.sh
. "$here/dockerd.sh"

log() { echo "check-docker: $*"; }
fail() {
	echo "check-docker: FAIL: $*" >&2
	[ -z "$run" ] || $docker logs "$name" 2>&1 | tail -20 >&2 || true
	exit 1
}

cleanup() {
	if [ -n "$run" ]; then
		$docker rm -f "$name" >/dev/null 2>&1 || true
		$docker volume rm "$volume" >/dev/null 2>&1 || true
	fi
	dockerd_down
}
trap cleanup EXIT

dockerd_up "$cache"
"$here/debian-base.sh" "$cache"
: >"$cache/build.log"

# The build stage is tagged too, so that pruning superseded images at the
# end keeps its package layer cached for the next run.
log "building $image"
for target in "--target build -t $image-build" "-t $image"; do
	# shellcheck disable=SC2086
	$docker build --force-rm --network host $target "$top" >>"$cache/build.log" 2>&1 ||
	    { tail -30 "$cache/build.log" >&2; fail "docker build"; }
done

# The image's own contract, whatever this test overrides when running it.
inspect() { $docker image inspect -f "$1" "$image"; }
user=$(inspect '{{.Config.User}}')
[ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] ||
    fail "image USER is '$user', not a non-root user"
inspect '{{json .Config.Env}}' | grep -q '"VISITSD_LISTEN=0.0.0.0:8080"' ||
    fail "image does not default VISITSD_LISTEN=0.0.0.0:8080"
inspect '{{json .Config.Env}}' |
    grep -q '"VISITSD_SQLITE_PATH=/var/lib/visitsd/' ||
    fail "image does not keep the SQLite file in its volume"
inspect '{{json .Config.Volumes}}' | grep -q '"/var/lib/visitsd"' ||
    fail "image has no /var/lib/visitsd volume"
inspect '{{json .Config.ExposedPorts}}' | grep -q '"8080/tcp"' ||
    fail "image does not EXPOSE 8080"
inspect '{{json .Config.Entrypoint}}' | grep -q '^\["/' ||
    fail "ENTRYPOINT is not exec form"
inspect '{{json .Config.Healthcheck}}' | grep -q '"/usr/local/sbin/visitsd","--health-check"' ||
    fail "image HEALTHCHECK is not visitsd --health-check"

# A small image: the binary, its libraries, the CA bundle, passwd/group;
# no shell, no package manager.  Listed from the exported file system.
size=$(inspect '{{.Size}}')
log "image size $(awk -v s="$size" 'BEGIN { printf "%.1f MB", s / 1e6 }') ($size bytes)"
[ "$size" -le 40000000 ] || fail "image is $size bytes, over 40 MB"
$docker create --name "$name-ls" "$image" >/dev/null
files=$($docker export "$name-ls" | tar -t)
$docker rm "$name-ls" >/dev/null
for f in bin/sh bin/bash usr/bin/sh usr/bin/apt usr/bin/apt-get usr/bin/dpkg \
    usr/bin/curl; do
	! echo "$files" | grep -qx "$f" || fail "the image holds $f"
done
for f in usr/local/sbin/visitsd etc/ssl/certs/ca-certificates.crt etc/passwd \
    etc/group; do
	echo "$files" | grep -qx "$f" || fail "the image lacks $f"
done
$docker run --rm --entrypoint /bin/sh "$image" -c true >/dev/null 2>&1 &&
    fail "a shell runs in the image"
log "no shell, no package manager: $(echo "$files" | grep -vc '/$') files"

port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
base=http://127.0.0.1:$port
start_container() {
	$docker start "$name" >/dev/null
	for _ in $(seq 1 100); do
		curl -fsS -o /dev/null "$base/healthz" 2>/dev/null && return 0
		[ "$($docker inspect -f '{{.State.Running}}' "$name")" = true ] ||
		    fail "container exited: $($docker inspect -f '{{.State.ExitCode}}' "$name")"
		sleep 0.1
	done
	fail "no answer on $base/healthz"
}

run=1
$docker volume create "$volume" >/dev/null
$docker create --name "$name" --network host --read-only \
    --mount "type=volume,src=$volume,dst=/var/lib/visitsd" \
    --health-interval=1s --health-start-period=30s \
    -e VISITSD_API_KEY="$key" -e VISITSD_LISTEN="127.0.0.1:$port" \
    "$image" >/dev/null
start_container
log "container answers on $base"

# status METHOD PATH [curl args...]: print "<status> <body>".
req() {
	local method=$1 path=$2
	shift 2
	# A browser's User-Agent: curl's own is on the crawler list, and a
	# crawler's POST reads instead of counting (docs/api.md, Bots).
	curl -sS -A 'Mozilla/5.0 (X11; Linux x86_64) visitsd-test' -o "$cache/body" -w '%{http_code}' -X "$method" "$@" "$base$path"
	printf ' %s' "$(cat "$cache/body")"
}
expect() {	# WANT GOT WHAT
	[ "$2" = "$1" ] || fail "$3: got '$2', want '$1'"
}

expect '200 {"user":"home","visits":1,"unique":1}' \
    "$(req POST /api/visits/home -H "x-api-key: $key")" "first POST"
expect '200 {"user":"home","visits":2,"unique":1}' \
    "$(req POST /api/visits/home -H "x-api-key: $key")" "second POST"
expect '200 {"user":"home","visits":2,"unique":1}' \
    "$(req GET /api/visits/home -H "x-api-key: $key")" "GET"
expect '403 {"message":"Forbidden"}' \
    "$(req POST /api/visits/home)" "POST without key"
expect 200 "$(req GET /healthz | cut -d' ' -f1)" "/healthz"
expect 200 "$(req GET /readyz | cut -d' ' -f1)" "/readyz"

pid=$($docker inspect -f '{{.State.Pid}}' "$name")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
[ "$uid" != 0 ] || fail "the daemon runs as root"
log "daemon pid $pid runs as uid $uid"

for _ in $(seq 1 60); do
	health=$($docker inspect -f '{{.State.Health.Status}}' "$name")
	[ "$health" = starting ] || break
	sleep 0.5
done
expect healthy "$health" "HEALTHCHECK status"

# SIGTERM within docker stop's grace period: a clean exit 0, not a SIGKILL.
$docker stop -t 20 "$name" >/dev/null
expect 0 "$($docker inspect -f '{{.State.ExitCode}}' "$name")" "exit status after docker stop"
expect false "$($docker inspect -f '{{.State.OOMKilled}}' "$name")" "OOM kill"
log "docker stop: exit 0"

start_container
expect '200 {"user":"home","visits":2,"unique":1}' \
    "$(req GET /api/visits/home -H "x-api-key: $key")" "GET after restart"
$docker stop -t 20 "$name" >/dev/null
# The same image on DynamoDB and SSM, as on Fargate: the AWS peer of
# tests/harness (dynalite behind a SigV4-verifying front, SSM, ECS container
# credentials) on a free loopback port stands in for AWS.
"$top/tests/deploy/check-docker-aws.sh" "$image"

"$here/check-systemd-live.sh" "$image"
# The Debian package (make deb) installed into a fresh root and purged.
[ -z "${VISITSD_DEB_DIR:-}" ] || "$here/check-deb.sh" "$VISITSD_DEB_DIR" "$cache"
# deploy/compose.yaml with this image, on SQLite and on dynalite.
"$here/check-compose.sh" "$image" "$cache"
log "image size $(inspect '{{.Size}}' | awk '{ printf "%.1f MB", $1 / 1e6 }')"
# Earlier builds' images: their layers would pile up in the vfs data root.
$docker image prune -f >/dev/null
log "ok"
