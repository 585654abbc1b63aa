#!/usr/bin/env bash
# check_target_assert.sh PYTHON — a generated header compiles only for the
# target it was generated for: memkit_config.h generated for lp64 compiles
# with gcc and stops gcc -m32 with its MK__STATIC_ASSERT message, one for
# i386 the other way round; MK__STATIC_ASSERT (memkit/config.h) holds and
# fails in C++ too. Without gcc-multilib, the -m32 half is a loud SKIP (77).
set -u
py=${1:-python3}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
printf '#include "memkit_config.h"\nint main(void) { return MKG_TARGET_POINTER_BYTES == 0; }\n' >"$work/use.c"
for target in lp64 i386; do
  "$py" "$root/generator/memkit-gen" "$root/tests/configs/basic.toml" --target "$target" -o "$work/$target" \
    2>/dev/null || { echo "FAIL: memkit-gen --target $target"; exit 1; }
done
# compiles CC... TARGET: 0 when the header of TARGET compiles with CC
compiles() {
  local target=${*: -1}
  "${@:1:$#-1}" -std=c11 -fsyntax-only -I"$root/runtime/include" -I"$work/$target" "$work/use.c" \
    2>"$work/err"
}
expect() { # expect ok|refused TARGET CC...
  local want=$1 target=$2
  shift 2
  if compiles "$@" "$target"; then
    [ "$want" = ok ] && echo "ok: $target header compiles with $*" && return
    echo "FAIL: the $target header compiles with $*"; status=1
  elif [ "$want" = refused ] && grep -q "generated for target $target" "$work/err"; then
    echo "ok: $*: $(grep -o 'memkit_config.h was generated for target [^:]*' "$work/err" | head -1)"
  else
    echo "FAIL: the $target header with $*:"; cat "$work/err"; status=1
  fi
}
expect ok lp64 gcc
expect refused i386 gcc
skip=0
if echo 'int main(void) { return 0; }' | gcc -m32 -x c - -o "$work/m32" 2>/dev/null; then
  expect ok i386 gcc -m32
  expect refused lp64 gcc -m32
else
  echo "*** SKIP: gcc -m32 cannot build a program (install gcc-multilib)" >&2
  skip=1
fi
# The macro in C++: a holding assertion compiles, a failing one stops with its message.
printf '#include <memkit/config.h>\nMK__STATIC_ASSERT(sizeof(char) == 1, "holds");\n' >"$work/ok.cpp"
printf '#include <memkit/config.h>\nMK__STATIC_ASSERT(sizeof(char) == 2, "mk static assert fails");\n' >"$work/no.cpp"
if ! g++ -std=c++17 -fsyntax-only -I"$root/runtime/include" "$work/ok.cpp"; then
  echo "FAIL: MK__STATIC_ASSERT does not compile in C++"; status=1
elif g++ -std=c++17 -fsyntax-only -I"$root/runtime/include" "$work/no.cpp" 2>"$work/err" ||
    ! grep -q "mk static assert fails" "$work/err"; then
  echo "FAIL: a failing MK__STATIC_ASSERT does not stop C++ with its message"; status=1
else
  echo "ok: MK__STATIC_ASSERT in C++"
fi
[ $status -eq 0 ] && [ $skip -eq 1 ] && exit 77
exit $status
