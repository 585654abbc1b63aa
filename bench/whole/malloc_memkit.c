/* malloc_memkit.c — memkit's API as examples/game_loop.c uses it, on plain
 * malloc/free (the contract and what each feature becomes are in
 * malloc_memkit.h).
 *
 * Concurrency: a thread's state (counters, frame lists, intent stack) is
 * written by that thread only; mk_stats_get reads the counters from any
 * thread (relaxed atomics, as memkit's own). The thread list, each handle
 * table's allocation and free, and the deferred table take a mutex;
 * mk_handle_get takes none (its block never moves). Frames are driven by one
 * thread; the frame index is read by all.
 */
#define _POSIX_C_SOURCE 200809L

#include "malloc_memkit.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* ---- block headers ------------------------------------------------------------
 * Every block malloc returns starts (at its aligned end) with this header:
 * pool and heap blocks keep their size, frame blocks the link to the next
 * older frame block of their thread and slot. */
#define MKS_FRAME_BLOCK UINT32_MAX /* `offset` of a frame block */

typedef struct mks_header {
    union {
        uint64_t size;            /* pool and heap: bytes asked for */
        struct mks_header *older; /* frame: the slot's previous block */
    };
    uint32_t intent;
    uint32_t offset; /* bytes from malloc's pointer to this header, or MKS_FRAME_BLOCK */
} mks_header_t;
_Static_assert(sizeof(mks_header_t) == MKG_ALIGNMENT, "the header keeps blocks aligned to MKG_ALIGNMENT");

static mks_header_t *mks_header(const void *ptr)
{
    return (mks_header_t *)(uintptr_t)((const unsigned char *)ptr - sizeof(mks_header_t));
}

/* ---- threads ----------------------------------------------------------------------- */

#define MKS_INTENT_DEPTH 16

typedef struct mks_counters {
    _Atomic int64_t live; /* bytes allocated minus freed by this thread; negative when it frees others' */
    _Atomic uint64_t allocs, frees, failures;
} mks_counters_t;

typedef struct mks_thread {
    struct mks_thread *next;
    mks_counters_t counters[MKG_INTENT_COUNT];
    mks_header_t *frame_newest[MKG_FRAMES_IN_FLIGHT]; /* the slot's blocks, newest first */
    size_t frame_blocks[MKG_FRAMES_IN_FLIGHT];
    uint64_t frame_epoch[MKG_FRAMES_IN_FLIGHT]; /* the frame whose blocks the slot holds */
    uint8_t intents[MKS_INTENT_DEPTH];
    unsigned intent_depth;
    mk_status_t last_error;
} mks_thread_t;

#define MKS_BUMP(counter, delta)                                                                                   \
    atomic_store_explicit(&(counter), atomic_load_explicit(&(counter), memory_order_relaxed) + (delta),            \
                          memory_order_relaxed)

static struct {
    const mk_config_t *config;
    pthread_mutex_t lock; /* the thread list */
    mks_thread_t *threads;
    _Atomic uint64_t epoch;
    mk_oom_handler_t oom_handler;
    void *oom_user;
    struct {
        mk_frame_callback_t fn;
        void *user;
    } frame_end[16];
    unsigned frame_end_count;
} mks = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local mks_thread_t *mks_self_slot;

static mks_thread_t *mks_self(void)
{
    mks_thread_t *t = mks_self_slot;
    if (t != NULL)
        return t;
    t = calloc(1, sizeof *t);
    if (t == NULL) {
        fputs("malloc_memkit: no memory for a thread's state\n", stderr);
        abort();
    }
    pthread_mutex_lock(&mks.lock);
    t->next = mks.threads;
    mks.threads = t;
    pthread_mutex_unlock(&mks.lock);
    mks_self_slot = t;
    return t;
}

static void *mks_fail(mk_status_t status)
{
    mks_self()->last_error = status;
    return NULL;
}

mk_status_t mk_last_error(void)
{
    return mks_self()->last_error;
}

const char *mk_status_str(mk_status_t status)
{
    static const char *const names[] = {"MK_OK",       "MK_ENOMEM",  "MK_EBUDGET", "MK_EINVAL",
                                        "MK_EABI",     "MK_ESTATE",  "MK_ETHREADS", "MK_ESYSTEM",
                                        "MK_ECORRUPT", "MK_EFULL",   "MK_ETOOBIG"};
    return (unsigned)status < sizeof names / sizeof names[0] ? names[status] : "MK_?";
}

/* A malloc that returned NULL: memkit's "callback" policy asks the handler
 * whether to retry (once), "panic" aborts; the failure is counted. */
static int mks_retry_after_failure(mk_intent_t intent, size_t size)
{
    if (mkg_routes[intent].on_exhausted == MK_POLICY_PANIC) {
        fprintf(stderr, "malloc_memkit: intent %s: malloc(%zu) failed\n", mk_intent_name(intent), size);
        abort();
    }
    if (mkg_routes[intent].on_exhausted == MK_POLICY_CALLBACK && mks.oom_handler != NULL &&
        mks.oom_handler(intent, size, MK_ENOMEM, mks.oom_user) != 0)
        return 1;
    MKS_BUMP(mks_self()->counters[intent].failures, 1u);
    mks_fail(MK_ENOMEM);
    return 0;
}

void *mks_bad_intent(void)
{
    return mks_fail(MK_EINVAL);
}

/* ---- pool and heap intents: one malloc each ------------------------------------------- */

void *mks_block_alloc(mk_intent_t intent, size_t size, size_t align)
{
    if (align > MKG_ALIGNMENT && (align & (align - 1u)) != 0)
        return mks_fail(MK_EINVAL);
    if (mkg_routes[intent].tier == MK_TIER_FRAME) /* over-aligned frame blocks: not needed by the demo */
        return mks_fail(MK_EINVAL);
    size_t lead = align > MKG_ALIGNMENT ? align : sizeof(mks_header_t);
    if (size > SIZE_MAX - lead || lead - sizeof(mks_header_t) >= MKS_FRAME_BLOCK)
        return mks_fail(MK_EINVAL);
    void *raw;
    do {
        if (lead == sizeof(mks_header_t))
            raw = malloc(lead + size);
        else if (posix_memalign(&raw, align, lead + size) != 0)
            raw = NULL;
    } while (raw == NULL && mks_retry_after_failure(intent, size));
    if (raw == NULL)
        return NULL;
    unsigned char *ptr = (unsigned char *)raw + lead;
    mks_header_t *h = mks_header(ptr);
    h->size = size;
    h->intent = (uint32_t)intent;
    h->offset = (uint32_t)(lead - sizeof(mks_header_t));
    mks_counters_t *c = &mks_self()->counters[intent];
    MKS_BUMP(c->allocs, 1u);
    MKS_BUMP(c->live, (int64_t)size);
    return ptr;
}

/* memset through a volatile pointer: a clear right before free is not optimised away. */
static void *(*volatile mks_clear)(void *, int, size_t) = memset;

void mk_free(void *ptr)
{
    if (ptr == NULL)
        return;
    mks_header_t *h = mks_header(ptr);
    if (h->offset == MKS_FRAME_BLOCK)
        return;
    size_t size = (size_t)h->size;
    if (mkg_routes[h->intent].flags & MK_ROUTE_ZERO_ON_FREE)
        mks_clear(ptr, 0, size);
    mks_counters_t *c = &mks_self()->counters[h->intent];
    MKS_BUMP(c->frees, 1u);
    MKS_BUMP(c->live, -(int64_t)size);
    free((unsigned char *)h - h->offset);
}

size_t mk_usable_size(const void *ptr)
{
    if (ptr == NULL || mks_header(ptr)->offset == MKS_FRAME_BLOCK)
        return 0;
    return (size_t)mks_header(ptr)->size;
}

void mk_set_oom_handler(mk_oom_handler_t handler, void *user)
{
    mks.oom_handler = handler;
    mks.oom_user = user;
}

/* ---- frame intents: per-thread, per-slot lists of malloc'ed blocks ------------------------- */

static void mks_free_frame_list(mks_header_t *newest, size_t count)
{
    while (count-- > 0) {
        mks_header_t *older = newest->older;
        free(newest);
        newest = older;
    }
}

/* The thread's slot for the current frame, emptied first when it still holds
 * the blocks of a frame MKG_FRAMES_IN_FLIGHT frames ago (or older). */
static unsigned mks_frame_slot(mks_thread_t *t, uint64_t *epoch)
{
    *epoch = atomic_load_explicit(&mks.epoch, memory_order_relaxed);
    unsigned slot = (unsigned)(*epoch % MKG_FRAMES_IN_FLIGHT);
    if (t->frame_epoch[slot] != *epoch) {
        mks_free_frame_list(t->frame_newest[slot], t->frame_blocks[slot]);
        t->frame_newest[slot] = NULL;
        t->frame_blocks[slot] = 0;
        t->frame_epoch[slot] = *epoch;
    }
    return slot;
}

void *mks_frame_alloc(mk_intent_t intent, size_t size)
{
    mks_thread_t *t = mks_self();
    uint64_t epoch;
    unsigned slot = mks_frame_slot(t, &epoch);
    mks_header_t *h;
    do {
        h = size <= SIZE_MAX - sizeof *h ? malloc(sizeof *h + size) : NULL;
    } while (h == NULL && mks_retry_after_failure(intent, size));
    if (h == NULL)
        return NULL;
    h->older = t->frame_newest[slot];
    h->intent = (uint32_t)intent;
    h->offset = MKS_FRAME_BLOCK;
    t->frame_newest[slot] = h;
    t->frame_blocks[slot]++;
    MKS_BUMP(t->counters[intent].allocs, 1u);
    return h + 1;
}

/* `old` (old_bytes) grown to new_bytes: realloc'ed while it is the thread's
 * newest frame block, else copied into a new one (the old one stays until its
 * frame leaves flight). A move counts as an allocation, growth in place not. */
static void *mks_frame_grow(mk_intent_t intent, void *old, size_t old_bytes, size_t new_bytes)
{
    mks_thread_t *t = mks_self();
    uint64_t epoch;
    unsigned slot = mks_frame_slot(t, &epoch);
    if (old == NULL || mks_header(old) != t->frame_newest[slot]) {
        void *moved = mks_frame_alloc(intent, new_bytes);
        if (moved != NULL && old_bytes != 0)
            memcpy(moved, old, old_bytes);
        return moved;
    }
    mks_header_t *h;
    do {
        h = new_bytes <= SIZE_MAX - sizeof *h ? realloc(mks_header(old), sizeof *h + new_bytes) : NULL;
    } while (h == NULL && mks_retry_after_failure(intent, new_bytes));
    if (h == NULL)
        return NULL;
    if (h != mks_header(old)) {
        t->frame_newest[slot] = h;
        MKS_BUMP(t->counters[intent].allocs, 1u);
    }
    return h + 1;
}

/* memkit's growth rule (runtime/src/containers/containers.c): double, at least
 * MK_FRAME_VEC_MIN_BYTES, and the exact size when the doubling fails. */
bool mk__frame_vec_grow(void **data, size_t *cap, size_t elem_size, size_t align, mk_intent_t intent, size_t need)
{
    if (!mk_is_frame_intent(intent) || elem_size == 0 || align > MKG_ALIGNMENT) {
        mks_fail(MK_EINVAL);
        return false;
    }
    if (need <= *cap)
        return true;
    if (need > SIZE_MAX / elem_size) {
        mks_fail(MK_EINVAL);
        return false;
    }
    size_t want = *cap <= SIZE_MAX / 2 ? *cap * 2 : need;
    size_t least = (MK_FRAME_VEC_MIN_BYTES + elem_size - 1) / elem_size;
    if (want < least)
        want = least;
    if (want < need || want > SIZE_MAX / elem_size)
        want = need;
    void *grown = mks_frame_grow(intent, *data, *cap * elem_size, want * elem_size);
    if (grown == NULL && want > need) {
        want = need;
        grown = mks_frame_grow(intent, *data, *cap * elem_size, want * elem_size);
    }
    if (grown == NULL)
        return false;
    *data = grown;
    *cap = want;
    return true;
}

mk_frame_mark_t mk_frame_mark(void)
{
    mks_thread_t *t = mks_self();
    mk_frame_mark_t mark;
    unsigned slot = mks_frame_slot(t, &mark.epoch);
    mark.blocks = t->frame_blocks[slot];
    return mark;
}

mk_status_t mk_frame_rewind(const mk_frame_mark_t *mark)
{
    mks_thread_t *t = mks_self();
    uint64_t epoch;
    unsigned slot = mks_frame_slot(t, &epoch);
    if (mark->epoch != epoch)
        return MK_ESTATE;
    if (mark->blocks > t->frame_blocks[slot])
        return MK_EINVAL;
    size_t drop = t->frame_blocks[slot] - mark->blocks;
    mks_header_t *h = t->frame_newest[slot];
    for (size_t i = 0; i < drop; i++) {
        mks_header_t *older = h->older;
        free(h);
        h = older;
    }
    t->frame_newest[slot] = h;
    t->frame_blocks[slot] = mark->blocks;
    return MK_OK;
}

char *mk_frame_printf(mk_intent_t intent, const char *fmt, ...)
{
    if (!mk_is_frame_intent(intent))
        return mks_fail(MK_EINVAL);
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    if (n < 0)
        return mks_fail(MK_EINVAL);
    char *text = mks_frame_alloc(intent, (size_t)n + 1u);
    if (text != NULL) {
        va_start(args, fmt);
        vsnprintf(text, (size_t)n + 1u, fmt, args);
        va_end(args);
    }
    return text;
}

/* ---- frames, callbacks, deferred frees -------------------------------------------------- */

static struct {
    pthread_mutex_t lock;
    uint64_t ends; /* mk_end_frame calls since mk_init */
    size_t pending;
    struct {
        void *ptr;
        uint64_t due; /* released by the mk_end_frame that makes `ends` this */
    } table[MKG_DEFERRED_CAPACITY];
} mks_deferred = {.lock = PTHREAD_MUTEX_INITIALIZER};

void mk_begin_frame(void)
{
    atomic_store_explicit(&mks.epoch, atomic_load_explicit(&mks.epoch, memory_order_relaxed) + 1u,
                          memory_order_relaxed);
}

void mk_end_frame(void)
{
    for (unsigned i = 0; i < mks.frame_end_count; i++)
        mks.frame_end[i].fn(mk_frame_index(), mks.frame_end[i].user);
    pthread_mutex_lock(&mks_deferred.lock);
    uint64_t ends = ++mks_deferred.ends;
    for (size_t i = 0; i < mks_deferred.pending;) {
        if (mks_deferred.table[i].due <= ends) {
            mk_free(mks_deferred.table[i].ptr);
            mks_deferred.table[i] = mks_deferred.table[--mks_deferred.pending];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&mks_deferred.lock);
}

uint64_t mk_frame_index(void)
{
    return atomic_load_explicit(&mks.epoch, memory_order_relaxed);
}

mk_status_t mk_on_frame_end(mk_frame_callback_t fn, void *user)
{
    if (mks.frame_end_count == sizeof mks.frame_end / sizeof mks.frame_end[0])
        return MK_EFULL;
    mks.frame_end[mks.frame_end_count].fn = fn;
    mks.frame_end[mks.frame_end_count].user = user;
    mks.frame_end_count++;
    return MK_OK;
}

mk_status_t mk_free_deferred(void *ptr, unsigned frames)
{
    if (frames > MKG_DEFERRED_MAX_FRAMES)
        return MK_EINVAL;
    if (ptr == NULL)
        return MK_OK;
    if (frames == 0) {
        mk_free(ptr);
        return MK_OK;
    }
    pthread_mutex_lock(&mks_deferred.lock);
    mk_status_t status = MK_EFULL;
    if (mks_deferred.pending < MKG_DEFERRED_CAPACITY) {
        mks_deferred.table[mks_deferred.pending].ptr = ptr;
        mks_deferred.table[mks_deferred.pending].due = mks_deferred.ends + frames;
        mks_deferred.pending++;
        status = MK_OK;
    }
    pthread_mutex_unlock(&mks_deferred.lock);
    return status;
}

size_t mk_deferred_pending(void)
{
    pthread_mutex_lock(&mks_deferred.lock);
    size_t pending = mks_deferred.pending;
    pthread_mutex_unlock(&mks_deferred.lock);
    return pending;
}

/* ---- handles: generation + block pointer per slot, blocks calloc'ed ------------------------ */

#define MKS_SLOT_BITS 24u
#define MKS_SLOT_MASK ((1u << MKS_SLOT_BITS) - 1u)

typedef struct mks_slot {
    _Atomic uint32_t generation; /* never 0; bumped on free */
    _Atomic(void *) block;       /* NULL while free */
} mks_slot_t;

typedef struct mks_table {
    pthread_mutex_t lock; /* alloc and free */
    mks_slot_t *slots;
    uint32_t *free_slots; /* a stack of free slot numbers */
    uint32_t free_count;
    uint32_t capacity;
    uint32_t block_size;
    _Atomic size_t live;
} mks_table_t;

static mks_table_t mks_tables[MKG_HANDLE_TABLE_COUNT];

static mk_status_t mks_tables_init(void)
{
    for (unsigned t = 0; t < MKG_HANDLE_TABLE_COUNT; t++) {
        const mk_handle_table_layout_t *layout = &mks.config->handle_tables[t];
        mks_table_t *table = &mks_tables[t];
        pthread_mutex_init(&table->lock, NULL);
        table->capacity = layout->capacity;
        table->block_size = layout->block_size;
        table->slots = calloc(layout->capacity, sizeof *table->slots);
        table->free_slots = malloc(layout->capacity * sizeof *table->free_slots);
        if (table->slots == NULL || table->free_slots == NULL)
            return MK_ENOMEM;
        for (uint32_t i = 0; i < layout->capacity; i++) {
            atomic_init(&table->slots[i].generation, 1u);
            atomic_init(&table->slots[i].block, NULL);
            table->free_slots[i] = layout->capacity - 1u - i; /* slot 0 on top */
        }
        table->free_count = layout->capacity;
        atomic_init(&table->live, 0);
    }
    return MK_OK;
}

static void mks_tables_fini(void)
{
    for (unsigned t = 0; t < MKG_HANDLE_TABLE_COUNT; t++) {
        mks_table_t *table = &mks_tables[t];
        for (uint32_t i = 0; table->slots != NULL && i < table->capacity; i++)
            free(atomic_load_explicit(&table->slots[i].block, memory_order_relaxed));
        free(table->slots);
        free(table->free_slots);
        pthread_mutex_destroy(&table->lock);
        memset(table, 0, sizeof *table);
    }
}

/* The live slot `handle` names, or NULL. */
static mks_slot_t *mks_slot(mk_handle_t handle)
{
    uint32_t t = handle.index >> MKS_SLOT_BITS, i = handle.index & MKS_SLOT_MASK;
    if (handle.generation == 0u || t >= MKG_HANDLE_TABLE_COUNT || i >= mks_tables[t].capacity)
        return NULL;
    mks_slot_t *slot = &mks_tables[t].slots[i];
    return atomic_load_explicit(&slot->generation, memory_order_relaxed) == handle.generation ? slot : NULL;
}

mk_handle_t mk_handle_alloc(mk_handle_table_id_t id)
{
    if ((unsigned)id >= MKG_HANDLE_TABLE_COUNT) {
        mks_fail(MK_EINVAL);
        return MK_HANDLE_NULL;
    }
    mks_table_t *table = &mks_tables[id];
    void *block = calloc(1, table->block_size);
    if (block == NULL) {
        mks_fail(MK_ENOMEM);
        return MK_HANDLE_NULL;
    }
    pthread_mutex_lock(&table->lock);
    if (table->free_count == 0) {
        pthread_mutex_unlock(&table->lock);
        free(block);
        mks_fail(MK_EFULL);
        return MK_HANDLE_NULL;
    }
    uint32_t i = table->free_slots[--table->free_count];
    mks_slot_t *slot = &table->slots[i];
    atomic_store_explicit(&slot->block, block, memory_order_relaxed);
    mk_handle_t handle = {((uint32_t)id << MKS_SLOT_BITS) | i,
                          atomic_load_explicit(&slot->generation, memory_order_relaxed)};
    atomic_fetch_add_explicit(&table->live, 1u, memory_order_relaxed);
    pthread_mutex_unlock(&table->lock);
    return handle;
}

void *mk_handle_get(mk_handle_t handle)
{
    mks_slot_t *slot = mks_slot(handle);
    return slot != NULL ? atomic_load_explicit(&slot->block, memory_order_relaxed) : mks_fail(MK_EINVAL);
}

mk_status_t mk_handle_free(mk_handle_t handle)
{
    if (mks_slot(handle) == NULL)
        return MK_EINVAL;
    mks_table_t *table = &mks_tables[handle.index >> MKS_SLOT_BITS];
    pthread_mutex_lock(&table->lock);
    mks_slot_t *slot = mks_slot(handle); /* again, under the lock: a racing free loses */
    if (slot == NULL) {
        pthread_mutex_unlock(&table->lock);
        return MK_EINVAL;
    }
    void *block = atomic_load_explicit(&slot->block, memory_order_relaxed);
    uint32_t next = handle.generation + 1u;
    atomic_store_explicit(&slot->generation, next != 0u ? next : 1u, memory_order_relaxed);
    atomic_store_explicit(&slot->block, NULL, memory_order_relaxed);
    table->free_slots[table->free_count++] = handle.index & MKS_SLOT_MASK;
    atomic_fetch_sub_explicit(&table->live, 1u, memory_order_relaxed);
    pthread_mutex_unlock(&table->lock);
    free(block);
    return MK_OK;
}

size_t mk_handles_defragment(mk_handle_table_id_t table)
{
    (void)table;
    return 0;
}

size_t mk_handles_live(mk_handle_table_id_t table)
{
    return (unsigned)table < MKG_HANDLE_TABLE_COUNT ? atomic_load_explicit(&mks_tables[table].live, memory_order_relaxed)
                                                    : 0u;
}

/* ---- shared and scratch buffers ------------------------------------------------------------ */

struct mk_shared {
    _Alignas(MKG_ALIGNMENT) _Atomic uint32_t refs;
    uint32_t intent;
    size_t size;
};

static _Atomic size_t mks_shared_live;

mk_shared_t *mk_shared_new(mk_intent_t intent, size_t size, const char *name)
{
    (void)name;
    if (mk_is_frame_intent(intent) || (unsigned)intent >= MKG_INTENT_COUNT || size > SIZE_MAX - sizeof(mk_shared_t))
        return mks_fail(MK_EINVAL);
    mk_shared_t *s = mks_block_alloc(intent, sizeof *s + size, 0);
    if (s == NULL)
        return NULL;
    atomic_init(&s->refs, 1u);
    s->intent = (uint32_t)intent;
    s->size = size;
    atomic_fetch_add_explicit(&mks_shared_live, 1u, memory_order_relaxed);
    return s;
}

void *mk_shared_data(mk_shared_t *s)
{
    return s + 1;
}

mk_shared_t *mk_shared_retain(mk_shared_t *s)
{
    atomic_fetch_add_explicit(&s->refs, 1u, memory_order_relaxed);
    return s;
}

void mk_shared_release(mk_shared_t *s)
{
    if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1u, memory_order_acq_rel) != 1u)
        return;
    atomic_fetch_sub_explicit(&mks_shared_live, 1u, memory_order_relaxed);
    mk_free(s);
}

uint32_t mk_shared_refcount(mk_shared_t *s)
{
    return atomic_load_explicit(&s->refs, memory_order_relaxed);
}

void *mk_shared_make_mut(mk_shared_t **s)
{
    if (s == NULL || *s == NULL)
        return mks_fail(MK_EINVAL);
    if (mk_shared_refcount(*s) == 1u)
        return mk_shared_data(*s);
    mk_shared_t *copy = mk_shared_new((mk_intent_t)(*s)->intent, (*s)->size, NULL);
    if (copy == NULL)
        return NULL;
    memcpy(mk_shared_data(copy), mk_shared_data(*s), (*s)->size);
    mk_shared_release(*s);
    *s = copy;
    return mk_shared_data(copy);
}

size_t mk_shared_live(void)
{
    return atomic_load_explicit(&mks_shared_live, memory_order_relaxed);
}

#ifdef MKG_SCRATCH_INTENT
void *mk_scratch_acquire(size_t size)
{
    return mk_alloc((mk_intent_t)MKG_SCRATCH_INTENT, size);
}
#else
void *mk_scratch_acquire(size_t size)
{
    (void)size;
    return mks_fail(MK_EINVAL);
}
#endif

void mk_scratch_release(void *buf)
{
    mk_free(buf);
}

size_t mk_scratch_kept_bytes(void)
{
    return 0;
}

void mk_scratch_trim(void)
{
}

/* ---- phases and intent scopes ------------------------------------------------------------------ */

mk_status_t mk_phase_begin(const char *name)
{
    return name != NULL ? MK_OK : MK_EINVAL;
}

void mk_phase_end(void)
{
}

int mk__with_intent_begin(mk_intent_t intent)
{
    mks_thread_t *t = mks_self();
    if ((unsigned)intent >= MKG_INTENT_COUNT || t->intent_depth == MKS_INTENT_DEPTH)
        return 1; /* the body runs under the enclosing intent */
    t->intents[t->intent_depth++] = (uint8_t)intent;
    return 2;
}

int mk__with_intent_end(int state)
{
    if (state == 2)
        mks_self()->intent_depth--;
    return 0;
}

void *mk_alloc_current(size_t size)
{
    mks_thread_t *t = mks_self();
    if (t->intent_depth == 0)
        return mks_fail(MK_EINVAL);
    return mk_alloc((mk_intent_t)t->intents[t->intent_depth - 1u], size);
}

/* ---- init, statistics ---------------------------------------------------------------------------- */

mk_status_t mk_init(const mk_config_t *config)
{
    if (config == NULL)
        return MK_EINVAL;
    if (mks.config != NULL)
        return MK_ESTATE;
    mks.config = config;
    mk_status_t status = mks_tables_init();
    if (status != MK_OK) {
        mks_tables_fini();
        mks.config = NULL;
    }
    return status;
}

size_t mk_shutdown(void)
{
    pthread_mutex_lock(&mks.lock);
    mks_thread_t *t = mks.threads;
    mks.threads = NULL;
    pthread_mutex_unlock(&mks.lock);
    while (t != NULL) {
        mks_thread_t *next = t->next;
        for (unsigned slot = 0; slot < MKG_FRAMES_IN_FLIGHT; slot++)
            mks_free_frame_list(t->frame_newest[slot], t->frame_blocks[slot]);
        free(t);
        t = next;
    }
    mks_self_slot = NULL; /* other threads must have exited (memkit's rule too) */
    mks_tables_fini();
    mks.config = NULL;
    mks.frame_end_count = 0;
    atomic_store_explicit(&mks.epoch, 0u, memory_order_relaxed);
    return 0;
}

void mk_thread_detach(void)
{
}

const char *mk_intent_name(mk_intent_t intent)
{
    return mks.config != NULL && (unsigned)intent < MKG_INTENT_COUNT ? mks.config->intent_names[intent] : "?";
}

mk_status_t mk_stats_get(mk_stats_t *out)
{
    memset(out, 0, sizeof *out);
    if (mks.config == NULL)
        return MK_ESTATE;
    int64_t live[MKG_INTENT_COUNT] = {0};
    pthread_mutex_lock(&mks.lock);
    for (const mks_thread_t *t = mks.threads; t != NULL; t = t->next) {
        for (unsigned k = 0; k < MKG_INTENT_COUNT; k++) {
            const mks_counters_t *c = &t->counters[k];
            live[k] += atomic_load_explicit(&c->live, memory_order_relaxed);
            out->intents[k].allocations += atomic_load_explicit(&c->allocs, memory_order_relaxed);
            out->intents[k].frees += atomic_load_explicit(&c->frees, memory_order_relaxed);
            out->intents[k].failures += atomic_load_explicit(&c->failures, memory_order_relaxed);
        }
    }
    pthread_mutex_unlock(&mks.lock);
    for (unsigned k = 0; k < MKG_INTENT_COUNT; k++) /* malloc_async.c's blocks and chunks */
        mks_async_counts(k, &out->intents[k].allocations, &out->intents[k].frees);
    for (unsigned k = 0; k < MKG_INTENT_COUNT; k++) {
        mk_intent_stats_t *is = &out->intents[k];
        is->name = mk_intent_name((mk_intent_t)k);
        is->tier = mkg_routes[k].tier;
        is->current = is->tier != MK_TIER_FRAME && live[k] > 0 ? (uint64_t)live[k] : 0u;
        out->tiers[is->tier].used += is->current;
    }
    return MK_OK;
}

void mk_stats_print(FILE *out)
{
    static const char *const tiers[MK_TIER_COUNT] = {"frame", "pool", "heap"};
    mk_stats_t s;
    if (mk_stats_get(&s) != MK_OK)
        return;
    fprintf(out, "%-14s %-6s %12s %12s %12s %9s   (malloc_memkit: no budgets, phases or peaks)\n", "intent", "tier",
            "in use", "allocations", "frees", "failures");
    for (unsigned k = 0; k < MKG_INTENT_COUNT; k++) {
        const mk_intent_stats_t *is = &s.intents[k];
        fprintf(out, "%-14s %-6s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %9" PRIu64 "\n", is->name, tiers[is->tier],
                is->current, is->allocations, is->frees, is->failures);
    }
}

mk_status_t mk_validate_report(FILE *report)
{
    (void)report;
    return mks.config != NULL ? MK_OK : MK_ESTATE;
}
