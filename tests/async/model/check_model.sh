#!/usr/bin/env bash
# check_model.sh [--full] [--seeded] [-j JOBS] — checks waitq.pml (the async
# tier's waiter-queue protocol) exhaustively with spin, one run per
# configuration (README.md says what each covers).
#
#   (default)  the quick set: every configuration below that finishes in
#              seconds; about half a minute on two cores
#   --full     then the large configurations, one at a time (about twelve
#              minutes; the largest needs ~7.5 GB: MK_SPIN_MEMLIM_MB, in
#              MB, raises the verifier's limit, 8000 by default) and two
#              non-progress-cycle searches (every run terminates)
#   --seeded   instead checks that spin catches each seeded bug (and the C's
#              double read of w->queue_ in mk_async_cancel, as written)
#
# Exit status: 0 when every run is exhaustive and finds no error (assertion
# violation, invalid end state, or, for the cycle search, a non-progress
# cycle); 1 otherwise; 77 when spin is not installed. With --seeded: 0 when
# every seeded bug is caught. Prints one line per run and a one-line summary.
set -u
here=$(cd "$(dirname "$0")" && pwd)
model=$here/waitq.pml

full=0
seeded=0
jobs=2
while [ $# -gt 0 ]; do
    case $1 in
    --full) full=1 ;;
    --seeded) seeded=1 ;;
    -j) jobs=$2; shift ;;
    *) echo "usage: $0 [--full] [--seeded] [-j JOBS]" >&2; exit 2 ;;
    esac
    shift
done

if ! command -v spin >/dev/null 2>&1; then
    echo "*** SKIP: spin not installed (Debian/Ubuntu: apt-get install spin) — waitq.pml NOT checked ***"
    exit 77
fi
cc=${CC:-cc}
if ! command -v "$cc" >/dev/null 2>&1; then
    echo "*** SKIP: no C compiler ($cc) to build spin's verifier — waitq.pml NOT checked ***"
    exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
memlim=${MK_SPIN_MEMLIM_MB:-8000}

# name | spin -D flags | kind (safety, or np: non-progress cycles)
# name | spin -D flags | kind (safety, or np: non-progress cycles) | cc -O
# (small runs build at -O0: the compile is most of their time)
quick='
two-loops-cancel2        |-DCONFIG=1 -DTIMED=0 -DCANCELS=2 |safety |0
two-loops-2blocks        |-DCONFIG=1 -DTIMED=0 -DCANCELS=1 -DNB=2 |safety |0
one-loop-timeout-cancel  |-DCONFIG=3 -DTIMED=1 -DCANCELS=1 |safety |1
two-loops-timeout        |-DCONFIG=1 -DTIMED=1 -DCANCELS=0 |safety |0
timer-liveness           |-DCONFIG=1 -DTIMED=1 -DCANCELS=0 -DLATE=1 |safety |0
blocking-timeout         |-DCONFIG=2 -DTIMED=1 -DCANCELS=0 |safety |1
blocking-2blocks-cancel  |-DCONFIG=2 -DTIMED=0 -DCANCELS=1 -DNB=2 |safety |1
'
large='
timer-liveness-cancel    |-DCONFIG=1 -DTIMED=1 -DCANCELS=1 -DLATE=1 |safety |1
blocking-late            |-DCONFIG=2 -DTIMED=1 -DCANCELS=0 -DLATE=1 |safety |1
one-loop-timeout-cancel2 |-DCONFIG=3 -DTIMED=1 -DCANCELS=2 |safety |1
two-loops-timeout-cancel |-DCONFIG=1 -DTIMED=1 -DCANCELS=1 |safety |1
blocking-timeout-cancel  |-DCONFIG=2 -DTIMED=1 -DCANCELS=1 |safety |1
cycles-two-loops-timeout |-DCONFIG=1 -DTIMED=1 -DCANCELS=0 |np |1
cycles-one-loop-timeout  |-DCONFIG=3 -DTIMED=1 -DCANCELS=1 |np |1
'
# name | flags | kind | cc -O
seeds='
cancel-no-handback       |-DCONFIG=1 -DTIMED=0 -DCANCELS=1 -DSEED_CANCEL_NO_HANDBACK |safety |0
cancel-no-recheck        |-DCONFIG=1 -DTIMED=0 -DCANCELS=1 -DSEED_CANCEL_NO_RECHECK |safety |0
grant-no-loop-lock       |-DCONFIG=1 -DTIMED=0 -DCANCELS=1 -DSEED_GRANT_NO_LOOP_LOCK |safety |0
expire-ready             |-DCONFIG=3 -DTIMED=1 -DCANCELS=1 -DSEED_EXPIRE_READY |safety |0
handback-under-loop-lock |-DCONFIG=1 -DTIMED=0 -DCANCELS=1 -DSEED_HANDBACK_UNDER_LOOP_LOCK |safety |0
grant-newest             |-DCONFIG=1 -DTIMED=0 -DCANCELS=1 -DSEED_LIFO |safety |0
no-wake                  |-DCONFIG=1 -DTIMED=0 -DCANCELS=1 -DSEED_NO_WAKE |safety |0
no-rearm                 |-DCONFIG=1 -DTIMED=1 -DCANCELS=0 -DLATE=1 -DSEED_NO_REARM |safety |0
c-cancel-rereads-queue   |-DCONFIG=1 -DTIMED=0 -DCANCELS=1 -DC_CANCEL_REREADS_QUEUE |safety |0
'

# run NAME FLAGS KIND OPT: builds and runs one verifier in $work/NAME; writes
# $work/NAME/result: "states depth errors complete(0/1) seconds first-error"
run() {
    local name=$1 flags=$2 kind=$3 opt=$4 dir=$work/$1
    mkdir -p "$dir"
    cd "$dir" || return
    cp "$model" waitq.pml
    local t0 t1
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    if ! spin -a $flags waitq.pml >spin.out 2>&1; then
        echo "0 0 1 0 0 spin -a failed: $(head -1 spin.out)" >result
        return
    fi
    local cflags="-DSAFETY" pflags=""
    if [ "$kind" = np ]; then
        cflags="-DNP"
        pflags="-l"
    fi
    if ! $cc -O"$opt" $cflags -DCOLLAPSE -DMEMLIM="$memlim" -o pan pan.c >cc.out 2>&1; then
        echo "0 0 1 0 0 cc failed: $(head -1 cc.out)" >result
        return
    fi
    ./pan -n -m200000 -w24 $pflags >pan.out 2>&1
    t1=$(date +%s.%N)
    local states depth errors complete first
    states=$(awk '/states, stored/ { printf "%.0f", $1; exit }' pan.out) # 1.3e+08 past 1e8
    depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' pan.out | head -1)
    errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.out | head -1)
    complete=1
    if grep -qE 'Search not completed|max search depth too small|reached -DMEMLIM' pan.out; then
        complete=0
    fi
    first=""
    if [ "${errors:-1}" != 0 ]; then
        first=$(grep -m1 -E '^pan:[0-9]+:' pan.out | sed 's/^pan:[0-9]*: //; s/ (at depth [0-9]*)//' | cut -c1-70)
        if [ -f waitq.pml.trail ]; then
            local line
            # shellcheck disable=SC2086
            line=$(spin -t $flags waitq.pml 2>&1 | sed -n 's/^spin: waitq.pml:\([0-9]*\), Error.*/\1/p' | head -1)
            [ -n "$line" ] && first="waitq.pml:$line: $first"
        fi
    fi
    echo "${states:-0} ${depth:-0} ${errors:-1} $complete $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') $first" >result
}

# launch LIST JOBS: runs LIST's configurations, JOBS at a time
names=()
launch() {
    local name flags kind opt
    while IFS='|' read -r name flags kind opt; do
        name=$(echo "$name" | tr -d ' ')
        [ -z "$name" ] && continue
        names+=("$name")
        kind=$(echo "$kind" | tr -d ' ')
        opt=$(echo "$opt" | tr -d ' ')
        while [ "$(jobs -rp | wc -l)" -ge "$2" ]; do
            wait -n 2>/dev/null || sleep 0.2
        done
        (run "$name" "$flags" "$kind" "$opt") &
    done <<<"$1"
    wait
}

if [ $seeded = 1 ]; then
    launch "$seeds" "$jobs"
else
    launch "$quick" "$jobs"
    # the large ones one at a time: each may take a few GB
    [ $full = 1 ] && launch "$large" 1
fi

fail=0
total=0
maxdepth=0
for name in "${names[@]}"; do
    read -r states depth errors complete secs first <"$work/$name/result" || {
        echo "FAIL $name: no result"
        fail=1
        continue
    }
    total=$(awk -v a="$total" -v b="$states" 'BEGIN { printf "%.0f", a + b }')
    [ "$depth" -gt "$maxdepth" ] && maxdepth=$depth
    if [ $seeded = 1 ]; then
        if [ "$errors" != 0 ]; then
            printf 'caught  %-26s %10s states  depth %4s  %5.1fs  %s\n' "$name" "$states" "$depth" "$secs" "$first"
        else
            printf 'MISSED  %-26s %10s states  depth %4s  %5.1fs  (complete=%s)\n' "$name" "$states" "$depth" "$secs" "$complete"
            fail=1
        fi
    else
        if [ "$errors" = 0 ] && [ "$complete" = 1 ]; then
            printf 'ok      %-26s %10s states  depth %4s  errors: 0  %5.1fs\n' "$name" "$states" "$depth" "$secs"
        else
            printf 'FAIL    %-26s %10s states  depth %4s  errors: %s  complete=%s  %5.1fs  %s\n' \
                "$name" "$states" "$depth" "$errors" "$complete" "$secs" "$first"
            fail=1
        fi
    fi
done

if [ $seeded = 1 ]; then
    if [ $fail = 0 ]; then
        echo "waitq.pml seeded bugs: all ${#names[@]} caught by spin"
    else
        echo "waitq.pml seeded bugs: SOME MISSED (the model lost its teeth)"
    fi
else
    if [ $fail = 0 ]; then
        echo "waitq.pml: OK — ${#names[@]} configurations, $total states, max depth $maxdepth, errors: 0"
    else
        echo "waitq.pml: FAILED — see the FAIL lines above ($total states over ${#names[@]} configurations)"
    fi
fi
exit $fail
