#!/usr/bin/env bats
# podman with runvm as its OCI runtime (podman --runtime build/runvm, conmon in
# between): a busybox image made here from busybox-static and brought in with
# `podman import` (no network); run --rm with output, exit codes (42, 127 for a
# missing command), run -d + exec + stop + rm, run -it, and a volume written both
# ways. Inside the KVM test host only.

bats_require_minimum_version 1.5.0 # run -127

load helpers
load busybox-image

RUNVM=$B/runvm
IMAGE=localhost/runvm-busybox:latest

can_run() {
	[ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ "$(id -u)" = 0 ] &&
		command -v podman >/dev/null
}

p() {
	podman --runtime "$RUNVM" --cgroup-manager cgroupfs --events-backend file \
		--storage-driver overlay "$@"
}

setup_file() {
	can_run || return 0
	local d
	d=$(mktemp -d /tmp/pdi.XXXXXX)
	bb_rootfs "$d/rootfs"
	bb_tarball "$d/rootfs" "$d/rootfs.tar"
	p import --change CMD=sh "$d/rootfs.tar" "$IMAGE" >&3 2>&1
	rm -rf "$d"
}

teardown_file() {
	can_run || return 0
	p rm -af -t 0 >/dev/null 2>&1 || true
}

setup() {
	can_run || skip "needs KVM, root and podman (inside tests/testhost/run)"
}

@test "podman import made the image" {
	run p images --format '{{.Repository}}:{{.Tag}}'
	echo "$output"
	[[ "$output" == *"$IMAGE"* ]]
}

@test "podman run --rm --network none IMAGE echo hi" {
	run p run --rm --network none "$IMAGE" echo hi
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
}

@test "exit codes: sh -c 'exit 42' is 42, a missing command is 127" {
	run p run --rm --network none "$IMAGE" sh -c 'exit 42'
	[ "$status" -eq 42 ]
	run -127 p run --rm --network none "$IMAGE" nosuchcommand
	echo "$output"
	[ "$status" -eq 127 ]
}

@test "run -d, exec, stop, rm" {
	run p run -d --name pd1 --network none "$IMAGE" sleep 1000
	echo "$output"
	[ "$status" -eq 0 ]
	run p exec pd1 sh -c 'echo from-exec; exit 6'
	echo "$output"
	[ "$status" -eq 6 ]
	[ "$output" = from-exec ]
	run p ps --format '{{.Names}} {{.Status}}'
	echo "$output"
	[[ "$output" == *"pd1 Up"* ]]
	run p stop -t 2 pd1
	echo "$output"
	[ "$status" -eq 0 ]
	run p inspect --format '{{.State.Status}}' pd1
	[ "$output" = exited ]
	run p rm pd1
	[ "$status" -eq 0 ]
}

@test "run -it: a terminal" {
	command -v script >/dev/null || skip "no script(1)"
	run script -qec "podman --runtime $RUNVM --cgroup-manager cgroupfs --events-backend file --storage-driver overlay run -it --rm --network none $IMAGE sh -c 'tty; exit 4'" /dev/null </dev/null
	echo "$output"
	[[ "$output" == *"/dev/pts/"* ]]
	[ "$status" -eq 4 ]
}

@test "a volume is read and written both ways" {
	d=$(mktemp -d /tmp/vol.XXXXXX)
	echo from-host >"$d/in"
	run p run --rm --network none -v "$d:/data" "$IMAGE" sh -c 'cat /data/in; echo from-container >/data/out'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$d/out")" = from-container ]
	rm -rf "$d"
}

@test "podman's default bridge network (CNI): the container reaches the host at the gateway" {
	local backend gw d
	backend=$(podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null)
	[ "$backend" = cni ] || skip "podman's network backend is '$backend', not cni"
	# The test host has no udev to make /dev/net/tun, whose open would load tun.
	[ -e /dev/net/tun ] || modprobe tun
	# Whether CNI's bridge works here at all, whatever the runtime: runc tells.
	run podman --runtime runc --cgroup-manager cgroupfs --events-backend file \
		--storage-driver overlay run --rm "$IMAGE" true
	[ "$status" -eq 0 ] || skip "podman's bridge network does not work in this test host, even with runc: $output"
	gw=$(podman network inspect podman --format '{{range .Subnets}}{{.Gateway}}{{end}}')
	[ -n "$gw" ]
	d=$(mktemp -d /tmp/www.XXXXXX)
	echo "hello from the host at $gw" >"$d/hello"
	busybox httpd -f -p 18080 -h "$d" 3>&- &
	httpd=$!
	run p run --rm "$IMAGE" sh -c "ip -o addr show eth0; wget -q -O - http://$gw:18080/hello"
	kill "$httpd"
	rm -rf "$d"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hello from the host at $gw"* ]]
	[[ "$output" == *"eth0"*"inet "* ]]
}

@test "podman run --preserve-fds 1: a file read as fd 3, through conmon" {
	printf 'through conmon\n' >"$BATS_TEST_TMPDIR/in"
	run bash -c "exec podman --runtime '$RUNVM' --cgroup-manager cgroupfs --events-backend file \
		--storage-driver overlay run --rm --network none --preserve-fds 1 '$IMAGE' \
		sh -c 'cat <&3; echo end' 3<'$BATS_TEST_TMPDIR/in'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = $'through conmon\nend' ]
}
