#!/usr/bin/env bash
# tests/perf/check_icount.sh — fails when a fast path executes more
# instructions per operation than bench/icount_limits.txt allows. Counts come
# from callgrind (bench/icount.sh): deterministic, unlike times, so a test may
# hold them. Exit 77 (skipped) without valgrind.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
command -v valgrind >/dev/null 2>&1 || { echo "check_icount: valgrind missing, skipped"; exit 77; }
counts="$(mktemp)"
trap 'rm -f "$counts"' EXIT
bash "$root/bench/icount.sh" "$counts" >/dev/null
status=0
while read -r op limit; do
    case "$op" in ''|'#'*) continue ;; esac
    got="$(awk -v op="$op" '$1 == op { print $2 }' "$counts")"
    if [ -z "$got" ]; then
        echo "check_icount: no count for $op (bench/icount.c lost it?)"
        status=1
    elif awk -v g="$got" -v l="$limit" 'BEGIN { exit !(g > l) }'; then
        echo "check_icount: $op takes $got instructions per operation, over its limit of $limit"
        status=1
    else
        echo "$op: $got instructions (limit $limit)"
    fi
done < "$root/bench/icount_limits.txt"
exit "$status"
