#!/bin/sh
# profile.sh: the profiles of docs/performance.md.  visitsd on SQLite pinned
# to CPU 0, wrk POST at 32 connections (ids drawn from 100) on CPU 1;
# `perf record -e cpu-clock -g` of the daemon for the run, then the same
# load on the daemon under callgrind (instruction counts; valgrind slows it
# some 50 times, so its figures are per request, not per second).
#
#   bench/profile.sh [build/visitsd] [OUT_DIR]     (scripts/deps.sh bench)
# Writes OUT_DIR/perf.data, perf-report.txt (children and self),
# callgrind.out and callgrind.txt; PROFILE_SECONDS (10) per run.
set -eu

bin=$(realpath "${1:-build/visitsd}")
out=$(realpath -m "${2:-build/profile}")
secs=${PROFILE_SECONDS:-10}
key=profile-$$
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/visitsd-profile-XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT

cat >"$tmp/post.lua" <<LUA
local reqs = {}
function init(args)
  wrk.headers["x-api-key"] = "$key"
  wrk.headers["Content-Length"] = "0"
  for i = 1, 100 do reqs[i] = wrk.format("POST", "/api/visits/bench-" .. (i - 1)) end
end
request = function() return reqs[math.random(1, #reqs)] end
LUA
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# daemon PREFIX...: visitsd under PREFIX (perf or valgrind) on CPU 0.
daemon() {
	env VISITSD_LISTEN=127.0.0.1:$port VISITSD_API_KEY=$key VISITSD_AUTH=key \
	    VISITSD_RATE_LIMIT=0 VISITSD_MAX_CONNECTIONS_PER_CLIENT=0 \
	    VISITSD_LOG_FORMAT=json VISITSD_SQLITE_PATH=$tmp/visits-$1.db \
	    taskset -c 0 "$@" "$bin" 2>"$tmp/log-$1" &
	pid=$!
	i=0
	until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
		i=$((i + 1)); [ $i -lt 600 ] || { cat "$tmp/log-$1" >&2; exit 1; }
		sleep 0.1
	done
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
daemon perf record -e cpu-clock -g -o "$out/perf.data" --
taskset -c 1 wrk -t2 -c32 -d"${secs}s" -s "$tmp/post.lua" "http://127.0.0.1:$port/" | tee "$out/wrk-perf.txt"
kill -INT "$pid"; wait "$pid" || true; pid=
perf report -i "$out/perf.data" --no-children --sort symbol --stdio 2>/dev/null | head -n 80 >"$out/perf-report.txt"
perf report -i "$out/perf.data" --children --sort symbol --stdio -g none 2>/dev/null | head -n 80 >"$out/perf-report-children.txt"
perf report -i "$out/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | head -n 30 >"$out/perf-report-dso.txt"
echo "load average after perf: $(cut -d' ' -f1-3 /proc/loadavg)"

daemon valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" --
taskset -c 1 wrk -t2 -c32 -d"${secs}s" -s "$tmp/post.lua" "http://127.0.0.1:$port/" | tee "$out/wrk-callgrind.txt"
kill -TERM "$pid"; wait "$pid" || true; pid=
callgrind_annotate --inclusive=no "$out/callgrind.out" 2>/dev/null | head -n 60 >"$out/callgrind.txt"
callgrind_annotate --inclusive=yes "$out/callgrind.out" 2>/dev/null | head -n 60 >"$out/callgrind-inclusive.txt"
echo "load average after callgrind: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "profile: $out"
