#!/usr/bin/env bats
# virtio-fs end to end: runvm-vmm's vhost-user-fs front-end with virtiofsd, our kernel
# and the busybox test initramfs under real KVM (inside the test host). Guest scripts
# travel in a second, read-only share "t" mounted at /tmp/t.

load helpers

setup() {
	S=$BATS_TEST_TMPDIR/share
	T=$BATS_TEST_TMPDIR/t
	mkdir -p "$S" "$T"
}

teardown() {
	[ -n "${EXT4:-}" ] && umount "$EXT4" 2>/dev/null
	[ -n "${STATE:-}" ] && "$B/tests/staging" remove "$STATE" 2>/dev/null
	[ -n "${BG:-}" ] && kill -KILL "$BG" 2>/dev/null
	true
}

need_virtiofsd() {
	for v in /usr/libexec/virtiofsd /usr/lib/qemu/virtiofsd; do
		[ -x "$v" ] && return 0
	done
	command -v virtiofsd >/dev/null || skip "no virtiofsd installed"
}

need_fs() {
	need_kvm
	need_virtiofsd
}

# guest_run SCRIPT [VMM ARGS...]: boots the guest running SCRIPT (text) from share t.
guest_run() {
	printf '%s\n' "$1" >"$T/run.sh"
	shift
	boot_guest "mkdir -p /tmp/t && mount -t virtiofs t /tmp/t && sh /tmp/t/run.sh" \
		--mem 512 --share "t=$T,ro" "$@"
}

# Starts the VMM in the background (pid in BG), guest running SCRIPT; shares follow.
guest_start() {
	printf '%s\n' "$1" >"$T/run.sh"
	shift
	SERIAL=$BATS_TEST_TMPDIR/serial.log
	"$VMM" --kernel "$KERNEL" --initrd "$TINITRD" --serial "$SERIAL" --mem 512 \
		--share "t=$T,ro" "$@" \
		--cmdline 'rvcmd="mkdir -p /tmp/t && mount -t virtiofs t /tmp/t && sh /tmp/t/run.sh"' \
		>"$BATS_TEST_TMPDIR/vmm.out" 2>&1 &
	BG=$!
}

# wait_for FILE [SECONDS]: until FILE exists.
wait_for() {
	for _ in $(seq $((${2:-120} * 10))); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $1"
	return 1
}

@test "guest writes are on the host at once and host writes in the guest, content and mode" {
	need_fs
	guest_start '
		mount -t virtiofs data /mnt || exit 1
		echo v1 >/mnt/g && chmod 640 /mnt/g && cat /mnt/g && touch /mnt/ready
		while [ ! -e /mnt/go ]; do sleep 0.05; done
		echo "f=$(cat /mnt/g) h=$(cat /mnt/h) mode=$(stat -c %a /mnt/h) size=$(stat -c %s /mnt/g)"' \
		--share "data=$S"
	wait_for "$S/ready"
	[ "$(cat "$S/g")" = v1 ]
	[ "$(stat -c %a "$S/g")" = 640 ]
	echo v2-longer >"$S/g"
	echo new >"$S/h"
	chmod 604 "$S/h"
	touch "$S/go"
	st=0
	wait_bounded "$BG" || st=$?
	BG=
	cat "$SERIAL" "$BATS_TEST_TMPDIR/vmm.out"
	[ "$st" -eq 0 ]
	grep -q "f=v2-longer h=new mode=604 size=10" "$SERIAL"
	grep -q "rvtest: exit 0" "$SERIAL"
	grep -q "sandbox=" "$BATS_TEST_TMPDIR/vmm.out"
}

# rust_virtiofsd: the Rust virtiofsd's path, or skip. Debian 12 has no package of it;
# scripts/rust-virtiofsd (run by `make check` and `make bats`) unpacks Debian 13's into
# build/rust-virtiofsd/ with a wrapper; RUNVM_VIRTIOFSD_RUST=PATH names another build.
rust_virtiofsd() {
	local v
	for v in "${RUNVM_VIRTIOFSD_RUST:-}" "$B/rust-virtiofsd/virtiofsd" /usr/libexec/virtiofsd \
		"$(command -v virtiofsd || true)"; do
		[ -n "$v" ] && [ -x "$v" ] && "$v" --help 2>&1 | grep -q -- --shared-dir && {
			echo "$v"
			return 0
		}
	done
	return 1
}

@test "the Rust virtiofsd: guest and host see each other's writes" {
	need_kvm
	if ! vfsd=$(rust_virtiofsd); then
		why="not fetched (scripts/rust-virtiofsd), none installed, no RUNVM_VIRTIOFSD_RUST"
		[ -f "$B/rust-virtiofsd/unavailable" ] && why=$(cat "$B/rust-virtiofsd/unavailable")
		skip "no Rust virtiofsd: $why"
	fi
	echo host >"$S/h"
	guest_run 'mount -t virtiofs data /mnt && echo "got=$(cat /mnt/h)" && echo guest >/mnt/g &&
		chmod 640 /mnt/g' \
		--share "data=$S" --virtiofsd "$vfsd"
	[ "$status" -eq 0 ]
	grep -q "got=host" "$SERIAL"
	[ "$(cat "$S/g")" = guest ]
	[ "$(stat -c %a "$S/g")" = 640 ]
	[[ "$output" == *"virtiofsd for 'data': sandbox="* ]]
}

# What runvm-vmm falls back to where pivot_root fails. The Rust virtiofsd chroots after
# loading its libraries (here trixie's, through the wrapper), so nothing is missing.
@test "the Rust virtiofsd under sandbox=chroot" {
	need_kvm
	vfsd=$(rust_virtiofsd) || skip "no Rust virtiofsd (see the test above)"
	echo host >"$S/h"
	guest_run 'mount -t virtiofs data /mnt && echo "got=$(cat /mnt/h)" && mkdir /mnt/d &&
		echo guest >/mnt/d/g && mv /mnt/d/g /mnt/g2' \
		--share "data=$S,sandbox=chroot" --virtiofsd "$vfsd"
	[ "$status" -eq 0 ]
	grep -q "got=host" "$SERIAL"
	[ "$(cat "$S/g2")" = guest ]
}

# The guest copies host -> guest RAM -> host; hashes are taken on the host (hashing
# 200 MB in the nested test host's guest alone takes minutes).
@test "200 MB keep their sha256 through the share, both ways" {
	need_fs
	head -c 200M /dev/urandom >"$S/big"
	want=$(sha256sum <"$S/big" | cut -d' ' -f1)
	printf '%s\n' 'mount -t virtiofs data /mnt && cp /mnt/big /tmp/big && cp /tmp/big /mnt/big2 &&
		sync && echo copied' >"$T/run.sh"
	SERIAL=$BATS_TEST_TMPDIR/serial.log
	run timeout 900 "$VMM" --kernel "$KERNEL" --initrd "$TINITRD" --serial "$SERIAL" \
		--mem 768 --share "t=$T,ro" --share "data=$S" \
		--cmdline 'rvcmd="mkdir -p /tmp/t && mount -t virtiofs t /tmp/t && sh /tmp/t/run.sh"'
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "^copied" "$SERIAL"
	[ "$(sha256sum <"$S/big2" | cut -d' ' -f1)" = "$want" ]
}

# many_files N: N small files created in the guest by 10 writers on 2 vCPUs, then
# counted in the guest (a glob: readdir only, no lookup per name) and on the host.
many_files() {
	local n=$1
	printf '%s\n' "mount -t virtiofs data /mnt && mkdir /mnt/many || exit 1
		for w in 0 1 2 3 4 5 6 7 8 9; do
			(i=\$w; while [ \$i -lt $n ]; do echo \$i >/mnt/many/f\$i || echo \"create f\$i failed\"; i=\$((i + 10)); done) &
		done
		wait
		set -- /mnt/many/*
		echo listed=\$#" >"$T/run.sh"
	SERIAL=$BATS_TEST_TMPDIR/serial.log
	run timeout 1500 "$VMM" --kernel "$KERNEL" --initrd "$TINITRD" --serial "$SERIAL" \
		--cpus 2 --mem 512 --share "t=$T,ro" --share "data=$S" \
		--cmdline 'rvcmd="mkdir -p /tmp/t && mount -t virtiofs t /tmp/t && sh /tmp/t/run.sh"'
	echo "$output"
	# Shown only when the test fails: what the guest said, what the host has.
	tail -n 20 "$SERIAL"
	echo "runvm-vmm exit status $status; host lists $(ls "$S/many" 2>/dev/null | wc -l) files"
	[ "$status" -eq 0 ]
	grep -q "listed=$n" "$SERIAL"
	[ "$(ls "$S/many" | wc -l)" -eq "$n" ]
	[ "$(cat "$S/many/f$((n - 1))")" = $((n - 1)) ]
	[ "$(cat "$S/many/f0")" = 0 ]
}

# About five FUSE requests per file; in the nested (TCG) test host a request costs
# milliseconds (bench/fs_latency.sh), seconds in all on a real KVM host.
@test "10,000 small files created in the guest are all listed on the host" {
	need_fs
	many_files 10000
}

@test "rename, unlink, symlink, hard link, chmod, chown, mkfifo, xattrs: as on the host" {
	need_fs
	EXT4=$BATS_TEST_TMPDIR/ext4
	mkdir -p "$EXT4"
	truncate -s 64M "$BATS_TEST_TMPDIR/fs.img"
	mkfs.ext4 -q -F "$BATS_TEST_TMPDIR/fs.img"
	modprobe loop 2>/dev/null || true
	mount -o loop "$BATS_TEST_TMPDIR/fs.img" "$EXT4" || skip "cannot loop-mount an ext4 image here"
	mkdir "$EXT4/host" "$EXT4/guest"
	bin=$BATS_TEST_TMPDIR/bb
	mkdir -p "$bin"
	busybox --install -s "$bin"
	PATH=$bin:$PATH busybox sh "$ROOT/tests/bats/fs_ops.sh" "$EXT4/host" "$B/guest/xattr" \
		>"$BATS_TEST_TMPDIR/host.out" 2>&1
	cp "$ROOT/tests/bats/fs_ops.sh" "$T/"
	guest_run 'mount -t virtiofs data /mnt && sh /tmp/t/fs_ops.sh /mnt/guest xattr >/tmp/out 2>&1;
		echo "----8<----"; cat /tmp/out; echo "---->8----"' --share "data=$EXT4"
	[ "$status" -eq 0 ]
	tr -d '\r' <"$SERIAL" | sed -n '/^----8<----$/,/^---->8----$/p' | sed '1d;$d' \
		>"$BATS_TEST_TMPDIR/guest.out"
	[ -s "$BATS_TEST_TMPDIR/guest.out" ]
	diff -u "$BATS_TEST_TMPDIR/host.out" "$BATS_TEST_TMPDIR/guest.out"
	grep -q "user.k2" "$BATS_TEST_TMPDIR/guest.out"
}

@test "a read-only share refuses writes in the guest with EROFS" {
	need_fs
	echo keep >"$S/f"
	guest_run 'mount -t virtiofs ro /mnt && cat /mnt/f &&
		for op in "echo x >/mnt/new" "echo x >>/mnt/f" "mkdir /mnt/d" "rm /mnt/f" "chmod 777 /mnt/f" "touch /mnt/f"; do
			sh -c "$op" 2>&1 | grep -q "Read-only file system" && echo "EROFS: $op"; done' \
		--share "ro=$S,ro"
	[ "$status" -eq 0 ]
	cat "$SERIAL"
	grep -q "^keep" "$SERIAL"
	[ "$(grep -c "^EROFS: " "$SERIAL")" -eq 6 ]
	[ "$(cat "$S/f")" = keep ]
	[ ! -e "$S/new" ] && [ ! -e "$S/d" ]
}

@test "shares with cache=auto and cache=always mount too" {
	need_fs
	mkdir -p "$S/a" "$S/b"
	echo A >"$S/a/x"
	echo B >"$S/b/x"
	guest_run 'mkdir /tmp/a /tmp/b && mount -t virtiofs a /tmp/a && mount -t virtiofs b /tmp/b &&
		echo "got=$(cat /tmp/a/x)$(cat /tmp/b/x)"' \
		--share "a=$S/a,cache=auto" --share "b=$S/b,cache=always"
	[ "$status" -eq 0 ]
	grep -q "got=AB" "$SERIAL"
}

@test "killing virtiofsd stops the VM with a non-zero status naming virtiofsd" {
	need_fs
	guest_start 'mount -t virtiofs data /mnt && touch /mnt/up && sleep 600' --share "data=$S"
	wait_for "$S/up"
	for p in $(pgrep -P "$BG"); do kill -KILL "$p"; done
	st=0
	wait_bounded "$BG" || st=$?
	BG=
	cat "$BATS_TEST_TMPDIR/vmm.out"
	echo "VMM exit status: $st"
	[ "$st" -eq 1 ]
	grep -q "virtiofsd" "$BATS_TEST_TMPDIR/vmm.out"
	grep -q "shutting the VM down" "$BATS_TEST_TMPDIR/vmm.out"
}

@test "SIGKILL of the VMM leaves no virtiofsd behind" {
	need_fs
	guest_start 'mount -t virtiofs data /mnt && touch /mnt/up && sleep 600' --share "data=$S"
	wait_for "$S/up"
	kids=$(pgrep -P "$BG" | tr '\n' ' ')
	all=$(pgrep -f "source=$S|shared-dir=$S" | tr '\n' ' ')
	[ -n "$kids" ]
	echo "virtiofsd processes: $all"
	kill -KILL "$BG"
	wait "$BG" || true
	BG=
	for _ in $(seq 50); do
		pgrep -f "source=$S|shared-dir=$S" >/dev/null || break
		sleep 0.1
	done
	run pgrep -af "source=$S|shared-dir=$S"
	echo "left: $output"
	[ "$status" -ne 0 ]
}

@test "--fs attaches a running vhost-user back-end; its death stops the VM" {
	need_fs
	vfsd=$(for v in /usr/libexec/virtiofsd /usr/lib/qemu/virtiofsd; do [ -x "$v" ] && echo "$v" && break; done)
	sock=$BATS_TEST_TMPDIR/vfs.sock
	echo external >"$S/x"
	if "$vfsd" --help 2>&1 | grep -q -- --shared-dir; then
		"$vfsd" --socket-path="$sock" --shared-dir="$S" --sandbox=chroot &
	else
		"$vfsd" --socket-path="$sock" -o source="$S" -o sandbox=chroot &
	fi
	ext=$!
	wait_for "$sock" 20
	guest_start 'mount -t virtiofs ext /mnt && cat /mnt/x && touch /mnt/up && sleep 600' --fs "ext=$sock"
	wait_for "$S/up"
	grep -q "^external" "$SERIAL"
	kill -KILL "$ext"
	st=0
	wait_bounded "$BG" || st=$?
	BG=
	cat "$BATS_TEST_TMPDIR/vmm.out"
	echo "VMM exit status: $st"
	[ "$st" -eq 1 ]
	grep -q "vhost-user back-end at $sock" "$BATS_TEST_TMPDIR/vmm.out"
}

@test "staging: rootfs, a single file and a read-only volume through one share" {
	need_fs
	STATE=$BATS_TEST_TMPDIR/state
	mkdir -p "$STATE" "$BATS_TEST_TMPDIR/rootfs/etc" "$BATS_TEST_TMPDIR/vol"
	echo rootfs-file >"$BATS_TEST_TMPDIR/rootfs/etc/os"
	echo "10.1.2.3 box" >"$BATS_TEST_TMPDIR/hosts"
	echo vol-data >"$BATS_TEST_TMPDIR/vol/v"
	run "$B/tests/staging" create "$STATE" "$BATS_TEST_TMPDIR/rootfs" "$BATS_TEST_TMPDIR/hosts" \
		"$BATS_TEST_TMPDIR/vol:ro"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = "m0 $BATS_TEST_TMPDIR/hosts" ]
	[ "${lines[2]}" = "m1 $BATS_TEST_TMPDIR/vol" ]
	guest_run 'mkdir -p /tmp/share /tmp/root && mount -t virtiofs ctr /tmp/share &&
		mount --bind /tmp/share/rootfs /tmp/root && mount --bind /tmp/share/m0 /tmp/root/etc/os &&
		echo "os=$(cat /tmp/root/etc/os) v=$(cat /tmp/share/m1/v)" &&
		echo from-guest >/tmp/share/rootfs/new &&
		(echo x >/tmp/share/m1/w) 2>&1 | grep -q "Read-only" && echo vol-ro &&
		(echo x >/tmp/share/junk) 2>&1 | grep -q "Read-only" && echo root-ro' \
		--share "ctr=$STATE/share"
	[ "$status" -eq 0 ]
	cat "$SERIAL"
	grep -q "os=10.1.2.3 box v=vol-data" "$SERIAL"
	grep -q "^vol-ro" "$SERIAL"
	grep -q "^root-ro" "$SERIAL"
	[ "$(cat "$BATS_TEST_TMPDIR/rootfs/new")" = from-guest ]
	run "$B/tests/staging" remove "$STATE"
	[ "$status" -eq 0 ]
	STATE=
	[ ! -e "$BATS_TEST_TMPDIR/state/share" ]
	[ "$(cat "$BATS_TEST_TMPDIR/vol/v")" = vol-data ]
	[ "$(cat "$BATS_TEST_TMPDIR/rootfs/etc/os")" = rootfs-file ]
	! grep -q "$BATS_TEST_TMPDIR/state" /proc/mounts
}

@test "the sandbox is chosen per share and logged; sharing / itself works" {
	need_fs
	echo marker >"$S/m"
	guest_run "mount -t virtiofs root /mnt && cat /mnt$S/m" --share "root=/,ro"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -q "^marker" "$SERIAL"
	[[ "$output" == *"virtiofsd for 'root': sandbox="* ]]
	# Where pivot_root into / fails (the test host: a root entered by switch_root),
	# the fallback says why.
	if [[ "$output" == *"'root': sandbox=chroot"* ]]; then
		[[ "$output" == *"pivot_root in a new mount namespace fails here"* ]]
	fi
}

@test "usage errors name the problem" {
	run "$VMM" --kernel "$KERNEL" --share "x=$BATS_TEST_TMPDIR/missing"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing: No such file or directory"* ]]
	run "$VMM" --kernel "$KERNEL" --share "0123456789012345678901234567890123456=$S"
	[ "$status" -eq 2 ]
	[[ "$output" == *"longer than 36 bytes"* ]]
	run "$VMM" --kernel "$KERNEL" --share "x=$S" --share "x=$S"
	[ "$status" -eq 1 ]
	[[ "$output" == *"given twice"* ]]
	run "$VMM" --kernel "$KERNEL" --share "x=$S,cache=sometimes"
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad option 'cache=sometimes'"* ]]
	run "$VMM" --kernel "$KERNEL" --fs "x=$BATS_TEST_TMPDIR/nosock"
	[ "$status" -eq 1 ]
	[[ "$output" == *"nosock"* ]]
	run "$VMM" --kernel "$KERNEL" --share "x=$S" --virtiofsd /nonexistent/virtiofsd
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent/virtiofsd"* ]]
}
