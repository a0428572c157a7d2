#!/usr/bin/env bats
# containerd with runvm as its runc (containerd-shim-runc-v2 --runc-binary): a
# busybox image made here from busybox-static (an OCI archive, no network),
# imported with `ctr image import`; ctr run with output and exit codes, task
# exec/ps/pause/resume/kill, and a terminal (ctr run -t). containerd is started
# by the suite (setup_file) with its state in a temporary directory. Inside the
# KVM test host only.

load helpers
load busybox-image

RUNVM=$B/runvm
IMAGE=docker.io/library/runvm-busybox:latest

can_run() {
	[ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ "$(id -u)" = 0 ] &&
		command -v containerd >/dev/null && command -v ctr >/dev/null
}

setup_file() {
	can_run || return 0
	# Short: the sockets must fit in sun_path.
	CTD=$(mktemp -d /tmp/ctd.XXXXXX)
	export CTD
	cat >"$CTD/config.toml" <<-EOF
		version = 2
		root = "$CTD/root"
		state = "$CTD/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CTD/c.sock"
		[ttrpc]
		  address = "$CTD/c.sock.ttrpc"
	EOF
	containerd --config "$CTD/config.toml" >"$CTD/log" 2>&1 &
	echo $! >"$CTD/pid"
	for _ in $(seq 600); do
		[ -S "$CTD/c.sock" ] && break
		sleep 0.1
	done
	[ -S "$CTD/c.sock" ] || { cat "$CTD/log" >&3; return 1; }
	bb_rootfs "$CTD/rootfs"
	bb_oci_archive "$CTD/rootfs" "$CTD/image.tar" "$IMAGE"
	ctr --address "$CTD/c.sock" images import "$CTD/image.tar" >&3 2>&1
}

teardown_file() {
	[ -n "${CTD:-}" ] || return 0
	local id
	for id in $(c containers ls -q 2>/dev/null); do
		c tasks kill -s KILL "$id" >/dev/null 2>&1
		sleep 0.5
		c tasks delete "$id" >/dev/null 2>&1
		c containers delete "$id" >/dev/null 2>&1
	done
	[ -f "$CTD/pid" ] && kill "$(cat "$CTD/pid")" 2>/dev/null
	sleep 1
	umount -R "$CTD/root" 2>/dev/null
	rm -rf "$CTD"
}

setup() {
	can_run || skip "needs KVM, root and containerd (inside tests/testhost/run)"
	[ -S "$CTD/c.sock" ] || skip "containerd did not start"
}

c() {
	ctr --address "$CTD/c.sock" "$@"
}

crun_() { # ctr run with runvm as the runc binary
	c run --runc-binary "$RUNVM" "$@"
}

wait_task() { # ID STATUS
	for _ in $(seq 600); do
		c tasks ls | grep -qE "^$1 +[0-9]+ +$2" && return 0
		sleep 0.1
	done
	c tasks ls
	return 1
}

@test "the image is imported" {
	run c images ls -q
	echo "$output"
	[[ "$output" == *"$IMAGE"* ]]
}

@test "ctr run --rm IMAGE ID echo hi" {
	run crun_ --rm "$IMAGE" hi1 echo hi
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = hi ]
	run c containers ls -q
	[[ "$output" != *hi1* ]]
}

@test "exit codes: 42 and 0, stderr, a missing command" {
	run crun_ --rm "$IMAGE" ex1 sh -c 'echo out; echo err >&2; exit 42'
	echo "$output"
	[ "$status" -eq 42 ]
	[[ "$output" == *out* ]]
	[[ "$output" == *err* ]]
	run crun_ --rm "$IMAGE" ex2 true
	[ "$status" -eq 0 ]
	run crun_ --rm "$IMAGE" ex3 nosuchcommand
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"executable file not found"* ]]
}

@test "task exec, ps, pause, resume, kill" {
	run crun_ -d "$IMAGE" t1 sleep 1000
	echo "$output"
	[ "$status" -eq 0 ]
	wait_task t1 RUNNING
	run c tasks exec --exec-id e1 t1 sh -c 'echo from-exec; exit 5'
	echo "$output"
	[ "$status" -eq 5 ]
	[ "$output" = from-exec ]
	run c tasks ps t1
	echo "$output"
	[ "$status" -eq 0 ]
	pid=$(c tasks ls | awk '$1 == "t1" {print $2}')
	[[ "$output" == *"$pid"* ]]
	grep -q runvm-vmm "/proc/$pid/cmdline"
	run c tasks pause t1
	[ "$status" -eq 0 ]
	wait_task t1 PAUSED
	run c tasks resume t1
	[ "$status" -eq 0 ]
	wait_task t1 RUNNING
	run c tasks exec --exec-id e2 t1 echo alive
	[ "$output" = alive ]
	run c tasks kill -s KILL t1
	[ "$status" -eq 0 ]
	wait_task t1 STOPPED
	run c tasks delete t1
	echo "$output"
	[ "$status" -eq 0 ]
	run c containers delete t1
	[ "$status" -eq 0 ]
	[ ! -e "/run/containerd/runc/default/t1" ]
}

@test "ctr run -t: a terminal" {
	command -v script >/dev/null || skip "no script(1)"
	run script -qec "ctr --address $CTD/c.sock run --runc-binary $RUNVM -t --rm $IMAGE tty1 sh -c 'tty; exit 3'" /dev/null </dev/null
	echo "$output"
	[[ "$output" == *"/dev/pts/"* ]]
	[ "$status" -eq 3 ]
}

@test "ctr run exits like the task: 137 after kill -s KILL, 143 from a TERM trap" {
	crun_ --rm "$IMAGE" kill1 sleep 1000 </dev/null >/dev/null 2>&1 &
	runpid=$!
	wait_task kill1 RUNNING
	c tasks kill -s KILL kill1
	st=0
	wait_bounded "$runpid" || st=$?
	[ "$st" -eq 137 ]
	crun_ --rm "$IMAGE" term1 sh -c 'trap "exit 143" TERM; while :; do sleep 1; done' </dev/null >/dev/null 2>&1 &
	runpid=$!
	wait_task term1 RUNNING
	sleep 2
	c tasks kill term1
	st=0
	wait_bounded "$runpid" || st=$?
	[ "$st" -eq 143 ]
}
