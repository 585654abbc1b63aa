/* test_heap.c — unit and stress tests for the TLSF heap tier (runtime/src/tiers/heap.c).
 *
 * Build: cc -std=c11 -Iruntime/src tests/runtime/test_heap.c runtime/src/tiers/heap.c
 * Exits non-zero when a check fails; the last line summarizes.
 */
#include "tiers/heap.h"
#include "../unit_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGION_BYTES ((size_t)32 << 20)
#define HDR ((size_t)16)

static unsigned char *g_region; /* 4096-aligned, REGION_BYTES long */

static bool is_aligned(const void *p, size_t align) { return ((uintptr_t)p & (align - 1)) == 0; }

/* A fresh heap over the first `bytes` of the shared region. */
static void heap_fresh(mk__heap_t *h, size_t bytes) {
    bool ok = mk__heap_init(h, g_region, bytes);
    CHECK(ok);
    CHECK(mk__heap_check(h));
}

/* ---- fixed-seed PRNG ----------------------------------------------------- */

static uint64_t g_rng = 0x9E3779B97F4A7C15u;

static uint64_t rng_next(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static size_t rng_below(size_t n) { return (size_t)(rng_next() % n); }

/* ---- tests --------------------------------------------------------------- */

static void test_init(void) {
    mk__heap_t h;
    CHECK(!mk__heap_init(&h, NULL, 4096));
    CHECK(!mk__heap_init(&h, g_region, 0));
    CHECK(!mk__heap_init(&h, g_region, MK__HEAP_MIN_REGION - 1));
    CHECK(!mk__heap_init(&h, g_region + 8, 4096)); /* misaligned */
    if (MK__HEAP_MAX_REGION < SIZE_MAX - 16) /* rejected before the memory is touched */
        CHECK(!mk__heap_init(&h, g_region, MK__HEAP_MAX_REGION + 16));

    /* The smallest region holds exactly one 16-byte block. */
    CHECK(mk__heap_init(&h, g_region, MK__HEAP_MIN_REGION));
    CHECK(mk__heap_check(&h));
    CHECK(mk__heap_largest_free(&h) == 16);
    void *p = mk__heap_alloc(&h, 1, 16, 7);
    CHECK(p != NULL);
    CHECK(mk__heap_alloc(&h, 1, 16, 7) == NULL);
    CHECK(mk__heap_largest_free(&h) == 0);
    CHECK(mk__heap_check(&h));
    mk__heap_free(&h, p);
    CHECK(mk__heap_largest_free(&h) == 16);
    CHECK(mk__heap_check(&h));

    /* Odd lengths are rounded down to 16. */
    CHECK(mk__heap_init(&h, g_region, 4096 + 15));
    CHECK(h.bytes == 4096);
    CHECK(mk__heap_largest_free(&h) == 4096 - 2 * HDR);
    CHECK(h.free_bytes == 4096 - HDR && h.used == 0);
}

static void test_round_trip(void) {
    mk__heap_t h;
    heap_fresh(&h, 1 << 20);
    size_t initial = mk__heap_largest_free(&h);
    CHECK(initial == (1u << 20) - 2 * HDR);

    size_t sizes[] = {0, 1, 15, 16, 17, 255, 256, 257, 1000, 4096, 65536, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned char *p = mk__heap_alloc(&h, sizes[i], 16, (uint8_t)i);
        CHECK(p != NULL);
        if (!p)
            continue;
        CHECK(is_aligned(p, 16));
        CHECK(mk__heap_owns(&h, p));
        CHECK(mk__heap_usable_size(p) >= (sizes[i] ? sizes[i] : 1));
        CHECK(mk__heap_tag(p) == (uint8_t)i);
        memset(p, 0xA5, mk__heap_usable_size(p));
        CHECK(mk__heap_check(&h));
        mk__heap_free(&h, p);
        CHECK(mk__heap_largest_free(&h) == initial);
        CHECK(mk__heap_check(&h));
    }
    CHECK(h.used == 0);

    /* The largest reported request succeeds, one more byte does not. */
    void *all = mk__heap_alloc(&h, initial, 16, 1);
    CHECK(all != NULL);
    CHECK(mk__heap_largest_free(&h) == 0);
    if (all)
        mk__heap_free(&h, all);
    CHECK(mk__heap_alloc(&h, initial + 1, 16, 1) == NULL);
    CHECK(mk__heap_largest_free(&h) == initial);
    CHECK(mk__heap_check(&h));

    /* owns() is a range check on the region. */
    CHECK(mk__heap_owns(&h, g_region));
    CHECK(mk__heap_owns(&h, g_region + (1 << 20) - 1));
    CHECK(!mk__heap_owns(&h, g_region + (1 << 20)));
    CHECK(!mk__heap_owns(&h, &h));
}

static void test_alignment_and_tags(void) {
    mk__heap_t h;
    heap_fresh(&h, 4 << 20);
    size_t initial = mk__heap_largest_free(&h);
    void *ptrs[9 * 4];
    size_t n = 0;
    for (size_t align = 16; align <= 4096; align <<= 1) {
        for (size_t k = 0; k < 4; k++) {
            size_t size = 1 + k * 333;
            uint8_t tag = (uint8_t)(n * 37 + 255);
            unsigned char *p = mk__heap_alloc(&h, size, align, tag);
            CHECK(p != NULL);
            if (!p)
                continue;
            CHECK(is_aligned(p, align));
            CHECK(mk__heap_tag(p) == tag);
            CHECK(mk__heap_usable_size(p) >= size);
            memset(p, (int)n, size);
            ptrs[n++] = p;
        }
    }
    CHECK(mk__heap_check(&h));
    /* Alignments below 16 (0 included) mean 16; non-powers of two are refused. */
    void *small = mk__heap_alloc(&h, 8, 0, 0);
    CHECK(small != NULL && is_aligned(small, 16));
    void *one = mk__heap_alloc(&h, 8, 1, 0);
    CHECK(one != NULL && is_aligned(one, 16));
    CHECK(mk__heap_alloc(&h, 8, 48, 0) == NULL);
    CHECK(mk__heap_alloc(&h, 8, 4097, 0) == NULL);
    for (size_t i = 0; i < n; i++) {
        unsigned char *p = ptrs[i];
        CHECK(p[0] == (unsigned char)i);
        CHECK(mk__heap_tag(p) == (uint8_t)(i * 37 + 255));
        mk__heap_free(&h, p);
    }
    if (small)
        mk__heap_free(&h, small);
    if (one)
        mk__heap_free(&h, one);
    CHECK(mk__heap_check(&h));
    CHECK(h.used == 0);
    CHECK(mk__heap_largest_free(&h) == initial);
}

static int ptr_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return (x > y) - (x < y);
}

static void test_exhaustion(void) {
    enum { MAX_BLOCKS = 8192, BLOCK = 100 };
    static void *ptrs[MAX_BLOCKS];
    mk__heap_t h;
    heap_fresh(&h, 512 << 10);
    size_t initial = mk__heap_largest_free(&h);
    size_t n = 0;
    while (n < MAX_BLOCKS) {
        unsigned char *p = mk__heap_alloc(&h, BLOCK, 16, (uint8_t)n);
        if (!p)
            break;
        for (size_t i = 0; i < BLOCK; i += sizeof(uint32_t)) {
            uint32_t word = (uint32_t)(n * 2654435761u) ^ (uint32_t)i;
            memcpy(p + i, &word, sizeof word);
        }
        ptrs[n++] = p;
    }
    CHECK(n > 0 && n < MAX_BLOCKS);
    CHECK(mk__heap_check(&h));
    /* Whatever is left cannot hold another block. */
    CHECK(mk__heap_largest_free(&h) < BLOCK);
    CHECK(h.used + h.free_bytes == h.bytes - HDR);

    bool intact = true;
    for (size_t k = 0; k < n; k++) {
        const unsigned char *p = ptrs[k];
        for (size_t i = 0; i < BLOCK; i += sizeof(uint32_t)) {
            uint32_t word;
            memcpy(&word, p + i, sizeof word);
            if (word != ((uint32_t)(k * 2654435761u) ^ (uint32_t)i))
                intact = false;
        }
        if (mk__heap_tag(p) != (uint8_t)k)
            intact = false;
    }
    CHECK(intact);

    /* No two blocks overlap. */
    qsort(ptrs, n, sizeof ptrs[0], ptr_cmp);
    bool disjoint = true;
    for (size_t k = 1; k < n; k++)
        if ((uintptr_t)ptrs[k - 1] + mk__heap_usable_size(ptrs[k - 1]) > (uintptr_t)ptrs[k])
            disjoint = false;
    CHECK(disjoint);

    /* Free every other block (no merging), then the rest. */
    for (size_t k = 0; k < n; k += 2)
        mk__heap_free(&h, ptrs[k]);
    CHECK(mk__heap_check(&h));
    for (size_t k = 1; k < n; k += 2)
        mk__heap_free(&h, ptrs[k]);
    CHECK(mk__heap_check(&h));
    CHECK(h.used == 0);
    CHECK(mk__heap_largest_free(&h) == initial);
}

static void test_huge(void) {
    mk__heap_t h;
    heap_fresh(&h, 1 << 20);
    size_t huge[] = {SIZE_MAX, SIZE_MAX - 15, SIZE_MAX - 16, SIZE_MAX - 31, SIZE_MAX / 2,
                     SIZE_MAX / 2 + 1, (size_t)1 << 20, ((size_t)1 << 20) - 31};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        CHECK(mk__heap_alloc(&h, huge[i], 16, 0) == NULL);
        CHECK(mk__heap_alloc(&h, huge[i], 4096, 0) == NULL);
    }
    size_t top_align = (SIZE_MAX >> 1) + 1; /* the largest power of two */
    CHECK(mk__heap_alloc(&h, 16, top_align, 0) == NULL);
    CHECK(mk__heap_alloc(&h, 16, SIZE_MAX, 0) == NULL);
    CHECK(mk__heap_alloc(&h, 16, (size_t)1 << 20, 0) == NULL);

    void *p = mk__heap_alloc(&h, 64, 16, 0);
    CHECK(p != NULL);
    if (p) {
        CHECK(!mk__heap_resize(&h, p, SIZE_MAX));
        CHECK(!mk__heap_resize(&h, p, SIZE_MAX / 2));
        CHECK(mk__heap_usable_size(p) == 64);
        mk__heap_free(&h, p);
    }
    CHECK(mk__heap_check(&h));
    CHECK(h.used == 0);
}

/* Blocks a, b, c fill the heap exactly (c takes the rest); b is freed in each of
 * the four neighbour states and the merged block must come back as one. */
static void test_coalescing(void) {
    for (int config = 0; config < 4; config++) {
        bool free_prev = config & 1, free_next = config & 2;
        mk__heap_t h;
        heap_fresh(&h, 64 << 10);
        size_t initial = mk__heap_largest_free(&h);
        unsigned char *a = mk__heap_alloc(&h, 1000, 16, 1);
        unsigned char *b = mk__heap_alloc(&h, 2000, 16, 2);
        unsigned char *c = mk__heap_alloc(&h, 3000, 16, 3);
        unsigned char *d = mk__heap_alloc(&h, mk__heap_largest_free(&h), 16, 4);
        CHECK(a && b && c && d);
        if (!(a && b && c && d))
            continue;
        CHECK(h.free_bytes == 0 && mk__heap_largest_free(&h) == 0);
        CHECK(a + mk__heap_usable_size(a) + HDR == b); /* fresh heap: physical order */
        CHECK(b + mk__heap_usable_size(b) + HDR == c);
        size_t ua = mk__heap_usable_size(a), ub = mk__heap_usable_size(b),
               uc = mk__heap_usable_size(c);

        size_t merged = ub;
        unsigned char *start = b;
        if (free_prev) {
            mk__heap_free(&h, a);
            merged += ua + HDR;
            start = a;
        }
        if (free_next) {
            mk__heap_free(&h, c);
            merged += uc + HDR;
        }
        CHECK(mk__heap_check(&h));
        mk__heap_free(&h, b);
        CHECK(mk__heap_check(&h));
        CHECK(mk__heap_largest_free(&h) == merged);
        CHECK(h.free_bytes == merged + HDR);

        /* The merged block serves a request of its whole size, at its start. */
        unsigned char *m = mk__heap_alloc(&h, merged, 16, 5);
        CHECK(m == start);
        CHECK(mk__heap_check(&h));
        if (m)
            mk__heap_free(&h, m);
        if (!free_prev)
            mk__heap_free(&h, a);
        if (!free_next)
            mk__heap_free(&h, c);
        mk__heap_free(&h, d);
        CHECK(mk__heap_check(&h));
        CHECK(h.used == 0);
        CHECK(mk__heap_largest_free(&h) == initial);
    }
}

static bool filled_with(const unsigned char *p, size_t n, unsigned char v) {
    return n == 0 || (p[0] == v && memcmp(p, p + 1, n - 1) == 0);
}

static void test_resize(void) {
    mk__heap_t h;
    heap_fresh(&h, 64 << 10);
    size_t initial = mk__heap_largest_free(&h);
    unsigned char *a = mk__heap_alloc(&h, 100, 16, 9);
    unsigned char *b = mk__heap_alloc(&h, 200, 16, 0);
    unsigned char *c = mk__heap_alloc(&h, 300, 16, 0);
    CHECK(a && b && c);
    if (!(a && b && c))
        return;
    memset(a, 0x5A, 100);

    /* Growing into a busy neighbour is refused, and changes nothing. */
    size_t ua = mk__heap_usable_size(a);
    CHECK(!mk__heap_resize(&h, a, ua + 1));
    CHECK(mk__heap_usable_size(a) == ua);
    CHECK(filled_with(a, 100, 0x5A));
    CHECK(mk__heap_check(&h));

    /* Growing into a free neighbour, partly and then wholly. */
    size_t ub = mk__heap_usable_size(b);
    mk__heap_free(&h, b);
    CHECK(mk__heap_resize(&h, a, ua + 64));
    CHECK(mk__heap_usable_size(a) >= ua + 64);
    CHECK(mk__heap_check(&h));
    CHECK(mk__heap_resize(&h, a, ua + ub + HDR));
    CHECK(mk__heap_usable_size(a) == ua + ub + HDR);
    CHECK(filled_with(a, 100, 0x5A));
    CHECK(mk__heap_tag(a) == 9);
    CHECK(!mk__heap_resize(&h, a, ua + ub + HDR + 1)); /* c is busy */
    CHECK(mk__heap_check(&h));
    size_t used_grown = h.used;

    /* Shrinking splits the tail off as a free block. */
    CHECK(mk__heap_resize(&h, a, 40));
    CHECK(mk__heap_usable_size(a) == 48);
    CHECK(h.used == used_grown - (ua + ub + HDR - 48));
    CHECK(filled_with(a, 40, 0x5A));
    CHECK(mk__heap_check(&h));
    CHECK(mk__heap_largest_free(&h) >= ua + ub + HDR - 48 - HDR);
    /* A shrink too small to split leaves the block as it is. */
    CHECK(mk__heap_resize(&h, a, 33));
    CHECK(mk__heap_usable_size(a) == 48);
    CHECK(mk__heap_resize(&h, a, 0));
    CHECK(mk__heap_usable_size(a) == 16); /* the tail merges with the free neighbour */
    CHECK(mk__heap_check(&h));

    /* Shrinking c, whose right neighbour is the free rest of the heap. */
    memset(c, 0x3C, 300);
    CHECK(mk__heap_resize(&h, c, 17));
    CHECK(mk__heap_usable_size(c) == 32);
    CHECK(filled_with(c, 17, 0x3C));
    CHECK(mk__heap_check(&h));
    CHECK(mk__heap_resize(&h, c, 20000));
    CHECK(filled_with(c, 17, 0x3C));
    CHECK(mk__heap_check(&h));

    mk__heap_free(&h, a);
    mk__heap_free(&h, c);
    CHECK(mk__heap_check(&h));
    CHECK(h.used == 0);
    CHECK(mk__heap_largest_free(&h) == initial);
}

static void test_accounting(void) {
    mk__heap_t h;
    heap_fresh(&h, 1 << 20);
    CHECK(h.used == 0 && h.peak == 0);
    void *p[10];
    size_t expect = 0;
    for (int i = 0; i < 10; i++) {
        p[i] = mk__heap_alloc(&h, 1000, 16, 0);
        CHECK(p[i] != NULL);
        if (p[i])
            expect += mk__heap_usable_size(p[i]) + HDR;
    }
    CHECK(h.used == expect);
    CHECK(h.peak == expect);
    CHECK(h.used + h.free_bytes == h.bytes - HDR);
    for (int i = 0; i < 10; i++)
        if (p[i])
            mk__heap_free(&h, p[i]);
    CHECK(h.used == 0);
    CHECK(h.peak == expect);
    CHECK(h.free_bytes == h.bytes - HDR);
    CHECK(mk__heap_check(&h));
}

/* Random alloc / free / resize against a shadow table. Each live block is filled
 * with one byte derived from its slot and generation; an overlap between two
 * blocks shows up as a changed byte. */
static void test_churn(void) {
    enum { SLOTS = 1024, OPS = 200000 };
    static struct {
        unsigned char *p;
        size_t size;
        unsigned char fill;
        uint8_t tag;
    } slot[SLOTS];
    mk__heap_t h;
    heap_fresh(&h, REGION_BYTES);
    size_t initial = mk__heap_largest_free(&h);
    unsigned long allocs = 0, failures = 0, resizes = 0, bad = 0;

    for (unsigned long op = 1; op <= OPS; op++) {
        size_t i = rng_below(SLOTS);
        if (!slot[i].p) {
            /* Sizes in 1..64 KiB, half uniform, half log-uniform (many small ones);
             * one request in four is over-aligned, up to 4096. */
            size_t size = (rng_next() & 1) ? 1 + rng_below((size_t)64 << 10)
                                           : 1 + rng_below((size_t)1 << rng_below(17));
            size_t align = (rng_next() & 3) ? 16 : (size_t)16 << rng_below(9);
            uint8_t tag = (uint8_t)rng_next();
            unsigned char *p = mk__heap_alloc(&h, size, align, tag);
            if (!p) {
                failures++;
                continue;
            }
            allocs++;
            if (!is_aligned(p, align) || mk__heap_usable_size(p) < size || !mk__heap_owns(&h, p))
                bad++;
            slot[i].p = p;
            slot[i].size = size;
            slot[i].fill = (unsigned char)(i * 131u + op);
            slot[i].tag = tag;
            memset(p, slot[i].fill, size);
        } else {
            if (!filled_with(slot[i].p, slot[i].size, slot[i].fill) ||
                mk__heap_tag(slot[i].p) != slot[i].tag)
                bad++;
            if (rng_next() & 3) {
                mk__heap_free(&h, slot[i].p);
                slot[i].p = NULL;
            } else {
                size_t size = 1 + rng_below((size_t)1 << rng_below(17));
                if (mk__heap_resize(&h, slot[i].p, size)) {
                    resizes++;
                    if (mk__heap_usable_size(slot[i].p) < size)
                        bad++;
                    if (size > slot[i].size)
                        memset(slot[i].p + slot[i].size, slot[i].fill, size - slot[i].size);
                    slot[i].size = size;
                    if (!filled_with(slot[i].p, size, slot[i].fill))
                        bad++;
                }
            }
        }
        if (op % 1000 == 0 && !mk__heap_check(&h))
            bad++;
    }
    CHECK(bad == 0);
    CHECK(allocs > OPS / 4 && resizes > OPS / 50);
    CHECK(h.peak >= h.used);
    for (size_t i = 0; i < SLOTS; i++)
        if (slot[i].p) {
            if (!filled_with(slot[i].p, slot[i].size, slot[i].fill))
                bad++;
            mk__heap_free(&h, slot[i].p);
        }
    CHECK(bad == 0);
    CHECK(mk__heap_check(&h));
    CHECK(h.used == 0);
    CHECK(mk__heap_largest_free(&h) == initial);
    printf("heap: churn %d ops, %lu allocs, %lu refused, %lu in-place resizes, peak %zu KiB\n",
           OPS, allocs, failures, resizes, h.peak >> 10);
}

/* A small heap under churn runs out often: exercises the refusal paths and the
 * fallback look at the head of a request's own class. */
static void test_churn_tight(void) {
    enum { SLOTS = 64, OPS = 50000 };
    static unsigned char *ptrs[SLOTS];
    mk__heap_t h;
    heap_fresh(&h, 16 << 10);
    unsigned long bad = 0, failures = 0;
    for (unsigned long op = 1; op <= OPS; op++) {
        size_t i = rng_below(SLOTS);
        if (ptrs[i]) {
            mk__heap_free(&h, ptrs[i]);
            ptrs[i] = NULL;
        } else {
            size_t size = 1 + rng_below((size_t)1 << rng_below(14));
            size_t align = (size_t)16 << rng_below(6);
            size_t largest = mk__heap_largest_free(&h);
            ptrs[i] = mk__heap_alloc(&h, size, align, 0);
            if (!ptrs[i])
                failures++;
            else if (!is_aligned(ptrs[i], align))
                bad++;
            /* What largest_free promises must hold. */
            if (align == 16 && size <= largest && !ptrs[i])
                bad++;
        }
        if (op % 500 == 0 && !mk__heap_check(&h))
            bad++;
    }
    for (size_t i = 0; i < SLOTS; i++)
        if (ptrs[i])
            mk__heap_free(&h, ptrs[i]);
    CHECK(bad == 0);
    CHECK(failures > 0);
    CHECK(mk__heap_check(&h));
    CHECK(h.used == 0);
}

/* check() notices damage to the bookkeeping and to a block header. */
static void test_check_detects(void) {
    mk__heap_t h;
    heap_fresh(&h, 64 << 10);
    unsigned char *a = mk__heap_alloc(&h, 100, 16, 0);
    unsigned char *b = mk__heap_alloc(&h, 100, 16, 0);
    unsigned char *c = mk__heap_alloc(&h, 100, 16, 0);
    CHECK(a && b && c);
    if (!(a && b && c))
        return;
    mk__heap_free(&h, b);
    CHECK(mk__heap_check(&h));

    mk__heap_t saved = h;
    h.used += 16;
    CHECK(!mk__heap_check(&h));
    h = saved;
    h.free_bytes -= 16;
    CHECK(!mk__heap_check(&h));
    h = saved;
    h.peak = 0;
    CHECK(!mk__heap_check(&h));
    h = saved;
    h.fl_map = 0;
    CHECK(!mk__heap_check(&h));
    h = saved;
    h.sl_map[0] |= 1u; /* a bit for an empty list */
    CHECK(!mk__heap_check(&h));
    h = saved;
    CHECK(mk__heap_check(&h));

    /* An overrun of a past its usable size clobbers b's header. */
    unsigned char header[16];
    unsigned char *over = a + mk__heap_usable_size(a);
    memcpy(header, over, sizeof header);
    memset(over, 0xEE, 8);
    CHECK(!mk__heap_check(&h));
    memcpy(over, header, sizeof header);
    CHECK(mk__heap_check(&h));

    mk__heap_free(&h, a);
    mk__heap_free(&h, c);
    CHECK(mk__heap_check(&h));
}

int main(void) {
    g_region = aligned_alloc(4096, REGION_BYTES);
    if (!g_region) {
        fprintf(stderr, "test_heap: cannot allocate the test region\n");
        return 2;
    }
    test_init();
    test_round_trip();
    test_alignment_and_tags();
    test_exhaustion();
    test_huge();
    test_coalescing();
    test_resize();
    test_accounting();
    test_churn();
    test_churn_tight();
    test_check_detects();
    free(g_region);
    return unit_check_finish("heap");
}
