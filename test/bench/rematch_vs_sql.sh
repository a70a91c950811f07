#!/usr/bin/env bash
# Benchmark: offline_join.rematch() against the hand-written SQL join that
# computes the same answer, and one customer's attributed events among
# 10,000,000.
#
#   bash test/bench/rematch_vs_sql.sh [EVENTS] [RUNS] [BIG]   (defaults 1000000, 5, 10000000)
#
# One throwaway cluster. EVENTS unmatched events (from an rmc file loaded
# before any online data), then 1,000,000 sessions (5 per customer over the
# file's 60 days) and 1,000,000 transactions. Each run restores the
# unmatched events from a copy (untimed) before timing rematch(), and again
# before timing one UPDATE ... FROM (SELECT ... LATERAL (latest session in
# the lookback)) (after an untimed warm-up round, in alternating order), and
# checks both give the same matches. Then BIG events and the latency of
# SELECT * FROM offline_join.attributed_events WHERE customer_id = $1 for
# 200 customers (median and 99th percentile, measured inside the server).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

events=${1:-1000000}
runs=${2:-5}
big=${3:-10000000}
oj_bench_setup

oj_install_deps
oj_build_install
oj_start_cluster "$work/cluster" "shared_buffers = '2GB'" "max_wal_size = '20GB'" \
    "checkpoint_timeout = '1h'" "synchronous_commit = off"


oj_say "setting up: $events events, 1,000,000 sessions, 1,000,000 transactions"
file="$work/cluster/rmc.csv"
sql -v rows="$events" -v bad_every=0 -v customers=200000 -v path="$file" -f "$OJ_ROOT/test/bench/gen_rmc.sql"
sql <<SQL
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
SELECT rows_loaded FROM offline_join.load('rmc', '$file');
CREATE TABLE pristine AS SELECT * FROM offline_join.events;
INSERT INTO offline_join.sessions
SELECT 'sess-' || i, 'VIS-' || i, 'CUST-' || (i % 200000),
       timestamp '2026-03-01' - ((i::bigint * 7919) % 5184000) * interval '1 second',
       '{"channel": "email"}'
  FROM generate_series(1, 1000000) i;
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, snapshot)
SELECT 'txn-' || i, 'VIS-' || i, timestamp '2026-01-01', '{"channel": "search"}'
  FROM generate_series(1, 1000000) i;
VACUUM ANALYZE;
SQL

restore() {  # the events as loaded, and the ledger saying so (rematch() reads the loads it shows unmatched)
    sql -c "TRUNCATE offline_join.events" \
        -c "INSERT INTO offline_join.events OVERRIDING SYSTEM VALUE SELECT * FROM pristine" \
        -c "UPDATE offline_join.loads SET rows_matched = 0" \
        -c "VACUUM ANALYZE offline_join.events" -c "CHECKPOINT"
    sync
}
# the rule of spec section 5 for customer keys, by hand (the file has no transaction IDs)
hand_sql="WITH m AS (
  SELECT e.event_id, s.visitor_id, s.session_id, s.attrs
    FROM offline_join.events e
   CROSS JOIN LATERAL (
         SELECT s.visitor_id, s.session_id, s.attrs FROM offline_join.sessions s
          WHERE s.customer_id = e.customer_id
            AND s.started_at >= e.event_time - interval '30 days'
            AND s.started_at <= e.event_time
          ORDER BY s.started_at DESC LIMIT 1) s
   WHERE e.match = 'unmatched')
UPDATE offline_join.events e
   SET match = 'customer', visitor_id = m.visitor_id, session_id = m.session_id, snapshot = m.attrs
  FROM m WHERE e.event_id = m.event_id"
digest="SELECT count(*) FILTER (WHERE match = 'customer') || ' ' ||
               md5(string_agg(event_id || ':' || coalesce(session_id, '-'), ',' ORDER BY event_id))
          FROM offline_join.events"

time_rematch() {
    restore
    t0=$(now_ms); sql -c "SELECT offline_join.rematch()" >/dev/null; rematch_ms+=($(( $(now_ms) - t0 )))
    d1=$(sql -c "$digest")
}
time_sql() {
    restore
    t0=$(now_ms); sql -c "$hand_sql" >/dev/null; sql_ms+=($(( $(now_ms) - t0 )))
    d2=$(sql -c "$digest")
}
# One untimed round first: a new cluster's first big writes also create its
# WAL files, which would count against whichever side ran first.  Then the
# order alternates.
rematch_ms=(); sql_ms=()
time_rematch; time_sql
rematch_ms=(); sql_ms=()
for i in $(seq "$runs"); do
    if [ $((i % 2)) = 1 ]; then time_rematch; time_sql; else time_sql; time_rematch; fi
    [ "$d1" = "$d2" ] || { echo "rematch() and the SQL join disagree: $d1 / $d2" >&2; exit 1; }
    echo "run $i: rematch ${rematch_ms[-1]} ms, SQL join ${sql_ms[-1]} ms (same answer: ${d1%% *} matched)"
done
r_med=$(printf '%s\n' "${rematch_ms[@]}" | median)
s_med=$(printf '%s\n' "${sql_ms[@]}" | median)

oj_say "one customer's attributed events among $big events"
sql <<SQL
SET client_min_messages = warning;
TRUNCATE offline_join.events;
INSERT INTO offline_join.events (load_id, line_no, source, event_time, customer_id, event_type,
                                 product, num1, num2, dims, match, visitor_id, session_id, snapshot)
SELECT 1, i, 'rmc', timestamp '2026-03-01' - (i % 5184000) * interval '1 second',
       'CUST-' || (i % 200000), 7, 'SKU-' || (i % 1000), 1, 19.95, '{"var1": "Aarhus"}',
       'customer', 'VIS-' || (i % 1000000), 'sess-' || (i % 1000000 + 1), '{"channel": "email"}'
  FROM generate_series(1, $big) i;
VACUUM ANALYZE offline_join.events;
CREATE TABLE latency (ms float8);
DO \$\$
DECLARE t0 timestamptz; n int;
BEGIN
  FOR k IN 1..200 LOOP
    t0 := clock_timestamp();
    SELECT count(*) INTO n FROM (SELECT * FROM offline_join.attributed_events
                                  WHERE customer_id = 'CUST-' || (k * 997 % 200000)) x;
    INSERT INTO latency VALUES (extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END \$\$;
SQL
lat=$(sql -c "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3) || ' ' ||
                     round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 3) FROM latency")
per=$(sql -c "SELECT count(*) / 200000 FROM offline_join.events")

oj_say "results (medians of $runs runs; ratio = SQL join time / rematch() time, > 1 means rematch() is faster)"
echo "events to attribute                    $events (1,000,000 sessions, 1,000,000 transactions)"
echo "offline_join.rematch()                 $r_med ms"
echo "hand-written UPDATE ... LATERAL join   $s_med ms"
awk -v s="$s_med" -v r="$r_med" 'BEGIN { printf "ratio rematch vs SQL join              %.2f\n", s / r }'
echo "one customer's attributed events, $big events (~$per per customer): median ${lat% *} ms, p99 ${lat#* } ms"
