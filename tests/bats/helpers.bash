# Shared helpers for the bats suites. They run inside the KVM test host
# (tests/testhost/run-suites); a test that needs KVM skips with the reason elsewhere.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
B=$ROOT/build
VMM=$B/runvm-vmm
KERNEL=$B/vmlinux
TINITRD=$B/test-initramfs.cpio

need_kvm() {
	[ -w /dev/kvm ] || skip "no usable /dev/kvm here (run inside tests/testhost/run)"
	grep -qwE 'vmx|svm' /proc/cpuinfo || skip "/dev/kvm is not hardware KVM (PVM?)"
	[ -f "$KERNEL" ] || skip "no guest kernel at $KERNEL (make kernel)"
}

# wait_bounded PID [SECONDS]: waits for background job PID (default 300 s) and returns its
# status. One still running then is killed and 124 returned: a guest that stalls fails
# its test instead of hanging the whole suite.
wait_bounded() {
	local pid=$1 limit=${2:-300} i
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || {
			wait "$pid"
			return
		}
		sleep 0.1
	done
	echo "pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)) still running after $limit s: killed"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 124
}

# Boots the test initramfs running $1 in the guest (sh -c); extra VMM args follow.
# Serial output goes to $SERIAL; the VMM's exit status is in $status.
SERIAL=
boot_guest() {
	local cmd=$1
	shift
	SERIAL=$BATS_TEST_TMPDIR/serial.log
	run timeout 300 "$VMM" --kernel "$KERNEL" --initrd "$TINITRD" --serial "$SERIAL" \
		--cmdline "rvcmd=\"$cmd\"" "$@"
	# Shown by bats only when the test fails.
	echo "runvm-vmm exit $status: $output"
	[ -f "$SERIAL" ] && tail -n 40 "$SERIAL"
	return 0
}
