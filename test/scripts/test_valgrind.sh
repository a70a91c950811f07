#!/usr/bin/env bash
# make test-valgrind: the pg_regress and isolation suites against a server
# running under valgrind (memcheck, --trace-children=yes).  Debian's server
# is built without assertions or valgrind hooks, so memory-context mistakes
# (a chunk used after its context was reset) show only here.
#
#   bash test/scripts/test_valgrind.sh [TEST ...]
#
# With test names, only those pg_regress tests run (and no isolation
# specs).  Fails when any valgrind error has a frame in offline_join.so;
# (one of our source files, by full path, or the library itself); errors
# entirely inside PostgreSQL are counted, not failed on (test/valgrind.supp
# silences the known ones of a server built without valgrind hooks).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
OJ_PACKAGES="$OJ_PACKAGES valgrind"

start=$(date +%s)
work=$(mktemp -d /tmp/offline_join_valgrind.XXXXXX)
chmod 755 "$work"
cleanup() {
    [ -f "$work/data/postmaster.pid" ] &&
        runuser -u postgres -- "$OJ_PG_BIN/pg_ctl" -D "$work/data" -m immediate -w stop >/dev/null 2>&1
    [ "${OJ_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

oj_install_deps
oj_build_install
cp -a "$OJ_ROOT" "$work/tree"
chown -R postgres: "$work" "$work/tree"

runuser -u postgres -- "$OJ_PG_BIN/initdb" -D "$work/data" -A trust -U postgres --no-sync \
    -E UTF8 --locale=C.UTF-8 >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log"; exit 1; }
cat >>"$work/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$work'
port = 5432
fsync = off
shared_buffers = 64MB
max_prepared_transactions = 4
shared_preload_libraries = 'offline_join'
offline_join.database = 'postgres'
EOF

oj_say "starting the server under valgrind"
runuser -u postgres -- valgrind --quiet --trace-children=yes --num-callers=40 --error-limit=no --fullpath-after= \
    --suppressions="$OJ_ROOT/test/valgrind.supp" --log-file="$work/valgrind.%p.log" \
    "$OJ_PG_BIN/postgres" -D "$work/data" >"$work/server.log" 2>&1 &
for _ in $(seq 120); do
    pg_isready -h "$work" -p 5432 -q && break
    grep -qs "FATAL" "$work"/valgrind.*.log && break
    sleep 1
done
pg_isready -h "$work" -p 5432 -q || { cat "$work/server.log" "$work"/valgrind.*.log; exit 1; }

failed=0
regress_tests=("$@")
[ ${#regress_tests[@]} -gt 0 ] ||
    mapfile -t regress_tests < <(ls "$OJ_ROOT"/sql/*.sql | xargs -n1 basename | sed 's/\.sql$//' | grep -v '^offline_join--')
oj_say "pg_regress under valgrind: ${regress_tests[*]}"
runuser -u postgres -- make -C "$work/tree" -s installcheck PG_CONFIG="$OJ_PG_CONFIG" PGHOST="$work" PGPORT=5432 \
    REGRESS="${regress_tests[*]}" ISOLATION="$([ $# -gt 0 ] || ls "$OJ_ROOT"/test/isolation/specs/ | sed 's/\.spec$//' | xargs)" \
    TAP_TESTS= PROVE_TESTS= || failed=1
for f in "$work/tree/regression.diffs" "$work/tree/output_iso/regression.diffs"; do
    [ -s "$f" ] && { echo "---- $f"; cat "$f"; }
done

runuser -u postgres -- "$OJ_PG_BIN/pg_ctl" -D "$work/data" -m fast -w -t 300 stop >/dev/null

# One valgrind error is a block of "==PID==" lines up to a blank one.
oj_say "valgrind's findings"
ours=0 theirs=0
for log in "$work"/valgrind.*.log; do
    [ -s "$log" ] || continue
    n=$(awk -v root="$OJ_ROOT/src/" '
        /^==[0-9]+== [A-Z]/ && !inblock { inblock = 1; block = "" }
        inblock { block = block $0 "\n" }
        /^==[0-9]+== $/ && inblock {
            inblock = 0
            if (block ~ /^==[0-9]+== WARNING: /) next   # about a suppression file, not an error
            if (index(block, root) || index(block, "offline_join.so")) { printf "%s", block > "/dev/stderr"; ours++ }
            else theirs++
        }
        END { print ours + 0, theirs + 0 }' "$log" 2>>"$work/ours.txt")
    ours=$((ours + ${n% *})); theirs=$((theirs + ${n#* }))
done
if [ "$ours" -gt 0 ]; then
    cat "$work/ours.txt"
    echo "valgrind: $ours errors in offline_join's code"
    failed=1
fi
echo "valgrind: $theirs errors with no frame of offline_join (PostgreSQL's own; not failed on)"
echo "valgrind run took $(( $(date +%s) - start ))s"
[ "$failed" -eq 0 ] && echo "valgrind: 1 passed, 0 failed" || echo "valgrind: 0 passed, 1 failed"
[ "$failed" -eq 0 ]
