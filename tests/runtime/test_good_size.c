/* test_good_size.c — mk_good_size against what mk_alloc really hands out
 * (config tests/configs/basic.toml: pool `small` with classes 16/32/64 shared
 * by `entity` (oversize = "fail") and `particle` (oversize to the heap), the
 * heap intents `blob` and `tight`, the frame intent `scratch`). The figure is
 * what an adapter's "round up" hook reports (SQLite's xRoundup), so it must
 * never exceed the usable size of the block a request of that size gets, and
 * asking for the figure itself must give a block of the same figure.
 */
#include "check.h"

#include <stdint.h>

/* good_size(n) is at least n, at most the usable size of a real block of n
 * (a TLSF block the heap does not split holds up to 16 bytes more), and
 * stable: a request of good_size(n) gets the same figure. */
static void check_against_alloc(mk_intent_t intent, size_t n)
{
    size_t good = mk_good_size(intent, n);
    CHECK(good >= n);
    void *p = mk_alloc(intent, n);
    CHECK(p != NULL);
    if (p == NULL)
        return;
    size_t usable = mk_usable_size(p);
    if (good > usable || usable - good > 16u)
        fprintf(stderr, "intent %s, size %zu: good %zu, usable %zu\n", mk_intent_name(intent), n, good, usable);
    CHECK(good <= usable);
    CHECK(usable - good <= 16u);
    CHECK_EQ(mk_good_size(intent, good), good);
    mk_free(p);
}

static void test_pool_classes(void)
{
    for (size_t n = 0; n <= 64; n++) {
        check_against_alloc(MK_INTENT_ENTITY, n);
        CHECK_EQ(mk_good_size(MK_INTENT_ENTITY, n), n <= 16 ? 16u : n <= 32 ? 32u : 64u);
    }
    /* entity's oversize = "fail": never served above the largest class */
    CHECK_EQ(mk_good_size(MK_INTENT_ENTITY, 65), 0u);
    CHECK(mk_alloc(MK_INTENT_ENTITY, 65) == NULL);
    /* particle's go to the heap: the heap's figure */
    for (size_t n = 65; n <= 4096; n += 61)
        check_against_alloc(MK_INTENT_PARTICLE, n);
    CHECK_EQ(mk_good_size(MK_INTENT_PARTICLE, 65), mk_good_size(MK_INTENT_BLOB, 65));
}

static void test_heap_sizes(void)
{
    /* from 1: a heap block of 0 bytes has no usable byte where AddressSanitizer
     * is told of blocks (its redzone is all of it) */
    for (size_t n = 1; n <= 20000; n += (n < 600 ? 1 : 97))
        check_against_alloc(MK_INTENT_BLOB, n);
    CHECK_EQ(mk_good_size(MK_INTENT_BLOB, 100000), 100000u);
    CHECK_EQ(mk_good_size(MK_INTENT_BLOB, 100001), 100016u);
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOB).current, 0u);
}

static void test_frame_and_bad_input(void)
{
    CHECK_EQ(mk_good_size(MK_INTENT_SCRATCH, 1), (size_t)MKG_ALIGNMENT);
    CHECK_EQ(mk_good_size(MK_INTENT_SCRATCH, 100), (size_t)((100 + MKG_ALIGNMENT - 1) / MKG_ALIGNMENT * MKG_ALIGNMENT));
    CHECK_EQ(mk_good_size((mk_intent_t)MKG_INTENT_COUNT, 16), 0u);
    CHECK_EQ(mk_good_size(MK_INTENT_BLOB, SIZE_MAX), 0u);
    CHECK_EQ(mk_good_size(MK_INTENT_SCRATCH, SIZE_MAX), 0u);
}

int main(void)
{
    /* a pure function of the config: it needs no mk_init */
    CHECK_EQ(mk_good_size(MK_INTENT_ENTITY, 20), 32u);
    RUN(test_pool_classes);
    RUN(test_heap_sizes);
    RUN(test_frame_and_bad_input);
    return check_finish("good_size");
}
