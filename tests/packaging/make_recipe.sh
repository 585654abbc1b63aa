#!/usr/bin/env bash
# make_recipe.sh OUT CC [PYTHON] — examples/make as a user runs it, against
# this checkout: GNU make builds it with every output under O=OUT (the
# checkout is left untouched), warning-free under memkit's warnings, and it
# runs and counts right; an up-to-date build does nothing; editing the config
# re-runs memkit-gen and the program follows the new budget; and the runtime
# objects it compiled are exactly cmake/runtime_sources.sh's set.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
out=$1 cc=$2 python=${3:-}
rm -rf "$out"
mkdir -p "$out"
touch "$out/started"
cp "$root/examples/make/memkit.toml" "$out/memkit.toml" # the copy is the one edited below
recipe() {
    make -C "$root/examples/make" --no-print-directory O="$out/build" CONFIG="$out/memkit.toml" CC="$cc" \
        CFLAGS="-O1 $warnings" MEMKIT_PYTHON="$python" "$@"
}

recipe -j"${JOBS:-2}" >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; fail "make"; }
run=$("$out/build/wordcount")
expect_line "$run" '^the 3$' "wordcount's counts"
expect_line "$run" '^dog 2$' "wordcount's counts"
expect_line "$run" '^words +pool .* 96\.0 KiB ' "the words intent's budget from memkit.toml"

recipe -q || fail "a second make has work to do: the build does not settle"

sed -i 's/^budget = "96 KiB"$/budget = "80 KiB"/' "$out/memkit.toml"
grep -q '^budget = "80 KiB"$' "$out/memkit.toml" || fail "examples/make/memkit.toml no longer has the budget this test edits"
if recipe -q; then fail "make sees nothing to do after memkit.toml changed"; fi
recipe -j"${JOBS:-2}" >"$out/rebuild.log" 2>&1 || { cat "$out/rebuild.log" >&2; fail "make after the edit"; }
grep -q '^memkit-gen: wrote' "$out/rebuild.log" || fail "memkit-gen did not run after memkit.toml changed"
expect_line "$("$out/build/wordcount")" '^words +pool .* 80\.0 KiB ' "the words intent's budget after the edit"

objects=$(cd "$out/build/memkit" && find . -name '*.o' ! -name memkit_config.o | sed 's|^\./||; s|\.o$|.c|')
same_set "examples/make's runtime objects" "$objects"

changed=$(find "$root/examples/make" -newer "$out/started")
[ -z "$changed" ] || fail "the build wrote into the checkout: $changed"
echo "ok: examples/make builds under O=, runs, regenerates on a config change, compiles the runtime's set"
