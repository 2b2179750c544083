#!/bin/sh
# debian-base.sh CACHE_DIR: make the images the Dockerfile starts FROM
# (debian:bookworm and debian:bookworm-slim) exist in the running dockerd,
# without a registry: a minbase debootstrap of bookworm from the Debian
# mirror this machine's apt uses, cached as CACHE_DIR/debian-bookworm.tar,
# then `docker import`ed under both names.  Its apt sources point at the same
# mirror, so `apt-get install` in a build stage works here.
set -eu

cache=${1:?usage: debian-base.sh CACHE_DIR}
docker=${DOCKER:-docker}
here=$(cd "$(dirname "$0")" && pwd)
tarball=$cache/debian-bookworm.tar

if $docker image inspect debian:bookworm >/dev/null 2>&1 &&
    $docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
	exit 0
fi

if [ ! -s "$tarball" ]; then
	mirrors=$("$here/debian-mirror.sh")
	main=$(echo "$mirrors" | awk '$1 == "main" { print $2 }')
	security=$(echo "$mirrors" | awk '$1 == "security" { print $2 }')
	root=$cache/debian-bookworm.root
	rm -rf "$root"
	mkdir -p "$cache"
	echo "debian-base: debootstrap bookworm from $main"
	debootstrap --variant=minbase bookworm "$root" "$main" \
	    >"$cache/debootstrap.log" 2>&1 || {
		tail -20 "$cache/debootstrap.log" >&2
		exit 1
	}
	{
		echo "deb $main bookworm main"
		echo "deb $main bookworm-updates main"
		[ -z "$security" ] || echo "deb $security bookworm-security main"
	} >"$root/etc/apt/sources.list"
	# What the official images do: no caches, no recommends.
	printf 'APT::Install-Recommends "false";\n' \
	    >"$root/etc/apt/apt.conf.d/90norecommends"
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
	    "$root"/var/cache/apt/archives/*.deb
	tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
	rm -rf "$root"
fi

$docker import "$tarball" debian:bookworm >/dev/null
$docker tag debian:bookworm debian:bookworm-slim
echo "debian-base: imported debian:bookworm and debian:bookworm-slim"
