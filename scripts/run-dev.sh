#!/bin/sh
# run-dev.sh: run visitsd for development, as `make run` does.
#
#   scripts/run-dev.sh build/visitsd [visitsd flags...]
#
# Keeps its state under ./var (mode 0700): the SQLite file and a random
# development API key created on the first run (var/dev-api-key, mode 0600)
# and reused afterwards.  Prints the key and a curl command to try, then
# replaces itself with the daemon on 127.0.0.1:8080 (or $VISITSD_LISTEN).
set -eu

bin=${1:?usage: $0 path/to/visitsd [flags...]}
shift

keyfile=var/dev-api-key
key=$("$(dirname "$0")/dev-key.sh")

listen=${VISITSD_LISTEN:-127.0.0.1:8080}
case $listen in
*:0) url="http://<the address in the 'listening on' line>" ;;
0.0.0.0:*) url="http://127.0.0.1:${listen##*:}" ;;
\[::\]:*) url="http://[::1]:${listen##*:}" ;;
*) url="http://$listen" ;;
esac

cat <<MSG
visitsd development run
  API key (in $keyfile): $key
  Try:
    curl -X POST -H 'x-api-key: $key' $url/api/visits/demo
    curl -H 'x-api-key: $key' $url/api/visits/demo
  Stop with Ctrl-C.

MSG

# The development key file is the one key source.
unset VISITSD_API_KEY VISITSD_API_KEY_PARAMETER
export VISITSD_LISTEN="$listen"
export VISITSD_API_KEY_FILE="$keyfile"
export VISITSD_SQLITE_PATH=var/visits.db
exec "$bin" "$@"
