#!/bin/sh
# bench-limiter.sh: POST (and GET) throughput of visitsd on the SQLite store, with
# wrk on loopback.  A figure for docs/performance.md, not a test.
#
#   scripts/bench-limiter.sh [build/visitsd]    (make bench-limiter)
#
# The rate limiter's and unique visitors' on/off comparisons of
# docs/performance.md; `make bench`
# (scripts/bench.sh) is the side-by-side table of issue 12.
#
# It starts its own daemon on a free loopback port with a fresh database in
# a temporary folder and a throwaway key, runs wrk for each connection count
# (POST on one id, then GET), prints requests per second, checks that the
# final count equals the POSTs wrk saw answered, and stops the daemon.
# Then the rate limiter's cost: POST on a second daemon with the limiter on
# at a rate that never limits (VISITSD_RATE_LIMIT=1000000, one client),
# beside the first with it off, alternated per connection count, with the
# ratio on/off.  The first daemon runs with VISITSD_RATE_LIMIT=0 unless
# the environment sets it (wrk is one client: the default limit would
# answer nearly everything 429).  Last, unique visitors' cost: POST on a
# third daemon with VISITSD_UNIQUE_VISITORS=false beside the first (on),
# once as one visitor (every POST a repeat) and once with a new
# User-Agent per request (every POST a new visitor), alternated.
# Environment: BENCH_CONNECTIONS (default "16 256"), BENCH_DURATION (10s),
# BENCH_LIMITER_ROUNDS (off/on pairs per connection count, 2),
# BENCH_THREADS (wrk threads, 2); VISITSD_* settings pass through to the
# daemon (e.g. VISITSD_THREADS, VISITSD_SQLITE_PATH to bench another disk).
set -eu

bin=${1:-build/visitsd}
conns=${BENCH_CONNECTIONS:-16 256}
duration=${BENCH_DURATION:-10s}
wthreads=${BENCH_THREADS:-2}
rounds=${BENCH_LIMITER_ROUNDS:-2}
key=bench-$$

command -v wrk >/dev/null 2>&1 || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "bench: $bin is not built (make)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/visitsd-bench-XXXXXX")
pid=
pid_rl=
pid_nu=
cleanup() {
	for p in $pid $pid_rl $pid_nu; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# start LOG DB [VAR=value...]: a daemon in the background; sets started
# (its pid) and addr (its host:port).
start() {
	log=$1 db=$2
	shift 2
	: >"$log"
	# wrk's connections all come from 127.0.0.1: no per-address cap (a
	# daemon that has one refuses past it, as it should).
	env VISITSD_LISTEN=127.0.0.1:0 VISITSD_API_KEY=$key VISITSD_AUTH=key \
	    VISITSD_MAX_CONNECTIONS_PER_CLIENT=${VISITSD_MAX_CONNECTIONS_PER_CLIENT:-0} \
	    VISITSD_LOG_FORMAT=json VISITSD_SQLITE_PATH=$db "$@" \
	    "$bin" 2>"$log" &
	started=$!
	addr=
	i=0
	while [ -z "$addr" ] && [ $i -lt 100 ]; do
		addr=$(sed -n 's/.*listening on \([^ ]*\) .*/\1/p' "$log" | head -n 1)
		kill -0 "$started" 2>/dev/null || { cat "$log" >&2; echo "bench: visitsd exited" >&2; exit 1; }
		[ -n "$addr" ] || { sleep 0.1; i=$((i + 1)); }
	done
	[ -n "$addr" ] || { cat "$log" >&2; echo "bench: visitsd did not start" >&2; exit 1; }
}

start "$tmp/log" "${VISITSD_SQLITE_PATH:-$tmp/visits.db}" \
    VISITSD_RATE_LIMIT="${VISITSD_RATE_LIMIT:-0}"
pid=$started
url=http://$addr/api/visits/bench
start "$tmp/log-rl" "$tmp/visits-rl.db" VISITSD_RATE_LIMIT=1000000 \
    VISITSD_RATE_BURST=1000000
pid_rl=$started
url_rl=http://$addr/api/visits/bench
start "$tmp/log-nu" "$tmp/visits-nu.db" VISITSD_RATE_LIMIT=0 \
    VISITSD_UNIQUE_VISITORS=false
pid_nu=$started
url_nu=http://$addr/api/visits/bench

cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["x-api-key"] = "$key"
wrk.headers["Content-Length"] = "0"
EOF
# Every request a new visitor: a User-Agent of its own.
cat >"$tmp/postnew.lua" <<EOF
wrk.method = "POST"
wrk.headers["x-api-key"] = "$key"
wrk.headers["Content-Length"] = "0"
local n = 0
request = function()
	n = n + 1
	wrk.headers["User-Agent"] = "bench-visitor-" .. n .. "-" .. math.random(1000000000)
	return wrk.format()
end
EOF
cat >"$tmp/get.lua" <<EOF
wrk.method = "GET"
wrk.headers["x-api-key"] = "$key"
EOF

echo "visitsd bench: $(uname -m), $(nproc) CPU, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
echo "store sqlite at ${VISITSD_SQLITE_PATH:-$tmp/visits.db} ($(df -T "$tmp" | awk 'NR == 2 { print $2 }')), wrk -t$wthreads -d$duration"

# Run wrk; print "METHOD c=N  R req/s  (E errors, X non-2xx)"; add POSTs.
# run METHOD C [URL [LABEL [PID]]]; rps is left set to the figure, and
# with PID, cpu to that daemon's CPU time per request in microseconds
# (user + system, from /proc: steadier than req/s on a shared machine).
posts=0
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
run() {
	method=$1 c=$2 target=${3:-$url} label=${4:-$1} cpid=${5:-}
	[ -n "$cpid" ] && t0=$(ticks "$cpid")
	lua=$tmp/$(echo "$method" | tr 'A-Z' 'a-z').lua
	t=$wthreads
	[ "$c" -lt "$t" ] && t=$c	# wrk needs a connection per thread
	wrk -t"$t" -c"$c" -d"$duration" -s "$lua" "$target" >"$tmp/wrk" 2>&1 ||
	    { cat "$tmp/wrk" >&2; exit 1; }
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$tmp/wrk")
	total=$(awk '/requests in/ { print $1 }' "$tmp/wrk")
	non2xx=$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk")
	errs=$(awk '/Socket errors/ { print }' "$tmp/wrk")
	lat=$(awk '/^    Latency/ { print $2 " avg, " $4 " max" }' "$tmp/wrk")
	cpu= cpu_text=
	if [ -n "$cpid" ]; then
		cpu=$(awk -v a="$t0" -v b="$(ticks "$cpid")" -v hz="$hz" -v n="$total" \
		    'BEGIN { printf "%.1f", (b - a) / hz * 1e6 / n }')
		cpu_text=", $cpu us CPU/request"
	fi
	printf '%-4s c=%-4s %10s req/s  latency %s  (%s requests, %s non-2xx%s)%s\n' \
	    "$label" "$c" "$rps" "$lat" "$total" "${non2xx:-0}" "$cpu_text" "${errs:+ $errs}"
	[ "$target" = "$url" ] && [ "${method#POST}" != "$method" ] && [ -z "$non2xx" ] &&
	    posts=$((posts + total))
	return 0
}

for c in $conns; do
	run POST "$c"
done
for c in $conns; do
	run GET "$c"
done

echo "rate limiter: POST with it off, then on at a rate that never limits (one client), $rounds rounds"
for c in $conns; do
	sum_off=0 sum_on=0 cpu_off=0 cpu_on=0 r=0
	while [ $r -lt "$rounds" ]; do
		run POST "$c" "$url" "POST limiter off" "$pid"
		sum_off=$(awk -v a="$sum_off" -v b="$rps" 'BEGIN { print a + b }')
		cpu_off=$(awk -v a="$cpu_off" -v b="$cpu" 'BEGIN { print a + b }')
		run POST "$c" "$url_rl" "POST limiter on " "$pid_rl"
		sum_on=$(awk -v a="$sum_on" -v b="$rps" 'BEGIN { print a + b }')
		cpu_on=$(awk -v a="$cpu_on" -v b="$cpu" 'BEGIN { print a + b }')
		r=$((r + 1))
	done
	awk -v on="$sum_on" -v off="$sum_off" -v con="$cpu_on" -v coff="$cpu_off" \
	    -v c="$c" 'BEGIN {
	    printf "limiter c=%-4s throughput on/off = %.3f (%+.1f%%); CPU per request on/off = %.3f (%+.1f%%); sums of the rounds\n",
	        c, on / off, (on / off - 1) * 100, con / coff, (con / coff - 1) * 100 }'
done

echo "unique visitors: POST with counting off, on (one visitor: every POST a repeat), on (every POST a new visitor), $rounds rounds"
for c in $conns; do
	sum_off=0 sum_one=0 sum_new=0 r=0
	while [ $r -lt "$rounds" ]; do
		run POST "$c" "$url_nu" "POST uniques off" "$pid_nu"
		sum_off=$(awk -v a="$sum_off" -v b="$rps" 'BEGIN { print a + b }')
		run POST "$c" "$url" "POST uniques on, one visitor" "$pid"
		sum_one=$(awk -v a="$sum_one" -v b="$rps" 'BEGIN { print a + b }')
		run POSTNEW "$c" "$url" "POST uniques on, new visitors" "$pid"
		sum_new=$(awk -v a="$sum_new" -v b="$rps" 'BEGIN { print a + b }')
		r=$((r + 1))
	done
	awk -v off="$sum_off" -v one="$sum_one" -v new="$sum_new" -v c="$c" 'BEGIN {
	    printf "uniques c=%-4s throughput one visitor/off = %.3f (%+.1f%%); new visitors/off = %.3f (%+.1f%%); sums of the rounds\n",
	        c, one / off, (one / off - 1) * 100, new / off, (new / off - 1) * 100 }'
done

echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
count=$(curl -s -H "x-api-key: $key" "$url" | sed -n 's/.*"visits":\([0-9]*\).*/\1/p')
echo "count after the run: $count (wrk saw $posts POSTs answered; requests cut off by wrk's deadline may add a few)"
