#!/usr/bin/env bash
# Benchmark: offline_join.load(), and COPY into a validating inbox table,
# against plain COPY of the same file.
#
#   bash test/bench/load_vs_copy.sh [ROWS] [RUNS]     (defaults 1000000, 5)
#
# Starts its own throwaway cluster (same settings for both sides), generates
# an rmc file of ROWS rows (23 columns) and, alternating, times RUNS times:
#   copy   COPY ... (FORMAT csv, HEADER) into a typed table with the
#          indexes a user would query it by: a bigint identity primary key,
#          event_time, (customer_id, event_time) (validates nothing, stops
#          at the first bad row)
#   load   offline_join.load() of the same file (validates, matches, ledger)
#   inbox  COPY ... (FORMAT csv, HEADER) of the same file into
#          offline_join.inbox_rmc (the same validation and routing, per row
#          through a trigger)
# then the same load with 1% bad rows; the general write path (the sink's
# executor path): COPY and load() with one AFTER INSERT row trigger added to
# both tables; the load with 1,000,000 sessions and transactions to match
# against; and the backend's peak anonymous memory (RssAnon, shared buffers
# excluded) for a ROWS and a 5 x ROWS file, on the direct path and on the
# general one (events with an added column default: no trigger queue);
# the heap, index and WAL bytes per row of both sides, and the time of the
# VACUUM after a load of each (what autovacuum does next); then, in a second
# database whose events already hold 10 x ROWS rows (loaded by the previous
# release, then ALTER EXTENSION UPDATE, timed: what the update costs per
# million rows),
# the same load against a load into an empty events, paired per run.
# Prints medians, and ratios of each run's times (> 1 means load is faster).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

rows=${1:-1000000}
runs=${2:-5}
oj_bench_setup

oj_install_deps
oj_build_install
oj_start_cluster "$work/cluster" "shared_buffers = '1GB'" "max_wal_size = '20GB'" \
    "checkpoint_timeout = '1h'" "synchronous_commit = off"

gen() {  # gen PATH ROWS BAD_EVERY
    sql -v rows="$2" -v bad_every="$3" -v customers=200000 -v path="$1" -f "$OJ_ROOT/test/bench/gen_rmc.sql"
}

oj_say "setting up: $rows rows, $runs runs each"
sql -c "CREATE EXTENSION offline_join" -c "SELECT offline_join.create_source('rmc', 'rmc')" \
    -c "SELECT offline_join.create_inbox('rmc')" >/dev/null
sql <<'SQL'
CREATE TABLE bench_copy (
  event_time timestamptz, customer_id text, event_type int, category text, product text,
  num1 numeric, num2 numeric, var1 text, var2 text, var3 text, var4 text, var5 text,
  attr1 text, attr2 text, attr3 text, attr4 text, attr5 text, attr6 text, attr7 text,
  attr8 text, attr9 text, attr10 text, txn_attr1 text,
  event_id bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000) PRIMARY KEY);
-- what a user would query such a table by: time ranges, one customer
CREATE INDEX ON bench_copy (event_time);
CREATE INDEX ON bench_copy (customer_id, event_time);
SQL
good="$work/cluster/rmc_good.csv"
bad="$work/cluster/rmc_bad.csv"
gen "$good" "$rows" 0
gen "$bad" "$rows" 100
cols="event_time, customer_id, event_type, category, product, num1, num2, var1, var2, var3, var4, var5, attr1, attr2, attr3, attr4, attr5, attr6, attr7, attr8, attr9, attr10, txn_attr1"

# Each timed step starts from the same state: its table emptied, dirty
# buffers written (CHECKPOINT) and the OS page cache flushed (sync), so no
# step pays for the previous one's writeback.
# before each timed step: no autovacuum worker busy (a VACUUM the previous
# step's inserts set off would share the two cores), a checkpoint
settle() {
    while [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" != 0 ]; do
        sleep 0.2
    done
    sql -c "CHECKPOINT"; sync
}
time_copy() {
    sql -c "TRUNCATE bench_copy"; settle
    local t0; t0=$(now_ms)
    sql -c "COPY bench_copy ($cols) FROM '$1' (FORMAT csv, HEADER)"
    echo $(( $(now_ms) - t0 ))
}
time_load() {
    sql -c "TRUNCATE offline_join.events, offline_join.rejects, offline_join.loads"; settle
    local t0; t0=$(now_ms)
    sql -c "SELECT status FROM offline_join.load('rmc', '$1')" >/dev/null 2>&1
    echo $(( $(now_ms) - t0 ))
}

time_inbox() {
    sql -c "TRUNCATE offline_join.events, offline_join.rejects, offline_join.loads"; settle
    local t0; t0=$(now_ms)
    sql -c "COPY offline_join.inbox_rmc FROM '$1' (FORMAT csv, HEADER)" >/dev/null 2>&1
    echo $(( $(now_ms) - t0 ))
}

copy_ms=(); load_ms=(); bad_ms=(); inbox_ms=()
for i in $(seq "$runs"); do
    copy_ms+=("$(time_copy "$good")")
    load_ms+=("$(time_load "$good")")
    bad_ms+=("$(time_load "$bad")")
    inbox_ms+=("$(time_inbox "$good")")
    echo "run $i: copy ${copy_ms[-1]} ms, load ${load_ms[-1]} ms, load 1% bad ${bad_ms[-1]} ms, inbox ${inbox_ms[-1]} ms"
done
inbox_loaded=$(sql -c "SELECT rows_loaded FROM offline_join.loads ORDER BY load_id DESC LIMIT 1")
copy_med=$(printf '%s\n' "${copy_ms[@]}" | median)
load_med=$(printf '%s\n' "${load_ms[@]}" | median)
bad_med=$(printf '%s\n' "${bad_ms[@]}" | median)
inbox_med=$(printf '%s\n' "${inbox_ms[@]}" | median)

oj_say "bytes per row: heap, indexes, WAL"
per_row() {  # per_row TABLE: heap and index bytes per row of TABLE as it stands
    sql -c "SELECT round(pg_relation_size('$1')::numeric / count(*)) || ' ' || round(pg_indexes_size('$1')::numeric / count(*)) FROM $1"
}
wal_of() {  # wal_of CMD: WAL bytes per file row that CMD writes
    local a b
    a=$(sql -c "SELECT pg_current_wal_insert_lsn()")
    eval "$1" >/dev/null
    b=$(sql -c "SELECT pg_current_wal_insert_lsn()")
    sql -c "SELECT round(pg_wal_lsn_diff('$b', '$a') / $rows)"
}
vacuum_ms() {  # vacuum_ms TABLE: what the VACUUM after a load costs (autovacuum's, run here)
    local t0; t0=$(now_ms)
    sql -c "VACUUM $1" >/dev/null
    echo $(( $(now_ms) - t0 ))
}
copy_wal=$(wal_of 'time_copy "$good"'); read -r copy_heap copy_idx <<<"$(per_row bench_copy)"
copy_vac=$(vacuum_ms bench_copy)
load_wal=$(wal_of 'time_load "$good"'); read -r load_heap load_idx <<<"$(per_row offline_join.events)"
load_vac=$(vacuum_ms offline_join.events)


oj_say "general write path: one AFTER INSERT row trigger on both tables"
sql <<'SQL'
CREATE FUNCTION bench_after() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER bench_after AFTER INSERT ON bench_copy FOR EACH ROW EXECUTE FUNCTION bench_after();
CREATE TRIGGER bench_after AFTER INSERT ON offline_join.events FOR EACH ROW EXECUTE FUNCTION bench_after();
SQL
tcopy_ms=(); tload_ms=()
oj_time_pairs tcopy_ms tload_ms "with trigger: copy" "load" 'time_copy "$good"' 'time_load "$good"'
tloaded=$(sql -c "SELECT count(*) FROM offline_join.events")
[ "$tloaded" = "$rows" ] || { echo "general path loaded $tloaded rows, not $rows" >&2; exit 1; }
sql -c "DROP TRIGGER bench_after ON bench_copy" -c "DROP TRIGGER bench_after ON offline_join.events"
tcopy_med=$(printf '%s\n' "${tcopy_ms[@]}" | median)
tload_med=$(printf '%s\n' "${tload_ms[@]}" | median)

oj_say "matching against 1,000,000 sessions and 1,000,000 transactions"
sql <<'SQL'
-- five sessions per customer spread over the file's 60 days, so most
-- events find one in their 30-day lookback
INSERT INTO offline_join.sessions
SELECT 'sess-' || i, 'VIS-' || i, 'CUST-' || (i % 200000),
       timestamp '2026-03-01' - ((i::bigint * 7919) % 5184000) * interval '1 second',
       '{"channel": "email"}'
  FROM generate_series(1, 1000000) i;
INSERT INTO offline_join.transactions (transaction_id, visitor_id, recorded_at, snapshot)
SELECT 'txn-' || i, 'VIS-' || i, timestamp '2026-01-01', '{"channel": "search"}'
  FROM generate_series(1, 1000000) i;
ANALYZE offline_join.sessions; ANALYZE offline_join.transactions;
SQL
match_ms=()
for i in $(seq "$runs"); do
    match_ms+=("$(time_load "$good")")
    echo "run $i: load with matching ${match_ms[-1]} ms"
done
match_med=$(printf '%s\n' "${match_ms[@]}" | median)
matched=$(sql -c "SELECT rows_matched FROM offline_join.loads ORDER BY load_id DESC LIMIT 1")
mwal=$(wal_of 'time_load "$good"'); read -r mheap midx <<<"$(per_row offline_join.events)"

oj_say "peak backend memory"
peak_rss() {  # peak RssAnon (kB) of the backend running load() of $1
    sql -c "TRUNCATE offline_join.events, offline_join.rejects, offline_join.loads" -c "CHECKPOINT"
    oj_peak_rss "$work/cluster" "$1"
}
big="$work/cluster/rmc_big.csv"
gen "$big" $(( rows * 5 )) 0
mem_1=$(peak_rss "$good")
mem_5=$(peak_rss "$big")
sql -c "ALTER TABLE offline_join.events ADD COLUMN bench_note text DEFAULT 'general path'"
gmem_1=$(peak_rss "$good")
gmem_5=$(peak_rss "$big")
gloaded=$(sql -c "SELECT count(*) FILTER (WHERE bench_note = 'general path') FROM offline_join.events")
[ "$gloaded" = $(( rows * 5 )) ] || { echo "general path (default) loaded $gloaded rows" >&2; exit 1; }
sql -c "ALTER TABLE offline_join.events DROP COLUMN bench_note"
rm -f "$big"

oj_say "a load into events that holds $((rows * 10)) rows, against one into an empty events"
# the second database starts at the previous release (the one with an
# update script to the current version) and is updated once it holds its rows
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$OJ_ROOT/offline_join.control")
previous=$(cd "$OJ_ROOT/sql" && ls offline_join--*--"$current".sql | sed 's/^offline_join--\(.*\)--.*/\1/')
sql -c "CREATE DATABASE full_db" -c "CREATE DATABASE empty_db"
sql -d empty_db -c "CREATE EXTENSION offline_join" -c "SELECT offline_join.create_source('rmc', 'rmc')" >/dev/null
sql -d full_db -c "CREATE EXTENSION offline_join VERSION '$previous'" \
    -c "SELECT offline_join.create_source('rmc', 'rmc')" >/dev/null
for i in $(seq 10); do
    sql -d full_db -c "SELECT status FROM offline_join.load('rmc', '$good', force => true)" >/dev/null 2>&1
done
sql -d full_db -c "VACUUM ANALYZE offline_join.events" -c "CHECKPOINT"
full_rows=$(sql -d full_db -c "SELECT count(*) FROM offline_join.events")
t0=$(now_ms)
sql -d full_db -c "ALTER EXTENSION offline_join UPDATE"
update_ms=$(( $(now_ms) - t0 ))
[ "$(sql -d full_db -c "SELECT extversion FROM pg_extension WHERE extname = 'offline_join'")" = \
  "$(sql -c "SELECT extversion FROM pg_extension WHERE extname = 'offline_join'")" ] ||
    { echo "full_db was not updated to the current version" >&2; exit 1; }
time_empty() {  # a load into empty_db's events (no sessions in either database)
    sql -d empty_db -c "TRUNCATE offline_join.events, offline_join.rejects, offline_join.loads"; settle
    local t0; t0=$(now_ms)
    sql -d empty_db -c "SELECT status FROM offline_join.load('rmc', '$1')" >/dev/null 2>&1
    echo $(( $(now_ms) - t0 ))
}
time_full() {  # a load into full_db's events, then taken back (not timed)
    settle
    local t0 t id
    t0=$(now_ms)
    id=$(sql -d full_db -c "SELECT load_id FROM offline_join.load('rmc', '$1', force => true)" 2>/dev/null)
    t=$(( $(now_ms) - t0 ))
    sql -d full_db -c "SELECT offline_join.unload($id)" -c "VACUUM offline_join.events" >/dev/null 2>&1
    echo "$t"
}
empty_ms=(); full_ms=()
oj_time_pairs empty_ms full_ms "load into empty events" "into $full_rows rows" 'time_empty "$good"' 'time_full "$good"'
r_full=$(oj_paired empty_ms full_ms)

# Paired ratios: each run's COPY against the load of the same run, so that
# drift of the machine between runs (seen here: COPY took 6.4 s to 10.5 s
# within one run of this script) does not pair a slow COPY with a fast load.
r_load=$(oj_paired copy_ms load_ms)
r_inbox=$(oj_paired copy_ms inbox_ms)
r_bad=$(oj_paired bad_ms load_ms)
r_trig=$(oj_paired tcopy_ms tload_ms)

oj_say "results (medians of $runs runs; ratio = COPY time / load time, > 1 means load is faster)"
awk -v c="$copy_med" -v l="$load_med" -v b="$bad_med" -v m="$match_med" -v n="$rows" -v mt="$matched" \
    -v ib="$inbox_med" -v il="$inbox_loaded" -v rl="$r_load" -v ri="$r_inbox" -v rb="$r_bad" \
    -v m1="$mem_1" -v m5="$mem_5" -v tc="$tcopy_med" -v tl="$tload_med" -v rt="$r_trig" \
    -v g1="$gmem_1" -v g5="$gmem_5" -v rf="$r_full" -v fr="$full_rows" -v um="$update_ms" \
    -v cw="$copy_wal" -v ch="$copy_heap" -v ci="$copy_idx" -v lw="$load_wal" -v lh="$load_heap" -v li="$load_idx" \
    -v mw="$mwal" -v mh="$mheap" -v mi="$midx" -v pv="$previous" -v cv="$copy_vac" -v lv="$load_vac" 'BEGIN {
    printf "rows per file                         %d\n", n
    printf "COPY into typed table                 %8.0f ms  (%.0f rows/s)\n", c, n / c * 1000
    printf "offline_join.load()                   %8.0f ms  (%.0f rows/s)\n", l, n / l * 1000
    printf "ratio load vs COPY, paired per run    %s\n", rl
    printf "COPY into inbox_rmc (%d rows loaded)  %8.0f ms  ratio vs COPY, paired %s\n", il, ib, ri
    printf "load with 1%% bad rows                 %8.0f ms  time vs clean file, paired %s\n", b, rb
    printf "COPY, AFTER INSERT row trigger        %8.0f ms\n", tc
    printf "load(), the same trigger (general)    %8.0f ms  ratio vs COPY, paired %s\n", tl, rt
    printf "load matching 1M sessions + 1M txns   %8.0f ms  ratio vs COPY (medians) %.2f (%d rows matched)\n", m, c / m, mt
    printf "peak backend RssAnon, %d rows     %8d kB\n", n, m1
    printf "peak backend RssAnon, %d rows     %8d kB\n", n * 5, m5
    printf "general path (a column default), RssAnon %d rows %d kB, %d rows %d kB\n", n, g1, n * 5, g5
    printf "bytes per row, COPY: heap %d, indexes %d, WAL %d\n", ch, ci, cw
    printf "bytes per row, load: heap %d, indexes %d, WAL %d\n", lh, li, lw
    printf "bytes per row, load, every row matched: heap %d, indexes %d, WAL %d\n", mh, mi, mw
    printf "VACUUM after the load (autovacuum'"'"'s work): COPY'"'"'s table %d ms, events %d ms\n", cv, lv
    printf "load into %d existing rows vs into empty, paired %s\n", fr, rf
    printf "ALTER EXTENSION UPDATE from %s with %d rows   %8.0f ms  (%.0f ms per million rows)\n", pv, fr, um, um / (fr / 1000000)
}'
