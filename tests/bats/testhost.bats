#!/usr/bin/env bats
# The KVM test host (tests/testhost/run) provides what the other suites rely on: KVM,
# cgroup2, devpts, private tmpfs scratch space, a writable repository, and working
# containerd and podman. Outside the test host these tests skip.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	[ "${TESTHOST:-}" = 1 ] || skip "only meaningful inside the test host (tests/testhost/run)"
}

fstype() { stat -f -c %T "$1"; }

@test "/dev/kvm exists, kvm_amd is loaded with nested paging" {
	[ -c /dev/kvm ]
	[ -d /sys/module/kvm_amd ]
	[ "$(cat /sys/module/kvm_amd/parameters/npt)" = Y ]
}

@test "cgroup2 is mounted on /sys/fs/cgroup with controllers enabled for children" {
	[ "$(fstype /sys/fs/cgroup)" = cgroup2fs ]
	run cat /sys/fs/cgroup/cgroup.subtree_control
	echo "subtree_control: $output"
	for c in cpu memory pids; do
		[[ " $output " == *" $c "* ]]
	done
}

@test "/dev/pts is a devpts with a usable ptmx" {
	[ "$(fstype /dev/pts)" = devpts ]
	grep -qE '^devpts /dev/pts devpts .*ptmxmode=0?666' /proc/mounts
	[ -c /dev/pts/ptmx ]
	run script -qec 'tty' /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == /dev/pts/* ]]
}

@test "/tmp, /run, /dev/shm and the container storage directories are tmpfs" {
	for d in /tmp /run /dev/shm /var/lib/containers /var/lib/containerd; do
		echo "$d: $(fstype "$d")"
		[ "$(fstype "$d")" = tmpfs ]
	done
}

@test "the repository is at its own path, writable, and it is the shared one" {
	[ -f "$ROOT/tests/testhost/run" ]
	# Through the overlay it would be "overlayfs"; the bind from the share is virtio-fs.
	[ "$(fstype "$ROOT")" = fuseblk ] || [ "$(fstype "$ROOT")" = fuse ]
	f=$ROOT/build/testhost/.bats-write-test.$$
	mkdir -p "$ROOT/build/testhost"
	echo written >"$f"
	[ "$(cat "$f")" = written ]
	rm -f "$f"
}

@test "the environment is clean: HOME, PATH, TESTHOST set; stdin is empty" {
	[ "$HOME" = /root ]
	[[ ":$PATH:" == *:/usr/bin:* ]]
	[ "$TESTHOST" = 1 ]
	run cat
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "podman --version" {
	run podman --version
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "podman version "* ]]
}

@test "containerd --version" {
	run containerd --version
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "containerd "* ]]
}

@test "containerd starts, answers ctr version, has a working overlayfs snapshotter, stops" {
	d=$(mktemp -d /tmp/ctd.XXXXXX) # short: a socket path must fit in 108 bytes
	cat >"$d/config.toml" <<-EOF
		version = 2
		root = "$d/root"
		state = "$d/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$d/c.sock"
		[ttrpc]
		  address = "$d/c.sock.ttrpc"
	EOF
	containerd --config "$d/config.toml" >"$d/log" 2>&1 &
	pid=$!
	for _ in $(seq 600); do
		[ -S "$d/c.sock" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -S "$d/c.sock" ]; then
		cat "$d/log"
		kill "$pid" 2>/dev/null
		false
	fi
	run ctr --address "$d/c.sock" version
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *Server:*Version:* ]]
	run ctr --address "$d/c.sock" plugins ls
	[ "$status" -eq 0 ]
	echo "$output" | grep -E '^io\.containerd\.snapshotter\.v1 +overlayfs +\S+ +ok'
	kill -TERM "$pid"
	wait "$pid" || true
	run kill -0 "$pid"
	[ "$status" -ne 0 ]
	rm -rf "$d"
}

@test "podman info works (overlay storage on the /var/lib/containers tmpfs, cgroup v2)" {
	run podman --storage-driver overlay --cgroup-manager cgroupfs --events-backend file \
		info --format '{{.Store.GraphDriverName}} {{.Store.GraphRoot}} {{.Host.CgroupsVersion}}'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "overlay /var/lib/containers/storage v2" ]
}
