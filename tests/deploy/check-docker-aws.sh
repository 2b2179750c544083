#!/bin/bash
# check-docker-aws.sh IMAGE: the image switched to AWS by its environment
# alone, as the ECS task definition does: VISITSD_STORE=dynamodb, the key
# from an SSM parameter, credentials from the ECS container endpoint.  AWS
# is the peer of tests/harness (aws-peer.mjs) on a free loopback port; the
# container shares the host network.  Checks POST, GET, the SSM key,
# /readyz, and zero signature rejections.
#
# Called by check-docker.sh with DOCKER and DOCKER_HOST set.
set -euo pipefail

image=${1:?usage: check-docker-aws.sh IMAGE}
docker=${DOCKER:-docker}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
name=visitsd-aws-$$
tmp=$(mktemp -d)
peer=
cleanup() {
	$docker rm -f "$name" >/dev/null 2>&1 || true
	[ -z "$peer" ] || kill "$peer" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

log() { echo "check-docker-aws: $*"; }
fail() {
	echo "check-docker-aws: FAIL: $*" >&2
	$docker logs "$name" 2>&1 | tail -20 >&2 || true
	exit 1
}

node "$top/tests/harness/aws-peer.mjs" </dev/null >"$tmp/peer.json" \
    2>"$tmp/peer.log" &
peer=$!
for _ in $(seq 1 100); do
	[ -s "$tmp/peer.json" ] && break
	kill -0 "$peer" 2>/dev/null || { cat "$tmp/peer.log" >&2; fail "peer exited"; }
	sleep 0.1
done
field() { node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]); console.log(j[process.argv[2]])' "$tmp/peer.json" "$1"; }
endpoint=$(field endpoint)
key=$(field apiKey)

port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
base=http://127.0.0.1:$port
$docker run -d --name "$name" --network host --read-only \
    -e VISITSD_LISTEN="127.0.0.1:$port" \
    -e VISITSD_STORE=dynamodb \
    -e VISITSD_DYNAMODB_TABLE="$(field table)" \
    -e VISITSD_API_KEY_PARAMETER="$(field parameter)" \
    -e AWS_REGION="$(field region)" \
    -e AWS_ENDPOINT_URL="$endpoint" \
    -e AWS_CONTAINER_CREDENTIALS_FULL_URI="$(field containerFullUri)" \
    -e AWS_CONTAINER_AUTHORIZATION_TOKEN="$(field containerToken)" \
    "$image" >/dev/null
for _ in $(seq 1 150); do
	curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break
	[ "$($docker inspect -f '{{.State.Running}}' "$name")" = true ] ||
	    fail "container exited: $($docker inspect -f '{{.State.ExitCode}}' "$name")"
	sleep 0.1
done
curl -fsS -o /dev/null "$base/readyz" || fail "/readyz never 200 on DynamoDB"

for want in 1 2; do
	got=$(curl -sS -A 'Mozilla/5.0 (X11; Linux x86_64) visitsd-test' -X POST -H "x-api-key: $key" "$base/api/visits/home")
	[ "$got" = "{\"user\":\"home\",\"visits\":$want,\"unique\":1}" ] || fail "POST $want: $got"
done
got=$(curl -sS -H "x-api-key: $key" "$base/api/visits/home")
[ "$got" = '{"user":"home","visits":2,"unique":1}' ] || fail "GET: $got"
got=$(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'x-api-key: wrong' "$base/api/visits/home")
[ "$got" = 403 ] || fail "wrong key: $got"
counters=$(curl -fsS "$endpoint/__harness/counters")
summary=$(echo "$counters" | node -e '
let s = "";
process.stdin.on("data", (d) => s += d).on("end", () => {
	const j = JSON.parse(s), u = j.ops.UpdateItem ?? {};
	console.log(`${j.rejections} ${u.applied} ${(u.bySource ?? {}).container ?? 0}`);
});')
read -r rejections applied fromcontainer <<<"$summary"
[ "$rejections" = 0 ] || fail "signature rejections: $counters"
[ "$applied" = 2 ] || fail "UpdateItem applied $applied times, want 2: $counters"
[ "$fromcontainer" -gt 0 ] || fail "no request signed with container credentials: $counters"
$docker stop -t 20 "$name" >/dev/null
[ "$($docker inspect -f '{{.State.ExitCode}}' "$name")" = 0 ] || fail "exit status after stop"
log "DynamoDB store, SSM key, container credentials: ok"
