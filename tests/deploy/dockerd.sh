# dockerd.sh: a Docker daemon for the container checks, sourced (bash) by
# check-docker.sh and check-fresh.sh.
#
#   dockerd_up CACHE_DIR   use the dockerd that answers (DOCKER_HOST or the
#                          default socket), or start a private one: vfs
#                          storage, no iptables, no bridge (containers run
#                          with --network host), its data root under
#                          CACHE_DIR/root so images and the layer cache
#                          outlive it; exports DOCKER_HOST for it
#   dockerd_down           stop the private one and clean up after it (call
#                          from the EXIT trap; harmless when none was started)
#
# Expects $docker (the CLI) and a fail function.  Callers export DOCKER=$docker
# for the scripts they run.  Two private daemons on one
# data root would corrupt it, so a lock on CACHE_DIR makes a second check
# wait for the first.

dockerd_pid=
dockerd_run_dir=

dockerd_up() {
	local cache=$1
	# One that answers already (a caller's, through DOCKER_HOST) needs no
	# lock: a nested check such as check-deb.sh under check-docker.sh would
	# otherwise wait on its own parent's lock.
	$docker info >/dev/null 2>&1 && return 0
	mkdir -p "$cache"
	exec 9>"$cache/dockerd.lock"
	flock -n 9 || { echo "dockerd: waiting for the other check using $cache"; flock 9; }
	$docker info >/dev/null 2>&1 && return 0
	# A short private path: unix socket paths are limited to 108 bytes.
	dockerd_run_dir=$(mktemp -d /tmp/visitsd-dockerd.XXXXXX)
	export DOCKER_HOST=unix://$dockerd_run_dir/docker.sock
	echo "dockerd: starting a private one (data root $cache/root)"
	dockerd --iptables=false --ip6tables=false --bridge=none \
	    --storage-driver=vfs --data-root="$cache/root" \
	    --exec-root="$dockerd_run_dir/exec" \
	    --pidfile="$dockerd_run_dir/dockerd.pid" \
	    --host="$DOCKER_HOST" >"$cache/dockerd.log" 2>&1 &
	dockerd_pid=$!
	for _ in $(seq 1 150); do
		$docker info >/dev/null 2>&1 && return 0
		kill -0 "$dockerd_pid" 2>/dev/null ||
		    { tail -20 "$cache/dockerd.log" >&2; fail "dockerd exited"; }
		sleep 0.2
	done
	fail "dockerd did not answer"
}

dockerd_down() {
	[ -n "$dockerd_pid" ] || return 0
	kill "$dockerd_pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$dockerd_pid" 2>/dev/null || break
		sleep 0.2
	done
	# dockerd leaves its network namespace mounted under exec-root.
	awk -v d="$dockerd_run_dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts |
	    sort -r | while read -r m; do umount -l "$m" || true; done
	rm -rf "$dockerd_run_dir"
	dockerd_pid=
}
