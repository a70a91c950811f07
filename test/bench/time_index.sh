#!/usr/bin/env bash
# Benchmark: analysts' time-range queries on events through the shipped BRIN
# index (events_brin_idx on load_id, event_time and match, 0.2.3; 0.2.2 had
# events_time_idx on event_time alone), against a btree index on event_time
# (what 0.2.1 had), on the same table.
#
#   bash test/bench/time_index.sh [ROWS_PER_DAY] [RUNS]     (defaults 500000, 5)
#
# Starts its own throwaway cluster and loads, with load(), ten daily rmc
# files in date order (days 1-10 of March 2026), then a backfill: one file
# covering ten days of February loaded last, so its rows lie after March's
# in the heap.  Then a btree on event_time is built beside the BRIN index,
# and each query runs RUNS times with only the BRIN index and with only the
# btree (the other dropped inside a transaction that is rolled back),
# alternating, each timed on the server (EXPLAIN ANALYZE's execution time).
# The queries are the Analyst page's shapes: one day's revenue, a week's
# unmatched share, one day of the backfilled period.  Also prints each
# index's size and the time to build each.
# Then free space reused: day 3's load is taken back with unload() and
# VACUUM frees its pages, and a file of one January day is loaded into them
# (a far-away time in page ranges summarized for March 3); the three
# queries, and one for March 2 and one for the January day, run again the
# same way.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

per_day=${1:-500000}
runs=${2:-5}
oj_bench_setup
oj_install_deps
oj_build_install
oj_start_cluster "$work/cluster" "shared_buffers = '1GB'" "max_wal_size = '20GB'" \
    "checkpoint_timeout = '1h'" "synchronous_commit = off"

oj_say "loading 10 daily files and a 10-day backfill, $per_day rows a day"
sql -c "CREATE EXTENSION offline_join" -c "SELECT offline_join.create_source('rmc', 'rmc')" >/dev/null
gen_days() {  # gen_days PATH FIRST_DAY DAYS: an rmc file, rows in time order
    sql -c "COPY (
      SELECT to_char(timestamp '$2' + (i::float8 * 86400 / $per_day) * interval '1 second',
                     'YYYY-MM-DD HH24:MI:SS') AS \"Time Stamp\",
             'CUST-' || (i % 200000) AS \"Customer ID\", 7 AS \"Event Type\", 'cat-' || (i % 50) AS \"Category\",
             'SKU-' || (i % 1000) AS \"Event Name\", (i % 5) + 1 AS \"Num1\", round(((i % 5) + 1) * 19.95, 2) AS \"Num2\"
        FROM generate_series(0, $per_day * $3 - 1) AS i) TO '$1' (FORMAT csv, HEADER)"
}
for d in $(seq 1 10); do
    f="$work/cluster/day$d.csv"
    gen_days "$f" "2026-03-$(printf %02d "$d")" 1
    sql -c "SELECT status FROM offline_join.load('rmc', '$f')" >/dev/null 2>&1
    rm -f "$f"
done
f="$work/cluster/backfill.csv"
gen_days "$f" "2026-02-01" 10
sql -c "SELECT status FROM offline_join.load('rmc', '$f')" >/dev/null 2>&1
rm -f "$f"
sql -c "VACUUM ANALYZE offline_join.events"
total=$(sql -c "SELECT count(*) FROM offline_join.events")
brin_idx=events_brin_idx

t0=$(now_ms)
sql -c "REINDEX INDEX offline_join.$brin_idx"
brin_build=$(( $(now_ms) - t0 ))
t0=$(now_ms)
sql -c "CREATE INDEX events_time_btree ON offline_join.events (event_time)"
btree_build=$(( $(now_ms) - t0 ))
sql -c "ANALYZE offline_join.events"

q_day="SELECT sum(num2) FROM offline_join.events WHERE event_time >= '2026-03-05' AND event_time < '2026-03-06'"
q_week="SELECT count(*) FILTER (WHERE match = 'unmatched')::float8 / count(*) FROM offline_join.events
          WHERE event_time >= '2026-03-02' AND event_time < '2026-03-09'"
q_back="SELECT sum(num2) FROM offline_join.events WHERE event_time >= '2026-02-04' AND event_time < '2026-02-05'"

# exec_ms INDEX_TO_DROP QUERY: the query's execution time (ms) with that index dropped
exec_ms() {
    psql -X -q -At -v ON_ERROR_STOP=1 <<SQL | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p'
BEGIN;
DROP INDEX offline_join.$1;
EXPLAIN (ANALYZE, TIMING OFF) $2;
ROLLBACK;
SQL
}
plan_uses() {  # plan_uses INDEX_TO_DROP QUERY: the index the plan reads
    psql -X -q -At -v ON_ERROR_STOP=1 <<SQL | grep -o 'Index Scan on [a-z_]*\|Index Scan using [a-z_]*\|Seq Scan on [a-z_]*' | head -1
BEGIN;
DROP INDEX offline_join.$1;
EXPLAIN $2;
ROLLBACK;
SQL
}

declare -A result
compare() {  # compare NAME...: each query with BRIN only against btree only
    local name var q
    for name in "$@"; do
        var="q_$name"; q=${!var}
        brin=(); btree=()
        echo "$name: BRIN plan: $(plan_uses events_time_btree "$q"); btree plan: $(plan_uses "$brin_idx" "$q")"
        oj_time_pairs brin btree "$name: BRIN" "btree" 'exec_ms events_time_btree "$q"' 'exec_ms "$brin_idx" "$q"'
        result[$name]="BRIN $(printf '%s\n' "${brin[@]}" | median) ms, btree $(printf '%s\n' "${btree[@]}" | median) ms, btree/BRIN paired $(oj_paired btree brin)"
    done
}
compare day week back
sizes=$(sql -c "SELECT 'index size: BRIN ' || pg_size_pretty(pg_relation_size('offline_join.$brin_idx'))
                       || ', btree ' || pg_size_pretty(pg_relation_size('offline_join.events_time_btree'))")

oj_say "free space reused: day 3 unloaded, a January day loaded into its pages"
day3=$(sql -c "SELECT load_id FROM offline_join.loads WHERE path LIKE '%/day3.csv'")
sql -c "SELECT offline_join.unload($day3)" -c "VACUUM offline_join.events" >/dev/null
f="$work/cluster/january.csv"
gen_days "$f" "2026-01-15" 1
t0=$(now_ms)
sql -c "SELECT status FROM offline_join.load('rmc', '$f')" >/dev/null 2>&1
jan_load=$(( $(now_ms) - t0 ))
rm -f "$f"
sql -c "VACUUM ANALYZE offline_join.events"
q_early="SELECT sum(num2) FROM offline_join.events WHERE event_time >= '2026-03-02' AND event_time < '2026-03-03'"
q_jan="SELECT sum(num2) FROM offline_join.events WHERE event_time >= '2026-01-15' AND event_time < '2026-01-16'"
declare -A before=([day]="${result[day]}" [back]="${result[back]}")
compare day back early jan

oj_say "results ($total events; medians of $runs runs, server execution times)"
echo "one day of March (ordered files):        ${before[day]}"
echo "a week of March, unmatched share:        ${result[week]}"
echo "one day of the backfill (loaded last):   ${before[back]}"
echo "$sizes"
echo "build time: BRIN $brin_build ms, btree $btree_build ms"
echo "after day 3 was unloaded and a January day loaded into its pages ($jan_load ms):"
echo "  one day of March (March 5):            ${result[day]}"
echo "  one day of the backfill:               ${result[back]}"
echo "  March 2 (beside the reused ranges):    ${result[early]}"
echo "  the January day:                       ${result[jan]}"
