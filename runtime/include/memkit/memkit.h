/* memkit/memkit.h — the public API of the memkit runtime.
 *
 * Include this header (never the generated one directly). It pulls in the
 * generated "memkit_config.h" from the include path, which defines the intents
 * (mk_intent_t: MK_INTENT_PHYSICS …), pools and routing tables of your
 * memkit.toml; the inline fast paths below fold into a direct bump or pool pop
 * when the intent and size are compile-time constants.
 *
 * Conventions for every function below:
 * - Allocation returns NULL on failure and records why (mk_last_error()); it
 *   never sets errno.
 * - Every returned block is aligned to at least MKG_ALIGNMENT.
 * - "thread-safe" means any attached thread may call it concurrently; threads
 *   attach lazily on first use (when built with threads = true).
 */
#ifndef MEMKIT_MEMKIT_H
#define MEMKIT_MEMKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Builds without stdio (bare metal): MK_NO_STDIO=1 leaves out every function
 * that takes a FILE * or formats with printf (memkit/output.h); the runtime
 * and every translation unit that includes memkit.h must agree. */
#ifndef MK_NO_STDIO
#define MK_NO_STDIO 0
#endif
#if !MK_NO_STDIO
#include <stdio.h>
#endif

#include <memkit/config.h>
#include "memkit_config.h"
#include <memkit/limits.h>

#if !defined(MKG_INTENT_COUNT) || !defined(MKG_THREADS)
#error "memkit_config.h is not a memkit-gen output: check the include path"
#endif

/* line sinks: the stats table and validation findings below are written to them */
#include <memkit/output.h>

/* Every header of memkit declares with C linkage (memkit/lang.h): C++
 * includes them as they are; memkit/memkit.hpp adds the C++ interface. */
MK__API_BEGIN

/* The linked name of a runtime symbol: itself, or prefixed by the config's
 * [memkit] prefix (memkit/prefix.h, included by the generated header). */
#ifndef MK__SYMBOL
#define MK__SYMBOL(name) name
#endif

/* Sentinel (hardened debug) mode: MK_SENTINEL=1 (CMake MEMKIT_SENTINEL=ON),
 * or a generated `#define MKG_SENTINEL 1` ([debug] sentinel = true). Every
 * translation unit of a program must agree; 0 compiles all of it out. */
#ifndef MK_SENTINEL
#if defined(MKG_SENTINEL)
#define MK_SENTINEL MKG_SENTINEL
#else
#define MK_SENTINEL 0
#endif
#endif

/* ---- status codes -------------------------------------------------------- */

typedef enum mk_status {
    MK_OK = 0,
    MK_ENOMEM = 1,   /* the tier (and its fallbacks) had no memory left */
    MK_EBUDGET = 2,  /* the intent's budget or the total budget is spent */
    MK_EINVAL = 3,   /* bad argument: unknown intent, bad alignment, size overflow */
    MK_EABI = 4,     /* generated config does not match this runtime */
    MK_ESTATE = 5,   /* called in the wrong state (not initialised, twice, …) */
    MK_ETHREADS = 6, /* more than MKG_MAX_THREADS threads attached at once */
    MK_ESYSTEM = 7,  /* the OS refused a reservation at mk_init */
    MK_ECORRUPT = 8, /* mk_validate found memkit's structures damaged */
    MK_EFULL = 9,    /* a fixed-capacity table (handles, deferred frees, callbacks) is full */
    MK_ETOOBIG = 10, /* larger than the intent's tier serves (a pool intent with oversize = "fail") */
    MK_PENDING = 11,   /* async: the request is queued; its callback runs from mk_async_dispatch */
    MK_ETIMEDOUT = 12, /* async: the request's deadline passed */
    MK_ECLOSED = 13,   /* async: the channel is closed */
    MK_EBUSY = 14,     /* the frame to reuse is still held (mk_begin_frame_try) */
    MK_EEMPTY = 15,    /* async: nothing to receive now */
    MK_ERANGE = 16     /* mk_init: a size in the config does not fit this target's address space
                          (reserve storage above 4 GiB on a 32-bit target) */
} mk_status_t;

/* A short English name for a status ("MK_EBUDGET: budget exhausted"). Never NULL. */
const char *mk_status_str(mk_status_t status);

/* ---- lifecycle ----------------------------------------------------------- */

/* Initialises the runtime from the generated `mkg_config`: checks the ABI,
 * reserves storage for tiers with storage = "reserve", formats the heap.
 * O(number of classes). Not thread-safe: call once, before other threads use
 * memkit. Returns MK_OK, MK_EABI (stale generated code), MK_ESTATE (already
 * initialised), MK_ESYSTEM (a reservation failed; nothing is left mapped),
 * MK_ERANGE (storage = "reserve" sizes this target cannot address, such as
 * more than 4 GiB on a 32-bit target, or frame arenas that end within one
 * arena of the top of the address space; nothing is mapped) or MK_EINVAL (a
 * NULL config, or a heap region too small or too large to format). */
mk_status_t mk_init(const mk_config_t *config);

/* What a call to mk_init compiles to outside the runtime: the caller's
 * generated header names its config, and a runtime compiled with another one
 * refuses it (MK_EABI, with a message on stderr). That is what happens when
 * two components with two configs and no [memkit] prefix link into one
 * program: the second mk_init reaches the first component's runtime. Give
 * each config its own prefix and both work side by side. */
/* What a translation unit compiled memkit's inline fast paths against
 * (MK__LAYOUT_KEY, memkit/fastpath.h): mk_init passes the caller's, and a
 * runtime compiled otherwise refuses it (MK_EABI, with a message naming the
 * difference), instead of letting two views of the per-thread state corrupt
 * each other. */
typedef struct mk__layout_key {
    uint64_t hash;          /* MKG_LAYOUT_HASH: the generated header's layout */
    uint32_t thread_bytes;  /* sizeof the per-thread state the fast paths touch */
    uint8_t sentinel;       /* MK_SENTINEL */
    uint8_t locked_atomics; /* MK__ATOMIC64_LOCKED */
    uint8_t tracking;       /* MK_TRACKING: AddressSanitizer or Valgrind told of blocks */
} mk__layout_key_t;
MK__INTERNAL mk_status_t mk__init_for(const mk_config_t *config, const char *caller_config_sha256,
                                      mk__layout_key_t caller_layout);
#if !defined(MK__RUNTIME_SOURCE)
#undef mk_init
#define mk_init(config) mk__init_for((config), MKG_CONFIG_SHA256, MK__LAYOUT_KEY)
#endif

/* Flushes the calling thread, releases reserved storage and forgets all state
 * so that mk_init may be called again. Every other thread that used memkit
 * must have exited first. Blocks still allocated are released with the tiers
 * (system-fallback blocks excepted: those must be freed before). Returns the
 * number of pool, heap and system-fallback blocks still live (leaked), in
 * every build; sentinel builds first report each one (ML608, with its intent,
 * size and allocation site). */
size_t mk_shutdown(void);

/* Gives up the calling thread's slot: its cached blocks and budget leases go
 * back to the global lists, and its frame arena slots whose frames have left
 * flight are released (their bytes to the budgets, spilled blocks to the
 * heap). Frames still in flight stay valid until they leave flight, when
 * mk_begin_frame releases them (or a new thread taking the slot does). Called
 * automatically when a thread exits; call it by hand in threads that outlive
 * their use of memkit. A thread that attaches later starts with no open
 * phase, pushed intent or checkpoint. Thread-safe.
 *
 * fork(): memkit is safe to use in the child. The forking thread keeps its
 * slot; the slots of the parent's other threads are released in the child as
 * if those threads had exited. */
void mk_thread_detach(void);

/* Why the calling thread's last failed call failed (MK_OK when none did).
 * Thread-local. */
mk_status_t mk_last_error(void);

/* ---- frames --------------------------------------------------------------- */

/* Starts the next frame: memory allocated in frame N stays valid until frame
 * N + MKG_FRAMES_IN_FLIGHT begins. Each thread resets its arena slot lazily, at
 * its first frame allocation in the new frame, in O(intents) whatever the
 * number of allocations. Call from one thread (the frame driver). */
void mk_begin_frame(void);

/* Ends the current frame and samples peak statistics. Frame memory is not
 * released here (see mk_begin_frame). Call from the frame driver. */
void mk_end_frame(void);

/* The number of mk_begin_frame calls since mk_init. Thread-safe. */
uint64_t mk_frame_index(void);

/* ---- allocation ------------------------------------------------------------ */

/* Allocates `size` bytes for `intent` from the intent's tier, within its
 * budget. O(1) (frame: a bump; pool: a thread-cache pop; heap: TLSF under a
 * lock). Thread-safe. Not zeroed. Aligned to MKG_ALIGNMENT. Returns NULL if
 * and only if the intent's tier cannot serve it (arena, pool class or heap
 * full, size above the largest pool class) and its on_exhausted policy finds
 * no other memory, or the budget would be exceeded, or the thread cannot
 * attach; MK_POLICY_PANIC aborts instead of returning NULL. */
static inline void *mk_alloc(mk_intent_t intent, size_t size);

/* As mk_alloc, aligned to `align`. Any value up to MKG_ALIGNMENT (0 included)
 * means MKG_ALIGNMENT; above it, `align` must be a power of two, else NULL
 * (MK_EINVAL). Pool intents asking for more than MKG_ALIGNMENT are served by
 * the heap tier, charged to the same intent. */
static inline void *mk_alloc_aligned(mk_intent_t intent, size_t size, size_t align);

/* count * size zeroed bytes for `intent`. NULL on overflow (MK_EINVAL) or as
 * mk_alloc. O(size) for the zeroing. Thread-safe. */
void *mk_calloc(mk_intent_t intent, size_t count, size_t size);

/* Resizes a block: ptr == NULL allocates for `intent`; size == 0 frees and
 * returns NULL. Pool and heap blocks keep the intent they were allocated
 * for; a block that still fits is returned as is, a heap block grows in place
 * when its neighbour is free, otherwise a new block is allocated, the contents
 * copied and the old block freed. Frame blocks are copied into a new frame
 * allocation for `intent` (their old size is not recorded, so the copy reads
 * up to min(size, end of that arena)). On failure returns NULL and the old
 * block is untouched. Thread-safe. */
void *mk_realloc(mk_intent_t intent, void *ptr, size_t size);

/* Frees a block from any tier, from any thread. NULL is ignored. Frame blocks
 * are released with their frame, so freeing one is a no-op. Pool blocks are
 * found from the address (no header): a range check and a span-table load.
 * O(1). Thread-safe. The block must come from memkit and not be freed twice. */
static inline void mk_free(void *ptr);

/* mk_free when the caller knows the block's intent and requested size: skips
 * the address lookup for pool intents. `size` must be the size passed to
 * mk_alloc (or anything that maps to the same size class). */
static inline void mk_free_sized(mk_intent_t intent, void *ptr, size_t size);

/* Usable bytes of a pool, heap or system-fallback block (>= the size asked
 * for); 0 for frame blocks and NULL. O(1). Thread-safe. */
size_t mk_usable_size(const void *ptr);

/* The usable size mk_alloc(intent, size) gives when it succeeds, computed
 * without allocating (what a library's "round up" hook asks: SQLite's
 * xRoundup). A pool intent: its size class, or for a request above the
 * largest class the heap's figure (oversize = "heap"); a heap intent: the
 * heap front's bin (requests up to 16 KiB, where the build has a front),
 * else the request rounded up to the heap's 16-byte granule; a frame intent:
 * the request rounded up to MKG_ALIGNMENT. 0 when the intent never serves
 * `size` (unknown or async intent, oversize = "fail", size overflow).
 * Sentinel builds report `size` itself, as mk_usable_size does; for size 0
 * the figure is that of size 1 (builds that tell AddressSanitizer about
 * blocks give a 0-byte heap request no usable byte: ask for 1). O(1).
 * Thread-safe; works before mk_init. */
size_t mk_good_size(mk_intent_t intent, size_t size);

/* True when `ptr` points into memory memkit manages: a pool, the heap or a
 * frame arena of this mk_init (any address inside, not only a block's start;
 * freed blocks included). False for NULL, for any other address, before
 * mk_init, and for system-fallback blocks ([heap] fallback = "system": they
 * come from malloc). A malloc interposer (integrations/override) uses it to
 * send pointers memkit does not own back to their own allocator. O(pools).
 * Thread-safe; reads no block. */
bool mk_owns(const void *ptr);

/* Typed helpers: MK_NEW(MK_INTENT_AI, struct path_node) */
#define MK_NEW(intent, T) ((T *)mk_alloc_aligned((intent), sizeof(T), MK__ALIGNOF(T)))
#define MK_NEW_ZEROED(intent, T) ((T *)mk_calloc((intent), 1, sizeof(T)))
#define MK_NEW_ARRAY(intent, T, n) ((T *)mk_calloc((intent), (n), sizeof(T)))

/* ---- out-of-memory policy -------------------------------------------------- */

/* Called for intents with on_exhausted = "callback" when their tier or budget
 * cannot serve `size` bytes (`reason` is MK_ENOMEM or MK_EBUDGET). Return
 * non-zero after releasing memory to have the allocation retried once, zero to
 * let it fail. Runs on the allocating thread, outside memkit's locks: it may
 * free memkit memory. */
typedef int (*mk_oom_handler_t)(mk_intent_t intent, size_t size, mk_status_t reason, void *user);

/* Installs the handler (NULL removes it). Thread-safe; takes effect for
 * allocations that start after it returns. */
void mk_set_oom_handler(mk_oom_handler_t handler, void *user);

/* ---- statistics ------------------------------------------------------------ */

/* The intent's name as written in memkit.toml ("physics"); "?" for a value
 * outside mk_intent_t or before mk_init. O(1). Thread-safe. */
const char *mk_intent_name(mk_intent_t intent);

typedef struct mk_intent_stats {
    const char *name;
    uint8_t tier;          /* mk_tier_t */
    uint64_t budget;       /* 0: no budget of its own */
    uint64_t current;      /* bytes held now (frame: in live frame slots) */
    uint64_t peak;         /* high-water mark of current (see docs/architecture.md) */
    uint64_t allocations;  /* successful allocations (frame allocations included) */
    uint64_t frees;        /* frees of pool/heap/system blocks */
    uint64_t failures;     /* allocations that returned NULL (a refused thread attach included) */
    uint64_t oversize;     /* pool requests above the pool's largest class: served by the heap
                              (oversize = "heap") or refused with MK_ETOOBIG */
    uint64_t leased;       /* budget bytes leased to threads and not used: not in `current`,
                              but not available to other threads until recalled */
} mk_intent_stats_t;

typedef struct mk_tier_stats {
    uint64_t capacity; /* bytes the tier owns (frame: all arenas) */
    uint64_t used;     /* bytes held by the program (pool: blocks handed out) */
    uint64_t peak;     /* high-water mark where tracked (heap: of its occupancy, cached blocks included), else used */
    uint64_t cached;   /* pool, heap: free blocks kept in threads' caches (not in `used`; the
                          heap's counted at their bins' sizes, so a cached block up to a bin
                          step larger shows its excess in `used`) */
} mk_tier_stats_t;

/* One async pool, task arena or channel (memkit/async.h). */
#define MK_ASYNC_KIND_POOL 0u
#define MK_ASYNC_KIND_ARENA 1u   /* its chunk pool: units are chunks */
#define MK_ASYNC_KIND_CHANNEL 2u /* units are message slots */
typedef struct mk_async_stats {
    const char *name;
    uint8_t kind;              /* MK_ASYNC_KIND_* */
    int intent;                /* the intent charged; -1 for a channel */
    uint64_t capacity;         /* blocks, chunks or message slots */
    uint64_t unit_bytes;       /* bytes per block or chunk; 0 for a channel */
    uint64_t in_use;           /* blocks held, chunks owned, messages queued */
    uint64_t peak;             /* high-water mark of in_use */
    uint64_t waiters;          /* requests queued now (senders and receivers for a channel) */
    uint64_t grants;           /* requests served (channel: permits granted) */
    uint64_t releases;         /* blocks or chunks given back (channel: messages received) */
    uint64_t timeouts;         /* waiters whose deadline passed */
    uint64_t evictions;        /* blocks reclaimed from their holders (backpressure = "evict") */
    uint64_t failures;         /* requests refused at once: backpressure = "fail", budget, closed */
    uint64_t cancels;          /* waiters withdrawn (mk_async_cancel) */
    uint64_t longest_wait_ns;  /* the longest a request waited before it was served or timed out */
} mk_async_stats_t;
#define MK__ASYNC_STATS_COUNT (MKG_ASYNC_POOL_COUNT + MKG_ASYNC_ARENA_COUNT + MKG_ASYNC_CHANNEL_COUNT)

typedef struct mk_stats {
    mk_intent_stats_t intents[MKG_INTENT_COUNT];
    mk_tier_stats_t tiers[MK_TIER_COUNT];
    uint64_t system_bytes;      /* bytes in system-fallback blocks */
    uint64_t budget_total;      /* 0: no total budget */
    uint64_t budget_reserved;   /* bytes charged against the total (incl. thread leases) */
    uint64_t frame_index;
    uint32_t threads_attached;
    uint64_t attach_failures;   /* calls refused a thread slot (more than max_threads threads at once) */
    uint32_t async_count;       /* entries of `async`: pools, then task arenas, then channels */
    mk_async_stats_t async[MK__ASYNC_STATS_COUNT > 0 ? MK__ASYNC_STATS_COUNT : 1];
} mk_stats_t;

/* Sums the per-thread counters into *out. O(threads × intents). Thread-safe;
 * figures read while other threads allocate are a consistent-enough snapshot
 * (each counter exact, the sum not atomic). */
mk_status_t mk_stats_get(mk_stats_t *out);

/* Writes a per-intent table (in use, peak, budget headroom, allocations,
 * failures) and per-tier usage to `sink`, one line per call (no newlines;
 * memkit/output.h). Thread-safe. */
void mk_stats_write(mk_line_sink_t sink, void *user);

#if !MK_NO_STDIO
/* mk_stats_write to `out`, a newline after each line. Thread-safe. */
void mk_stats_print(FILE *out);
#endif

/* ---- fault injection (builds with MK_FAULT_INJECTION=1 only) ------------------- */
#if defined(MK_FAULT_INJECTION) && MK_FAULT_INJECTION
/* Kinds of request that can be made to fail (a mask of these). */
#define MK_FAULT_RESERVE 1u /* OS reservations at mk_init */
#define MK_FAULT_SYSTEM 2u  /* system-fallback allocations */
#define MK_FAULT_BUDGET 4u  /* budget grabs (intent or total) */
/* From now on, counts requests of the kinds in `kinds` and fails the nth
 * (n >= 1); n == 0 or kinds == 0 turns injection off. Not thread-safe with
 * allocation. */
void mk_fault_fail_at(unsigned kinds, uint64_t n);
/* Requests counted since the last mk_fault_fail_at. */
uint64_t mk_fault_requests(void);
#endif

MK__API_END

/* ---- diagnostics reports (MLnnn codes) -------------------------------------- */
#include <memkit/report.h>

/* ---- inline definitions ----------------------------------------------------- */
#include <memkit/fastpath.h>

/* ---- longer-lived features ----------------------------------------------------- */
#include <memkit/lifecycle.h>
#include <memkit/containers.h>
#include <memkit/handles.h>
#include <memkit/shared.h>
#include <memkit/record.h>

/* ---- sentinel builds: the allocation API records its call site -------------------
 * Each name stays a function (its address can be taken); a call through the
 * name first records __FILE__:__LINE__ for the reports and the leak audit.
 * The runtime's own sources (MK__RUNTIME_SOURCE) see the plain functions. */
#if MK_SENTINEL && !defined(MK__RUNTIME_SOURCE)
/* the static inline ones keep their names; the others call their linked name */
#define MK__SITE(call) (mk__sentinel_site(__FILE__, __LINE__), call)
#define mk_alloc(...) MK__SITE(mk_alloc(__VA_ARGS__))
#define mk_alloc_aligned(...) MK__SITE(mk_alloc_aligned(__VA_ARGS__))
#define mk_free(...) MK__SITE(mk_free(__VA_ARGS__))
#define mk_free_sized(...) MK__SITE(mk_free_sized(__VA_ARGS__))
#undef mk_calloc
#undef mk_realloc
#undef mk_alloc_current
#undef mk_shared_new
#undef mk_shared_make_mut
#undef mk_scratch_acquire
#undef mk_group_alloc
#undef mk_promote
#define mk_calloc(...) MK__SITE(MK__SYMBOL(mk_calloc)(__VA_ARGS__))
#define mk_realloc(...) MK__SITE(MK__SYMBOL(mk_realloc)(__VA_ARGS__))
#define mk_alloc_current(...) MK__SITE(MK__SYMBOL(mk_alloc_current)(__VA_ARGS__))
#define mk_shared_new(...) MK__SITE(MK__SYMBOL(mk_shared_new)(__VA_ARGS__))
#define mk_shared_make_mut(...) MK__SITE(MK__SYMBOL(mk_shared_make_mut)(__VA_ARGS__))
#define mk_scratch_acquire(...) MK__SITE(MK__SYMBOL(mk_scratch_acquire)(__VA_ARGS__))
#define mk_group_alloc(...) MK__SITE(MK__SYMBOL(mk_group_alloc)(__VA_ARGS__))
#define mk_promote(...) MK__SITE(MK__SYMBOL(mk_promote)(__VA_ARGS__))
#endif

#endif /* MEMKIT_MEMKIT_H */
