#!/bin/sh
# /init of the VMM test initramfs (busybox). Mounts the basics, writes the boot
# marker, runs the command given on the kernel command line as rvcmd="...", then
# resets the VM (reboot=k: through the i8042), so the VMM exits.
mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
# The boot-time marker: the VMM logs the time since its start when this byte lands.
/bin/marker
echo "rvtest: init up"
if [ -n "$rvcmd" ]; then
	sh -c "$rvcmd"
	echo "rvtest: exit $?"
fi
sync
reboot -f
