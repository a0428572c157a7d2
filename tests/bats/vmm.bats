#!/usr/bin/env bats
# runvm-vmm end to end: our kernel and the busybox test initramfs under real KVM.

load helpers

setup() {
	need_kvm
	UDS=$BATS_TEST_TMPDIR/v.sock
}

@test "guest boots, serial reaches the file, reset ends the VMM with 0" {
	boot_guest "echo hello-from-guest"
	[ "$status" -eq 0 ]
	grep -q "hello-from-guest" "$SERIAL"
	grep -q "rvtest: exit 0" "$SERIAL"
}

@test "serial to stdout with --serial -" {
	run timeout 300 "$VMM" --kernel "$KERNEL" --initrd "$TINITRD" --serial - \
		--cmdline 'rvcmd="echo on-stdout"'
	[ "$status" -eq 0 ]
	[[ "$output" == *on-stdout* ]]
}

@test "--cpus 2 shows two CPUs in the guest" {
	boot_guest 'echo cpus=$(grep -c ^processor /proc/cpuinfo)' --cpus 2
	[ "$status" -eq 0 ]
	grep -q "cpus=2" "$SERIAL"
}

@test "--mem 256 gives the guest 256 MiB" {
	boot_guest 'grep MemTotal /proc/meminfo' --mem 256
	[ "$status" -eq 0 ]
	kb=$(sed -n 's/.*MemTotal: *\([0-9]*\) kB.*/\1/p' "$SERIAL" | tr -d '\r')
	# The kernel keeps its image and reserved areas out of MemTotal.
	[ "$kb" -gt $((200 * 1024)) ] && [ "$kb" -le $((256 * 1024)) ]
}

@test "--boot-time logs the guest's boot marker" {
	boot_guest "true" --boot-time
	[ "$status" -eq 0 ]
	[[ "$output" == *"boot time: guest init reached after"* ]]
}

@test "vsock host->guest: 100 MB arrive with the same sha256" {
	head -c 100M /dev/urandom >"$BATS_TEST_TMPDIR/data"
	want=$(sha256sum <"$BATS_TEST_TMPDIR/data" | cut -d' ' -f1)
	SERIAL=$BATS_TEST_TMPDIR/serial.log
	timeout 600 "$VMM" --kernel "$KERNEL" --initrd "$TINITRD" --serial "$SERIAL" --mem 256 \
		--vsock-uds "$UDS" --cmdline 'rvcmd="vsock-tool listen 5000 | sha256sum"' &
	vmm=$!
	run "$B/tests/vsock-host" connect "$UDS" 5000 --retry 120 <"$BATS_TEST_TMPDIR/data"
	[ "$status" -eq 0 ]
	wait $vmm
	grep -q "$want" "$SERIAL"
}

@test "vsock guest->host: 100 MB arrive with the same sha256" {
	SERIAL=$BATS_TEST_TMPDIR/serial.log
	"$B/tests/vsock-host" listen "${UDS}_6000" >"$BATS_TEST_TMPDIR/got" &
	lst=$!
	run timeout 600 "$VMM" --kernel "$KERNEL" --initrd "$TINITRD" --serial "$SERIAL" --mem 512 \
		--vsock-uds "$UDS" --cmdline 'rvcmd="head -c 104857600 /dev/urandom >/tmp/d; sha256sum /tmp/d; vsock-tool connect 2 6000 </tmp/d"'
	[ "$status" -eq 0 ]
	wait $lst
	got=$(sha256sum <"$BATS_TEST_TMPDIR/got" | cut -d' ' -f1)
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/got")" -eq 104857600 ]
	grep -q "$got" "$SERIAL"
}

@test "vsock: 64 concurrent connections each echo their own data" {
	SERIAL=$BATS_TEST_TMPDIR/serial.log
	timeout 600 "$VMM" --kernel "$KERNEL" --initrd "$TINITRD" --serial "$SERIAL" --mem 256 \
		--vsock-uds "$UDS" --cmdline 'rvcmd="vsock-tool listen -k 5001 -- cat"' &
	vmm=$!
	# Wait until the guest listens (a probe connection echoes).
	echo ping | "$B/tests/vsock-host" connect "$UDS" 5001 --retry 120 | grep -q ping
	pids=()
	for i in $(seq 1 64); do
		(head -c 65536 /dev/urandom >"$BATS_TEST_TMPDIR/in$i"
		 "$B/tests/vsock-host" connect "$UDS" 5001 <"$BATS_TEST_TMPDIR/in$i" \
			>"$BATS_TEST_TMPDIR/out$i") &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait_bounded "$p"; done
	kill -TERM $vmm
	wait $vmm || true
	for i in $(seq 1 64); do
		cmp "$BATS_TEST_TMPDIR/in$i" "$BATS_TEST_TMPDIR/out$i"
	done
}

@test "vsock: CONNECT to a port nobody listens on is refused cleanly" {
	SERIAL=$BATS_TEST_TMPDIR/serial.log
	timeout 600 "$VMM" --kernel "$KERNEL" --initrd "$TINITRD" --serial "$SERIAL" \
		--vsock-uds "$UDS" --cmdline 'rvcmd="vsock-tool listen -k 5001 -- cat"' &
	vmm=$!
	echo ping | "$B/tests/vsock-host" connect "$UDS" 5001 --retry 120 | grep -q ping
	run "$B/tests/vsock-host" connect "$UDS" 5999
	[ "$status" -eq 3 ]
	# The VMM is still healthy afterwards.
	echo again | "$B/tests/vsock-host" connect "$UDS" 5001 | grep -q again
	kill -TERM $vmm
	wait $vmm || true
}

@test "SIGTERM shuts the VM down and leaves nothing behind" {
	SERIAL=$BATS_TEST_TMPDIR/serial.log
	"$VMM" --kernel "$KERNEL" --initrd "$TINITRD" --serial "$SERIAL" --vsock-uds "$UDS" \
		--pid-file "$BATS_TEST_TMPDIR/pid" --cmdline 'rvcmd="sleep 1000"' &
	vmm=$!
	for _ in $(seq 1 600); do grep -q "rvtest: init up" "$SERIAL" 2>/dev/null && break; sleep 0.2; done
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$vmm" ]
	kill -TERM $vmm
	rc=0
	wait $vmm || rc=$?
	[ "$rc" -eq 143 ]
	[ ! -e "$UDS" ]
	! kill -0 $vmm 2>/dev/null
	[ -z "$(pgrep -P $vmm)" ]
}

@test "bad input: missing kernel" {
	run "$VMM" --kernel /nonexistent/vmlinux
	[ "$status" -ne 0 ]
	[[ "$output" == *"kernel /nonexistent/vmlinux: No such file or directory"* ]]
}

@test "bad input: a kernel that is not an ELF vmlinux" {
	head -c 4096 /dev/zero >"$BATS_TEST_TMPDIR/notelf"
	run "$VMM" --kernel "$BATS_TEST_TMPDIR/notelf" --serial none
	[ "$status" -ne 0 ]
	[[ "$output" == *"not an x86-64 ELF vmlinux"* ]]
}

@test "bad input: a too-long command line" {
	run "$VMM" --kernel "$KERNEL" --cmdline "$(head -c 3000 /dev/zero | tr '\0' x)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"command line too long"* ]]
	run "$VMM" --kernel "$KERNEL" --serial none --cmdline "$(head -c 2000 /dev/zero | tr '\0' x)"
	[ "$status" -ne 0 ]
	[[ "$output" == *"command line too long"* ]]
}

@test "bad input: --mem 0" {
	run "$VMM" --kernel "$KERNEL" --mem 0
	[ "$status" -ne 0 ]
	[[ "$output" == *"--mem 0: expected a number"* ]]
}

@test "bad input: an unreadable initrd" {
	run "$VMM" --kernel "$KERNEL" --initrd /nonexistent.cpio
	[ "$status" -ne 0 ]
	[[ "$output" == *"initrd /nonexistent.cpio: No such file or directory"* ]]
	run "$VMM" --kernel "$KERNEL" --initrd "$BATS_TEST_TMPDIR" --serial none
	[ "$status" -ne 0 ]
	[[ "$output" == *"initrd $BATS_TEST_TMPDIR"* ]]
}

@test "bad input: a vsock path that exists" {
	touch "$UDS"
	run "$VMM" --kernel "$KERNEL" --vsock-uds "$UDS"
	[ "$status" -ne 0 ]
	[[ "$output" == *"vsock $UDS: path exists"* ]]
	[ -f "$UDS" ] # and it was left alone
}
