#!/bin/bash
# healthcheck.sh: the container's HEALTHCHECK.  GET /healthz on the port of
# VISITSD_LISTEN and succeed on a 200, with bash's /dev/tcp so the image
# needs no curl or wget.  A wildcard listen address is reached on loopback.
set -u

listen=${VISITSD_LISTEN:-127.0.0.1:8080}
port=${listen##*:}
host=${listen%:*}
host=${host#[}
host=${host%]}
case $host in
'' | 0.0.0.0 | '*') host=127.0.0.1 ;;
::) host=::1 ;;
esac

exec 3<>"/dev/tcp/$host/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
IFS=' ' read -r -t 5 _ status _ <&3 || exit 1
[ "$status" = 200 ]
