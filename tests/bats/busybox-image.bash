# A busybox container image made from this machine's busybox-static, without a
# network: a root filesystem, an OCI bundle around it, and a tarball of it that
# `ctr image import` / `podman import` take. Sourced by the runtime, containerd and
# podman suites, and by scripts/demo.

BUSYBOX=${BUSYBOX:-/bin/busybox}

# bb_rootfs DIR: a minimal root filesystem in DIR (busybox and its applets as
# relative symlinks, so they resolve inside the container).
bb_rootfs() {
	local dir=$1 applet
	[ -x "$BUSYBOX" ] || { echo "busybox-static not found at $BUSYBOX" >&2; return 1; }
	file -L "$BUSYBOX" 2>/dev/null | grep -q 'dynamically linked' &&
		{ echo "$BUSYBOX is not static (install busybox-static)" >&2; return 1; }
	mkdir -p "$dir"/{bin,sbin,etc,dev,proc,sys,tmp,root,run,var,usr/bin,usr/sbin}
	cp "$BUSYBOX" "$dir/bin/busybox"
	for applet in $("$BUSYBOX" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
	done
	chmod 1777 "$dir/tmp"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
	echo runvm >"$dir/etc/hostname"
}

# bb_bundle DIR [ARGS...]: an OCI bundle in DIR (rootfs + `runvm spec`) whose
# process runs ARGS (default: sh), without a terminal.
bb_bundle() {
	local dir=$1 runvm=${RUNVM:-$ROOT/build/runvm}
	shift
	bb_rootfs "$dir/rootfs" || return 1
	(cd "$dir" && "$runvm" spec) || return 1
	[ $# -gt 0 ] || set -- sh
	bb_config "$dir" '.process.terminal = false | .process.args = $a' --argjson a "$(bb_json_args "$@")"
}

# bb_shared_bundle DIR ROOTFS ARGS...: a bundle in DIR (runvm spec) whose root is the shared
# busybox ROOTFS (read-write, no terminal) running ARGS; prints DIR.
bb_shared_bundle() {
	local dir=$1 rootfs=$2
	shift 2
	mkdir -p "$dir"
	(cd "$dir" && "${RUNVM:-$ROOT/build/runvm}" spec) || return 1
	bb_config "$dir" '.root.path = $r | .root.readonly = false | .process.terminal = false
		| .process.args = $a' --arg r "$rootfs" --argjson a "$(bb_json_args "$@")" || return 1
	echo "$dir"
}

# bb_json_args ARGS...: the arguments as a JSON array (one line each, so no
# argument may contain a newline).
bb_json_args() {
	printf '%s\n' "$@" | jq -R . | jq -s -c .
}

# bb_config DIR JQ-FILTER [JQ ARGS...]: edits DIR/config.json in place (the file
# goes before the arguments, so that --args may end them).
bb_config() {
	local dir=$1 filter=$2
	shift 2
	jq "$filter" "$dir/config.json" "$@" >"$dir/config.json.new" &&
		mv "$dir/config.json.new" "$dir/config.json"
}

# bb_tarball DIR TAR: the root filesystem DIR as a tarball for image import.
bb_tarball() {
	tar -C "$1" -cf "$2" .
}

# bb_oci_archive ROOTFS OUT NAME: an OCI image archive (oci-layout, index.json,
# blobs) with ROOTFS as its one layer, for `ctr image import`; NAME (e.g.
# docker.io/library/bb:latest) is its io.containerd.image.name.
bb_oci_archive() {
	local rootfs=$1 out=$2 name=$3 d layer ld ls cfg cd cs man md ms
	d=$(mktemp -d) || return 1
	mkdir -p "$d/blobs/sha256"
	tar -C "$rootfs" -cf "$d/layer.tar" . || return 1
	ld=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
	ls=$(stat -c %s "$d/layer.tar")
	mv "$d/layer.tar" "$d/blobs/sha256/$ld"
	cfg=$(jq -cn --arg l "sha256:$ld" '{architecture: "amd64", os: "linux",
		config: {Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"]},
		rootfs: {type: "layers", diff_ids: [$l]}}')
	printf '%s' "$cfg" >"$d/cfg"
	cd=$(sha256sum "$d/cfg" | cut -d' ' -f1)
	cs=$(stat -c %s "$d/cfg")
	mv "$d/cfg" "$d/blobs/sha256/$cd"
	man=$(jq -cn --arg c "sha256:$cd" --argjson cs "$cs" --arg l "sha256:$ld" --argjson ls "$ls" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		  layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}')
	printf '%s' "$man" >"$d/man"
	md=$(sha256sum "$d/man" | cut -d' ' -f1)
	ms=$(stat -c %s "$d/man")
	mv "$d/man" "$d/blobs/sha256/$md"
	jq -cn --arg m "sha256:$md" --argjson ms "$ms" --arg n "$name" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		  digest: $m, size: $ms, platform: {architecture: "amd64", os: "linux"},
		  annotations: {"io.containerd.image.name": $n, "org.opencontainers.image.ref.name": "latest"}}]}' \
		>"$d/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$d/oci-layout"
	tar -C "$d" -cf "$out" oci-layout index.json blobs
	rm -rf "$d"
}
