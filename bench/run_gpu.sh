#!/usr/bin/env bash
# bench/run_gpu.sh — builds and runs the GPU tier's benchmark (bench/bench_gpu.c
# against bench/bench_gpu.toml: buffer create+destroy through memkit vs the
# naive vkAllocateMemory per buffer, the sub-allocators alone, staging uploads
# vs memcpy; on the mock GPU and on lavapipe; see bench/README.md). `make bench`
# runs it after bench/run.sh.
#
#   bash bench/run_gpu.sh [rounds]  (default 21 rounds; also MK_BENCH_ROUNDS)
#
# Environment: PYTHON (a python3 with jinja2), CC (default gcc),
# MK_BENCH_NO_INSTALL=1 to never call apt-get, MK_BENCH_GPU_OUT (the build
# directory, default build/bench-gpu, ignored by git), MK_BENCH_GPU_ONLY (see
# bench_gpu.c), MK_BENCH_GPU_NO_VULKAN=1 to build without Vulkan (the SKIP path). Without the Vulkan headers (libvulkan-dev) or lavapipe
# (mesa-vulkan-drivers) the lavapipe rows print SKIP and the mock rows run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$root/bench/common.sh"
bench_init "$root" "${MK_BENCH_GPU_OUT:-build/bench-gpu}"

# ---- Vulkan: the headers to build the lavapipe rows; the loader is dlopen'ed at run time ----
vk_missing=""
vk_has() { printf '#include <vulkan/vulkan.h>\nint main(void){return 0;}\n' | "$CC" -x c - -fsyntax-only 2>/dev/null; }
if ! vk_has && bench_can_install; then
    echo "bench-gpu: installing libvulkan-dev mesa-vulkan-drivers" >&2
    bench_apt_install libvulkan-dev mesa-vulkan-drivers || echo "bench-gpu: apt-get failed; the lavapipe rows will be skipped" >&2
fi
vk_has || vk_missing="no <vulkan/vulkan.h> (apt-get install libvulkan-dev mesa-vulkan-drivers)"
[ "${MK_BENCH_GPU_NO_VULKAN:-0}" != 1 ] || vk_missing="MK_BENCH_GPU_NO_VULKAN=1"
icd=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json # lavapipe's ICD file: the first one found, else this
for f in /usr/share/vulkan/icd.d/lvp_icd.*.json /usr/local/share/vulkan/icd.d/lvp_icd.*.json; do
    if [ -e "$f" ]; then
        icd="$f"
        break
    fi
done

# ---- generate the configuration ------------------------------------------------
bench_find_python bench-gpu
"$py" generator/memkit-gen bench/bench_gpu.toml -o "$out/gen" >&2

# ---- build: the runtime (the GPU tier's included), the mock backend, and with
# ---- Vulkan the Vulkan backend and examples/vulkan_device.c -----------------------
srcs=(gpu/src/backend_mock.c)
defs=()
if [ -z "$vk_missing" ]; then
    srcs+=(gpu/src/backend_vulkan.c examples/vulkan_device.c)
    defs+=(-DMK_BENCH_VULKAN=1 "-DVULKAN_DEVICE_LAVAPIPE_ICD=\"$icd\"" -Iexamples)
else
    defs+=("-DMK_BENCH_NO_VULKAN_WHY=\"$vk_missing\"")
    echo "bench-gpu: $vk_missing: the lavapipe rows will be skipped" >&2
fi
bench_build "$out/gen" "$out/bench_gpu" bench/bench_gpu.c "${srcs[@]}" "${defs[@]}" -ldl

# ---- run --------------------------------------------------------------------------
echo "command: bash bench/run_gpu.sh $*"
if rev="$(git rev-parse --short HEAD 2>/dev/null)"; then
    # what is measured: the runtime and the Vulkan bring-up (changed or untracked files count)
    if [ -n "$(git status --porcelain -- gpu runtime async examples/vulkan_device.c examples/vulkan_device.h)" ]; then
        rev="$rev + uncommitted changes in gpu/ runtime/ async/ examples/vulkan_device.*"
    fi
    echo "runtime: commit $rev"
fi
bench_run "$out/bench_gpu" "$@"
