#!/usr/bin/env bats
# runvm on a cgroup v1 host: the VMM joins the container's cgroup in every v1
# hierarchy, CPU limits land in cpu.cfs_quota_us/cpu.shares, and delete removes
# the directories. The test host is a v2 host, so the test makes a v1 one in a
# private mount namespace: cpu and cpuset leave the v2 tree for the test (the
# kernel allows that only while no v2 cgroup enables them, hence this file runs
# before the containerd and podman suites) and come back in teardown. Needs KVM
# and root: runs inside the KVM test host.

load helpers
load busybox-image

RUNVM=$B/runvm

setup() {
	need_kvm
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -f /sys/fs/cgroup/cgroup.controllers ] || skip "needs a cgroup v2 host to stage a v1 one"
	command -v unshare >/dev/null || skip "no unshare"
	R=$(mktemp -d /tmp/rvc.XXXXXX)
	bb_rootfs "$BATS_TEST_TMPDIR/rootfs"
	V2_RELEASED=
}

teardown() {
	"$RUNVM" --root "$R" delete --force c1 >/dev/null 2>&1 || true
	if [ -n "$V2_RELEASED" ]; then
		echo "+cpu +cpuset" >/sys/fs/cgroup/cgroup.subtree_control ||
			echo "could not give cpu and cpuset back to cgroup v2" >&2
	fi
	rm -rf "$R"
}

@test "cgroup v1: the VMM joins every hierarchy, CPU limits applied, all removed at delete" {
	grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || skip "cpu is not enabled in v2 here"
	echo "-cpu -cpuset" >/sys/fs/cgroup/cgroup.subtree_control ||
		skip "cpu or cpuset is still in use by a v2 cgroup"
	V2_RELEASED=1
	b=$BATS_TEST_TMPDIR/b
	mkdir -p "$b"
	(cd "$b" && "$RUNVM" spec)
	bb_config "$b" '.root.path = $r | .process.terminal = false | .process.args = ["sleep", "1000"]
		| .linux.cgroupsPath = "/runvm-v1/c1"
		| .linux.resources = {"cpu": {"quota": 30000, "period": 100000, "shares": 512}}' \
		--arg r "$BATS_TEST_TMPDIR/rootfs"
	run unshare -m --propagation private bash -eu -c '
		v=/sys/fs/cgroup
		mount -t tmpfs cgroup-v1 $v
		mkdir $v/cpu,cpuacct $v/cpuset $v/systemd
		mount -t cgroup -o cpu,cpuacct cgroup $v/cpu,cpuacct
		ln -s cpu,cpuacct $v/cpu
		ln -s cpu,cpuacct $v/cpuacct
		mount -t cgroup -o cpuset cgroup $v/cpuset
		mount -t cgroup -o none,name=systemd cgroup $v/systemd
		runvm=$0 root=$1 bundle=$2
		rv() { "$runvm" --root "$root" "$@"; }
		rv run -d --bundle "$bundle" c1 </dev/null >/dev/null 2>&1
		pid=$(rv state c1 | jq .pid)
		echo "procs:$(grep -c "/runvm-v1/c1\$" /proc/$pid/cgroup)"
		grep -q "^[0-9]*:cpu,cpuacct:/runvm-v1/c1\$" /proc/$pid/cgroup && echo cpu-joined
		grep -q "^[0-9]*:name=systemd:/runvm-v1/c1\$" /proc/$pid/cgroup && echo named-joined
		echo "quota:$(cat $v/cpu,cpuacct/runvm-v1/c1/cpu.cfs_quota_us)"
		echo "shares:$(cat $v/cpu,cpuacct/runvm-v1/c1/cpu.shares)"
		echo "cpuset:$(cat $v/cpuset/runvm-v1/c1/cpuset.cpus)"
		rv delete --force c1
		for h in cpu,cpuacct cpuset systemd; do
			[ -e $v/$h/runvm-v1/c1 ] && echo "left: $h"
			rmdir $v/$h/runvm-v1
			umount $v/$h
		done
		umount $v
		echo done
	' "$RUNVM" "$R" "$b"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"procs:3"* ]]
	[[ "$output" == *cpu-joined* ]]
	[[ "$output" == *named-joined* ]]
	[[ "$output" == *"quota:30000"* ]]
	[[ "$output" == *"shares:512"* ]]
	[[ "$output" =~ cpuset:[0-9] ]]
	[[ "$output" != *left:* ]]
	[[ "$output" == *done* ]]
	[ ! -e "$R/c1" ]
}
