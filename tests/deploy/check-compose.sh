#!/bin/bash
# check-compose.sh IMAGE CACHE_DIR: bring up deploy/compose.yaml with the
# visitsd image check-docker built (IMAGE) and the "dynamodb" profile, and
# get counts through it: POSTs and a GET on the SQLite visitsd and on the
# DynamoDB one (dynalite), the page server's counter page and the widget
# it serves, the SQLite count kept across a restart of its container.
#
# Called by check-docker.sh with DOCKER and DOCKER_HOST set.  The dockerd
# there has no bridge, so tests/deploy/compose.host.yaml puts every service
# on the host network, on free loopback ports.  The stack is built from a
# copy of deploy/ and web/ in a temporary folder, with the machine's proxy
# CA certificates and /etc/npmrc (where present) in compose/extra/, so that
# npm reaches the registry as the host does.  Uses docker-compose (Debian
# 12's, v1) or `docker compose` (v2), whichever exists.
set -euo pipefail

image=${1:?usage: check-compose.sh IMAGE CACHE_DIR}
cache=${2:?usage: check-compose.sh IMAGE CACHE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
docker=${DOCKER:-docker}
tmp=$(mktemp -d)
project=visitsd-check-$$
key=check-compose-$$-$RANDOM$RANDOM

if command -v docker-compose >/dev/null 2>&1; then
	compose=(docker-compose)
elif $docker compose version >/dev/null 2>&1; then
	compose=("$docker" compose)
else
	echo "check-compose: no docker-compose or docker compose" >&2
	exit 1
fi
dc() {
	"${compose[@]}" -p "$project" -f "$tmp/deploy/compose.yaml" \
	    -f "$tmp/deploy/compose.host.yaml" --profile dynamodb "$@"
}
up=
cleanup() {
	[ -z "$up" ] || dc down -v >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

log() { echo "check-compose: $*"; }
fail() {
	echo "check-compose: FAIL: $*" >&2
	[ -z "$up" ] || dc logs --no-color 2>&1 | tail -30 >&2 || true
	exit 1
}
freeport() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

mkdir -p "$tmp/deploy"
cp -r "$top/deploy/compose.yaml" "$top/deploy/compose" "$tmp/deploy/"
cp "$here/compose.host.yaml" "$tmp/deploy/"
# Published ports cannot go with the host network, and a compose v1
# override cannot drop them: the copy loses its ports: lists.  (In tests/,
# where the yaml package is.)
(cd "$top/tests" && node --input-type=module -e '
import { readFileSync, writeFileSync } from "node:fs";
import YAML from "yaml";
const f = process.argv[1];
const doc = YAML.parseDocument(readFileSync(f, "utf8"));
for (const s of doc.get("services").items) s.value.delete("ports");
writeFileSync(f, doc.toString());
' "$tmp/deploy/compose.yaml")
cp -r "$top/web" "$tmp/web"
for c in /usr/local/share/ca-certificates/*.crt; do
	[ -f "$c" ] && cp "$c" "$tmp/deploy/compose/extra/"
done
[ -f /etc/npmrc ] && cp /etc/npmrc "$tmp/deploy/compose/extra/npmrc"

export DEMO_IMAGE=$image VISITSD_API_KEY=$key
export CHECK_PORT_SQLITE=$(freeport) CHECK_PORT_PAGE=$(freeport)
export CHECK_PORT_DYNAMODB=$(freeport) CHECK_PORT_DYNALITE=$(freeport)
sqlite=http://127.0.0.1:$CHECK_PORT_SQLITE
dynamodb=http://127.0.0.1:$CHECK_PORT_DYNAMODB
page=http://127.0.0.1:$CHECK_PORT_PAGE

log "building the Node.js image (${compose[*]})"
# The legacy builder has no network option in compose v1; the host network
# is dockerd's only one here, so a build uses it anyway.
dc build page >"$cache/compose-build.log" 2>&1 ||
    { tail -30 "$cache/compose-build.log" >&2; fail "compose build"; }
up=1
dc up -d --no-build >"$cache/compose-up.log" 2>&1 ||
    { cat "$cache/compose-up.log" >&2; fail "compose up"; }

ready() {	# URL WHAT
	for _ in $(seq 1 150); do
		curl -fsS -o /dev/null "$1/readyz" 2>/dev/null && return 0
		sleep 0.2
	done
	fail "$2: /readyz never 200"
}
ready "$sqlite" "visitsd (SQLite)"
ready "$dynamodb" "visitsd (DynamoDB)"
log "stack up: $sqlite (SQLite), $dynamodb (DynamoDB), page $page"

count() {	# METHOD URL
	# curl's own User-Agent is on the crawler list (docs/api.md, Bots).
	curl -sS -A 'Mozilla/5.0 (X11; Linux x86_64) visitsd-test' -X "$1" -H "x-api-key: $key" "$2/api/visits/compose"
}
expect() {	# WANT GOT WHAT
	[ "$2" = "$1" ] || fail "$3: got '$2', want '$1'"
}
expect '{"user":"compose","visits":1,"unique":1}' "$(count POST "$sqlite")" "first POST on SQLite"
expect '{"user":"compose","visits":2,"unique":1}' "$(count POST "$sqlite")" "second POST on SQLite"
expect '{"user":"compose","visits":1,"unique":1}' "$(count POST "$dynamodb")" "first POST on DynamoDB"
expect '{"user":"compose","visits":2,"unique":1}' "$(count POST "$dynamodb")" "second POST on DynamoDB"
expect '{"user":"compose","visits":2,"unique":1}' "$(count GET "$dynamodb")" "GET on DynamoDB"
expect 403 "$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$sqlite/api/visits/compose")" \
    "POST without key"
curl -fsS "$dynamodb/metrics" | grep -q '^visitsd_build_info{.*store="dynamodb"' ||
    fail "the profile's visitsd does not run on DynamoDB"
log "counts through the stack on SQLite and DynamoDB"

html=$(curl -fsS "$page/") || fail "no counter page at $page/"
for want in "endpoint=http%3A%2F%2F127.0.0.1%3A$CHECK_PORT_SQLITE" \
    "endpoint=http%3A%2F%2F127.0.0.1%3A$CHECK_PORT_DYNAMODB" "key=$key"; do
	grep -qF "$want" <<<"$html" || fail "the page lacks $want"
done
curl -fsS "$page/example/" | grep -q "countVisit" || fail "no example page"
curl -fsS "$page/visits.js" | cmp -s - "$top/web/visits.js" || fail "visits.js differs from web/"
log "page $page serves the counters and web/visits.js"

dc restart visitsd >/dev/null 2>&1 || fail "compose restart visitsd"
ready "$sqlite" "visitsd (SQLite) after restart"
expect '{"user":"compose","visits":2,"unique":1}' "$(count GET "$sqlite")" "GET after restart (volume)"
log "the SQLite count survives a restart (named volume)"
log "ok"
