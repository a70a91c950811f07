#!/usr/bin/env bash
# Benchmark: offline_join_fdw against file_fdw on the same file.
#
#   bash test/bench/fdw_vs_file_fdw.sh [ROWS] [RUNS]     (defaults 1000000, 5)
#
# One throwaway cluster; an rmc file of ROWS rows (23 columns); file_fdw
# with the file's 23 columns typed, offline_join_fdw with every field.
# Alternating, RUNS times each:
#   full      SELECT count(t) FROM t          (a whole-row reference: every column converted)
#   count     SELECT count(*) FROM t
#   one col   SELECT max(customer_id) FROM t
# offline_join_fdw also validates every row (file_fdw checks nothing but
# what its input functions reject).  Each query takes well under a second,
# so the sides alternate which goes first and each run's ratio is paired
# (file_fdw time / offline_join_fdw time: > 1 means offline_join_fdw is
# faster); prints medians, and the median and range of the paired ratios.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

rows=${1:-1000000}
runs=${2:-9}
oj_bench_setup

oj_install_deps
oj_build_install
oj_start_cluster "$work/cluster" "shared_buffers = '1GB'"


file="$work/cluster/rmc.csv"
sql -v rows="$rows" -v bad_every=0 -v customers=200000 -v path="$file" -f "$OJ_ROOT/test/bench/gen_rmc.sql"
sql <<SQL
CREATE EXTENSION offline_join;
CREATE EXTENSION file_fdw;
SELECT offline_join.create_source('rmc', 'rmc');
SELECT offline_join.create_foreign_table('oj', 'rmc', '$file');
CREATE SERVER csv_files FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE ff (
  event_time timestamptz, customer_id text, event_type int, category text, product text,
  num1 numeric, num2 numeric, var1 text, var2 text, var3 text, var4 text, var5 text,
  attr1 text, attr2 text, attr3 text, attr4 text, attr5 text, attr6 text, attr7 text,
  attr8 text, attr9 text, attr10 text, txn_attr1 text)
  SERVER csv_files OPTIONS (filename '$file', format 'csv', header 'true');
SQL
# both see the same rows
[ "$(sql -c 'SELECT count(*) FROM oj')" = "$(sql -c 'SELECT count(*) FROM ff')" ] ||
    { echo "row counts differ" >&2; exit 1; }

timed() {  # timed SQL: milliseconds of one run
    local t0; t0=$(now_ms)
    sql -c "$1" >/dev/null
    echo $(( $(now_ms) - t0 ))
}
declare -A ms last ratios
for i in $(seq "$runs"); do
    # alternate which side goes first, so neither always meets a warmer cache
    order="ff oj"; [ $((i % 2)) -eq 0 ] && order="oj ff"
    for q in full count one; do
        for t in $order; do
            case $q in
                full) query="SELECT count($t) FROM $t $t" ;;
                count) query="SELECT count(*) FROM $t" ;;
                one) query="SELECT max(customer_id) FROM $t" ;;
            esac
            last[$q,$t]=$(timed "$query")
            ms[$q,$t]+="${last[$q,$t]} "
        done
        ratios[$q]+="$(awk -v f="${last[$q,ff]}" -v o="${last[$q,oj]}" 'BEGIN {printf "%.4f", f / o}') "
    done
    echo "run $i (file_fdw / offline_join_fdw ms): full ${last[full,ff]} / ${last[full,oj]}," \
         "count ${last[count,ff]} / ${last[count,oj]}, one column ${last[one,ff]} / ${last[one,oj]}"
done

oj_say "results: $rows rows, medians of $runs runs (ratio = file_fdw time / offline_join_fdw time, paired per run)"
for q in full count one; do
    f=$(printf '%s\n' ${ms[$q,ff]} | median)
    o=$(printf '%s\n' ${ms[$q,oj]} | median)
    r=$(printf '%s\n' ${ratios[$q]} | sort -n | awk '{v[NR]=$1} END {m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
                                                        printf "%.2f (runs %.2f-%.2f)", m, v[1], v[NR]}')
    awk -v q="$q" -v f="$f" -v o="$o" -v r="$r" 'BEGIN {
        name = (q == "full") ? "full scan, every column" : (q == "count") ? "count(*)" : "one column (customer_id)"
        printf "%-26s file_fdw %6.0f ms   offline_join_fdw %6.0f ms   ratio %s\n", name, f, o, r }'
done
