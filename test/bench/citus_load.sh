#!/usr/bin/env bash
# Benchmark: offline_join.load() into the Citus layout (offline_join.distribute())
# against Citus's own COPY of the same typed rows into the same distributed
# offline_join.events.
#
#   bash test/bench/citus_load.sh [ROWS] [RUNS]     (defaults 1000000, 3)
#   OJ_SHARDS=8 bash test/bench/citus_load.sh      (distribute(shard_count); default Citus's 32)
#
# Starts a coordinator and two workers (throwaway clusters on unix sockets,
# all on this machine, so ratios only), 200,000 customers' sessions,
# distribute(); generates an rmc file of ROWS rows and, alternating, times
# RUNS times:
#   copy   COPY offline_join.events (...) FROM a file of the rows load()
#          wrote (typed, matched, with their distribution key): what Citus
#          does with rows that need no validation and no matching
#   load   offline_join.load() of the rmc file (validates, matches in
#          batched lookups, writes through Citus, the ledger)
# then the coordinator backend's peak anonymous memory (RssAnon) for a ROWS
# and a 3 x ROWS file; rematch(): the rmc file loaded while its customers'
# sessions were under other IDs, then found by one rematch() (paired with
# COPY, and its peak memory for ROWS / 5 and ROWS unmatched events); and
# the load pairs again with the sessions deleted (validation and the write
# through Citus, the lookups finding nothing).
# Then the same for an Adobe transaction-ID file of ROWS rows against ROWS
# recorded transaction IDs, every row matched by its ID (pairs and memory).
# Prints medians and ratios paired per run (> 1 means load is faster).
# For each pair of load() and COPY (the rmc file, the transaction-ID file)
# also the CPU seconds each took, per node and per process role, from
# /proc (utime + stime; the nodes share the machine's cores, so wall time
# alone hides where the work is): the coordinator backend that ran the
# statement (its own /proc/self/stat, read in its session), the rest of
# the coordinator (its other processes, live or exited), and each worker
# (the backends that served the coordinator's connections, which exit with
# its session, and the live ones); medians and the paired ratios of
# load() to COPY (< 1.5 is issue #30's goal for the coordinator backend and
# for all nodes).
# Without Citus installed it says so and exits 0.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

rows=${1:-1000000}
runs=${2:-3}
if [ ! -f "$("$OJ_PG_CONFIG" --sharedir 2>/dev/null)/extension/citus.control" ]; then
    echo "skipped: Citus not installed (README, \"Citus\", says how to build it)"
    exit 0
fi
oj_bench_setup
oj_install_deps
oj_build_install

conf=("shared_preload_libraries = 'citus,offline_join'" "offline_join.database = 'postgres'"
      "max_prepared_transactions = 100" "shared_buffers = '512MB'" "max_wal_size = '20GB'"
      "checkpoint_timeout = '1h'" "synchronous_commit = off")
oj_start_cluster "$work/worker1" "${conf[@]}"
oj_start_cluster "$work/worker2" "${conf[@]}"
oj_start_cluster "$work/coord" "${conf[@]}"     # last: PGHOST is the coordinator
for n in worker1 worker2 coord; do
    PGHOST="$work/$n" sql -c "CREATE EXTENSION citus"
done
sql -c "SELECT citus_set_coordinator_host('$work/coord', 5432)" \
    -c "SELECT citus_add_node('$work/worker1', 5432)" \
    -c "SELECT citus_add_node('$work/worker2', 5432)" >/dev/null

oj_say "setting up: $rows rows, $runs runs each; 200,000 customers' sessions; distribute(${OJ_SHARDS:-} shards)"
sql -c "SET client_min_messages = warning" -c "CREATE EXTENSION offline_join" \
    -c "SELECT offline_join.create_source('rmc', 'rmc')" >/dev/null
sql -v shards="${OJ_SHARDS:-}" <<'SQL'
-- five sessions per customer over the file's 60 days
INSERT INTO offline_join.sessions
SELECT 'sess-' || i, 'VIS-' || i, 'CUST-' || (i % 200000),
       timestamp '2026-03-01' - ((i::bigint * 7919) % 5184000) * interval '1 second',
       '{"channel": "email"}'
  FROM generate_series(1, 1000000) i;
SET client_min_messages = warning;
SELECT offline_join.distribute(shard_count => NULLIF(:'shards', '')::int);
SQL
gen() {  # gen PATH ROWS
    sql -v rows="$2" -v bad_every=0 -v customers=200000 -v path="$1" -f "$OJ_ROOT/test/bench/gen_rmc.sql"
}
good="$work/coord/rmc_good.csv"
typed="$work/coord/typed.csv"
gen "$good" "$rows"
cols="load_id, line_no, source, event_time, customer_id, transaction_id, event_type, category, product, num1, num2, dims, attrs, match, visitor_id, session_id, snapshot, dist_key"

empty() { sql -c "TRUNCATE offline_join.events, offline_join.rejects, offline_join.loads" -c "CHECKPOINT"
          for n in worker1 worker2; do PGHOST="$work/$n" sql -c "CHECKPOINT"; done; sync; }

# CPU per node: clock ticks of the postmaster's children so far, those that
# exited (reaped into the postmaster's cutime + cstime) and the live ones
nodes=(coord worker1 worker2)
node_ticks() {  # node_ticks NODE: "EXITED LIVE"
    local pm c f live exited again
    pm=$(head -1 "$work/$1/data/postmaster.pid")
    # a child reaped while its siblings are read would count in neither:
    # read again until the postmaster's children's total holds still
    for _ in $(seq 20); do
        read -r -a f < "/proc/$pm/stat"
        exited=$(( f[15] + f[16] ))
        live=$(( f[13] + f[14] ))
        for c in $(pgrep -P "$pm"); do
            read -r -a f 2>/dev/null < "/proc/$c/stat" || continue
            live=$(( live + f[13] + f[14] ))
        done
        read -r -a f < "/proc/$pm/stat"
        again=$(( f[15] + f[16] ))
        [ "$again" = "$exited" ] && break
    done
    echo "$exited $live"
}
children() { pgrep -c -P "$(head -1 "$work/$1/data/postmaster.pid")" || true; }
# cpu_run TAG STATEMENT: runs STATEMENT in a new session, prints its wall
# time (ms) and appends "TAG coordinator-backend coordinator-rest worker1
# worker2" (CPU seconds) to $work/cpu.log
cpu_run() {
    local tag=$1 stmt=$2 n t0 ms own before=() after=() kids=() e l e0 l0 i
    for n in "${nodes[@]}"; do before+=("$(node_ticks "$n")"); kids+=("$(children "$n")"); done
    t0=$(now_ms)
    own=$(sql -c "$stmt" -c "SELECT split_part(pg_read_file('/proc/self/stat'), ' ', 14)::int
                                     + split_part(pg_read_file('/proc/self/stat'), ' ', 15)::int" 2>/dev/null | tail -1)
    ms=$(( $(now_ms) - t0 ))
    # a statement that failed is no run (oj_time_pairs runs this in a subshell)
    [[ "$own" =~ ^[0-9]+$ ]] || echo "$tag: the statement failed: $stmt" >> "$work/failed"
    # the session's backends exit with it (the workers' ones once Citus's
    # connections close): wait until each node is back to its processes
    for i in 0 1 2; do
        for _ in $(seq 50); do [ "$(children "${nodes[$i]}")" -le "${kids[$i]}" ] && break; sleep 0.1; done
    done
    for n in "${nodes[@]}"; do after+=("$(node_ticks "$n")"); done
    local line="$tag"
    for i in 0 1 2; do
        read -r e0 l0 <<<"${before[$i]}"; read -r e l <<<"${after[$i]}"
        if [ "$i" = 0 ]; then
            line+=" $(awk -v o="$own" -v t="$clk" 'BEGIN {printf "%.2f", o / t}')"
            line+=" $(awk -v d=$(( e - e0 + l - l0 )) -v o="$own" -v t="$clk" 'BEGIN {printf "%.2f", (d - o) / t}')"
        else
            line+=" $(awk -v d=$(( e - e0 + l - l0 )) -v t="$clk" 'BEGIN {printf "%.2f", d / t}')"
        fi
    done
    echo "$line" >> "$work/cpu.log"
    echo "$ms"
}
clk=$(getconf CLK_TCK)
cpu_tag=load
time_load() {  # time_load FILE [SOURCE]
    empty
    cpu_run "$cpu_tag-load" "SELECT status FROM offline_join.load('${2:-rmc}', '$1')"
}
time_copy() {  # time_copy [TYPED FILE]
    empty
    cpu_run "$cpu_tag-copy" "COPY offline_join.events ($cols) FROM '${1:-$typed}' (FORMAT csv)"
}
# cpu_report TAG LABEL: medians (and load/COPY ratios paired per run) of the
# CPU seconds of TAG's pairs
cpu_report() {
    awk -v tag="$1" -v label="$2" '
    function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                                     return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    function rng(a, n,   i, lo, hi) { lo = hi = a[1]; for (i = 2; i <= n; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
                                      return sprintf("%.2f-%.2f", lo, hi) }
    $1 == tag "-copy" { nc++; cb[nc] = $2; cr[nc] = $3; cw[nc] = $4 + $5; ca[nc] = $2 + $3 + $4 + $5 }
    $1 == tag "-load" { nl++; lb[nl] = $2; lr[nl] = $3; lw[nl] = $4 + $5; la[nl] = $2 + $3 + $4 + $5 }
    END {
        for (i = 1; i <= nl && i <= nc; i++) { rb[i] = lb[i] / cb[i]; ra[i] = la[i] / ca[i]; rw[i] = lw[i] / cw[i] }
        n = (nl < nc) ? nl : nc
        printf "%s, CPU seconds (medians; ratio load/COPY paired per run, goal <= 1.5):\n", label
        printf "  coordinator backend   COPY %6.2f  load %6.2f  ratio %.2f (runs %s)\n", med(cb, nc), med(lb, nl), med(rb, n), rng(rb, n)
        printf "  coordinator, the rest COPY %6.2f  load %6.2f\n", med(cr, nc), med(lr, nl)
        printf "  workers (both)        COPY %6.2f  load %6.2f  ratio %.2f (runs %s)\n", med(cw, nc), med(lw, nl), med(rw, n), rng(rw, n)
        printf "  all nodes             COPY %6.2f  load %6.2f  ratio %.2f (runs %s)\n", med(ca, nc), med(la, nl), med(ra, n), rng(ra, n)
    }' "$work/cpu.log"
}

# the typed rows: what load() writes for this file
cpu_tag=warmup
time_load "$good" >/dev/null
loaded=$(sql -c "SELECT count(*) FROM offline_join.events")
[ "$loaded" = "$rows" ] || { echo "load() wrote $loaded rows, not $rows" >&2; exit 1; }
matched=$(sql -c "SELECT rows_matched FROM offline_join.loads")
sql -c "COPY (SELECT $cols FROM offline_join.events ORDER BY line_no) TO '$typed' (FORMAT csv)"

copy_ms=(); load_ms=()
cpu_tag=rmc
oj_time_pairs copy_ms load_ms "Citus COPY" "load" 'time_copy' 'time_load "$good"'
cpu_tag=other
[ ! -s "$work/failed" ] || { cat "$work/failed" >&2; exit 1; }
copy_med=$(printf '%s\n' "${copy_ms[@]}" | median)
load_med=$(printf '%s\n' "${load_ms[@]}" | median)

oj_say "peak coordinator backend memory"
peak_rss() {  # peak RssAnon (kB) of the backend running load() of $1
    empty
    oj_peak_rss "$work/coord" "$1"
}
big="$work/coord/rmc_big.csv"
gen "$big" $(( rows * 3 ))
mem_1=$(peak_rss "$good")
mem_3=$(peak_rss "$big")
big_loaded=$(sql -c "SELECT count(*) FROM offline_join.events")
[ "$big_loaded" = $(( rows * 3 )) ] || { echo "the big load wrote $big_loaded rows" >&2; exit 1; }
rm -f "$big"

# rematch(): the rmc file loaded while its customers' sessions were under
# other customer IDs (nothing matches), the IDs put back, then one
# rematch() that finds a session for every event: it reads, matches,
# deletes and inserts again every event.  Paired with COPY of the typed
# rows (what rematch() writes again); its peak memory for a fifth of the
# events and for all of them.
oj_say "rematch(): $rows unmatched events whose sessions then appear"
unmatched() {  # unmatched FILE: events loaded from FILE, none matched, sessions back
    empty
    sql -c "UPDATE offline_join.sessions SET customer_id = 'X' || customer_id" >/dev/null
    sql -c "SELECT status FROM offline_join.load('rmc', '$1')" >/dev/null 2>&1
    sql -c "UPDATE offline_join.sessions SET customer_id = substr(customer_id, 2)" \
        -c "VACUUM ANALYZE offline_join.sessions" -c "VACUUM ANALYZE offline_join.events" >/dev/null
    local n; n=$(sql -c "SELECT count(*) FILTER (WHERE match = 'unmatched') FROM offline_join.events")
    [ "$n" -gt 0 ] || echo "no unmatched events to rematch after loading $1" >> "$work/failed"
}
time_rematch() {  # runs in a subshell of oj_time_pairs: failures go to $work/failed
    unmatched "$good"
    local t0 n; t0=$(now_ms)
    n=$(sql -c "SELECT offline_join.rematch()")
    echo $(( $(now_ms) - t0 ))
    [ "$n" = "$matched" ] || echo "rematch() matched $n events, load() $matched" >> "$work/failed"
}
copy4_ms=(); rematch_ms=()
oj_time_pairs copy4_ms rematch_ms "Citus COPY" "rematch()" 'time_copy' 'time_rematch'
[ ! -s "$work/failed" ] || { cat "$work/failed" >&2; exit 1; }
rematch_med=$(printf '%s\n' "${rematch_ms[@]}" | median)
fifth="$work/coord/rmc_fifth.csv"
gen "$fifth" $(( rows / 5 ))
unmatched "$fifth"
rematch_mem_5=$(oj_peak_rss_sql "$work/coord" "SELECT offline_join.rematch()")
unmatched "$good"
rematch_mem_1=$(oj_peak_rss_sql "$work/coord" "SELECT offline_join.rematch()")
rm -f "$fifth"
[ ! -s "$work/failed" ] || { cat "$work/failed" >&2; exit 1; }

# The same load with no session to find: validation and the write through
# Citus without the customer lookups' work on the shards (each lookup still
# runs, on empty shards), paired with COPY again
oj_say "without sessions to match"
sql -c "DELETE FROM offline_join.sessions" -c "VACUUM offline_join.sessions" >/dev/null
copy2_ms=(); bare_ms=()
oj_time_pairs copy2_ms bare_ms "Citus COPY" "load without sessions" 'time_copy' 'time_load "$good"'
bare_med=$(printf '%s\n' "${bare_ms[@]}" | median)

# An Adobe transaction-ID file: every row matched by its ID, no customer.
# The IDs were recorded a day ago and expire in 89 days (the default
# window), the events fall in the day before the run.
oj_say "Adobe transaction-ID file: $rows rows against $rows recorded IDs"
sql -c "SELECT offline_join.create_source('adobe_tx', 'adobe')" >/dev/null
sql -v rows="$rows" <<'SQL' >/dev/null
INSERT INTO offline_join.transactions (transaction_id, visitor_id, session_id, snapshot, recorded_at)
SELECT 'T-' || i, 'VIS-' || i, 'sess-' || i, '{"campaign": "spring", "cart": [1, 2]}', now() - interval '1 day'
  FROM generate_series(1, :rows) i;
VACUUM ANALYZE offline_join.transactions;
SQL
gen_tx() {  # gen_tx PATH ROWS: IDs cycle over the recorded ones
    sql -v rows="$2" -v ids="$rows" -v path="$1" <<'SQL'
COPY (SELECT to_char(now() - interval '1 day' + (i % 86000) * interval '1 second', 'MM/DD/YYYY/HH24/MI/SS') AS "Date",
             'T-' || (1 + i % :ids) AS "transactionID", 'call-center' AS "Evar 1", 'em_spring' AS "Tracking Code",
             1 AS "Event 1", i % 3 AS "Orders"
        FROM generate_series(1, :rows) i) TO :'path' (FORMAT text, HEADER)
SQL
}
tx="$work/coord/tx.txt"
tx_typed="$work/coord/tx_typed.csv"
gen_tx "$tx" "$rows"
time_load "$tx" adobe_tx >/dev/null
tx_matched=$(sql -c "SELECT rows_matched FROM offline_join.loads")
[ "$tx_matched" = "$rows" ] || { echo "the transaction-ID load matched $tx_matched rows, not $rows" >&2; exit 1; }
sql -c "COPY (SELECT $cols FROM offline_join.events ORDER BY line_no) TO '$tx_typed' (FORMAT csv)"
copy3_ms=(); tx_ms=()
cpu_tag=tx
oj_time_pairs copy3_ms tx_ms "Citus COPY" "load of the transaction-ID file" 'time_copy "$tx_typed"' 'time_load "$tx" adobe_tx'
cpu_tag=other
[ ! -s "$work/failed" ] || { cat "$work/failed" >&2; exit 1; }
tx_med=$(printf '%s\n' "${tx_ms[@]}" | median)
copy3_med=$(printf '%s\n' "${copy3_ms[@]}" | median)
empty
tx_mem_1=$(oj_peak_rss "$work/coord" "$tx" adobe_tx)
gen_tx "$big" $(( rows * 3 ))
empty
tx_mem_3=$(oj_peak_rss "$work/coord" "$big" adobe_tx)
rm -f "$big"

r_load=$(oj_paired copy_ms load_ms)
r_bare=$(oj_paired copy2_ms bare_ms)
r_tx=$(oj_paired copy3_ms tx_ms)
r_rematch=$(oj_paired copy4_ms rematch_ms)

oj_say "results (medians of $runs runs; ratio = COPY time / load time, > 1 means load is faster)"
awk -v c="$copy_med" -v l="$load_med" -v n="$rows" -v mt="$matched" -v rl="$r_load" \
    -v b="$bare_med" -v rb="$r_bare" -v t="$tx_med" -v c3="$copy3_med" -v rt="$r_tx" \
    -v tm1="$tx_mem_1" -v tm3="$tx_mem_3" \
    -v rm="$rematch_med" -v rr="$r_rematch" -v rm5="$rematch_mem_5" -v rm1="$rematch_mem_1" \
    -v m1="$mem_1" -v m3="$mem_3" 'BEGIN {
    printf "rows per file                               %d (%d matched by customer)\n", n, mt
    printf "Citus COPY of the typed rows into events    %8.0f ms  (%.0f rows/s)\n", c, n / c * 1000
    printf "offline_join.load() into the Citus layout   %8.0f ms  (%.0f rows/s)\n", l, n / l * 1000
    printf "ratio load vs Citus COPY, paired per run    %s\n", rl
    printf "load() with no session to look up           %8.0f ms  ratio vs COPY, paired %s\n", b, rb
    printf "peak coordinator RssAnon, %d rows      %8d kB\n", n, m1
    printf "peak coordinator RssAnon, %d rows      %8d kB\n", n * 3, m3
    printf "rematch() of every event, found late        %8.0f ms  ratio vs COPY, paired %s\n", rm, rr
    printf "rematch() peak RssAnon, %d / %d events   %8d / %d kB\n", n / 5, n, rm5, rm1
    printf "transaction-ID file: Citus COPY             %8.0f ms\n", c3
    printf "transaction-ID file: load()                 %8.0f ms  ratio vs COPY, paired %s\n", t, rt
    printf "transaction-ID file: peak RssAnon, %d rows      %8d kB\n", n, tm1
    printf "transaction-ID file: peak RssAnon, %d rows      %8d kB\n", n * 3, tm3
}'
cpu_report rmc "rmc file (matched by customer)"
cpu_report tx "transaction-ID file"
