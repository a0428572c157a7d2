#!/usr/bin/env bats
# runvm-init as PID 1 of a guest under runvm-vmm: the bare-machine agent scenarios
# (tests/agent/scenarios.bash) over vsock, through --vsock-uds. Each test runs
# tests/agent/run --vm with a filter; every container is a fresh VM booted from
# build/vmlinux and build/initramfs.cpio, with a busybox rootfs as /rootfs in a second
# cpio (no virtio-fs yet). The issue's in-VM acceptance: every bare-machine scenario
# over vsock, "zombies" (a zombie-making workload leaves none) and "boot marker"
# (the VMM's boot-time marker reports guest boot to container created).
#
# Each run of the client has 150 s (tests/agent/run --vm; a guest took 116 s to boot
# under heavy load), plus 10 s to stop its VM, and a scenario has at most
# three runs: a hang fails within the scenario's timeout below, and the client says
# what it was waiting for ("agent-client: timed out after ... waiting for ...").

load helpers

vm_scenario() {
	need_kvm
	run timeout -k 10 510 "$ROOT/tests/agent/run" --vm "$1"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ [1-9][0-9]*\ passed,\ 0\ failed ]]
}

@test "guest-init: echo hi (stdout, exit 0)" { vm_scenario "echo"; }
@test "guest-init: stderr and exit code 3" { vm_scenario "stderr"; }
@test "guest-init: cat fed 50 MB on stdin, same sha256" { vm_scenario "cat"; }
@test "guest-init: stdin EOF" { vm_scenario "stdin eof"; }
@test "guest-init: SIGKILL is reported as signal 9" { vm_scenario "SIGKILL"; }
@test "guest-init: kill --all" { vm_scenario "kill all"; }
@test "guest-init: missing and non-executable files, runc's wording" { vm_scenario "missing"; }
@test "guest-init: user 1000:1000 with additional groups" { vm_scenario "user"; }
@test "guest-init: umask, cwd, env, HOME" { vm_scenario "umask"; }
@test "guest-init: rlimit" { vm_scenario "rlimit"; }
@test "guest-init: extra fds (--preserve-fds): pipes in and out, EOF both ways" { vm_scenario "extra fds: pipes"; }
@test "guest-init: extra fds (--preserve-fds): AF_UNIX and TCP sockets both ways" { vm_scenario "extra fds: sockets"; }
@test "guest-init: extra fds (--preserve-fds): /dev/null, 16 fds, not in the hooks" { vm_scenario "extra fds: fds"; }
@test "guest-init: capabilities (all five sets)" { vm_scenario "capabilities"; }
@test "guest-init: noNewPrivileges" { vm_scenario "noNewPrivileges"; }
@test "guest-init: seccomp, argument conditions included" { vm_scenario "seccomp"; }
@test "guest-init: read-only root" { vm_scenario "read-only root"; }
@test "guest-init: masked paths" { vm_scenario "masked"; }
@test "guest-init: readonly paths" { vm_scenario "readonly path"; }
@test "guest-init: hostname and sysctl" { vm_scenario "hostname"; }
@test "guest-init: default devices and /dev symlinks" { vm_scenario "devices"; }
@test "guest-init: the init is PID 1 of its pid namespace" { vm_scenario "pid namespace"; }
@test "guest-init: terminal and resize" { vm_scenario "terminal"; }
@test "guest-init: exec" { vm_scenario "exec"; }
@test "guest-init: ps" { vm_scenario "ps"; }
@test "guest-init: a zombie-making workload leaves no zombies" { vm_scenario "zombies"; }
@test "guest-init: OOM event" { vm_scenario "oom"; }
@test "guest-init: boot marker at container created" { vm_scenario "boot marker"; }
