#!/usr/bin/env bats
# The network: runvm-vmm's virtio-net over a tap, and runvm attaching a container's VM
# to the network namespace its config.json names by path. Each test makes its own
# namespace with `ip netns add` and a veth pair: eth0 (with an address, a MAC of our
# choosing and a default route) inside, the other end with an address here on the
# test host. Inside the container: ip addr shows the address and MAC, ping and wget
# reach the host side, the host side reaches a server in the container (nc); after
# delete nothing is left in the namespace. Needs KVM and root: inside the KVM test host.

load helpers
load busybox-image

RUNVM=$B/runvm

setup_file() {
	[ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && [ "$(id -u)" = 0 ] || return 0
	[ -e /dev/net/tun ] || modprobe tun
	bb_rootfs "$BATS_FILE_TMPDIR/rootfs"
}

setup() {
	need_kvm
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, taps, the VM's share)"
	command -v ip >/dev/null && command -v tc >/dev/null || skip "needs ip(8) and tc(8) for the test's own setup"
	[ -e /dev/net/tun ] || skip "no /dev/net/tun (modprobe tun failed)"
	R=$(mktemp -d /tmp/rvn.XXXXXX)
	# Short, unique per test: a namespace, the host end of its veth, a subnet.
	N=rvn$BATS_TEST_NUMBER
	H=rvh$BATS_TEST_NUMBER
	SUB=10.123.$BATS_TEST_NUMBER
	MAC=02:42:0a:7b:00:$(printf %02x "$BATS_TEST_NUMBER")
	PIDS=()
}

teardown() {
	local id p
	for id in $(rv list -q 2>/dev/null); do
		rv delete --force "$id" >/dev/null 2>&1 || true
	done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del "$N" 2>/dev/null || true
	ip link del "$H" 2>/dev/null || true
	ip link del rvtapt 2>/dev/null || true
	rm -rf "$R"
}

rv() {
	"$RUNVM" --root "$R" "$@"
}

# netns_up: namespace $N with eth0 ($SUB.2/24, fd12:$BATS_TEST_NUMBER::2/64, $MAC, default
# route via $SUB.1), the host end $H with $SUB.1/24 and fd12:..::1/64.
netns_up() {
	ip netns add "$N"
	ip link add "$H" type veth peer name eth0 netns "$N"
	ip addr add "$SUB.1/24" dev "$H"
	ip addr add "fd12:$BATS_TEST_NUMBER::1/64" dev "$H" nodad
	ip link set "$H" up
	ip -n "$N" link set eth0 address "$MAC" up
	ip -n "$N" addr add "$SUB.2/24" dev eth0
	ip -n "$N" addr add "fd12:$BATS_TEST_NUMBER::2/64" dev eth0 nodad
	ip -n "$N" link set lo up
	ip -n "$N" route add default via "$SUB.1"
}

# bundle NAME ARGS...: a busybox bundle running ARGS in the network namespace $N,
# with CAP_NET_RAW (busybox ping uses a raw socket).
bundle() {
	local dir
	dir=$(bb_shared_bundle "$BATS_TEST_TMPDIR/$1" "$BATS_FILE_TMPDIR/rootfs" "${@:2}") || return 1
	bb_config "$dir" '.process.capabilities |= with_entries(.value += ["CAP_NET_RAW"])
		| .linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = $ns else . end]' \
		--arg ns "/run/netns/$N" || return 1
	echo "$dir"
}

# What the VM left in the namespace: our taps, or an ingress qdisc on eth0.
leftovers() {
	ip -n "$N" -o link show | grep rvtap
	tc -n "$N" qdisc show dev eth0 | grep ingress
}

@test "runvm-vmm --net tap=NAME: the guest pings the host through a tap" {
	ip tuntap add rvtapt mode tap vnet_hdr
	ip addr add 10.124.0.1/24 dev rvtapt
	ip link set rvtapt up
	boot_guest "ip link set eth0 up && ip addr add 10.124.0.2/24 dev eth0 && ip link show eth0 && ping -c 2 -W 10 10.124.0.1" \
		--mem 256 --net tap=rvtapt,mac=02:00:00:00:01:02,mtu=1500
	[ "$status" -eq 0 ]
	grep -q 'link/ether 02:00:00:00:01:02' "$SERIAL"
	grep -q '2 packets received' "$SERIAL"
	grep -q 'rvtest: exit 0' "$SERIAL"
}

@test "runvm-vmm --net: bad options are refused before the VM starts" {
	run "$VMM" --kernel "$KERNEL" --net tapfd=notanumber
	[ "$status" -eq 2 ]
	[[ "$output" == *"--net: bad value for 'tapfd'"* ]]
	run "$VMM" --kernel "$KERNEL" --net mac=02:00:00:00:00:01
	[ "$status" -eq 2 ]
	[[ "$output" == *"one of tapfd=N and tap=NAME"* ]]
	run "$VMM" --kernel "$KERNEL" --net tap=x,mac=01:00:00:00:00:01
	[ "$status" -eq 2 ]
	# fd 3 (bats' own) is open and not a tap.
	run "$VMM" --kernel "$KERNEL" --serial none --net tapfd=3
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a tap"* ]]
}

@test "a netns by path: the container has its address, MAC and routes and pings the host side" {
	netns_up
	b=$(bundle b sh -c "ip addr show eth0; ip route; ip -6 route; ping -c 2 -W 10 $SUB.1 && ping -6 -c 1 -W 10 fd12:$BATS_TEST_NUMBER::1")
	run rv run --bundle "$b" n1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"link/ether $MAC"* ]]
	[[ "$output" == *"inet $SUB.2/24"* ]]
	[[ "$output" == *"inet6 fd12:$BATS_TEST_NUMBER::2/64"* ]]
	[[ "$output" == *"default via $SUB.1 dev eth0"* ]]
	[[ "$output" == *"2 packets received"* ]]
	[[ "$output" == *"1 packets received"* ]]
	run leftovers
	[ -z "$output" ]
}

@test "a netns by path: wget fetches a file from an httpd on the host side" {
	netns_up
	mkdir -p "$BATS_TEST_TMPDIR/www"
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/www/blob"
	busybox httpd -f -p "$SUB.1:8080" -h "$BATS_TEST_TMPDIR/www" 3>&- &
	PIDS+=($!)
	b=$(bundle b sh -c "wget -q -O /tmp/blob http://$SUB.1:8080/blob && sha256sum /tmp/blob")
	run rv run --bundle "$b" n2
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$(sha256sum <"$BATS_TEST_TMPDIR/www/blob" | cut -d' ' -f1)"* ]]
}

@test "a netns by path: the host side reaches a server in the container (nc), both ways" {
	netns_up
	b=$(bundle b sh -c 'echo from-container | nc -l -p 7000')
	rv run --bundle "$b" n3 >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null 3>&- &
	PIDS+=($!)
	got=
	for _ in $(seq 150); do
		got=$(echo from-host | busybox nc -w 5 "$SUB.2" 7000 2>/dev/null) && [ -n "$got" ] && break
		sleep 1
	done
	echo "host got: $got"
	[ "$got" = from-container ]
	wait_bounded "${PIDS[0]}"
	cat "$BATS_TEST_TMPDIR/out"
	grep -qx from-host "$BATS_TEST_TMPDIR/out"
}

@test "create: tap and qdisc while it lives, none after delete; state, ps as usual" {
	netns_up
	b=$(bundle b sleep 1000)
	rv create --bundle "$b" n4 </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" 3>&-
	rv state n4 | jq -e '.status == "created"'
	run leftovers
	echo "$output"
	[[ "$output" == *rvtap* ]]
	[[ "$output" == *ingress* ]]
	rv start n4
	rv delete --force n4
	run leftovers
	echo "$output"
	[ -z "$output" ]
	[ ! -e "$R/n4" ]
}

@test "a failed create leaves no tap or qdisc in the namespace" {
	netns_up
	b=$(bundle b nosuchcommand)
	run rv create --bundle "$b" n5
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *'executable file not found'* ]]
	run leftovers
	[ -z "$output" ]
	[ ! -e "$R/n5" ]
}

@test "two interfaces in the namespace: two NICs with their MACs and addresses" {
	netns_up
	ip -n "$N" link add eth1 address 02:42:0a:7c:00:09 type veth peer name peer1
	ip -n "$N" addr add 192.168.209.2/24 dev eth1
	ip -n "$N" link set eth1 up
	ip -n "$N" link set peer1 up
	b=$(bundle b sh -c 'ip -o link show; ip -o addr show')
	run rv run --bundle "$b" n6
	echo "$output"
	# peer1 is an interface of the namespace too: three NICs in all.
	[ "$status" -eq 0 ]
	grep -E "eth1:.*link/ether 02:42:0a:7c:00:09" <<<"$output"
	grep -E "eth1 .*inet 192.168.209.2/24" <<<"$output"
	grep -E "eth0:.*link/ether $MAC" <<<"$output"
	grep -E "eth0 .*inet $SUB.2/24" <<<"$output"
	grep -E "peer1:.*link/ether" <<<"$output"
}

@test "a netns without path: a new one in the guest, no NIC; none at all: the guest's own, lo up" {
	b=$(bundle b sh -c 'ip -o link show')
	bb_config "$b" '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then del(.path) else . end]'
	run rv run --bundle "$b" n7
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"lo:"* ]]
	[[ "$output" != *"eth0"* ]]
	[[ "$output" != *"lo: <LOOPBACK,UP"* ]]
	bb_config "$b" '.linux.namespaces = [.linux.namespaces[] | select(.type != "network")]'
	run rv run --bundle "$b" n8
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"lo: <LOOPBACK,UP"* ]]
	[[ "$output" != *"eth0"* ]]
}

@test "refused: the host's own netns, a missing path, a namespace already attached" {
	b=$(bundle b true)
	bb_config "$b" '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = "/proc/1/ns/net" else . end]'
	run rv create --bundle "$b" n9
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"host's own network namespace"* ]]
	[ ! -e "$R/n9" ]
	b=$(bundle b2 true)
	bb_config "$b" '.linux.namespaces = [.linux.namespaces[] | if .type == "network" then .path = "/run/netns/nosuchns" else . end]'
	run rv create --bundle "$b" n10
	[ "$status" -eq 1 ]
	[[ "$output" == *"/run/netns/nosuchns"* ]]
	netns_up
	b=$(bundle b3 sleep 1000)
	rv create --bundle "$b" n11 </dev/null >/dev/null 2>&1 3>&-
	run rv create --bundle "$b" n12
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already attached to a runvm VM"* ]]
	[ ! -e "$R/n12" ]
	rv state n11 | jq -e '.status == "created"'
	run leftovers
	[[ "$output" == *ingress* ]]
}
