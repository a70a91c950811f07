#!/usr/bin/env bash
# Benchmark: purging expired transaction IDs in batches (the expiry worker
# and offline_join.expire()) against one plain DELETE.
#
#   bash test/bench/expiry_vs_delete.sh [ROWS] [RUNS]     (defaults 2000000, 3)
#
# Starts its own throwaway cluster with the library preloaded (fsync,
# full_page_writes and autovacuum off, as for nothing but timing), fills
# offline_join.transactions with ROWS rows of which half have expired (the
# older half, as time-ordered recording leaves them) and, alternating, times
# RUNS times from the same state:
#   delete   DELETE FROM offline_join.transactions WHERE expires_at < now()
#            (one statement: every lock held until it ends)
#   expire   SELECT offline_join.expire()  (batches of 10000, one transaction)
#   worker   one pass of the expiry worker (batches of 10000, a transaction
#            each), timed from offline_join.expiry_runs
# with the longest single batch (its lock time, commit included) from the
# ledger.  Then the rate of concurrent work around (before and after) and
# during a worker purge: a pgbench loop (1 client) of record_transaction()
# calls, 50 a statement, and one of offline_join.load() of a 2000-row file.
# Prints medians and ratios.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
OJ_PG_BIN=$(pg_config --bindir)		# the server of the pg_config the build uses

rows=${1:-2000000}
runs=${2:-3}
batch=10000
oj_bench_setup

oj_install_deps
oj_build_install
oj_start_cluster "$work/cluster" "shared_buffers = '1GB'" "max_wal_size = '20GB'" \
    "checkpoint_timeout = '1h'" "synchronous_commit = off" "full_page_writes = off" "autovacuum = off" \
    "shared_preload_libraries = 'offline_join'" "offline_join.expire_naptime = 3600" \
    "offline_join.expire_batch_size = $batch"


oj_say "setting up: $rows transactions, half expired; $runs runs each"
sql -c "CREATE EXTENSION offline_join" -c "SELECT offline_join.create_source('rmc', 'rmc')"
# expired half: expires_at spread over the 90 days before yesterday; the
# other half over the 90 days after tomorrow; recorded 90 days earlier
sql -v rows="$rows" <<'SQL'
CREATE TABLE bench_src AS
SELECT 'txn-' || i AS transaction_id, 'VIS-' || (i % 500000) AS visitor_id, 'sess-' || i AS session_id,
       e - interval '90 days' AS recorded_at, e AS expires_at,
       '{"channel": "email", "campaign": "spring"}'::jsonb AS snapshot
  FROM generate_series(1, :rows) i,
       LATERAL (SELECT CASE WHEN i <= :rows / 2
                            THEN now() - interval '91 days' + i * (interval '90 days' / (:rows / 2))
                            ELSE now() + interval '1 day' + (i - :rows / 2) * (interval '90 days' / (:rows / 2))
                       END AS e) x;
SQL
expired=$((rows / 2))

# Every timed step starts from the same state: the table refilled, vacuumed
# and analyzed, dirty buffers written, the OS page cache flushed.
reset() {  # reset [SHIFT]: with a shift of 92 days every row has expired
    local shift=${1:-0 days}
    sql -c "TRUNCATE offline_join.transactions, offline_join.events, offline_join.rejects, offline_join.loads" \
        -c "INSERT INTO offline_join.transactions SELECT transaction_id, visitor_id, session_id,
              recorded_at - interval '$shift', expires_at - interval '$shift', snapshot FROM bench_src" \
        -c "VACUUM ANALYZE offline_join.transactions" -c "CHECKPOINT"
    sync
}
check_left() {
    local left; left=$(sql -c "SELECT count(*) FROM offline_join.transactions")
    [ "$left" -eq $((rows - expired)) ] || { echo "expected $((rows - expired)) rows left, found $left" >&2; exit 1; }
}
last_run() { sql -c "SELECT coalesce(max(run_id), 0) FROM offline_join.expiry_runs"; }
# worker_pass: wakes the worker for one pass (naptime 1 s), parks it again;
# prints "ms longest_batch_ms" of that pass
worker_on() { sql -c "ALTER SYSTEM SET offline_join.expire_naptime = 1" -c "SELECT pg_reload_conf()" >/dev/null; }
worker_off() { sql -c "ALTER SYSTEM SET offline_join.expire_naptime = 3600" -c "SELECT pg_reload_conf()" >/dev/null; }
worker_wait() {  # worker_wait RUN_ID: until the worker's pass after RUN_ID has finished
    local tries=0
    until [ "$(sql -c "SELECT count(*) FROM offline_join.expiry_runs WHERE run_id > $1 AND who = 'worker' AND finished_at IS NOT NULL")" = 1 ]; do
        sleep 0.1; tries=$((tries + 1))
        [ "$tries" -lt 6000 ] || { echo "the worker did not finish a pass" >&2; exit 1; }
    done
}
time_delete() {
    reset
    local t0; t0=$(now_ms)
    sql -c "DELETE FROM offline_join.transactions WHERE expires_at < now()"
    echo $(( $(now_ms) - t0 ))
    check_left
}
time_expire() {  # prints "ms longest_batch_ms"
    reset
    local t0 ms; t0=$(now_ms)
    sql -c "SELECT offline_join.expire()" >/dev/null
    ms=$(( $(now_ms) - t0 ))
    check_left
    echo "$ms $(sql -c "SELECT round(longest_batch_ms) FROM offline_join.expiry_runs ORDER BY run_id DESC LIMIT 1")"
}
time_worker() {  # prints "ms longest_batch_ms"
    reset
    local before; before=$(last_run)
    worker_on; worker_wait "$before"; worker_off
    check_left
    sql -F ' ' -c "SELECT round(extract(epoch FROM finished_at - started_at) * 1000), round(longest_batch_ms)
                    FROM offline_join.expiry_runs WHERE run_id > $before AND who = 'worker'"
}

delete_ms=(); expire_ms=(); expire_batch=(); worker_ms=(); worker_batch=()
for i in $(seq "$runs"); do
    delete_ms+=("$(time_delete)")
    read -r ms b <<<"$(time_expire)"; expire_ms+=("$ms"); expire_batch+=("$b")
    read -r ms b <<<"$(time_worker)"; worker_ms+=("$ms"); worker_batch+=("$b")
    echo "run $i: DELETE ${delete_ms[-1]} ms, expire() ${expire_ms[-1]} ms (longest batch ${expire_batch[-1]} ms)," \
         "worker ${worker_ms[-1]} ms (longest batch ${worker_batch[-1]} ms)"
done
delete_med=$(printf '%s\n' "${delete_ms[@]}" | median)
expire_med=$(printf '%s\n' "${expire_ms[@]}" | median)
worker_med=$(printf '%s\n' "${worker_ms[@]}" | median)
expire_batch_max=$(printf '%s\n' "${expire_batch[@]}" | sort -n | tail -1)
worker_batch_med=$(printf '%s\n' "${worker_batch[@]}" | median)
worker_batch_max=$(printf '%s\n' "${worker_batch[@]}" | sort -n | tail -1)

oj_say "concurrent work around and during a worker purge"
# All ROWS rows expired, so that the purge lasts twice as long.  One client
# runs a pgbench script (-l: every call's end time); a worker purge starts
# after 3 s.  The rate of calls that ended while the purge ran is compared
# with the rate in the 2.5 s before it started and the 2.5 s after it ended
# (both sides, so that a drift of the machine's speed cancels out), in the
# same run.  The worker gives way to running statements (it rests three
# times as long as each batch took), so the purge lasts about four times as
# long as alone: pgbench runs long enough for that and more (checked).
secs=$(awk -v w="$worker_med" 'BEGIN { printf "%d", 9 + 10 * w / 1000 }')
# 50 calls a statement: the server's throughput, not the round trips (on a
# VM, single-call round trips even run faster while another core is busy)
cat >"$work/record.sql" <<'PGB'
\set id random(1, 10000000)
SELECT count(*) FROM generate_series(1, 50) g
 WHERE offline_join.record_transaction('pgb-' || :id || '-' || g, 'VIS-' || g, NULL, '{"channel": "web"}');
PGB
sql -v rows=2000 -v bad_every=0 -v customers=200000 -v path="$work/cluster/small.csv" \
    -f "$OJ_ROOT/test/bench/gen_rmc.sql"
echo "SELECT status FROM offline_join.load('rmc', '$work/cluster/small.csv', force => true);" >"$work/load.sql"
chmod 644 "$work/record.sql" "$work/load.sql"
rates() {  # rates SCRIPT: prints "statements/s around the purge, statements/s during it, purge ms"
    reset "92 days"
    local before pid s e; before=$(last_run)
    rm -f "$work"/pgb.*
    (cd "$work" && exec "$OJ_PG_BIN/pgbench" -n -c 1 -T "$secs" -f "$1" -l --log-prefix=pgb >/dev/null 2>&1) &
    pid=$!
    sleep 3
    worker_on; worker_wait "$before"; worker_off
    wait "$pid"
    read -r s e <<<"$(sql -F ' ' -c "SELECT extract(epoch FROM started_at), extract(epoch FROM finished_at)
                                      FROM offline_join.expiry_runs WHERE run_id > $before AND who = 'worker'")"
    cat "$work"/pgb.* | awk -v s="$s" -v e="$e" '
        { t = $5 + $6 / 1e6; if (t >= s - 2.5 && t < s) nb++; else if (t >= s && t <= e) nd++;
          else if (t > e && t <= e + 2.5) na++; if (t > last) last = t }
        END { if (last < e + 2.5) { print "pgbench ended less than 2.5 s after the purge" > "/dev/stderr"; exit 1 }
              printf "%.1f %.1f %.0f\n", (nb + na) / 5, nd / (e - s), (e - s) * 1000 }'
}
rec_before=(); rec_during=(); load_before=(); load_during=(); busy_ms=()
for i in $(seq "$runs"); do
    read -r b d ms <<<"$(rates "$work/record.sql")"
    rec_before+=("$(awk -v x="$b" 'BEGIN { print x * 50 }')"); rec_during+=("$(awk -v x="$d" 'BEGIN { print x * 50 }')"); busy_ms+=("$ms")
    read -r b d ms <<<"$(rates "$work/load.sql")"; load_before+=("$b"); load_during+=("$d"); busy_ms+=("$ms")
    echo "run $i: record_transaction() ${rec_before[-1]}/s around, ${rec_during[-1]}/s during a purge;" \
         "load() of 2000 rows ${load_before[-1]}/s around, ${load_during[-1]}/s during (purges of 2x the rows: ${busy_ms[-2]}, ${busy_ms[-1]} ms)"
done
busy_med=$(printf '%s\n' "${busy_ms[@]}" | median)
rec_before_med=$(printf '%s\n' "${rec_before[@]}" | median)
rec_during_med=$(printf '%s\n' "${rec_during[@]}" | median)
load_before_med=$(printf '%s\n' "${load_before[@]}" | median)
load_during_med=$(printf '%s\n' "${load_during[@]}" | median)
change() {  # change BEFORE[] DURING[]: median of the runs' changes, in percent
    local -n bf=$1 dr=$2
    local i
    for i in "${!bf[@]}"; do awk -v b="${bf[$i]}" -v d="${dr[$i]}" 'BEGIN { printf "%.1f\n", (d / b - 1) * 100 }'; done | median
}
rec_change=$(change rec_before rec_during)
load_change=$(change load_before load_during)

oj_say "results (medians of $runs runs; rate ratio = DELETE time / purge time, >= 0.5 is the goal;
   the change during a purge is the median of the runs' own changes)"
awk -v n="$expired" -v d="$delete_med" -v e="$expire_med" -v w="$worker_med" \
    -v eb="$expire_batch_max" -v wbm="$worker_batch_med" -v wb="$worker_batch_max" \
    -v rb="$rec_before_med" -v rd="$rec_during_med" -v lb="$load_before_med" -v ld="$load_during_med" \
    -v rc="$rec_change" -v lc="$load_change" -v bm="$busy_med" 'BEGIN {
    printf "expired rows purged (of %d)                %d\n", n * 2, n
    printf "plain DELETE (one statement)               %8.0f ms  (%.0f rows/s; locks held %.0f ms)\n", d, n / d * 1000, d
    printf "offline_join.expire() (one transaction)    %8.0f ms  (%.0f rows/s)  rate ratio %.2f\n", e, n / e * 1000, d / e
    printf "expiry worker pass (a transaction a batch) %8.0f ms  (%.0f rows/s)  rate ratio %.2f\n", w, n / w * 1000, d / w
    printf "longest worker batch (lock time)           %8.0f ms  (median of runs %.0f ms; goal < 100 ms)\n", wb, wbm
    printf "longest expire() batch                     %8.0f ms\n", eb
    printf "record_transaction() calls, 1 client       %8.0f/s around a purge, %.0f/s during it: %+.1f%% (goal >= -20%%)\n", rb, rd, rc
    printf "load() of 2000 rows, 1 client              %8.0f/s around a purge, %.0f/s during it: %+.1f%% (goal >= -20%%)\n", lb, ld, lc
    printf "worker purge of %d rows beside a client    %8.0f ms  (%.1fx its time alone: it gives way)\n", n * 2, bm, bm / (2 * w)
}'
