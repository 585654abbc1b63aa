# shellcheck shell=bash disable=SC2034  # root and warnings are for the caller
# common.sh — what the packaging tests share. Sourced, not run.

# The memkit checkout these tests belong to.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../../cmake/runtime_sources.sh
. "$root/cmake/runtime_sources.sh"

# memkit's warnings (CMakeLists.txt): what a user's build of the runtime must pass.
warnings="-Wall -Wextra -Wpedantic -Wconversion -Werror"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Prints the runtime's sources (cmake/runtime_sources.sh), relative to the
# checkout, one a line, sorted: the set every other list must equal.
expected_sources() {
    memkit_runtime_sources "$root"
    printf '%s\n' "${memkit_srcs[@]#"$root"/}" | LC_ALL=C sort
}

# same_set WHAT LIST: fails unless LIST (one path a line) is expected_sources.
same_set() {
    local what=$1 list=$2
    if ! diff <(expected_sources) <(printf '%s\n' "$list" | LC_ALL=C sort) >&2; then
        fail "$what is not cmake/runtime_sources.sh's set (diff above: < missing, > extra)"
    fi
}

# expect_line TEXT REGEX WHAT: fails unless a line of TEXT matches REGEX.
expect_line() {
    grep -Eq -- "$2" <<<"$1" || { printf '%s\n' "$1" >&2; fail "$3: no line matches /$2/"; }
}
