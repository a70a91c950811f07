#!/usr/bin/env bash
# make test-matrix: the whole suite (test_all.sh, the README's test command)
# on every other PostgreSQL major this project supports, each inside a
# cached Debian root that has it (test/scripts/pg_root.sh: trixie for 17,
# sid for 18).  Ends with one line per major and a total line in the
# suite's usual form.
#
#   bash test/scripts/test_matrix.sh [MAJOR ...]      (default: 17 18)
#
# The project is copied into each root (/work/main, with ../shared beside
# it when there is one); /proc, /sys and /dev are bind-mounted while the
# suite runs there and always unmounted again.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OJ_ROOT=$(cd "$here/../.." && pwd)
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(17 18)
logs=${OJ_MATRIX_LOGS:-/tmp/offline_join_matrix}
mkdir -p "$logs"

mounted=()
umount_all() {
    local m
    for m in "${mounted[@]}"; do mountpoint -q "$m" && umount -l "$m"; done
    mounted=()
}
trap umount_all EXIT

declare -A result
total_passed=0 total_failed=0
for major in "${majors[@]}"; do
    log="$logs/pg$major.log"
    echo "== PostgreSQL $major (log: $log)"
    if ! root=$(bash "$here/pg_root.sh" "$major" 2>"$logs/pg$major.root.log"); then
        tail -n 20 "$logs/pg$major.root.log"
        result[$major]="root not built"; total_failed=$((total_failed + 1)); continue
    fi
    rm -rf "$root/work"
    mkdir -p "$root/work"
    cp -a "$OJ_ROOT" "$root/work/main"
    [ -d "$OJ_ROOT/../shared" ] && cp -a "$OJ_ROOT/../shared" "$root/work/shared"
    for m in proc sys dev dev/pts; do
        mount --bind "/$m" "$root/$m" && mounted+=("$root/$m")
    done
    start=$(date +%s)
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        OJ_PG_MAJOR="$major" OJ_FUZZ_SECONDS="${OJ_FUZZ_SECONDS:-30}" \
        bash /work/main/test/scripts/test_all.sh >"$log" 2>&1
    rc=$?
    umount_all
    line=$(grep -E '^suite: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    [ -n "$line" ] || line="suite: 0 passed, 1 failed (no summary; exit $rc)"
    p=$(echo "$line" | sed -E 's/^suite: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/^suite: [0-9]+ passed, ([0-9]+) failed.*/\1/')
    [ "$rc" -ne 0 ] && [ "$f" = 0 ] && f=1
    total_passed=$((total_passed + p)); total_failed=$((total_failed + f))
    result[$major]="$p passed, $f failed ($(( $(date +%s) - start ))s)"
    [ "$f" = 0 ] || { grep -E 'FAILED|not ok|^[-+]' "$log" | head -n 60; }
done

echo
for major in "${majors[@]}"; do echo "PostgreSQL $major: ${result[$major]}"; done
echo "matrix: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
