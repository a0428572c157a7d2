#!/bin/bash
# Per-request cost of virtio-fs, runvm-vmm side by side with QEMU microvm (same
# vmlinux, initramfs, virtiofsd and options), plus the guest's own tmpfs as a floor:
#   lookup_ns: N negative lookups (stat of a missing name: one FUSE request each)
#   create_ns: N small files created (`echo i >f`: lookup, create, write, flush, release)
#   stat_ns:   N lookups of one existing file (a request each with cache=none; with
#              FS_LAT_SHARE_OPTS=cache=auto, runvm only, the guest keeps it for 1 s)
# The shared directory is on a fresh tmpfs (FS_LAT_DIR=DIR to put it elsewhere, e.g. on
# the test host's virtio-fs root, to see what the filesystem under virtiofsd costs).
# Usage: tests/testhost/run bench/fs_latency.sh [N]   (N=200)
#   FS_LAT_VMMS="runvm qemu"  FS_LAT_VFSD_ARGS="..." extra virtiofsd options, both VMMs
#   FS_LAT_SHARE_OPTS=cache=auto: runvm-vmm's --share options for the measured share
#   FS_LAT_ALT=PATH: another runvm-vmm binary, as VMM "alt" (before/after a change)
#   FS_LAT_LIMIT=600: seconds per VM
set -euo pipefail
cd "$(dirname "$0")/.."
B=$PWD/build
K=$B/vmlinux
I=$B/test-initramfs.cpio
N=${1:-200}
VMMS=${FS_LAT_VMMS:-runvm qemu}
[ -w /dev/kvm ] || { echo "bench: no usable /dev/kvm (run inside tests/testhost/run)"; exit 1; }
T=$(mktemp -d /tmp/runvm-fslat.XXXXXX)
vpids=()
cleanup() {
	local p
	for p in "${vpids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	umount "$T/fs" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/t" "$T/fs"
if [ -n "${FS_LAT_DIR:-}" ]; then
	D=$(mktemp -d "$FS_LAT_DIR/runvm-fslat.XXXXXX")
	trap 'cleanup; rm -rf "$D"' EXIT
else
	mount -t tmpfs -o size=256m fslat "$T/fs"
	D=$T/fs
fi
cp "$B/guest/mono" "$T/t/"
cat >"$T/t/run.sh" <<EOF
n=$N
loop() { # loop DIR OP: times n iterations of OP with i=0..n-1
	t0=\$(/tmp/t/mono); i=0
	while [ \$i -lt \$n ]; do eval "\$2"; i=\$((i + 1)); done
	echo \$((\$(/tmp/t/mono) - t0))
}
mkdir /tmp/local
echo "LAT tmpfs_lookup_ns=\$(loop /tmp/local '[ -e /tmp/local/x\$i ]')"
echo "LAT tmpfs_create_ns=\$(loop /tmp/local 'echo \$i >/tmp/local/f\$i')"
mount -t virtiofs data /mnt || exit 1
mkdir /mnt/d
echo "LAT lookup_ns=\$(loop /mnt/d '[ -e /mnt/d/x\$i ]')"
echo "LAT create_ns=\$(loop /mnt/d 'echo \$i >/mnt/d/f\$i')"
echo "LAT stat_ns=\$(loop /mnt/d '[ -e /mnt/d/f0 ]')"
echo "LAT listed=\$(ls /mnt/d | wc -l)"
echo "LAT done"
EOF
vfsd=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}
# runvm-vmm starts virtiofsd itself: extra options reach it through a wrapper.
vfsd_opt=()
if [ -n "${FS_LAT_VFSD_ARGS:-}" ]; then
	printf '#!/bin/sh\nexec %s "$@" %s\n' "$vfsd" "$FS_LAT_VFSD_ARGS" >"$T/vfsd"
	chmod +x "$T/vfsd"
	vfsd_opt=(--virtiofsd "$T/vfsd")
fi
CMD='quiet rvcmd="mkdir -p /tmp/t && mount -t virtiofs t /tmp/t && sh /tmp/t/run.sh"'

# run_vm NAME CMD...: runs a VM until its "LAT done" line (or 900 s), keeps LAT lines
# (QEMU microvm has no i8042, so it does not exit on the guest's reset by itself).
run_vm() {
	local name=$1 pid
	shift
	"$@" >"$T/$name.log" 2>&1 &
	pid=$!
	for _ in $(seq $((${FS_LAT_LIMIT:-600} * 10))); do
		grep -q "LAT done" "$T/$name.log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	tr -d '\r' <"$T/$name.log" | sed -n 's/^LAT //p' >"$T/$name.out"
	[ -s "$T/$name.out" ] || tail -n 20 "$T/$name.log"
	echo "$name: $(tr '\n' ' ' <"$T/$name.out")"
	rm -rf "${D:?}/d"
}

start_vfsd() { # start_vfsd SOCK DIR: the C virtiofsd with runvm-vmm's options
	"$vfsd" --socket-path="$1" -o source="$2" -o cache=none -o sandbox=chroot -o xattr \
		${FS_LAT_VFSD_ARGS:-} >"$1.log" 2>&1 &
	vpids+=($!)
	for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done
	cat "$1.log"
	return 1
}

for vmm in $VMMS; do
	case $vmm in
	runvm | alt)
		bin=$B/runvm-vmm
		[ "$vmm" = alt ] && bin=${FS_LAT_ALT:?FS_LAT_ALT=PATH names the other runvm-vmm}
		run_vm "$vmm" "$bin" --kernel "$K" --initrd "$I" --mem 512 --serial - \
			--share "t=$T/t,ro" --share "data=$D${FS_LAT_SHARE_OPTS:+,$FS_LAT_SHARE_OPTS}" "${vfsd_opt[@]}" --cmdline "$CMD" ;;
	qemu)
		start_vfsd "$T/t.sock" "$T/t"
		start_vfsd "$T/d.sock" "$D"
		run_vm qemu qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=off,isa-serial=on,memory-backend=mem \
			-enable-kvm -cpu host -nodefaults -no-user-config -nographic -no-reboot -serial stdio \
			-m 512 -object memory-backend-memfd,id=mem,size=512M,share=on \
			-chardev socket,id=c0,path="$T/t.sock" -device vhost-user-fs-device,chardev=c0,tag=t \
			-chardev socket,id=c1,path="$T/d.sock" -device vhost-user-fs-device,chardev=c1,tag=data \
			-kernel "$K" -initrd "$I" -append "console=ttyS0 reboot=k panic=1 acpi=off ${CMD#quiet }"
		for p in "${vpids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
		vpids=() ;;
	*) echo "bench: unknown VMM $vmm"; exit 2 ;;
	esac
done

per() { awk -v ns="$1" -v n="$N" 'BEGIN { printf "%.1f ms", ns / n / 1e6 }'; }
printf '%-8s %16s %16s %16s %16s %16s\n' "" "tmpfs lookup" "tmpfs create" "virtio-fs lookup" \
	"virtio-fs create" "virtio-fs stat"
for vmm in $VMMS; do
	get() { sed -n "s/^$1=//p" "$T/$vmm.out"; }
	[ -n "$(get create_ns)" ] || { printf '%-8s (no result)\n' "$vmm"; continue; }
	printf '%-8s %16s %16s %16s %16s %16s\n' "$vmm" "$(per "$(get tmpfs_lookup_ns)")" \
		"$(per "$(get tmpfs_create_ns)")" "$(per "$(get lookup_ns)")" "$(per "$(get create_ns)")" \
		"$(per "$(get stat_ns)")"
done
echo "(per iteration: a lookup is one FUSE request, a create about five)"
