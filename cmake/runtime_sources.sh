# shellcheck shell=bash disable=SC2034  # the arrays are for the caller
# runtime_sources.sh — the runtime library's C sources and include paths for
# the scripts that compile memkit without CMake (tests/compile_golden.sh,
# tests/fuzz/build.sh, bench/common.sh, bench/icount.sh). The same set as
# cmake/memkit.cmake's glob and examples/make/Makefile's (tests/packaging
# checks): the folders of runtime/src (its sources sit one folder down,
# prim/ among them), async/src and gpu/src less the GPU backends (a program
# adds the backend it drives). Sourced, not run.

# memkit_runtime_sources ROOT [nogpu]: sets the arrays memkit_srcs and
# memkit_incs; nogpu leaves the GPU tier out (bare metal: no OS, no stdio).
memkit_runtime_sources() {
    local root="$1" f
    memkit_srcs=("$root"/runtime/src/*/*.c "$root"/async/src/*.c)
    if [ "${2:-}" != nogpu ]; then
        for f in "$root"/gpu/src/*.c; do
            case "${f##*/}" in
            backend_*.c) ;;
            *) memkit_srcs+=("$f") ;;
            esac
        done
    fi
    memkit_incs=(-I"$root/runtime/include" -I"$root/async/include" -I"$root/gpu/include" -I"$root/runtime/src"
        -I"$root/gpu/src")
}
