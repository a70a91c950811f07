#!/usr/bin/env bash
# Builds (once) and caches a Debian root with another PostgreSQL major, for
# the version matrix: trixie has postgresql-17, sid postgresql-18.  Never
# touches the host's apt sources: debootstrap into a folder, from the mirror
# the host's own sources name.
#
#   bash test/scripts/pg_root.sh MAJOR          # prints the root's path
#
# OJ_ROOTS (default /tmp/offline_join_roots) holds the roots.  /proc, /sys
# and /dev are bind-mounted only while apt runs inside, and always
# unmounted again (a trap).
set -euo pipefail
major=${1:?usage: pg_root.sh MAJOR}
case $major in
    17) suite=trixie ;;
    18) suite=sid ;;
    *) echo "no Debian suite here ships PostgreSQL $major" >&2; exit 2 ;;
esac
roots=${OJ_ROOTS:-/tmp/offline_join_roots}
root="$roots/pg$major"
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
packages="postgresql-$major postgresql-server-dev-$major postgresql-$major-cron libcsv-dev libipc-run-perl make gcc clang libclang-rt-dev valgrind ca-certificates unzip"

# a root is ready once it has this list of packages (.oj-ready holds it):
# a root cached before the list grew gets the new ones
if [ -f "$root/.oj-ready" ] && [ "$(cat "$root/.oj-ready")" = "$packages" ]; then echo "$root"; exit 0; fi
command -v debootstrap >/dev/null || { apt-get update -qq >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2; }
mkdir -p "$roots"
if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root"
    debootstrap --variant=minbase "$suite" "$root" "$mirror" >&2
fi
umount_all() {
    for m in dev/pts dev sys proc; do
        mountpoint -q "$root/$m" && umount -l "$root/$m" || true
    done
}
trap umount_all EXIT
mount --bind /proc "$root/proc"; mount --bind /sys "$root/sys"
mount --bind /dev "$root/dev"; mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# the mirror may be a dated snapshot, whose sid Release file has expired
apt_opts="-o Acquire::Check-Valid-Until=false"
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get $apt_opts update -qq >&2
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get $apt_opts install -y -qq --no-install-recommends $packages >&2
echo "$packages" > "$root/.oj-ready"
echo "$root"
