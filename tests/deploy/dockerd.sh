# dockerd.sh: sourced by the deployment checks that need a Docker daemon
# but may run on their own (check-deb.sh).  dockerd_ensure CACHE_DIR uses
# the dockerd that answers (DOCKER_HOST or the default socket) or starts a
# private one as check-docker.sh does (vfs storage, no iptables, no bridge,
# its data root in CACHE_DIR/root so the imported base images and layers
# are shared with check-docker); dockerd_stop stops only a daemon that
# dockerd_ensure started.  Sets DOCKER (the CLI) for the callers.
# shellcheck shell=bash

if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
export DOCKER
dockerd_pid=
dockerd_dir=

dockerd_ensure() {
	local cache=$1
	$DOCKER info >/dev/null 2>&1 && return 0
	mkdir -p "$cache"
	# A short private path: unix socket paths are limited to 108 bytes.
	dockerd_dir=$(mktemp -d /tmp/visitsd-dockerd.XXXXXX)
	export DOCKER_HOST=unix://$dockerd_dir/docker.sock
	dockerd --iptables=false --ip6tables=false --bridge=none \
	    --storage-driver=vfs --data-root="$cache/root" \
	    --exec-root="$dockerd_dir/exec" --pidfile="$dockerd_dir/dockerd.pid" \
	    --host="$DOCKER_HOST" >"$cache/dockerd.log" 2>&1 &
	dockerd_pid=$!
	for _ in $(seq 1 150); do
		$DOCKER info >/dev/null 2>&1 && return 0
		kill -0 "$dockerd_pid" 2>/dev/null || break
		sleep 0.2
	done
	tail -20 "$cache/dockerd.log" >&2
	echo "dockerd did not answer" >&2
	return 1
}

dockerd_stop() {
	[ -n "$dockerd_pid" ] || return 0
	kill "$dockerd_pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$dockerd_pid" 2>/dev/null || break
		sleep 0.2
	done
	# dockerd leaves its network namespace mounted under exec-root.
	awk -v d="$dockerd_dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts |
	    sort -r | while read -r m; do umount -l "$m" || true; done
	rm -rf "$dockerd_dir"
	dockerd_pid=
}
