#!/usr/bin/env bash
# Benchmark: a folder loaded by ingest() one file after the other, and by
# ingest(..., workers => 2), side by side with COPY of the same files.
#
#   bash test/bench/ingest_workers.sh [ROWS] [FILES] [RUNS]   (defaults 500000, 4, 3)
#
# Starts its own throwaway cluster, generates FILES rmc files of ROWS rows
# (23 columns, each of other content), and times RUNS times, the order of
# the two ingest() calls alternating from run to run:
#   copy     COPY ... (FORMAT csv, HEADER) of each file, one after the other,
#            into a typed table with a user's indexes (as load_vs_copy.sh)
#   ingest1  CALL offline_join.ingest('rmc')               (one backend)
#   ingest2  CALL offline_join.ingest('rmc', workers => 2) (two workers)
# with the machine's CPU seconds (user + system, /proc/stat) of each step.
# Prints medians and the paired ratios of each run's times.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

rows=${1:-500000}
files=${2:-4}
runs=${3:-3}
oj_bench_setup

oj_install_deps
oj_build_install
oj_start_cluster "$work/cluster" "shared_buffers = '1GB'" "max_wal_size = '20GB'" \
    "checkpoint_timeout = '1h'" "synchronous_commit = off"

folder="$work/cluster/folder"
mkdir -p "$folder"; chown postgres: "$folder"
oj_say "setting up: $files files of $rows rows, $runs runs each"
sql -c "CREATE EXTENSION offline_join" \
    -c "SELECT offline_join.create_source('rmc', 'rmc', jsonb_build_object('pattern', '$folder/*.csv'))" >/dev/null
sql <<'SQL'
CREATE TABLE bench_copy (
  event_time timestamptz, customer_id text, event_type int, category text, product text,
  num1 numeric, num2 numeric, var1 text, var2 text, var3 text, var4 text, var5 text,
  attr1 text, attr2 text, attr3 text, attr4 text, attr5 text, attr6 text, attr7 text,
  attr8 text, attr9 text, attr10 text, txn_attr1 text,
  event_id bigint GENERATED ALWAYS AS IDENTITY (CACHE 1000) PRIMARY KEY);
CREATE INDEX ON bench_copy (event_time);
CREATE INDEX ON bench_copy (customer_id, event_time);
SQL
for k in $(seq "$files"); do
    # other customers per file: other content, so that none is a duplicate
    sql -v rows="$rows" -v bad_every=0 -v customers=$((rows / 5 + k)) -v path="$folder/f$k.csv" \
        -f "$OJ_ROOT/test/bench/gen_rmc.sql"
done
cols="event_time, customer_id, event_type, category, product, num1, num2, var1, var2, var3, var4, var5, attr1, attr2, attr3, attr4, attr5, attr6, attr7, attr8, attr9, attr10, txn_attr1"

settle() {
    while [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")" != 0 ]; do
        sleep 0.2
    done
    sql -c "CHECKPOINT"; sync
}
cpu_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
hz=$(getconf CLK_TCK)

# each step prints "ms cpu_ms"
time_copy() {
    sql -c "TRUNCATE bench_copy"; settle
    local t0 c0 k; t0=$(now_ms); c0=$(cpu_ticks)
    for k in $(seq "$files"); do
        sql -c "COPY bench_copy ($cols) FROM '$folder/f$k.csv' (FORMAT csv, HEADER)"
    done
    echo "$(( $(now_ms) - t0 )) $(( ($(cpu_ticks) - c0) * 1000 / hz ))"
}
time_ingest() {  # time_ingest WORKERS
    sql -c "TRUNCATE offline_join.events, offline_join.rejects, offline_join.loads"; settle
    local t0 c0 out n; t0=$(now_ms); c0=$(cpu_ticks)
    sql -c "SET client_min_messages = warning" -c "CALL offline_join.ingest('rmc', workers => $1)"
    out="$(( $(now_ms) - t0 )) $(( ($(cpu_ticks) - c0) * 1000 / hz ))"
    n=$(sql -c "SELECT count(*) FILTER (WHERE status = 'loaded') || ' ' || coalesce(sum(rows_loaded), 0) FROM offline_join.loads")
    [ "$n" = "$files $((files * rows))" ] || { echo "ingest(workers => $1) loaded $n, not $files files of $rows rows" >&2; exit 1; }
    echo "$out"
}

copy_ms=(); one_ms=(); two_ms=(); copy_cpu=(); one_cpu=(); two_cpu=()
for i in $(seq "$runs"); do
    read -r ms cpu < <(time_copy); copy_ms+=("$ms"); copy_cpu+=("$cpu")
    if [ $((i % 2)) = 1 ]; then
        read -r ms cpu < <(time_ingest 1); one_ms+=("$ms"); one_cpu+=("$cpu")
        read -r ms cpu < <(time_ingest 2); two_ms+=("$ms"); two_cpu+=("$cpu")
    else
        read -r ms cpu < <(time_ingest 2); two_ms+=("$ms"); two_cpu+=("$cpu")
        read -r ms cpu < <(time_ingest 1); one_ms+=("$ms"); one_cpu+=("$cpu")
    fi
    echo "run $i: copy ${copy_ms[-1]} ms (cpu ${copy_cpu[-1]} ms), ingest ${one_ms[-1]} ms (cpu ${one_cpu[-1]} ms)," \
         "ingest 2 workers ${two_ms[-1]} ms (cpu ${two_cpu[-1]} ms)"
done

oj_say "results ($files files of $rows rows; medians of $runs runs; ratios paired per run, > 1 means the second is faster)"
printf 'COPY of the files, one after the other  %8.0f ms, machine CPU %8.0f ms\n' \
    "$(printf '%s\n' "${copy_ms[@]}" | median)" "$(printf '%s\n' "${copy_cpu[@]}" | median)"
printf 'ingest()                                %8.0f ms, machine CPU %8.0f ms\n' \
    "$(printf '%s\n' "${one_ms[@]}" | median)" "$(printf '%s\n' "${one_cpu[@]}" | median)"
printf 'ingest(workers => 2)                    %8.0f ms, machine CPU %8.0f ms\n' \
    "$(printf '%s\n' "${two_ms[@]}" | median)" "$(printf '%s\n' "${two_cpu[@]}" | median)"
echo "ingest() time / ingest(workers => 2) time   $(oj_paired one_ms two_ms)"
echo "COPY time / ingest(workers => 2) time       $(oj_paired copy_ms two_ms)"
echo "COPY time / ingest() time                   $(oj_paired copy_ms one_ms)"
echo "CPU, ingest(workers => 2) / ingest()        $(oj_paired two_cpu one_cpu)"
