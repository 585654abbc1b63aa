#!/usr/bin/env bash
# run_qemu.sh OUT_DIR — builds examples/baremetal (a Cortex-M4, no OS, no
# stdio: its build.sh) and runs it under qemu-system-arm -M mps2-an386 with
# semihosting. Passes when the program's own checks all pass (QEMU exits with
# 0 and the last line says "0 failed") and the image links neither stdio nor
# malloc. Prints the image's .text/.data/.bss. A loud SKIP (77) when the
# toolchain or QEMU is missing (`make test` installs gcc-arm-none-eabi,
# libnewlib-arm-none-eabi and qemu-system-arm).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:?usage: run_qemu.sh OUT_DIR}

for tool in arm-none-eabi-gcc arm-none-eabi-size arm-none-eabi-nm qemu-system-arm timeout; do
    if ! command -v "$tool" >/dev/null; then
        echo "*** SKIP: $tool not found (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)" >&2
        exit 77
    fi
done
if [ "$(arm-none-eabi-gcc -print-file-name=nano.specs)" = nano.specs ]; then
    echo "*** SKIP: newlib for arm-none-eabi not found (apt-get install libnewlib-arm-none-eabi)" >&2
    exit 77
fi

echo "== build (arm-none-eabi-gcc, MK_OS=none, MK_NO_STDIO=1)"
bash "$root/examples/baremetal/build.sh" "$out" || exit 1
elf="$out/baremetal.elf"

# nothing of stdio, malloc or abort made it in (MK_NO_STDIO, MK_OS=none)
linked=$(arm-none-eabi-nm "$elf" | grep -E ' [TtWw] _?(v?[sfn]*printf|_?v?[sfn]*printf_r|fputs|fputc|fwrite|fflush|__sfp|_?malloc|_malloc_r|_sbrk|abort)$')
if [ -n "$linked" ]; then
    echo "FAIL: the image links what a bare-metal build must not:" >&2
    echo "$linked" >&2
    exit 1
fi

echo "== qemu-system-arm -M mps2-an386"
log="$out/qemu.log"
timeout 120 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial null \
    -semihosting-config enable=on,target=native -kernel "$elf" >"$log" 2>&1
status=$?
cat "$log"
if [ "$status" = 124 ]; then
    echo "FAIL: the program did not finish within 120 s" >&2
    exit 1
fi
if [ "$status" != 0 ] || ! grep -q ' checks, 0 failed$' "$log"; then
    echo "FAIL: qemu exited with $status" >&2
    exit 1
fi
echo "PASS: memkit on a Cortex-M4 under QEMU"
