/* sentinel.c — sentinel (hardened debug) mode: the checked front end of the
 * allocation API and the state behind every MLnnn hazard it reports.
 *
 * Compiled to nothing unless MK_SENTINEL. Then mk_alloc & co (fastpath.h)
 * come here, and each pool or heap block is allocated from its tier, through
 * the raw fast paths, with room for
 *
 *     [pad][mk__sblock_t header][user bytes ...][canary]
 *           ^ the tiers' free-list links    ^ user pointer (aligned)
 *             land in its first 16 bytes
 *
 * The header records intent, size, call site, thread and state and links the
 * block into a registry of live blocks (leak audit, mk_validate, lookups of
 * pointers outside memkit's regions). The canary is MKG_SENTINEL_CANARY bytes
 * right after the requested size: a 0 then bytes random per mk_init. User
 * bytes are filled with 0xAA when handed out and, with the canary, with 0xDD
 * when freed; a freed header keeps its state, so a second free is a double
 * free, and the poison is checked when the tier hands the block out again.
 * Frame memory gets no header (growth in place stays possible): it is filled
 * with 0xAA when handed out, a released slot or rewound range is filled with
 * 0xDD, and that poison is checked as the arena hands the bytes out again.
 *
 * Locking: one spinlock guards the registry, the open marks and the pending
 * frame transfers. Reports are always made after it is released, so a report
 * handler may call memkit. Per-arena frame poison bounds are touched only by
 * the arena's owning thread.
 */
#include "internal.h"

#if MK_SENTINEL

/* [debug] canary_bytes (at least 2: the 0 byte and one random byte),
 * tracked_marks (open checkpoints per thread slot), tracked_transfers
 * (pending frame transfers): memkit_config.h. */

#define MK__POISON_ALLOC 0xAAu
#define MK__POISON_FREE 0xDDu
#define MK__SBLOCK_LIVE 0x6d6b4c56u  /* "mkLV" */
#define MK__SBLOCK_FREED 0x6d6b4644u /* "mkFD" */
#define MK__ARENAS ((size_t)MKG_MAX_THREADS * MKG_FRAMES_IN_FLIGHT)

typedef struct mk__sblock {
    void *tier_link[2];             /* free-list links of the pool or the heap, once freed */
    struct mk__sblock *prev, *next; /* registry of live blocks, oldest first */
    const char *file;               /* allocation site, or NULL */
    void *self;                     /* the user pointer */
    uint64_t size;                  /* bytes asked for */
    uint32_t line;
    uint32_t usable;                /* the tier block's usable bytes (low 32 bits) */
    uint32_t offset;                /* user pointer - tier block */
    uint16_t intent;
    uint16_t thread;                /* thread slot that allocated it */
    uint8_t kind;                   /* mk__sentinel_kind_t */
    uint8_t align_log2;
    uint16_t reserved;
    uint32_t state;                 /* MK__SBLOCK_*: last, furthest from the links */
} mk__sblock_t;

typedef struct mk__smark {
    uint32_t serial;
    uint64_t epoch;
} mk__smark_t;

typedef struct mk__stransfer {
    const mk_transfer_t *transfer;
    uint64_t epoch;
    uint32_t thread;
} mk__stransfer_t;

static struct {
    mk__lock_t lock;
    mk__sblock_t *head;
    mk__sblock_t *tail;
    size_t live;
    unsigned char canary[MKG_SENTINEL_CANARY];
    bool frame_open;
    uint32_t mark_count[MKG_MAX_THREADS];
    mk__smark_t marks[MKG_MAX_THREADS][MKG_SENTINEL_MARKS];
    uint32_t transfer_count;
    mk__stransfer_t transfers[MKG_SENTINEL_TRANSFERS];
    /* per arena (thread slot × frame slot), owner thread only: how far the
     * slot was used when its thread left it, and how far its poison goes */
    uintptr_t used_end[MK__ARENAS];
    uintptr_t poisoned_end[MK__ARENAS];
} mk__sentinel;

/* The call site recorded by memkit.h's macros for the operation under way. */
static MK__TLS const char *mk__site_file;
static MK__TLS int mk__site_line;

void mk__sentinel_site(const char *file, int line)
{
    mk__site_file = file;
    mk__site_line = line;
}

void mk__sentinel_current_site(const char **file, int *line)
{
    *file = mk__site_file;
    *line = mk__site_line;
}

static void mk__site_end(void)
{
    mk__site_file = NULL;
    mk__site_line = 0;
}

void mk__sentinel_init(void)
{
    memset(&mk__sentinel, 0, sizeof mk__sentinel);
    mk__fork_lock_register(&mk__sentinel.lock);
    uint64_t x = mk__prim_entropy();
    for (unsigned i = 1; i < MKG_SENTINEL_CANARY; i++) { /* splitmix64 */
        x += 0x9e3779b97f4a7c15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        mk__sentinel.canary[i] = (unsigned char)((z ^ (z >> 31)) | 1u); /* never 0: a string's NUL stops at byte 0 */
    }
    mk__sentinel.canary[0] = 0;
}

/* ---- naming things in reports ---- */

static const char *mk__kind_name(unsigned kind)
{
    return kind == MK__KIND_SHARED ? "shared buffer" : kind == MK__KIND_SCRATCH ? "scratch buffer" : "block";
}

static const char *mk__kind_release(unsigned kind)
{
    return kind == MK__KIND_SHARED ? "mk_shared_release" : kind == MK__KIND_SCRATCH ? "mk_scratch_release" : "mk_free";
}

static const char *mk__file_or_unknown(const char *file)
{
    return file != NULL ? file : "?";
}

/* ---- finding a block's header ---- */

/* Does [a - header, a) lie in a pool or the heap? Then reading a header there
 * reads memkit's own memory, whatever a is. */
static bool mk__in_regions(uintptr_t a)
{
#if MKG_POOL_COUNT > 0
    for (unsigned p = 0; p < MKG_POOL_COUNT; p++) {
        uintptr_t off = a - mk__pools[p].base;
        if (mk__pools[p].base != 0 && off >= sizeof(mk__sblock_t) && off < mk__pools[p].bytes)
            return true;
    }
#endif
    uintptr_t off = a - (uintptr_t)mk__rt.heap_base;
    return mk__rt.heap_base != NULL && off >= sizeof(mk__sblock_t) && off < mk__rt.config->heap_bytes;
}

/* The header of the live or freed block whose user pointer is `ptr`, or NULL. */
static mk__sblock_t *mk__sblock_of(const void *ptr)
{
    uintptr_t a = (uintptr_t)ptr;
    if (ptr == NULL || (a & MK__ALIGN_MASK) != 0u || !mk__rt.initialised)
        return NULL;
    if (mk__in_regions(a)) {
        mk__sblock_t *h = (mk__sblock_t *)(a - sizeof(mk__sblock_t));
        return h->self == ptr && (h->state == MK__SBLOCK_LIVE || h->state == MK__SBLOCK_FREED) ? h : NULL;
    }
    if (mk__frame_owns(ptr))
        return NULL;
    /* elsewhere: a system-fallback block, known only to the registry */
    mk__sblock_t *found = NULL;
    mk__lock(&mk__sentinel.lock);
    for (mk__sblock_t *h = mk__sentinel.head; h != NULL && found == NULL; h = h->next)
        if (h->self == ptr)
            found = h;
    mk__unlock(&mk__sentinel.lock);
    return found;
}

/* A heap block holding spilled frame memory (its tier pointer, no header). */
static bool mk__is_spill(const void *ptr)
{
    uintptr_t off = (uintptr_t)ptr - (uintptr_t)mk__rt.heap_base;
    return mk__rt.heap_base != NULL && ((uintptr_t)ptr & 15u) == 0u && off >= 16u &&
           off < mk__rt.config->heap_bytes && mk__heap_tier_intent(ptr) == MK__TAG_FRAME_OVERFLOW;
}

/* Reports a release through `api` of something that is not a live block of
 * the kind it takes: freed (ML601), another kind or inside a block (ML603),
 * inside a plain block or unknown (ML602). */
static void mk__diagnose(const void *ptr, const char *api)
{
    mk__sblock_t *h = mk__sblock_of(ptr);
    if (h != NULL && h->state == MK__SBLOCK_FREED) {
        mk__report(MK__ML601, ptr, h->intent, h->file, (int)h->line,
                   "double free: %s of %p, already freed (intent '%s', %llu bytes, allocated at %s:%u)", api, ptr,
                   mk_intent_name((mk_intent_t)h->intent), (unsigned long long)h->size,
                   mk__file_or_unknown(h->file), (unsigned)h->line);
        return;
    }
    if (h != NULL) {
        mk__report(MK__ML603, ptr, h->intent, h->file, (int)h->line,
                   "%s of %p, a %s (intent '%s', allocated at %s:%u): release it with %s", api, ptr,
                   mk__kind_name(h->kind), mk_intent_name((mk_intent_t)h->intent), mk__file_or_unknown(h->file),
                   (unsigned)h->line, mk__kind_release(h->kind));
        return;
    }
    /* inside a live block? */
    mk__sblock_t inside = {0};
    bool found = false;
    mk__lock(&mk__sentinel.lock);
    for (mk__sblock_t *b = mk__sentinel.head; b != NULL && !found; b = b->next) {
        uintptr_t off = (uintptr_t)ptr - (uintptr_t)b->self;
        if ((uintptr_t)ptr > (uintptr_t)b->self && off < b->size) {
            inside = *b;
            found = true;
        }
    }
    mk__unlock(&mk__sentinel.lock);
    const char *file;
    int line;
    mk__sentinel_current_site(&file, &line);
    if (found)
        mk__report(inside.kind != MK__KIND_PLAIN ? MK__ML603 : MK__ML602, ptr, inside.intent, inside.file,
                   (int)inside.line, "%s of %p, %zu bytes inside a %s (intent '%s', allocated at %s:%u)%s%s", api, ptr,
                   (size_t)((uintptr_t)ptr - (uintptr_t)inside.self), mk__kind_name(inside.kind),
                   mk_intent_name((mk_intent_t)inside.intent), mk__file_or_unknown(inside.file), (unsigned)inside.line,
                   inside.kind != MK__KIND_PLAIN ? ": release it with " : ", not at its start",
                   inside.kind != MK__KIND_PLAIN ? mk__kind_release(inside.kind) : "");
    else
        mk__report(MK__ML602, ptr, -1, file, line,
                   "%s of %p, which memkit never returned (or a system-fallback block already freed), at %s:%d", api,
                   ptr, mk__file_or_unknown(file), line);
}

/* ---- frame memory ---- */

static size_t mk__arena_index(const void *ptr)
{
    return (size_t)((const unsigned char *)ptr - mk__rt.frame_base) / (size_t)mk__rt.config->frame_arena_bytes; /* non-zero: the frame owns ptr */
}

static unsigned char *mk__arena_start(size_t index)
{
    return mk__rt.frame_base + index * (size_t)MKG_FRAME_ARENA_BYTES;
}

bool mk__sentinel_frame_check(const void *ptr, const char *api)
{
    mk__thread_t *t = mk__thread();
    if (t == NULL || ptr == NULL)
        return true;
    uint64_t epoch;
    const char *file;
    int line;
    mk__sentinel_current_site(&file, &line);
    if (mk__frame_owns(ptr)) {
        unsigned owner = (unsigned)(mk__arena_index(ptr) / MKG_FRAMES_IN_FLIGHT);
        if (owner != mk__slot(t)->index) {
            mk__report(MK__ML201, ptr, -1, file, line,
                       "%s of frame memory %p of thread slot %u by thread slot %u: frame data crosses threads only "
                       "through mk_transfer_init / mk_transfer_accept",
                       api, ptr, owner, (unsigned)mk__slot(t)->index);
            return false;
        }
        if (!mk__frame_region_epoch(t, ptr, 1, &epoch)) {
            mk__report(MK__ML103, ptr, -1, file, line,
                       "%s of frame memory %p after its frame left flight (frame %llu now, frames_in_flight = %d)",
                       api, ptr, (unsigned long long)mk_frame_index(), MKG_FRAMES_IN_FLIGHT);
            return false;
        }
        return true;
    }
    if (mk__sblock_of(ptr) == NULL && mk__is_spill(ptr) && !mk__frame_region_epoch(t, ptr, 1, &epoch)) {
        mk__report(MK__ML103, ptr, -1, file, line,
                   "%s of spilled frame memory %p that is in no frame in flight of this thread (its frame ended, or "
                   "another thread allocated it)",
                   api, ptr);
        return false;
    }
    return true;
}

void mk__sentinel_frame_fresh(void *p, size_t n)
{
    if (mk__frame_owns(p)) {
        size_t index = mk__arena_index(p);
        uintptr_t lo = (uintptr_t)p, end = mk__sentinel.poisoned_end[index];
        uintptr_t hi = lo >= end ? lo : n < end - lo ? lo + n : end;
        for (uintptr_t a = lo; a < hi; a++) {
            if (*(const unsigned char *)a != MK__POISON_FREE) {
                const char *file;
                int line;
                mk__sentinel_current_site(&file, &line);
                mk__report(MK__ML103, (const void *)a, -1, file, line,
                           "frame memory at %p was written after its frame slot was reset or rewound (found handing "
                           "out %zu bytes at %p)",
                           (const void *)a, n, p);
                break;
            }
        }
        memset(p, MK__POISON_ALLOC, n);
    } else if (mk__is_spill(p)) {
        memset(p, MK__POISON_ALLOC, mk__heap_tier_usable(p) - sizeof(void *)); /* the chain link is the frame's */
    }
}

void mk__sentinel_frame_leave(const mk__thread_t *t)
{
    if (mk__slot(t)->frame_epoch == UINT64_MAX || mk__rt.frame_base == NULL)
        return;
    size_t index = (size_t)mk__slot(t)->index * MKG_FRAMES_IN_FLIGHT + (size_t)(mk__slot(t)->frame_epoch % MKG_FRAMES_IN_FLIGHT);
    if (t->frame_cursor > mk__sentinel.used_end[index])
        mk__sentinel.used_end[index] = t->frame_cursor;
}

static void mk__poison_frame(size_t index, uintptr_t from, uintptr_t to)
{
    if (to <= from)
        return;
    memset((void *)from, MK__POISON_FREE, to - from);
    if (to > mk__sentinel.poisoned_end[index])
        mk__sentinel.poisoned_end[index] = to;
}

void mk__sentinel_frame_release(const mk__thread_t *t, unsigned slot)
{
    if (mk__rt.frame_base == NULL)
        return;
    size_t index = (size_t)mk__slot(t)->index * MKG_FRAMES_IN_FLIGHT + slot;
    mk__poison_frame(index, (uintptr_t)mk__arena_start(index), mk__sentinel.used_end[index]);
    mk__sentinel.used_end[index] = 0;
    /* transfers of this slot's memory still pending are expired by the reset */
    mk__stransfer_t expired[MKG_SENTINEL_TRANSFERS];
    uint32_t count = 0;
    mk__lock(&mk__sentinel.lock);
    for (uint32_t i = 0; i < mk__sentinel.transfer_count;) {
        mk__stransfer_t *e = &mk__sentinel.transfers[i];
        if (e->thread == mk__slot(t)->index && e->epoch % MKG_FRAMES_IN_FLIGHT == slot) {
            expired[count++] = *e;
            *e = mk__sentinel.transfers[--mk__sentinel.transfer_count];
        } else {
            i++;
        }
    }
    mk__unlock(&mk__sentinel.lock);
    for (uint32_t i = 0; i < count; i++)
        mk__report(MK__ML402, expired[i].transfer, -1, NULL, 0,
                   "frame slot of frame %llu (thread slot %u) reset while transfer %p of its memory was still "
                   "pending: the receiver will get MK_ESTATE",
                   (unsigned long long)expired[i].epoch, (unsigned)expired[i].thread,
                   (const void *)expired[i].transfer);
}

/* ---- checkpoints and frames ---- */

void mk__sentinel_mark_taken(const mk__thread_t *t, mk_frame_mark_t *mark)
{
    mk__lock(&mk__sentinel.lock); /* mark->serial: given by mk_frame_mark, unique per thread */
    uint32_t *count = &mk__sentinel.mark_count[mk__slot(t)->index];
    if (*count < MKG_SENTINEL_MARKS)
        mk__sentinel.marks[mk__slot(t)->index][(*count)++] = (mk__smark_t){mark->serial, mark->epoch};
    mk__unlock(&mk__sentinel.lock);
}

/* Closes the marks of `thread` from serial `from` on (all of them when
 * `later` is true, else just that one). */
static void mk__marks_close(uint32_t thread, uint32_t serial, bool later)
{
    if (thread >= MKG_MAX_THREADS)
        return;
    mk__lock(&mk__sentinel.lock);
    uint32_t *count = &mk__sentinel.mark_count[thread];
    uint32_t kept = 0;
    for (uint32_t i = 0; i < *count; i++) {
        mk__smark_t m = mk__sentinel.marks[thread][i];
        if (m.serial == serial || (later && m.serial > serial))
            continue;
        mk__sentinel.marks[thread][kept++] = m;
    }
    *count = kept;
    mk__unlock(&mk__sentinel.lock);
}

void mk__sentinel_mark_released(const mk_frame_mark_t *mark)
{
    mk__marks_close(mark->thread, mark->serial, false);
}

bool mk__sentinel_rewind_check(const mk__thread_t *t, const mk_frame_mark_t *mark)
{
    if (mark->epoch == UINT64_MAX || mark->thread == mk__slot(t)->index)
        return true;
    const char *file;
    int line;
    mk__sentinel_current_site(&file, &line);
    mk__report(MK__ML201, mark, -1, file, line,
               "mk_frame_rewind on thread slot %u with a mark of thread slot %u: only the thread that took a "
               "checkpoint may reset its frame memory",
               (unsigned)mk__slot(t)->index, (unsigned)mark->thread);
    return false;
}

void mk__sentinel_rewound(const mk__thread_t *t, const mk_frame_mark_t *mark, uintptr_t old_cursor)
{
    size_t index = (size_t)mk__slot(t)->index * MKG_FRAMES_IN_FLIGHT + (size_t)(mark->epoch % MKG_FRAMES_IN_FLIGHT);
    mk__poison_frame(index, mark->cursor, old_cursor);
    mk__marks_close(mk__slot(t)->index, mark->serial, true);
}

void mk__sentinel_frame_begin(void)
{
    mk__lock(&mk__sentinel.lock);
    bool was_open = mk__sentinel.frame_open;
    mk__sentinel.frame_open = true;
    mk__unlock(&mk__sentinel.lock);
    if (was_open)
        mk__report(MK__ML101, NULL, -1, NULL, 0,
                   "mk_begin_frame while frame %llu is still open (no mk_end_frame since its mk_begin_frame)",
                   (unsigned long long)mk_frame_index());
}

void mk__sentinel_frame_end(void)
{
    enum { SHOWN = 8 };
    struct { uint32_t thread; uint64_t epoch; } open[SHOWN];
    uint32_t count = 0;
    mk__lock(&mk__sentinel.lock);
    bool was_open = mk__sentinel.frame_open;
    mk__sentinel.frame_open = false;
    for (uint32_t th = 0; th < MKG_MAX_THREADS; th++) {
        for (uint32_t i = 0; i < mk__sentinel.mark_count[th]; i++, count++)
            if (count < SHOWN) {
                open[count].thread = th;
                open[count].epoch = mk__sentinel.marks[th][i].epoch;
            }
        mk__sentinel.mark_count[th] = 0; /* reported once */
    }
    mk__unlock(&mk__sentinel.lock);
    if (!was_open)
        mk__report(MK__ML102, NULL, -1, NULL, 0, "mk_end_frame without an open frame (frame %llu already ended)",
                   (unsigned long long)mk_frame_index());
    for (uint32_t i = 0; i < count && i < SHOWN; i++)
        mk__report(MK__ML104, NULL, -1, NULL, 0,
                   "a checkpoint taken on thread slot %u in frame %llu is neither rewound nor released "
                   "(mk_frame_rewind / mk_frame_mark_release) when frame %llu ends%s",
                   (unsigned)open[i].thread, (unsigned long long)open[i].epoch,
                   (unsigned long long)mk_frame_index(), count > SHOWN && i == SHOWN - 1 ? " (and more)" : "");
}

/* ---- transfers ---- */

void mk__sentinel_transfer_offered(const mk_transfer_t *transfer)
{
    mk__lock(&mk__sentinel.lock);
    uint32_t i = 0;
    while (i < mk__sentinel.transfer_count && mk__sentinel.transfers[i].transfer != transfer)
        i++;
    if (i < MKG_SENTINEL_TRANSFERS) {
        mk__sentinel.transfers[i] = (mk__stransfer_t){transfer, transfer->epoch, transfer->from_thread};
        if (i == mk__sentinel.transfer_count)
            mk__sentinel.transfer_count++;
    }
    mk__unlock(&mk__sentinel.lock);
}

void mk__sentinel_transfer_closed(const mk_transfer_t *transfer)
{
    mk__lock(&mk__sentinel.lock);
    for (uint32_t i = 0; i < mk__sentinel.transfer_count; i++) {
        if (mk__sentinel.transfers[i].transfer == transfer) {
            mk__sentinel.transfers[i] = mk__sentinel.transfers[--mk__sentinel.transfer_count];
            break;
        }
    }
    mk__unlock(&mk__sentinel.lock);
}

/* ---- blocks ---- */

static size_t mk__tier_usable(const void *raw)
{
    unsigned cls, intent;
    if (mk__pool_find(raw, &cls, &intent))
        return mk__pool_class_size(cls);
    return mk__heap_tier_usable(raw);
}

/* A tier block just handed out: if it is the very block a freed one was (same
 * start, same extent, so the tier has not split or merged it since, which
 * writes headers inside), its poison must be intact (ML604). Pool blocks
 * never change extent; system memory is the C library's to write. */
static void mk__check_reuse(const unsigned char *raw, const unsigned char *user)
{
    if (!mk__in_regions((uintptr_t)user))
        return;
    const mk__sblock_t *old = (const mk__sblock_t *)(user - sizeof(mk__sblock_t));
    size_t usable = mk__tier_usable(raw);
    if (old->state != MK__SBLOCK_FREED || old->self != user || old->usable != (uint32_t)usable)
        return;
    uintptr_t limit = (uintptr_t)raw + usable;
    uintptr_t end = (uintptr_t)user + (old->size < limit - (uintptr_t)user ? (size_t)old->size : 0u);
    end = MKG_SENTINEL_CANARY < limit - end ? end + MKG_SENTINEL_CANARY : limit;
    for (const unsigned char *b = user; (uintptr_t)b < end; b++) {
        if (*b != MK__POISON_FREE) {
            mk__report(MK__ML604, user, old->intent, old->file, (int)old->line,
                       "write after free: %p (intent '%s', %llu bytes, allocated at %s:%u) was written at byte %zu "
                       "after it was freed (found when handed out again)",
                       (const void *)user, mk_intent_name((mk_intent_t)old->intent), (unsigned long long)old->size,
                       mk__file_or_unknown(old->file), (unsigned)old->line, (size_t)(b - user));
            return;
        }
    }
}

void mk__sentinel_tier_unused(void *raw, size_t usable)
{
    /* wherever a sentinel header of some alignment would sit in it */
    for (size_t align = MKG_ALIGNMENT; align <= usable; align *= 2u) {
        size_t head = (sizeof(mk__sblock_t) + align - 1u) & ~(align - 1u);
        if (head > usable)
            break;
        mk__sblock_t *old = (mk__sblock_t *)((unsigned char *)raw + head - sizeof(mk__sblock_t));
        if (old->state == MK__SBLOCK_FREED)
            old->state = 0;
    }
}

static void *mk__alloc_block(mk_intent_t intent, size_t size, size_t align)
{
    if (align <= MKG_ALIGNMENT)
        align = MKG_ALIGNMENT; /* as in release: small values (0 too) mean MKG_ALIGNMENT */
    if ((unsigned)intent >= (unsigned)MKG_INTENT_COUNT || !mk__is_pow2(align) ||
        mkg_routes[intent].tier == MK_TIER_ASYNC)
        return mk__alloc_aligned_fast(intent, size, align); /* fails as in release */
    if (mkg_routes[intent].tier == MK_TIER_FRAME) {
        void *p = mk__alloc_aligned_fast(intent, size, align);
        if (p != NULL)
            mk__sentinel_frame_fresh(p, size == 0 ? MKG_ALIGNMENT : (size + MK__ALIGN_MASK) & ~MK__ALIGN_MASK);
        return p;
    }
    size_t head = (sizeof(mk__sblock_t) + align - 1u) & ~(align - 1u);
    if (size > SIZE_MAX - head - MKG_SENTINEL_CANARY)
        return mk__fail(MK_EINVAL);
    size_t total = head + size + MKG_SENTINEL_CANARY;
    unsigned char *raw;
#if MKG_POOL_COUNT > 0
    /* a size its pool serves, too big with the header: the heap takes it */
    if (mkg_routes[intent].tier == MK_TIER_POOL && align == MKG_ALIGNMENT &&
        size <= mkg_pool_shapes[mkg_routes[intent].pool].max_size &&
        total > mkg_pool_shapes[mkg_routes[intent].pool].max_size)
        raw = mk__heap_alloc_intent(intent, total, align);
    else
#endif
        raw = mk__alloc_aligned_fast(intent, total, align);
    if (raw == NULL)
        return NULL;
    unsigned char *user = raw + head;
    mk__check_reuse(raw, user);
    mk__sblock_t *h = (mk__sblock_t *)(user - sizeof(mk__sblock_t));
    const char *file;
    int line;
    mk__sentinel_current_site(&file, &line);
    *h = (mk__sblock_t){
        .file = file,
        .self = user,
        .size = size,
        .line = (uint32_t)line,
        .usable = (uint32_t)mk__tier_usable(raw),
        .offset = (uint32_t)head,
        .intent = (uint16_t)intent,
        .thread = (uint16_t)mk__slot(mk__self)->index,
        .kind = MK__KIND_PLAIN,
        .align_log2 = (uint8_t)mk__log2(align),
        .state = MK__SBLOCK_LIVE,
    };
    memset(user, MK__POISON_ALLOC, size);
    memcpy(user + size, mk__sentinel.canary, MKG_SENTINEL_CANARY);
    mk__lock(&mk__sentinel.lock);
    h->prev = mk__sentinel.tail;
    if (mk__sentinel.tail != NULL)
        mk__sentinel.tail->next = h;
    else
        mk__sentinel.head = h;
    mk__sentinel.tail = h;
    mk__sentinel.live++;
    mk__unlock(&mk__sentinel.lock);
    return user;
}

void *mk__sentinel_alloc(mk_intent_t intent, size_t size, size_t align)
{
    void *p = mk__alloc_block(intent, size, align);
    mk__site_end();
    return p;
}

/* The first canary byte that differs, or MKG_SENTINEL_CANARY when intact. */
static size_t mk__canary_damage(const mk__sblock_t *h)
{
    const unsigned char *canary = (const unsigned char *)h->self + h->size;
    for (size_t i = 0; i < MKG_SENTINEL_CANARY; i++)
        if (canary[i] != mk__sentinel.canary[i])
            return i;
    return MKG_SENTINEL_CANARY;
}

static void mk__report_overflow(const mk__sblock_t *h, size_t at, const char *when)
{
    mk__report(MK__ML605, h->self, h->intent, h->file, (int)h->line,
               "buffer overflow: the canary after %p (intent '%s', %llu bytes, allocated at %s:%u) was overwritten "
               "%zu bytes past its end (found %s)",
               h->self, mk_intent_name((mk_intent_t)h->intent), (unsigned long long)h->size,
               mk__file_or_unknown(h->file), (unsigned)h->line, at, when);
}

/* Checks the canary, unlinks, poisons and frees a live block. */
static void mk__release_block(mk__sblock_t *h, const char *api)
{
    size_t at = mk__canary_damage(h);
    if (at < MKG_SENTINEL_CANARY)
        mk__report_overflow(h, at, api);
    mk__lock(&mk__sentinel.lock);
    if (h->prev != NULL)
        h->prev->next = h->next;
    else
        mk__sentinel.head = h->next;
    if (h->next != NULL)
        h->next->prev = h->prev;
    else
        mk__sentinel.tail = h->prev;
    mk__sentinel.live--;
    mk__unlock(&mk__sentinel.lock);
    h->state = MK__SBLOCK_FREED;
    memset(h->self, MK__POISON_FREE, (size_t)h->size + MKG_SENTINEL_CANARY);
    mk__free_fast((unsigned char *)h->self - h->offset);
}

/* mk_free and mk_free_sized once `ptr` is known not to be NULL. */
static void mk__free_checked(void *ptr, const char *api)
{
    if (mk__async_release_owned(ptr))
        return; /* an async pool's block: no sentinel header (docs/async.md) */
    mk__sblock_t *h = mk__sblock_of(ptr);
    if (h != NULL && h->state == MK__SBLOCK_LIVE && h->kind == MK__KIND_PLAIN)
        mk__release_block(h, api);
    else if (h != NULL || (!mk__frame_owns(ptr) && !mk__is_spill(ptr)))
        mk__diagnose(ptr, api);
    else
        (void)mk__sentinel_frame_check(ptr, api); /* frame memory: freeing it is a no-op */
}

void mk__sentinel_free(void *ptr)
{
    if (ptr != NULL)
        mk__free_checked(ptr, "mk_free");
    mk__site_end();
}

void mk__sentinel_free_sized(mk_intent_t intent, void *ptr, size_t size)
{
    if (ptr == NULL) {
        mk__site_end();
        return;
    }
    mk__sblock_t *h = mk__sblock_of(ptr);
    if (h != NULL && h->state == MK__SBLOCK_LIVE && h->kind == MK__KIND_PLAIN) {
        bool same = (unsigned)intent == h->intent;
#if MKG_POOL_COUNT > 0
        /* a pool intent's size picks the class: it must pick the block's */
        if (same && mkg_routes[intent].tier == MK_TIER_POOL && size != h->size) {
            const mk_pool_shape_t *shape = &mkg_pool_shapes[mkg_routes[intent].pool];
            same = size <= shape->max_size && h->size <= shape->max_size &&
                   shape->size_class[(size + MK__ALIGN_MASK) >> MKG_ALIGNMENT_SHIFT] ==
                       shape->size_class[(h->size + MK__ALIGN_MASK) >> MKG_ALIGNMENT_SHIFT];
        }
#endif
        if (!same) {
            const char *file;
            int line;
            mk__sentinel_current_site(&file, &line);
            mk__report(MK__ML603, ptr, h->intent, h->file, (int)h->line,
                       "mk_free_sized(intent '%s', %zu bytes) of %p, allocated for intent '%s' with %llu bytes at "
                       "%s:%u: in a release build this frees it to the wrong tier or size class (at %s:%d)",
                       mk_intent_name(intent), size, ptr, mk_intent_name((mk_intent_t)h->intent),
                       (unsigned long long)h->size, mk__file_or_unknown(h->file), (unsigned)h->line,
                       mk__file_or_unknown(file), line);
        }
        mk__release_block(h, "mk_free_sized"); /* by its header: the right tier whatever was passed */
    } else {
        mk__free_checked(ptr, "mk_free_sized");
    }
    mk__site_end();
}

/* [record] trace_events: the events of a realloc that keeps to sentinel
 * blocks (the traced mk_alloc and mk_free do not see them). */
#if MKG_RECORD_TRACE > 0
#define MK__TRACE_REALLOC(op, intent, size, ptr) mk__trace_record((op), (unsigned)(intent), (size), (ptr))
#else
#define MK__TRACE_REALLOC(op, intent, size, ptr) ((void)0)
#endif

void *mk__sentinel_realloc(mk_intent_t intent, void *ptr, size_t size)
{
    void *result = NULL;
    mk__sblock_t *h = ptr != NULL ? mk__sblock_of(ptr) : NULL;
    if (ptr == NULL) {
        result = mk__alloc_block(intent, size, MKG_ALIGNMENT);
        MK__TRACE_REALLOC(result != NULL ? MK__TRACE_ALLOC : MK__TRACE_FAILED, intent, size, result);
    } else if (h != NULL && h->state == MK__SBLOCK_LIVE && h->kind == MK__KIND_PLAIN) {
        if (size == 0) {
            MK__TRACE_REALLOC(MK__TRACE_FREE, h->intent, (size_t)h->size, ptr);
            mk__release_block(h, "mk_realloc");
        } else {
            /* moves when it can: a stale copy of the old pointer then reads poison */
            result = mk__alloc_block((mk_intent_t)h->intent, size, (size_t)1 << h->align_log2);
            if (result != NULL) {
                memcpy(result, ptr, size < h->size ? size : (size_t)h->size);
                MK__TRACE_REALLOC(MK__TRACE_ALLOC, h->intent, size, result);
                MK__TRACE_REALLOC(MK__TRACE_FREE, h->intent, (size_t)h->size, ptr);
                mk__release_block(h, "mk_realloc");
            } else if (size <= h->size) {
                /* a shrink never fails: it stays, its tail poisoned behind a new canary */
                size_t at = mk__canary_damage(h);
                if (at < MKG_SENTINEL_CANARY)
                    mk__report_overflow(h, at, "mk_realloc");
                unsigned char *user = h->self;
                memset(user + size, MK__POISON_FREE, (size_t)h->size - size);
                memcpy(user + size, mk__sentinel.canary, MKG_SENTINEL_CANARY);
                MK__TRACE_REALLOC(MK__TRACE_FREE, h->intent, (size_t)h->size, ptr);
                MK__TRACE_REALLOC(MK__TRACE_ALLOC, h->intent, size, ptr);
                h->size = size;
                mk__last_error = MK_OK;
                result = ptr;
            } else {
                MK__TRACE_REALLOC(MK__TRACE_FAILED, h->intent, size, NULL);
            }
        }
    } else if (h != NULL || (!mk__frame_owns(ptr) && !mk__is_spill(ptr))) {
        mk__diagnose(ptr, "mk_realloc");
        result = mk__fail(MK_EINVAL);
    } else if (mk__sentinel_frame_check(ptr, "mk_realloc")) {
        result = mk__realloc_plain(intent, ptr, size);
    } else {
        result = mk__fail(MK_EINVAL);
    }
    mk__site_end();
    return result;
}

bool mk__sentinel_usable(const void *ptr, size_t *size)
{
    mk__sblock_t *h = mk__sblock_of(ptr);
    if (h == NULL || h->state != MK__SBLOCK_LIVE)
        return false;
    *size = (size_t)h->size;
    return true;
}

bool mk__sentinel_intent(const void *ptr, unsigned *intent)
{
    mk__sblock_t *h = mk__sblock_of(ptr);
    if (h == NULL || h->state != MK__SBLOCK_LIVE)
        return false;
    *intent = h->intent;
    return true;
}

void mk__sentinel_set_kind(void *block, mk__sentinel_kind_t kind)
{
    mk__sblock_t *h = mk__sblock_of(block);
    if (h != NULL && h->state == MK__SBLOCK_LIVE)
        h->kind = (uint8_t)kind;
}

bool mk__sentinel_check_kind(const void *block, const void *user, mk__sentinel_kind_t kind, const char *api)
{
    mk__sblock_t *h = mk__sblock_of(block);
    if (h != NULL && h->state == MK__SBLOCK_LIVE && h->kind == kind)
        return true;
    mk__diagnose(h != NULL ? block : user, api);
    return false;
}

/* ---- mk_validate and mk_shutdown ---- */

bool mk__sentinel_validate(const mk__out_t *out)
{
    enum { SHOWN = 16 };
    mk__sblock_t damaged[SHOWN];
    size_t at[SHOWN];
    size_t count = 0;
    mk__lock(&mk__sentinel.lock);
    for (mk__sblock_t *h = mk__sentinel.head; h != NULL; h = h->next) {
        size_t first = mk__canary_damage(h);
        if (first == MKG_SENTINEL_CANARY)
            continue;
        if (count < SHOWN) {
            damaged[count] = *h;
            at[count] = first;
        }
        count++;
    }
    mk__unlock(&mk__sentinel.lock);
    for (size_t i = 0; i < count && i < SHOWN; i++) {
        mk__outf(out, "memkit: block %p (intent '%s', %llu bytes): canary overwritten", damaged[i].self,
                    mk_intent_name((mk_intent_t)damaged[i].intent), (unsigned long long)damaged[i].size);
        mk__report_overflow(&damaged[i], at[i], "by mk_validate");
    }
#if MKG_CLASS_COUNT > 0
    for (unsigned c = 0; c < MKG_CLASS_COUNT; c++) {
        mk__class_state_t *cs = &mk__rt.classes[c];
        mk__lock(&cs->lock);
        uint32_t carved = cs->carved, idle = cs->free_count;
        mk__unlock(&cs->lock);
        if (carved >= MKG_SENTINEL_FRAGMENTATION_MIN && (uint64_t)idle * 4u > (uint64_t)carved * 3u)
            mk__report(MK__ML403, NULL, -1, NULL, 0,
                       "pool class %u (%u-byte blocks): %u of its %u carved blocks sit free in its global list "
                       "(a burst freed long ago, or a class too large for the steady state)",
                       c, (unsigned)cs->size, (unsigned)idle, (unsigned)carved);
    }
#endif
    return count == 0;
}

size_t mk__sentinel_shutdown(void)
{
    size_t leaks = 0;
    mk__lock(&mk__sentinel.lock);
    mk__sblock_t *h = mk__sentinel.head;
    while (h != NULL) {
        mk__sblock_t copy = *h;
        mk__unlock(&mk__sentinel.lock);
        leaks++;
        if (copy.kind == MK__KIND_SHARED)
            mk__report(MK__ML608, copy.self, copy.intent, copy.file, (int)copy.line,
                       "leak: shared buffer '%s' %p (intent '%s', %llu bytes of data, %u reference(s)) allocated at "
                       "%s:%u is still live at mk_shutdown",
                       mk_shared_name(copy.self), copy.self, mk_intent_name((mk_intent_t)copy.intent),
                       (unsigned long long)mk_shared_size(copy.self), (unsigned)mk_shared_refcount(copy.self),
                       mk__file_or_unknown(copy.file), (unsigned)copy.line);
        else
            mk__report(MK__ML608, copy.self, copy.intent, copy.file, (int)copy.line,
                       "leak: %s %p (intent '%s', %llu bytes) allocated at %s:%u is still live at mk_shutdown",
                       mk__kind_name(copy.kind), copy.self, mk_intent_name((mk_intent_t)copy.intent),
                       (unsigned long long)copy.size, mk__file_or_unknown(copy.file), (unsigned)copy.line);
        mk__lock(&mk__sentinel.lock);
        h = copy.next;
    }
    mk__unlock(&mk__sentinel.lock);
    return leaks;
}

#else /* release builds: nothing of this file */
typedef int mk__sentinel_unused_t; /* ISO C wants a translation unit to declare something */
#endif
