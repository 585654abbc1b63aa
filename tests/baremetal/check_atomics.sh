#!/usr/bin/env bash
# check_atomics.sh OUT_DIR — a threads = true runtime for a Cortex-M4
# (tests/configs/cortex_m_threads.toml; an RTOS would supply the OS layer:
# MK_OS=user), and a C++ translation unit using every header, compile
# warning-free (-Werror) with arm-none-eabi-gcc/g++, and no object calls
# libatomic's 64-bit functions (__atomic_*_8, __sync_*_8), which ARMv7-M
# lacks and bare-metal toolchains do not ship: every 64-bit atomic goes
# through runtime/src/prim/atomic64.c. A loud SKIP (77) without the toolchain.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:?usage: check_atomics.sh OUT_DIR}

if ! command -v arm-none-eabi-gcc >/dev/null || ! command -v arm-none-eabi-nm >/dev/null; then
    echo "*** SKIP: arm-none-eabi-gcc not found (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)" >&2
    exit 77
fi
if ! echo '#include <atomic>' | arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -std=c++17 -x c++ -fsyntax-only - 2>/dev/null; then
    echo "*** SKIP: no C++ library for arm-none-eabi (apt-get install libstdc++-arm-none-eabi-newlib)" >&2
    exit 77
fi

mkdir -p "$out/obj"
"${PYTHON:-python3}" "$root/generator/memkit-gen" "$root/tests/configs/cortex_m_threads.toml" -o "$out/gen" || exit 1
# shellcheck source=../../cmake/runtime_sources.sh
source "$root/cmake/runtime_sources.sh"
memkit_runtime_sources "$root" nogpu
failed=0
for src in "${memkit_srcs[@]}" "$out/gen/memkit_config.c"; do
    obj="$out/obj/$(basename "$src" .c).o"
    arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -std=c11 -O2 -Wall -Wextra -Wpedantic -Wconversion -Werror \
        -DMK_OS=user -DMK_NO_STDIO=1 "${memkit_incs[@]}" -I"$out/gen" -c "$src" -o "$obj" || failed=1
done
# and a C++ translation unit's inline fast paths (every header, memkit.hpp)
arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -std=c++17 -O2 -Wall -Wextra -Wpedantic -Wconversion -Werror \
    -DMK_OS=user -I"$root/runtime/include" -I"$root/async/include" -I"$root/gpu/include" -I"$out/gen" \
    -c "$root/tests/cpp/headers_all.cpp" -o "$out/obj/headers_all_cpp.o" || failed=1
[ "$failed" = 0 ] || { echo "FAIL: memkit does not compile for a Cortex-M4 with threads = true" >&2; exit 1; }

calls=$(arm-none-eabi-nm -u "$out"/obj/*.o | grep -E '__(atomic|sync)_[a-z_]+_8$' | sort -u || true)
if [ -n "$calls" ]; then
    echo "FAIL: 64-bit atomic library calls in a threads = true Cortex-M4 build:" >&2
    echo "$calls" >&2
    exit 1
fi
# and the 64-bit counters did take the locked path (not compiled out)
undefined=$(arm-none-eabi-nm -u "$out"/obj/*.o)
if ! grep -q 'mk__atomic64_load_s$' <<<"$undefined"; then
    echo "FAIL: no call of mk__atomic64_*: the check proves nothing" >&2
    exit 1
fi
echo "PASS: threads = true for a Cortex-M4 needs no 64-bit atomics ($(ls "$out"/obj/*.o | wc -l) objects)"
