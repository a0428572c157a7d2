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
