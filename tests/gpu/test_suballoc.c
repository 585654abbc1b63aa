/* test_suballoc.c — unit tests for the GPU tier's block sub-allocators
 * (gpu/src/suballoc.h): TLSF placement, alignment, coalescing, granularity,
 * node exhaustion and failure atomicity; the linear heap; the staging ring.
 *
 * Build: cc -std=c11 -DMK__GPU_STANDALONE -Igpu/src tests/gpu/test_suballoc.c gpu/src/tlsf.c gpu/src/linear_ring.c
 * The harness is tests/unit_check.h (no memkit.h, no generated config).
 * Exits non-zero when a check fails; the last line summarizes.
 */
#include "suballoc.h"
#include "../unit_check.h"

#include <stdio.h>
#include <string.h>

#define NODES 256
static mk__gpu_tlsf_node_t g_nodes[NODES];

/* A fresh TLSF over [0, size) with `capacity` of the shared nodes. */
static void fresh(mk__gpu_tlsf_t *t, uint64_t size, uint64_t granularity, uint32_t capacity) {
    CHECK_EQ(mk__gpu_tlsf_init(t, size, granularity, g_nodes, capacity), MK__GPU_OK);
    CHECK(mk__gpu_tlsf_validate(t));
}

/* Allocates and returns the offset, or UINT64_MAX on failure (checked). */
static uint64_t take(mk__gpu_tlsf_t *t, uint64_t size, uint64_t align, mk__gpu_kind_t kind, uint32_t *handle) {
    uint64_t offset = 0;
    mk__gpu_status_t s = mk__gpu_tlsf_alloc(t, size, align, kind, &offset, handle);
    CHECK_EQ(s, MK__GPU_OK);
    CHECK(mk__gpu_tlsf_validate(t));
    return s == MK__GPU_OK ? offset : UINT64_MAX;
}

static void give(mk__gpu_tlsf_t *t, uint32_t handle) {
    CHECK_EQ(mk__gpu_tlsf_free(t, handle), MK__GPU_OK);
    CHECK(mk__gpu_tlsf_validate(t));
}

/* The whole block is one free range again. */
static void check_empty(const mk__gpu_tlsf_t *t) {
    CHECK_EQ(mk__gpu_tlsf_count(t), 0);
    CHECK_EQ(mk__gpu_tlsf_used(t), 0);
    CHECK_EQ(mk__gpu_tlsf_free_bytes(t), t->size);
    CHECK_EQ(mk__gpu_tlsf_largest_free(t), t->size);
    CHECK_EQ(t->nodes_live, 1);
}

/* A copy of a TLSF and its nodes, to prove that a failed call changed nothing. */
typedef struct {
    mk__gpu_tlsf_t t;
    mk__gpu_tlsf_node_t nodes[NODES];
} snapshot_t;

static void snap(snapshot_t *s, const mk__gpu_tlsf_t *t) {
    memcpy(&s->t, t, sizeof *t);
    memcpy(s->nodes, g_nodes, sizeof g_nodes);
}

static bool unchanged(const snapshot_t *s, const mk__gpu_tlsf_t *t) {
    return memcmp(&s->t, t, sizeof *t) == 0 && memcmp(s->nodes, g_nodes, sizeof g_nodes) == 0;
}

/* ---- tlsf ----------------------------------------------------------------- */

static void test_init(void) {
    mk__gpu_tlsf_t t;
    CHECK_EQ(mk__gpu_tlsf_init(NULL, 4096, 1, g_nodes, NODES), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_init(&t, 4096, 1, NULL, NODES), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_init(&t, 4096, 1, g_nodes, 0), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_init(&t, 0, 1, g_nodes, NODES), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_init(&t, MK__GPU_SUB_MAX_SIZE + 1, 1, g_nodes, NODES), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_init(&t, 4096, 0, g_nodes, NODES), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_init(&t, 4096, 48, g_nodes, NODES), MK__GPU_EINVAL);
    fresh(&t, MK__GPU_SUB_MAX_SIZE, 1, NODES); /* the largest block */
    check_empty(&t);
    uint32_t h;
    CHECK_EQ(take(&t, MK__GPU_SUB_MAX_SIZE / 2, MK__GPU_SUB_MAX_SIZE / 2, MK__GPU_KIND_LINEAR, &h), 0);
    CHECK_EQ(take(&t, 1, MK__GPU_SUB_MAX_SIZE / 2, MK__GPU_KIND_LINEAR, &h), MK__GPU_SUB_MAX_SIZE / 2);
    fresh(&t, 1000, 1, NODES); /* any size, not only powers of two */
    check_empty(&t);
    /* An empty block serves every request that fits it, whatever the alignment. */
    const uint64_t sizes[] = {1, 500, 999, 1000}, aligns[] = {1, 512, 1024, (uint64_t)1 << 40};
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 4; j++) {
            fresh(&t, 1000, 1, NODES);
            CHECK_EQ(take(&t, sizes[i], aligns[j], MK__GPU_KIND_OPTIMAL, &h), 0);
        }
    fresh(&t, (uint64_t)64 << 20, 1024, NODES);
    CHECK_EQ(take(&t, (uint64_t)63 << 20, (uint64_t)2 << 20, MK__GPU_KIND_UNKNOWN, &h), 0);
}

static void test_alignment(void) {
    mk__gpu_tlsf_t t;
    fresh(&t, (uint64_t)1 << 20, 1, NODES);
    uint32_t h[20];
    CHECK_EQ(take(&t, 1, 1, MK__GPU_KIND_LINEAR, &h[0]), 0);
    CHECK_EQ(take(&t, 3, 1, MK__GPU_KIND_LINEAR, &h[1]), 1); /* alignment 1 packs bytes */
    CHECK_EQ(take(&t, 100, 256, MK__GPU_KIND_LINEAR, &h[2]), 256);
    CHECK_EQ(mk__gpu_tlsf_free_bytes(&t) + mk__gpu_tlsf_used(&t), t.size); /* the gap [4, 256) is free */
    for (unsigned i = 3; i < 19; i++) { /* the small ones fill the gap [4, 256) */
        uint64_t align = (uint64_t)1 << i;
        uint64_t offset = take(&t, 7 * i, align, MK__GPU_KIND_LINEAR, &h[i]);
        CHECK(offset != UINT64_MAX && offset % align == 0);
    }
    /* An alignment as large as the block: only offset 0 qualifies, and it is taken. */
    uint64_t offset;
    uint32_t handle;
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 1, (uint64_t)1 << 20, MK__GPU_KIND_LINEAR, &offset, &handle), MK__GPU_ENOSPACE);
    give(&t, h[0]);
    give(&t, h[1]); /* [0, 8) is free again */
    CHECK_EQ(take(&t, 8, (uint64_t)1 << 20, MK__GPU_KIND_LINEAR, &handle), 0);
    /* The gap a larger alignment leaves serves a later request. */
    fresh(&t, 8192, 1, NODES);
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_LINEAR, &h[0]), 0);
    CHECK_EQ(take(&t, 10, 4096, MK__GPU_KIND_LINEAR, &h[1]), 4096);
    CHECK_EQ(take(&t, 8192 - 4106, 1, MK__GPU_KIND_LINEAR, &h[2]), 4106); /* the rest, exactly */
    CHECK_EQ(take(&t, 4000, 16, MK__GPU_KIND_LINEAR, &h[3]), 16);
}

static void test_exact_fit(void) {
    mk__gpu_tlsf_t t;
    uint32_t a, b, c, d;
    uint64_t offset;
    fresh(&t, 4096, 1, NODES);
    CHECK_EQ(take(&t, 4096, 4096, MK__GPU_KIND_OPTIMAL, &a), 0);
    CHECK_EQ(mk__gpu_tlsf_free_bytes(&t), 0);
    CHECK_EQ(mk__gpu_tlsf_largest_free(&t), 0);
    CHECK_EQ(t.nodes_live, 1); /* an exact fit takes no new node */
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 1, 1, MK__GPU_KIND_OPTIMAL, &offset, &b), MK__GPU_ENOSPACE);
    give(&t, a);
    check_empty(&t);
    /* A hole between two allocations, filled exactly. */
    CHECK_EQ(take(&t, 1024, 1, MK__GPU_KIND_LINEAR, &a), 0);
    CHECK_EQ(take(&t, 1000, 1, MK__GPU_KIND_LINEAR, &b), 1024);
    CHECK_EQ(take(&t, 2072, 1, MK__GPU_KIND_LINEAR, &c), 2024);
    give(&t, b);
    CHECK_EQ(mk__gpu_tlsf_largest_free(&t), 1000);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 1001, 1, MK__GPU_KIND_LINEAR, &offset, &d), MK__GPU_ENOSPACE);
    uint32_t live = t.nodes_live;
    CHECK_EQ(take(&t, 1000, 8, MK__GPU_KIND_LINEAR, &d), 1024);
    CHECK_EQ(t.nodes_live, live);
    CHECK_EQ(mk__gpu_tlsf_free_bytes(&t), 0);
}

/* Every order of freeing n allocations (with gaps between some) leaves one free
 * range of the whole block, through every coalescing case. */
static unsigned g_orders;

static void free_in_order(const uint64_t *sizes, const uint64_t *aligns, unsigned n, const unsigned *order) {
    mk__gpu_tlsf_t t;
    uint32_t h[8];
    fresh(&t, 1 << 16, 1, NODES);
    for (unsigned i = 0; i < n; i++)
        CHECK(take(&t, sizes[i], aligns[i], MK__GPU_KIND_LINEAR, &h[i]) != UINT64_MAX);
    for (unsigned i = 0; i < n; i++)
        give(&t, h[order[i]]);
    check_empty(&t);
    g_orders++;
}

static void permute(const uint64_t *sizes, const uint64_t *aligns, unsigned n, unsigned *order, unsigned k) {
    if (k == n) {
        free_in_order(sizes, aligns, n, order);
        return;
    }
    for (unsigned i = k; i < n; i++) {
        unsigned tmp = order[k];
        order[k] = order[i];
        order[i] = tmp;
        permute(sizes, aligns, n, order, k + 1);
        order[i] = order[k];
        order[k] = tmp;
    }
}

static void test_coalescing(void) {
    /* Six allocations: packed, behind alignment gaps, and a free tail. */
    const uint64_t sizes[6] = {100, 200, 1, 4096, 33, 999};
    const uint64_t aligns[6] = {1, 1, 512, 1, 4096, 2};
    unsigned order[6] = {0, 1, 2, 3, 4, 5};
    g_orders = 0;
    permute(sizes, aligns, 6, order, 0);
    CHECK_EQ(g_orders, 720);
    /* The block filled exactly: no free range anywhere until the first free. */
    const uint64_t exact[4] = {1000, 24, 3000, (1 << 16) - 4024};
    const uint64_t ones[4] = {1, 1, 1, 1};
    unsigned order4[4] = {0, 1, 2, 3};
    g_orders = 0;
    permute(exact, ones, 4, order4, 0);
    CHECK_EQ(g_orders, 24);
}

/* bufferImageGranularity: linear and optimal resources never share a page.
 * The sizes are chosen so that the range under test is the one tried (the
 * head of the list the size maps to, or the only one large enough). */
static void test_granularity(void) {
    mk__gpu_tlsf_t t;
    uint32_t h[8], x;
    uint64_t offset;

    /* The previous neighbour's rule, granularity 64. */
    fresh(&t, 4096, 64, NODES);
    CHECK_EQ(take(&t, 100, 1, MK__GPU_KIND_LINEAR, &h[0]), 0);
    CHECK_EQ(take(&t, 100, 1, MK__GPU_KIND_OPTIMAL, &h[1]), 128); /* the buffer ends on page 64 */
    CHECK_EQ(take(&t, 100, 1, MK__GPU_KIND_OPTIMAL, &h[2]), 228); /* same kind: packed */
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_LINEAR, &h[3]), 384);   /* the image ends on page 320 */
    CHECK_EQ(take(&t, 4096 - 394, 1, MK__GPU_KIND_LINEAR, &h[4]), 394); /* the rest, exactly */
    /* Gap [100, 128): a buffer fits (the image after it starts on a new page)... */
    CHECK_EQ(take(&t, 28, 1, MK__GPU_KIND_LINEAR, &x), 100);
    give(&t, x);
    /* ... an image does not (the buffer before it ends on page 64): it goes to
     * the other gap. */
    CHECK_EQ(take(&t, 28, 1, MK__GPU_KIND_OPTIMAL, &x), 328);
    give(&t, x);
    /* Gap [328, 384): an image fits up to the buffer's page; a buffer does not. */
    CHECK_EQ(take(&t, 56, 1, MK__GPU_KIND_OPTIMAL, &x), 328);
    give(&t, x);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 56, 1, MK__GPU_KIND_LINEAR, &offset, &x), MK__GPU_ENOSPACE);
    CHECK(mk__gpu_tlsf_validate(&t));

    /* The next neighbour's rule: an image at 200, mid-page 192. */
    fresh(&t, 4096, 64, NODES);
    CHECK_EQ(take(&t, 200, 1, MK__GPU_KIND_OPTIMAL, &h[0]), 0);
    CHECK_EQ(take(&t, 100, 1, MK__GPU_KIND_OPTIMAL, &h[1]), 200);
    CHECK_EQ(take(&t, 4096 - 300, 1, MK__GPU_KIND_OPTIMAL, &h[2]), 300);
    give(&t, h[0]); /* free: [0, 200) */
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 200, 1, MK__GPU_KIND_LINEAR, &offset, &x), MK__GPU_ENOSPACE); /* ends on 192 */
    CHECK_EQ(take(&t, 200, 1, MK__GPU_KIND_OPTIMAL, &x), 0);
    give(&t, x);
    CHECK_EQ(take(&t, 60, 1, MK__GPU_KIND_LINEAR, &x), 0); /* ends before page 192 */

    /* UNKNOWN conflicts with everything, itself included. */
    fresh(&t, 1 << 16, 256, NODES);
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_UNKNOWN, &h[0]), 0);
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_UNKNOWN, &h[1]), 256);
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_LINEAR, &h[2]), 512);
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_LINEAR, &h[3]), 522);

    /* Granularity 1: kinds pack side by side. */
    fresh(&t, 1 << 16, 1, NODES);
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_LINEAR, &h[0]), 0);
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_OPTIMAL, &h[1]), 10);
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_UNKNOWN, &h[2]), 20);
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_UNKNOWN, &h[3]), 30);

    /* An alignment above the granularity: the aligned start is already a new page. */
    fresh(&t, 1 << 16, 64, NODES);
    CHECK_EQ(take(&t, 10, 1, MK__GPU_KIND_LINEAR, &h[0]), 0);
    CHECK_EQ(take(&t, 10, 128, MK__GPU_KIND_OPTIMAL, &h[1]), 128);

    /* A large granularity (some GPUs: 64 KiB) pushes by whole pages. */
    fresh(&t, 1 << 20, 1 << 16, NODES);
    CHECK_EQ(take(&t, 1, 1, MK__GPU_KIND_OPTIMAL, &h[0]), 0);
    CHECK_EQ(take(&t, 1, 1, MK__GPU_KIND_LINEAR, &h[1]), 1 << 16);
    CHECK_EQ(take(&t, 1, 1, MK__GPU_KIND_OPTIMAL, &h[2]), 2 << 16);
}

static void test_node_exhaustion(void) {
    mk__gpu_tlsf_t t;
    uint32_t h[8];
    uint64_t offset;
    /* One node: only an exact fit, which needs no new node. */
    fresh(&t, 4096, 1, 1);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 100, 1, MK__GPU_KIND_LINEAR, &offset, &h[0]), MK__GPU_ENODES);
    CHECK(mk__gpu_tlsf_validate(&t));
    CHECK_EQ(take(&t, 4096, 1, MK__GPU_KIND_LINEAR, &h[0]), 0);
    give(&t, h[0]);
    check_empty(&t);

    /* MK__GPU_TLSF_NODES_FOR(2) nodes: two allocations fit whatever their gaps;
     * then a split that needs two nodes fails with one spare, changing nothing. */
    fresh(&t, 1 << 16, 1, MK__GPU_TLSF_NODES_FOR(2));
    CHECK_EQ(take(&t, 100, 1, MK__GPU_KIND_LINEAR, &h[0]), 0);
    CHECK_EQ(take(&t, 100, 1024, MK__GPU_KIND_LINEAR, &h[1]), 1024); /* a gap in front, a rest behind */
    CHECK_EQ(t.nodes_live, 4);
    snapshot_t s;
    snap(&s, &t);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 100, 4096, MK__GPU_KIND_LINEAR, &offset, &h[2]), MK__GPU_ENODES);
    CHECK(unchanged(&s, &t));
    CHECK_EQ(take(&t, 100, 1, MK__GPU_KIND_LINEAR, &h[2]), 100); /* one node: a rest behind */
    CHECK_EQ(t.nodes_live, 5);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 1, 1, MK__GPU_KIND_LINEAR, &offset, &h[3]), MK__GPU_ENODES);
    /* An exact fit of the gap [200, 1024) needs no node. */
    CHECK_EQ(take(&t, 824, 1, MK__GPU_KIND_LINEAR, &h[3]), 200);
    /* Frees recycle nodes: coalescing gives back two here. */
    give(&t, h[1]);
    give(&t, h[3]);
    CHECK_EQ(t.nodes_live, 3);
    CHECK(t.spare != MK__GPU_TLSF_NIL);
    CHECK_EQ(take(&t, 50, 8, MK__GPU_KIND_LINEAR, &h[1]), 200);
    give(&t, h[0]);
    give(&t, h[1]);
    give(&t, h[2]);
    check_empty(&t);
}

static void test_failure_changes_nothing(void) {
    mk__gpu_tlsf_t t;
    uint32_t h[4];
    uint64_t offset = 77;
    uint32_t handle = 77;
    fresh(&t, 1 << 16, 1024, NODES);
    CHECK_EQ(take(&t, 3000, 1, MK__GPU_KIND_LINEAR, &h[0]), 0);
    CHECK_EQ(take(&t, 3000, 1, MK__GPU_KIND_OPTIMAL, &h[1]), 3072);
    give(&t, h[0]);
    snapshot_t s;
    snap(&s, &t);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 0, 1, MK__GPU_KIND_LINEAR, &offset, &handle), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 1, 3, MK__GPU_KIND_LINEAR, &offset, &handle), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 1, 0, MK__GPU_KIND_LINEAR, &offset, &handle), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 1, MK__GPU_SUB_MAX_SIZE * 2, MK__GPU_KIND_LINEAR, &offset, &handle),
             MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 1, 1, MK__GPU_KIND_COUNT, &offset, &handle), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 1, 1, MK__GPU_KIND_LINEAR, NULL, &handle), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 1, 1, MK__GPU_KIND_LINEAR, &offset, NULL), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_alloc(NULL, 1, 1, MK__GPU_KIND_LINEAR, &offset, &handle), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, (1 << 16) + 1, 1, MK__GPU_KIND_LINEAR, &offset, &handle), MK__GPU_ENOSPACE);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, UINT64_MAX, 1, MK__GPU_KIND_LINEAR, &offset, &handle), MK__GPU_ENOSPACE);
    CHECK_EQ(mk__gpu_tlsf_alloc(&t, 60000, 1, MK__GPU_KIND_LINEAR, &offset, &handle), MK__GPU_ENOSPACE);
    CHECK_EQ(mk__gpu_tlsf_free(&t, h[0]), MK__GPU_EINVAL); /* freed already: a free range now */
    CHECK_EQ(mk__gpu_tlsf_free(&t, NODES - 1), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_free(&t, MK__GPU_TLSF_NIL), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_tlsf_free(NULL, h[1]), MK__GPU_EINVAL);
    CHECK(unchanged(&s, &t));
    CHECK_EQ(offset, 77);
    CHECK_EQ(handle, 77);
    give(&t, h[1]);
    CHECK_EQ(mk__gpu_tlsf_free(&t, h[1]), MK__GPU_EINVAL); /* a second free */
    check_empty(&t);
}

static void test_largest_free(void) {
    mk__gpu_tlsf_t t;
    uint32_t h[8];
    fresh(&t, 1 << 20, 1, NODES);
    CHECK_EQ(mk__gpu_tlsf_largest_free(&t), 1 << 20);
    /* Holes of 1005 and 1000 bytes (the same list, the smaller at its head) and
     * the tail of the block. */
    CHECK_EQ(take(&t, 1005, 1, MK__GPU_KIND_LINEAR, &h[0]), 0);
    CHECK_EQ(take(&t, 1, 1, MK__GPU_KIND_LINEAR, &h[1]), 1005);
    CHECK_EQ(take(&t, 1000, 1, MK__GPU_KIND_LINEAR, &h[2]), 1006);
    CHECK_EQ(take(&t, (1 << 20) - 2006, 1, MK__GPU_KIND_LINEAR, &h[3]), 2006);
    CHECK_EQ(mk__gpu_tlsf_largest_free(&t), 0);
    give(&t, h[0]);
    CHECK_EQ(mk__gpu_tlsf_largest_free(&t), 1005);
    give(&t, h[2]);
    CHECK_EQ(mk__gpu_tlsf_largest_free(&t), 1005); /* the 1000 hole heads the list; the scan finds 1005 */
    give(&t, h[3]);
    CHECK_EQ(mk__gpu_tlsf_largest_free(&t), (1 << 20) - 1006);
    give(&t, h[1]);
    check_empty(&t);
}

/* A long deterministic churn: the validator after every step. */
static void test_churn(void) {
    mk__gpu_tlsf_t t;
    uint32_t live[64];
    unsigned n = 0;
    uint64_t rng = 0x9E3779B97F4A7C15u;
    fresh(&t, 1 << 22, 256, NODES);
    for (unsigned step = 0; step < 20000; step++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        if (n < 64 && (rng & 1)) {
            uint64_t offset, align = (uint64_t)1 << ((rng >> 8) % 13);
            uint32_t handle;
            mk__gpu_status_t s = mk__gpu_tlsf_alloc(&t, 1 + (rng >> 16) % 200000, align,
                                                    (mk__gpu_kind_t)((rng >> 40) % 3), &offset, &handle);
            CHECK(s == MK__GPU_OK || s == MK__GPU_ENOSPACE);
            if (s == MK__GPU_OK) {
                CHECK_EQ(offset % align, 0);
                live[n++] = handle;
            }
        } else if (n) {
            unsigned i = (unsigned)((rng >> 20) % n);
            CHECK_EQ(mk__gpu_tlsf_free(&t, live[i]), MK__GPU_OK);
            live[i] = live[--n];
        }
        bool valid = mk__gpu_tlsf_validate(&t);
        CHECK(valid);
        if (!valid)
            break;
    }
    while (n)
        give(&t, live[--n]);
    check_empty(&t);
}

/* ---- linear --------------------------------------------------------------- */

static void test_linear(void) {
    mk__gpu_linear_t l;
    uint64_t offset = 0;
    CHECK_EQ(mk__gpu_linear_init(NULL, 4096), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_linear_init(&l, 0), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_linear_init(&l, 4096), MK__GPU_OK);
    CHECK_EQ(mk__gpu_linear_alloc(&l, 10, 1, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 0);
    CHECK_EQ(mk__gpu_linear_alloc(&l, 10, 256, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 256);
    CHECK_EQ(mk__gpu_linear_alloc(&l, 1, 1, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 266);
    CHECK_EQ(l.top, 267);
    CHECK_EQ(l.count, 3);
    mk__gpu_linear_t before;
    memcpy(&before, &l, sizeof l); /* memcpy, not =: padding too, for memcmp */
    CHECK_EQ(mk__gpu_linear_alloc(&l, 4096 - 267 + 1, 1, &offset), MK__GPU_ENOSPACE);
    CHECK_EQ(mk__gpu_linear_alloc(&l, 1, 8192, &offset), MK__GPU_ENOSPACE); /* aligned past the end */
    CHECK_EQ(mk__gpu_linear_alloc(&l, UINT64_MAX, 1, &offset), MK__GPU_ENOSPACE);
    CHECK_EQ(mk__gpu_linear_alloc(&l, 0, 1, &offset), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_linear_alloc(&l, 1, 6, &offset), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_linear_alloc(&l, 1, 1, NULL), MK__GPU_EINVAL);
    CHECK(memcmp(&before, &l, sizeof l) == 0);
    CHECK_EQ(offset, 266);
    CHECK_EQ(mk__gpu_linear_alloc(&l, 4096 - 267, 1, &offset), MK__GPU_OK); /* exactly to the end */
    CHECK_EQ(offset, 267);
    mk__gpu_linear_reset(&l);
    CHECK_EQ(l.top, 0);
    CHECK_EQ(l.count, 0);
    CHECK_EQ(mk__gpu_linear_alloc(&l, 4096, 4096, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 0);
}

/* ---- ring ----------------------------------------------------------------- */

static void test_ring(void) {
    mk__gpu_ring_t r;
    mk__gpu_ring_mark_t marks[3];
    uint64_t offset = 0;
    CHECK_EQ(mk__gpu_ring_init(NULL, 1000, marks, 3), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_ring_init(&r, 0, marks, 3), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_ring_init(&r, 1000, NULL, 3), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_ring_init(&r, 1000, marks, 0), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_ring_init(&r, 1000, marks, 3), MK__GPU_OK);

    CHECK_EQ(mk__gpu_ring_alloc(&r, 400, 1, 1, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 0);
    CHECK_EQ(mk__gpu_ring_alloc(&r, 390, 16, 2, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 400);
    CHECK_EQ(mk__gpu_ring_used(&r), 790);
    /* 300 bytes do not fit before the end, and offset 0 is still tag 1's. */
    mk__gpu_ring_t before;
    memcpy(&before, &r, sizeof r);
    CHECK_EQ(mk__gpu_ring_alloc(&r, 300, 1, 3, &offset), MK__GPU_ENOSPACE);
    CHECK_EQ(mk__gpu_ring_alloc(&r, 1, 1, 1, &offset), MK__GPU_EINVAL); /* a tag that went backwards */
    CHECK_EQ(mk__gpu_ring_alloc(&r, 0, 1, 3, &offset), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_ring_alloc(&r, 1, 5, 3, &offset), MK__GPU_EINVAL);
    CHECK_EQ(mk__gpu_ring_alloc(&r, 1001, 1, 3, &offset), MK__GPU_ENOSPACE);
    CHECK(memcmp(&before, &r, sizeof r) == 0);
    CHECK_EQ(offset, 400);

    mk__gpu_ring_release_through(&r, 0); /* nothing that old */
    CHECK_EQ(mk__gpu_ring_used(&r), 790);
    mk__gpu_ring_release_through(&r, 1);
    CHECK_EQ(mk__gpu_ring_used(&r), 390);
    /* Wraparound: tag 3 goes to 0 (head far enough from the tail at 400). */
    CHECK_EQ(mk__gpu_ring_alloc(&r, 300, 1, 3, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 0);
    CHECK_EQ(mk__gpu_ring_used(&r), 900); /* 390 + the 210 skipped at the end + 300 */
    CHECK_EQ(mk__gpu_ring_alloc(&r, 100, 1, 3, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 300);
    CHECK_EQ(mk__gpu_ring_alloc(&r, 1, 1, 3, &offset), MK__GPU_ENOSPACE); /* would reach the tail */
    mk__gpu_ring_release_through(&r, 2);
    /* Tag 2 gone: the tail jumps over the skipped end, to tag 3 at offset 0. */
    CHECK_EQ(mk__gpu_ring_used(&r), 400);
    CHECK_EQ(mk__gpu_ring_alloc(&r, 500, 1, 4, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 400);
    CHECK_EQ(mk__gpu_ring_alloc(&r, 50, 1, 5, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 900);
    CHECK_EQ(mk__gpu_ring_alloc(&r, 10, 1, 6, &offset), MK__GPU_ENODES); /* three tags live */
    CHECK_EQ(mk__gpu_ring_alloc(&r, 50, 1, 5, &offset), MK__GPU_OK);     /* an old tag needs no mark */
    CHECK_EQ(offset, 950);
    /* FIFO release: tag 3, then 4, then 5. */
    mk__gpu_ring_release_through(&r, 3);
    CHECK_EQ(mk__gpu_ring_used(&r), 600);
    mk__gpu_ring_release_through(&r, 4);
    CHECK_EQ(mk__gpu_ring_used(&r), 100);
    /* The next pass: the head sits at the end, so this wraps with nothing skipped. */
    CHECK_EQ(mk__gpu_ring_alloc(&r, 900, 1, 6, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 0);
    CHECK_EQ(mk__gpu_ring_used(&r), 1000); /* full */
    CHECK_EQ(mk__gpu_ring_alloc(&r, 1, 1, 6, &offset), MK__GPU_ENOSPACE);
    /* Everything retired: the ring starts over at 0 with its whole size. */
    mk__gpu_ring_release_through(&r, UINT64_MAX);
    CHECK_EQ(mk__gpu_ring_used(&r), 0);
    CHECK_EQ(mk__gpu_ring_alloc(&r, 1000, 1024, 7, &offset), MK__GPU_OK);
    CHECK_EQ(offset, 0);
}

/* Many frames through a small ring: every live allocation stays disjoint. */
static void test_ring_frames(void) {
    enum { FRAMES_IN_FLIGHT = 3, PER_FRAME = 16 };
    mk__gpu_ring_t r;
    mk__gpu_ring_mark_t marks[FRAMES_IN_FLIGHT + 1];
    struct {
        uint64_t offset, size, tag;
    } live[(FRAMES_IN_FLIGHT + 1) * PER_FRAME];
    unsigned n = 0, wraps = 0;
    uint64_t rng = 12345, last_offset = 0;
    CHECK_EQ(mk__gpu_ring_init(&r, 10000, marks, FRAMES_IN_FLIGHT + 1), MK__GPU_OK);
    for (uint64_t frame = 1; frame < 2000; frame++) {
        if (frame > FRAMES_IN_FLIGHT) { /* the fence of frame - FRAMES_IN_FLIGHT signalled */
            mk__gpu_ring_release_through(&r, frame - FRAMES_IN_FLIGHT);
            unsigned kept = 0;
            for (unsigned i = 0; i < n; i++)
                if (live[i].tag > frame - FRAMES_IN_FLIGHT)
                    live[kept++] = live[i];
            n = kept;
        }
        for (unsigned k = 0; k < PER_FRAME; k++) {
            rng = rng * 6364136223846793005u + 1442695040888963407u;
            uint64_t size = 1 + (rng >> 33) % 400, align = (uint64_t)1 << ((rng >> 20) % 8), offset;
            mk__gpu_status_t s = mk__gpu_ring_alloc(&r, size, align, frame, &offset);
            CHECK(s == MK__GPU_OK || s == MK__GPU_ENOSPACE);
            if (s != MK__GPU_OK)
                continue;
            CHECK(offset % align == 0 && offset + size <= r.size);
            for (unsigned i = 0; i < n; i++)
                CHECK(offset + size <= live[i].offset || live[i].offset + live[i].size <= offset);
            if (offset < last_offset)
                wraps++;
            last_offset = offset;
            live[n].offset = offset;
            live[n].size = size;
            live[n].tag = frame;
            n++;
        }
    }
    CHECK(wraps > 100);
}

int main(void) {
    test_init();
    test_alignment();
    test_exact_fit();
    test_coalescing();
    test_granularity();
    test_node_exhaustion();
    test_failure_changes_nothing();
    test_largest_free();
    test_churn();
    test_linear();
    test_ring();
    test_ring_frames();
    return unit_check_finish("test_suballoc");
}
