#!/bin/sh
# demo.sh: show the browser counter live.  Serves web/ (the example page and
# the client) on one origin and runs visitsd on another, allowing exactly
# that origin, with the SQLite store and the development key under ./var
# (the same ./var/dev-api-key that `make run` uses; created if missing).
#
#   scripts/demo.sh build/visitsd        (what `make demo` runs)
#   DEMO_API=127.0.0.1:8080 DEMO_WEB=127.0.0.1:8081   the defaults
#
# Ctrl-C stops both.  Not for production: the static server is Python's.
set -eu

bin=${1:-build/visitsd}
api=${DEMO_API:-127.0.0.1:8080}
web=${DEMO_WEB:-127.0.0.1:8081}
keyfile=var/dev-api-key

# The same key as `make run`: var/dev-api-key, created if missing.
key=$("$(dirname "$0")/dev-key.sh")

python3 -m http.server --bind "${web%:*}" --directory web "${web##*:}" \
    >var/demo-web.log 2>&1 &
pids=$!
trap 'kill $pids 2>/dev/null' EXIT
trap 'exit 130' INT TERM

cat <<MSG
visitsd demo: open this address in a browser (Ctrl-C here to stop):

    http://$web/example/?endpoint=http://$api&key=$key&user=demo

  (add &dedupe=1800 to count a reload once per half hour;
   the script-tag variant is at /example/script-tag.html with the same query)

MSG
unset VISITSD_API_KEY VISITSD_API_KEY_PARAMETER
VISITSD_LISTEN=$api \
VISITSD_ALLOWED_ORIGINS=http://$web \
VISITSD_STORE=sqlite \
VISITSD_SQLITE_PATH=var/visits.db \
VISITSD_API_KEY_FILE=$keyfile \
    "$bin" &
pids="$pids $!"
wait $!
