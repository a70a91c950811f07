#!/usr/bin/env bash
# The whole test suite, from a bare Debian 12 (as root): installs packages,
# builds with warnings as errors, runs the core unit tests under ASan/UBSan,
# starts a throwaway preloaded cluster, runs pg_regress, isolation and TAP
# tests (make installcheck) as the postgres user, the packaging checks
# (META.json, make dist), the docs' checks (the installation commands,
# Getting started, doc/'s runnable examples), the same pg_regress and
# isolation tests against a server under valgrind, a fuzz smoke run, and the
# Citus cluster tests when Citus is installed.
# Exits non-zero on any failure; prints regression.diffs when there are any.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
work=$(mktemp -d /tmp/offline_join_test.XXXXXX)
chmod 755 "$work"
cleanup() { oj_stop_clusters; [ "${OJ_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

oj_install_deps
oj_build_install

failed=0
passed=0
step() {  # step NAME COMMAND...: runs one part of the suite and counts it
    local name=$1; shift
    oj_say "$name"
    if "$@"; then passed=$((passed + 1)); return 0; fi
    echo "FAILED: $name"
    failed=$((failed + 1))
    return 1
}

step "structure: functions of at most 150 lines, no circle between files, one header per module" \
    perl "$OJ_ROOT/test/scripts/check_structure.pl" "$OJ_ROOT"

if [ -x "$OJ_ROOT/test/unit/run.sh" ]; then
    step "core unit tests (ASan, UBSan)" "$OJ_ROOT/test/unit/run.sh"
fi

step "packaging: META.json against the PGXN Meta Spec, make dist" bash "$OJ_ROOT/test/scripts/test_dist.sh"
step "docs: the README's installation commands for PostgreSQL $OJ_PG_MAJOR" \
    perl "$OJ_ROOT/test/scripts/test_docs.pl" "$OJ_ROOT" --install "$OJ_PG_MAJOR"

# The tests write results next to the sources: run them from a copy the
# postgres user owns.
cp -a "$OJ_ROOT" "$work/tree"
chown -R postgres: "$work/tree"
oj_start_cluster "$work/cluster" \
    "shared_preload_libraries = 'offline_join'" \
    "offline_join.database = 'postgres'"

step "docs: the README's Getting started and doc/'s runnable examples" \
    perl "$OJ_ROOT/test/scripts/test_docs.pl" "$work/tree"

installcheck() {
    runuser -u postgres -- env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER=postgres \
        make -C "$work/tree" -s installcheck PG_CONFIG="$OJ_PG_CONFIG"
}
if ! step "pg_regress, isolation and TAP tests (make installcheck)" installcheck; then
    for f in "$work/tree/regression.diffs" "$work/tree/output_iso/regression.diffs"; do
        [ -s "$f" ] && { echo "---- $f"; cat "$f"; }
    done
    for f in "$work"/tree/tmp_check/log/regress_log_*; do
        [ -f "$f" ] && grep -q "not ok\|Dubious\|died" "$f" && { echo "---- $f"; tail -n 60 "$f"; }
    done
fi

# The server under valgrind: pg_regress and isolation again, failing on any
# invalid read, write or free with a frame in our code (make test-valgrind).
oj_stop_clusters
step "valgrind: pg_regress and isolation under memcheck (make test-valgrind)" \
    bash "$OJ_ROOT/test/scripts/test_valgrind.sh"

if [ -x "$OJ_ROOT/test/fuzz/run.sh" ]; then
    step "fuzz smoke run (regression inputs + ${OJ_FUZZ_SECONDS:-30}s)" \
        bash -c "'$OJ_ROOT/test/fuzz/run.sh' 0 && '$OJ_ROOT/test/fuzz/run.sh' ${OJ_FUZZ_SECONDS:-30}"
fi

# Citus is not packaged by Debian: its tests run where it is installed.
if [ -f "$("$OJ_PG_CONFIG" --sharedir)/extension/citus.control" ]; then
    step "Citus cluster tests (make test-citus)" env OJ_BUILT=1 bash "$OJ_ROOT/test/scripts/test_citus.sh"
else
    oj_say "Citus cluster tests (make test-citus): skipped: Citus not installed"
fi

echo
echo "suite took $(( $(date +%s) - start ))s"
echo "suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
