#!/usr/bin/env bash
# build.sh — builds this example for QEMU's mps2-an386 board (a Cortex-M4)
# with arm-none-eabi-gcc and newlib, without CMake: memkit-gen on
# memkit.toml, the runtime's sources (cmake/runtime_sources.sh, no GPU tier)
# with MK_OS=none and MK_NO_STDIO=1, the example, its startup code and
# linker script. Prints the image's .text/.data/.bss (arm-none-eabi-size).
#
#   examples/baremetal/build.sh OUT_DIR       -> OUT_DIR/baremetal.elf
#   qemu-system-arm -M mps2-an386 -nographic -monitor none -serial null \
#       -semihosting-config enable=on,target=native -kernel OUT_DIR/baremetal.elf
#
# PYTHON names a Python 3.11+ with Jinja2 (default python3), CC the compiler
# (default arm-none-eabi-gcc), JOBS the parallel compilations (default 2).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:?usage: build.sh OUT_DIR}
cc=${CC:-arm-none-eabi-gcc}
mkdir -p "$out/obj"
out=$(cd "$out" && pwd)

# shellcheck source=../../cmake/runtime_sources.sh
source "$root/cmake/runtime_sources.sh"
memkit_runtime_sources "$root" nogpu

"${PYTHON:-python3}" "$root/generator/memkit-gen" "$here/memkit.toml" -o "$out/gen"

cpu=(-mcpu=cortex-m4 -mthumb -mfloat-abi=soft)
cflags=("${cpu[@]}" -std=c11 -Os -g -ffunction-sections -fdata-sections
    -Wall -Wextra -Wpedantic -Wconversion -Werror -DMK_OS=none -DMK_NO_STDIO=1
    "${memkit_incs[@]}" -I"$out/gen" -I"$here")
sources=("${memkit_srcs[@]}" "$out/gen/memkit_config.c" "$here/main.c" "$here/startup.c" "$here/semihost.c")

# one object per source, named after its path (two files may share a name)
objects=()
for src in "${sources[@]}"; do
    rel=${src#"$root"/}
    rel=${rel#"$out"/}
    objects+=("$out/obj/${rel//\//_}.o")
done
compile() { "$cc" "${cflags[@]}" -c "$1" -o "$2"; }
running=0
failed=0
for i in "${!sources[@]}"; do
    compile "${sources[$i]}" "${objects[$i]}" &
    running=$((running + 1))
    if [ "$running" -ge "${JOBS:-2}" ]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=1
    running=$((running - 1))
done
[ "$failed" = 0 ] || { echo "build.sh: a compilation failed" >&2; exit 1; }

# no C runtime start files (startup.c is the reset handler); newlib-nano for
# memcpy and friends, libgcc for 64-bit division
"$cc" "${cpu[@]}" -nostartfiles --specs=nano.specs -T "$here/mps2_an386.ld" -Wl,--gc-sections \
    -Wl,-Map="$out/baremetal.map" "${objects[@]}" -lc -lgcc -o "$out/baremetal.elf"
"${SIZE:-arm-none-eabi-size}" "$out/baremetal.elf"
