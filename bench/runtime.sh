#!/bin/bash
# runvm CLI figures, side by side with runc and crun (the no-VM floor) in one run
# inside the KVM test host:
#   1. cold start: `run` of /bin/true in a busybox bundle, median of N, for runvm,
#      runc, crun, and QEMU microvm booting the same vmlinux with the busybox test
#      initramfs, a virtio-fs root of the same rootfs (virtiofsd started each time)
#      and chroot /bin/true in it (no OCI front end: VMM + virtiofsd + boot + the
#      process, timed to the guest's "exit" line, not to QEMU's exit);
#   2. memory of one idle sandbox (`run -d` of sleep, plus one `exec --detach`):
#      PSS of the VMM, its virtiofsd and the exec proxy, guest RAM touched;
#   3. exec latency: `exec ID true`, median of N, runvm vs runc vs crun;
#   4. stdout throughput guest->host: `run` of `dd if=/dev/zero bs=1M` into a pipe,
#      timed from the first byte to EOF (so boot is not in it);
#   5. density: idle runvm sandboxes started one by one until creation fails,
#      MemAvailable drops below a margin, or a count or time limit is reached.
# Every step has a time limit; every container, VMM and helper is removed on exit,
# interrupts included.
# Usage: tests/testhost/run bench/runtime.sh [N]   (or directly on a real KVM host, as root)
# Environment: BENCH_STEPS="cold mem thr density" (mem includes exec),
#   BENCH_THROUGHPUT_MIB=200, BENCH_DENSITY_MAX=200 (0 skips density),
#   BENCH_DENSITY_SECS=900, BENCH_DENSITY_MARGIN_MIB=384, BENCH_STEP_TIMEOUT=180
#   (the test host passes them in only when named in TESTHOST_PASSENV). The test host's
#   RAM (TESTHOST_MEM) bounds the density figure; the README's run used 2048 MiB.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
B=$ROOT/build
N=${1:-10}
THR_MIB=${BENCH_THROUGHPUT_MIB:-200}
DMAX=${BENCH_DENSITY_MAX:-200}
DSECS=${BENCH_DENSITY_SECS:-900}
DMARGIN=${BENCH_DENSITY_MARGIN_MIB:-384}
STEP=${BENCH_STEP_TIMEOUT:-180}
STEPS=" ${BENCH_STEPS:-cold mem thr density} "
step() { [[ $STEPS == *" $1 "* ]]; }
VIRTIOFSD=${VIRTIOFSD:-/usr/lib/qemu/virtiofsd}

say() { printf '%s\n' "$*"; }
fail() { say "bench: $*" >&2; exit 1; }
[ -w /dev/kvm ] || fail "no usable /dev/kvm (run inside tests/testhost/run)"
[ "$(id -u)" = 0 ] || fail "needs root (runvm's share, runc, crun)"
for f in runvm runvm-vmm vmlinux initramfs.cpio test-initramfs.cpio; do
	[ -e "$B/$f" ] || fail "no $B/$f (make)"
done
for t in runc crun qemu-system-x86_64 jq; do command -v "$t" >/dev/null || fail "$t not found (scripts/deps)"; done
[ -x "$VIRTIOFSD" ] || fail "no $VIRTIOFSD"

# Short: runvm's sockets live in R/ID/ and must fit in sun_path.
T=$(mktemp -d /tmp/rvbr.XXXXXX) || exit 1
R=$T/r
HELPERS=()
loadavg() { say "load average ($1): $(cut -d' ' -f1-3 /proc/loadavg)"; }
rv() { "$B/runvm" --root "$R" "$@"; }
cleanup() {
	local rt id
	trap - EXIT INT TERM
	for id in $(rv list -q 2>/dev/null); do
		timeout -k 5 60 "$B/runvm" --root "$R" delete --force "$id" >/dev/null 2>&1
	done
	for rt in runc crun; do
		for id in $($rt --root "$T/$rt" list -q 2>/dev/null); do
			timeout -k 5 30 $rt --root "$T/$rt" delete --force "$id" >/dev/null 2>&1
		done
	done
	for id in "${HELPERS[@]}"; do kill -KILL "$id" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
	loadavg end
}
trap cleanup EXIT
trap 'say "bench: interrupted"; exit 130' INT TERM

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2); else print "-"}'; }
ms() { awk -v ns="$1" 'BEGIN { printf "%d", ns / 1e6 }'; }
list() { tr '\n' ' ' <"$1"; }
meminfo() { awk -v k="$1:" '$1 == k {print int($2 / 1024)}' /proc/meminfo; }

loadavg start
say "test host: $(nproc) CPUs, MemTotal $(meminfo MemTotal) MiB, $(uname -r)"
say "runvm $("$B/runvm" --version | head -1 | cut -d' ' -f3), $(runc --version | head -1), $(crun --version | head -1), $(qemu-system-x86_64 --version | head -1)"

# --- bundles: one busybox rootfs, one bundle per command -----------------------------------
. tests/bats/busybox-image.bash
bb_rootfs "$T/rootfs" || fail "cannot make the busybox rootfs"
# bundle NAME ARGS...: $T/NAME, config from `runvm spec`, root = the shared rootfs.
bundle() {
	local dir=$T/$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && "$B/runvm" spec) || fail "runvm spec"
	bb_config "$dir" '.root.path = $r | .process.terminal = false | .process.args = $a' \
		--arg r "$T/rootfs" --argjson a "$(bb_json_args "$@")" || fail "bundle $dir"
}
bundle true /bin/true
bundle sleep sleep 1000000
# dd with 1 MiB blocks: busybox head -c copies through stdio buffers, which under
# TCG is slower than the pipe being measured.
bundle zero dd if=/dev/zero bs=1048576 count="$THR_MIB"

# run_rt RT ARGS...: the runtime RT (runvm, runc, crun) with its own state root.
run_rt() {
	local rt=$1
	shift
	case $rt in
	runvm) timeout -k 5 "$STEP" "$B/runvm" --root "$R" "$@" ;;
	*) timeout -k 5 "$STEP" "$rt" --root "$T/$rt" "$@" ;;
	esac
}

# --- 1. cold start --------------------------------------------------------------------------
if step cold; then
	say ""
	say "== cold start: run of /bin/true in the busybox bundle (ms, median of $N)"
	for rt in runvm runc crun; do
		: >"$T/cold.$rt"
		for i in $(seq "$N"); do
			t0=$(now)
			if run_rt "$rt" run --bundle "$T/true" "c$i" </dev/null >/dev/null 2>"$T/err"; then
				ms $(($(now) - t0)) >>"$T/cold.$rt"
				echo >>"$T/cold.$rt"
			else
				say "  $rt run #$i failed: $(tail -2 "$T/err" | tr '\n' ' ')"
				run_rt "$rt" delete --force "c$i" >/dev/null 2>&1
			fi
		done
	done

	# QEMU microvm + virtiofsd, the same kernel, a virtio-fs root of the same rootfs.
	# acpi=off so that QEMU announces the virtio-mmio device on the command line (our
	# kernel has no ACPI); modern virtio-mmio, which virtiofsd requires.
	QEMU=(qemu-system-x86_64 -M microvm,acpi=off,x-option-roms=off,rtc=off,isa-serial=on -enable-kvm
		-cpu host -nodefaults -no-user-config -global virtio-mmio.force-legacy=false -nographic -no-reboot -serial stdio -m 256
		-object memory-backend-memfd,id=ram,size=256M,share=on -machine memory-backend=ram
		-kernel "$B/vmlinux" -initrd "$B/test-initramfs.cpio")
	QCMD='mkdir -p /tmp/r && mount -t virtiofs rootfs /tmp/r && chroot /tmp/r /bin/true'
	# Prints ms from starting virtiofsd until the guest prints "rvtest: exit 0". QEMU is
	# the coprocess itself (not under timeout(1), whose death would orphan it): the
	# deadline is kept here, and QEMU and virtiofsd are killed by PID either way.
	qemu_true() {
		local s=$T/q.sock t0 line part='' vfs qpid ok='' rc end=$((SECONDS + STEP))
		rm -f "$s"
		t0=$(now)
		"$VIRTIOFSD" --socket-path="$s" -o source="$T/rootfs" -o cache=none -o sandbox=chroot \
			>/dev/null 2>"$T/vfs.err" &
		vfs=$!
		for _ in $(seq 1000); do [ -S "$s" ] && break; sleep 0.01; done
		coproc QVM { exec "${QEMU[@]}" -chardev socket,id=fs,path="$s" \
			-device vhost-user-fs-device,chardev=fs,tag=rootfs \
			-append "console=ttyS0 reboot=k panic=1 acpi=off quiet rvcmd=\"$QCMD\"" 2>&1; }
		qpid=$QVM_PID
		while [ "$SECONDS" -lt "$end" ]; do
			IFS= read -r -t 5 -u "${QVM[0]}" line
			rc=$?
			# On a timeout read keeps the partial line: carry it over.
			[ "$rc" -gt 128 ] && { part+=$line; continue; }
			[ "$rc" = 0 ] || break
			line=$part$line part=
			case $line in
			*"rvtest: exit 0"*) ms $(($(now) - t0)); ok=1; break ;;
			*"rvtest: exit"*) say "  qemu: $line" >&2; break ;;
			esac
		done
		kill -KILL "$qpid" "$vfs" 2>/dev/null
		wait "$qpid" "$vfs" 2>/dev/null
		[ -n "$ok" ]
	}
	: >"$T/cold.qemu"
	for i in $(seq "$N"); do
		if q=$(qemu_true); then echo "$q" >>"$T/cold.qemu"; else say "  qemu microvm run #$i failed"; fi
	done
	for rt in runvm runc crun qemu; do
		label=$rt
		[ $rt = qemu ] && label="qemu microvm+vfsd"
		printf '%-20s %8s ms   (runs: %s)\n' "$label" "$(median <"$T/cold.$rt")" "$(list "$T/cold.$rt")"
	done

fi

# --- 2. memory of an idle sandbox, 3. exec latency ----------------------------------------
if step mem; then
	# One container per runtime running sleep, plus one detached exec of sleep in it.
	for rt in runvm runc crun; do
		run_rt "$rt" run -d --bundle "$T/sleep" m1 </dev/null >/dev/null 2>"$T/err" ||
			fail "$rt run -d of sleep: $(tail -2 "$T/err" | tr '\n' ' ')"
		run_rt "$rt" exec --detach --pid-file "$T/xpid.$rt" m1 sleep 1000000 </dev/null >/dev/null 2>"$T/err" ||
			fail "$rt exec --detach: $(tail -2 "$T/err" | tr '\n' ' ')"
	done
	sleep 5

	kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
	# KiB of field $2 (Rss, Pss) in the guest RAM mappings of process $1.
	guest_kb() {
		awk -v k="$2:" '/^[0-9a-f]+-[0-9a-f]+ / { g = index($0, "runvm-guest-ram") > 0 }
			g && $1 == k { s += $2 } END { print s + 0 }' "/proc/$1/smaps" 2>/dev/null || echo 0
	}
	descendants() {
		local c
		for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
			echo "$c"
			descendants "$c"
		done
	}
	# PSS outside the guest RAM, summed over the PIDs given.
	host_pss() {
		local p s=0
		for p in "$@"; do s=$((s + $(kb "$p" Pss) - $(guest_kb "$p" Pss))); done
		echo "$s"
	}
	procs() { local p; for p in "$@"; do printf '%s ' "$(cat "/proc/$p/comm" 2>/dev/null)"; done; }

	vmm=$(rv state m1 | jq -r .pid)
	vfsd=$(descendants "$vmm")
	proxies=$(rv ps --format json m1 | jq -r '.[]' | grep -vx "$vmm")
	gtouch=$(guest_kb "$vmm" Rss)
	total=0
	for p in $vmm $vfsd $proxies; do total=$((total + $(kb "$p" Pss))); done
	say ""
	say "== memory: one idle sandbox, 5 s after start (KiB; PSS outside guest RAM unless said)"
	printf '%-34s %8s\n' "runvm-vmm (pid $vmm)" "$(host_pss "$vmm")"
	printf '%-34s %8s   (%s)\n' "virtiofsd" "$(host_pss $vfsd)" "$(procs $vfsd)"
	printf '%-34s %8s   (%s)\n' "exec proxy, one detached exec" "$(host_pss $proxies)" "$(procs $proxies)"
	gmem=$(tr '\0' '\n' <"/proc/$vmm/cmdline" | sed -n '/^--mem$/{n;p}')
	printf '%-34s %8s   (guest RAM: %s MiB)\n' "guest RAM touched (RSS of memfd)" "$gtouch" "$gmem"
	printf '%-34s %8s\n' "total PSS, all of the above" "$total"
	for rt in runc crun; do
		cpid=$(run_rt "$rt" state m1 | jq -r .pid)
		printf '%-34s %8s   (the container process; no %s process stays)\n' \
			"$rt: sleep + detached exec" "$(($(kb "$cpid" Pss) + $(kb "$(cat "$T/xpid.$rt")" Pss)))" "$rt"
	done

	say ""
	say "== exec latency: exec ID true in an idle container (ms, median of $N)"
	for rt in runvm runc crun; do
		: >"$T/exec.$rt"
		for i in $(seq "$N"); do
			t0=$(now)
			if run_rt "$rt" exec m1 true </dev/null >/dev/null 2>"$T/err"; then
				ms $(($(now) - t0)) >>"$T/exec.$rt"
				echo >>"$T/exec.$rt"
			else
				say "  $rt exec #$i failed: $(tail -2 "$T/err" | tr '\n' ' ')"
			fi
		done
		printf '%-20s %8s ms   (runs: %s)\n' "$rt" "$(median <"$T/exec.$rt")" "$(list "$T/exec.$rt")"
	done
	for rt in runvm runc crun; do run_rt "$rt" delete --force m1 >/dev/null 2>&1; done

fi

# --- 4. stdout throughput ------------------------------------------------------------------
if step thr; then
	say ""
	say "== stdout guest->host: run of dd if=/dev/zero bs=1M count=$THR_MIB into a pipe (MB = 10^6 bytes; first byte to EOF)"
	for rt in runvm runc crun; do
		read -r n t0 t1 < <(run_rt "$rt" run --bundle "$T/zero" z1 </dev/null 2>"$T/err" |
			{ dd bs=1 count=1 of=/dev/null status=none; a=$(now); c=$(wc -c); echo "$c $a $(now)"; })
		want=$((THR_MIB * 1048576 - 1))
		if [ "$n" = "$want" ]; then
			awk -v n="$n" -v ns=$((t1 - t0)) -v rt="$rt" 'BEGIN { printf "%-20s %8.1f MB/s   (%.2f s)\n", rt, n * 1000 / ns, ns / 1e9 }'
		else
			say "$(printf '%-20s' "$rt") failed: $((n + 1)) of $((want + 1)) bytes; $(tail -2 "$T/err" | tr '\n' ' ')"
			run_rt "$rt" delete --force z1 >/dev/null 2>&1
		fi
	done
fi

# --- 5. density ----------------------------------------------------------------------------
{ step density && [ "$DMAX" -gt 0 ]; } || exit 0
say ""
say "== density: idle runvm sandboxes (run -d of sleep) until create fails, MemAvailable < $DMARGIN MiB,"
say "   $DMAX sandboxes or $DSECS s"
a0=$(meminfo MemAvailable)
start=$(now)
count=0
reason=
while :; do
	av=$(meminfo MemAvailable)
	if [ "$count" -ge "$DMAX" ]; then reason="count limit ($DMAX)"; break; fi
	if [ "$av" -lt "$DMARGIN" ]; then reason="MemAvailable $av MiB below the margin"; break; fi
	if [ $((($(now) - start) / 1000000000)) -ge "$DSECS" ]; then reason="time limit (${DSECS} s)"; break; fi
	id=d$((count + 1))
	t0=$(now)
	if ! run_rt runvm run -d --bundle "$T/sleep" "$id" </dev/null >/dev/null 2>"$T/err"; then
		reason="create #$((count + 1)) failed: $(tail -1 "$T/err")"
		run_rt runvm delete --force "$id" >/dev/null 2>&1
		break
	fi
	last=$(ms $(($(now) - t0)))
	count=$((count + 1))
	[ $((count % 5)) = 0 ] && say "  $count sandboxes, MemAvailable $av MiB, last start $last ms, load $(cut -d' ' -f1 /proc/loadavg)"
done
a1=$(meminfo MemAvailable)
alive=$(rv list --format json 2>/dev/null | jq '[.[] | select(.status == "running")] | length')
say "stopped by: $reason"
say "sandboxes started: $count, running at the end: $alive, in $((($(now) - start) / 1000000000)) s"
say "MemTotal $(meminfo MemTotal) MiB; MemAvailable $a0 -> $a1 MiB"
[ "$count" -gt 0 ] && say "per sandbox: $(((a0 - a1) / count)) MiB of MemAvailable; last start ${last:-?} ms; load $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(now)
for id in $(rv list -q 2>/dev/null); do run_rt runvm delete --force "$id" >/dev/null 2>&1; done
say "deleted all in $(ms $(($(now) - t0))) ms; MemAvailable after: $(meminfo MemAvailable) MiB"
