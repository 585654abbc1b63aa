#!/usr/bin/env bash
# check_headers.sh — memkit's headers in C++ (and on their own in C):
#  1. every public header (runtime/, async/ with its adapters, gpu/, and
#     memkit.hpp) compiles on its own, included twice, with
#     -Wall -Wextra -Wpedantic -Wconversion -Werror as C++17 and C++20 under
#     g++ and clang++, and each .h as C11 under gcc and clang (the basic
#     golden config);
#  2. for every golden case (tests/golden/*): its generated memkit_config.h
#     compiles on its own as C++17 and C++20 under both compilers, and
#     headers_all.cpp (every header, every template instantiated) compiles
#     to an object at -O2 whose undefined memkit symbols are all C names
#     (unmangled: extern "C" linkage);
#  3. headers_all.cpp without exceptions and RTTI (basic config).
# Usage: check_headers.sh OUT_DIR. Exit 0; 1 on any failure; 77 (skip) when
# everything passed but adapters/libuv.h could not be checked (no uv.h).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
for tool in g++ clang++ gcc clang nm; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not found (make deps installs it)"; exit 1; }
done
incs=(-I"$root/runtime/include" -I"$root/async/include" -I"$root/gpu/include")
warnings=(-Wall -Wextra -Wpedantic -Wconversion -Werror)
max_jobs=${MEMKIT_CHECK_JOBS:-$(nproc)}
status=0
running=0

# run NAME COMMAND...: in the background, at most max_jobs at once; prints
# "ok: NAME", or "FAIL: NAME" with the compiler's output.
run() {
  local name=$1
  shift
  (
    if log=$("$@" 2>&1); then
      echo "ok: $name"
    else
      printf 'FAIL: %s\n  %s\n%s\n' "$name" "$*" "$log"
      exit 1
    fi
  ) &
  running=$((running + 1))
  if [ "$running" -ge "$max_jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
}

# A translation unit that includes `header` twice (its include guard), and
# declares something (ISO C has no empty translation unit: track.h,
# prefix.h and lang.h define only macros).
twice() {
  printf '#include <%s>\n#include <%s>\ntypedef int check_headers_nonempty;\n' "$1" "$1" >"$2"
}

headers=()
for dir in runtime async gpu; do
  while IFS= read -r h; do
    headers+=("${h#"$root/$dir/include/"}")
  done < <(find "$root/$dir/include/memkit" -name '*.h' -o -name '*.hpp' | sort)
done

uv_missing=0
if ! echo '#include <uv.h>' | gcc -fsyntax-only -x c - 2>/dev/null; then
  uv_missing=1
fi

basic="$root/tests/golden/basic"
for h in "${headers[@]}"; do
  defs=()
  case "$h" in
    memkit/adapters/libuv.h) [ "$uv_missing" = 1 ] && { echo "SKIP: $h (uv.h not found: apt-get install libuv1-dev)"; continue; } ;;
    memkit/prefix.h) defs=(-DMKG_SYMBOL_PREFIX=check_) ;; # included by prefixed generated headers only
  esac
  cdefs=("${defs[@]}")
  # uv.h needs POSIX declarations that strict C11 hides (g++ shows them)
  [ "$h" = memkit/adapters/libuv.h ] && cdefs+=(-D_DEFAULT_SOURCE)
  name=$(echo "$h" | tr '/.' '__')
  twice "$h" "$out/$name.cpp"
  for cxx in g++ clang++; do
    for std in c++17 c++20; do
      run "$h as $std ($cxx)" "$cxx" "-std=$std" "${warnings[@]}" "${defs[@]}" "${incs[@]}" -I"$basic" \
        -fsyntax-only "$out/$name.cpp"
    done
  done
  case "$h" in *.hpp) continue ;; esac
  twice "$h" "$out/$name.c"
  for cc in gcc clang; do
    run "$h as c11 ($cc)" "$cc" -std=c11 "${warnings[@]}" "${cdefs[@]}" "${incs[@]}" -I"$basic" -fsyntax-only "$out/$name.c"
  done
done

# headers_all.cpp's object: compiled, then its undefined memkit symbols read.
object_check() {
  local obj=$1
  shift
  "$@" -c -o "$obj" || return 1
  local mangled
  mangled=$(nm -u "$obj" | awk '{print $NF}' | grep -E '^_Z.*mkg?_' || true)
  if [ -n "$mangled" ]; then
    echo "C++-mangled references to memkit symbols (a declaration without extern \"C\"):"
    echo "$mangled"
    return 1
  fi
}

for case_dir in "$root"/tests/golden/*/; do
  case_name=$(basename "$case_dir")
  printf '#include "memkit_config.h"\n#include "memkit_config.h"\n' >"$out/config_$case_name.cpp"
  for cxx in g++ clang++; do
    for std in c++17 c++20; do
      run "golden $case_name: memkit_config.h as $std ($cxx)" "$cxx" "-std=$std" "${warnings[@]}" "${incs[@]}" \
        -I"$case_dir" -fsyntax-only "$out/config_$case_name.cpp"
      run "golden $case_name: every header as $std ($cxx), -O2" object_check "$out/all_${case_name}_${cxx}_$std.o" \
        "$cxx" "-std=$std" -O2 "${warnings[@]}" "${incs[@]}" -I"$case_dir" "$root/tests/cpp/headers_all.cpp"
    done
  done
done

# Programs built without exceptions or RTTI (common in games) use memkit.hpp too.
for cxx in g++ clang++; do
  run "memkit.hpp with -fno-exceptions -fno-rtti ($cxx)" "$cxx" -std=c++17 -fno-exceptions -fno-rtti -O2 \
    "${warnings[@]}" "${incs[@]}" -I"$basic" -c -o "$out/all_noexcept_$cxx.o" "$root/tests/cpp/headers_all.cpp"
done

while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
if [ "$status" != 0 ]; then
  echo "FAIL: see above"
  exit 1
fi
if [ "$uv_missing" = 1 ]; then
  echo "SKIP: memkit/adapters/libuv.h was not checked (no uv.h)"
  exit 77
fi
echo "all headers compile as C++17 and C++20 (g++, clang++) and on their own as C11 (gcc, clang)"
