#!/usr/bin/env bats
# OCI hooks that run on the host, around a real microVM: prestart, createRuntime,
# createContainer, poststart and poststop, in order, each with the state JSON on
# stdin; a failing or timed-out hook before start fails the operation and leaves
# nothing behind; a failing poststop is only a warning. Needs KVM and root: runs
# inside the KVM test host.

load helpers
load busybox-image

RUNVM=$B/runvm

setup_file() {
	[ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ "$(id -u)" = 0 ] || return 0
	bb_rootfs "$BATS_FILE_TMPDIR/rootfs"
}

setup() {
	need_kvm
	[ "$(id -u)" = 0 ] || skip "needs root (the VM's share is made of bind mounts)"
	R=$(mktemp -d /tmp/rvh.XXXXXX)
	LOG=$BATS_TEST_TMPDIR/hooks
	mkdir -p "$LOG"
}

teardown() {
	local id
	for id in $(rv list -q 2>/dev/null); do
		rv delete --force "$id" >/dev/null 2>&1 || true
	done
	rm -rf "$R"
}

rv() {
	"$RUNVM" --root "$R" "$@"
}

# A hook that saves its stdin as $LOG/NAME.json and appends NAME to $LOG/order.
hook() {
	jq -n --arg name "$1" --arg log "$LOG" '{path: "/bin/sh",
		args: ["sh", "-c", "cat >\"$0/$1.json\"; echo \"$1\" >>\"$0/order\"", $log, $name]}'
}

# bundle [JQ FILTER]: a busybox bundle running `sleep 1000`, then the filter.
bundle() {
	local dir=$BATS_TEST_TMPDIR/b
	rm -rf "$dir" && mkdir -p "$dir"
	(cd "$dir" && "$RUNVM" spec) || return 1
	bb_config "$dir" '.root.path = $r | .process.terminal = false | .process.args = ["sleep", "1000"]' \
		--arg r "$BATS_FILE_TMPDIR/rootfs"
	[ $# -eq 0 ] || bb_config "$dir" "$@"
	echo "$dir"
}

assert_clean() {
	[ ! -e "$R/$1" ] || { echo "state directory $R/$1 left"; ls -la "$R/$1"; return 1; }
	! grep -q " $R/$1" /proc/mounts || { echo "mounts left:"; grep " $R/$1" /proc/mounts; return 1; }
	! pgrep -f -- "$R/$1/" >/dev/null || { echo "processes left:"; pgrep -af -- "$R/$1/"; return 1; }
}

@test "host hooks run in order with the state on stdin" {
	b=$(bundle '.hooks = {prestart: [$p], createRuntime: [$r], createContainer: [$c],
		poststart: [$s], poststop: [$t]}' --argjson p "$(hook prestart)" \
		--argjson r "$(hook createRuntime)" --argjson c "$(hook createContainer)" \
		--argjson s "$(hook poststart)" --argjson t "$(hook poststop)")
	rv create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" h1 </dev/null >/dev/null 2>&1
	pid=$(cat "$BATS_TEST_TMPDIR/pid")
	[ "$(cat "$LOG/order" | tr '\n' ' ')" = "prestart createRuntime createContainer " ]
	for h in prestart createRuntime createContainer; do
		jq -e --argjson pid "$pid" --arg b "$b" \
			'.id == "h1" and .status == "created" and .pid == $pid and .bundle == $b' \
			"$LOG/$h.json"
	done
	rv start h1
	[ "$(tail -n 1 "$LOG/order")" = poststart ]
	jq -e --argjson pid "$pid" '.status == "running" and .pid == $pid' "$LOG/poststart.json"
	rv kill h1 KILL
	for i in $(seq 100); do
		[ "$(rv state h1 | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	rv delete h1
	[ "$(cat "$LOG/order" | tr '\n' ' ')" = \
		"prestart createRuntime createContainer poststart poststop " ]
	jq -e '.id == "h1" and .status == "stopped"' "$LOG/poststop.json"
	assert_clean h1
}

@test "a failing prestart hook fails create, names the hook, and leaves nothing" {
	b=$(bundle '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "echo no network >&2; exit 7"]}]')
	run rv create --bundle "$b" h2 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"prestart hook"*"exit status 7"* ]]
	assert_clean h2
	[ -z "$(rv list -q)" ]
}

@test "a hook past its timeout is killed and fails create; a missing one too" {
	b=$(bundle '.hooks.createRuntime = [{path: "/bin/sleep", args: ["sleep", "60"], timeout: 1}]')
	run rv create --bundle "$b" h3 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"createRuntime hook"*"timed out after 1 s"* ]]
	assert_clean h3
	! pgrep -f 'sleep 60' >/dev/null
	b=$(bundle '.hooks.createRuntime = [{path: "/nonexistent/hook"}]')
	run rv create --bundle "$b" h4 </dev/null
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"createRuntime hook"*"/nonexistent/hook"* ]]
	assert_clean h4
}

@test "a failing poststop hook is only a warning: delete succeeds" {
	b=$(bundle '.process.args = ["true"] | .hooks.poststop = [{path: "/bin/false"}]')
	run rv run --bundle "$b" h5 </dev/null
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"poststop hook"* ]]
	assert_clean h5
}
