#!/bin/bash
# Network figures for runvm beside runc and crun in one run: each runtime's container
# gets the same setup, a network namespace given by path with eth0 on a veth pair
# whose other end (with the address the container talks to) is on this host, and
# runs the same busybox commands:
#   1. latency: `ping -c N` of the host end, the average round trip (and min/max);
#   2. TCP throughput both ways, BENCH_NET_MIB MiB with tcp-bench (tests/tools: 256 KiB
#      writes from memory, static so it runs in the container too), timed by the
#      receiving side from the first byte to EOF, so boot is not in it (MB = 10^6
#      bytes): container -> host end, then host end -> container (a second run).
# For runvm, frames go guest -> virtio-net -> runvm-vmm -> tap -> tc redirect -> eth0;
# for runc and crun the container's socket sits on eth0 itself.
#   3. with BENCH_NET_OLD_KERNEL=VMLINUX (a guest kernel built without virtio-net):
#      boot to the guest's init with runvm-vmm, median of BENCH_NET_BOOTS runs taken
#      in turns: that kernel, ours, and ours with a NIC attached (a tap), to see what
#      CONFIG_VIRTIO_NET and a NIC cost at boot.
# Usage: tests/testhost/run bench/net.sh [N]   (N pings, default 20; or on a real KVM
# host, as root). Environment: BENCH_NET_MIB=64, BENCH_STEP_TIMEOUT=300,
# BENCH_NET_RUNTIMES="runvm runc crun" (empty: none, for the boot figures alone),
# BENCH_NET_TRACE=1 (each step on stderr),
# BENCH_NET_OLD_KERNEL, BENCH_NET_BOOTS=7 (through TESTHOST_PASSENV in the test host).
# Everything made is removed on exit.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
B=$ROOT/build
N=${1:-20}
MIB=${BENCH_NET_MIB:-64}
STEP=${BENCH_STEP_TIMEOUT:-300}

say() { printf '%s\n' "$*"; }
trace() { [ -z "${BENCH_NET_TRACE:-}" ] || printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
fail() { say "bench: $*" >&2; exit 1; }
[ -w /dev/kvm ] || fail "no usable /dev/kvm (run inside tests/testhost/run)"
[ "$(id -u)" = 0 ] || fail "needs root (network namespaces, runc, crun)"
for f in runvm runvm-vmm vmlinux initramfs.cpio tests/tcp-bench; do
	[ -e "$B/$f" ] || fail "no $B/$f (make)"
done
for t in ip jq busybox; do command -v "$t" >/dev/null || fail "$t not found"; done
[ -e /dev/net/tun ] || modprobe tun || fail "no /dev/net/tun"
RTS=${BENCH_NET_RUNTIMES-runvm runc crun}
for t in $RTS; do [ "$t" = runvm ] || command -v "$t" >/dev/null || fail "$t not found"; done

T=$(mktemp -d /tmp/rvbn.XXXXXX) || exit 1
R=$T/r
SINK=
loadavg() { say "load average ($1): $(cut -d' ' -f1-3 /proc/loadavg)"; }
cleanup() {
	local rt id i
	trap - EXIT INT TERM
	[ -n "$SINK" ] && kill "$SINK" 2>/dev/null
	for id in $("$B/runvm" --root "$R" list -q 2>/dev/null); do
		timeout -k 5 60 "$B/runvm" --root "$R" delete --force "$id" >/dev/null 2>&1
	done
	for rt in runc crun; do
		for id in $($rt --root "$T/$rt" list -q 2>/dev/null); do
			timeout -k 5 30 $rt --root "$T/$rt" delete --force "$id" >/dev/null 2>&1
		done
	done
	for i in 1 2 3; do
		ip netns del "rvbn$i" 2>/dev/null
		ip link del "rvbh$i" 2>/dev/null
	done
	ip link del rvbtap 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
	loadavg end
}
trap cleanup EXIT
trap 'say "bench: interrupted"; exit 130' INT TERM

loadavg start
say "test host: $(nproc) CPUs, $(uname -r); runvm $("$B/runvm" --version | head -1 | cut -d' ' -f3)$(for t in runc crun; do command -v $t >/dev/null && printf ', %s' "$($t --version | head -1)"; done)"

. tests/bats/busybox-image.bash
bb_rootfs "$T/rootfs" || fail "cannot make the busybox rootfs"
cp "$B/tests/tcp-bench" "$T/rootfs/bin/" || fail "tcp-bench"

# netns I: rvbnI with eth0 10.125.I.2/24, the host end rvbhI with 10.125.I.1/24.
netns() {
	local i=$1
	ip netns add "rvbn$i" && ip link add "rvbh$i" type veth peer name eth0 netns "rvbn$i" &&
		ip addr add "10.125.$i.1/24" dev "rvbh$i" && ip link set "rvbh$i" up &&
		ip -n "rvbn$i" addr add "10.125.$i.2/24" dev eth0 && ip -n "rvbn$i" link set eth0 up &&
		ip -n "rvbn$i" link set lo up && ip -n "rvbn$i" route add default via "10.125.$i.1"
}

# bundle DIR I CMD: CMD in namespace I (with CAP_NET_RAW for ping).
bundle() {
	local dir=$1 i=$2
	mkdir -p "$dir"
	(cd "$dir" && "$B/runvm" spec) || fail "runvm spec"
	bb_config "$dir" '.root.path = $r | .root.readonly = false | .process.terminal = false
		| .process.args = ["sh", "-c", $cmd]
		| .process.capabilities |= with_entries(.value += ["CAP_NET_RAW"])
		| .linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = $ns else . end]' \
		--arg r "$T/rootfs" --arg ns "/run/netns/rvbn$i" --arg cmd "$3" || fail "bundle $dir"
}

run_rt() {
	local rt=$1
	shift
	case $rt in
	runvm) timeout -k 5 "$STEP" "$B/runvm" --root "$R" "$@" ;;
	*) timeout -k 5 "$STEP" "$rt" --root "$T/$rt" "$@" ;;
	esac
}

# figure FILE: "MB/s (BYTES bytes in S s)" from a tcp-bench sink's output, or why not.
figure() {
	local bytes secs mbs
	read -r bytes secs mbs <"$1" 2>/dev/null
	if [ "${bytes:-0}" = $((MIB * 1048576)) ]; then
		printf '%s MB/s' "$mbs"
	else
		printf 'failed: %s' "$(tr '\n' ' ' <"$1")"
	fi
}

say ""
say "== $N pings of the host end; $MIB MiB of TCP each way (MB/s, from the receiver)"
printf '%-6s %-26s %-18s %s\n' runtime "ping min/avg/max (ms)" "container->host" "host->container"
i=0
for rt in $RTS; do
	i=$((i + 1))
	host=10.125.$i.1
	netns "$i" || fail "network namespace $i"
	bundle "$T/up$i" "$i" "ping -c $N -i 0.2 $host | tail -1; tcp-bench send $host 5201 $MIB"
	bundle "$T/down$i" "$i" "tcp-bench sink 0.0.0.0 5202 $STEP"
	"$B/tests/tcp-bench" sink "$host" 5201 "$STEP" >"$T/up$i.out" 2>&1 &
	SINK=$!
	trace "$rt: container -> host"
	out=$(run_rt "$rt" run --bundle "$T/up$i" "up$i" </dev/null 2>&1)
	trace "$rt: container done: $out"
	wait "$SINK"
	SINK=
	rtt=$(sed -n 's|.*min/avg/max = \([0-9./]*\) ms.*|\1|p' <<<"$out")
	[ -n "$rtt" ] || rtt="failed: $out"
	"$B/tests/tcp-bench" send "10.125.$i.2" 5202 "$MIB" "$STEP" >"$T/send$i.out" 2>&1 &
	SINK=$!
	trace "$rt: host -> container"
	run_rt "$rt" run --bundle "$T/down$i" "down$i" </dev/null >"$T/down$i.out" 2>&1
	trace "$rt: container done: $(cat "$T/down$i.out")"
	wait "$SINK"
	SINK=
	printf '%-6s %-26s %-18s %s\n' "$rt" "$rtt" "$(figure "$T/up$i.out")" "$(figure "$T/down$i.out")"
	[[ $(figure "$T/up$i.out") == failed* ]] && say "  ($rt container -> host: the container said: $out)"
	[[ $(figure "$T/down$i.out") == failed* ]] && say "  ($rt host -> container: the sender said: $(cat "$T/send$i.out"))"
done

# --- 3. boot with and without virtio-net -----------------------------------------------------
OLDK=${BENCH_NET_OLD_KERNEL:-}
[ -n "$OLDK" ] || exit 0
[ -f "$OLDK" ] || fail "BENCH_NET_OLD_KERNEL=$OLDK: no such file"
BOOTS=${BENCH_NET_BOOTS:-7}
ip tuntap add rvbtap mode tap vnet_hdr && ip link set rvbtap up || fail "tap"

# Milliseconds from starting the VMM to the test init's first line, then the VMM is
# killed (the same measure as bench/vmm.sh).
time_to_init() {
	local start line ms=-
	start=$(date +%s%N)
	coproc VM { exec timeout -k 5 "$STEP" "$@" 2>/dev/null; }
	local pid=$VM_PID
	while IFS= read -r -u "${VM[0]}" line; do
		if [[ $line == *"rvtest: init up"* ]]; then
			ms=$((($(date +%s%N) - start) / 1000000))
			break
		fi
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "$ms"
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2); else print "-"}'; }

boot=("$B/runvm-vmm" --initrd "$B/test-initramfs.cpio" --mem 256 --serial - --cmdline "quiet rvcmd=true")
say ""
say "== boot to guest init (ms, median of $BOOTS, taken in turns)"
for _ in $(seq "$BOOTS"); do
	time_to_init "${boot[@]}" --kernel "$OLDK" >>"$T/boot-old"
	time_to_init "${boot[@]}" --kernel "$B/vmlinux" >>"$T/boot-new"
	time_to_init "${boot[@]}" --kernel "$B/vmlinux" --net tap=rvbtap >>"$T/boot-nic"
done
for v in "old:kernel without virtio-net" "new:kernel with virtio-net" "nic:with virtio-net and a NIC"; do
	printf '%-32s %6s ms   (runs: %s)\n' "${v#*:}" "$(median <"$T/boot-${v%%:*}")" \
		"$(tr '\n' ' ' <"$T/boot-${v%%:*}")"
done
