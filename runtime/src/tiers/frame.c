/* frame.c — the frame tier: per-thread bump arenas, one slot per frame in flight.
 *
 * mk_begin_frame only moves a global epoch. A thread notices the new epoch at
 * its next frame allocation (the inline fast path compares epochs) and resets
 * the slot of that epoch: O(intents), whatever was allocated, because a
 * slot's bytes are counted per intent and handed back to the budget in one
 * step. Data of frame N lives in slot N % MKG_FRAMES_IN_FLIGHT, which is not
 * reused before frame N + MKG_FRAMES_IN_FLIGHT.
 *
 * An arena that fills spills to the heap (overflow = "heap"): such blocks are
 * chained through a link at their end and released with their slot.
 */
#include "internal.h"
#include "align.h"

MK__ATOMIC(uint64_t) mk__frame_epoch;

void mk__frame_init(void)
{
    MK__STORE(mk__frame_epoch, 0u);
    mk__rt.frame_intent_count = 0;
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++)
        if (mk__rt.config->routes[intent].tier == MK_TIER_FRAME)
            mk__rt.frame_intents[mk__rt.frame_intent_count++] = (uint8_t)intent;
}

bool mk__frame_owns(const void *ptr)
{
    uintptr_t off = (uintptr_t)ptr - (uintptr_t)mk__rt.frame_base;
    return mk__rt.frame_base != NULL && off < mk__frame_total_bytes();
}

static void **mk__spill_link(void *block)
{
    return (void **)((unsigned char *)block + mk__heap_tier_usable(block) - sizeof(void *));
}

/* The arena of thread t's frame slot `slot`. */
static unsigned char *mk__frame_arena(const mk__thread_t *t, unsigned slot)
{
    return mk__rt.frame_base + ((size_t)mk__slot(t)->index * MKG_FRAMES_IN_FLIGHT + slot) * (size_t)MKG_FRAME_ARENA_BYTES;
}

/* Does a slot stamped `stamp` (epoch + 1, 0: empty) hold a frame in flight? */
static bool mk__slot_in_flight(uint64_t stamp)
{
    return stamp != 0 && mk__frame_in_flight(stamp - 1u);
}

/* Frees the blocks spilled from `slot` since `stop` (the chain's head at some
 * point; NULL: all of them). */
static void mk__frame_free_spills(mk__thread_t *t, unsigned slot, void *stop)
{
    void *block = mk__slot(t)->overflow[slot];
    while (block != NULL && block != stop) {
        void *next = *mk__spill_link(block);
        mk__heap_release_frame(block);
        block = next;
    }
    mk__slot(t)->overflow[slot] = stop;
}

/* A row's allocations and bytes as a tally (MK__TALLY_SHIFT). */
static uint64_t mk__row_tally(uint64_t row)
{
    return (MK__ROW_COUNT(row) << MK__TALLY_SHIFT) + (uint64_t)MK__ROW_BYTES(row);
}

/* Moves `part` of a row (allocations and bytes) into the thread's running
 * totals: its allocation count and its tally (phases). */
static void mk__frame_fold(mk__thread_t *t, unsigned intent, uint64_t part)
{
    MK__BUMP(t->counters[intent].frame_allocs, (int64_t)MK__ROW_COUNT(part));
    MK__BUMP(mk__slot(t)->frame_tally, mk__row_tally(part));
}

/* Recomputes frame_tally_other: the folded tally plus the rows of every slot
 * but the one being filled, which change only in slow paths (phases then read
 * one row per frame intent). */
static void mk__frame_recount(mk__thread_t *t)
{
    uint64_t other = MK__LOAD(mk__slot(t)->frame_tally);
    for (unsigned s = 0; s < MKG_FRAMES_IN_FLIGHT; s++) {
        if (t->frame_row == mk__slot(t)->frame_rows[s])
            continue;
        for (unsigned i = 0; i < mk__rt.frame_intent_count; i++)
            other += mk__row_tally(MK__LOAD(mk__slot(t)->frame_rows[s][mk__rt.frame_intents[i]]));
    }
    mk__slot(t)->frame_tally_other = other;
}

/* Hands a slot's bytes back to the budgets and frees its spilled blocks. */
static void mk__frame_release_slot(mk__thread_t *t, unsigned slot)
{
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++) {
        uint64_t row = MK__LOAD(mk__slot(t)->frame_rows[slot][intent]);
        if (row == 0)
            continue;
        MK__STORE(mk__slot(t)->frame_rows[slot][intent], 0u);
        mk__frame_fold(t, intent, row);
        mk__budget_give(t, intent, MK__ROW_BYTES(row));
    }
    mk__frame_free_spills(t, slot, NULL);
}


uint64_t mk__frame_allocations(unsigned intent)
{
    uint64_t allocs = 0;
    uint32_t span = mk__thread_span();
    for (unsigned i = 0; i < span; i++) {
        const mk__thread_t *t = &mk__rt.threads[i].hot;
        allocs += (uint64_t)MK__LOAD(t->counters[intent].frame_allocs);
        for (unsigned s = 0; s < MKG_FRAMES_IN_FLIGHT; s++)
            allocs += MK__ROW_COUNT(MK__LOAD(mk__slot(t)->frame_rows[s][intent]));
    }
    return allocs;
}

/* Releases every arena slot of thread t whose frame is out of flight, and
 * slot `reuse` (MKG_FRAMES_IN_FLIGHT: none) whatever it holds. True when a
 * slot with a frame in flight remains. */
static bool mk__frame_release_done(mk__thread_t *t, unsigned reuse)
{
    bool in_flight = false;
    mk__stats_sample_frames(); /* the bytes released below count towards the peak first */
    for (unsigned s = 0; s < MKG_FRAMES_IN_FLIGHT; s++) {
        uint64_t stamp = MK__LOAD(mk__slot(t)->slot_epoch[s]);
        if (s == reuse || (stamp != 0 && !mk__slot_in_flight(stamp))) {
#if MK_SENTINEL
            mk__sentinel_frame_release(t, s);
#endif
            mk__frame_release_slot(t, s);
            MK__STORE(mk__slot(t)->slot_epoch[s], 0u);
            /* the tools: nothing in the slot is live until the arena hands it out again */
            mk_track_retire(mk__frame_arena(t, s), (size_t)MKG_FRAME_ARENA_BYTES);
        } else if (stamp != 0) {
            in_flight = true;
        }
    }
    return in_flight;
}

bool mk__frame_release_thread(mk__thread_t *t)
{
#if MK_SENTINEL
    mk__sentinel_frame_leave(t);
#endif
    bool in_flight = mk__frame_release_done(t, MKG_FRAMES_IN_FLIGHT);
    mk__frame_recount(t); /* (mk__frame_enter recounts once it has its new slot) */
    /* whoever owns the slot next starts a new cursor in its first frame */
    mk__slot(t)->frame_epoch = UINT64_MAX;
    t->frame_cursor = 0;
    mk__slot(t)->frame_limit = 0;
    MK__STORE(t->frame_end, 0u);
    return in_flight;
}

/* Opens the fast path to frame `epoch`, which the thread's cursor is in,
 * unless mk_begin_frame moved on meanwhile: a Dekker handshake with its
 * zeroing, fenced on both sides, so one of the two sees the other and no slot
 * keeps the bound of a frame that is over. */
static void mk__frame_open(mk__thread_t *t, uint64_t epoch)
{
    MK__STORE(t->frame_end, mk__slot(t)->frame_limit);
#if MKG_THREADS
    atomic_thread_fence(memory_order_seq_cst);
#endif
    if (MK__LOAD(mk__frame_epoch) != epoch)
        MK__STORE(t->frame_end, 0u);
}

/* Points the thread at the slot of `epoch`. Every slot whose frame is out of
 * flight is released first (not only the one reused), so a thread that skipped
 * frames gives its budget back as soon as it allocates again. */
static void mk__frame_enter(mk__thread_t *t, uint64_t epoch)
{
    unsigned slot = (unsigned)(epoch % MKG_FRAMES_IN_FLIGHT);
    unsigned char *arena = mk__frame_arena(t, slot);
#if MK_SENTINEL
    mk__sentinel_frame_leave(t);
#endif
    mk__frame_release_done(t, slot);
    MK__STORE(mk__slot(t)->slot_epoch[slot], epoch + 1u);
    t->frame_cursor = (uintptr_t)arena;
    mk__slot(t)->frame_limit = (uintptr_t)arena + (uintptr_t)MKG_FRAME_ARENA_BYTES;
    t->frame_row = mk__slot(t)->frame_rows[slot];
    mk__slot(t)->frame_epoch = epoch;
    mk__frame_recount(t);
    mk__frame_open(t, epoch);
}

void *mk__frame_spill(unsigned intent, size_t n, size_t align)
{
    if (n > (size_t)mk__rt.config->heap_bytes) { /* no heap could hold it (nor a budget count it) */
        mk__last_error = MK_ENOMEM;
        return NULL;
    }
    mk__thread_t *t = mk__thread();
    if (t == NULL)
        return NULL;
    uint64_t epoch = MK__LOAD(mk__frame_epoch);
    if (mk__slot(t)->frame_epoch != epoch)
        mk__frame_enter(t, epoch);
    unsigned slot = (unsigned)(epoch % MKG_FRAMES_IN_FLIGHT);
    /* a row counts 2^32 alignment units of one intent per frame: a spill
     * leaves room for a whole arena after it */
    if ((MK__LOAD(mk__slot(t)->frame_rows[slot][intent]) >> 32) + (n >> MKG_ALIGNMENT_SHIFT) >
        0xFFFFFFFFu - ((uint64_t)MKG_FRAME_ARENA_BYTES >> MKG_ALIGNMENT_SHIFT)) {
        mk__last_error = MK_ENOMEM;
        return NULL;
    }
    if (!mk__budget_take(t, intent, (int64_t)n)) {
        mk__last_error = MK_EBUDGET;
        return NULL;
    }
    /* room for the chain link at the end */
    unsigned char *block = mk__heap_serve_frame(n + sizeof(void *), align);
    if (block == NULL) {
        mk__budget_give(t, intent, (int64_t)n);
        mk__last_error = MK_ENOMEM;
        return NULL;
    }
    *mk__spill_link(block) = mk__slot(t)->overflow[slot];
    mk__slot(t)->overflow[slot] = block;
    mk__count_frame(t, intent, n); /* frame_row is this slot's row: mk__frame_enter ran */
    return block;
}

void *mk__frame_alloc_slow(mk_intent_t intent, size_t size, size_t align)
{
    mk__thread_t *t = mk__thread_for(intent);
    if (t == NULL)
        return NULL;
    if (align < MKG_ALIGNMENT)
        align = MKG_ALIGNMENT;
    if ((uint64_t)size > mk__rt.config->frame_arena_bytes + mk__rt.config->heap_bytes) /* in 64 bits: no wrap */
        return mk__exhausted(intent, size, align, MK_ENOMEM); /* no tier could hold it */
    size_t n = size == 0 ? MKG_ALIGNMENT : (size + MK__ALIGN_MASK) & ~MK__ALIGN_MASK;
    uint64_t epoch = MK__LOAD(mk__frame_epoch);
    if (mk__slot(t)->frame_epoch != epoch)
        mk__frame_enter(t, epoch);
    else if (MK__LOAD(t->frame_end) == 0u) /* entered while mk_begin_frame was zeroing: open again */
        mk__frame_open(t, epoch);
    uintptr_t p;
    if (!mk__carve(t->frame_cursor, mk__slot(t)->frame_limit, (uintptr_t)align, (uintptr_t)n, &p)) {
        if (mk__rt.config->frame_overflow == MK_OVERFLOW_PANIC)
            mk__panic("frame arena full (frame overflow = \"panic\")");
        if (mk__rt.config->frame_overflow == MK_OVERFLOW_HEAP) {
            void *spilled = mk__frame_spill(intent, n, align);
            if (spilled != NULL || mk__last_error == MK_EBUDGET)
                return spilled != NULL ? spilled : mk__exhausted(intent, size, align, MK_EBUDGET);
        }
        return mk__exhausted(intent, size, align, MK_ENOMEM);
    }
    if (!mk__budget_take(t, intent, (int64_t)n))
        return mk__exhausted(intent, size, align, MK_EBUDGET);
    t->frame_cursor = p + n;
    mk__count_frame(t, intent, n);
    mk_track_frame_alloc((void *)p, size);
    return (void *)p;
}

int64_t mk__frame_live(unsigned intent)
{
    int64_t live = 0;
    uint32_t span = mk__thread_span();
    for (unsigned i = 0; i < span; i++) {
        mk__thread_t *t = &mk__rt.threads[i].hot;
        for (unsigned s = 0; s < MKG_FRAMES_IN_FLIGHT; s++) {
            uint64_t stamp = MK__LOAD(mk__slot(t)->slot_epoch[s]);
            /* a slot of a frame at least MKG_FRAMES_IN_FLIGHT old is dead data */
            if (mk__slot_in_flight(stamp))
                live += MK__ROW_BYTES(MK__LOAD(mk__slot(t)->frame_rows[s][intent]));
        }
    }
    return live;
}

void mk_begin_frame(void)
{
    mk__frame_guard_begin();
}

void mk__frame_advance(void)
{
#if MK_SENTINEL
    mk__sentinel_frame_begin();
#endif
    /* every slot's fast path closes: its next allocation goes slow and enters
     * the new frame (the other side of the handshake in mk__frame_enter) */
#if MKG_THREADS
    MK__STORE_ORDER(mk__frame_epoch, MK__LOAD(mk__frame_epoch) + 1u, memory_order_seq_cst);
    atomic_thread_fence(memory_order_seq_cst);
    uint32_t span = mk__thread_span();
    for (uint32_t i = 0; i < span; i++)
        atomic_exchange_explicit(&mk__rt.threads[i].hot.frame_end, 0u, memory_order_relaxed);
#else
    mk__frame_epoch++;
    for (uint32_t i = 0; i < mk__thread_span(); i++)
        mk__rt.threads[i].hot.frame_end = 0;
#endif
    mk__thread_reclaim_departed();
    mk__lifecycle_frame_begin();
}

void mk_end_frame(void)
{
#if MK_SENTINEL
    mk__sentinel_frame_end();
#endif
    mk__lifecycle_frame_end();
    mk__deferred_end_frame();
    mk__stats_sample();
    mk__record_frame_end();
}

uint64_t mk_frame_index(void)
{
    return MK__LOAD(mk__frame_epoch);
}

/* ---- checkpoints and growth in place ----------------------------------------- */

/* The calling thread's slot, inside the current frame. */
static mk__thread_t *mk__frame_thread(uint64_t *epoch)
{
    mk__thread_t *t = mk__thread();
    if (t == NULL)
        return NULL;
    *epoch = MK__LOAD(mk__frame_epoch);
    if (mk__slot(t)->frame_epoch != *epoch)
        mk__frame_enter(t, *epoch);
    return t;
}

mk_frame_mark_t mk_frame_mark(void)
{
    mk_frame_mark_t mark;
    memset(&mark, 0, sizeof mark);
    mark.epoch = UINT64_MAX;
    uint64_t epoch;
    mk__thread_t *t = mk__frame_thread(&epoch);
    if (t == NULL)
        return mark;
    mk__thread_lifecycle_t *life = &mk__slot(t)->life;
    if (life->marks_epoch != epoch) { /* checkpoints do not outlive their frame */
        life->marks_epoch = epoch;
        life->mark_depth = 0;
    }
    void *spill = mk__slot(t)->overflow[epoch % MKG_FRAMES_IN_FLIGHT];
    uint32_t top = life->mark_depth;
    if (top > 0 && life->marks[top - 1].cursor == t->frame_cursor && life->marks[top - 1].spill == spill) {
        /* nothing allocated since the newest checkpoint (a mark-try-rewind loop):
         * the same state, so the same checkpoint */
        life->marks[top - 1].holders++;
        mark.serial = life->marks[top - 1].serial;
    } else {
        if (top == MK_MARK_DEPTH) {
            mk__last_error = MK_EFULL;
            return mark;
        }
        if (++life->mark_serial == 0u)
            life->mark_serial = 1u;
        life->marks[top].serial = life->mark_serial;
        life->marks[top].holders = 1;
        life->marks[top].cursor = t->frame_cursor;
        life->marks[top].spill = spill;
        life->mark_depth = top + 1u;
        mark.serial = life->mark_serial;
    }
    mark.cursor = t->frame_cursor;
    mark.epoch = epoch;
    mark.spill = spill;
    mark.thread = mk__slot(t)->index;
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++)
        mark.bytes[intent] = (int64_t)MK__LOAD(t->frame_row[intent]); /* the whole row */
#if MK_SENTINEL
    mk__sentinel_mark_taken(t, &mark);
#endif
    return mark;
}

/* Where `mark` stands on the calling thread's checkpoint stack, or
 * MK_MARK_DEPTH when it is not there (rewound past, released, or another
 * frame's). */
static uint32_t mk__mark_position(const mk__thread_t *t, const mk_frame_mark_t *mark)
{
    const mk__thread_lifecycle_t *life = &mk__slot(t)->life;
    if (life->marks_epoch != mark->epoch)
        return MK_MARK_DEPTH;
    for (uint32_t i = life->mark_depth; i-- > 0;)
        if (life->marks[i].serial == mark->serial)
            return i;
    return MK_MARK_DEPTH;
}

void mk_frame_mark_release(const mk_frame_mark_t *mark)
{
    if (mark == NULL)
        return;
    mk__thread_t *t = mk__self;
    if (mk__slot(t)->generation == mk__rt.generation && mark->thread == mk__slot(t)->index) {
        uint32_t at = mk__mark_position(t, mark);
        mk__thread_lifecycle_t *life = &mk__slot(t)->life;
        if (at < MK_MARK_DEPTH && --life->marks[at].holders == 0u) {
            memmove(&life->marks[at], &life->marks[at + 1], (life->mark_depth - at - 1u) * sizeof life->marks[0]);
            life->mark_depth--;
        }
    }
#if MK_SENTINEL
    mk__sentinel_mark_released(mark);
#endif
}

mk_status_t mk_frame_rewind(const mk_frame_mark_t *mark)
{
    mk__thread_t *t = mk__thread();
    if (mark == NULL)
        return MK_EINVAL;
#if MK_SENTINEL
    if (t != NULL && !mk__sentinel_rewind_check(t, mark))
        return MK_ESTATE;
#endif
    if (t == NULL || mark->epoch != MK__LOAD(mk__frame_epoch) || mark->epoch != mk__slot(t)->frame_epoch ||
        mark->thread != mk__slot(t)->index)
        return MK_ESTATE; /* another frame's or another thread's mark */
    unsigned slot = (unsigned)(mark->epoch % MKG_FRAMES_IN_FLIGHT);
    /* a mark an earlier rewind went past (or that was released) is off the
     * stack: the arena may have grown back over it, so positions prove nothing */
    uint32_t at = mk__mark_position(t, mark);
    if (at == MK_MARK_DEPTH)
        return MK_EINVAL;
    mk__slot(t)->life.mark_depth = at + 1u; /* later checkpoints go; this one may be rewound again */
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++) {
        uint64_t since = MK__LOAD(t->frame_row[intent]) - (uint64_t)mark->bytes[intent];
        if (since == 0)
            continue;
        /* the allocations since the mark were made: they stay counted */
        MK__STORE(t->frame_row[intent], (uint64_t)mark->bytes[intent]);
        mk__frame_fold(t, intent, since);
        mk__slot(t)->frame_tally_other += mk__row_tally(since); /* moved out of the row being filled */
        mk__budget_give(t, intent, MK__ROW_BYTES(since));
    }
    mk__frame_free_spills(t, slot, mark->spill);
#if MK_SENTINEL
    mk__sentinel_rewound(t, mark, t->frame_cursor);
#endif
    mk_track_retire((void *)mark->cursor, t->frame_cursor - mark->cursor);
    t->frame_cursor = mark->cursor;
    return MK_OK;
}

void *mk_frame_grow(mk_intent_t intent, void *ptr, size_t old_size, size_t new_size)
{
    if ((unsigned)intent >= (unsigned)MKG_INTENT_COUNT || mk__rt.config == NULL ||
        mk__rt.config->routes[intent].tier != MK_TIER_FRAME)
        return mk__fail(MK_EINVAL);
    if (ptr == NULL)
        return mk_alloc(intent, new_size);
#if MK_SENTINEL
    if (!mk__sentinel_frame_check(ptr, "mk_frame_grow"))
        return mk__fail(MK_EINVAL);
#endif
    if (new_size <= old_size)
        return ptr;
    if (new_size > SIZE_MAX - MK__ALIGN_MASK)
        return mk_alloc(intent, new_size); /* cannot be rounded: fails as any absurd request does */
    size_t old_n = (old_size + MK__ALIGN_MASK) & ~MK__ALIGN_MASK;
    size_t new_n = (new_size + MK__ALIGN_MASK) & ~MK__ALIGN_MASK;
    uint64_t epoch;
    mk__thread_t *t = mk__frame_thread(&epoch);
    if (t == NULL)
        return NULL;
    if (new_n == old_n) { /* the block already has the room */
        mk_track_frame_alloc(ptr, new_size);
        return ptr;
    }
    /* the newest block of the current slot's arena grows where it stands (a
     * block of an earlier frame may end exactly where this slot begins) */
    if (old_size != 0 && (uintptr_t)ptr >= mk__slot(t)->frame_limit - (uintptr_t)MKG_FRAME_ARENA_BYTES &&
        (uintptr_t)ptr <= t->frame_cursor && t->frame_cursor - (uintptr_t)ptr == old_n && /* new_n > old_n here */
        new_n - old_n <= mk__slot(t)->frame_limit - t->frame_cursor &&
        mk__budget_take(t, intent, (int64_t)(new_n - old_n))) {
#if MK_SENTINEL
        mk__sentinel_frame_fresh((void *)t->frame_cursor, new_n - old_n);
#endif
        t->frame_cursor += new_n - old_n;
        mk_track_frame_alloc(ptr, new_size);
        MK__BUMP(t->frame_row[intent], (uint64_t)((new_n - old_n) >> MKG_ALIGNMENT_SHIFT) << 32);
        return ptr;
    }
    void *moved = mk_alloc(intent, new_size); /* policies apply as for any allocation */
    if (moved != NULL)
        memcpy(moved, ptr, old_size);
    return moved;
}

/* ---- frame memory as seen by other features (transfer.c) ---------------------- */

bool mk__frame_in_flight(uint64_t epoch)
{
    return MK__LOAD(mk__frame_epoch) - epoch < MKG_FRAMES_IN_FLIGHT;
}

bool mk__frame_region_epoch(const mk__thread_t *t, const void *ptr, size_t size, uint64_t *epoch)
{
    if (mk__frame_owns(ptr)) {
        size_t arena = (size_t)mk__rt.config->frame_arena_bytes; /* non-zero: the frame owns ptr */
        size_t index = (size_t)((const unsigned char *)ptr - mk__rt.frame_base) / arena;
        if (index / MKG_FRAMES_IN_FLIGHT != mk__slot(t)->index)
            return false; /* another thread's arena */
        uint64_t stamp = MK__LOAD(mk__slot(t)->slot_epoch[index % MKG_FRAMES_IN_FLIGHT]);
        if (!mk__slot_in_flight(stamp))
            return false;
        uintptr_t end = (uintptr_t)mk__rt.frame_base + (index + 1u) * arena;
        if (mk__slot(t)->frame_epoch == stamp - 1u) /* the slot being filled: only its allocated part */
            end = t->frame_cursor;
        *epoch = stamp - 1u;
        return (uintptr_t)ptr <= end && size <= end - (uintptr_t)ptr;
    }
    for (unsigned slot = 0; slot < MKG_FRAMES_IN_FLIGHT; slot++) {
        uint64_t stamp = MK__LOAD(mk__slot(t)->slot_epoch[slot]);
        if (!mk__slot_in_flight(stamp))
            continue;
        for (void *block = mk__slot(t)->overflow[slot]; block != NULL; block = *mk__spill_link(block)) {
            uintptr_t start = (uintptr_t)block;
            uintptr_t end = start + mk__heap_tier_usable(block) - sizeof(void *); /* the link is not the user's */
            if ((uintptr_t)ptr >= start && (uintptr_t)ptr < end) {
                *epoch = stamp - 1u;
                return size <= end - (uintptr_t)ptr;
            }
        }
    }
    return false;
}
