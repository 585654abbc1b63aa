/* main.c — memkit on a bare-metal Cortex-M4 (memkit.toml: one thread, every
 * tier in static storage; the runtime built with MK_OS=none and
 * MK_NO_STDIO=1). Checks each tier, the budgets, the stats, mk_validate and
 * shutdown, prints the stats table through semihosting and exits with the
 * number of failed checks: QEMU's exit status is the verdict (docs/embedded.md). */
#include <memkit/memkit.h>

#include "semihost.h"

#include <string.h>

static unsigned checks, failures;

/* Text without printf: the decimal digits of v. */
static const char *decimal(unsigned long v, char buf[static 24])
{
    char *p = buf + 23;
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    return p;
}

static void check(int ok, const char *what, int line)
{
    checks++;
    if (ok)
        return;
    failures++;
    char buf[24];
    semihost_write("baremetal: FAILED: ");
    semihost_write(what);
    semihost_write(" (main.c:");
    semihost_write(decimal((unsigned long)line, buf));
    semihost_write(")\n");
}
#define CHECK(cond) check((cond) != 0, #cond, __LINE__)

/* memkit's lines (stats, validation, its messages) to the debugger's console. */
static void to_console(const char *line, void *user)
{
    (void)user;
    semihost_write(line);
    semihost_write("\n");
}

static void on_panic(const char *reason, void *user)
{
    (void)user;
    semihost_write("baremetal: memkit panicked: ");
    semihost_write(reason);
    semihost_write("\n");
    semihost_exit(3);
}

static int aligned(const void *p, unsigned long a) { return ((uintptr_t)p & (a - 1u)) == 0u; }

static mk_intent_stats_t intent_stats(mk_intent_t intent)
{
    mk_stats_t s;
    CHECK(mk_stats_get(&s) == MK_OK);
    return s.intents[intent];
}

/* Sensor samples live in the frame arena for frames_in_flight frames. */
static void frames(void)
{
    uint32_t *kept = NULL;
    for (uint32_t f = 0; f < 6; f++) {
        mk_begin_frame();
        uint32_t *samples = mk_alloc(MK_INTENT_SENSOR, 64 * sizeof *samples);
        CHECK(samples != NULL && aligned(samples, MKG_ALIGNMENT));
        if (samples == NULL)
            return;
        for (uint32_t i = 0; i < 64; i++)
            samples[i] = f * 1000u + i;
        if (kept != NULL) /* the previous frame's data is still there */
            CHECK(kept[63] == (f - 1u) * 1000u + 63u);
        kept = samples;
        CHECK(mk_alloc_aligned(MK_INTENT_SENSOR, 24, 64) != NULL);
        mk_end_frame();
    }
    mk_begin_frame();
    /* the 12 KiB budget stops a frame before the 16 KiB arena is full */
    void *big = mk_alloc(MK_INTENT_SENSOR, 13 * 1024);
    CHECK(big == NULL && mk_last_error() == MK_EBUDGET);
    CHECK(mk_alloc(MK_INTENT_SENSOR, 8 * 1024) != NULL);
    mk_end_frame();
    CHECK(mk_frame_index() == 7u);
}

/* Packets come from the pool's size classes and go back on free. */
static void pools(void)
{
    void *packets[64];
    unsigned n = 0;
    for (; n < 64; n++) {
        packets[n] = mk_alloc(MK_INTENT_PACKETS, 100); /* class 128 */
        if (packets[n] == NULL)
            break;
        memset(packets[n], (int)n, 100);
    }
    /* 16 KiB of budget holds 128 blocks of 128 B: all 64 fit */
    CHECK(n == 64u);
    CHECK(mk_usable_size(packets[0]) == 128u);
    CHECK(intent_stats(MK_INTENT_PACKETS).current == 64u * 128u);
    for (unsigned i = 0; i < n; i++) {
        const unsigned char *p = packets[i];
        CHECK(p[0] == (unsigned char)i && p[99] == (unsigned char)i);
        mk_free(packets[i]);
    }
    CHECK(intent_stats(MK_INTENT_PACKETS).current == 0u);
    void *small = mk_alloc(MK_INTENT_PACKETS, 10); /* class 16 */
    CHECK(small != NULL && mk_usable_size(small) == 16u);
    mk_free_sized(MK_INTENT_PACKETS, small, 10);
    /* above the largest class: served by the heap (oversize = "heap"), charged to packets */
    void *large = mk_alloc(MK_INTENT_PACKETS, 4096);
    CHECK(large != NULL && mk_usable_size(large) >= 4096u);
    CHECK(intent_stats(MK_INTENT_PACKETS).oversize == 1u);
    mk_free(large);
}

/* Buffers come from the TLSF heap: any size, realloc, alignment. */
static void heaps(void)
{
    unsigned char *a = mk_alloc(MK_INTENT_BUFFERS, 3000);
    unsigned char *b = mk_alloc_aligned(MK_INTENT_BUFFERS, 500, 256);
    CHECK(a != NULL && b != NULL && aligned(b, 256));
    if (a == NULL || b == NULL)
        return;
    memset(a, 0xA5, 3000);
    a = mk_realloc(MK_INTENT_BUFFERS, a, 9000);
    CHECK(a != NULL && a[0] == 0xA5 && a[2999] == 0xA5);
    CHECK(mk_alloc(MK_INTENT_BUFFERS, 40 * 1024) == NULL); /* the heap has room, the 48 KiB budget not */
    CHECK(mk_last_error() == MK_EBUDGET);
    mk_free(a);
    mk_free(b);
    CHECK(intent_stats(MK_INTENT_BUFFERS).current == 0u);
    CHECK(intent_stats(MK_INTENT_BUFFERS).peak >= 9000u);
}

int main(void)
{
    mk_set_message_sink(to_console, NULL);
    mk_set_panic_handler(on_panic, NULL);
    semihost_write("baremetal: memkit on a Cortex-M4, no OS, no stdio\n");
    CHECK(mk_init(&mkg_config) == MK_OK);
    frames();
    pools();
    heaps();
    CHECK(mk_validate() == MK_OK);
    CHECK(mk_validate_write(to_console, NULL) == MK_OK);
    mk_stats_write(to_console, NULL);
    mk_stats_t s;
    CHECK(mk_stats_get(&s) == MK_OK && s.tiers[MK_TIER_HEAP].capacity == MKG_HEAP_BYTES);
    CHECK(mk_shutdown() == 0u); /* everything was freed */
    /* a second run of the same storage, and a leak that shutdown counts */
    CHECK(mk_init(&mkg_config) == MK_OK);
    CHECK(mk_alloc(MK_INTENT_PACKETS, 32) != NULL);
    CHECK(mk_shutdown() == 1u);
    char buf[24];
    semihost_write("baremetal: ");
    semihost_write(decimal(checks, buf));
    semihost_write(" checks, ");
    semihost_write(decimal(failures, buf));
    semihost_write(" failed\n");
    return failures == 0u ? 0 : 1;
}
