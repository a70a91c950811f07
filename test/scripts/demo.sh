#!/usr/bin/env bash
# The README's demo: installs what it needs, builds, starts a throwaway
# cluster, and shows what offline_join does today with the sample files.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d /tmp/offline_join_demo.XXXXXX)
chmod 755 "$work"
trap 'oj_stop_clusters; rm -rf "$work"' EXIT

oj_install_deps
oj_build_install
oj_start_cluster "$work/cluster" "shared_preload_libraries = 'offline_join'"

oj_say "demo"
psql -X -q -v ON_ERROR_STOP=1 -P pager=off <<'SQL'
\pset footer off
\echo '-- the extension'
CREATE EXTENSION offline_join;
\echo '-- online: a visitor submits a lead; the site records the transaction ID with the visitor state'
SELECT offline_join.record_transaction('lead_55012', 'VIS-9', 'sess-1',
       '{"marketing_channel":"email","campaign":"spring"}', '2026-03-02 13:58:00+00') AS recorded;
\echo '-- the same ID again: the first online hit wins'
SELECT offline_join.record_transaction('lead_55012', 'VIS-10', 'sess-2', '{}') AS recorded;
SELECT transaction_id, visitor_id, expires_at - recorded_at AS kept_for, snapshot
  FROM offline_join.transactions;
SQL
