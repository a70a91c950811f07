#!/usr/bin/env bash
# Benchmark: offline_join.source_status with EVENTS events and LEDGER ledger
# rows (defaults 10,000,000 and 10,000, issue #28's figures), 20 sources, one
# of them with a folder of 1,000 files (its waiting_files lists them).
#
#   bash test/bench/source_status.sh [EVENTS] [LEDGER] [RUNS]   (RUNS default 20)
#
# Starts its own throwaway cluster, fills the tables directly (events rows
# as load() writes them, half of them matched), ANALYZEs, and times
# SELECT * FROM offline_join.source_status RUNS times (the server's execution
# time, from EXPLAIN ANALYZE), alternating with the
# hand-written query the issue timed (sources, loads and events joined, the
# last 24 hours' events counted from events), for comparison.  Prints
# medians and ranges; the goal is under 100 ms.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

events=${1:-10000000}
ledger=${2:-10000}
runs=${3:-20}
oj_bench_setup
oj_install_deps
oj_build_install
oj_start_cluster "$work/cluster" "shared_buffers = '1GB'" "max_wal_size = '20GB'" \
    "checkpoint_timeout = '1h'" "synchronous_commit = off"

folder="$work/cluster/folder"
mkdir -p "$folder"
for i in $(seq 1 1000); do printf 'Time Stamp,Customer ID,Event Type,Category,Event Name,Num1,Num2\n' > "$folder/f_$i.csv"; done
chown -R postgres: "$folder"

oj_say "setting up: $events events, $ledger ledger rows, 20 sources"
sql -v events="$events" -v ledger="$ledger" -v folder="$folder" <<'SQL' >/dev/null
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('s' || i, 'rmc',
         CASE WHEN i = 1 THEN jsonb_build_object('pattern', :'folder' || '/*.csv') ELSE '{}' END)
  FROM generate_series(1, 20) i;
-- the ledger: loads over the last 60 days, some failed; every 10th path tried twice
INSERT INTO offline_join.loads (load_id, source, path, sha256, bytes, started_at, finished_at,
                                rows_total, rows_loaded, rows_rejected, rows_matched, status, message, loaded_by)
SELECT i, 's' || (1 + i % 20), '/srv/in/file_' || (i / 2) || '.csv', md5(i::text), 1000,
       now() - (i % 1440) * interval '1 hour', now() - (i % 1440) * interval '1 hour' + interval '1 minute',
       CASE WHEN i % 50 = 0 THEN 0 ELSE (:events / :ledger)::bigint END,
       CASE WHEN i % 50 = 0 THEN 0 ELSE (:events / :ledger)::bigint - 10 END,
       CASE WHEN i % 50 = 0 THEN 0 ELSE 10 END,
       CASE WHEN i % 50 = 0 THEN 0 ELSE ((:events / :ledger)::bigint - 10) / 2 END,
       CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'loaded' END,
       CASE WHEN i % 50 = 0 THEN 'permission denied' END, 'postgres'
  FROM generate_series(1, :ledger) i;
-- the events of those loads
INSERT INTO offline_join.events (load_id, line_no, source, event_time, customer_id, match)
SELECT 1 + (e % :ledger), e, 's' || (1 + (1 + e % :ledger) % 20), now() - (e % 1000) * interval '1 minute',
       'C' || (e % 100000), CASE WHEN e % 2 = 0 THEN 'customer' ELSE 'unmatched' END
  FROM generate_series(1, :events) e;
ANALYZE;
SQL

# the server's own execution time (EXPLAIN ANALYZE), in ms: no client start-up in it
time_status() {
    sql -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) SELECT * FROM offline_join.source_status" |
        sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p' | awk '{printf "%d\n", $1 + 0.5}'
}
# the issue's hand-written query: the last 24 hours counted from events
time_hand() {
    sql -c "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) SELECT s.name, max(l.started_at), count(e.*) FILTER (WHERE e.match <> 'unmatched')::numeric / nullif(count(e.*), 0)
              FROM offline_join.sources s LEFT JOIN offline_join.loads l ON l.source = s.name
              LEFT JOIN offline_join.events e ON e.load_id = l.load_id AND l.started_at > now() - interval '24 hours'
             GROUP BY s.name" | sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p' | awk '{printf "%d\n", $1 + 0.5}'
}
status_ms=(); hand_ms=()
oj_time_pairs status_ms hand_ms "source_status" "hand-written join" 'time_status' 'time_hand'
rows=$(sql -c "SELECT count(*) FROM offline_join.source_status")
waiting=$(sql -c "SELECT waiting_files FROM offline_join.source_status WHERE source = 's1'")
range() { sort -n | awk 'NR == 1 {min = $1} {max = $1} END {print min "-" max}'; }

oj_say "results ($runs runs; $events events, $ledger ledger rows)"
printf "source_status (%s rows, %s files waiting)   median %s ms (range %s)\n" "$rows" "$waiting" \
    "$(printf '%s\n' "${status_ms[@]}" | median)" "$(printf '%s\n' "${status_ms[@]}" | range)"
printf "hand-written join over events           median %s ms (range %s)\n" \
    "$(printf '%s\n' "${hand_ms[@]}" | median)" "$(printf '%s\n' "${hand_ms[@]}" | range)"
