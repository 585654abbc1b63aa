# shellcheck shell=bash
# bench/common.sh — shell pieces shared by bench/run.sh, bench/run_mt.sh,
# bench/run_async.sh, bench/run_gpu.sh and bench/whole/run.sh. Sourced, not
# run: each script sets `root` (the repository root) and then does
#
#   . "$root/bench/common.sh"
#
# Messages name the script through the tag each function takes ("bench",
# "bench-mt", "bench-async"). MK_BENCH_NO_INSTALL=1 keeps every function from calling apt-get.

# The flags every benchmark binary is compiled with (warnings as in the tests).
# shellcheck disable=SC2034  # used by the scripts that source this file
bench_cflags=(-O2 -std=c11 -DNDEBUG -Wall -Wextra -Wpedantic -Wconversion)

# bench_init ROOT OUT: work from ROOT (the repository root), outputs under OUT
# (created, relative to ROOT); sets `out`, and CC (default gcc).
bench_init() {
    cd "$1" || exit 1
    out="$2"
    mkdir -p "$out"
    CC="${CC:-gcc}"
}

# bench_can_install: true when packages may be installed here (root, apt-get,
# and MK_BENCH_NO_INSTALL is not 1).
bench_can_install() {
    [ "${MK_BENCH_NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

# bench_apt_install PKG...: apt-get update + install, all its output on stderr.
bench_apt_install() {
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >&2
}

# bench_install_peers TAG: install libmimalloc-dev / libjemalloc-dev when
# missing (Debian). The peers are dlopen'ed by soname at run time (see
# bench/peers.h), which says plainly when one cannot be loaded and goes on
# without it, so a failure here is only reported.
bench_install_peers() {
    local tag="$1" pkg
    local missing=()
    command -v dpkg >/dev/null 2>&1 || return 0
    for pkg in libmimalloc-dev libjemalloc-dev; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ] && [ "${MK_BENCH_NO_INSTALL:-0}" != 1 ]; then
        if bench_can_install; then
            echo "$tag: installing ${missing[*]}" >&2
            if ! bench_apt_install "${missing[@]}"; then
                echo "$tag: apt-get failed; the missing peers will be skipped" >&2
            fi
        else
            echo "$tag: ${missing[*]} missing and not root: those peers will be skipped" >&2
        fi
    fi
}

# bench_install_dpdk TAG: install libdpdk-dev (and pkg-config) when `pkg-config
# libdpdk` finds nothing and it may (the async bench's DPDK rows). Sets
# `dpdk_missing` to "" when DPDK can be built against, else to why not (the
# bench then prints "DPDK skipped: <why>" and goes on without it).
bench_install_dpdk() {
    local tag="$1"
    dpdk_missing=""
    if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libdpdk; then
        return 0
    fi
    if bench_can_install; then
        echo "$tag: installing libdpdk-dev" >&2
        bench_apt_install libdpdk-dev pkg-config || echo "$tag: apt-get failed; the DPDK rows will be skipped" >&2
        if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libdpdk; then
            return 0
        fi
    fi
    if ! command -v pkg-config >/dev/null 2>&1; then
        dpdk_missing="pkg-config not installed (apt-get install pkg-config libdpdk-dev)"
    else
        dpdk_missing="pkg-config finds no libdpdk (apt-get install libdpdk-dev)"
    fi
    echo "$tag: $dpdk_missing: the DPDK rows will be skipped" >&2
}

# bench_dpdk_cflags: DPDK's compile flags, its include directories as -isystem
# so that the bench's warnings (-Wpedantic -Wconversion) stay on our code.
bench_dpdk_cflags() {
    pkg-config --cflags libdpdk | sed -E 's/(^| )-I/\1-isystem /g'
}

# bench_try_python: sets `py` to the first of $PYTHON, python3, /usr/bin/python3
# that imports jinja2, or to "" when none does.
bench_try_python() {
    local cand
    py=""
    for cand in ${PYTHON:-} python3 /usr/bin/python3; do
        if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import jinja2' >/dev/null 2>&1; then
            py="$cand"
            return
        fi
    done
}

# bench_find_python TAG: sets `py` to a python3 with jinja2 (for memkit-gen),
# installing python3-jinja2 when there is none and it may; exits 1 without one.
bench_find_python() {
    local tag="$1"
    bench_try_python
    if [ -z "$py" ] && bench_can_install; then
        echo "$tag: installing python3-jinja2" >&2
        bench_apt_install python3-jinja2 || true
        bench_try_python
    fi
    if [ -z "$py" ]; then
        echo "$tag: no python3 with jinja2 found (apt-get install python3-jinja2, or set PYTHON)" >&2
        exit 1
    fi
}

# bench_build GEN BIN SRC [ARG...]: compiles SRC with memkit's runtime and the
# configuration generated into GEN (by memkit-gen) into BIN; ARGs (more
# sources, -D flags, libraries) go last on the compiler's command line.
bench_build() {
    local gen="$1" bin="$2" src="$3" memkit_srcs memkit_incs
    shift 3
    # the runtime library's sources (a GPU backend is added by the caller)
    # shellcheck source=../cmake/runtime_sources.sh
    . cmake/runtime_sources.sh
    memkit_runtime_sources .
    "$CC" "${bench_cflags[@]}" "${memkit_incs[@]}" -I"$gen" -o "$bin" \
        "$src" "${memkit_srcs[@]}" "$gen/memkit_config.c" -lpthread "$@"
}

# bench_run BIN [ARG...]: prints the machine line and runs BIN, a benchmark
# that dlopens the peers.
bench_run() {
    local bin="$1"
    shift
    # jemalloc's TLS block is in the static TLS model (2.6 KiB); glibc keeps only
    # 512 B spare for libraries dlopen'ed later, so give it room.
    export GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.rtld.optional_static_tls=65536"
    echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $("$CC" --version | head -1)"
    "$bin" "$@"
}
