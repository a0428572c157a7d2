#!/bin/sh
# fs_measure.sh DIR TAR MONO [STEPS]: the virtio-fs benchmark steps, run the same way on
# the test host's own filesystem and in the guest on a share of it (bench/fs.sh).
# STEPS (default "write read untar find"): sequential write (fsync'd) and read of a
# 256 MiB file, the read after dropping the caches of the kernel this runs on; untar
# of a 5,000-file tree, then find over it. Prints "STEP key=ns" as each step ends, so
# a run cut short by its time limit keeps what it measured, then "STEP done files=N".
set -eu
D=$1 TAR=$2 MONO=$3 STEPS=${4:-write read untar find}
files=-
for s in $STEPS; do
	t0=$($MONO)
	case $s in
	write) dd if=/dev/zero of="$D/big" bs=1M count=256 conv=fsync 2>/dev/null ;;
	read)
		[ -f "$D/big" ] || dd if=/dev/zero of="$D/big" bs=1M count=256 2>/dev/null
		sync
		echo 3 >/proc/sys/vm/drop_caches
		t0=$($MONO)
		dd if="$D/big" of=/dev/null bs=1M 2>/dev/null ;;
	untar) mkdir "$D/tree" && tar -xf "$TAR" -C "$D/tree" ;;
	find) files=$(find "$D/tree" -type f | wc -l) ;;
	esac
	t1=$($MONO)
	echo "STEP ${s}_ns=$((t1 - t0))"
done
rm -rf "$D/big" "$D/tree"
echo "STEP done files=$files"
