#!/bin/sh
# bench.sh: POST (and GET) throughput of visitsd on the SQLite store, with
# wrk on loopback.  A figure for docs/performance.md, not a test.
#
#   scripts/bench.sh [build/visitsd]            (or: make bench)
#
# It starts its own daemon on a free loopback port with a fresh database in
# a temporary folder and a throwaway key, runs wrk for each connection count
# (POST on one id, then GET), prints requests per second, checks that the
# final count equals the POSTs wrk saw answered, and stops the daemon.
# Environment: BENCH_CONNECTIONS (default "16 256"), BENCH_DURATION (10s),
# BENCH_THREADS (wrk threads, 2); VISITSD_* settings pass through to the
# daemon (e.g. VISITSD_THREADS, VISITSD_SQLITE_PATH to bench another disk).
set -eu

bin=${1:-build/visitsd}
conns=${BENCH_CONNECTIONS:-16 256}
duration=${BENCH_DURATION:-10s}
wthreads=${BENCH_THREADS:-2}
key=bench-$$

command -v wrk >/dev/null 2>&1 || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench: $bin is not built (make)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/visitsd-bench-XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

: >"$tmp/log"
# wrk's connections all come from 127.0.0.1: no per-address cap (a
# daemon that has one refuses past it, as it should).
VISITSD_LISTEN=127.0.0.1:0 VISITSD_API_KEY=$key VISITSD_AUTH=key \
VISITSD_MAX_CONNECTIONS_PER_CLIENT=${VISITSD_MAX_CONNECTIONS_PER_CLIENT:-0} \
VISITSD_LOG_FORMAT=json VISITSD_SQLITE_PATH=${VISITSD_SQLITE_PATH:-$tmp/visits.db} \
    "$bin" 2>"$tmp/log" &
pid=$!

addr=
i=0
while [ -z "$addr" ] && [ $i -lt 100 ]; do
	addr=$(sed -n 's/.*listening on \([^ ]*\) .*/\1/p' "$tmp/log" | head -n 1)
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/log" >&2; echo "bench: visitsd exited" >&2; exit 1; }
	[ -n "$addr" ] || { sleep 0.1; i=$((i + 1)); }
done
[ -n "$addr" ] || { cat "$tmp/log" >&2; echo "bench: visitsd did not start" >&2; exit 1; }
url=http://$addr/api/visits/bench

cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["x-api-key"] = "$key"
wrk.headers["Content-Length"] = "0"
EOF
cat >"$tmp/get.lua" <<EOF
wrk.method = "GET"
wrk.headers["x-api-key"] = "$key"
EOF

echo "visitsd bench: $(uname -m), $(nproc) CPU, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
echo "store sqlite at ${VISITSD_SQLITE_PATH:-$tmp/visits.db} ($(df -T "$tmp" | awk 'NR == 2 { print $2 }')), wrk -t$wthreads -d$duration"

# Run wrk; print "METHOD c=N  R req/s  (E errors, X non-2xx)"; add POSTs.
posts=0
run() {
	method=$1 c=$2
	lua=$tmp/$(echo "$method" | tr 'A-Z' 'a-z').lua
	t=$wthreads
	[ "$c" -lt "$t" ] && t=$c	# wrk needs a connection per thread
	wrk -t"$t" -c"$c" -d"$duration" -s "$lua" "$url" >"$tmp/wrk" 2>&1 ||
	    { cat "$tmp/wrk" >&2; exit 1; }
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk")
	total=$(awk '/requests in/ { print $1 }' "$tmp/wrk")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk")
	errs=$(awk '/Socket errors/ { print }' "$tmp/wrk")
	lat=$(awk '/^    Latency/ { print $2 " avg, " $4 " max" }' "$tmp/wrk")
	printf '%-4s c=%-4s %10s req/s  latency %s  (%s requests, %s non-2xx)%s\n' \
	    "$method" "$c" "$rps" "$lat" "$total" "${non2xx:-0}" "${errs:+ $errs}"
	[ "$method" = POST ] && [ -z "$non2xx" ] && posts=$((posts + total))
	return 0
}

for c in $conns; do
	run POST "$c"
done
for c in $conns; do
	run GET "$c"
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
count=$(curl -s -H "x-api-key: $key" "$url" | sed -n 's/.*"visits":\([0-9]*\).*/\1/p')
echo "count after the run: $count (wrk saw $posts POSTs answered; requests cut off by wrk's deadline may add a few)"
