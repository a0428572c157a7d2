#!/bin/bash
# virtio-fs figures, side by side in one run inside the KVM test host:
#   the same steps (bench/fs_measure.sh: sequential write and read of a 256 MiB file,
#   untar of a 5,000-file tree, then find over it) on the test host's own filesystem
#   and in a runvm guest over virtio-fs on a share of that same filesystem: all steps
#   with cache=none (the default), untar and find again with cache=auto and
#   cache=always (FS_BENCH_MODES, FS_BENCH_FULL). Ratios are guest / host
#   (throughput: guest as a fraction of host; times: how many times slower).
# The filesystem is ext4 on a loop device, so both sides use the same one. Reads are
# timed after dropping the caches of the kernel doing the reading (the guest's own for
# the guest, whose reads then come through virtiofsd from the host's page cache).
# Every tool is busybox on both sides.
# Each run has a time limit (FS_BENCH_TIMEOUT=1200 s); a run cut short still shows
# the steps it finished.
# Usage: tests/testhost/run bench/fs.sh   (or directly on a real KVM host, as root)
set -euo pipefail
cd "$(dirname "$0")/.."
B=$PWD/build
K=$B/vmlinux
I=$B/test-initramfs.cpio
MODES=${FS_BENCH_MODES:-none auto always}
FULL=${FS_BENCH_FULL:-none}        # the mode that also runs sequential write and read
LIMIT=${FS_BENCH_TIMEOUT:-1200}    # seconds per run (host side, each guest)
[ -w /dev/kvm ] || { echo "bench: no usable /dev/kvm (run inside tests/testhost/run)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: needs root (loop mount, drop_caches)"; exit 1; }
T=$(mktemp -d /tmp/runvm-fsbench.XXXXXX)
FS=$T/fs
cleanup() {
	umount "$FS" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

# Tools: busybox applets first in PATH, and the static clock helper.
mkdir -p "$T/bin" "$T/t"
busybox --install -s "$T/bin"
export PATH=$T/bin:$PATH
MONO=$B/guest/mono

truncate -s 1536M "$T/img"
mkfs.ext4 -q -F "$T/img"
modprobe loop 2>/dev/null || true
mkdir -p "$FS"
mount -o loop "$T/img" "$FS"

# The tree: 50 directories of 100 files, 1-4 KiB each (about 12 MiB).
blob=$T/blob
head -c 4096 /dev/urandom >"$blob"
for d in $(seq 50); do
	mkdir -p "$T/tree/d$d"
	for f in $(seq 100); do
		head -c $((1024 + (d * 131 + f * 37) % 3072)) "$blob" >"$T/tree/d$d/f$f"
	done
done
(cd "$T/tree" && tar -cf "$T/t/tree.tar" .)
cp bench/fs_measure.sh "$MONO" "$T/t/"

parse() { tr -d '\r' | sed -n 's/^STEP //p' | tr '\n' ' '; }
get() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

echo "== test host: ext4 on loop (image on tmpfs), $(nproc) CPUs; guest: 1 vCPU, 512 MiB"
declare -A res
mkdir "$FS/host"
res[host]=$(timeout "$LIMIT" busybox sh bench/fs_measure.sh "$FS/host" "$T/t/tree.tar" "$MONO" | parse) || true
rm -rf "$FS/host"
echo "raw: host: ${res[host]}"
for m in $MODES; do
	steps="untar find"
	[ "$m" = "$FULL" ] && steps="write read untar find"
	mkdir "$FS/g"
	# Each guest run has its own time limit; what it measured before survives.
	out=$(timeout -k 10 "$LIMIT" "$B/runvm-vmm" --kernel "$K" --initrd "$I" --mem 512 --serial - \
		--share "t=$T/t,ro" --share "data=$FS/g,cache=$m" \
		--cmdline "quiet rvcmd=\"mkdir /tmp/t && mount -t virtiofs t /tmp/t && cp /tmp/t/tree.tar /tmp/ && mount -t virtiofs data /mnt && sh /tmp/t/fs_measure.sh /mnt /tmp/tree.tar /tmp/t/mono '$steps'\"" 2>&1) || true
	res[$m]=$(echo "$out" | parse)
	[[ ${res[$m]} == *files=* ]] || echo "bench: guest run with cache=$m did not finish within ${LIMIT}s"
	echo "raw: guest cache=$m: ${res[$m]}"
	rm -rf "$FS/g"
done

mbs() { awk -v ns="$1" 'BEGIN { printf "%.1f", 256 / (ns / 1e9) }'; }
sec() { awk -v ns="$1" 'BEGIN { printf "%.2f", ns / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

printf '%-24s %12s' "" host
for m in $MODES; do printf ' %18s' "guest cache=$m"; done
echo
row() {
	local label=$1 key=$2 fmt=$3 h v
	h=$(get "${res[host]}" "$key")
	printf '%-24s %12s' "$label" "$([ -n "$h" ] && $fmt "$h" || echo -)"
	for m in $MODES; do
		v=$(get "${res[$m]}" "$key")
		if [ -z "$v" ] || [ -z "$h" ]; then
			printf ' %18s' -
		elif [ "$fmt" = mbs ]; then
			printf ' %10s (%5s)' "$($fmt "$v")" "$(ratio "$h" "$v")"
		else
			printf ' %10s (%5s)' "$($fmt "$v")" "$(ratio "$v" "$h")"
		fi
	done
	echo
}
row "seq write 256M MB/s" write_ns mbs
row "seq read 256M MB/s" read_ns mbs
row "untar 5000 files s" untar_ns sec
row "find 5000 files s" find_ns sec
echo "(in parentheses: guest/host ratio: throughput as a fraction of the host's, times as a multiple;"
echo " -: not measured (write and read run with cache=$FULL only) or cut by the ${LIMIT}s limit)"
echo "files seen: host $(get "${res[host]}" files)$(for m in $MODES; do printf ', %s %s' "$m" "$(get "${res[$m]}" files)"; done)"
