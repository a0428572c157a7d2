#!/usr/bin/env bats
# runvm's CLI where no VM is needed: version, spec, features, list, state, delete,
# kill, ps on state directories, error reporting, and create's checks, which must
# leave no state behind. Runs anywhere (no KVM, no root needed).

load helpers

RUNVM=$B/runvm

setup() {
	[ -x "$RUNVM" ] || skip "no $RUNVM (make build/runvm)"
	RROOT=$BATS_TEST_TMPDIR/root
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	mkdir -p "$BUNDLE/rootfs"
}

teardown() {
	if [ -n "${SLEEPER:-}" ]; then
		kill -9 "$SLEEPER" 2>/dev/null || true
		wait "$SLEEPER" 2>/dev/null || true
	fi
}

rv() {
	"$RUNVM" --root "$RROOT" "$@"
}

# A config.json for create: the default spec without a terminal.
good_config() {
	rm -f "$BUNDLE/config.json"
	rv spec --bundle "$BUNDLE"
	sed -i 's/"terminal": true/"terminal": false/' "$BUNDLE/config.json"
}

# A state directory as create leaves it, with $3 as the VMM's PID.
fake_container() {
	mkdir -p "$RROOT/$1"
	printf '{"ociVersion":"1.1.0","id":"%s","status":"%s","pid":%d,"bundle":"%s",%s}\n' \
		"$1" "$2" "$3" "$BUNDLE" \
		'"rootfs":"/r","created":"2024-01-02T03:04:05.123456789Z","annotations":{"a":"b"},"owner":"root"' \
		>"$RROOT/$1/state.json"
}

start_sleeper() {
	sleep 1000 3>&- &
	SLEEPER=$!
}

no_state_left() {
	[ ! -e "$RROOT/$1" ]
}

@test "--version and -v print version, commit and spec" {
	run "$RUNVM" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^runvm\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
	[[ "${lines[1]}" =~ ^commit:\ .+ ]]
	[[ "${lines[2]}" =~ ^spec:\ 1\.[0-9]+\.[0-9]+$ ]]
	run "$RUNVM" -v
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "runvm version "* ]]
}

@test "unknown command and no command exit non-zero; --help exits 0" {
	run "$RUNVM" frobnicate
	[ "$status" -ne 0 ]
	[[ "$output" == *'unknown command "frobnicate"'* ]]
	run "$RUNVM"
	[ "$status" -ne 0 ]
	run "$RUNVM" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"features"* ]]
	run "$RUNVM" --bogus list
	[ "$status" -ne 0 ]
}

@test "global options take both --flag value and --flag=value" {
	run "$RUNVM" --root="$RROOT" --log="$BATS_TEST_TMPDIR/l" --log-format=json --debug=false list -q
	[ "$status" -eq 0 ]
	run "$RUNVM" --root "$RROOT" --log "$BATS_TEST_TMPDIR/l" --log-format json --systemd-cgroup \
		--rootless=false --cgroup-manager cgroupfs --criu /x list -q
	[ "$status" -eq 0 ]
	run "$RUNVM" --log-format xml list
	[ "$status" -ne 0 ]
	[[ "$output" == *"expected text or json"* ]]
}

@test "spec writes a valid default config.json and refuses to overwrite it" {
	cd "$BUNDLE"
	run "$RUNVM" spec
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	jq -e '.ociVersion and .process.terminal == true and .root.path == "rootfs"' config.json
	jq -e '[.linux.namespaces[].type] | index("network") != null' config.json
	run "$RUNVM" spec
	[ "$status" -ne 0 ]
	[[ "$output" == *"File config.json exists. Remove it first"* ]]
	rm config.json
	run "$RUNVM" spec --rootless --bundle "$BUNDLE"
	[ "$status" -eq 0 ]
	jq -e '[.linux.namespaces[].type] | index("network") == null' "$BUNDLE/config.json"
}

@test "features prints JSON advertising only what works" {
	run "$RUNVM" features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ociVersionMin == "1.0.0" and (.ociVersionMax | startswith("1."))'
	echo "$output" | jq -e '(.hooks | length) == 6 and (.hooks | index("startContainer") != null)'
	echo "$output" | jq -e '.mountOptions | index("bind") != null and index("idmap") == null'
	echo "$output" | jq -e '.linux.namespaces | index("user") == null and index("network") != null'
	echo "$output" | jq -e '.linux.apparmor.enabled == false and .linux.selinux.enabled == false'
	echo "$output" | jq -e '.linux.seccomp.enabled == true'
}

@test "list on an empty root: header, nothing with -q, [] as JSON" {
	run rv list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER$ ]]
	[ "${#lines[@]}" -eq 1 ]
	run rv list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run rv list --format json
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

@test "state, delete, kill, ps, start, exec, pause of an unknown ID use runc's phrase" {
	for cmd in state delete kill ps start pause resume; do
		run rv $cmd nope
		[ "$status" -eq 1 ]
		[[ "$output" == *'container "nope" does not exist'* ]]
	done
	run rv exec nope true
	[ "$status" -eq 1 ]
	[[ "$output" == *'container "nope" does not exist'* ]]
}

@test "delete --force of an unknown ID succeeds" {
	run rv delete --force nope
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "invalid container IDs are refused" {
	run rv state 'a/b'
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid container ID format"* ]]
	run rv state '..'
	[ "$status" -eq 1 ]
}

@test "--log-format json appends one JSON error line to --log" {
	log=$BATS_TEST_TMPDIR/log.json
	echo '{"level":"info","msg":"earlier","time":"2024-01-01T00:00:00Z"}' >"$log"
	run "$RUNVM" --root "$RROOT" --log "$log" --log-format json state nope
	[ "$status" -eq 1 ]
	[[ "$output" == *'container "nope" does not exist'* ]]
	[ "$(wc -l <"$log")" -eq 2 ]
	tail -n1 "$log" | jq -e '.level == "error" and (.msg | contains("container \"nope\" does not exist"))'
	tail -n1 "$log" | jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")'
	run "$RUNVM" --root "$RROOT" --log "$BATS_TEST_TMPDIR/log.txt" state nope
	grep -q '^time=".*" level=error msg=".*does not exist"$' "$BATS_TEST_TMPDIR/log.txt"
}

@test "checkpoint and restore are refused, --help included" {
	run rv checkpoint --help
	[ "$status" -ne 0 ]
	[[ "$output" == *"checkpoint is not supported"* ]]
	run rv restore x
	[ "$status" -ne 0 ]
}

@test "create: missing bundle, missing ID, bad ID leave no state" {
	run rv create --bundle "$BATS_TEST_TMPDIR/nobundle" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"nobundle: No such file or directory"* ]]
	no_state_left c1
	run rv create --bundle "$BUNDLE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"requires exactly 1 argument"* ]]
	run rv create --bundle "$BUNDLE" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"has no config.json"* ]]
	no_state_left c1
	run rv create --bundle "$BUNDLE" 'bad/id'
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid container ID format"* ]]
}

@test "create: malformed, mistyped and oversized config.json are named and leave no state" {
	echo '{"ociVersion": "1.0.2", "root": {' >"$BUNDLE/config.json"
	run rv create --bundle "$BUNDLE" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"config.json: invalid JSON"* ]]
	no_state_left c1
	echo '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":"sh","cwd":"/"}}' \
		>"$BUNDLE/config.json"
	run rv create --bundle "$BUNDLE" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"config.json: process.args: expected an array of strings"* ]]
	no_state_left c1
	echo '{"root":{"path":"rootfs"}}' >"$BUNDLE/config.json"
	run rv create --bundle "$BUNDLE" c1
	[[ "$output" == *"config.json: ociVersion: required but missing"* ]]
	head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$BUNDLE/config.json"
	run rv create --bundle "$BUNDLE" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"larger than the limit"* ]]
	no_state_left c1
}

@test "create: values runvm cannot honour are refused clearly" {
	good_config
	jq '.linux.namespaces += [{"type":"user"}]' "$BUNDLE/config.json" >"$BUNDLE/c" &&
		mv "$BUNDLE/c" "$BUNDLE/config.json"
	run rv create --bundle "$BUNDLE" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"user namespaces are not supported by runvm"* ]]
	no_state_left c1
	good_config
	jq '.process.terminal = true' "$BUNDLE/config.json" >"$BUNDLE/c" &&
		mv "$BUNDLE/c" "$BUNDLE/config.json"
	run rv create --bundle "$BUNDLE" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot allocate tty"* ]]
	no_state_left c1
}

@test "create: a VMM that cannot be found fails create, naming it, and leaves nothing behind" {
	good_config
	RUNVM_VMM=/nonexistent/runvm-vmm run rv create --bundle "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid" c1
	[ "$status" -eq 1 ]
	[[ "$output" == *"runvm: create: the VMM /nonexistent/runvm-vmm (from RUNVM_VMM): No such file or directory"* ]]
	no_state_left c1
	[ ! -e "$BATS_TEST_TMPDIR/pid" ]
	run rv list -q
	[ -z "$output" ]
	RUNVM_VMM=/nonexistent/runvm-vmm run rv run --bundle "$BUNDLE" -d c1
	[ "$status" -eq 1 ]
	no_state_left c1
}

@test "create: a RUNVM_VIRTIOFSD that cannot be run fails create, naming it, and leaves nothing" {
	good_config
	RUNVM_VIRTIOFSD=/nonexistent/virtiofsd run rv create --bundle "$BUNDLE" c1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"virtiofsd /nonexistent/virtiofsd (from RUNVM_VIRTIOFSD): No such file or directory"* ]]
	no_state_left c1
}

@test "check says in plain words whether this host can run containers" {
	run rv check
	echo "$output"
	[[ "$output" == *"kernel "* && "$output" == *"initrd "* && "$output" == *"virtiofsd "* ]]
	if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ "$(id -u)" = 0 ]; then
		[ "$status" -eq 0 ]
		[[ "$output" == *"verdict   runvm can run containers on this host"* ]]
		[[ "$output" != *" NO: "* ]]
	else
		[ "$status" -eq 1 ]
		[[ "$output" == *" NO: "* ]]
		[[ "$output" == *"runvm cannot run containers on this host as it is"* ]]
	fi
	RUNVM_VMM=/nonexistent/runvm-vmm run rv check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"files     NO: the VMM /nonexistent/runvm-vmm (from RUNVM_VMM)"* ]]
}

@test "create: a duplicate ID gets runc's phrase and the existing container stays" {
	good_config
	fake_container dup stopped 0
	run rv create --bundle "$BUNDLE" dup
	[ "$status" -eq 1 ]
	[[ "$output" == *"container with given ID already exists"* ]]
	[ -e "$RROOT/dup/state.json" ]
}

@test "state of a container whose VMM is dead says stopped with pid 0" {
	fake_container dead running 999999
	run rv state dead
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.status == "stopped" and .pid == 0 and .id == "dead"'
	echo "$output" | jq -e '.created == "2024-01-02T03:04:05.123456789Z" and .annotations.a == "b"'
	echo "$output" | jq -e 'keys_unsorted == ["ociVersion","id","status","pid","bundle","rootfs","created","annotations","owner"]'
}

@test "state, list and ps of a container with a live VMM" {
	start_sleeper
	fake_container live running "$SLEEPER"
	run rv state live
	[ "$status" -eq 0 ]
	echo "$output" | jq -e ".status == \"running\" and .pid == $SLEEPER"
	run rv list
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^live\ +$SLEEPER\ +running\ + ]]
	run rv list -q
	[ "$output" = "live" ]
	run rv list --format json
	echo "$output" | jq -e ".[0].id == \"live\" and .[0].pid == $SLEEPER"
	run rv ps --format json live
	[ "$status" -eq 0 ]
	[ "$output" = "[$SLEEPER]" ]
}

@test "kill signals the VMM (number, KILL, SIGKILL) and refuses bad signals" {
	start_sleeper
	fake_container k1 running "$SLEEPER"
	run rv kill k1 NOSUCHSIG
	[ "$status" -eq 1 ]
	[[ "$output" == *'unknown signal "NOSUCHSIG"'* ]]
	run rv kill k1 SIGKILL
	[ "$status" -eq 0 ]
	wait "$SLEEPER" 2>/dev/null || true
	SLEEPER=
	run rv state k1
	echo "$output" | jq -e '.status == "stopped"'
	run rv kill k1 9
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
}

@test "delete: refuses a running container, --force kills it, a stopped one just goes" {
	start_sleeper
	fake_container d1 running "$SLEEPER"
	run rv delete d1
	[ "$status" -eq 1 ]
	[[ "$output" == *"that is not stopped: running"* ]]
	[ -e "$RROOT/d1" ]
	run rv delete --force d1
	[ "$status" -eq 0 ]
	no_state_left d1
	wait "$SLEEPER" 2>/dev/null || true
	SLEEPER=
	fake_container d2 stopped 0
	run rv delete d2
	[ "$status" -eq 0 ]
	no_state_left d2
}

@test "start, pause, update and exec check the state; a VMM without a control socket is not running" {
	fake_container s1 stopped 0
	run rv start s1
	[ "$status" -eq 1 ]
	[[ "$output" == *"cannot start a container that has stopped"* ]]
	run rv pause s1
	[[ "$output" == *"container not running"* ]]
	run rv exec s1 true
	[[ "$output" == *"container not running"* ]]
	start_sleeper
	fake_container s2 running "$SLEEPER"
	run rv pause s2
	[ "$status" -eq 1 ]
	[[ "$output" == *"pause: container not running"* ]]
	run rv exec s2
	[ "$status" -eq 1 ]
	[[ "$output" == *"no command given"* ]]
	run rv update --resources - s2 <<<'{"blockIO":{"weight":10}}'
	[ "$status" -eq 1 ]
	[[ "$output" == *"resources.blockIO is not supported by runvm"* ]]
	run rv update --resources - s2 <<<'{"memory":{"limit":"x"}}'
	[ "$status" -eq 1 ]
	[[ "$output" == *"resources.memory.limit: expected an integer"* ]]
}

@test "--preserve-fds: what cannot be relayed is refused naming the fd and why; nothing is left behind" {
	good_config
	FDPEER=$B/tests/fdpeer
	# Socket activation's listening socket.
	run "$FDPEER" --listen --fd 3 -- "$RUNVM" --root "$RROOT" create --preserve-fds 1 --bundle "$BUNDLE" p1
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--preserve-fds 1: fd 3 (a listening socket) cannot be relayed into the container: accepting connections (socket activation) cannot be relayed"* ]]
	no_state_left p1
	run "$FDPEER" --dgram --fd 3 -- "$RUNVM" --root "$RROOT" run --preserve-fds 1 --bundle "$BUNDLE" p2
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"fd 3 (a datagram socket) cannot be relayed into the container: a relay is a byte stream and would lose its message boundaries"* ]]
	no_state_left p2
	# fd 3 would do; fd 4, a file opened read-write, would not.
	echo data >"$BATS_TEST_TMPDIR/f"
	run bash -c "'$RUNVM' --root '$RROOT' create --preserve-fds 2 --bundle '$BUNDLE' p3 3< <(echo x) 4<>'$BATS_TEST_TMPDIR/f'"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--preserve-fds 2: fd 4 (a regular file opened read-write) cannot be relayed into the container: a relay carries a stream one way or the other"* ]]
	no_state_left p3
	run bash -c "'$RUNVM' --root '$RROOT' create --preserve-fds 1 --bundle '$BUNDLE' p4 3</ 2>&1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"fd 3 (a directory) cannot be relayed"* ]]
	no_state_left p4
}

@test "--preserve-fds: a closed fd and N over 16 are refused; exec refuses it; 0 is accepted" {
	good_config
	run bash -c "'$RUNVM' --root '$RROOT' create --preserve-fds 1 --bundle '$BUNDLE' p1 3<&-"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--preserve-fds 1: fd 3 is not open"* ]]
	no_state_left p1
	run bash -c "'$RUNVM' --root '$RROOT' run --preserve-fds 2 --bundle '$BUNDLE' p2 3</dev/null 4<&-"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--preserve-fds 2: fd 4 is not open"* ]]
	no_state_left p2
	run bash -c "'$RUNVM' --root '$RROOT' create --preserve-fds 17 --bundle '$BUNDLE' p3"
	[ "$status" -eq 1 ]
	[[ "$output" == *"--preserve-fds 17: runvm relays at most 16 fds (3 to 18)"* ]]
	no_state_left p3
	start_sleeper
	fake_container s3 running "$SLEEPER"
	run bash -c "'$RUNVM' --root '$RROOT' exec --preserve-fds 1 s3 true 3</dev/null"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"exec: --preserve-fds 1: not supported by runvm's exec (create and run relay extra fds)"* ]]
	# 0 passes the check: this create goes on to fail on its missing bundle.
	run bash -c "'$RUNVM' --root '$RROOT' create --preserve-fds 0 --bundle /nonexistent p4 3<&-"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" != *"preserve-fds"* ]] && [[ "$output" == *"/nonexistent"* ]]
	no_state_left p4
}
