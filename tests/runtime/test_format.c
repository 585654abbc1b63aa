/* test_format.c — the runtime's own formatting (runtime/src/diagnostics/format.c), which
 * every build uses for reports, stats tables and panics so that builds
 * without stdio print the same text: checked against the C library's
 * snprintf for every conversion, flag, width and length the runtime uses,
 * truncation included, and mk__format_bytes against "%.1f". Standalone. */
#include "diagnostics/format.h"
#include "../unit_check.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Formats with both and compares text and returned length, into a buffer of
 * every size up to the whole text (truncation). */
#define SAME(...)                                                                                                  \
    do {                                                                                                           \
        char want_[256], got_[256];                                                                                \
        int want_n_ = snprintf(want_, sizeof want_, __VA_ARGS__);                                                  \
        int got_n_ = mk__format(got_, sizeof got_, __VA_ARGS__);                                                   \
        CHECK_EQ(got_n_, want_n_);                                                                                 \
        if (strcmp(got_, want_) != 0)                                                                              \
            fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, got_, want_);                         \
        CHECK(strcmp(got_, want_) == 0);                                                                           \
        for (size_t len_ = 0; len_ <= (size_t)want_n_ + 1u && len_ < sizeof want_; len_++) {                       \
            char cut_[256], ref_[256];                                                                             \
            memset(cut_, 'Z', sizeof cut_);                                                                        \
            memset(ref_, 'Z', sizeof ref_);                                                                        \
            CHECK_EQ(mk__format(cut_, len_, __VA_ARGS__), want_n_);                                                \
            CHECK_EQ(snprintf(ref_, len_, __VA_ARGS__), want_n_);                                                  \
            CHECK(memcmp(cut_, ref_, sizeof cut_) == 0);                                                           \
        }                                                                                                          \
    } while (0)

static void test_integers(void)
{
    SAME("%d %d %d %i", 0, 42, -42, -2147483647 - 1);
    SAME("%u %u", 0u, 4294967295u);
    SAME("%x %X %08x %8x %-8x|", 0xdeadbeefu, 0xdeadbeefu, 0x12u, 0x12u, 0x12u);
    SAME("%llu %lld %lld", 18446744073709551615ull, -9223372036854775807ll - 1, 123ll);
    SAME("%lu %ld %zu %zd", 4000000000ul, -5l, (size_t)SIZE_MAX, (ptrdiff_t)-7);
    SAME("%hhu %hhd %hu %hd", (unsigned char)250, (signed char)-100, (unsigned short)60000, (short)-30000);
    SAME("%ju %jd %td", (uintmax_t)UINTMAX_MAX, (intmax_t)-1, (ptrdiff_t)12);
    SAME("%10llu|%-10llu|%010llu|%8u|%-5d|%05d", 7ull, 7ull, 7ull, 123456789u, -3, -3);
    SAME("%*d|%-*d|%*d", 6, 12, 6, 12, -6, 12);
}

static void test_strings_and_pointers(void)
{
    SAME("%s|%-16s|%16s|%.3s|%.12s|%-7.2s|", "abc", "intent", "intent", "abcdef", "0123456789abcdef", "xyz");
    SAME("%.*s|%c|%5c|%-3c|%%|100%%", 2, "abcd", 'q', 'r', 's');
    int x;
    SAME("%p %p", (void *)&x, (void *)NULL);
    SAME("%s", "");
    SAME("plain text, no conversion");
}

static int x_for_lines;

/* The widest lines the runtime prints: a stats row and a report. */
static void test_runtime_lines(void)
{
    SAME("%-16s %-5s %12s %12s %12s %12s %10llu %8llu", "particles", "pool", "1.5 MiB", "2.0 MiB", "-", "-",
         123456789ull, 0ull);
    SAME("memkit: block %p (intent '%s', %llu bytes): canary overwritten", (void *)&x_for_lines, "audio", 48ull);
    SAME("mk_init from code generated for config %.12s... reached a runtime built for config %.12s...",
         "0123456789abcdef0123", "fedcba9876543210");
}

/* mk__format_bytes(b) is what the stats tables printed with "%.1f" before. */
static bool bytes_as_printf(uint64_t b)
{
    char got[32], want[32];
    mk__format_bytes(got, sizeof got, b);
    if (b >= (1u << 20))
        snprintf(want, sizeof want, "%.1f MiB", (double)b / (1024.0 * 1024.0));
    else if (b >= 1024u)
        snprintf(want, sizeof want, "%.1f KiB", (double)b / 1024.0);
    else
        snprintf(want, sizeof want, "%llu B", (unsigned long long)b);
    if (strcmp(got, want) == 0)
        return true;
    fprintf(stderr, "bytes %llu: \"%s\" != \"%s\"\n", (unsigned long long)b, got, want);
    return false;
}

static void test_bytes(void)
{
    /* every exact tie and its neighbours, and a sweep: as "%.1f" */
    uint64_t samples[] = {0, 1, 1023, 1024, 1075, 1076, 1126, 1127, 1128, 1536, 10240, 1048575, 1048576,
                          1101004, 1101005, 1153433, 1310720, 1363148, 1363149, 4194304, 1073741824,
                          (uint64_t)5 << 30, ((uint64_t)1 << 40) + 12345};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        CHECK(bytes_as_printf(samples[i]));
    unsigned mismatches = 0;
    for (uint64_t b = 0; b < ((uint64_t)3 << 20); b += 37u) /* ties fall on multiples of 51.2 and 52428.8 */
        mismatches += !bytes_as_printf(b);
    CHECK_EQ(mismatches, 0u);
    char small[6];
    mk__format_bytes(small, sizeof small, 1310720); /* "1.2 MiB", cut */
    CHECK(strcmp(small, "1.2 M") == 0);
}

int main(void)
{
    test_integers();
    test_strings_and_pointers();
    test_runtime_lines();
    test_bytes();
    return unit_check_finish("test_format");
}
