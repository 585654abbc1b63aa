#!/usr/bin/env bash
# check_tracking_mismatch.sh LIBRARY GENERATED_DIR — a program compiled with
# -fsanitize=address must not link against a runtime built without it: the
# two lay out pool blocks differently (memkit/track.h), and the thread-slot
# symbol carries the mode so the linker says so. Built the same way, it links.
set -u
lib=$1
gen=$2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/user.c" <<'C'
#include <memkit/memkit.h>
int main(void)
{
    if (mk_init(&mkg_config) != MK_OK)
        return 1;
    mk_free(mk_alloc((mk_intent_t)0, 16));
    mk_shutdown();
    return 0;
}
C
flags=(-std=c11 -I"$root/runtime/include" -I"$gen")
if ! clang "${flags[@]}" "$work/user.c" "$lib" -lpthread -o "$work/same" 2>"$work/same.err"; then
  echo "FAIL: a program built like the runtime does not link:"; cat "$work/same.err"; exit 1
fi
if clang "${flags[@]}" -fsanitize=address "$work/user.c" "$lib" -lpthread -o "$work/mixed" 2>"$work/mixed.err"; then
  echo "FAIL: an ASan program linked against a runtime built without ASan"; exit 1
fi
if ! grep -q 'mk__self_tracking1' "$work/mixed.err"; then
  echo "FAIL: the mixed link failed, but not on the tracking mode:"; cat "$work/mixed.err"; exit 1
fi
echo "ok: builds with different tracking modes do not link together"
