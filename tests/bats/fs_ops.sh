#!/bin/sh
# fs_ops.sh DIR [XATTR_TOOL]
# Metadata-heavy filesystem operations in DIR (empty), printing results in a form
# that does not depend on where DIR is: run once on a host directory and once in the
# guest on a virtio-fs share of a directory on the same kind of filesystem, and diff
# the outputs (tests/bats/fs.bats). Everything goes through busybox so that both runs
# use the same tools; run as root (chown).
set -u
D=$1
XATTR=${2:-xattr}
bb=busybox
export TZ=UTC LC_ALL=C
umask 022
cd "$D" || exit 1

st() { $bb stat -c '%n %A %h %u:%g %F' "$@"; }
size() { $bb stat -c '%n %s' "$@"; }
step() { echo "== $*"; }
# Runs a command and shows its status; its messages name relative paths only.
try() { "$@" 2>&1; echo "rc=$?"; }

step create
echo hello >f
st f
size f
step chmod
chmod 640 f
st f
chmod 4755 f
st f
chmod 0600 f
st f
step rename
mv f g
$bb ls
step rename over an existing file
echo other >h
mv h g
cat g
$bb ls
step hard link
ln g g2
st g g2
[ g -ef g2 ] && echo "g and g2: same inode"
echo via-link >>g2
cat g
step unlink
rm g2
st g
try rm g2
step symlink
ln -s g sl
$bb readlink sl
st sl
cat sl
ln -s nowhere dl
try cat dl
$bb readlink dl
step chown
chown 1234:5678 g
st g
chown -h 42:43 sl
$bb stat -c '%n %u:%g' sl g
chown 0:0 g
step mkfifo
mkfifo p
st p
chmod 600 p
st p
step directories
mkdir -p d/e/f
st d d/e
rmdir d/e/f
try rmdir d
touch d/e/x
try rmdir d/e
mv d dd
$bb ls dd/e
mkdir t
chmod 1777 t
st t
step exclusive create
try sh -c 'set -C; echo x >g'
step truncate and append
$bb truncate -s 3 g
size g
echo more >>g
size g
cat g
step times
touch -d '2001-02-03 04:05:06' g
$bb stat -c '%n %Y' g
step xattrs
try $XATTR set g user.k v1
try $XATTR set g user.k2 v2
$XATTR get g user.k
$XATTR list g
try $XATTR rm g user.k
$XATTR list g
try $XATTR get g user.k
$XATTR list g
try $XATTR set sl user.s v
try $XATTR set p user.s v
step unlinked open file
exec 3<>u
echo abc >&3
rm u
$bb ls
exec 3>&-
step rename a directory over an empty one
mkdir r1 r2
touch r1/in
mv -T r1 r2 2>/dev/null || mv r1 r2x
$bb ls -d r*
step final tree
find . | $bb sort | while read -r p; do
	$bb stat -c '%n %A %h %u:%g %F' "$p"
done
