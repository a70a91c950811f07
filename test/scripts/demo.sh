#!/usr/bin/env bash
# The README's demo: installs what it needs, builds, starts a throwaway
# cluster, loads the sample files and shows validated, rejected and joined
# rows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# One demo server at a time, left running at the end for Getting started
# (README); a failed run stops it.  make demo-stop stops it.
work=/tmp/offline_join_demo
if [ -f "$work/data/postmaster.pid" ]; then
    runuser -u postgres -- "$OJ_PG_BIN/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true
fi
if [ "${1:-}" = stop ]; then       # make demo-stop
    rm -rf "$work"
    echo "the demo server is stopped"
    exit 0
fi
rm -rf "$work"
trap 'oj_stop_clusters' ERR

oj_install_deps
oj_build_install
oj_start_cluster "$work" "shared_preload_libraries = 'offline_join'" \
    "offline_join.expire_naptime = '1h'"  # the demo's March IDs are past their window: keep them on show

# the server reads files as the postgres user: give it its own copies
files="$work/files"
mkdir -p "$files"
cp "$OJ_ROOT"/test/data/{rmc_sample.csv,rmc_every_reason.csv,adobe_transaction_sample.txt,adobe_visitor_sample.txt} "$files/"
chown -R postgres: "$files"

oj_say "demo"
psql -X -q -v ON_ERROR_STOP=1 -v files="$files" -P pager=off <<'SQL'
\pset footer off
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SET timezone = 'UTC';

\echo
\echo '== 1. Online: sessions, and transaction IDs recorded with the visitor''s state'
INSERT INTO offline_join.sessions (session_id, visitor_id, customer_id, started_at, attrs) VALUES
  ('web-1', 'VIS-1', 'CUST-1001', '2026-03-01 18:20+00', '{"marketing_channel": "email", "campaign": "spring", "cart": ["SKU-RUN-42"]}'),
  ('web-2', 'VIS-2', 'CUST-1002', '2026-02-27 09:00+00', '{"marketing_channel": "paid search"}');
SELECT offline_join.record_transaction('lead_55012', 'VIS-7', 'web-7',
       '{"marketing_channel": "display", "evar1": "lead form"}', '2026-03-01 10:00+00') AS recorded;
SELECT offline_join.record_transaction('lead_55012', 'VIS-8', 'web-8', '{}', '2026-03-01 11:00+00') AS second_hit_recorded;
SELECT transaction_id, visitor_id, expires_at - recorded_at AS kept_for, snapshot
  FROM offline_join.transactions;

\echo
\echo '== 2. Sources: an Offline Data Import CSV (rmc) and two Adobe Data Sources files'
SELECT offline_join.create_source('rmc', 'rmc', '{"timezone": "Europe/Copenhagen"}');
SELECT offline_join.create_source('adobe', 'adobe');
SELECT * FROM offline_join.sources;

\echo
\echo '== 3. Load the sample files: the ledger'
SELECT (offline_join.load('rmc', :'files' || '/rmc_sample.csv')).load_id \gset
SELECT (offline_join.load('adobe', :'files' || '/adobe_transaction_sample.txt')).load_id \gset
SELECT (offline_join.load('adobe', :'files' || '/adobe_visitor_sample.txt')).load_id \gset
SELECT (offline_join.load('rmc', :'files' || '/rmc_every_reason.csv')).load_id \gset
\echo '   (loading a file again changes nothing)'
SELECT (offline_join.load('rmc', :'files' || '/rmc_sample.csv')).load_id \gset
SELECT load_id, source, regexp_replace(path, '.*/', '') AS file, rows_total, rows_loaded,
       rows_rejected, rows_matched, status, message
  FROM offline_join.loads ORDER BY load_id;

\echo
\echo '== 4. Validated rows, each joined to its online session'
SELECT event_id, line_no AS line, event_time, coalesce(customer_id, transaction_id) AS key,
       product, num2 AS total, match, session_id, snapshot
  FROM offline_join.events ORDER BY event_id;

\echo
\echo '== 5. Rejected rows: line, field, reason, message'
SELECT load_id, line_no AS line, field, reason, message
  FROM offline_join.rejects ORDER BY load_id, line_no;

\echo
\echo '== 6. Late online data: a session arrives after the load; rematch() picks it up'
INSERT INTO offline_join.sessions VALUES
  ('web-3', 'VIS-3', 'CUST-1003', '2026-03-03 08:00+00', '{"marketing_channel": "social"}');
SELECT offline_join.rematch() AS newly_matched;
SELECT line_no AS line, customer_id, match, session_id, snapshot FROM offline_join.events
 WHERE customer_id = 'CUST-1003';

\echo
\echo '== 7. Ad-hoc attribution of a row that was never loaded'
SELECT * FROM offline_join.attribute('2026-03-02 12:00+00', 'CUST-1001', NULL);

\echo
\echo '== 8. COPY from any client into a validating inbox: a role with only INSERT on it'
SELECT offline_join.create_inbox('rmc');
CREATE ROLE demo_pipeline;
GRANT USAGE ON SCHEMA offline_join TO demo_pipeline;
GRANT INSERT ON offline_join.inbox_rmc TO demo_pipeline;
SET ROLE demo_pipeline;
COPY offline_join.inbox_rmc (time_stamp, customer_id, event_type, category, event_name, num1, num2) FROM stdin (FORMAT csv);
2026-03-05 11:00:00,CUST-1001,7,shoes,SKU-RUN-42,1,89.95
2026-03-05 11:30:00,CUST-1002,7,bags,SKU-BAG-07,two,119.80
\.
RESET ROLE;
SELECT load_id, path, rows_total, rows_loaded, rows_rejected, rows_matched FROM offline_join.loads
 ORDER BY load_id DESC LIMIT 1;
SELECT line_no AS line, field, reason, message FROM offline_join.rejects
 WHERE load_id = (SELECT max(load_id) FROM offline_join.loads);
SELECT count(*) AS rows_left_in_inbox FROM offline_join.inbox_rmc;

\echo
\echo '== 9. Analysts: offline revenue by the online channel that brought the visitor'
SELECT coalesce(state->>'marketing_channel', '(unmatched)') AS channel, match,
       count(*) AS events, sum(num2) AS revenue
  FROM offline_join.attributed_events
 WHERE event_time >= '2026-03-01' AND event_time < '2026-04-01'
 GROUP BY 1, 2 ORDER BY revenue DESC NULLS LAST;

\echo
\echo '== 10. Abandoned carts: web-1 had a cart but CUST-1001 bought in a store; web-4 did not'
INSERT INTO offline_join.sessions VALUES
  ('web-4', 'VIS-4', 'CUST-1004', '2026-03-02 09:00+00', '{"marketing_channel": "email", "cart": ["SKU-BAG-07"]}');
SELECT * FROM offline_join.abandoned_carts('2026-03-01', '24 hours');
SQL

oj_say "the demo server is still running"
cat <<MSG
Connect to it with psql from this folder, and go on with the README's
Getting started:
  psql -h $work -U postgres -c 'CREATE DATABASE getting_started'
  psql -h $work -U postgres -d getting_started
Stop it with: make demo-stop
MSG
