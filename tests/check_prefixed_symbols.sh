#!/usr/bin/env bash
# Every global symbol a library built with [memkit] prefix = "PREFIX" defines
# must carry the prefix (memkit/prefix.h lists them): else two components
# with two configs collide at link time.
#   check_prefixed_symbols.sh PREFIX LIBRARY...
set -euo pipefail
prefix=$1
shift
status=0
for lib in "$@"; do
  bad=$(nm -g --defined-only "$lib" | awk '$2 ~ /^[TDBRCVW]$/ {print $3}' | grep -v "^${prefix}" || true)
  if [ -n "$bad" ]; then
    echo "$lib exports names without the prefix '$prefix' (add them to runtime/include/memkit/prefix.h):"
    echo "$bad"
    status=1
  fi
done
[ $status = 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $status
