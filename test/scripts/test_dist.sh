#!/usr/bin/env bash
# Packaging: META.json against the PGXN Meta Spec v1 (check_meta.pl), and
# make dist: the zip of the committed tree holds what PGXN and a packager
# need (META.json, the control file, every install and update script, the
# sources, README.md, doc/, LICENSE, CHANGELOG.md, the Makefile), nothing a
# test run leaves behind, and builds.  Needs a git checkout (CI's is one).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

perl "$OJ_ROOT/test/scripts/check_meta.pl" "$OJ_ROOT/META.json"
if ! git -C "$OJ_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    echo "make dist: skipped: not a git checkout"
    exit 0
fi
work=$(mktemp -d /tmp/offline_join_dist.XXXXXX)
trap 'rm -rf "$work"' EXIT
# from a clone of HEAD, so that what is built is what is committed
git clone -q "$OJ_ROOT" "$work/src"
make -C "$work/src" -s dist >/dev/null
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$OJ_ROOT/offline_join.control")
zip="$work/src/offline_join-$version.zip"
[ -f "$zip" ] || { echo "make dist made no $zip"; exit 1; }
unzip -Z1 "$zip" > "$work/list"
missing=0
want=(META.json offline_join.control Makefile README.md LICENSE CHANGELOG.md src/core.h sql/offline_join--0.1.2.sql)
for f in "$OJ_ROOT"/sql/offline_join--*.sql "$OJ_ROOT"/src/*.c "$OJ_ROOT"/doc/*.md; do
    [ -e "$f" ] && want+=("${f#"$OJ_ROOT"/}")
done
for f in "${want[@]}"; do
    grep -qx "offline_join-$version/$f" "$work/list" || { echo "the zip lacks $f"; missing=1; }
done
if grep -vq "^offline_join-$version/" "$work/list"; then
    echo "the zip has entries outside offline_join-$version/"; missing=1
fi
if grep -E '/(results|output_iso|tmp_check|tmp_check_iso|log)/|regression\.(diffs|out)$|\.(o|so|bc)$|^offline_join-[^/]*/\.ci/' "$work/list"; then
    echo "the zip holds build or test output (above)"; missing=1
fi
[ "$missing" = 0 ] || exit 1
# and it builds as it is
(cd "$work" && unzip -q "$zip")
make -C "$work/offline_join-$version" -s PG_CONFIG="$OJ_PG_CONFIG" \
    PG_CFLAGS="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare" >/dev/null
echo "make dist: offline_join-$version.zip, $(wc -l < "$work/list") entries, every file a packager needs, no test output; it builds"
