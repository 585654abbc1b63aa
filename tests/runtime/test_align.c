/* test_align.c — the frame tier's and the heap's address arithmetic
 * (runtime/src/tiers/align.h) at the top of the address space, where
 * `(p + align - 1) & ~(align - 1)` wraps: on a 32-bit target a cursor above
 * 2 GiB and an alignment of 2 GiB gave a block at address 0 (NULL, with
 * MK_OK) and moved the cursor there. The cases are written relative to
 * UINTPTR_MAX, so they hold on 32- and 64-bit targets alike.
 */
#include "tiers/align.h"
#include "../unit_check.h"

#define HALF ((uintptr_t)1 << (sizeof(uintptr_t) * 8u - 1u)) /* the largest power of two */
#define TOP ((uintptr_t)UINTPTR_MAX)

static void test_pad(void)
{
    CHECK_EQ(mk__align_pad(0u, 16u), 0u);
    CHECK_EQ(mk__align_pad(1u, 16u), 15u);
    CHECK_EQ(mk__align_pad(32u, 16u), 0u);
    CHECK_EQ(mk__align_pad(TOP, 16u), 1u);           /* the next boundary is past the top */
    CHECK_EQ(mk__align_pad(HALF + 16u, HALF), HALF - 16u);
    CHECK_EQ(mk__align_pad(HALF, HALF), 0u);
    CHECK_EQ(mk__align_pad(TOP - 4095u, 4096u), 0u);  /* the last page */
}

/* The cursor above half the address space, an alignment of half of it: the
 * next boundary is the top itself, so nothing fits. */
static void test_carve_half_alignment_above_half(void)
{
    uintptr_t out = 12345u;
    uintptr_t cursor = HALF + 0x1000u, limit = HALF + 0x11000u; /* a 64 KiB arena above 2 GiB (32-bit) */
    CHECK(!mk__carve(cursor, limit, HALF, 16u, &out));
    CHECK_EQ(out, 12345u); /* untouched */
    for (uintptr_t align = 1u << 17; align != 0u; align <<= 1)
        CHECK(!mk__carve(cursor, limit, align, 16u, &out));
    /* at an aligned cursor the same alignment costs nothing */
    CHECK(mk__carve(HALF, HALF + 0x10000u, HALF, 16u, &out));
    CHECK_EQ(out, HALF);
}

static void test_carve_at_the_top(void)
{
    uintptr_t out = 0;
    uintptr_t limit = TOP - 15u;     /* an arena that ends 16 bytes below the top */
    uintptr_t cursor = limit - 256u;
    CHECK(mk__carve(cursor, limit, 16u, 256u, &out)); /* exactly the room left */
    CHECK_EQ(out, cursor);
    CHECK(!mk__carve(cursor, limit, 16u, 257u, &out));
    CHECK(!mk__carve(cursor + 16u, limit, 512u, 16u, &out)); /* the boundary lies past the limit */
    CHECK(!mk__carve(limit, limit, 16u, 1u, &out));         /* a full arena */
    CHECK(mk__carve(limit, limit, 16u, 0u, &out));          /* nothing fits in nothing */
    CHECK(!mk__carve(cursor, limit, 16u, TOP, &out));       /* a request the size of the space */
}

/* Addresses in twice the width, where rounding up cannot wrap: the
 * reference the helpers are checked against. */
#if UINTPTR_MAX == 0xFFFFFFFFu
typedef uint64_t wide_t;
#else
__extension__ typedef unsigned __int128 wide_t;
#endif

/* Every result lies in [cursor, limit) and is aligned, and the helpers agree
 * with rounding done in twice the width. */
static void test_carve_property(void)
{
    uint64_t rng = 0x9E3779B97F4A7C15u;
    for (unsigned i = 0; i < 200000u; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        uintptr_t span = (uintptr_t)(rng & 0xFFFFFu);
        uintptr_t limit = TOP - (uintptr_t)((rng >> 20) & 0xFFFFu);
        uintptr_t cursor = limit - (span < limit ? span : limit);
        uintptr_t align = (uintptr_t)1 << ((rng >> 40) % (sizeof(uintptr_t) * 8u));
        uintptr_t n = (uintptr_t)((rng >> 48) & 0xFFFFu);
        uintptr_t out = 0;
        bool fits = mk__carve(cursor, limit, align, n, &out);
        wide_t first = ((wide_t)cursor + align - 1u) / align * align;
        bool expected = first + n <= (wide_t)limit;
        CHECK(fits == expected);
        CHECK((wide_t)mk__align_pad(cursor, align) == first - cursor);
        if (fits) {
            CHECK((out & (align - 1u)) == 0u);
            CHECK(out >= cursor && out <= limit && n <= limit - out);
        }
    }
}

int main(void)
{
    test_pad();
    test_carve_half_alignment_above_half();
    test_carve_at_the_top();
    test_carve_property();
    return unit_check_finish("test_align");
}
