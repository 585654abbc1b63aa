/* gpu_internal.h — the GPU tier's state, shared by gpu.c (heaps, buffers,
 * frames, transfers) and gpu_stats.c (statistics, the table, the JSON dump).
 * Not a public header: everything here is under mk__gpu.lock. */
#ifndef MEMKIT_GPU_INTERNAL_H
#define MEMKIT_GPU_INTERNAL_H

#include "internal.h"

#include <memkit/gpu.h>

#include "backend.h"
#include "suballoc.h"

/* [gpu] max_buffers: buffers live at once (records mapped at init, touched as
 * used); block_allocations: allocations one TLSF block holds for sure (its
 * node array is sized for them). memkit_config.h: MKG_GPU_MAX_BUFFERS and
 * MKG_GPU_BLOCK_ALLOCATIONS. */
#define MK__GPU_MAX_FRAMES 16u
#define MK__GPU_BLOCK_NODES MK__GPU_TLSF_NODES_FOR(MKG_GPU_BLOCK_ALLOCATIONS)
#define MK__GPU_DEDICATED UINT32_MAX /* a record's block: its own allocation */
#define MK__GPU_NONE UINT32_MAX
#define MK__GPU_USAGE_TRANSFER_SRC 0x1u /* VK_BUFFER_USAGE_TRANSFER_SRC_BIT */
#define MK__GPU_USAGE_UNIFORM 0x10u     /* VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT */
#define MK__GPU_USAGE_STORAGE 0x20u     /* VK_BUFFER_USAGE_STORAGE_BUFFER_BIT */
#define MK__GPU_RANGE_ALIGNMENT 16u     /* shared ranges: index and indirect offsets need 4, copies like 16 */

typedef struct mk__gpu_block {
    mk_gpu_memory_t memory; /* 0: not allocated */
    unsigned char *mapped;  /* persistent map, or NULL */
    mk_gpu_buffer_t buffer; /* heaps that share: one VkBuffer over the whole block, bound at 0 */
    uint32_t id;            /* for dumps: numbered per heap as created, like VMA's block ids */
    uint32_t live;          /* records placed in it */
    uint64_t frame;         /* linear heaps: the frame whose buffers the block holds */
    mk__gpu_tlsf_node_t *nodes; /* TLSF heaps: the TLSF's metadata ... */
    uint32_t *owners;           /* ... and owners[handle], the record of each allocation */
    mk__gpu_tlsf_t tlsf;     /* TLSF heaps */
    mk__gpu_linear_t linear; /* linear heaps: block i serves frame slot i */
} mk__gpu_block_t;

typedef struct mk__gpu_heap {
    const mk_gpu_heap_layout_t *layout;
    int32_t type;
    uint32_t type_flags, cost;
    bool mapped, coherent;
    bool shared;             /* buffers are ranges of their block's VkBuffer (no images, not dedicated) */
    uint32_t usage;          /* the union of its intents' usage flags (the ring: TRANSFER_SRC) */
    uint64_t sub_alignment;  /* shared heaps: every range starts at a multiple of it */
    mk__gpu_block_t *blocks; /* [layout->max_blocks]; allocated ones have memory != 0 */
    uint32_t block_top;      /* blocks [block_top, max_blocks) are not allocated */
    uint32_t block_count;    /* allocated blocks */
    uint32_t next_block_id;
    uint32_t dedicated;
    uint64_t dedicated_bytes;
    uint64_t charged, live, failures;
} mk__gpu_heap_t;

typedef struct mk__gpu_intent {
    uint64_t charged, live, total, failures;
    uint32_t warned; /* bit n: ML30n reported once for this intent */
} mk__gpu_intent_t;

enum { MK__GPU_REC_FREE = 0, MK__GPU_REC_LIVE, MK__GPU_REC_DEFERRED };

typedef struct mk__gpu_rec {
    mk_gpu_buffer_t buffer; /* 0: an mk_gpu_alloc allocation */
    mk_gpu_memory_t memory; /* its block's, or its dedicated allocation */
    unsigned char *mapped;  /* its first byte when mapped */
    uint64_t offset, size, charged;
    uint64_t last_frame;    /* the newest frame that used it */
    uint32_t generation;
    uint32_t next;          /* free list, or the deferred list */
    uint32_t block;         /* index in its heap, or MK__GPU_DEDICATED */
    uint32_t sub;           /* TLSF handle */
    uint8_t heap, intent, state;
    uint8_t kind;           /* mk__gpu_kind_t: buffers and linear images, optimal images */
    uint8_t own_buffer;     /* 1: `buffer` is its own VkBuffer (destroyed with it); 0: its block's, or none */
} mk__gpu_rec_t;

/* Where the record's bytes start inside rec->buffer. */
static inline uint64_t mk__gpu_buffer_offset(const mk__gpu_rec_t *rec) { return rec->own_buffer ? 0 : rec->offset; }

typedef struct mk__gpu_state {
    mk__lock_t lock;
    bool up, in_frame;
    mk_gpu_backend_t be;
    mk_gpu_device_info_t dev;
    mk__gpu_heap_t heaps[MK_GPU_STATS_HEAPS];
    mk__gpu_intent_t intents[MK_GPU_STATS_INTENTS];
    uint64_t charged;
    uint32_t device_allocations;
    uint64_t device_bytes[MK_GPU_MAX_MEMORY_HEAPS]; /* allocated by the tier, per device heap */
    uint32_t frames; /* in flight */
    uint64_t frame;  /* current, from 1 */
    uint64_t completed;
    mk_gpu_fence_t fences[MK__GPU_MAX_FRAMES]; /* of frame f at f % frames */
    uint32_t batch_copies;                     /* copies recorded since the last submit */
    /* the staging ring */
    uint32_t ring_heap; /* MK__GPU_NONE: no ring */
    mk__gpu_ring_t ring;
    mk__gpu_ring_mark_t marks[MK__GPU_MAX_FRAMES + 1];
    mk_gpu_buffer_t ring_buffer; /* the ring block's VkBuffer */
    /* buffer records */
    mk__gpu_rec_t *recs;
    uint32_t rec_touched, rec_free, deferred_head;
    uint64_t deferred;
    mk_gpu_oom_handler_t oom;
    void *oom_user;
} mk__gpu_state_t;

extern mk__gpu_state_t mk__gpu;

static inline unsigned mk__gpu_heap_count(void) { return MKG_GPU_HEAP_COUNT; }
static inline unsigned mk__gpu_intent_count(void) { return MKG_GPU_INTENT_COUNT; }

/* gpu_stats.c: the tier's rows of mk_stats_print (a hook, mk__gpu_hooks.print). */
void mk__gpu_print(const mk__out_t *out);
/* A recorded row's GPU heaps (a hook, mk__gpu_hooks.usage): [used, reserved] bytes per heap. */
void mk__gpu_usage(uint64_t *pairs);

/* What the device may still give heap `h`'s memory type: VK_EXT_memory_budget's
 * budget less its usage when the backend answers, else 80 % of the heap's size
 * less what the tier allocated from it. */
void mk__gpu_device_budget(const mk__gpu_heap_t *h, uint64_t *usage, uint64_t *budget);

/* The ranges of block b of heap h in offset order, tiling the block: each
 * allocation with its record, each free range with rec NULL. Linear blocks:
 * their live records, then the free tail; the ring: its one buffer. */
typedef void (*mk__gpu_range_visit_t)(void *user, uint64_t offset, uint64_t size, const mk__gpu_rec_t *rec);
void mk__gpu_block_ranges(const mk__gpu_heap_t *h, const mk__gpu_block_t *b, mk__gpu_range_visit_t visit, void *user);

#endif /* MEMKIT_GPU_INTERNAL_H */
