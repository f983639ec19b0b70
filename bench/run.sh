#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One command for the whole benchmark: installs the bench dependencies,
# builds scimd and the reference programs, seeds every server, drives each
# one on 127.0.0.1 with wrk and writes bench/RESULTS.md (bench/report.awk).
# Every load run is bounded by wrk's -d and by timeout(1); every server
# this script starts is stopped by the EXIT trap, by its own pid.
#
# Settings (environment):
#   BENCH_QUICK=1         a two-minute smoke run (small sizes, 3 s runs)
#   BENCH_SIZES           user counts for the filter and import scenarios
#                         (default "10000 100000 1000000")
#   BENCH_GET_SIZE        users behind GET/PUT/PATCH/POST/groups (100000)
#   BENCH_GROUP_SIZE      members of the large group (100000)
#   BENCH_DURATION        seconds per wrk run (10)
#   BENCH_THREADS, BENCH_CONNS   wrk -t and -c (2 and 16)
#   BENCH_SYNC            synchronous level of the write ceiling (FULL)
#   BENCH_BUILD           build directory of scimd and scimctl (build)
#   BENCH_OUT             scratch directory (bench/out)
#   BENCH_NO_DEPS=1       skip scripts/deps.sh and npm ci
#   BENCH_KEEP=1          keep the databases in BENCH_OUT after the run
#   BENCH_RESULTS         where the report goes (bench/RESULTS.md; for a
#                         quick run BENCH_OUT/RESULTS.md)
#   BENCH_NO_PEER=1, BENCH_NO_SCIMD=1   leave a server out
set -eu

cd "$(dirname "$0")/.."
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
    SIZES=${BENCH_SIZES:-1000 10000}
    GET_SIZE=${BENCH_GET_SIZE:-10000}
    GROUP_SIZE=${BENCH_GROUP_SIZE:-10000}
    DUR=${BENCH_DURATION:-3}
    WALK_LIMIT=${BENCH_WALK_LIMIT:-5}
else
    SIZES=${BENCH_SIZES:-10000 100000 1000000}
    GET_SIZE=${BENCH_GET_SIZE:-100000}
    GROUP_SIZE=${BENCH_GROUP_SIZE:-100000}
    DUR=${BENCH_DURATION:-10}
    WALK_LIMIT=${BENCH_WALK_LIMIT:-120}
fi
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNS:-16}
SYNC=${BENCH_SYNC:-FULL}
BUILD=${BENCH_BUILD:-build}
OUT=${BENCH_OUT:-bench/out}
POOL_SIZE=${BENCH_POOL_SIZE:-1000}
TENANT=bench
PEER_TOKEN=bench-peer-token
CFLAGS_BENCH="-std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wshadow
-Wmissing-prototypes -Wstrict-prototypes"

# A smoke run must not replace the committed results of a full run.
if [ "$QUICK" = 1 ]; then
    RESULTS=${BENCH_RESULTS:-$OUT/RESULTS.md}
else
    RESULTS=${BENCH_RESULTS:-bench/RESULTS.md}
fi
BIN=$OUT/bin
RES=$OUT/results.tsv
FACTS=$OUT/facts.tsv
SKIPS=$OUT/skips.tsv
PIDS=""
PORT_NEXT=0
SCIMD_OK=0

say() { printf 'bench: %s\n' "$*" >&2; }

# --- processes -----------------------------------------------------------

cleanup() {
    for p in $PIDS; do
        kill "$p" 2>/dev/null || true
    done
    for p in $PIDS; do
        wait "$p" 2>/dev/null || true
    done
    PIDS=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port; each server gets a new one.
free_port() {
    p=$((21000 + ($$ % 2000) * 10 + PORT_NEXT))
    PORT_NEXT=$((PORT_NEXT + 1))
    while ss -Htln "sport = :$p" 2>/dev/null | grep -q .; do
        p=$((p + 1))
        PORT_NEXT=$((PORT_NEXT + 1))
    done
    echo "$p"
}

# start NAME PORT WAIT_S CMD...: starts a server, waits until it answers.
start() {
    local name=$1 port=$2 patience=$3 i=0
    shift 3
    "$@" > "$OUT/logs/$name.log" 2>&1 &
    SRV_PID=$!
    PIDS="$PIDS $SRV_PID"
    while [ "$i" -lt $((patience * 10)) ]; do
        if ! kill -0 "$SRV_PID" 2>/dev/null; then
            say "$name exited at start-up: $(tail -3 "$OUT/logs/$name.log")"
            return 1
        fi
        curl -s -o /dev/null -m 2 "http://127.0.0.1:$port/" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    say "$name does not answer on port $port"
    return 1
}

stop() {
    local rest="" p
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    for p in $PIDS; do
        [ "$p" = "$1" ] || rest="$rest $p"
    done
    PIDS=$rest
}

cpu_ticks() {
    sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

peak_rss() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

warm() {
    for f in "$@"; do
        [ -f "$f" ] && cat "$f" > /dev/null
    done
    return 0
}

skip() {
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$SKIPS"
    say "$1 $2: not available: $3"
}

fact() {
    printf '%s\t%s\n' "$1" "$2" >> "$FACTS"
}

# --- one load run ------------------------------------------------------

# load SERVER SCENARIO PID BASE_URL SCRIPT [SCRIPT_ARGS...]
load() {
    local srv=$1 scen=$2 pid=$3 url=$4 script=$5 log c0 c1
    shift 5
    log="$OUT/wrk/$srv-$scen.txt"
    say "$srv $scen: wrk -t$THREADS -c$CONNS -d${DUR}s $script $*"
    c0=$(cpu_ticks "$pid")
    if ! timeout $((DUR + 60)) wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" \
            --timeout 10s --latency -s "bench/wrk/$script" "$url" -- "$@" \
            > "$log" 2>&1; then
        skip "$srv" "$scen" "wrk failed: $(tail -1 "$log")"
        return 0
    fi
    c1=$(cpu_ticks "$pid")
    if [ -z "$c1" ]; then
        skip "$srv" "$scen" "server died during the run"
        return 0
    fi
    awk -v srv="$srv" -v scen="$scen" -v cpu=$((c1 - c0)) \
        -v hz="$(getconf CLK_TCK)" -v rss="$(peak_rss "$pid")" \
        -f bench/wrkparse.awk "$log" >> "$RES"
    tail -1 "$RES" | awk -F'\t' '{ printf "bench:   %s req/s, p50 %s ms,",
        $3, $4; printf " p99 %s ms, %s us CPU/req, errors %d\n", $5, $6,
        $9 + $10 }' >&2
}

# --- preparation -------------------------------------------------------

deps() {
    local t
    [ "${BENCH_NO_DEPS:-0}" = 1 ] && return 0
    # A node and npm from outside Debian (NodeSource) make apt refuse the
    # Debian npm; what matters is that the commands are there.
    if ! sh scripts/deps.sh --bench; then
        for t in wrk node npm curl cc pkg-config; do
            command -v "$t" > /dev/null || {
                say "scripts/deps.sh failed and $t is missing"
                return 1
            }
        done
        say "scripts/deps.sh failed; wrk, node and npm are present, going on"
    fi
    if [ "${BENCH_NO_PEER:-0}" != 1 ]; then
        (cd bench/peer && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

build() {
    mkdir -p "$BIN"
    # shellcheck disable=SC2086
    cc $CFLAGS_BENCH -o "$BIN/gen" bench/gen.c
    # shellcheck disable=SC2046,SC2086
    cc $CFLAGS_BENCH -o "$BIN/ceiling" bench/ceiling.c \
        $(pkg-config --cflags --libs libmicrohttpd sqlite3 jansson) -lpthread
    # shellcheck disable=SC2046,SC2086
    cc $CFLAGS_BENCH -o "$BIN/driver" bench/driver.c \
        $(pkg-config --cflags --libs libcurl jansson)
    [ "${BENCH_NO_SCIMD:-0}" = 1 ] && return 0
    if make -s -j2 BUILD="$BUILD" "$BUILD/scimd" "$BUILD/scimctl" \
            > "$OUT/logs/make.log" 2>&1; then
        SCIMD_OK=1
    else
        say "scimd does not build (see $OUT/logs/make.log)"
        SCIMD_REASON="does not build: $(grep -m1 -i error \
            "$OUT/logs/make.log" | cut -c1-120)"
    fi
}

# The seed file of N users, regenerated only when gen changed.
seed_file() {
    local f="$OUT/users-$1.jsonl"
    if [ ! -s "$f" ] || [ "$BIN/gen" -nt "$f" ]; then
        "$BIN/gen" "$1" > "$f.tmp" && mv "$f.tmp" "$f"
    fi
    echo "$f"
}

# --- the references ----------------------------------------------------

# The three ceilings; run at the start and again at the end (SUFFIX
# " (end)"), and the report takes the better of the two, so that a noisy
# neighbour during one pass does not flatter scimd's ratios.
references() {
    local sfx=$1 db=$OUT/ceiling-read.db port
    if [ -z "$sfx" ]; then
        rm -f "$db" "$db-wal" "$db-shm"
        "$BIN/ceiling" seed --db "$db" --ids "$OUT/ceiling.ids" \
            < "$(seed_file "$GET_SIZE")"
    fi
    rm -f "$OUT/ceiling-write.db"*

    port=$(free_port)
    start http-ceiling "$port" 10 "$BIN/ceiling" fixed --port "$port"
    load http-ceiling "get$sfx" "$SRV_PID" \
        "http://127.0.0.1:$port/scim/v2" get.lua "$OUT/ceiling.ids"
    stop "$SRV_PID"

    warm "$db"
    port=$(free_port)
    start read-ceiling "$port" 10 "$BIN/ceiling" read --port "$port" \
        --db "$db"
    load read-ceiling "get$sfx" "$SRV_PID" \
        "http://127.0.0.1:$port/scim/v2" get.lua "$OUT/ceiling.ids"
    stop "$SRV_PID"

    port=$(free_port)
    start write-ceiling "$port" 10 "$BIN/ceiling" write --port "$port" \
        --db "$OUT/ceiling-write.db" --sync "$SYNC"
    load write-ceiling "post$sfx" "$SRV_PID" \
        "http://127.0.0.1:$port/scim/v2" post.lua
    stop "$SRV_PID"
}

peer() {
    local port url seed
    if [ "${BENCH_NO_PEER:-0}" = 1 ]; then
        skip peer all "BENCH_NO_PEER=1"
        return 0
    fi
    port=$(free_port)
    seed=$(seed_file "$GET_SIZE")
    rm -f "$OUT/peer.ids"
    if ! start peer "$port" 300 env PORT="$port" BENCH_TOKEN="$PEER_TOKEN" \
            NODE_ENV=production SEED="$seed" IDS_OUT="$OUT/peer.ids" \
            node bench/peer/server.js; then
        skip peer all "does not start (see $OUT/logs/peer.log)"
        return 0
    fi
    url="http://127.0.0.1:$port/scim/v2"
    export BENCH_TOKEN=$PEER_TOKEN
    load peer get "$SRV_PID" "$url" get.lua "$OUT/peer.ids"
    load peer "filter@$GET_SIZE" "$SRV_PID" "$url" filter.lua "$GET_SIZE"
    load peer "page@$GET_SIZE" "$SRV_PID" "$url" page.lua "$GET_SIZE"
    load peer put "$SRV_PID" "$url" put.lua "$OUT/peer.ids"
    load peer patch "$SRV_PID" "$url" patch.lua "$OUT/peer.ids"
    load peer post "$SRV_PID" "$url" post.lua
    unset BENCH_TOKEN
    stop "$SRV_PID"
}

# --- scimd -------------------------------------------------------------

ctl() {
    local db=$1
    shift
    "$BUILD/scimctl" --db "$db" "$@"
}

# Seeds a fresh database of N users; prints the bulk-load rate.
scimd_seed() {
    local n=$1 db=$OUT/scimd-$1.db f t0 t1
    rm -f "$db" "$db-wal" "$db-shm" "$OUT/scimd-$1.token"
    ctl "$db" tenant add "$TENANT" > /dev/null || return 1
    ctl "$db" token issue "$TENANT" > "$OUT/scimd-$n.token" || return 1
    f=$(seed_file "$n")
    t0=$(date +%s.%N)
    timeout 3600 "$BUILD/scimctl" --db "$db" import --tenant "$TENANT" "$f" \
        > "$OUT/logs/import-$n.log" 2>&1 || return 1
    t1=$(date +%s.%N)
    fact "import@$n" "$(awk -v a="$t0" -v b="$t1" -v n="$n" \
        'BEGIN { printf "%.1f s (%.0f users/s)", b - a, n / (b - a) }')"
}

scimd_start() {
    local name=$1 db=$2
    shift 2
    warm "$db" "$db-wal"
    SCIMD_PORT=$(free_port)
    start "$name" "$SCIMD_PORT" 60 "$BUILD/scimd" --db "$db" \
        --listen "127.0.0.1:$SCIMD_PORT" "$@"
}

# The read-side scenarios of one size; the write side on the GET size.
scimd_size() {
    local n=$1 db=$OUT/scimd-$1.db pid url w
    if ! scimd_seed "$n"; then
        skip scimd "size $n" "import failed: $(tail -1 \
            "$OUT/logs/import-$n.log" 2>/dev/null)"
        return 0
    fi
    [ "$n" = "$GET_SIZE" ] && cp "$db" "$OUT/scimd-pristine.db"
    if ! scimd_start "scimd-$n" "$db"; then
        skip scimd "size $n" "does not start (see $OUT/logs/scimd-$n.log)"
        return 0
    fi
    pid=$SRV_PID
    url="http://127.0.0.1:$SCIMD_PORT/scim/v2"
    BENCH_TOKEN=$(cat "$OUT/scimd-$n.token")
    export BENCH_TOKEN

    load scimd "filter@$n" "$pid" "$url" filter.lua "$n"
    load scimd "page@$n" "$pid" "$url" page.lua "$n"
    if w=$(timeout $((WALK_LIMIT + 60)) "$BIN/driver" walk "$url" \
            "$BENCH_TOKEN" "$WALK_LIMIT"); then
        fact "walk@$n" "$w"
    else
        skip scimd "walk@$n" "import walk failed"
    fi
    [ "$n" = "$GET_SIZE" ] && scimd_writes "$pid" "$url"
    fact "rss@$n" "$(peak_rss "$pid")"
    stop "$pid"
}

scimd_writes() {
    local pid=$1 url=$2 ids=$OUT/scimd.ids
    if ! timeout 900 "$BIN/driver" ids "$url" "$BENCH_TOKEN" "$ids"; then
        skip scimd "get put patch" "listing the ids failed"
    else
        load scimd get "$pid" "$url" get.lua "$ids"
        load scimd put "$pid" "$url" put.lua "$ids"
        load scimd patch "$pid" "$url" patch.lua "$ids"
    fi
    load scimd post "$pid" "$url" post.lua
    [ -s "$ids" ] && scimd_groups "$pid" "$url" "$ids"
    return 0
}

# Two groups, of 10 and of GROUP_SIZE members, built through PATCHes of
# 1000; then one-member churn from a pool of users in neither group.
scimd_groups() {
    local pid=$1 url=$2 ids=$3 pool=$OUT/scimd-pool.ids size g
    if ! timeout 300 "$BIN/driver" pool "$url" "$BENCH_TOKEN" "$POOL_SIZE" \
            "$pool"; then
        skip scimd "group@10 group@$GROUP_SIZE" "creating pool users failed"
        return 0
    fi
    for size in 10 "$GROUP_SIZE"; do
        if ! g=$(timeout 1200 "$BIN/driver" group "$url" "$BENCH_TOKEN" \
                "$ids" "$size" "bench-$size-$$"); then
            skip scimd "group@$size" "building the group failed"
            continue
        fi
        fact "groupbuild@$size" "${g#* } s"
        load scimd "group@$size" "$pid" "$url" group.lua "${g%% *}" \
            "$pool" "$THREADS"
    done
}

# GET by id and the write-heavy mix with the SCIM log on and off, on two
# copies of the same seeded database.
scimd_logcost() {
    local src=$OUT/scimd-pristine.db mode db
    if [ ! -f "$src" ] || [ ! -s "$OUT/scimd.ids" ]; then
        skip scimd "mix" "no seeded database or id list"
        return 0
    fi
    for mode in log nolog; do
        db=$OUT/scimd-mix-$mode.db
        rm -f "$db" "$db-wal" "$db-shm"
        cp "$src" "$db"
        set --
        [ "$mode" = nolog ] && set -- --no-log
        if ! scimd_start "scimd-mix-$mode" "$db" "$@"; then
            skip "scimd" "mix-$mode" "does not start"
            continue
        fi
        BENCH_TOKEN=$(cat "$OUT/scimd-$GET_SIZE.token")
        export BENCH_TOKEN
        load scimd "get-$mode" "$SRV_PID" \
            "http://127.0.0.1:$SCIMD_PORT/scim/v2" get.lua "$OUT/scimd.ids"
        load scimd "mix-$mode" "$SRV_PID" \
            "http://127.0.0.1:$SCIMD_PORT/scim/v2" mix.lua "$OUT/scimd.ids"
        stop "$SRV_PID"
    done
}

scimd_all() {
    if [ "${BENCH_NO_SCIMD:-0}" = 1 ]; then
        skip scimd all "BENCH_NO_SCIMD=1"
        return 0
    fi
    if [ "$SCIMD_OK" != 1 ]; then
        skip scimd all "${SCIMD_REASON:-not built}"
        return 0
    fi
    # shellcheck disable=SC2086
    for n in $(printf '%s\n' $SIZES "$GET_SIZE" | sort -n | uniq); do
        scimd_size "$n"
    done
    scimd_logcost
    rm -f "$OUT"/scimd-mix-*.db*
}

# --- report ------------------------------------------------------------

machine() {
    {
        echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "commit	$(git rev-parse --short HEAD 2>/dev/null || echo ?)"
        echo "cpu	$(nproc) x $(awk -F': ' '/^model name/ { print $2; \
            exit }' /proc/cpuinfo)"
        echo "memory	$(awk '/^MemTotal/ { printf "%.1f GB", \
            $2 / 1048576 }' /proc/meminfo)"
        echo "kernel	$(uname -sr)"
        echo "libmicrohttpd	$(pkg-config --modversion libmicrohttpd)"
        echo "sqlite	$(pkg-config --modversion sqlite3)"
        echo "jansson	$(pkg-config --modversion jansson)"
        echo "wrk	$(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
        echo "node	$(node --version 2>/dev/null || echo none)"
        echo "peer	$(cd bench/peer && node -e 'const p =
            require("./package.json").dependencies; console.log(Object
            .entries(p).map(([k, v]) => k + " " + v).join(", "))' \
            2>/dev/null || echo none)"
        echo "load	wrk -t$THREADS -c$CONNS -d${DUR}s, 127.0.0.1"
        echo "sizes	$SIZES (GET/PUT/PATCH/POST on $GET_SIZE)"
        echo "sync	write ceiling synchronous=$SYNC"
        echo "loadavg	$LOAD_START at the start, $(cut -d' ' -f1-3 \
            /proc/loadavg) at the end (1, 5, 15 min)"
        echo "quick	$QUICK"
    } > "$OUT/machine.tsv"
}

main() {
    mkdir -p "$OUT/logs" "$OUT/wrk"
    rm -f "$OUT"/scimd-*.db* "$OUT"/ceiling-*.db*
    LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
    : > "$RES"
    : > "$FACTS"
    : > "$SKIPS"
    deps
    build
    references ""
    peer
    scimd_all
    references " (end)"
    cleanup
    # The databases hold gigabytes of SCIM log; the seed files are kept.
    [ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$OUT"/scimd-*.db* "$OUT"/ceiling-*.db*
    machine
    awk -v get_size="$GET_SIZE" -v sizes="$SIZES" \
        -v group_size="$GROUP_SIZE" -v machine="$OUT/machine.tsv" \
        -v results="$RES" -v facts="$FACTS" -v skips="$SKIPS" \
        -v notes=bench/notes.md -f bench/report.awk > "$RESULTS"
    cat "$RESULTS"
    say "written to $RESULTS"
}

main "$@"
