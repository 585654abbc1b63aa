/* test_override_glob.c — the glob of [override] module rules
 * (integrations/override/override_glob.h) against glibc's fnmatch(3), which
 * the interposer cannot call (it may allocate in a multibyte locale): fixed
 * cases, then 200 000 random well-formed patterns and names. */
#define _GNU_SOURCE /* fnmatch */
#include "override_glob.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void expect(const char *pattern, const char *name, bool want)
{
    if (mko_glob(pattern, name) != want) {
        fprintf(stderr, "mko_glob(\"%s\", \"%s\") is %d, expected %d\n", pattern, name, !want, want);
        failures++;
    }
}

static unsigned long long state = 0x9e3779b97f4a7c15ull;
static unsigned next(unsigned n)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (unsigned)(state % n);
}

/* A pattern as memkit-gen accepts it: literals, '*', '?', and closed sets. */
static void random_pattern(char *out, size_t cap)
{
    static const char lit[] = "ab.-_1";
    size_t n = 0;
    unsigned tokens = 1 + next(6);
    for (unsigned t = 0; t < tokens && n + 8 < cap; t++) {
        unsigned kind = next(6);
        if (kind == 0) {
            out[n++] = '*';
        } else if (kind == 1) {
            out[n++] = '?';
        } else if (kind == 2) {
            out[n++] = '[';
            if (next(3) == 0)
                out[n++] = next(2) ? '!' : '^';
            unsigned members = 1 + next(3);
            for (unsigned m = 0; m < members; m++) {
                out[n++] = lit[next(sizeof lit - 1)];
                if (next(3) == 0) {
                    out[n++] = '-';
                    out[n++] = lit[next(sizeof lit - 1)];
                }
            }
            out[n++] = ']';
        } else {
            out[n++] = lit[next(sizeof lit - 1)];
        }
    }
    out[n] = '\0';
}

int main(void)
{
    expect("libsqlite3.so*", "libsqlite3.so.0", true);
    expect("libsqlite3.so*", "libsqlite3.so", true);
    expect("libsqlite3.so*", "libsqlite3.sox", true);
    expect("libsqlite3.so*", "libsqlite.so.0", false);
    expect("<main>", "<main>", true);
    expect("<main>", "main", false);
    expect("lib?.so", "libz.so", true);
    expect("lib?.so", "libzz.so", false);
    expect("lib[a-c]*.so*", "libbar.so.1", true);
    expect("lib[!a-c]*.so*", "libbar.so.1", false);
    expect("lib[^a-c]*.so*", "libzed.so", true);
    expect("*", "", true);
    expect("a*b*c", "axxbyyc", true);
    expect("a*b*c", "axxbyy", false);
    expect("*.so.*", "libm.so.6", true);
    expect("[]a]x", "]x", true);
    char pattern[64], name[16];
    static const char chars[] = "ab.-_1[]!^*?";
    for (int i = 0; i < 200000; i++) {
        random_pattern(pattern, sizeof pattern);
        size_t len = next(8);
        for (size_t k = 0; k < len; k++)
            name[k] = chars[next(6 + (next(8) == 0 ? 6 : 0))];
        name[len] = '\0';
        bool want = fnmatch(pattern, name, 0) == 0;
        if (mko_glob(pattern, name) != want) {
            fprintf(stderr, "mko_glob(\"%s\", \"%s\") disagrees with fnmatch (%d)\n", pattern, name, want);
            if (++failures > 20)
                break;
        }
    }
    printf("%s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
