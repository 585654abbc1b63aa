/* suballoc.h — the GPU tier's block sub-allocators: offset ranges inside one
 * device-memory block.
 *
 * The GPU tier owns blocks of device memory (64 MiB, say) and places buffers and
 * images inside them. These allocators only hand out offsets: they never touch
 * the block's memory (it may not even be mappable), so all their metadata lives
 * in caller-provided storage. Three of them, one per heap kind of memkit.toml:
 *
 *   tlsf    general sub-allocation (tlsf.c): O(1) alloc and free, any
 *           power-of-two alignment, immediate coalescing, bufferImageGranularity
 *           between linear and optimal resources. Metadata: one node per range
 *           (allocation or free range) in an array the caller sizes.
 *   linear  per-frame heaps (linear_ring.c): bump with alignment, reset in O(1).
 *   ring    the staging ring (linear_ring.c): FIFO allocations tagged with a
 *           frame or fence number, released through a retired tag; wraps to 0.
 *
 * Common to all: pure C11, no libc allocation, no system call, no global state;
 * deterministic. Thread-safety: none — the caller holds the heap's lock around
 * every call. Offsets and sizes are 64-bit; a block holds at most
 * MK__GPU_SUB_MAX_SIZE bytes, so offset + size + alignment arithmetic never wraps.
 * Requests of size 0, or with an alignment that is not a power of two or exceeds
 * MK__GPU_SUB_MAX_SIZE, are MK__GPU_EINVAL; a failed call changes nothing.
 *
 * Tests: tests/gpu/test_suballoc.c (units), tests/gpu/fuzz_suballoc.c (a shadow
 * model, libFuzzer and a seeded replay; tests/gpu/README.md).
 */
#ifndef MK_GPU_SUBALLOC_H
#define MK_GPU_SUBALLOC_H

#include <stdbool.h>
#include <stdint.h>

/* Inside a runtime the generated config comes first: its [memkit] prefix renames
 * these functions like every runtime symbol. The tests build the allocators
 * alone, with no config (MK__GPU_STANDALONE), as test_heap does for heap.c. */
#ifndef MK__GPU_STANDALONE
#include "memkit_config.h"
#endif

#define MK__GPU_SUB_MAX_LOG2 48
#define MK__GPU_SUB_MAX_SIZE ((uint64_t)1 << MK__GPU_SUB_MAX_LOG2) /* 256 TiB: no device block comes close */

typedef enum mk__gpu_status {
    MK__GPU_OK = 0,
    MK__GPU_ENOSPACE, /* no free range holds the request (ring: the tail is too close) */
    MK__GPU_ENODES,   /* the caller's metadata array is full (tlsf nodes, ring marks) */
    MK__GPU_EINVAL,   /* a bad argument, a handle that is not live, a tag that went backwards */
} mk__gpu_status_t;

/* What a range holds, for bufferImageGranularity (Vulkan: linear and non-linear
 * resources closer than the granularity may alias). VMA's suballocation types
 * BUFFER and IMAGE_LINEAR, IMAGE_OPTIMAL, UNKNOWN and IMAGE_UNKNOWN. */
typedef enum mk__gpu_kind {
    MK__GPU_KIND_LINEAR = 0, /* buffers and linear-tiling images */
    MK__GPU_KIND_OPTIMAL,    /* optimal-tiling images */
    MK__GPU_KIND_UNKNOWN,    /* tiling not known: conflicts with every kind, itself included */
    MK__GPU_KIND_COUNT
} mk__gpu_kind_t;

/* ---- shared arithmetic ---------------------------------------------------- */

static inline bool mk__gpu_is_pow2(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* x rounded up to a multiple of `align` (a power of two); callers keep x and
 * align at most MK__GPU_SUB_MAX_SIZE, so the sum never wraps. */
static inline uint64_t mk__gpu_align_up(uint64_t x, uint64_t align) { return (x + align - 1) & ~(align - 1); }

/* The argument checks every alloc makes: a non-zero size, a power-of-two
 * alignment no larger than MK__GPU_SUB_MAX_SIZE. */
static inline bool mk__gpu_request_ok(uint64_t size, uint64_t alignment) {
    return size != 0 && mk__gpu_is_pow2(alignment) && alignment <= MK__GPU_SUB_MAX_SIZE;
}

/* ==== tlsf: general sub-allocation ======================================== */

#define MK__GPU_TLSF_SL_LOG2 5 /* 32 second-level lists per first level */
#define MK__GPU_TLSF_SL_COUNT (1 << MK__GPU_TLSF_SL_LOG2)
/* First level 0 holds the sizes below 2^SL_LOG2 = 32 one byte apart; level f >= 1
 * holds [2^(f+4), 2^(f+5)) in 32 steps; the last level holds MK__GPU_SUB_MAX_SIZE. */
#define MK__GPU_TLSF_FL_COUNT (MK__GPU_SUB_MAX_LOG2 - MK__GPU_TLSF_SL_LOG2 + 2)
#define MK__GPU_TLSF_NIL UINT32_MAX /* no node */

/* Nodes enough for `n` live allocations in every pattern: free ranges never touch
 * (they coalesce), so n allocations leave at most n + 1 free ranges. */
#define MK__GPU_TLSF_NODES_FOR(n) (2u * (uint32_t)(n) + 1u)

/* One range of the block, an allocation or a free range, or a spare node. The
 * caller provides the array and never reads or writes it; the fields are
 * private to tlsf.c. */
typedef struct mk__gpu_tlsf_node {
    uint64_t offset;
    uint64_t size;
    uint32_t prev_phys; /* the range just before this one, NIL for the one at offset 0 */
    uint32_t next_phys; /* the range just after, NIL for the last */
    uint32_t prev_free; /* free ranges: links of their size-class list */
    uint32_t next_free; /* ... spare nodes: the next spare */
    uint8_t state;      /* spare, free or used */
    uint8_t kind;       /* used ranges: an mk__gpu_kind_t */
} mk__gpu_tlsf_node_t;

/* A TLSF over [0, size). The fields above `nodes` may be read; the rest is private.
 * Invariants (mk__gpu_tlsf_validate checks them): the ranges tile [0, size) in
 * a chain starting at nodes[0]; no two free ranges are adjacent; used +
 * free_bytes == size; no two allocations of conflicting kinds touch the same
 * granularity page. */
typedef struct mk__gpu_tlsf {
    uint64_t size;        /* the block */
    uint64_t granularity; /* bufferImageGranularity, a power of two (1: none) */
    uint64_t used;        /* bytes in allocations (exactly the sizes asked for) */
    uint64_t free_bytes;  /* bytes in free ranges, alignment and granularity gaps included */
    uint32_t count;       /* live allocations */
    uint32_t nodes_live;  /* nodes in the chain: allocations + free ranges */
    mk__gpu_tlsf_node_t *nodes;
    uint32_t node_capacity;
    uint32_t nodes_touched; /* nodes[0, touched) have been used; the rest never were */
    uint32_t spare;         /* recycled nodes, chained by next_free; NIL when none */
    uint64_t fl_map;                                          /* bit f: some list of level f is non-empty */
    uint32_t sl_map[MK__GPU_TLSF_FL_COUNT];                   /* bit s of [f]: list (f, s) is non-empty */
    uint32_t heads[MK__GPU_TLSF_FL_COUNT][MK__GPU_TLSF_SL_COUNT]; /* first node of each list whose sl_map bit is set */
} mk__gpu_tlsf_t;

/* Makes [0, size) one free range, with `granularity` (bufferImageGranularity, a
 * power of two; 1 for none) between conflicting kinds, and metadata in
 * nodes[0, node_capacity) — uninitialised storage the TLSF owns until the caller
 * stops using t. MK__GPU_TLSF_NODES_FOR(n) nodes guarantee that node exhaustion
 * never fails a request while fewer than n allocations are live. O(1). Returns
 * MK__GPU_EINVAL, touching nothing, if t or nodes is NULL, node_capacity is 0 or
 * MK__GPU_TLSF_NIL, size is 0 or above MK__GPU_SUB_MAX_SIZE, or granularity is
 * not a power of two at most MK__GPU_SUB_MAX_SIZE; else MK__GPU_OK. */
mk__gpu_status_t mk__gpu_tlsf_init(mk__gpu_tlsf_t *t, uint64_t size, uint64_t granularity,
                                   mk__gpu_tlsf_node_t *nodes, uint32_t node_capacity);

/* Places `size` bytes at an offset that is a multiple of `alignment`, holding a
 * resource of `kind`, and stores the offset and a handle for
 * mk__gpu_tlsf_free. Granularity: when the allocation just before the chosen
 * free range conflicts with `kind` and ends on the granularity page where the
 * offset would start, the offset moves up to the next page; when the allocation
 * just after it conflicts and starts on the page where this one would end, the
 * range is refused (VMA's rule). O(1): at most four free ranges are tried,
 * the first that holds the request wins — the head of the list `size` maps to
 * (a near-exact fit, which needs no new node when exact), the head of the first
 * list whose ranges all hold size + slack (good fit; slack = max(alignment,
 * granularity) - 1, plus granularity - 1 when granularity > 1: the most
 * alignment and granularity can cost), the head of the list size + slack maps
 * to, the head of the highest non-empty list. Hence a request succeeds
 * whenever nodes are spare and either some free range holds size + slack
 * rounded up to the next list boundary (less than 1/32 more), or the block is
 * empty and size fits it; it may fail while a range deeper in a list would
 * hold it: the price of O(1).
 * Returns, changing nothing on failure:
 *   MK__GPU_EINVAL   t, offset or handle is NULL, kind is not a kind, or the
 *                    request is bad (size 0, alignment);
 *   MK__GPU_ENOSPACE size exceeds the block, or none of the four ranges holds it;
 *   MK__GPU_ENODES   the first range that holds it must be split (an alignment
 *                    gap before, a remainder after: one node each) and too few
 *                    nodes are spare;
 *   MK__GPU_OK       otherwise. */
mk__gpu_status_t mk__gpu_tlsf_alloc(mk__gpu_tlsf_t *t, uint64_t size, uint64_t alignment, mk__gpu_kind_t kind,
                                    uint64_t *offset, uint32_t *handle);

/* Frees the allocation `handle` and coalesces it with free neighbours at once.
 * O(1). Returns MK__GPU_EINVAL, changing nothing, if t is NULL or handle is not
 * a live allocation (a second free is caught until the node is reused: handles
 * are node indices, recycled); else MK__GPU_OK. */
mk__gpu_status_t mk__gpu_tlsf_free(mk__gpu_tlsf_t *t, uint32_t handle);

/* The size of the largest free range, 0 when none. It says what fits with
 * alignment 1 beside compatible neighbours; alignment and granularity cost up to
 * the slack above. O(free ranges in the highest non-empty list): a few. */
uint64_t mk__gpu_tlsf_largest_free(const mk__gpu_tlsf_t *t);

/* Counters, O(1): bytes allocated, bytes free (used + free == size), live
 * allocations. */
static inline uint64_t mk__gpu_tlsf_used(const mk__gpu_tlsf_t *t) { return t->used; }
static inline uint64_t mk__gpu_tlsf_free_bytes(const mk__gpu_tlsf_t *t) { return t->free_bytes; }
static inline uint32_t mk__gpu_tlsf_count(const mk__gpu_tlsf_t *t) { return t->count; }

/* Walks every range, list and spare node and checks the invariants above plus:
 * chain links agree both ways, every free range sits once in the list its size
 * maps to and the bitmaps match the lists, the counters match the ranges, and
 * every touched node is in the chain or spare. True when all hold. O(nodes);
 * for tests, fuzzing and mk_validate(). */
bool mk__gpu_tlsf_validate(const mk__gpu_tlsf_t *t);

/* Calls visit(user, offset, size, handle) for every range of the block in
 * offset order: allocations with their handle (and *kind their
 * mk__gpu_kind_t), free ranges with MK__GPU_TLSF_NIL. They tile [0, size).
 * For dumps (mk_gpu_stats_json); O(ranges). */
typedef void (*mk__gpu_tlsf_visit_t)(void *user, uint64_t offset, uint64_t size, uint32_t handle, mk__gpu_kind_t kind);
void mk__gpu_tlsf_walk(const mk__gpu_tlsf_t *t, mk__gpu_tlsf_visit_t visit, void *user);

/* ==== linear: per-frame heaps ============================================= */

/* A bump allocator over [0, size): allocations are never freed one by one;
 * mk__gpu_linear_reset drops them all (when the frame's fence has signalled).
 * Holds buffers only, so granularity does not arise. The fields may be read. */
typedef struct mk__gpu_linear {
    uint64_t size;
    uint64_t top;   /* the first byte past the newest allocation: bytes used, padding included */
    uint32_t count; /* allocations since the last reset */
} mk__gpu_linear_t;

/* An empty linear heap over [0, size). O(1). MK__GPU_EINVAL, touching nothing,
 * if l is NULL or size is 0 or above MK__GPU_SUB_MAX_SIZE. */
mk__gpu_status_t mk__gpu_linear_init(mk__gpu_linear_t *l, uint64_t size);

/* The next `size` bytes at a multiple of `alignment`, after the newest
 * allocation. O(1). Returns, changing nothing on failure: MK__GPU_EINVAL (l or
 * offset NULL, bad request), MK__GPU_ENOSPACE (the aligned end passes size),
 * MK__GPU_OK. */
mk__gpu_status_t mk__gpu_linear_alloc(mk__gpu_linear_t *l, uint64_t size, uint64_t alignment, uint64_t *offset);

/* Frees every allocation. O(1). */
void mk__gpu_linear_reset(mk__gpu_linear_t *l);

/* ==== ring: the staging ring ============================================== */

/* Where the allocations of one tag end: the ring keeps one mark per distinct live
 * tag, in a caller-provided array (frames in flight + 1 is the usual size). */
typedef struct mk__gpu_ring_mark {
    uint64_t tag;
    uint64_t end; /* a position (below) */
} mk__gpu_ring_mark_t;

/* A FIFO ring over [0, size). Positions are 64-bit byte counters that only grow
 * (until the ring empties, when they restart at 0): offset = position - lap,
 * where lap is the position of offset 0 in the current pass. Live bytes are the
 * positions [tail, head); a request fits when its end stays within size of tail.
 * The fields are private; read mk__gpu_ring_used. */
typedef struct mk__gpu_ring {
    uint64_t size;
    uint64_t head; /* the position after the newest allocation */
    uint64_t tail; /* the position of the oldest live byte */
    uint64_t lap;  /* the position of offset 0 in the pass head is in */
    uint64_t skip_from; /* where the latest wrap left the previous pass: [skip_from, lap) is empty */
    mk__gpu_ring_mark_t *marks; /* a circular queue, oldest tag first */
    uint32_t mark_capacity;
    uint32_t mark_first;
    uint32_t mark_count;
} mk__gpu_ring_t;

/* An empty ring over [0, size) with room for mark_capacity distinct live tags in
 * marks[] (uninitialised storage the ring owns from now on). O(1). MK__GPU_EINVAL,
 * touching nothing, if r or marks is NULL, mark_capacity is 0, or size is 0 or
 * above MK__GPU_SUB_MAX_SIZE. */
mk__gpu_status_t mk__gpu_ring_init(mk__gpu_ring_t *r, uint64_t size, mk__gpu_ring_mark_t *marks,
                                   uint32_t mark_capacity);

/* `size` bytes at a multiple of `alignment` after the newest allocation, tagged
 * with `tag` (a frame number or fence value: tags never decrease). When they do
 * not fit before the end of the block they go to offset 0 (wrap), and the bytes
 * skipped at the end count as used until everything before them is released.
 * O(1).
 * Returns, changing nothing on failure:
 *   MK__GPU_EINVAL   r or offset is NULL, a bad request, or tag is below the
 *                    newest live tag;
 *   MK__GPU_ENODES   tag is new and every mark is taken;
 *   MK__GPU_ENOSPACE size exceeds the block, or the allocation would reach the
 *                    oldest live byte (release_through a retired tag, then retry);
 *   MK__GPU_OK       otherwise. */
mk__gpu_status_t mk__gpu_ring_alloc(mk__gpu_ring_t *r, uint64_t size, uint64_t alignment, uint64_t tag,
                                    uint64_t *offset);

/* Releases every allocation whose tag is at most `tag` (the GPU is done with
 * them), oldest first. When nothing is left the ring restarts at offset 0.
 * O(tags released). */
void mk__gpu_ring_release_through(mk__gpu_ring_t *r, uint64_t tag);

/* Bytes between the oldest live byte and the newest allocation's end: the
 * allocations, their alignment padding and the bytes skipped by a wrap. O(1). */
static inline uint64_t mk__gpu_ring_used(const mk__gpu_ring_t *r) { return r->head - r->tail; }

#endif /* MK_GPU_SUBALLOC_H */
