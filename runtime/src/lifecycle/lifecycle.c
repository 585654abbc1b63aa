/* lifecycle.c — phases, intent scopes and frame callbacks.
 *
 * Phases: each thread counts every allocation it makes in one packed `tally`
 * (allocations high, bytes low): the slot's own word, bumped by the pool and
 * heap fast paths, plus what its frame rows count (mk__frame_tally: one load
 * per frame intent).
 * Opening a phase pushes {phase, tally}; closing it adds the difference to the
 * thread's per-phase totals. Nested phases therefore count to every open
 * phase, and per allocation there is no work beyond the tally. Phase names are registered once in a small global table (under a
 * lock, compared by address, then by content); each thread caches its last
 * lookup, so a phase entered every frame is found in one comparison.
 *
 * Per-frame figures: at mk_end_frame the totals of every phase are summed
 * over threads and the difference from the previous end is kept as "last
 * frame".
 */
#include "internal.h"

static uint64_t mk__thread_tally(const mk__thread_t *t)
{
    return MK__LOAD(t->tally) + mk__frame_tally(t);
}

typedef struct mk__callback {
    mk_frame_callback_t fn;
    void *user;
} mk__callback_t;

static struct {
    mk__lock_t lock;
    MK__ATOMIC(uint32_t) phase_count;
    const char *phase_names[MK_MAX_PHASES];
    uint64_t last_end_bytes[MK_MAX_PHASES];  /* totals at the previous mk_end_frame */
    uint64_t last_end_allocs[MK_MAX_PHASES];
    MK__ATOMIC(int64_t) last_frame_bytes[MK_MAX_PHASES];
    MK__ATOMIC(int64_t) last_frame_allocs[MK_MAX_PHASES];
    mk__callback_t on_begin[MK_MAX_FRAME_CALLBACKS];
    mk__callback_t on_end[MK_MAX_FRAME_CALLBACKS];
    uint32_t on_begin_count;
    uint32_t on_end_count;
#if MK_SENTINEL
    bool rate_reported[MK_MAX_PHASES]; /* ML401 once per phase and run */
#endif
} mk__life;

void mk__lifecycle_init(void)
{
    memset(&mk__life, 0, sizeof mk__life);
    mk__fork_lock_register(&mk__life.lock);
}

/* ---- phases ---- */

/* The index of `name`, registering it; MK_MAX_PHASES when the table is full. */
static uint32_t mk__phase_index(const char *name)
{
    uint32_t count = MK__LOAD_ACQUIRE(mk__life.phase_count);
    for (uint32_t i = 0; i < count; i++)
        if (mk__life.phase_names[i] == name)
            return i;
    mk__lock(&mk__life.lock);
    count = MK__LOAD(mk__life.phase_count);
    uint32_t found = MK_MAX_PHASES;
    for (uint32_t i = 0; i < count && found == MK_MAX_PHASES; i++)
        if (strcmp(mk__life.phase_names[i], name) == 0)
            found = i;
    if (found == MK_MAX_PHASES && count < MK_MAX_PHASES) {
        mk__life.phase_names[count] = name;
        MK__STORE_RELEASE(mk__life.phase_count, count + 1u); /* readers that see the count see the name */
        found = count;
    }
    mk__unlock(&mk__life.lock);
    return found;
}

/* A begin that returns MK_OK or MK_EFULL always pushes (beyond the depth, or
 * past the name table, an entry that counts nothing), so begins and ends stay
 * paired whatever fails. */
#define MK__PHASE_NONE MK_MAX_PHASES

mk_status_t mk_phase_begin(const char *name)
{
    if (name == NULL)
        return MK_EINVAL;
    mk__thread_t *t = mk__thread();
    if (t == NULL)
        return MK_ESTATE;
    mk__thread_lifecycle_t *life = &mk__slot(t)->life;
    if (life->depth >= MK_PHASE_DEPTH) {
        life->depth++;
        return MK_EFULL;
    }
    uint32_t phase = life->cached_phase;
    if (MK_UNLIKELY(life->cached_name != name)) {
        phase = mk__phase_index(name);
        if (phase != MK__PHASE_NONE) {
            life->cached_name = name;
            life->cached_phase = phase;
        }
    }
    life->open[life->depth].phase = phase;
    life->open[life->depth].tally_at_begin = mk__thread_tally(t);
    life->depth++;
    return phase == MK__PHASE_NONE ? MK_EFULL : MK_OK;
}

void mk_phase_end(void)
{
    mk__thread_t *t = mk__self;
    mk__thread_lifecycle_t *life = &mk__slot(t)->life;
    if (mk__slot(t)->generation != mk__rt.generation || life->depth == 0)
        return;
    life->depth--;
    if (life->depth >= MK_PHASE_DEPTH || life->open[life->depth].phase == MK__PHASE_NONE)
        return;
    uint32_t phase = life->open[life->depth].phase;
    uint64_t delta = mk__thread_tally(t) - life->open[life->depth].tally_at_begin;
    MK__BUMP(life->phase_bytes[phase], (int64_t)(delta & (((uint64_t)1 << MK__TALLY_SHIFT) - 1u)));
    MK__BUMP(life->phase_allocs[phase], (int64_t)(delta >> MK__TALLY_SHIFT));
    MK__BUMP(life->phase_entries[phase], 1);
}

/* Totals of one phase over all threads. */
static void mk__phase_totals(uint32_t phase, uint64_t *bytes, uint64_t *allocs, uint64_t *entries)
{
    *bytes = *allocs = *entries = 0;
    uint32_t span = mk__thread_span();
    for (unsigned i = 0; i < span; i++) {
        const mk__thread_lifecycle_t *life = &mk__rt.threads[i].life;
        *bytes += (uint64_t)MK__LOAD(life->phase_bytes[phase]);
        *allocs += (uint64_t)MK__LOAD(life->phase_allocs[phase]);
        *entries += (uint64_t)MK__LOAD(life->phase_entries[phase]);
    }
}

uint32_t mk__phase_count(void)
{
    return MK__LOAD_ACQUIRE(mk__life.phase_count);
}

void mk__phase_stat(uint32_t i, mk_phase_stats_t *s)
{
    s->name = mk__life.phase_names[i];
    mk__phase_totals(i, &s->bytes, &s->allocations, &s->entries);
    s->last_frame_bytes = (uint64_t)MK__LOAD(mk__life.last_frame_bytes[i]);
    s->last_frame_allocations = (uint64_t)MK__LOAD(mk__life.last_frame_allocs[i]);
}

size_t mk_phase_stats(mk_phase_stats_t *out, size_t max)
{
    uint32_t count = mk__phase_count();
    for (uint32_t i = 0; i < count && i < max && out != NULL; i++)
        mk__phase_stat(i, &out[i]);
    return count;
}

/* ---- intent scopes ---- */

/* As with phases, a push that returns MK_OK or MK_EFULL counts a level (one
 * beyond the depth changes nothing), so pushes and pops stay paired. A push
 * past the depth is a misuse that would misattribute memory silently: it is
 * reported (ML502) in every build. */
mk_status_t mk_intent_push(mk_intent_t intent)
{
    if ((unsigned)intent >= (unsigned)MKG_INTENT_COUNT)
        return MK_EINVAL;
    mk__thread_t *t = mk__thread();
    if (t == NULL)
        return MK_ESTATE;
    uint32_t depth = mk__slot(t)->life.intent_depth++;
    if (depth >= MK_INTENT_STACK_DEPTH) {
        mk__last_error = MK_EFULL;
        mk__report(MK__ML502, NULL, (int)intent, NULL, 0,
                   "intent scope '%s' nested %u deep, past MK_INTENT_STACK_DEPTH (%d): its allocations go to "
                   "the enclosing intent '%s'",
                   mk_intent_name(intent), (unsigned)depth + 1u, MK_INTENT_STACK_DEPTH,
                   mk_intent_name((mk_intent_t)mk__slot(t)->life.intents[MK_INTENT_STACK_DEPTH - 1]));
        return MK_EFULL;
    }
    mk__slot(t)->life.intents[depth] = (uint8_t)intent;
    return MK_OK;
}

int mk__with_intent_begin(mk_intent_t intent)
{
    mk_status_t status = mk_intent_push(intent);
    if (status == MK_OK || status == MK_EFULL)
        return 1; /* a level was counted: the scope pops it */
    mk__report(MK__ML502, NULL, -1, NULL, 0, "mk_with_intent(%d): %s; its body runs with the enclosing intent",
               (int)intent, mk_status_str(status));
    mk__last_error = status;
    return 2;
}

int mk__with_intent_end(int state)
{
    if (state == 1)
        mk_intent_pop();
    return 0;
}

void mk_intent_pop(void)
{
    mk__thread_t *t = mk__self;
    if (mk__slot(t)->generation == mk__rt.generation && mk__slot(t)->life.intent_depth > 0)
        mk__slot(t)->life.intent_depth--;
}

void *mk_alloc_current(size_t size)
{
    mk__thread_t *t = mk__self;
    uint32_t depth = mk__slot(t)->life.intent_depth;
    if (mk__slot(t)->generation != mk__rt.generation || depth == 0) {
#if MK_SENTINEL
        const char *file;
        int line;
        mk__sentinel_current_site(&file, &line);
        if (mk__rt.initialised)
            mk__report(MK__ML501, NULL, -1, file, line,
                       "mk_alloc_current(%zu) with no intent pushed on this thread (mk_intent_push / "
                       "mk_with_intent): the allocation fails",
                       size);
#endif
        return mk__fail(MK_EINVAL);
    }
    if (depth > MK_INTENT_STACK_DEPTH)
        depth = MK_INTENT_STACK_DEPTH;
    return mk_alloc((mk_intent_t)mk__slot(t)->life.intents[depth - 1], size);
}

/* ---- scopes ---- */

void mk__scope_rewind(mk_frame_mark_t *mark)
{
    (void)mk_frame_rewind(mark);
}

void mk__scope_phase_end(int *status)
{
    if (*status == MK_OK || *status == MK_EFULL)
        mk_phase_end();
}

void mk__scope_intent_pop(int *status)
{
    if (*status == MK_OK || *status == MK_EFULL)
        mk_intent_pop();
}

/* ---- frame callbacks ---- */

static mk_status_t mk__add_callback(mk__callback_t *list, uint32_t *count, mk_frame_callback_t fn, void *user)
{
    if (fn == NULL)
        return MK_EINVAL;
    if (*count >= MK_MAX_FRAME_CALLBACKS)
        return MK_EFULL;
    list[(*count)++] = (mk__callback_t){fn, user};
    return MK_OK;
}

mk_status_t mk_on_frame_begin(mk_frame_callback_t fn, void *user)
{
    return mk__add_callback(mk__life.on_begin, &mk__life.on_begin_count, fn, user);
}

mk_status_t mk_on_frame_end(mk_frame_callback_t fn, void *user)
{
    return mk__add_callback(mk__life.on_end, &mk__life.on_end_count, fn, user);
}

void mk__lifecycle_frame_begin(void)
{
    uint64_t frame = mk_frame_index();
    for (uint32_t i = 0; i < mk__life.on_begin_count; i++)
        mk__life.on_begin[i].fn(frame, mk__life.on_begin[i].user);
}

void mk__lifecycle_frame_end(void)
{
    uint64_t frame = mk_frame_index();
#if MK_SENTINEL
    /* the frame driver's own phases: other threads' stacks are theirs to read */
    const mk__thread_lifecycle_t *open = &mk__slot(mk__self)->life;
    if (mk__slot(mk__self)->generation == mk__rt.generation && open->depth > 0) {
        uint32_t top = open->depth <= MK_PHASE_DEPTH ? open->open[open->depth - 1].phase : MK__PHASE_NONE;
        mk__report(MK__ML105, NULL, -1, NULL, 0,
                   "mk_end_frame while phase '%s' is still open (%u phase(s) open on the frame driver's thread): "
                   "its mk_phase_end is missing or comes later",
                   top < MK__LOAD(mk__life.phase_count) ? mk__life.phase_names[top] : "?", (unsigned)open->depth);
    }
#endif
    for (uint32_t i = 0; i < mk__life.on_end_count; i++)
        mk__life.on_end[i].fn(frame, mk__life.on_end[i].user);
    uint32_t count = MK__LOAD(mk__life.phase_count);
    for (uint32_t phase = 0; phase < count; phase++) {
        uint64_t bytes, allocs, entries;
        mk__phase_totals(phase, &bytes, &allocs, &entries);
        MK__STORE(mk__life.last_frame_bytes[phase], (int64_t)(bytes - mk__life.last_end_bytes[phase]));
        MK__STORE(mk__life.last_frame_allocs[phase], (int64_t)(allocs - mk__life.last_end_allocs[phase]));
#if MK_SENTINEL
        uint64_t in_frame = allocs - mk__life.last_end_allocs[phase];
        if (in_frame > MKG_SENTINEL_PHASE_ALLOC_LIMIT && !mk__life.rate_reported[phase]) {
            mk__life.rate_reported[phase] = true;
            mk__report(MK__ML401, NULL, -1, NULL, 0,
                       "phase '%s' made %llu allocations in frame %llu (more than %llu): a frame arena, a pool with "
                       "a larger thread cache or batching would serve it better (reported once)",
                       mk__life.phase_names[phase], (unsigned long long)in_frame, (unsigned long long)frame,
                       (unsigned long long)MKG_SENTINEL_PHASE_ALLOC_LIMIT);
        }
#endif
        mk__life.last_end_bytes[phase] = bytes;
        mk__life.last_end_allocs[phase] = allocs;
    }
}
