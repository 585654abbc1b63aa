/* malloc_memkit.h — the part of memkit's API that examples/game_loop.c uses,
 * implemented on plain malloc/free, so that the demo can be built a second
 * time, unchanged, on the C library's allocator (or on any allocator
 * LD_PRELOADed in its place) and timed against its memkit build. See
 * bench/README.md, "Whole program (hyperfine)".
 *
 * bench/whole/memkit/memkit.h includes this file: put bench/whole first on the
 * include path, then runtime/include (for memkit/config.h) and the directory
 * of a memkit-gen output (for memkit_config.h: the intents, their tiers and
 * flags, handle tables). Link bench/whole/malloc_memkit.c and that output's
 * memkit_config.c (for mkg_config: intent names, handle table shapes; its
 * static arrays are never touched), never the runtime.
 *
 * What each feature becomes:
 * - pool and heap intents: one malloc per allocation, one free per free, with
 *   a 16-byte header in front of the block (intent, size) so that mk_free
 *   needs no intent and the statistics can be kept;
 * - frame intents: one malloc per allocation, kept on the calling thread's
 *   list for the frame slot (frame index % MKG_FRAMES_IN_FLIGHT) and freed
 *   when that slot is next used, i.e. MKG_FRAMES_IN_FLIGHT frames later, lazily
 *   at the thread's first frame allocation of the new frame, as memkit does;
 *   a mark is the length of that list, a rewind frees back to it; a frame vec
 *   grows with realloc while it is the thread's newest frame block;
 * - handles: a slot table (generation and block pointer per slot) whose
 *   blocks are calloc'ed and freed one by one; nothing moves, so
 *   mk_handles_defragment moves nothing and mk_handle_get takes no lock;
 * - shared buffers: a 16-byte reference count header on one block of the
 *   intent; scratch buffers: plain blocks of the [scratch] intent, none kept;
 * - deferred frees: a table of (block, due frame end) released by mk_end_frame;
 * - statistics: per-thread allocation, free, failure and live-byte counters
 *   per intent (relaxed stores by the owning thread, summed by mk_stats_get);
 * - budgets, phases, policies other than "callback" and "panic" on a failed
 *   malloc, validation: none (mk_validate_report answers MK_OK).
 * Thread state is attached at a thread's first call and kept until
 * mk_shutdown (threads are never detached).
 */
#ifndef MALLOC_MEMKIT_H
#define MALLOC_MEMKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memkit_config.h"

#if !defined(MKG_INTENT_COUNT) || !defined(MKG_FRAMES_IN_FLIGHT) || !defined(MKG_HANDLE_TABLE_COUNT)
#error "memkit_config.h is not a memkit-gen output: check the include path"
#endif

typedef enum mk_status {
    MK_OK = 0,
    MK_ENOMEM = 1,
    MK_EBUDGET = 2,
    MK_EINVAL = 3,
    MK_EABI = 4,
    MK_ESTATE = 5,
    MK_ETHREADS = 6,
    MK_ESYSTEM = 7,
    MK_ECORRUPT = 8,
    MK_EFULL = 9,
    MK_ETOOBIG = 10,
    MK_PENDING = 11,
    MK_ETIMEDOUT = 12,
    MK_ECLOSED = 13,
    MK_EBUSY = 14,
    MK_EEMPTY = 15
} mk_status_t;

const char *mk_status_str(mk_status_t status);
mk_status_t mk_last_error(void);

/* ---- lifecycle and frames ---------------------------------------------------- */

mk_status_t mk_init(const mk_config_t *config);
size_t mk_shutdown(void);      /* frees every thread's frame blocks; returns 0 */
void mk_thread_detach(void);   /* nothing: thread state lives until mk_shutdown */
void mk_begin_frame(void);
void mk_end_frame(void);       /* frame-end callbacks, then due deferred frees */
uint64_t mk_frame_index(void); /* mk_begin_frame calls since mk_init */

typedef void (*mk_frame_callback_t)(uint64_t frame, void *user);
mk_status_t mk_on_frame_end(mk_frame_callback_t fn, void *user);

/* ---- allocation ------------------------------------------------------------------ */

void *mks_frame_alloc(mk_intent_t intent, size_t size);
void *mks_block_alloc(mk_intent_t intent, size_t size, size_t align);
void *mks_bad_intent(void);
/* malloc_async.c: what the async shim handed out and took back for `intent`. */
void mks_async_counts(unsigned intent, uint64_t *allocations, uint64_t *frees);

static inline void *mk_alloc_aligned(mk_intent_t intent, size_t size, size_t align)
{
    if ((unsigned)intent >= (unsigned)MKG_INTENT_COUNT)
        return mks_bad_intent();
    if (mkg_routes[intent].tier == MK_TIER_FRAME && align <= MKG_ALIGNMENT)
        return mks_frame_alloc(intent, size);
    return mks_block_alloc(intent, size, align);
}

static inline void *mk_alloc(mk_intent_t intent, size_t size)
{
    return mk_alloc_aligned(intent, size, 0);
}

void mk_free(void *ptr); /* frame blocks: nothing (they go with their frame) */

static inline void mk_free_sized(mk_intent_t intent, void *ptr, size_t size)
{
    (void)intent;
    (void)size;
    mk_free(ptr);
}

size_t mk_usable_size(const void *ptr); /* the size asked for; 0 for frame blocks */

#define MK_NEW(intent, T) ((T *)mk_alloc_aligned((intent), sizeof(T), _Alignof(T)))

typedef int (*mk_oom_handler_t)(mk_intent_t intent, size_t size, mk_status_t reason, void *user);
void mk_set_oom_handler(mk_oom_handler_t handler, void *user);

/* ---- statistics -------------------------------------------------------------------- */

const char *mk_intent_name(mk_intent_t intent);

typedef struct mk_intent_stats {
    const char *name;
    uint8_t tier;         /* mk_tier_t */
    uint64_t current;     /* pool and heap intents: bytes asked for and not freed; frame: 0 */
    uint64_t allocations; /* frame allocations included */
    uint64_t frees;       /* pool and heap blocks */
    uint64_t failures;    /* mallocs that returned NULL */
} mk_intent_stats_t;

typedef struct mk_tier_stats {
    uint64_t used; /* pool and heap: the sum of their intents' current */
} mk_tier_stats_t;

typedef struct mk_stats {
    mk_intent_stats_t intents[MKG_INTENT_COUNT];
    mk_tier_stats_t tiers[MK_TIER_COUNT];
} mk_stats_t;

mk_status_t mk_stats_get(mk_stats_t *out);
void mk_stats_print(FILE *out);
mk_status_t mk_validate_report(FILE *report); /* MK_OK: there is nothing of memkit's to check */

/* ---- phases and intent scopes ------------------------------------------------------- */

mk_status_t mk_phase_begin(const char *name); /* MK_OK, nothing counted */
void mk_phase_end(void);

void *mk_alloc_current(size_t size); /* for the thread's innermost mk_with_intent */
int mk__with_intent_begin(mk_intent_t intent);
int mk__with_intent_end(int state);
#define mk_with_intent(intent)                                                                                  \
    for (int mk__with_state = mk__with_intent_begin(intent); mk__with_state != 0;                              \
         mk__with_state = mk__with_intent_end(mk__with_state))

/* ---- frame checkpoints and containers -------------------------------------------------- */

typedef struct mk_frame_mark {
    uint64_t epoch; /* the frame it was taken in */
    size_t blocks;  /* the thread's frame blocks of that frame at the mark */
} mk_frame_mark_t;

mk_frame_mark_t mk_frame_mark(void);
mk_status_t mk_frame_rewind(const mk_frame_mark_t *mark); /* frees the blocks allocated since */

char *mk_frame_printf(mk_intent_t intent, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static inline bool mk_is_frame_intent(mk_intent_t intent)
{
    return (unsigned)intent < (unsigned)MKG_INTENT_COUNT && mkg_routes[intent].tier == MK_TIER_FRAME;
}

/* memkit's vec, field for field, so that the demo's code reads it unchanged. */
#define MK_FRAME_VEC_MIN_BYTES 64
#define MK_FRAME_VEC(T)                                                                                          \
    struct {                                                                                                     \
        union {                                                                                                  \
            T *data;                                                                                             \
            void *mk__raw;                                                                                       \
            char (*mk__align)[_Alignof(T)];                                                                      \
        };                                                                                                       \
        size_t len;                                                                                              \
        size_t cap;                                                                                              \
        mk_intent_t intent;                                                                                      \
    }
#define mk_frame_vec_init(v, intent_)                                                                            \
    ((v)->data = NULL, (v)->len = 0, (v)->cap = 0, (v)->intent = (intent_), mk_is_frame_intent((v)->intent))
#define mk_frame_vec_push(v, value)                                                                              \
    ((bool)(((v)->len < (v)->cap || mk__frame_vec_grow(&(v)->mk__raw, &(v)->cap, sizeof *(v)->data,               \
                                                       sizeof *(v)->mk__align, (v)->intent, (v)->len + 1u))      \
                ? ((v)->data[(v)->len] = (value), (v)->len++, 1)                                                 \
                : 0))
#define mk_frame_vec_at(v, i) ((size_t)(i) < (v)->len ? &(v)->data[(size_t)(i)] : NULL)
bool mk__frame_vec_grow(void **data, size_t *cap, size_t elem_size, size_t align, mk_intent_t intent, size_t need);

/* ---- handles ----------------------------------------------------------------------------- */

typedef struct mk_handle {
    uint32_t index; /* table << 24 | slot */
    uint32_t generation;
} mk_handle_t;

#define MK_HANDLE_NULL ((mk_handle_t){ 0u, 0u })

static inline bool mk_handle_is_null(mk_handle_t handle)
{
    return handle.generation == 0u;
}

mk_handle_t mk_handle_alloc(mk_handle_table_id_t table); /* a calloc'ed block */
void *mk_handle_get(mk_handle_t handle);
mk_status_t mk_handle_free(mk_handle_t handle);
size_t mk_handles_defragment(mk_handle_table_id_t table); /* 0: blocks never move */
size_t mk_handles_live(mk_handle_table_id_t table);

/* ---- deferred frees, shared and scratch buffers ------------------------------------------------ */

mk_status_t mk_free_deferred(void *ptr, unsigned frames);
size_t mk_deferred_pending(void);

typedef struct mk_shared mk_shared_t;
mk_shared_t *mk_shared_new(mk_intent_t intent, size_t size, const char *name); /* name not kept */
void *mk_shared_data(mk_shared_t *s);
mk_shared_t *mk_shared_retain(mk_shared_t *s);
void mk_shared_release(mk_shared_t *s);
uint32_t mk_shared_refcount(mk_shared_t *s);
void *mk_shared_make_mut(mk_shared_t **s);
size_t mk_shared_live(void);

void *mk_scratch_acquire(size_t size); /* a new block of the [scratch] intent each time */
void mk_scratch_release(void *buf);    /* freed at once */
size_t mk_scratch_kept_bytes(void);    /* 0 */
void mk_scratch_trim(void);            /* nothing */

#endif /* MALLOC_MEMKIT_H */
