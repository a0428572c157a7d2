# The agent scenarios, sourced by tests/agent/run (bare machine) and by
# tests/agent/run --vm (inside a VM over vsock). Each uses run/want/has/sel from
# the runner; $R is the rootfs as the agent sees it, $T a scratch directory. The
# commands just before `want DESCRIPTION` are its conditions.

if sel "echo"; then
	run -- echo hi
	[ "$rc" = 0 ] && [ "$(cat "$T/out")" = hi ] && has "exit 0" "$T/status"
	want "echo hi: stdout and exit 0"
fi

if sel "stderr"; then
	run -- sh -c 'echo out; echo e >&2; exit 3'
	[ "$rc" = 3 ] && [ "$(cat "$T/out")" = out ] && has "exit 3" "$T/status" &&
		grep -qx e "$T/err"
	want "sh -c 'echo e >&2; exit 3': stderr and code 3"
fi

if sel "agent exit"; then
	if [ -n "$vm" ]; then
		skip "agent exit: the VMM, not the agent, ends a VM run"
	else
		run -- sh -c 'exit 42'
		has "agent 42" "$T/status"
		want "agent exit: the agent exits with the container's status"
	fi
fi

if sel "cat"; then
	head -c 50M /dev/urandom >"$T/data"
	STDIN=$T/data run -- cat
	[ "$rc" = 0 ] &&
		[ "$(sha256sum <"$T/data" | cut -d' ' -f1)" = "$(sha256sum <"$T/out" | cut -d' ' -f1)" ]
	want "cat fed 50 MB on stdin: the same sha256 out"
	rm -f "$T/data"
fi

if sel "stdin eof"; then
	run --no-stdin -- sh -c 'cat; echo after-eof'
	[ "$rc" = 0 ] && has after-eof "$T/out"
	want "stdin EOF reaches the process"
fi

if sel "SIGKILL"; then
	run --signal 300:9 -- sleep 30
	[ "$rc" = 137 ] && has "signal 9" "$T/status"
	want "SIGKILL: reported as signal 9"
fi

if sel "kill all"; then
	run --signal-all 300:15 -- sh -c 'trap "exit 7" TERM; sleep 30 & wait'
	[ "$rc" = 7 ]
	want "kill --all: SIGTERM reaches the init"
fi

if sel "missing"; then
	run -- nonexistent-cmd
	[ "$rc" = 125 ] &&
		has 'create-error: exec: "nonexistent-cmd": executable file not found in $PATH' "$T/status"
	want "missing executable: runc's wording"
	run -- /bin/nope
	has 'exec: "/bin/nope": stat /bin/nope: no such file or directory' "$T/status"
	want "missing path: runc's wording"
	run -- /etc/passwd
	has 'exec: "/etc/passwd": permission denied' "$T/status"
	want "not executable: runc's wording"
fi

if sel "user"; then
	run --user 1000:1000 --groups 10,20 -- sh -c 'id -u; id -g; id -G; echo $HOME'
	[ "$rc" = 0 ] && [ "$(sed -n 1p "$T/out")" = 1000 ] && [ "$(sed -n 2p "$T/out")" = 1000 ] &&
		[ "$(sed -n 3p "$T/out" | tr ' ' '\n' | sort -n | tr '\n' ' ')" = "10 20 1000 " ] &&
		[ "$(sed -n 4p "$T/out")" = /home/user ]
	want "user 1000:1000 with additional groups 10,20"
fi

if sel "umask"; then
	run --umask 027 --cwd /tmp --env FOO=bar -- sh -c 'umask; pwd; echo $FOO; echo $HOME'
	[ "$(tr '\n' ' ' <"$T/out")" = "0027 /tmp bar /root " ]
	want "umask, cwd, env, HOME"
fi

if sel "rlimit"; then
	run --rlimit RLIMIT_NOFILE=123:456 -- sh -c 'ulimit -n; ulimit -Hn'
	[ "$(tr '\n' ' ' <"$T/out")" = "123 456 " ]
	want "rlimit: ulimit -n"
fi

if sel "capabilities"; then
	run --caps CAP_CHOWN,CAP_KILL -- grep Cap /proc/self/status
	[ "$rc" = 0 ] && has "CapEff:	0000000000000021" "$T/out" &&
		has "CapBnd:	0000000000000021" "$T/out" &&
		has "CapPrm:	0000000000000021" "$T/out"
	want "capabilities: all dropped but CHOWN and KILL"
	run --user 1000:1000 --caps CAP_NET_BIND_SERVICE --ambient CAP_NET_BIND_SERVICE -- \
		grep Cap /proc/self/status
	has "CapAmb:	0000000000000400" "$T/out" && has "CapEff:	0000000000000400" "$T/out"
	want "capabilities: ambient for a non-root user"
fi

if sel "noNewPrivileges"; then
	run --nnp -- grep NoNewPrivs /proc/self/status
	has "NoNewPrivs:	1" "$T/out"
	want "noNewPrivileges: NoNewPrivs 1"
	run -- grep NoNewPrivs /proc/self/status
	has "NoNewPrivs:	0" "$T/out"
	want "without noNewPrivileges: NoNewPrivs 0"
fi

if sel "seccomp"; then
	run --seccomp-errno mkdir,mkdirat -- mkdir /tmp/x
	[ "$rc" != 0 ] && has "Operation not permitted" "$T/err"
	want "seccomp: mkdir fails with EPERM"
	run --nnp --seccomp-errno mkdir,mkdirat -- sh -c 'mkdir /tmp/x; echo $?'
	[ "$(cat "$T/out")" = 1 ] && has "Operation not permitted" "$T/err"
	want "seccomp with noNewPrivileges: mkdir fails with EPERM"
	run --seccomp-errno chmod:1:SCMP_CMP_EQ:0777 --seccomp-errno fchmodat:2:SCMP_CMP_EQ:0777 -- \
		sh -c 'touch /tmp/f; chmod 755 /tmp/f &&
			echo 755-ok; chmod 777 /tmp/f || echo 777-denied'
	[ "$(tr '\n' ' ' <"$T/out")" = "755-ok 777-denied " ]
	want "seccomp argument condition: chmod 777 denied, 755 allowed"
fi

if sel "read-only root"; then
	run --readonly -- sh -c 'touch /x; echo > /tmp/y && echo tmp-ok'
	has "Read-only file system" "$T/err"
	want "read-only root"
fi

if sel "masked"; then
	run --mask /etc/secret -- sh -c 'cat /etc/secret; echo end'
	[ "$(cat "$T/out")" = end ]
	want "masked path: the file reads empty"
	run --mask /etc -- sh -c 'ls /etc | wc -l'
	[ "$(cat "$T/out")" = 0 ]
	want "masked directory: an empty directory"
fi

if sel "readonly path"; then
	run -- sh -c 'echo 1 > /proc/sys/kernel/msgmax'
	has "Read-only file system" "$T/err"
	want "readonlyPaths: /proc/sys is read-only"
fi

if sel "hostname"; then
	run --hostname box --sysctl kernel.msgmax=9000 -- sh -c 'hostname; cat /proc/sys/kernel/msgmax'
	[ "$(tr '\n' ' ' <"$T/out")" = "box 9000 " ]
	want "hostname and sysctl"
fi

if sel "devices"; then
	run -- sh -c 'ls -l /dev/null /dev/zero /dev/urandom /dev/tty | cut -c1; readlink /dev/fd; readlink /dev/ptmx'
	[ "$(tr -d '\n' <"$T/out" | cut -c1-4)" = cccc ] && has /proc/self/fd "$T/out" &&
		has pts/ptmx "$T/out"
	want "default devices and /dev symlinks"
fi

if sel "pid namespace"; then
	run -- sh -c 'echo $$'
	[ "$(cat "$T/out")" = 1 ]
	want "the init is PID 1 of its pid namespace"
fi

if sel "terminal"; then
	run --tty 30x100 -- sh -c 'tty; stty size'
	[ "$rc" = 0 ] && has /dev/pts/0 "$T/out" && has "30 100" "$T/out"
	want "terminal: a pty of the container with the console size"
	run --tty 30x100 --resize 40x120 -- sh -c 'sleep 0.5; stty size'
	has "40 120" "$T/out"
	want "terminal: resize"
fi

if sel "exec"; then
	run --exec 'id -u; echo from-exec; exit 5' --exec-user 1000:1000 -- sleep 1
	[ "$rc" = 0 ] && has from-exec "$T/out" && grep -qx 1000 "$T/out" &&
		has "exec: exit 5" "$T/err"
	want "exec: another process, with its user, output and exit"
	run --exec 'tty' --exec-tty -- sleep 1
	has /dev/pts/ "$T/out" && has "exec: exit 0" "$T/err"
	want "exec with a terminal"
	run --exec-cmd nonexistent-cmd -- sleep 1
	has 'exec: exec: "nonexistent-cmd": executable file not found in $PATH' "$T/err"
	want "exec: a missing executable, runc's wording"
fi

# --preserve-fds as the guest sees it (three groups of at most three runs each, for
# tests/bats/agent.bats; "extra fds" selects them all).
if sel "extra fds: pipes"; then
	# fd 3 read from the host up to EOF, fd 4 written to the host.
	printf 'line1\nline2\n' >"$T/xin"
	X3=$T/xin X4=$T/xout run --extra in:3 --extra out:4 -- sh -c 'cat <&3 >&4; echo after-eof'
	[ "$rc" = 0 ] && has after-eof "$T/out" && [ "$(cat "$T/xout")" = "$(printf 'line1\nline2')" ]
	want "extra fds: fd 3 is read to EOF, fd 4 reaches the host"

	# fd 4's EOF reaches the host when the process closes it, before it exits:
	# the host answers on fd 3 only once it has seen that EOF.
	rm -f "$T/f3" "$T/f4" "$T/xout"
	mkfifo "$T/f3" "$T/f4"
	(cat "$T/f4" >"$T/xout"; echo saw-eof >"$T/f3") &
	X3=$T/f3 X4=$T/f4 run --extra in:3 --extra out:4 -- sh -c 'echo x >&4; exec 4>&-; head -n1 <&3'
	wait $!
	[ "$rc" = 0 ] && [ "$(cat "$T/out")" = saw-eof ] && [ "$(cat "$T/xout")" = x ]
	want "extra fds: the process closing fd 4 is EOF on the host while it runs"
	rm -f "$T/f3" "$T/f4"
fi

if sel "extra fds: sockets"; then
	# A socket: both ways on one fd, the host's shutdown is the process's EOF and
	# the process still writes after it; its exit is the host's EOF.
	echo ping >"$T/ping"
	WRAP=("$build/tests/fdpeer" --in "$T/ping" --out "$T/sock" --)
	run --extra both:3 -- sh -c 'read l <&3; echo "got $l" >&3; cat <&3 >/dev/null; echo eof >&3'
	WRAP=()
	[ "$rc" = 0 ] && [ "$(cat "$T/sock")" = "$(printf 'got ping\neof')" ]
	want "extra fds: a socket carries data both ways, shutdowns each way"

	WRAP=("$build/tests/fdpeer" --tcp --hold --out "$T/sock" --)
	run --extra both:3 -- sh -c 'echo hi >&3; exec 3>&-; sleep 1; echo done'
	WRAP=()
	[ "$rc" = 0 ] && [ "$(cat "$T/sock")" = hi ] && has done "$T/out"
	want "extra fds: a TCP socket; the process's close is the host's EOF"
fi

if sel "extra fds: fds"; then
	run --extra in:null --extra out:null -- \
		sh -c 'cat <&3; echo x >&4 && echo wrote; { echo y >&3; } 2>/dev/null || echo read-only'
	[ "$rc" = 0 ] && [ "$(tr '\n' ' ' <"$T/out")" = "wrote read-only " ]
	want "extra fds: /dev/null in the direction asked"

	set -- $(for i in $(seq 16); do echo --extra in:null; done)
	# ls itself, not a shell (whose pipes and saved fds would race the listing):
	# its one directory fd is the lowest free number, 19.
	run "$@" -- ls /proc/self/fd
	[ "$rc" = 0 ] && [ "$(sort -n "$T/out" | tr '\n' ' ')" = "$(seq 0 19 | tr '\n' ' ')" ]
	want "extra fds: 16 of them are fds 3-18, and nothing else of the agent's is open"
	echo "# the process's fds: $(sort -n "$T/out" | tr '\n' ' ')"
	set --

	# (Asked of the hook's shell itself: a listing would show the lister's own fds.)
	run --extra in:null --extra out:null \
		--hook '0:if [ -e /proc/$$/fd/3 ] || [ -e /proc/$$/fd/4 ]; then echo hook-has; else echo hook-not; fi >/tmp/hook-fds' -- \
		sh -c 'cat /tmp/hook-fds; [ -e /proc/$$/fd/3 ] && [ -e /proc/$$/fd/4 ] && echo process-has'
	[ "$rc" = 0 ] && [ "$(tr "\n" " " <"$T/out")" = "hook-not process-has " ]
	want "extra fds: a startContainer hook does not inherit them, the process does"
fi

if sel "startContainer"; then
	# $R is the rootfs on this machine only without a VM.
	host_sees() { [ -n "$vm" ] || [ -s "$R/tmp/$1" ]; }
	rm -f "$R"/tmp/hook-* "$R/tmp/ran"
	run --hostname hookbox --hook '0:cat >/tmp/hook-state; echo "$HOOK_ENV $(hostname)" >/tmp/hook-env' \
		--hook '5:echo second >>/tmp/hook-env' -- sh -c 'cat /tmp/hook-state; echo; cat /tmp/hook-env'
	[ "$rc" = 0 ] && has '{"pid":1,"ociVersion":"1.0.2","id":"agent-test","status":"created"' "$T/out" &&
		has "from-hook hookbox" "$T/out" && [ "$(tail -n 1 "$T/out")" = second ] &&
		host_sees hook-state
	want "startContainer hooks: in the container, in order, state on stdin, files in the rootfs"
	run --hook '0:echo hook-broke >&2; exit 3' --hook '0:echo x >/tmp/hook-never' -- \
		sh -c 'echo ran >/tmp/ran; echo ran'
	[ "$rc" != 0 ] && ! has ran "$T/out" && [ ! -e "$R/tmp/ran" ] && [ ! -e "$R/tmp/hook-never" ] &&
		has 'start-error: startContainer hook #0 (/bin/sh): exit status 3: hook-broke' "$T/status"
	want "a failing startContainer hook fails start, names the hook, and nothing else runs"
	# A guest's boot in a loaded test host can take a minute; the hook, 10.
	t0=$(date +%s)
	run --hook '1:sleep 600' -- sh -c 'echo ran; echo ran >/tmp/ran'
	[ "$rc" != 0 ] && [ $(($(date +%s) - t0)) -lt "$([ -n "$vm" ] && echo 200 || echo 20)" ] &&
		! has ran "$T/out" &&
		has 'start-error: startContainer hook #0 (/bin/sh): timed out after 1 s (killed)' "$T/status"
	want "a startContainer hook over its timeout is killed and fails start"
fi

if sel "ps"; then
	run --ps -- sleep 1
	grep -qE '^ps: [0-9]+' "$T/err"
	want "ps lists the container's process"
fi

if sel "zombies"; then
	# Without its own pid namespace the orphans go to the agent, which reaps them.
	run --namespaces mount,uts,ipc -- sh -c \
		'for i in 1 2 3 4 5; do (sleep 0.1 &); done; sleep 1; ps -o stat,comm | grep -c "^Z"'
	[ "$(cat "$T/out")" = 0 ]
	want "a zombie-making workload leaves no zombies"
fi

if sel "oom"; then
	if [ -z "$vm" ]; then
		skip "oom: needs the guest's cgroup v2 (runs with --vm)"
	else
		run --cgroup memory.max=16777216 -- \
			sh -c 'x=$(head -c 64000000 /dev/zero | tr "\0" a); echo ${#x}'
		has "signal 9" "$T/status" && grep -q "agent-client: oom [1-9]" "$T/err"
		want "OOM: the kill is an OOM event and signal 9"
	fi
fi

if sel "boot marker"; then
	if [ -z "$vm" ]; then
		skip "boot marker: a VM's (runs with --vm)"
	else
		run --timing -- true
		[ "$rc" = 0 ] && has "boot time: guest init reached after" "$T/err" &&
			has "timing: created" "$T/err"
		want "boot marker: the VMM logs the guest's boot to container created"
		grep -E "boot time|timing" "$T/err" | sed 's/^/# /'
	fi
fi
