#!/usr/bin/env bash
# make test-citus: offline_join on a Citus cluster (coordinator + 2 workers
# on unix sockets, PostgreSQL::Test::Cluster nodes with
# shared_preload_libraries = 'citus,pg_cron,offline_join'): the TAP tests in
# test/citus/.  Citus is not packaged by Debian: without it installed into
# the server this suite uses, says so and exits 0 (build it from its public
# source for your own runs; README, Citus).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ ! -f "$("$OJ_PG_CONFIG" --sharedir 2>/dev/null)/extension/citus.control" ]; then
    echo "skipped: Citus not installed"
    exit 0
fi
if [ -z "${OJ_BUILT:-}" ]; then    # test_all.sh has built and installed it
    oj_install_deps
    oj_build_install
fi
work=$(mktemp -d /tmp/offline_join_citus.XXXXXX)
chmod 755 "$work"
trap '[ "${OJ_KEEP:-}" ] || rm -rf "$work"' EXIT
cp -a "$OJ_ROOT" "$work/tree"
chown -R postgres: "$work/tree"
oj_say "Citus $(sed -n "s/^default_version = '\(.*\)'/\1/p" "$("$OJ_PG_CONFIG" --sharedir)/extension/citus.control"): TAP tests in test/citus"
if runuser -u postgres -- make -C "$work/tree" -s installcheck PG_CONFIG="$OJ_PG_CONFIG" \
        REGRESS= ISOLATION= PROVE_TESTS="${OJ_CITUS_TESTS:-test/citus/*.pl}"; then
    exit 0
fi
for f in "$work"/tree/tmp_check/log/regress_log_*; do
    [ -f "$f" ] && grep -q "not ok\|Dubious\|died" "$f" && { echo "---- $f"; tail -n 80 "$f"; }
done
exit 1
