#!/usr/bin/env bash
# install_prefix.sh WORK PYTHON CC GENERATOR MAKEPROGRAM VERSION — memkit as
# a package. `cmake --install` into a staging prefix, which is then moved
# (nothing installed may name where it was put); the prefix holds every
# public header, and its bin/memkit-gen, run from PATH, writes what the
# checkout's generator writes; memkit.pc validates and points into the prefix,
# with the runtime's sources; then examples/consumer builds with
# find_package(memkit) against the prefix (and a project calling it in two
# folders configures the whole runtime in both), and examples/make with
# pkg-config, both warning-free, and both run. No file of the prefix or of
# either build names the checkout.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
work=$1 python=$2 cc=$3 generator=$4 makeprogram=$5 version=$6
rm -rf "$work"
mkdir -p "$work"
jobs=${JOBS:-2}
quiet() { # runs a command, showing its output only when it fails
    "$@" >"$work/step.log" 2>&1 || { cat "$work/step.log" >&2; fail "$*"; }
}

quiet cmake -S "$root" -B "$work/memkit-build" -G "$generator" -DCMAKE_MAKE_PROGRAM="$makeprogram" \
    -DMEMKIT_BUILD_TESTS=OFF -DMEMKIT_BUILD_EXAMPLES=OFF -DMEMKIT_PYTHON="$python" -DCMAKE_C_COMPILER="$cc"
quiet cmake --install "$work/memkit-build" --prefix "$work/staged"
mv "$work/staged" "$work/prefix"
prefix=$work/prefix

# The headers: all of the checkout's public ones, nothing else.
headers() { (cd "$1" && find . -type f | LC_ALL=C sort); }
diff <(for d in runtime async gpu; do headers "$root/$d/include"; done | LC_ALL=C sort) <(headers "$prefix/include") >&2 ||
    fail "<prefix>/include is not the union of runtime/, async/ and gpu/include (diff above)"

# memkit-gen on PATH, from elsewhere: the same output as the checkout's generator.
PATH="$prefix/bin:$(dirname "$python"):$PATH" # memkit-gen's `env python3` is PYTHON
export PATH
[ "$(command -v memkit-gen)" = "$prefix/bin/memkit-gen" ] || fail "memkit-gen on PATH is not <prefix>/bin/memkit-gen"
cp -R "$root/examples/consumer" "$work/consumer"
(cd "$work" && quiet memkit-gen consumer/memkit.toml -o generated)
quiet "$python" "$root/generator/memkit-gen" "$work/consumer/memkit.toml" -o "$work/generated" --check

# memkit-lens on PATH: explain reads the installed catalogue, map the installed generator.
[ "$(command -v memkit-lens)" = "$prefix/bin/memkit-lens" ] || fail "memkit-lens on PATH is not <prefix>/bin/memkit-lens"
(cd "$work" && memkit-lens explain ML201 >lens_explain.txt) || fail "memkit-lens explain ML201 failed from the prefix"
grep -q "ML201" "$work/lens_explain.txt" || fail "memkit-lens explain ML201 did not print the ML201 entry"
(cd "$work" && memkit-lens map consumer/memkit.toml -o map.svg) || fail "memkit-lens map failed from the prefix"
grep -q "<svg" "$work/map.svg" || fail "memkit-lens map wrote no SVG"

# memkit.pc
export PKG_CONFIG_PATH=$prefix/share/pkgconfig
quiet pkg-config --validate memkit
[ "$(pkg-config --modversion memkit)" = "$version" ] || fail "memkit.pc's version is not $version"
same_dir() { [ "$(cd "$1" && pwd -P)" = "$(cd "$2" && pwd -P)" ]; }
cflags=$(pkg-config --cflags memkit)
if ! [[ $cflags =~ ^-I([^ ]+)\ *$ ]] || ! same_dir "${BASH_REMATCH[1]}" "$prefix/include"; then
    fail "pkg-config --cflags memkit is '$cflags', not -I<prefix>/include"
fi
gen=$(pkg-config --variable=memkit_gen memkit)
if ! [ -x "$gen" ] || [ "$(realpath "$gen")" != "$(realpath "$prefix/bin/memkit-gen")" ]; then
    fail "memkit.pc's memkit_gen ($gen) is not <prefix>/bin/memkit-gen"
fi
datadir=$(pkg-config --variable=pkgdatadir memkit)
same_dir "$datadir" "$prefix/share/memkit" || fail "memkit.pc's pkgdatadir ($datadir) is not <prefix>/share/memkit"
sources=$(pkg-config --variable=runtime_sources memkit | tr ' ' '\n')
for src in $sources; do [ -f "$src" ] || fail "memkit.pc names $src, which is not installed"; done
same_set "memkit.pc's runtime_sources" "${sources//"$datadir/"/}"

# examples/consumer: find_package(memkit) through CMAKE_PREFIX_PATH alone.
quiet cmake -S "$work/consumer" -B "$work/consumer-build" -G "$generator" -DCMAKE_MAKE_PROGRAM="$makeprogram" \
    -DCMAKE_PREFIX_PATH="$prefix" -DMEMKIT_PYTHON="$python" -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$warnings"
grep -qx "memkit_DIR:PATH=$prefix/share/memkit/cmake" "$work/consumer-build/CMakeCache.txt" ||
    fail "find_package(memkit) did not find <prefix>/share/memkit/cmake"
quiet cmake --build "$work/consumer-build" -j "$jobs"
expect_line "$("$work/consumer-build/app")" '^memkit consumer: sum of squares 328350 ' "examples/consumer's output"

# find_package(memkit) in two sibling folders: each one's memkit_generate()
# builds the whole runtime (configured only: the variables are what matters).
mkdir -p "$work/siblings/a" "$work/siblings/b"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(siblings C)\nadd_subdirectory(a)\nadd_subdirectory(b)\n' \
    >"$work/siblings/CMakeLists.txt"
for d in a b; do
    cat >"$work/siblings/$d/CMakeLists.txt" <<EOF_CMAKE
find_package(memkit REQUIRED)
memkit_generate(TARGET memkit_$d CONFIG "$work/consumer/memkit.toml")
get_target_property(sources memkit_$d SOURCES)
list(LENGTH sources count)
message(STATUS "memkit_$d: \${count} sources")
EOF_CMAKE
done
quiet cmake -S "$work/siblings" -B "$work/siblings-build" -G "$generator" -DCMAKE_MAKE_PROGRAM="$makeprogram" \
    -DCMAKE_PREFIX_PATH="$prefix" -DMEMKIT_PYTHON="$python" -DCMAKE_C_COMPILER="$cc"
count=$(($(expected_sources | wc -l) + 1)) # and memkit_config.c
for d in a b; do
    grep -qx -- "-- memkit_$d: $count sources" "$work/step.log" ||
        fail "memkit_generate() in folder $d does not build the $count sources of the runtime"
done

# examples/make: pkg-config alone.
cp -R "$root/examples/make" "$work/make"
rm -rf "$work/make/build"
quiet make -C "$work/make" -j"$jobs" MEMKIT=pkg-config CC="$cc" CFLAGS="-O1 $warnings"
expect_line "$("$work/make/build/wordcount")" '^the 3$' "examples/make's output"

# Nothing names the checkout (sources, headers, generator, templates) or the staging prefix.
patterns=(-e "$work/staged")
for d in runtime async gpu generator templates cmake examples; do patterns+=(-e "$root/$d/"); done
refs=$(grep -rlF "${patterns[@]}" "$prefix" "$work/consumer-build" "$work/make" || true)
[ -z "$refs" ] || fail "these files name the checkout or the staging prefix: $refs"
echo "ok: installed to a moved prefix; examples/consumer (find_package) and examples/make (pkg-config) build and run against it"
