/* memkit/lifecycle.h — frame checkpoints, growth in place, phases, scopes,
 * intent scopes and frame callbacks. Included by memkit.h.
 *
 * Everything here acts on the calling thread's frame arena and is
 * thread-safe in the sense that each thread has its own marks, phase stack
 * and intent stack; frame callbacks are registered process-wide.
 */
#include <memkit/memkit.h> /* on its own; memkit.h includes this header at its place */
#ifndef MEMKIT_LIFECYCLE_H
#define MEMKIT_LIFECYCLE_H

MK__API_BEGIN

/* ---- checkpoints ----------------------------------------------------------- */

/* A saved position of the calling thread's frame arena. */
typedef struct mk_frame_mark {
    uintptr_t cursor;                 /* arena position at the mark */
    uint64_t epoch;                   /* the frame it was taken in */
    void *spill;                      /* newest spilled heap block at the mark */
    uint32_t thread;                  /* thread slot that took it */
    uint32_t serial;                  /* sentinel builds: its registration (else 0) */
    int64_t bytes[MKG_INTENT_COUNT];  /* frame bytes per intent at the mark */
} mk_frame_mark_t;

/* Saves the calling thread's arena position (attaching the thread and
 * entering the current frame if needed) and opens a checkpoint on the
 * thread's checkpoint stack (MK_MARK_DEPTH, 64, per thread and frame); a mark
 * taken when nothing was allocated since the newest checkpoint shares it, so
 * a loop of mark, try, rewind uses one entry. O(intents).
 * A mark taken when the thread cannot attach or the stack is full (last
 * error MK_EFULL) has epoch UINT64_MAX and is refused by rewind. */
mk_frame_mark_t mk_frame_mark(void);

/* Releases every frame allocation the calling thread made since `mark`, in
 * O(intents + spilled blocks): the cursor goes back, the bytes return to their
 * budgets, heap blocks spilled since the mark are freed. Returns MK_OK;
 * MK_ESTATE (nothing changed) if the mark was taken in an earlier frame or on
 * another thread; MK_EINVAL if the mark is no longer open: an earlier rewind
 * went past it, or it was released (by every mark that shares it). The mark stays open (it can be rewound to
 * again); checkpoints taken after it close. Memory allocated after the mark
 * must not be used afterwards. */
mk_status_t mk_frame_rewind(const mk_frame_mark_t *mark);

/* Declares that `mark` will not be rewound to: its checkpoint closes once
 * every mark sharing it is released, which frees its place on the thread's
 * checkpoint stack. Sentinel builds report (ML104) every checkpoint of a frame
 * that is neither rewound nor released when mk_end_frame runs; a rewind also
 * closes every checkpoint taken after its mark. O(open checkpoints). Call it on
 * the thread that took the mark; NULL is ignored. */
void mk_frame_mark_release(const mk_frame_mark_t *mark);

/* Grows the frame block `ptr` of `old_size` bytes to `new_size` bytes for
 * frame intent `intent`. When `ptr` is the calling thread's most recent frame
 * allocation and the arena has room, it grows in place (O(1)) and `ptr` is
 * returned; otherwise a new frame block is allocated and `old_size` bytes
 * copied (the old block lives until its frame ends). ptr == NULL allocates.
 * Returns NULL (old block untouched) on failure, per the intent's budget and
 * policies, or with MK_EINVAL when `intent` is not a frame intent. */
void *mk_frame_grow(mk_intent_t intent, void *ptr, size_t old_size, size_t new_size);

/* ---- phases ------------------------------------------------------------------ */

/* MK_MAX_PHASES (32) distinct phase names per run and MK_PHASE_DEPTH (16)
 * nesting levels per thread; both knobs are defined in fastpath.h. */

/* Opens a named phase on the calling thread: until the matching
 * mk_phase_end, the thread's allocations (bytes and counts, any intent) are
 * also counted to the phase; nested phases count to every open phase. `name`
 * must outlive the run (a string literal): it is compared by address first.
 * O(1) amortised. Returns MK_OK; MK_EFULL when nested deeper than
 * MK_PHASE_DEPTH or past MK_MAX_PHASES names (the level is then opened but
 * counts nothing); MK_EINVAL (NULL name) or MK_ESTATE (thread cannot attach),
 * which open nothing. Every MK_OK or MK_EFULL needs its mk_phase_end. */
mk_status_t mk_phase_begin(const char *name);

/* Closes the innermost open phase of the calling thread. O(1). Does nothing
 * when none is open. */
void mk_phase_end(void);

typedef struct mk_phase_stats {
    const char *name;
    uint64_t bytes;             /* since mk_init, all threads */
    uint64_t allocations;
    uint64_t last_frame_bytes;  /* during the last completed frame */
    uint64_t last_frame_allocations;
    uint64_t entries;           /* times the phase was opened */
} mk_phase_stats_t;

/* Copies up to `max` phases' statistics into `out` (in order of first use);
 * returns how many phases exist. Thread-safe. */
size_t mk_phase_stats(mk_phase_stats_t *out, size_t max);

/* ---- intent scopes ------------------------------------------------------------ */

/* Makes `intent` the calling thread's current intent until the matching pop,
 * so that code calling mk_alloc_current() is attributed to it. O(1).
 * Returns MK_OK; MK_EFULL when nested deeper than MK_INTENT_STACK_DEPTH
 * (default 16: the level is counted but the previous intent stays current);
 * MK_EINVAL (no such intent) or MK_ESTATE (thread cannot attach), which push
 * nothing. Every MK_OK or MK_EFULL needs its mk_intent_pop. */
mk_status_t mk_intent_push(mk_intent_t intent);

/* Restores the previous current intent. Does nothing on an empty stack. */
void mk_intent_pop(void);

/* mk_alloc for the calling thread's current intent; NULL with MK_EINVAL when
 * no intent is current. */
void *mk_alloc_current(size_t size);

/* `mk_with_intent(MK_INTENT_AI) { third_party_call(); }` runs its body once,
 * always. When the push fails (nested past MK_INTENT_STACK_DEPTH, a bad
 * intent, no thread slot) the body still runs — under the enclosing intent —
 * and the failure is reported (ML502) and left in mk_last_error(). Leaving the
 * body by break ends the scope; by return or goto it does not (use
 * MK_INTENT_SCOPE for those). */
MK__INTERNAL int mk__with_intent_begin(mk_intent_t intent);
MK__INTERNAL int mk__with_intent_end(int state);
#define mk_with_intent(intent)                                                                                  \
    for (int mk__with_state = mk__with_intent_begin(intent); mk__with_state != 0;                              \
         mk__with_state = mk__with_intent_end(mk__with_state))

/* ---- scopes: a mark or a phase that ends with the enclosing block ------------------
 * On gcc and clang, MK_FRAME_SCOPE() rewinds to a mark taken at the
 * declaration when the block exits (by any path), and MK_PHASE_SCOPE(name)
 * ends the phase. Other compilers: use the explicit pairs above. */
MK__INTERNAL void mk__scope_rewind(mk_frame_mark_t *mark);
MK__INTERNAL void mk__scope_phase_end(int *unused);
MK__INTERNAL void mk__scope_intent_pop(int *unused);
#define MK__CAT2(a, b) a##b
#define MK__CAT(a, b) MK__CAT2(a, b)
#if defined(__GNUC__) || defined(__clang__)
#define MK_FRAME_SCOPE()                                                                                         \
    mk_frame_mark_t MK__CAT(mk__scope_mark_, __LINE__) __attribute__((cleanup(mk__scope_rewind), unused)) = mk_frame_mark()
#define MK_PHASE_SCOPE(name)                                                                                     \
    int MK__CAT(mk__scope_phase_, __LINE__) __attribute__((cleanup(mk__scope_phase_end), unused)) = (int)mk_phase_begin(name)
#define MK_INTENT_SCOPE(intent)                                                                                  \
    int MK__CAT(mk__scope_intent_, __LINE__) __attribute__((cleanup(mk__scope_intent_pop), unused)) = (int)mk_intent_push(intent)
#endif

/* ---- frame callbacks ------------------------------------------------------------ */

typedef void (*mk_frame_callback_t)(uint64_t frame, void *user);

/* Runs fn(frame index, user) at every mk_begin_frame (after the new frame
 * started) or mk_end_frame (before deferred frees are released), in order of
 * registration, on the frame driver's thread. Returns MK_OK or MK_EFULL.
 * Registrations are cleared by mk_init. Not thread-safe with frame calls. */
mk_status_t mk_on_frame_begin(mk_frame_callback_t fn, void *user);
mk_status_t mk_on_frame_end(mk_frame_callback_t fn, void *user);

MK__API_END

#endif /* MEMKIT_LIFECYCLE_H */
