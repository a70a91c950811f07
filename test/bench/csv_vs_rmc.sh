#!/usr/bin/env bash
# Benchmark: a source of format csv whose options describe the rmc layout,
# against format rmc, loading the same file.
#
#   bash test/bench/csv_vs_rmc.sh [ROWS] [RUNS]     (defaults 1000000, 5)
#
# Starts its own throwaway cluster, generates an rmc file of ROWS rows (23
# columns, header line) and, alternating, times RUNS loads of it by each
# source: rmc (fixed positions, its own time shape) and csv (the same 23
# columns mapped by header name, ISO 8601 times).  Both validate every
# value, match and write the same events.  Prints medians and the ratios
# paired per run (rmc time / csv time: 1 means as fast; issue #27 asks for
# at least 0.95).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

rows=${1:-1000000}
runs=${2:-5}
oj_bench_setup
oj_install_deps
oj_build_install
oj_start_cluster "$work/cluster" "shared_buffers = '1GB'" "max_wal_size = '20GB'" \
    "checkpoint_timeout = '1h'" "synchronous_commit = off"

oj_say "setting up: $rows rows, $runs runs each"
sql -c "CREATE EXTENSION offline_join" -c "SELECT offline_join.create_source('rmc', 'rmc')" >/dev/null
sql >/dev/null <<'SQL'
SELECT offline_join.create_source('csv', 'csv', jsonb_build_object('columns',
  jsonb_build_object('event_time', 'Time Stamp', 'customer_id', 'Customer ID',
                     'event_type', 'Event Type', 'category', 'Category', 'product', 'Event Name',
                     'num1', 'Num1', 'num2', 'Num2',
                     'dims', (SELECT jsonb_object_agg('var' || i, 'Var ' || i) FROM generate_series(1, 5) i),
                     'attrs', (SELECT jsonb_object_agg('attr' || i, 'EventName Attr' || i) FROM generate_series(1, 10) i)
                              || '{"txn_attr1": "EventTransaction Attr1"}'),
  'required', '["customer_id", "event_type", "product", "num1", "num2"]'::jsonb));
SQL
file="$work/cluster/rmc.csv"
sql -v rows="$rows" -v bad_every=0 -v customers=200000 -v path="$file" -f "$OJ_ROOT/test/bench/gen_rmc.sql"

settle() { sql -c "CHECKPOINT"; sync; }
time_load() {  # time_load SOURCE
    sql -c "TRUNCATE offline_join.events, offline_join.rejects, offline_join.loads"; settle
    local t0; t0=$(now_ms)
    sql -c "SELECT status FROM offline_join.load('$1', '$file')" >/dev/null
    echo $(( $(now_ms) - t0 ))
}
same() {  # the events of the last load, as text without load_id and event_id
    sql -c "SELECT md5(string_agg(concat_ws('|', line_no, event_time, customer_id, event_type, category,
                                                 product, num1, num2, dims, attrs, match), ',' ORDER BY line_no))
              FROM offline_join.events"
}
time_load rmc >/dev/null; rmc_md5=$(same)
time_load csv >/dev/null; csv_md5=$(same)
[ "$rmc_md5" = "$csv_md5" ] || { echo "the csv source wrote other events than the rmc source" >&2; exit 1; }
loaded=$(sql -c "SELECT rows_loaded FROM offline_join.loads")
[ "$loaded" = "$rows" ] || { echo "loaded $loaded rows, not $rows" >&2; exit 1; }

rmc_ms=(); csv_ms=()
oj_time_pairs rmc_ms csv_ms "rmc" "csv" 'time_load rmc' 'time_load csv'
rmc_med=$(printf '%s\n' "${rmc_ms[@]}" | median)
csv_med=$(printf '%s\n' "${csv_ms[@]}" | median)
ratio=$(oj_paired rmc_ms csv_ms)

oj_say "results (medians of $runs runs; ratio = rmc time / csv time, 1 = as fast)"
awk -v r="$rmc_med" -v c="$csv_med" -v n="$rows" -v p="$ratio" 'BEGIN {
    printf "load(), format rmc                    %8.0f ms  (%.0f rows/s)\n", r, n * 1000 / r
    printf "load(), format csv (the rmc layout)   %8.0f ms  (%.0f rows/s)\n", c, n * 1000 / c
    printf "ratio rmc vs csv, paired per run      %s\n", p
    printf "same events from both sources        yes\n"
}'
