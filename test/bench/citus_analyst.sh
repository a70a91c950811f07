#!/usr/bin/env bash
# Benchmark: the analysts' side on the Citus layout against one server with
# the same data (issue #30): LATERAL attribute() per call, abandoned_carts()
# and rematch() with nothing to do.
#
#   bash test/bench/citus_analyst.sh [ROWS] [RUNS]    (defaults 1000000, 5)
#   OJ_SHARDS=8 bash test/bench/citus_analyst.sh     (distribute(shard_count); default Citus's 32)
#
# Starts one plain server and a Citus cluster (a coordinator and two
# workers), all on this machine, and gives both the same data: 1,000,000
# sessions of 200,000 customers over 60 days (a tenth with a cart), 100,000
# recorded transaction IDs, and an rmc file of ROWS purchases loaded with
# load() (1% of them of customers without sessions: unmatched). Then RUNS
# times, the one server first and the cluster second in odd runs, the other
# way round in even ones, each timed by the server (psql's \timing, one
# session per measurement):
#   attribute  1,000 calls of LATERAL offline_join.attribute() by customer;
#              reported per call
#   carts      offline_join.abandoned_carts() over the file's last 7 days
#   rematch    offline_join.rematch() with nothing it can match
# and checks that both sides give the same answers. Prints medians and the
# cluster's time over the one server's, paired per run (issue #30's goals:
# attribute() under 1.5 ms a call; abandoned_carts() and rematch() within
# 3x of one server).
# Without Citus installed it says so and exits 0.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

rows=${1:-1000000}
runs=${2:-5}
if [ ! -f "$("$OJ_PG_CONFIG" --sharedir 2>/dev/null)/extension/citus.control" ]; then
    echo "skipped: Citus not installed (README, \"Citus\", says how to build it)"
    exit 0
fi
oj_bench_setup
oj_install_deps
oj_build_install

conf=("offline_join.database = 'postgres'" "max_prepared_transactions = 100" "shared_buffers = '512MB'"
      "max_wal_size = '20GB'" "checkpoint_timeout = '1h'" "synchronous_commit = off")
oj_start_cluster "$work/single" "shared_preload_libraries = 'offline_join'" "${conf[@]}"
oj_start_cluster "$work/worker1" "shared_preload_libraries = 'citus,offline_join'" "${conf[@]}"
oj_start_cluster "$work/worker2" "shared_preload_libraries = 'citus,offline_join'" "${conf[@]}"
oj_start_cluster "$work/coord" "shared_preload_libraries = 'citus,offline_join'" "${conf[@]}"
for n in worker1 worker2 coord; do
    PGHOST="$work/$n" sql -c "CREATE EXTENSION citus"
done
sql -c "SELECT citus_set_coordinator_host('$work/coord', 5432)" \
    -c "SELECT citus_add_node('$work/worker1', 5432)" \
    -c "SELECT citus_add_node('$work/worker2', 5432)" >/dev/null

oj_say "setting up: $rows purchases, $runs runs; 1,000,000 sessions; distribute(${OJ_SHARDS:-} shards)"
file="$work/single/purchases.csv"
PGHOST="$work/single" sql -v rows="$rows" -v bad_every=0 -v customers=202000 -v path="$file" \
    -f "$OJ_ROOT/test/bench/gen_rmc.sql"
chmod 644 "$file"
for side in single coord; do
    PGHOST="$work/$side" sql -v shards="${OJ_SHARDS:-}" -v citus="$([ $side = coord ] && echo 1 || echo 0)" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION offline_join;
SELECT offline_join.create_source('rmc', 'rmc');
-- five sessions per customer over the file's 60 days, one in ten with a cart
INSERT INTO offline_join.sessions
SELECT 'sess-' || i, 'VIS-' || (i % 400000), 'CUST-' || (i % 200000),
       timestamp '2026-03-01' - ((i::bigint * 7919) % 5184000) * interval '1 second',
       CASE WHEN i % 10 = 0 THEN jsonb_build_object('cart', jsonb_build_array('SKU-' || (i % 1000)))
            ELSE '{"channel": "email"}' END
  FROM generate_series(1, 1000000) i;
INSERT INTO offline_join.transactions (transaction_id, visitor_id, session_id, snapshot, recorded_at, expires_at)
SELECT 'TX-' || i, 'VIS-' || (i * 7 % 400000), 'sess-' || (i * 7 % 1000000), '{}',
       timestamp '2026-03-01' - ((i::bigint * 104729) % 5184000) * interval '1 second', timestamptz '2027-12-01'
  FROM generate_series(1, 100000) i;
SELECT offline_join.distribute(shard_count => NULLIF(:'shards', '')::int) IS NOT NULL AS distributed WHERE :citus = 1;
SQL
    PGHOST="$work/$side" sql -c "SET client_min_messages = warning" \
        -c "SELECT status FROM offline_join.load('rmc', '$file')" >/dev/null
done
for n in single coord worker1 worker2; do PGHOST="$work/$n" sql -c "VACUUM ANALYZE"; done

# server time (ms) of the last statement of a session
timed() {  # timed SIDE SQL
    PGHOST="$work/$1" psql -X -q -At -v ON_ERROR_STOP=1 -c '\timing on' -c "$2" |
        awk '/^Time: / {t = $2} END {print t}'
}
answer() { PGHOST="$work/$1" sql -c "$2"; }
q_attr="SELECT count(a.session_id) FROM generate_series(1, 1000) g,
          LATERAL offline_join.attribute(timestamptz '2026-02-20' + g * interval '71 minutes',
                                         'CUST-' || (g * 197 % 202000), NULL) a"
q_carts="SELECT count(*) FROM offline_join.abandoned_carts(since => timestamptz '2026-02-22', grace => '24 hours')"
q_rematch="SELECT offline_join.rematch()"
for q in q_attr q_carts q_rematch; do
    a=$(answer single "${!q}"); b=$(answer coord "${!q}")
    [ "$a" = "$b" ] || { echo "$q: one server says $a, the cluster $b" >&2; exit 1; }
    echo "$q: both sides answer $a"
done

declare -A ms
for i in $(seq "$runs"); do
    if [ $((i % 2)) = 1 ]; then order="single coord"; else order="coord single"; fi
    for side in $order; do
        for q in q_attr q_carts q_rematch; do ms[$side.$q]+="$(timed "$side" "${!q}") "; done
    done
    last() { local -a v; read -r -a v <<<"${ms[$1]}"; echo "${v[-1]}"; }
    echo "run $i (one server / cluster, ms): 1,000 attribute() $(last single.q_attr) / $(last coord.q_attr)," \
         "abandoned_carts() $(last single.q_carts) / $(last coord.q_carts), rematch() $(last single.q_rematch) / $(last coord.q_rematch)"
done

oj_say "results (${OJ_SHARDS:-32} shards; medians of $runs runs, server times; cluster / one server paired per run)"
for q in q_attr q_carts q_rematch; do
    # shellcheck disable=SC2206
    one=(${ms[single.$q]}); clu=(${ms[coord.$q]})
    m1=$(printf '%s\n' "${one[@]}" | median); m2=$(printf '%s\n' "${clu[@]}" | median)
    case $q in
        q_attr) printf 'LATERAL attribute(), per call     one server %8.3f ms   cluster %8.3f ms   ratio %s\n' \
                    "$(awk -v m="$m1" 'BEGIN {print m / 1000}')" "$(awk -v m="$m2" 'BEGIN {print m / 1000}')" \
                    "$(oj_paired clu one)" ;;
        q_carts) printf 'abandoned_carts()                 one server %8.1f ms   cluster %8.1f ms   ratio %s\n' \
                    "$m1" "$m2" "$(oj_paired clu one)" ;;
        q_rematch) printf 'rematch(), nothing to match       one server %8.1f ms   cluster %8.1f ms   ratio %s\n' \
                    "$m1" "$m2" "$(oj_paired clu one)" ;;
    esac
done
