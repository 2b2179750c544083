#!/usr/bin/env bash
# with-harness.sh CMD [ARGS...]: run CMD with the AWS test peer
# (tests/harness/aws-peer.mjs) running on a free loopback port, and the
# environment pointing at it: AWS_ENDPOINT_URL, AWS_REGION, the peer's
# static key in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, every other
# credential source switched off, and VISITSD_TEST_AWS_CONTROL (its
# control API) for tests that inject faults or read its counters.
# The peer is stopped when CMD ends; CMD's exit status is returned.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
info=$(mktemp "${TMPDIR:-/tmp}/visitsd-harness.XXXXXX")
node "$here/harness/aws-peer.mjs" >"$info" </dev/null &
peer=$!
trap 'kill "$peer" 2>/dev/null || true; wait "$peer" 2>/dev/null || true; rm -f "$info"' EXIT

for _ in $(seq 300); do
	[ -s "$info" ] && break
	kill -0 "$peer" 2>/dev/null || { echo "with-harness: aws-peer died" >&2; exit 1; }
	sleep 0.1
done
[ -s "$info" ] || { echo "with-harness: aws-peer did not start" >&2; exit 1; }

field() { node -e 'const i = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]); process.stdout.write(String(i[process.argv[2]]))' "$info" "$1"; }

unset AWS_PROFILE AWS_SESSION_TOKEN AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN \
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_ENDPOINT_URL_DYNAMODB \
    AWS_ENDPOINT_URL_SSM AWS_DEFAULT_REGION
export AWS_ENDPOINT_URL="$(field endpoint)"
export AWS_REGION="$(field region)"
export AWS_ACCESS_KEY_ID="$(field accessKeyId)"
export AWS_SECRET_ACCESS_KEY="$(field secretAccessKey)"
export AWS_EC2_METADATA_DISABLED=true
export AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials
export AWS_CONFIG_FILE=/nonexistent/config
export VISITSD_TEST_AWS_CONTROL="$(field control)"

set +e
"$@"
rc=$?
set -e
exit $rc
