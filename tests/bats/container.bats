#!/usr/bin/env bats
# runvm-vmm --container end to end: the VMM as the container's process. Each test
# boots our kernel with runvm-init (build/initramfs.cpio) and a busybox rootfs, as
# /rootfs in a second cpio or shared over virtio-fs, creates the container from a
# spec written by tests/tools/mkspec, starts it through the control socket
# (tests/tools/ctl-client), and checks the container's stdio, the ready fd and how
# the VMM exits. The "no VM" tests play the guest with runvm-init --agent-unix.

load helpers

setup_file() {
	local stage=$BATS_FILE_TMPDIR/stage
	mkdir -p "$stage/rootfs"/{bin,etc,tmp,root,proc,dev,sys}
	install -m 755 /bin/busybox "$stage/rootfs/bin/busybox"
	chroot "$stage/rootfs" /bin/busybox --install -s /bin
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$stage/rootfs/etc/passwd"
	(cd "$stage" && find rootfs | cpio --quiet -o -H newc --owner=0:0) >"$BATS_FILE_TMPDIR/rootfs.cpio"
	cat "$B/initramfs.cpio" "$BATS_FILE_TMPDIR/rootfs.cpio" >"$BATS_FILE_TMPDIR/initrd.cpio"
}

setup() {
	T=$BATS_TEST_TMPDIR
	INITRD=$BATS_FILE_TMPDIR/initrd.cpio
	ROOTFS=$BATS_FILE_TMPDIR/stage/rootfs
	CTL=$T/ctl.sock
	PID= AGENT=
}

teardown() {
	# Shown only when the test failed: the VMM's side of it (debug log, console tail).
	[ -f "$T/vmm.log" ] && { echo "--- vmm.log (tail)"; tail -n 40 "$T/vmm.log"; }
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	[ -n "$AGENT" ] && kill -KILL "$AGENT" 2>/dev/null
	true
}

# start_ctr [mkspec options] [-- ARGS]: writes the spec and starts the VMM in the
# background (PID), stdin from $IN, stdout/stderr to $T/out and $T/err, extra VMM
# options in $VMMX (an array); waits for the ready fd ($T/ready).
start_ctr() {
	"$B/tests/mkspec" -o "$T/spec" --rootfs "${SPECROOT:-/rootfs}" "$@"
	"$VMM" --container --spec "$T/spec" --vsock-uds "$T/v.sock" --ctl "$CTL" \
		--ready-fd 3 --log "$T/vmm.log" --debug --create-timeout 600 \
		--kernel "$KERNEL" --initrd "$INITRD" --mem 256 "${VMMX[@]}" \
		3>"$T/ready" <"${IN:-/dev/null}" >"$T/out" 2>"$T/err" &
	PID=$!
	wait_ready
}

wait_ready() {
	for _ in $(seq 1 3000); do
		[ -s "$T/ready" ] && break
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.2
	done
	echo "ready: $(cat "$T/ready")"
}

# finish_ctr: waits (at most 300 s) for the VMM; its status in $rc.
finish_ctr() {
	for _ in $(seq 1 1500); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$PID" 2>/dev/null || true
	rc=0
	wait "$PID" || rc=$?
	PID=
	echo "rc=$rc"
	echo "--- vmm.log"
	cat "$T/vmm.log" || true
}

ctl() {
	"$B/tests/ctl-client" "$CTL" "$@"
}

@test "container: echo hi reaches stdout, ready says ok, exit 0, nothing left behind" {
	need_kvm
	start_ctr -- echo hi
	[ "$(cat "$T/ready")" = ok ]
	[ "$(stat -c %a "$CTL")" = 600 ]
	ctl start
	finish_ctr
	[ "$rc" -eq 0 ]
	[ "$(cat "$T/out")" = hi ]
	[ ! -s "$T/err" ]
	[ ! -e "$CTL" ] && [ ! -e "$T/v.sock" ] && [ ! -e "$T/v.sock_1024" ]
}

@test "container: stderr and exit code 3" {
	need_kvm
	start_ctr -- sh -c 'echo out; echo oops >&2; exit 3'
	ctl start
	finish_ctr
	[ "$rc" -eq 3 ]
	[ "$(cat "$T/out")" = out ]
	[ "$(cat "$T/err")" = oops ]
}

@test "container: stdin piped through cat, EOF included" {
	need_kvm
	head -c 8M /dev/urandom >"$T/data"
	# A pipe as the VMM's stdin: the fifo's writer waits for the VMM to open it.
	mkfifo "$T/fifo"
	cat "$T/data" >"$T/fifo" &
	IN=$T/fifo start_ctr -- sh -c 'cat; echo after-eof >&2'
	ctl start
	finish_ctr
	[ "$rc" -eq 0 ]
	cmp "$T/data" "$T/out"
	[ "$(cat "$T/err")" = after-eof ]
}

@test "container: kill -TERM of the VMM reaches the container; the VMM dies by SIGTERM" {
	need_kvm
	start_ctr --namespaces uts,ipc,network -- sh -c 'echo up; exec sleep 600'
	ctl start
	for _ in $(seq 1 300); do grep -q up "$T/out" && break; sleep 0.2; done
	kill -TERM "$PID"
	finish_ctr
	[ "$rc" -eq 143 ]
	grep -q "forwarding signal 15" "$T/vmm.log"
	grep -q "container exited: signal 15" "$T/vmm.log"
}

@test "container: a missing executable: runc's message on the ready fd, exit 1" {
	need_kvm
	start_ctr -- nonexistent-cmd
	finish_ctr
	[ "$rc" -eq 1 ]
	[ "$(cat "$T/ready")" = 'error: exec: "nonexistent-cmd": executable file not found in $PATH' ]
	[ ! -e "$CTL" ]
}

@test "container: the VM ending without the container's exit (guest reboot): exit 1" {
	need_kvm
	# No pid namespace, root with every capability: reboot(2) resets the VM.
	start_ctr --namespaces uts,ipc,network -- sh -c 'echo rebooting; reboot -f; sleep 600'
	ctl start
	finish_ctr
	[ "$rc" -eq 1 ]
	# Whichever the VMM sees first: the reset, or the guest's sockets going away.
	grep -qE "the VM ended before the container exited|the guest agent closed the connection before the container exited" "$T/vmm.log"
}

@test "container: control socket: status, ps, exec, pause and resume, start once" {
	need_kvm
	VMMX=(--cpus 2)
	start_ctr -- sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done'
	[ "$(ctl status)" = created ]
	ctl start
	[ "$(ctl status)" = running ]
	run ctl start
	[ "$status" -eq 1 ]
	[[ "$output" == *"already running"* ]]
	run ctl ps
	[ "$status" -eq 0 ] && [ -n "$output" ]
	run ctl exec --uds "$T/v.sock" -- sh -c 'echo from-exec; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = from-exec ]
	ctl pause
	[ "$(ctl status)" = paused ]
	sleep 1
	a=$(wc -l <"$T/out")
	sleep 2
	b=$(wc -l <"$T/out")
	[ "$a" -eq "$b" ]
	ctl resume
	[ "$(ctl status)" = running ]
	sleep 2
	c=$(wc -l <"$T/out")
	[ "$c" -gt "$b" ]
	ctl kill 9
	finish_ctr
	[ "$rc" -eq 137 ]
}

@test "container: a terminal: output, input, window size at start and on resize" {
	need_kvm
	command -v python3 >/dev/null || skip "no python3 for the pty side"
	"$B/tests/mkspec" -o "$T/spec" --rootfs /rootfs --terminal --namespaces uts,ipc,network \
		-- sh -c 'stty size; read x; echo got:$x; sleep 2; stty size; exit 4'
	run timeout 600 python3 - "$VMM" "$T" "$KERNEL" "$INITRD" "$B/tests/ctl-client" <<'PY'
import fcntl, os, pty, select, struct, subprocess, sys, termios, time
vmm, t, kernel, initrd, ctl = sys.argv[1:]
m, s = pty.openpty()
fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 77, 0, 0))
r, w = os.pipe()
p = subprocess.Popen([vmm, "--container", "--spec", t + "/spec", "--vsock-uds", t + "/v.sock",
    "--ctl", t + "/ctl.sock", "--ready-fd", str(w), "--console-fd", str(s), "--log", t + "/vmm.log",
    "--debug", "--create-timeout", "600", "--kernel", kernel, "--initrd", initrd, "--mem", "256"],
    pass_fds=(w, s), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL, start_new_session=True)
os.close(w); os.close(s)
print("ready:", os.read(r, 200))
subprocess.check_call([ctl, t + "/ctl.sock", "start"])
out = b""
def pump(secs, until=None):
    global out
    end = time.time() + secs
    while time.time() < end and not (until and until in out):
        if select.select([m], [], [], 0.2)[0]:
            try:
                d = os.read(m, 4096)
            except OSError:
                return
            if not d:
                return
            out += d
pump(300, b"33 77")
os.write(m, b"hello\n")
pump(60, b"got:hello")
fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
pump(60, b"50 120")
print(repr(out))
print("rc:", p.wait(300))
PY
	echo "$output"
	cat "$T/vmm.log"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ready: b'ok\\n'"* ]]
	[[ "$output" == *"33 77"*"got:hello"*"50 120"* ]]
	[[ "$output" == *"rc: 4"* ]]
}

@test "container: the root over virtio-fs (--share)" {
	need_kvm
	[ -x /usr/lib/qemu/virtiofsd ] || [ -x /usr/libexec/virtiofsd ] || skip "no virtiofsd"
	INITRD=$B/initramfs.cpio
	VMMX=(--share "rootfs=$ROOTFS")
	SPECROOT=/
	start_ctr --root-tag rootfs -- sh -c 'echo via-virtiofs > /tmp/mark; cat /tmp/mark'
	ctl start
	finish_ctr
	[ "$rc" -eq 0 ]
	[ "$(cat "$T/out")" = via-virtiofs ]
	[ "$(cat "$ROOTFS/tmp/mark")" = via-virtiofs ]
}

# ---- no VM: runvm-init --agent-unix plays the guest (root and unshare needed) ----------

need_agent() {
	[ "$(id -u)" = 0 ] && unshare --mount --pid --fork --kill-child true 2>/dev/null ||
		skip "needs root and unshare"
}

start_agent() {
	unshare --mount --pid --fork --uts --ipc --net --mount-proc --kill-child \
		"$B/runvm-init" --agent-unix "$T/v.sock" >"$T/agent.out" 2>&1 &
	AGENT=$!
}

@test "container (no VM): the agent dying before the container exits: exit 1" {
	need_agent
	"$B/tests/mkspec" -o "$T/spec" --rootfs "$ROOTFS" -- sleep 600
	"$VMM" --container --no-vm --spec "$T/spec" --vsock-uds "$T/v.sock" --ctl "$CTL" \
		--ready-fd 3 --log "$T/vmm.log" 3>"$T/ready" </dev/null >"$T/out" 2>"$T/err" &
	PID=$!
	start_agent
	wait_ready
	[ "$(cat "$T/ready")" = ok ]
	ctl start
	kill -KILL "$AGENT"
	finish_ctr
	[ "$rc" -eq 1 ]
	grep -q "before the container exited" "$T/vmm.log"
	[ ! -s "$T/err" ] && [ ! -s "$T/out" ]
}

@test "container (no VM): usage errors go to the ready fd, never to stderr" {
	run "$VMM" --container --spec /nonexistent --vsock-uds "$T/v.sock" --no-vm --ready-fd 3 3>"$T/ready"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ "$(cat "$T/ready")" == "error: spec /nonexistent: No such file or directory" ]]
	run "$VMM" --container --ready-fd 3 --bogus 3>"$T/ready"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$(cat "$T/ready")" == error:* ]]
}

# --preserve-fds as the VMM relays them (the runtime's classification is in the spec).
@test "container (no VM): --extra-fds: a pipe in to EOF, a pipe out, a socket both ways" {
	need_agent
	"$B/tests/mkspec" -o "$T/spec" --rootfs "$ROOTFS" --extra in --extra out --extra both -- \
		sh -c 'cat <&3 >&4; read l <&5; echo "got $l" >&5; cat <&5 >/dev/null; echo eof >&5'
	echo ping >"$T/ping"
	"$B/tests/fdpeer" --fd 7 --in "$T/ping" --out "$T/sock" -- \
		"$VMM" --container --no-vm --spec "$T/spec" --vsock-uds "$T/v.sock" --ctl "$CTL" \
		--ready-fd 3 --log "$T/vmm.log" --debug --extra-fds 5:3 3>"$T/ready" </dev/null \
		>"$T/out" 2>"$T/err" 5< <(printf 'one\n'; sleep 1; printf 'two\n') 6>"$T/xout" &
	PID=$!
	start_agent
	wait_ready
	[ "$(cat "$T/ready")" = ok ]
	ctl start
	finish_ctr
	[ "$rc" -eq 0 ]
	[ "$(cat "$T/xout")" = "$(printf 'one\ntwo')" ]
	[ "$(cat "$T/sock")" = "$(printf 'got ping\neof')" ]
	[ ! -s "$T/err" ] && [ ! -s "$T/out" ]
	# Every listener is gone.
	[ -z "$(ls "$T" | grep '^v.sock_')" ]
}

@test "container (no VM): --extra-fds: the process's output on an extra fd is all there at the VMM's exit" {
	need_agent
	head -c 4M /dev/urandom >"$T/data"
	"$B/tests/mkspec" -o "$T/spec" --rootfs "$ROOTFS" --extra out -- sh -c 'cat /data >&3'
	cp "$T/data" "$ROOTFS/data"
	"$VMM" --container --no-vm --spec "$T/spec" --vsock-uds "$T/v.sock" --ctl "$CTL" \
		--ready-fd 3 --log "$T/vmm.log" --extra-fds 5:1 3>"$T/ready" </dev/null \
		>"$T/out" 2>"$T/err" 5>"$T/xout" &
	PID=$!
	start_agent
	wait_ready
	ctl start
	finish_ctr
	rm -f "$ROOTFS/data"
	[ "$rc" -eq 0 ]
	cmp "$T/data" "$T/xout"
}

@test "container (no VM): --extra-fds that do not match the spec, or are not open, fail creation" {
	"$B/tests/mkspec" -o "$T/spec" --rootfs "$ROOTFS" --extra in -- true
	run "$VMM" --container --no-vm --spec "$T/spec" --vsock-uds "$T/v.sock" --ctl "$CTL" \
		--ready-fd 3 --extra-fds 5:2 3>"$T/ready" 5</dev/null 6</dev/null
	[ "$status" -eq 1 ]
	[[ "$(cat "$T/ready")" == "error: --extra-fds gives 2 fds, the spec's process has 1" ]]
	run "$VMM" --container --no-vm --spec "$T/spec" --vsock-uds "$T/v.sock" --ctl "$CTL" \
		--ready-fd 3 --extra-fds 5:1 3>"$T/ready" 5<&-
	[ "$status" -eq 2 ]
	[[ "$(cat "$T/ready")" == "error: --extra-fds 5:1: fd 5 is not open" ]]
	[ ! -e "$CTL" ] && [ -z "$(ls "$T" | grep '^v.sock')" ]
}
