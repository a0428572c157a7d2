#!/bin/bash
# VMM figures, side by side in one run, inside the KVM test host:
#   1. boot to guest init: runvm-vmm vs QEMU microvm, same vmlinux and initramfs,
#      timed the same way (VMM start to the init's first line on the serial console),
#      median of N runs;
#   2. VMM host memory overhead for an idle 256 MiB guest: RSS minus the guest RAM
#      pages touched (the memfd mapping's Rss), both VMMs;
#   3. vsock throughput guest->host and the VMM main thread's CPU per GB moved.
# Usage: tests/testhost/run bench/vmm.sh [RUNS]   (or directly on a real KVM host)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
B=$PWD/build
K=$B/vmlinux
I=$B/test-initramfs.cpio
T=$(mktemp -d /tmp/runvm-bench.XXXXXX)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$T"' EXIT
[ -w /dev/kvm ] || { echo "bench: no usable /dev/kvm (run inside tests/testhost/run)"; exit 1; }
CMDLINE='quiet rvcmd=true'
QEMU=(qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=off,isa-serial=on -enable-kvm
      -cpu host -nodefaults -no-user-config -nographic -no-reboot -serial stdio)

# Prints milliseconds from launching the command in the array named $1 until its
# stdout shows "rvtest: init up", then kills it (QEMU microvm does not exit on a
# guest reset by itself, so neither VMM is left to finish).
time_to_init() {
	local -n argv=$1
	local start end line
	start=$(date +%s%N)
	coproc VM { exec "${argv[@]}" 2>/dev/null; }
	local pid=$VM_PID
	while IFS= read -r -u "${VM[0]}" line; do
		if [[ $line == *"rvtest: init up"* ]]; then
			end=$(date +%s%N)
			echo $(((end - start) / 1000000))
			break
		fi
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

boot_runvm=("$B/runvm-vmm" --kernel "$K" --initrd "$I" --mem 256 --serial - --cmdline "$CMDLINE")
boot_qemu=("${QEMU[@]}" -m 256 -kernel "$K" -initrd "$I" -append "console=ttyS0 reboot=k panic=1 acpi=off $CMDLINE")

echo "== boot to guest init (ms, median of $RUNS; same kernel, initramfs, cmdline)"
for vmm in runvm qemu; do
	for _ in $(seq "$RUNS"); do time_to_init "boot_$vmm"; done >"$T/$vmm"
done
r=$(median <"$T/runvm") q=$(median <"$T/qemu")
printf '%-22s %8s ms   (runs: %s)\n' runvm-vmm "$r" "$(tr '\n' ' ' <"$T/runvm")"
printf '%-22s %8s ms   (runs: %s)\n' "qemu -M microvm" "$q" "$(tr '\n' ' ' <"$T/qemu")"
awk -v r="$r" -v q="$q" 'BEGIN { printf "%-22s %8.2f\n", "runvm / qemu", r / q }'

# Kb of RSS outside the guest RAM mapping (name matched by $2) of process $1.
overhead_kb() {
	awk -v pat="$2" '
		/^[0-9a-f]+-[0-9a-f]+ / { guest = index($0, pat) > 0 }
		/^Rss:/ { if (guest) g += $2; else o += $2 }
		END { print o, g }' "/proc/$1/smaps"
}

idle_overhead() {
	local name=$1 pat=$2 pid
	shift 2
	"$@" >"$T/$name.serial" 2>&1 &
	pid=$!
	for _ in $(seq 600); do grep -q "rvtest: init up" "$T/$name.serial" && break; sleep 0.1; done
	sleep 2
	read -r o g < <(overhead_kb "$pid" "$pat")
	printf '%-22s %8d KiB VMM overhead   (guest RAM touched: %d KiB)\n' "$name" "$o" "$g"
	kill -TERM "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

echo "== memory: idle 256 MiB guest, RSS minus guest pages touched"
idle_overhead runvm-vmm "memfd:runvm-guest-ram" "$B/runvm-vmm" --kernel "$K" --initrd "$I" \
	--mem 256 --serial - --cmdline "quiet rvcmd=\"sleep 1000\""
idle_overhead "qemu -M microvm" "memfd:memory-backend-memfd" "${QEMU[@]}" -m 256 \
	-object memory-backend-memfd,id=guestram,size=256M -machine memory-backend=guestram \
	-kernel "$K" -initrd "$I" -append "console=ttyS0 reboot=k panic=1 acpi=off quiet rvcmd=\"sleep 1000\""

echo "== vsock guest->host throughput (runvm-vmm, 512 MiB from the guest's /dev/zero)"
U=$T/v.sock
"$B/tests/vsock-host" listen "${U}_6000" >/dev/null &
lst=$!
"$B/runvm-vmm" --kernel "$K" --initrd "$I" --mem 256 --serial "$T/vs.serial" --vsock-uds "$U" \
	--cmdline 'quiet rvcmd="vsock-tool connect 2 6000 </dev/zero & sleep 1000"' &
vmm=$!
for _ in $(seq 600); do [ -e "/proc/$vmm" ] && [ -S "$U" ] && break; sleep 0.1; done
main_cpu() { awk '{print $14 + $15}' "/proc/$vmm/task/$vmm/stat"; }
# Measure a window of steady streaming (bytes via the listener's read count), once
# the guest is up and data flows.
for _ in $(seq 1200); do
	[ "$(awk '/^rchar/ {print $2}' "/proc/$lst/io" 2>/dev/null || echo 0)" -gt 1048576 ] && break
	sleep 0.1
done
c0=$(main_cpu) b0=$(awk '/^rchar/ {print $2}' "/proc/$lst/io") t0=$(date +%s%N)
sleep 5
c1=$(main_cpu) b1=$(awk '/^rchar/ {print $2}' "/proc/$lst/io") t1=$(date +%s%N)
kill -TERM "$vmm" "$lst" 2>/dev/null || true
wait 2>/dev/null || true
hz=$(getconf CLK_TCK)
awk -v b=$((b1 - b0)) -v ns=$((t1 - t0)) -v c=$((c1 - c0)) -v hz="$hz" 'BEGIN {
	mb = b / 1048576; s = ns / 1e9
	printf "%-22s %8.1f MB/s   VMM main thread: %.2f CPU-s per GB\n", "runvm-vmm vsock", mb / s,
	       (mb > 0) ? (c / hz) / (mb / 1024) : 0 }'
