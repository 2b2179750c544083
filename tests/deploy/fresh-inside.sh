#!/bin/sh
# fresh-inside.sh BUNDLE LOG_DIR: the part of check-fresh.sh that runs inside the
# fresh Debian 12 container, as a new user would after reading the README:
#
#  1. git clone the repository (a git bundle of the checkout's HEAD) into
#     /root/src/visitsd, where there is no ../shared beside it;
#  2. `make run` in the background; a POST /api/visits/fresh with the
#     development key (var/dev-api-key) must answer {"user":"fresh","visits":1,"unique":1};
#     SIGTERM stops the daemon cleanly;
#  3. `make check` must exit 0.
#
# The output of make run and make check goes to LOG_DIR/make-run.log and
# LOG_DIR/make-check.log (a folder of the host's); a summary to stdout.
#
# make run listens on port 0 (VISITSD_LISTEN=127.0.0.1:0; the port comes from
# its "listening on" line): the container shares the host's network, where
# 8080 may be taken.  Prints the time each phase took.
set -eu

bundle=${1:?usage: fresh-inside.sh BUNDLE LOG_DIR}
logs=${2:?usage: fresh-inside.sh BUNDLE LOG_DIR}
t0=$(date +%s)
phase_start=$t0
say() { echo "check-fresh: $*"; }
fail() { echo "check-fresh: FAIL: $*" >&2; exit 1; }
phase() {	# NAME: the time since the last phase
	now=$(date +%s)
	say "phase $1: $((now - phase_start)) s"
	phase_start=$now
}

say "inside: $(. /etc/os-release && echo "$PRETTY_NAME"), $(nproc) cores"
mkdir -p /root/src
cd /root/src
git -c advice.detachedHead=false clone -q "$bundle" visitsd
cd visitsd
[ ! -e ../shared ] || fail "/root/shared exists"
say "cloned $(git log -1 --format='%h %s')"
phase clone

# make run in a session and process group of its own (setsid), so that
# stopping it reaches the daemon that run-dev.sh exec()s.  (set -m would do
# the same in an interactive shell; without a terminal dash refuses it.)
VISITSD_LISTEN=127.0.0.1:0 setsid make run >"$logs/make-run.log" 2>&1 &
run=$!
addr=
for _ in $(seq 1 3000); do	# installing and building: up to 5 minutes
	addr=$(sed -n 's/.* listening on \([0-9.]*:[0-9]*\).*/\1/p' "$logs/make-run.log" | head -1)
	[ -n "$addr" ] && break
	kill -0 "$run" 2>/dev/null || { tail -30 "$logs/make-run.log" >&2; fail "make run exited"; }
	sleep 0.1
done
[ -n "$addr" ] || { tail -30 "$logs/make-run.log" >&2; fail "make run did not listen"; }
phase "make run (packages, build, start)"

key=$(cat var/dev-api-key)
answer=$(curl -sS -A 'Mozilla/5.0 (X11; Linux x86_64) visitsd-test' -X POST -H "x-api-key: $key" "http://$addr/api/visits/fresh")
[ "$answer" = '{"user":"fresh","visits":1,"unique":1}' ] ||
    { tail -30 "$logs/make-run.log" >&2; fail "POST answered '$answer'"; }
say "make run on $addr: POST /api/visits/fresh answered $answer"
# SIGTERM to the group, as Ctrl-C's SIGINT would: make itself exits
# non-zero on it, so the daemon's own "stopped" line tells a clean stop.
kill -TERM "-$run"
wait "$run" 2>/dev/null || true	# quiet: no "Terminated" from sh
grep -Eq '"msg":"stopped"|[[:space:]]stopped$' "$logs/make-run.log" ||
    { tail -30 "$logs/make-run.log" >&2; fail "the daemon did not stop cleanly on SIGTERM"; }
! curl -s -o /dev/null "http://$addr/healthz" || fail "still answering on $addr after SIGTERM"
phase "POST and stop"

if ! make check >"$logs/make-check.log" 2>&1; then
	tail -60 "$logs/make-check.log" >&2
	fail "make check failed (log above)"
fi
grep -E '^[0-9]+%: Checks|SigV4 conformance suite:|^check-[a-z]+:|^# (pass|fail) ' \
    "$logs/make-check.log" || true
phase "make check"
say "inside: node $(node --version), npm $(npm --version), $(($(date +%s) - t0)) s"
