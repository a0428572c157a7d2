#!/usr/bin/env bats
# /dev/kvm really runs guest code: build/tests/kvmcheck (tests/tools/kvmcheck.c) enters
# 64-bit long mode and checks the I/O exit. Meant to run inside the KVM test host
# (tests/testhost/run-suites); elsewhere the tests skip with the reason.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	KVMCHECK=$ROOT/build/tests/kvmcheck
	[ -x "$KVMCHECK" ] || skip "build/tests/kvmcheck is not built (make)"
}

# Inside the test host (tests/testhost/run sets TESTHOST=1) KVM must work; elsewhere a
# machine without usable KVM (kvmcheck exit 2) is a reason to skip, not a failure.
need_usable_kvm() {
	if [ "${TESTHOST:-}" != 1 ]; then
		run "$KVMCHECK" --quiet
		[ "$status" -ne 2 ] || skip "no usable KVM outside the test host: $output"
	fi
}

# Runs kvmcheck in a private mount namespace after $1 (a shell snippet) changed /dev or
# /proc there; needs root and unshare.
kvmcheck_in_ns() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v unshare >/dev/null || skip "needs unshare"
	run unshare -m --propagation private sh -c "$1"
}

@test "kvmcheck: 64-bit guest code runs under /dev/kvm, I/O exit on port 0x10 value 0x42" {
	need_usable_kvm
	run "$KVMCHECK"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "kvmcheck: KVM works: 64-bit guest code ran, I/O exit on port 0x10 value 0x42" ]
}

@test "kvmcheck --quiet prints nothing on success" {
	need_usable_kvm
	run "$KVMCHECK" --quiet
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "kvmcheck says 'no /dev/kvm' (exit 2) when there is none" {
	kvmcheck_in_ns "mount -t tmpfs tmpfs /dev && exec '$KVMCHECK'"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == "kvmcheck: no /dev/kvm"* ]]
}

@test "kvmcheck says 'permission denied' (exit 2) for a user without access" {
	command -v setpriv >/dev/null || skip "needs setpriv"
	[ -c /dev/kvm ] || skip "no /dev/kvm here"
	kvmcheck_in_ns "mount -t tmpfs tmpfs /dev && mknod -m 600 /dev/kvm c 10 232 &&
		exec setpriv --reuid=65534 --regid=65534 --clear-groups '$KVMCHECK' --force"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == "kvmcheck: permission denied opening /dev/kvm"* ]]
}

@test "kvmcheck recognises a software KVM (no vmx/svm in /proc/cpuinfo) as PVM, exit 2" {
	[ -c /dev/kvm ] || skip "no /dev/kvm here"
	fake=$BATS_TEST_TMPDIR/cpuinfo
	sed -E 's/ (svm|vmx)( |$)/\2/' /proc/cpuinfo >"$fake"
	kvmcheck_in_ns "mount --bind '$fake' /proc/cpuinfo && exec '$KVMCHECK'"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == "kvmcheck: /dev/kvm is PVM (software KVM"* ]]
}
