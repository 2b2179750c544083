#!/bin/sh
# dev-key.sh: the development API key of `make run` and `make demo`.
#
# Creates ./var (mode 0700) and, on the first call, var/dev-api-key (mode
# 0600) holding 16 random bytes as 32 hex characters; later calls reuse it.
# Prints the key on stdout.  Never for production keys.
set -eu

umask 077
mkdir -p var
chmod 700 var
keyfile=var/dev-api-key
if [ ! -s "$keyfile" ]; then
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$keyfile.tmp"
	echo >> "$keyfile.tmp"
	mv "$keyfile.tmp" "$keyfile"
fi
chmod 600 "$keyfile"
tr -d ' \n' < "$keyfile"
