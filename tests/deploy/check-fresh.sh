#!/bin/bash
# check-fresh.sh CACHE_DIR: the README's two commands on a fresh Debian 12.
#
#  1. A Docker daemon (dockerd.sh: the one that answers, or a private one
#     with its data root under CACHE_DIR).
#  2. debian:bookworm from the machine's Debian mirror (debian-base.sh: a
#     minbase debootstrap, its tarball cached in CACHE_DIR), plus what the
#     issue's new user has: git, make, curl and ca-certificates.  The
#     machine's own CA certificates (/usr/local/share/ca-certificates/*.crt)
#     and /etc/npmrc go in when present, since the package registries may be
#     reached through a TLS proxy.  That image is cached as visitsd-fresh:base.
#  3. A git bundle of this checkout's HEAD (committed work only), and in a
#     container of that image (--network host, as the private dockerd has no
#     bridge): fresh-inside.sh clones it where no ../shared exists, checks
#     that `make run` answers a POST with a count, and runs `make check`,
#     which installs every test dependency from Debian (Node.js 18 among
#     them) and npm.  Their logs stay in CACHE_DIR/fresh/out.
#
# Prints the time of each phase.  Runs as root (debootstrap, dockerd), as
# do the commands inside.
set -euo pipefail

cache=$(mkdir -p "${1:?usage: check-fresh.sh CACHE_DIR}" && cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
image=visitsd-fresh:base
name=visitsd-fresh-$$
work=$cache/fresh
ran=

if [ -x /usr/bin/docker ]; then docker=/usr/bin/docker; else docker=docker; fi
export DOCKER="$docker"
# shellcheck source=tests/deploy/dockerd.sh
. "$here/dockerd.sh"

t0=$(date +%s)
phase_start=$t0
log() { echo "check-fresh: $*"; }
fail() { echo "check-fresh: FAIL: $*" >&2; exit 1; }
phase() {
	local now
	now=$(date +%s)
	log "phase $1: $((now - phase_start)) s"
	phase_start=$now
}
cleanup() {
	[ -z "$ran" ] || $docker rm -f "$name" >/dev/null 2>&1 || true
	dockerd_down
}
trap cleanup EXIT

dockerd_up "$cache"
phase dockerd
"$here/debian-base.sh" "$cache"
phase "debian:bookworm (debootstrap, cached)"

# The image of a fresh machine.  Its context holds only what goes into it.
rm -rf "$work" && mkdir -p "$work/context/ca"
ca=
for c in /usr/local/share/ca-certificates/*.crt; do
	[ -f "$c" ] || continue
	cp "$c" "$work/context/ca/"
	ca=1
done
npmrc=
[ ! -f /etc/npmrc ] || { cp /etc/npmrc "$work/context/npmrc"; npmrc=1; }
{
	echo "FROM debian:bookworm"
	[ -z "$ca" ] || echo "COPY ca/ /usr/local/share/ca-certificates/"
	[ -z "$npmrc" ] || echo "COPY npmrc /etc/npmrc"
	echo "RUN apt-get update \\"
	echo " && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git make curl ca-certificates \\"
	echo " && update-ca-certificates \\"
	echo " && rm -rf /var/lib/apt/lists/*"
} >"$work/context/Dockerfile"
log "building $image (git, make, curl, ca-certificates${ca:+, the host CA certificates}${npmrc:+, /etc/npmrc})"
$docker build --force-rm --network host -t "$image" "$work/context" \
    >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; fail "docker build"; }
phase "$image"

# What the new user clones: this checkout's committed HEAD.
[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] ||
    log "note: uncommitted changes in $top are not tested, only HEAD"
mkdir -p "$work/in" "$work/out"
git -C "$top" bundle create "$work/in/visitsd.bundle" HEAD 2>/dev/null
cp "$here/fresh-inside.sh" "$work/in/"
log "testing $(git -C "$top" log -1 --format='%h %s')"

# /dev/shm large enough for Chromium; --init reaps what the tests leave.
ran=1
$docker run --name "$name" --network host --init --shm-size=1g \
    -v "$work/in:/fresh:ro" -v "$work/out:/out" "$image" \
    sh /fresh/fresh-inside.sh /fresh/visitsd.bundle /out ||
    fail "the fresh Debian 12 did not pass (output above; logs in $work/out)"
phase "inside the container"
log "ok: $(($(date +%s) - t0)) s in all"
