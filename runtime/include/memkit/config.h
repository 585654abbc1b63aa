/* memkit/config.h — the contract between memkit-gen's output and the runtime.
 *
 * Generated code (gen/memkit_config.h, gen/memkit_config.c) fills these
 * structures with constant tables and static storage; the runtime reads them and
 * never parses configuration at run time. Bump MK_RUNTIME_ABI whenever a field
 * here changes meaning, so that stale generated code stops at compile time.
 */
#ifndef MEMKIT_CONFIG_TYPES_H
#define MEMKIT_CONFIG_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include <memkit/lang.h>

MK__API_BEGIN

#define MK_RUNTIME_ABI 8

/* Generated tables are `static const` in the generated header so that a call
 * with a constant intent and size folds to a direct tier call; a translation
 * unit that uses none of them must not warn. */
#if defined(__GNUC__) || defined(__clang__)
#define MK_GENERATED_TABLE __attribute__((unused)) static const
#else
#define MK_GENERATED_TABLE static const
#endif

/* Where an intent's memory comes from. */
typedef enum mk_tier {
    MK_TIER_FRAME = 0, /* per-thread bump arena, reset when its frame slot is reused */
    MK_TIER_POOL = 1,  /* fixed size classes with per-thread caches */
    MK_TIER_HEAP = 2,  /* bounded O(1) TLSF heap over a fixed region */
    MK_TIER_ASYNC = 3, /* async pools and task arenas only (memkit/async.h); mk_alloc refuses it */
    MK_TIER_COUNT = 4
} mk_tier_t;

/* What an intent does when its tier or its budget cannot serve a request. */
typedef enum mk_policy {
    MK_POLICY_FAIL = 0,     /* return NULL, record the reason */
    MK_POLICY_FALLBACK = 1, /* try the next tier (frame/pool -> heap -> system) */
    MK_POLICY_CALLBACK = 2, /* call the OOM handler, retry once if it asks to */
    MK_POLICY_PANIC = 3     /* print the reason and abort */
} mk_policy_t;

/* What the frame tier does when a thread's arena slot is full. */
typedef enum mk_overflow {
    MK_OVERFLOW_FAIL = 0,  /* hand the failure to the intent's policy */
    MK_OVERFLOW_HEAP = 1,  /* serve from the heap tier, released with the frame */
    MK_OVERFLOW_PANIC = 2  /* print the reason and abort */
} mk_overflow_t;

/* Where a tier's memory lives. */
typedef enum mk_storage {
    MK_STORAGE_STATIC = 0, /* a static array in the generated .c: never calls the OS */
    MK_STORAGE_RESERVE = 1 /* mapped once by mk_init, unmapped by mk_shutdown */
} mk_storage_t;

/* mk_route_t.flags */
#define MK_ROUTE_ZERO_ON_FREE 0x01u /* clear blocks when they are freed */
#define MK_ROUTE_BUDGETED 0x02u     /* the intent has a budget of its own */
#define MK_ROUTE_PLAIN_REFCOUNT 0x04u /* its shared buffers count references without atomics */
#define MK_ROUTE_OVERSIZE_HEAP 0x08u  /* pool intent: requests above the pool's largest class go to
                                         the heap tier (oversize = "heap"); without it they fail
                                         with MK_ETOOBIG, and on_exhausted is not applied */

/* Intent -> route. One per intent, indexed by mk_intent_t. */
typedef struct mk_route {
    uint64_t budget;      /* bytes; meaningful when flags & MK_ROUTE_BUDGETED */
    uint8_t tier;         /* mk_tier_t */
    uint8_t pool;         /* pool index when tier == MK_TIER_POOL, else 0 */
    uint8_t on_exhausted; /* mk_policy_t */
    uint8_t flags;        /* MK_ROUTE_* */
} mk_route_t;

/* mk_pool_shape_t.owner when more than one intent routes to the pool. */
#define MK_POOL_SHARED 0xFFu

/* What the inline pool fast path needs of a pool: size -> global class. */
typedef struct mk_pool_shape {
    const uint8_t *size_class; /* [(size + A - 1) >> log2(A)] -> global class index,
                                  A = MKG_ALIGNMENT, for 0 <= size <= max_size */
    uint32_t max_size;         /* largest class size of this pool */
    uint8_t owner;             /* the one intent routed here, or MK_POOL_SHARED */
} mk_pool_shape_t;

/* One size class (global index over all pools, pools in order). */
typedef struct mk_class_layout {
    uint32_t size;   /* block size, a multiple of MKG_ALIGNMENT */
    uint32_t blocks; /* number of blocks */
    uint64_t offset; /* byte offset of the class region in its pool, span aligned */
    uint8_t pool;    /* owning pool index */
} mk_class_layout_t;

/* One pool's storage layout. */
typedef struct mk_pool_layout {
    const char *name;
    unsigned char *storage; /* static array, or NULL: reserved by mk_init */
    uint8_t *tags;          /* per-granule intent tags when owner == MK_POOL_SHARED,
                               bytes >> log2(MKG_ALIGNMENT) entries; else NULL.
                               Static array, or NULL with storage == NULL (reserved) */
    uint64_t *free_bits;    /* the classes' free-block bitmaps, bitmap_words words, one
                               bit per block, classes in order, each from a word boundary.
                               Static array, or NULL with storage == NULL (reserved) */
    const uint8_t *span_class; /* [offset >> span_shift] -> global class index */
    uint64_t bytes;         /* total pool bytes, a multiple of 1 << span_shift */
    uint64_t bitmap_words;  /* sum over classes of ceil(blocks / 64) + ceil(blocks / 4096) (summary) */
    uint32_t span_shift;    /* log2 of the span size */
    uint32_t span_count;    /* bytes >> span_shift */
    uint8_t first_class;    /* global index of its first class */
    uint8_t class_count;
    uint8_t storage_kind;   /* mk_storage_t */
    uint8_t thread_cache;   /* blocks per class kept per thread (0: no cache) */
    uint8_t prefault;       /* 1: mk_init touches every page of the storage */
} mk_pool_layout_t;

/* One slot of a generational handle table ([handles.NAME]). The runtime owns
 * the meaning of the fields; the generator only provides zeroed storage. */
typedef struct mk_handle_slot {
    uint32_t generation; /* bumped when the slot is freed; a handle is valid while equal */
    uint32_t block;      /* live: index of its block; free: next free slot */
    uint32_t pins;       /* pinned slots are not moved by defragmentation */
    uint32_t live;       /* 1 while allocated */
} mk_handle_slot_t;

/* A handle table's storage: capacity blocks of block_size bytes, one slot
 * per block, and the reverse map block -> slot used to compact. */
typedef struct mk_handle_table_layout {
    const char *name;
    unsigned char *blocks;    /* capacity * block_size bytes, static, MKG_ALIGNMENT-aligned */
    mk_handle_slot_t *slots;  /* [capacity], zeroed */
    uint32_t *block_owner;    /* [capacity], zeroed */
    uint32_t capacity;
    uint32_t block_size;      /* a multiple of MKG_ALIGNMENT */
} mk_handle_table_layout_t;

/* ---- the async tier (memkit/async.h) ---------------------------------------- */

/* What an async pool or a channel does when a request finds nothing free. */
typedef enum mk_backpressure {
    MK_BACKPRESSURE_WAIT = 0,    /* queue the waiter (FIFO) until a block or slot is released */
    MK_BACKPRESSURE_FAIL = 1,    /* fail at once with MK_EFULL */
    MK_BACKPRESSURE_TIMEOUT = 2, /* queue, and fail with MK_ETIMEDOUT at the deadline */
    MK_BACKPRESSURE_EVICT = 3    /* reclaim the least recently used evictable block (pools) */
} mk_backpressure_t;

/* A message on a channel: a memkit block whose ownership moves, never copied. */
typedef struct mk_msg {
    void *ptr;
    size_t len;
} mk_msg_t;

/* Per-block state of an evict pool. The runtime owns the fields' meaning; the
 * generator only provides zeroed storage. */
typedef struct mk_async_block_slot {
    void (*evict)(void *block, void *user); /* the holder's eviction callback */
    void *user;
    uint32_t prev, next;                    /* LRU list of evictable blocks */
    uint32_t state;
    uint32_t unused;
} mk_async_block_slot_t;

/* One async pool ([async.pool.NAME]), or the chunk pool of a task arena. */
typedef struct mk_async_pool_layout {
    const char *name;
    unsigned char *storage;       /* count * block bytes, static; NULL: reserved by mk_init */
    uint32_t *free_stack;         /* [count], zeroed; NULL with storage == NULL */
    mk_async_block_slot_t *slots; /* [count], zeroed, for backpressure = evict (else NULL);
                                     NULL with storage == NULL */
    uint64_t block;               /* bytes per block, a multiple of MKG_ALIGNMENT */
    uint64_t timeout_ns;          /* the deadline of backpressure = timeout, else 0 */
    uint32_t count;               /* blocks */
    uint8_t intent;               /* charged to this intent's budget and stats */
    uint8_t backpressure;         /* mk_backpressure_t */
    uint8_t storage_kind;         /* mk_storage_t */
    uint8_t prefault;             /* 1: mk_init touches every page of the storage */
} mk_async_pool_layout_t;

/* One bounded channel ([async.channel.NAME]). */
typedef struct mk_async_channel_layout {
    const char *name;
    mk_msg_t *ring;               /* [capacity], zeroed, static */
    uint64_t timeout_ns;          /* senders' deadline for backpressure = timeout, else 0 */
    uint32_t capacity;            /* messages queued at most */
    uint8_t backpressure;         /* mk_backpressure_t for reserve (never evict) */
} mk_async_channel_layout_t;

/* One task arena ([async.arena.NAME]): its chunks come from an async pool
 * with backpressure = fail, listed after the [async.pool.*] ones. */
typedef struct mk_async_arena_layout {
    const char *name;
    uint32_t pool;                /* index of its chunk pool in mk_config_t.async_pools */
    uint8_t intent;
} mk_async_arena_layout_t;

/* ---- the GPU tier (gpu/) -------------------------------------------------------- */

/* How a GPU heap sub-allocates its blocks. */
typedef enum mk_gpu_heap_kind {
    MK_GPU_HEAP_KIND_TLSF = 0,   /* general sub-allocation, O(1) allocate and free */
    MK_GPU_HEAP_KIND_LINEAR = 1, /* per-frame bump allocation, reclaimed when its frame's fence signals */
    MK_GPU_HEAP_KIND_RING = 2    /* the staging ring that uploads pass through */
} mk_gpu_heap_kind_t;

/* One GPU heap ([gpu.heap.NAME]): blocks of device memory of one memory type,
 * chosen at init as the type of least cost among those with every `required`
 * flag: each `preferred` flag missing and each `not_preferred` flag present
 * costs 1. Flags are VkMemoryPropertyFlags by value. */
typedef struct mk_gpu_heap_layout {
    const char *name;
    uint64_t block;          /* bytes per device memory allocation, 64 KiB .. 4 GiB */
    uint64_t budget;         /* bytes; 0: no budget of its own */
    uint32_t required;       /* memory property flags a type must have */
    uint32_t preferred;
    uint32_t not_preferred;
    uint32_t min_blocks;     /* allocated by init and kept until shutdown */
    uint32_t max_blocks;     /* >= min_blocks, >= 1 */
    uint8_t kind;            /* mk_gpu_heap_kind_t */
    uint8_t mapped;          /* 1: host-visible, its blocks are mapped persistently */
    uint8_t backpressure;    /* rings: MK_BACKPRESSURE_WAIT or _FAIL when an upload finds the ring full */
    uint8_t images;          /* tlsf: 1 holds image memory (mk_gpu_alloc) and gives each buffer its own
                                VkBuffer; 0: the buffers are ranges of one VkBuffer per block */
} mk_gpu_heap_layout_t;

/* One GPU intent ([gpu.intent.NAME]): the buffers of one usage in one heap. */
typedef struct mk_gpu_intent_layout {
    const char *name;
    uint64_t budget;         /* bytes; 0: no budget of its own */
    uint32_t usage;          /* VkBufferUsageFlags of its buffers, by value */
    uint8_t heap;            /* index in mk_config_t.gpu_heaps; never a ring */
    uint8_t on_exhausted;    /* mk_policy_t, never MK_POLICY_FALLBACK */
} mk_gpu_intent_layout_t;

/* Everything mk_init needs; the generator emits one as `mkg_config`. */
typedef struct mk_config {
    uint32_t abi;                    /* MK_RUNTIME_ABI at generation time */
    uint64_t layout_hash;            /* MKG_LAYOUT_HASH of the generated header */
    uint32_t schema;                 /* config schema version */
    const char *source_name;         /* config file name, e.g. "memkit.toml" */
    const char *source_sha256;       /* sha256 of the normalized config, hex */
    const char *platform;            /* overlay applied, or "" */
    const char *const *intent_names; /* [MKG_INTENT_COUNT] */
    const mk_route_t *routes;        /* [MKG_INTENT_COUNT] */
    const mk_pool_layout_t *pools;   /* [MKG_POOL_COUNT] (NULL when 0) */
    const mk_class_layout_t *classes;/* [MKG_CLASS_COUNT] (NULL when 0) */
    unsigned char *frame_storage;    /* static arenas, or NULL: reserved */
    unsigned char *heap_storage;     /* static heap region, or NULL: reserved */
    uint64_t frame_arena_bytes;      /* per thread, per frame slot */
    uint64_t heap_bytes;
    uint64_t budget_total;           /* 0: no global budget */
    uint8_t frame_storage_kind;      /* mk_storage_t */
    uint8_t heap_storage_kind;       /* mk_storage_t */
    uint8_t frame_overflow;          /* mk_overflow_t */
    uint8_t heap_fallback_system;    /* 1: heap misses go to malloc */
    uint8_t frame_prefault;          /* 1: mk_init touches every page of the arenas */
    uint8_t heap_prefault;           /* 1: mk_init touches every page of the heap */
    const mk_handle_table_layout_t *handle_tables; /* [MKG_HANDLE_TABLE_COUNT] (NULL when 0) */
    const mk_async_pool_layout_t *async_pools;       /* [MKG_ASYNC_POOL_COUNT + MKG_ASYNC_ARENA_COUNT]:
                                                        the pools, then each arena's chunk pool (NULL when 0) */
    const mk_async_channel_layout_t *async_channels; /* [MKG_ASYNC_CHANNEL_COUNT] (NULL when 0) */
    const mk_async_arena_layout_t *async_arenas;     /* [MKG_ASYNC_ARENA_COUNT] (NULL when 0) */
    const mk_gpu_heap_layout_t *gpu_heaps;           /* [MKG_GPU_HEAP_COUNT] (NULL when 0) */
    const mk_gpu_intent_layout_t *gpu_intents;       /* [MKG_GPU_INTENT_COUNT] (NULL when 0) */
    uint64_t gpu_budget;             /* bytes of all GPU heaps together; 0: no GPU budget */
    uint32_t gpu_frames_in_flight;   /* [gpu] frames_in_flight, by default [memkit]'s */
    uint64_t *record_rows;           /* [MKG_RECORD_FRAMES * MKG_RECORD_ROW_WORDS] (NULL when 0) */
    uint64_t *record_trace;          /* [MKG_RECORD_TRACE * 4] (NULL when 0) */
} mk_config_t;

MK__API_END

#endif /* MEMKIT_CONFIG_TYPES_H */
