#!/bin/sh
# fs_measure.sh DIR TAR MONO: the virtio-fs benchmark steps, run the same way on the
# test host's own filesystem and in the guest on a share of it (bench/fs.sh):
# sequential write (fsync'd) and read of a 256 MiB file, the read after dropping the
# caches of the kernel this runs on; untar of a 5,000-file tree, then find over it.
# Prints a STEP line as each step ends (partial results survive a timeout), then one
# line: BENCH write_ns=.. read_ns=.. untar_ns=.. find_ns=.. files=..
set -eu
D=$1 TAR=$2 MONO=$3
t0=$($MONO)
dd if=/dev/zero of="$D/big" bs=1M count=256 conv=fsync 2>/dev/null
t1=$($MONO)
echo "STEP write_ns=$((t1 - t0))"
sync
echo 3 >/proc/sys/vm/drop_caches
t2=$($MONO)
dd if="$D/big" of=/dev/null bs=1M 2>/dev/null
t3=$($MONO)
echo "STEP read_ns=$((t3 - t2))"
rm -f "$D/big"
mkdir "$D/tree"
t4=$($MONO)
tar -xf "$TAR" -C "$D/tree"
t5=$($MONO)
echo "STEP untar_ns=$((t5 - t4))"
n=$(find "$D/tree" -type f | wc -l)
t6=$($MONO)
rm -rf "$D/tree"
echo "BENCH write_ns=$((t1 - t0)) read_ns=$((t3 - t2)) untar_ns=$((t5 - t4)) find_ns=$((t6 - t5)) files=$n"
