#!/usr/bin/env bats
# runvm driving real microVMs, as a user or a script calls it: run, the
# create/start/state/kill/delete lifecycle, exit codes as the VMM's own, stdio
# (stdin piped through, stderr apart, 100 MB intact), exec with and without
# --detach, a terminal through a console socket, ps, pause/resume, list, bad input
# that must leave nothing behind, and concurrency. Needs KVM and root: runs inside
# the KVM test host (tests/testhost/run-suites).

load helpers
load busybox-image

RUNVM=$B/runvm
CONSOLE_RECV=$B/tests/console-recv

setup_file() {
	[ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ "$(id -u)" = 0 ] || return 0
	# One busybox rootfs for every container of the file (each bundle points at it).
	bb_rootfs "$BATS_FILE_TMPDIR/rootfs"
}

setup() {
	need_kvm
	[ "$(id -u)" = 0 ] || skip "needs root (the VM's share is made of bind mounts)"
	[ -x "$RUNVM" ] || skip "no $RUNVM"
	[ -f "$B/initramfs.cpio" ] || skip "no $B/initramfs.cpio (make initramfs)"
	# Short: the sockets in a container's directory must fit in sun_path.
	R=$(mktemp -d /tmp/rvb.XXXXXX)
}

teardown() {
	local id
	for id in $(rv list -q 2>/dev/null); do
		rv delete --force "$id" >/dev/null 2>&1 || true
	done
	[ -n "${RECV:-}" ] && kill "$RECV" 2>/dev/null
	rm -rf "$R"
}

rv() {
	"$RUNVM" --root "$R" "$@"
}

# For commands that leave a VMM or an exec proxy behind: without a terminal it
# holds the caller's stdio, as runc's container process does, so bats' `run`
# (which reads its output to EOF) must not be the caller.
rvd() {
	"$RUNVM" --root "$R" "$@" </dev/null >>"$BATS_TEST_TMPDIR/out" 2>>"$BATS_TEST_TMPDIR/err"
}

# bundle NAME ARGS...: a bundle in $BATS_TEST_TMPDIR/NAME running ARGS.
bundle() {
	local name=$1
	shift
	bb_shared_bundle "$BATS_TEST_TMPDIR/$name" "$BATS_FILE_TMPDIR/rootfs" "$@"
}

# Nothing of container $1 is left: no directory, mount, process or socket.
assert_clean() {
	[ ! -e "$R/$1" ] || { echo "state directory $R/$1 left"; ls -la "$R/$1"; return 1; }
	! grep -q " $R/$1" /proc/mounts || { echo "mounts left:"; grep " $R/$1" /proc/mounts; return 1; }
	! pgrep -f -- "$R/$1/" >/dev/null || { echo "processes left:"; pgrep -af -- "$R/$1/"; return 1; }
}

wait_status() { # ID STATUS: waits up to 60 s for the state to say STATUS
	local i
	for i in $(seq 600); do
		[ "$(rv state "$1" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
		sleep 0.1
	done
	rv state "$1"
	return 1
}

@test "run: output of the container and exit 0" {
	b=$(bundle b sh -c 'echo hello from a runvm microVM; uname -s')
	run rv run --bundle "$b" r1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "hello from a runvm microVM" ]
	[ "${lines[1]}" = "Linux" ]
	assert_clean r1
}

@test "run: exit code 3 is runvm's exit code" {
	b=$(bundle b sh -c 'exit 3')
	run rv run --bundle "$b" r3
	[ "$status" -eq 3 ]
	assert_clean r3
}

@test "run: stdin is piped through (EOF included), stderr stays apart" {
	b=$(bundle b sh -c 'cat; echo to-stderr >&2')
	run bash -c "printf 'line1\nline2\n' | '$RUNVM' --root '$R' run --bundle '$b' r4 2>'$BATS_TEST_TMPDIR/err'"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = $'line1\nline2' ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = to-stderr ]
}

@test "run: 100 MB of stdout arrive intact (sha256)" {
	b=$(bundle b sh -c 'yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 100000000')
	want=$(yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 100000000 | sha256sum)
	run bash -c "'$RUNVM' --root '$R' run --bundle '$b' r5 | sha256sum"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
}

@test "create, start, state, kill, delete: states, pid file, the VMM exits like the process" {
	b=$(bundle b sh -c 'echo started >/tmp/m; sleep 1000')
	rvd create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" c1
	[ ! -s "$BATS_TEST_TMPDIR/out" ]
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[[ "$pid" =~ ^[0-9]+$ ]]
	kill -0 "$pid"
	grep -q runvm-vmm "/proc/$pid/cmdline"
	rv state c1 | jq -e ".status == \"created\" and .pid == $pid and .id == \"c1\""
	run rv start c1
	[ "$status" -eq 0 ]
	rv state c1 | jq -e '.status == "running"'
	run rv start c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start an already running container"* ]]
	run rv delete c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"that is not stopped: running"* ]]
	run rv kill c1 KILL
	[ "$status" -eq 0 ]
	wait_status c1 stopped
	rv state c1 | jq -e '.pid == 0'
	! kill -0 "$pid" 2>/dev/null
	run rv delete c1
	[ "$status" -eq 0 ]
	assert_clean c1
}

@test "the VMM's own exit through run: 137 after kill -9, 143 after TERM" {
	# Without a pid namespace the process is not an init and dies of TERM.
	b=$(bundle b sleep 1000)
	bb_config "$b" 'del(.linux.namespaces[] | select(.type == "pid"))'
	rvd run --bundle "$b" k9 &
	runpid=$!
	wait_status k9 running
	rv kill k9 9
	wait_bounded "$runpid" || st=$?
	[ "${st:-0}" -eq 137 ]
	st=
	rvd run --bundle "$b" k15 &
	runpid=$!
	wait_status k15 running
	rv kill k15 TERM
	wait_bounded "$runpid" || st=$?
	[ "${st:-0}" -eq 143 ]
	assert_clean k9
	assert_clean k15
}

@test "exec: foreground with output and exit code, missing executable, exec while running" {
	b=$(bundle b sleep 1000)
	rvd run -d --bundle "$b" e1
	run rv exec e1 sh -c 'echo from-exec; echo err >&2; exit 7'
	echo "$output"
	[ "$status" -eq 7 ]
	[[ "$output" == *from-exec* ]]
	run bash -c "echo piped | '$RUNVM' --root '$R' exec e1 cat"
	[ "$status" -eq 0 ]
	[ "$output" = piped ]
	run rv exec e1 /no/such/binary
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'executable file not found in $PATH'* ]] || [[ "$output" == *"no such file or directory"* ]]
	run rv exec e1 nosuchcmd
	[ "$status" -eq 1 ]
	[[ "$output" == *'exec: "nosuchcmd": executable file not found in $PATH'* ]]
	run rv exec --cwd /tmp -e FOO=bar e1 sh -c 'echo $PWD $FOO'
	[ "$output" = "/tmp bar" ]
}

@test "exec --detach: pid file names the proxy, ps lists it, it ends with the process" {
	b=$(bundle b sleep 1000)
	rvd run -d --bundle "$b" e2
	rvd exec --detach --pid-file "$BATS_TEST_TMPDIR/xpid" e2 sh -c 'echo x >/tmp/done; sleep 1000'
	xpid=$(cat "$BATS_TEST_TMPDIR/xpid")
	kill -0 "$xpid"
	run rv ps --format json e2
	echo "$output"
	echo "$output" | jq -e "index($xpid) != null and length == 2"
	run rv exec e2 cat /tmp/done
	[ "$output" = x ]
	run rv kill --all e2 KILL
	[ "$status" -eq 0 ]
	for _ in $(seq 100); do kill -0 "$xpid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$xpid" 2>/dev/null
	run rv delete --force e2
	assert_clean e2
}

@test "exec --process FILE: args, env, user from a process JSON" {
	b=$(bundle b sleep 1000)
	rvd run -d --bundle "$b" e3
	cat >"$BATS_TEST_TMPDIR/p.json" <<-EOF
		{"args":["sh","-c","echo \$A; id -u"],"env":["A=from-json","PATH=/bin"],"cwd":"/",
		 "user":{"uid":65534,"gid":65534},"terminal":false}
	EOF
	run rv exec --process "$BATS_TEST_TMPDIR/p.json" e3
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-json ]
	[ "${lines[1]}" = 65534 ]
}

@test "terminal: the pty master arrives over the console socket, window size applied" {
	[ -x "$CONSOLE_RECV" ] || skip "no $CONSOLE_RECV"
	b=$(bundle b sh -c 'stty size; tty; echo done')
	bb_config "$b" '.process.terminal = true | .process.consoleSize = {"height": 31, "width": 97}'
	sock=$BATS_TEST_TMPDIR/console.sock
	"$CONSOLE_RECV" --winsize "$sock" >"$BATS_TEST_TMPDIR/tty.out" 2>"$BATS_TEST_TMPDIR/tty.err" &
	RECV=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	run rv create --bundle "$b" --console-socket "$sock" t1
	echo "$output"
	[ "$status" -eq 0 ]
	run rv start t1
	[ "$status" -eq 0 ]
	wait_bounded "$RECV"
	RECV=
	cat "$BATS_TEST_TMPDIR/tty.out"
	grep -q '^winsize 31 97' "$BATS_TEST_TMPDIR/tty.err"
	grep -q '^31 97' "$BATS_TEST_TMPDIR/tty.out"
	grep -q '^/dev/pts/' "$BATS_TEST_TMPDIR/tty.out"
	grep -q '^done' "$BATS_TEST_TMPDIR/tty.out"
}

@test "terminal: input typed on the pty reaches the process, exec -t too" {
	[ -x "$CONSOLE_RECV" ] || skip "no $CONSOLE_RECV"
	b=$(bundle b sh -c 'read line; echo "got:$line"')
	bb_config "$b" '.process.terminal = true'
	sock=$BATS_TEST_TMPDIR/c.sock
	"$CONSOLE_RECV" --input 'typed-text\r' --delay-ms 500 "$sock" >"$BATS_TEST_TMPDIR/out" &
	RECV=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	rvd create --bundle "$b" --console-socket "$sock" t2
	rvd start t2
	wait_bounded "$RECV"
	RECV=
	grep -q 'got:typed-text' "$BATS_TEST_TMPDIR/out"
	b=$(bundle b2 sleep 1000)
	rvd run -d --bundle "$b" t3
	"$CONSOLE_RECV" --winsize "$sock" >"$BATS_TEST_TMPDIR/out2" 2>"$BATS_TEST_TMPDIR/err2" &
	RECV=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	run rv exec -t --detach --console-socket "$sock" --pid-file "$BATS_TEST_TMPDIR/xp" t3 sh -c 'tty; exit 0'
	[ "$status" -eq 0 ]
	wait_bounded "$RECV"
	RECV=
	grep -q '^/dev/pts/' "$BATS_TEST_TMPDIR/out2"
}

@test "pause and resume: state follows, the container works after resume" {
	b=$(bundle b sleep 1000)
	rvd run -d --bundle "$b" p1
	run rv pause p1
	[ "$status" -eq 0 ]
	rv state p1 | jq -e '.status == "paused"'
	run rv exec p1 true
	[ "$status" -eq 1 ]
	run rv resume p1
	[ "$status" -eq 0 ]
	rv state p1 | jq -e '.status == "running"'
	run rv exec p1 echo alive
	[ "$output" = alive ]
	run rv delete --force p1
	assert_clean p1
}

@test "list shows the containers; ps lists the VMM" {
	b=$(bundle b sleep 1000)
	rvd run -d --bundle "$b" l1
	rvd create --bundle "$b" l2
	run rv list
	echo "$output"
	[[ "$output" == *l1*running* ]]
	[[ "$output" == *l2*created* ]]
	run rv ps --format json l1
	pid=$(rv state l1 | jq .pid)
	[ "$output" = "[$pid]" ]
}

@test "bad input leaves no state, process, socket or mount behind" {
	b=$(bundle b true)
	run rv create --bundle /nonexistent x1
	[ "$status" -eq 1 ]
	assert_clean x1
	echo '{"ociVersion": "1.0.0", "process": ' >"$BATS_TEST_TMPDIR/b/config.json.bad"
	mkdir -p "$BATS_TEST_TMPDIR/bad" && cp "$BATS_TEST_TMPDIR/b/config.json.bad" "$BATS_TEST_TMPDIR/bad/config.json"
	run rv create --bundle "$BATS_TEST_TMPDIR/bad" x2
	[ "$status" -eq 1 ]
	[[ "$output" == *config.json* ]]
	assert_clean x2
	head -c 5000000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/bad/config.json"
	run rv create --bundle "$BATS_TEST_TMPDIR/bad" x3
	[ "$status" -eq 1 ]
	assert_clean x3
	b2=$(bundle b2 true)
	bb_config "$b2" '.linux.namespaces += [{"type": "user"}]'
	run rv create --bundle "$b2" x4
	[ "$status" -eq 1 ]
	[[ "$output" == *"user namespaces are not supported"* ]]
	assert_clean x4
	b3=$(bundle b3 true)
	bb_config "$b3" '.mounts += [{"destination": "/data", "type": "bind", "source": "/nonexistent-src", "options": ["rbind"]}]'
	run rv create --bundle "$b3" x5
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent-src"* ]]
	assert_clean x5
	RUNVM_KERNEL=/nonexistent/vmlinux run rv create --bundle "$b" x6
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent/vmlinux"* ]]
	assert_clean x6
	RUNVM_INITRD=/nonexistent/initramfs.cpio run rv create --bundle "$b" x7
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent/initramfs.cpio"* ]]
	assert_clean x7
	b4=$(bundle b4 nosuchcommand)
	run rv create --bundle "$b4" x8
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'exec: "nosuchcommand": executable file not found in $PATH'* ]]
	assert_clean x8
	for cmd in state start kill delete pause resume ps; do
		run rv $cmd nosuchid
		[ "$status" -eq 1 ]
		[[ "$output" == *'container "nosuchid" does not exist'* ]]
	done
}

@test "unknown fields in config.json are ignored" {
	b=$(bundle b echo fine)
	bb_config "$b" '.somethingNew = {"a": 1} | .process.futureField = true | .linux.newThing = [1]'
	run rv run --bundle "$b" u1
	[ "$status" -eq 0 ]
	[ "$output" = fine ]
}

@test "a duplicate ID is refused and the first container is untouched" {
	b=$(bundle b sleep 1000)
	rvd create --bundle "$b" d1
	run rv create --bundle "$b" d1
	[ "$status" -eq 1 ]
	[[ "$output" == *"container with given ID already exists"* ]]
	rv state d1 | jq -e '.status == "created"'
	rv delete d1
	assert_clean d1
}

@test "two concurrent creates of one ID: exactly one wins" {
	b=$(bundle b sleep 1000)
	rv create --bundle "$b" same </dev/null >"$BATS_TEST_TMPDIR/o1" 2>&1 &
	p1=$!
	rv create --bundle "$b" same </dev/null >"$BATS_TEST_TMPDIR/o2" 2>&1 &
	p2=$!
	s1=0 s2=0
	wait $p1 || s1=$?
	wait $p2 || s2=$?
	cat "$BATS_TEST_TMPDIR/o1" "$BATS_TEST_TMPDIR/o2"
	[ $((s1 + s2)) -eq 1 ]
	grep -q "already exists" "$BATS_TEST_TMPDIR/o1" "$BATS_TEST_TMPDIR/o2"
	rv state same | jq -e '.status == "created"'
	rv delete same
	assert_clean same
}

@test "8 containers at once" {
	b=$(bundle b sh -c 'echo out-$(hostname); sleep 1')
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		rv run --bundle "$b" m$i >"$BATS_TEST_TMPDIR/m$i" 2>&1 &
		pids+=($!)
	done
	fails=0
	for p in "${pids[@]}"; do wait_bounded "$p" 600 || fails=$((fails + 1)); done
	for i in 1 2 3 4 5 6 7 8; do
		cat "$BATS_TEST_TMPDIR/m$i"
		grep -q '^out-' "$BATS_TEST_TMPDIR/m$i"
		assert_clean m$i
	done
	[ "$fails" -eq 0 ]
}

@test "a bind mount is shared both ways" {
	mkdir -p "$BATS_TEST_TMPDIR/vol"
	echo from-host >"$BATS_TEST_TMPDIR/vol/in"
	b=$(bundle b sh -c 'cat /data/in; echo from-guest >/data/out')
	bb_config "$b" '.mounts += [{"destination": "/data", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]' \
		--arg s "$BATS_TEST_TMPDIR/vol"
	run rv run --bundle "$b" v1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$BATS_TEST_TMPDIR/vol/out")" = from-guest ]
	assert_clean v1
}

@test "RUNVM_VIRTIOFSD picks the virtiofsd: the Rust one serves the container's root" {
	vfsd=$B/rust-virtiofsd/virtiofsd
	[ -x "$vfsd" ] || skip "no Rust virtiofsd ($(cat "$B/rust-virtiofsd/unavailable" 2>/dev/null || echo "scripts/rust-virtiofsd has not run"))"
	b=$(bundle b sleep 1000)
	RUNVM_VIRTIOFSD=$vfsd rvd run -d --bundle "$b" rs1
	# The wrapper execs trixie's loader with the Rust binary's path in its argv.
	pgrep -f -- "rust-virtiofsd/root/usr/libexec/virtiofsd.*$R/rs1/" >/dev/null
	run rv exec rs1 sh -c 'echo rust >/out; cat /out'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = rust ]
	[ "$(cat "$BATS_FILE_TMPDIR/rootfs/out")" = rust ]
	rm -f "$BATS_FILE_TMPDIR/rootfs/out"
	rv delete --force rs1
	assert_clean rs1
}

@test "cgroupsPath: the VMM runs in the container's host cgroup, removed at delete" {
	[ -f /sys/fs/cgroup/cgroup.controllers ] || skip "no cgroup v2"
	b=$(bundle b sleep 1000)
	bb_config "$b" '.linux.cgroupsPath = "/runvm-test/cg1" | .linux.resources = {"cpu": {"quota": 50000, "period": 100000}}'
	rvd run -d --bundle "$b" g1
	pid=$(rv state g1 | jq .pid)
	grep -q '^0::/runvm-test/cg1$' "/proc/$pid/cgroup"
	[ "$(cat /sys/fs/cgroup/runvm-test/cg1/cpu.max)" = "50000 100000" ]
	rv delete --force g1
	[ ! -e /sys/fs/cgroup/runvm-test/cg1 ]
	rmdir /sys/fs/cgroup/runvm-test
	assert_clean g1
}

@test "startContainer hooks run in the guest, in the container, before its process" {
	rm -f "$BATS_FILE_TMPDIR/rootfs/tmp/hook-marker-h1"
	b=$(bundle b cat /tmp/hook-marker-h1)
	# The hook reads the state (status created, our id) and leaves a marker that
	# the container's process cats.
	bb_config "$b" '.hooks.startContainer = [{"path": "/bin/sh", "timeout": 60, "args": ["sh", "-c",
		"read -r s; case \"$s\" in *\\\"status\\\":\\\"created\\\"*\\\"id\\\":\\\"h1\\\"*|*\\\"id\\\":\\\"h1\\\"*\\\"status\\\":\\\"created\\\"*) echo marker-$(hostname) >/tmp/hook-marker-h1;; *) echo \"bad state: $s\" >&2; exit 9;; esac"]}]
		| .hostname = "hooked"'
	run rv run --bundle "$b" h1
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = marker-hooked ]
	[ "$(cat "$BATS_FILE_TMPDIR/rootfs/tmp/hook-marker-h1")" = marker-hooked ]
	assert_clean h1
}

@test "a failing startContainer hook fails start with its name, and the process never runs" {
	rm -f "$BATS_FILE_TMPDIR/rootfs/tmp/ran-h2"
	b=$(bundle b sh -c 'echo ran >/tmp/ran-h2; echo ran')
	bb_config "$b" '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "echo hook-says-no >&2; exit 4"]}]'
	rvd create --bundle "$b" h2
	run rv start h2
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'startContainer hook #0 (/bin/sh): exit status 4: hook-says-no'* ]]
	wait_status h2 stopped
	[ ! -e "$BATS_FILE_TMPDIR/rootfs/tmp/ran-h2" ]
	! grep -q ran "$BATS_TEST_TMPDIR/out"
	rv delete h2
	assert_clean h2
}

@test "update: memory and pids limits reach the container's cgroup in the guest; more than the VM's RAM is refused" {
	b=$(bundle b sleep 1000)
	# A cgroup namespace, so that /sys/fs/cgroup in the container is its own cgroup.
	bb_config "$b" '.linux.namespaces += [{"type": "cgroup"}]'
	rvd run -d --bundle "$b" u1
	run rv update --memory 64m u1
	echo "$output"
	[ "$status" -eq 0 ]
	run rv update --pids-limit 20 u1
	echo "$output"
	[ "$status" -eq 0 ]
	run rv exec u1 cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max
	echo "$output"
	[ "$output" = $'67108864\n20' ]
	run rv update --memory 64g u1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" =~ "more than the VM's "[0-9]+" MiB of RAM, which cannot grow (no memory hotplug)" ]]
	rv pause u1
	run rv update --pids-limit 30 u1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"the container is paused"* ]]
	rv resume u1
	run rv update --resources - u1 <<<'{"pids": {"limit": -1}}'
	[ "$status" -eq 0 ]
	run rv exec u1 cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max
	echo "$output"
	[ "$output" = $'67108864\nmax' ]
	rv delete --force u1
	assert_clean u1
}

# ---- --preserve-fds: the caller's fds 3.. relayed into the container ----------------

@test "--preserve-fds 1: a pipe's read end is fd 3: cat <&3 gets the data, then EOF" {
	b=$(bundle b sh -c 'cat <&3; echo after-eof')
	run bash -c "exec '$RUNVM' --root '$R' run --preserve-fds 1 --bundle '$b' pf1 \
		3< <(printf 'one\n'; sleep 2; printf 'two\n')"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = $'one\ntwo\nafter-eof' ]
	assert_clean pf1
}

@test "--preserve-fds 2 through create and start: fd 3 a pipe in, fd 4 a pipe out, whose EOF comes when the process closes it" {
	local d=$BATS_TEST_TMPDIR
	b=$(bundle b sh -c 'cat <&3 >&4; echo x >&4; exec 4>&-; exec sleep 1000')
	printf 'in-data\n' >"$d/in"
	mkfifo "$d/f4"
	(cat "$d/f4" >"$d/got"; touch "$d/eof") &
	# As conmon does: create returns, the VMM alone holds the fds from then on.
	rvd create --preserve-fds 2 --bundle "$b" pf2 3<"$d/in" 4>"$d/f4"
	rv start pf2
	for _ in $(seq 1200); do [ -e "$d/eof" ] && break; sleep 0.1; done
	[ -e "$d/eof" ]
	[ "$(cat "$d/got")" = $'in-data\nx' ]
	# The process is still there: the EOF was its close, not its end.
	[ "$(rv state pf2 | jq -r .status)" = running ]
	rv kill pf2 KILL
	wait_status pf2 stopped
	rv delete pf2
	assert_clean pf2
	[ ! -s "$d/out" ] && [ ! -s "$d/err" ]
}

@test "--preserve-fds 1: a socket as fd 3 carries data both ways, each shutdown passed on (AF_UNIX, TCP)" {
	local d=$BATS_TEST_TMPDIR
	b=$(bundle b sh -c 'read l <&3; echo "got $l" >&3; cat <&3 >/dev/null; echo eof >&3')
	echo ping >"$d/ping"
	run "$B/tests/fdpeer" --in "$d/ping" --out "$d/sock" -- \
		"$RUNVM" --root "$R" run --preserve-fds 1 --bundle "$b" pf3
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat "$d/sock")" = $'got ping\neof' ]
	assert_clean pf3
	# The peer keeps its side open: the EOF it reads is the process's.
	b2=$(bundle b2 sh -c 'echo over-tcp >&3; exec 3>&-; echo closed')
	run "$B/tests/fdpeer" --tcp --hold --out "$d/tcp" -- \
		"$RUNVM" --root "$R" run --preserve-fds 1 --bundle "$b2" pf4
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = closed ]
	[ "$(cat "$d/tcp")" = over-tcp ]
	assert_clean pf4
}

@test "--preserve-fds 3: a log file appended to, a file read in, /dev/null" {
	local d=$BATS_TEST_TMPDIR
	b=$(bundle b sh -c 'cat <&4 >&3; echo appended >&3; echo gone >&5 && echo null-ok')
	echo "first line" >"$d/log"
	printf 'from a file\n' >"$d/in"
	run bash -c "exec '$RUNVM' --root '$R' run --preserve-fds 3 --bundle '$b' pf5 \
		3>>'$d/log' 4<'$d/in' 5>/dev/null"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = null-ok ]
	[ "$(cat "$d/log")" = $'first line\nfrom a file\nappended' ]
	assert_clean pf5
}

@test "--preserve-fds: a listening socket is refused naming the fd; nothing is left behind" {
	b=$(bundle b true)
	run "$B/tests/fdpeer" --listen --fd 4 -- "$RUNVM" --root "$R" create --preserve-fds 2 \
		--bundle "$b" pf6 3</dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--preserve-fds 2: fd 4 (a listening socket) cannot be relayed into the container"* ]]
	assert_clean pf6
	run bash -c "exec '$RUNVM' --root '$R' run --preserve-fds 1 --bundle '$b' pf7 3<&-"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--preserve-fds 1: fd 3 is not open"* ]]
	assert_clean pf7
}
