# Shared by test_all.sh, demo.sh and the benchmarks: install what the
# project needs from Debian's packages, build it, and run throwaway clusters
# as the postgres user on a unix socket in a temp directory.
#
# Source it; it defines functions only.

OJ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The PostgreSQL major to build and test against: 15, Debian 12's, unless
# OJ_PG_MAJOR says otherwise (the version matrix runs the suite with 17 and
# 18 inside Debian roots that have them: test/scripts/test_matrix.sh).
OJ_PG_MAJOR=${OJ_PG_MAJOR:-15}
# OJ_PG_BIN may name a private copy of the server tree (a developer testing
# two builds side by side).
OJ_PG_BIN=${OJ_PG_BIN:-/usr/lib/postgresql/$OJ_PG_MAJOR/bin}
OJ_PG_CONFIG=$OJ_PG_BIN/pg_config
if [ "$OJ_PG_MAJOR" = 15 ]; then
    OJ_CLANG_RT=libclang-rt-14-dev     # Debian 12's clang
else
    OJ_CLANG_RT=libclang-rt-dev        # the suite's own clang
fi
OJ_PACKAGES="postgresql-$OJ_PG_MAJOR postgresql-server-dev-$OJ_PG_MAJOR libcsv-dev postgresql-$OJ_PG_MAJOR-cron libipc-run-perl make gcc clang $OJ_CLANG_RT unzip"

oj_say() { printf '\n== %s\n' "$*"; }

# Installs the Debian packages that are missing (apt-get update once, first).
oj_install_deps() {
    local missing=() p
    for p in $OJ_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "missing packages: ${missing[*]} (run as root, or install them)" >&2
        return 1
    fi
    oj_say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # a mirror may be a dated snapshot whose unstable Release file has
    # expired (the version matrix's sid root): read it all the same
    apt-get -o Acquire::Check-Valid-Until=false update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian's postgresql package creates and starts a cluster on 5432; we
    # use our own throwaway ones only.
    command -v pg_ctlcluster >/dev/null && pg_ctlcluster "$OJ_PG_MAJOR" main stop 2>/dev/null || true
}

# Builds (warnings are errors) and installs the extension.
oj_build_install() {
    oj_say "building offline_join"
    make -C "$OJ_ROOT" -s clean PG_CONFIG="$OJ_PG_CONFIG" >/dev/null
    make -C "$OJ_ROOT" -s -j2 PG_CONFIG="$OJ_PG_CONFIG" PG_CFLAGS="-Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare" >/dev/null
    make -C "$OJ_ROOT" -s install PG_CONFIG="$OJ_PG_CONFIG" >/dev/null
}

# oj_start_cluster DIR [postgresql.conf lines...]: initdb + start as postgres
# in DIR (created, owned by postgres); exports PGHOST, PGPORT, PGUSER.
oj_start_cluster() {
    local dir=$1; shift
    mkdir -p "$dir"
    chown postgres: "$dir"
    runuser -u postgres -- "$OJ_PG_BIN/initdb" -D "$dir/data" -A trust -U postgres \
        --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log"; return 1; }
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$dir'"
        echo "port = 5432"
        echo "fsync = off"
        echo "max_prepared_transactions = 4"
        local line
        for line in "$@"; do echo "$line"; done
    } >>"$dir/data/postgresql.conf"
    runuser -u postgres -- "$OJ_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null ||
        { cat "$dir/server.log"; return 1; }
    export PGHOST=$dir PGPORT=5432 PGUSER=postgres
    OJ_CLUSTERS+=("$dir")
}

# Stops every cluster this shell started.
oj_stop_clusters() {
    local dir
    for dir in "${OJ_CLUSTERS[@]}"; do
        [ -f "$dir/data/postmaster.pid" ] &&
            runuser -u postgres -- "$OJ_PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    done
    OJ_CLUSTERS=()
}
OJ_CLUSTERS=()

# Benchmarks: a work directory removed (with its clusters) on exit, psql
# stopping at the first error, a millisecond clock, and the median of
# numbers read one per line.
oj_bench_setup() {
    work=$(mktemp -d /tmp/offline_join_bench.XXXXXX)
    chmod 755 "$work"
    trap 'oj_stop_clusters; rm -rf "$work"' EXIT
}
sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# oj_paired A B: the median and range of A[i] / B[i] over the runs (arrays
# by name).  Each run's pair is divided on its own, so that drift of the
# machine between runs does not pair a slow side with a fast one.
oj_paired() {
    local -n a=$1 b=$2
    local i
    for i in "${!a[@]}"; do awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN {printf "%.4f\n", x / y}'; done |
        sort -n | awk '{v[NR]=$1} END {m = (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
                                        printf "%.2f (runs %.2f-%.2f)", m, v[1], v[NR]}'
}

# oj_time_pairs A B LABEL_A LABEL_B CMD_A CMD_B: RUNS ($runs) runs, each
# CMD_A then CMD_B (shell commands that print a time in ms), the times
# appended to the arrays named A and B, one line per run.
oj_time_pairs() {
    local -n pa=$1 pb=$2
    local la=$3 lb=$4 ca=$5 cb=$6 i
    for i in $(seq "$runs"); do
        pa+=("$(eval "$ca")")
        pb+=("$(eval "$cb")")
        echo "run $i: $la ${pa[-1]} ms, $lb ${pb[-1]} ms"
    done
}

# oj_peak_rss_sql DIR STATEMENT: the peak RssAnon (kB) of the backend (of the
# server in PGHOST) that runs STATEMENT; DIR, a directory that server may
# write to, receives the backend's pid.
oj_peak_rss_sql() {
    local dir=$1 stmt=$2 tries=0 pid peak=0 kb
    rm -f "$dir/pid"
    (sql -c "COPY (SELECT pg_backend_pid()) TO '$dir/pid'" -c "SELECT pg_sleep(0.5)" \
         -c "$stmt" >/dev/null 2>&1 &)
    while [ ! -s "$dir/pid" ]; do
        sleep 0.05; tries=$((tries + 1))
        [ "$tries" -lt 200 ] || { echo "backend pid not written" >&2; return 1; }
    done
    pid=$(cat "$dir/pid")
    while kb=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null) && [ -n "$kb" ]; do
        [ "$kb" -gt "$peak" ] && peak=$kb
        sleep 0.05
    done
    echo "$peak"
}

# oj_peak_rss DIR FILE [SOURCE]: the same for load(SOURCE, FILE), SOURCE 'rmc'
# unless given.
oj_peak_rss() {
    oj_peak_rss_sql "$1" "SELECT status FROM offline_join.load('${3:-rmc}', '$2')"
}
