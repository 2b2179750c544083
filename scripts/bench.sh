#!/bin/sh
# bench.sh: make bench.  visitsd beside libmicrohttpd alone, nginx, Express +
# AWS SDK v3 and Flask + boto3, side by side in one run, and issue 12's
# targets with the ratios measured (bench/bench.mjs; docs/performance.md).
# A figure, not a test: make check never runs it.
#
#   scripts/bench.sh [build/visitsd]         (make bench)
#   BENCH_QUICK=1 scripts/bench.sh           (2 s rows: a smoke run)
#
# It needs what `scripts/deps.sh bench` installs (wrk, nginx, gunicorn,
# Flask, boto3, Node.js), the AWS test peer's modules (tests/node_modules)
# and the bench's own (bench/node_modules: Express, @aws-sdk/client-dynamodb),
# which `make bench` installs; it builds bench/mhd_static.c itself.
# First, with nothing else running, the bot matcher's cost (build/bench_bot,
# built by make bench): ns per bot_match on the browser and the crawler
# User-Agents of tests/data/bots/.
set -eu

bin=${1:-build/visitsd}
here=$(cd "$(dirname "$0")/.." && pwd)
build=$(dirname "$bin")

for t in wrk nginx gunicorn taskset node; do
	command -v "$t" >/dev/null 2>&1 ||
	    { echo "bench: $t is missing (scripts/deps.sh bench)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "bench: $bin is not built (make)" >&2; exit 1; }
[ -d "$here/tests/node_modules" ] ||
    { echo "bench: tests/node_modules is missing (make node-deps)" >&2; exit 1; }
[ -d "$here/bench/node_modules" ] ||
    { echo "bench: bench/node_modules is missing (make bench-deps)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] ||
    echo "bench: one CPU only: server and load share it, ratios mean less" >&2

mkdir -p "$build/bench"
mhd=$build/bench/mhd_static
if [ ! -x "$mhd" ] || [ "$here/bench/mhd_static.c" -nt "$mhd" ]; then
	# shellcheck disable=SC2046
	${CC:-cc} -O2 -Wall -Wextra -o "$mhd" "$here/bench/mhd_static.c" \
	    $(pkg-config --cflags --libs libmicrohttpd) -pthread
fi
bench_bot=${BENCH_BOT:-$build/bench_bot}
if [ -x "$bench_bot" ]; then
	"$bench_bot" "$here/tests/data/bots/browsers.txt" "$here/tests/data/bots/crawlers.txt"
else
	echo "bench: $bench_bot is not built (make bench builds it): no bot_match figure"
fi
exec node "$here/bench/bench.mjs" "$bin" "$mhd"
