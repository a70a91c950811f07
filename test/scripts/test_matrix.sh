#!/usr/bin/env bash
# make test-matrix: the whole suite (test_all.sh, the README's test command)
# on every other PostgreSQL major this project supports, each inside a
# cached Debian root that has it (test/scripts/pg_root.sh: trixie for 17,
# sid for 18).  Ends with one line per major and a total line in the
# suite's usual form.
#
#   bash test/scripts/test_matrix.sh [MAJOR ...]      (default: 17 18)
#   OJ_MATRIX_PROVE='test/t/012_pg_upgrade.pl' bash test/scripts/test_matrix.sh 17
#                                  only those TAP tests, for work on one
#   OJ_MATRIX_CMD='bash test/bench/load_vs_copy.sh 1000000 3' bash test/scripts/test_matrix.sh
#                                  any command from the project's top folder
#                                  instead (benchmarks); passes if it exits 0
#
# The project is copied into each root (/work/main, with ../shared beside
# it when there is one); /proc, /sys and /dev are bind-mounted while the
# suite runs there and always unmounted again.
#
# pg_upgrade needs the old and the new server in one file system, so the
# host's PostgreSQL (15), with offline_join built from this tree for it, is
# copied into each root as /usr/lib/postgresql/15, plus the few shared
# libraries it links that the newer Debian no longer ships (compat-lib/);
# test/t/012_pg_upgrade.pl then upgrades a 15 database to the root's major.
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

old_major=${OJ_UPGRADE_FROM_MAJOR:-15}
old_host=/usr/lib/postgresql/$old_major
old_stage=""
# offline_join built from this tree for the host's server, once
build_old() {
    [ -x "$old_host/bin/pg_config" ] || return 1
    old_stage=$(mktemp -d /tmp/offline_join_old.XXXXXX)
    cp -a "$OJ_ROOT" "$old_stage/src"
    make -C "$old_stage/src" clean >/dev/null 2>&1
    make -C "$old_stage/src" PG_CONFIG="$old_host/bin/pg_config" >"$old_stage/build.log" 2>&1 &&
        make -C "$old_stage/src" PG_CONFIG="$old_host/bin/pg_config" DESTDIR="$old_stage/inst" install >>"$old_stage/build.log" 2>&1
}
# the host's server (binaries, share, our build) into a root, with the
# libraries its binaries need that the root lacks; needs /proc mounted
old_into_root() {
    local root=$1 i l src missing compat=/usr/lib/postgresql/$old_major/compat-lib
    rm -rf "$root/usr/lib/postgresql/$old_major" "$root/usr/share/postgresql/$old_major"
    mkdir -p "$root/usr/lib/postgresql" "$root/usr/share/postgresql"
    cp -a "$old_host" "$root/usr/lib/postgresql/"
    cp -a "/usr/share/postgresql/$old_major" "$root/usr/share/postgresql/"
    cp -a "$old_stage/inst/." "$root/"
    mkdir -p "$root$compat"
    for i in 1 2 3 4 5 6; do
        missing=$(chroot "$root" env LD_LIBRARY_PATH="$compat" sh -c \
            "for f in /usr/lib/postgresql/$old_major/bin/* /usr/lib/postgresql/$old_major/lib/*.so $compat/*.so*; do
                 case \$f in *llvmjit*) continue ;; esac; ldd \$f 2>/dev/null; done" |
            awk '/not found/ {print $1}' | sort -u)
        [ -n "$missing" ] || return 0
        for l in $missing; do
            src=$(ldconfig -p | awk -v l="$l" '$1 == l && /x86-64/ {print $NF; exit}')
            [ -n "$src" ] || { echo "old server: $l not found on the host" >&2; return 1; }
            cp -L "$src" "$root$compat/$l"
        done
    done
    echo "old server: libraries still missing after 6 rounds" >&2
    return 1
}
if build_old; then
    echo "== offline_join built for PostgreSQL $old_major (pg_upgrade source)"
else
    echo "== no PostgreSQL $old_major build for the pg_upgrade test: it will fail"
    [ -n "$old_stage" ] && tail -n 20 "$old_stage/build.log"
fi

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
    upgrade_from=/usr/lib/postgresql/$old_major
    [ -n "$old_stage" ] && old_into_root "$root" >"$log.old" 2>&1 || { upgrade_from=/nonexistent; cat "$log.old"; }
    cmd="bash /work/main/test/scripts/test_all.sh"
    if [ -n "${OJ_MATRIX_CMD:-}" ]; then
        cmd="cd /work/main && if $OJ_MATRIX_CMD; then echo 'suite: 1 passed, 0 failed';
             else echo 'suite: 0 passed, 1 failed'; fi"
    fi
    if [ -n "${OJ_MATRIX_PROVE:-}" ]; then
        cfg=/usr/lib/postgresql/$major/bin/pg_config
        cmd="cd /work/main && make -s clean && make -s PG_CONFIG=$cfg install && chown -R postgres /work/main &&
             if runuser -u postgres -- make PG_CONFIG=$cfg installcheck REGRESS= ISOLATION= PROVE_TESTS='$OJ_MATRIX_PROVE';
             then echo 'suite: 1 passed, 0 failed'; else echo 'suite: 0 passed, 1 failed'; fi"
    fi
    chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
        OJ_PG_MAJOR="$major" OJ_FUZZ_SECONDS="${OJ_FUZZ_SECONDS:-30}" \
        OJ_UPGRADE_FROM="$upgrade_from" \
        bash -c "$cmd" >"$log" 2>&1
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

[ -n "$old_stage" ] && rm -rf "$old_stage"
echo
for major in "${majors[@]}"; do echo "PostgreSQL $major: ${result[$major]}"; done
echo "matrix: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
