/* diagnostics.h — what the runtime checks and says about itself: the
 * integrity checks of mk_validate (validate.c), the ML catalogue (report.c),
 * the sentinel-mode hooks the tiers call (sentinel.c) and the statistics
 * (stats.c). */
#ifndef MEMKIT_DIAGNOSTICS_H
#define MEMKIT_DIAGNOSTICS_H

#include "output.h"

/* ---- integrity checks for mk_validate (validate.c); each writes what it
 * finds wrong to `report` (mk__outf: nothing when NULL) and returns false ---- */
bool mk__pool_validate(const mk__out_t *report);
bool mk__heap_tier_validate(const mk__out_t *report);
bool mk__handles_validate(const mk__out_t *report);
bool mk__shared_validate(const mk__out_t *report);
bool mk__scratch_validate(const mk__out_t *report);
bool mk__async_validate(const mk__out_t *report);

/* ---- report.c: the catalogue of docs/diagnostics.md (code and severity) ---- */
typedef enum mk__diag {
    MK__ML101, MK__ML102, MK__ML103, MK__ML104, MK__ML105, MK__ML106,
    MK__ML201, MK__ML202,
    MK__ML301, MK__ML302, MK__ML303, MK__ML304, MK__ML305,
    MK__ML401, MK__ML402, MK__ML403,
    MK__ML501, MK__ML502,
    MK__ML601, MK__ML602, MK__ML603, MK__ML604, MK__ML605, MK__ML606, MK__ML607, MK__ML608,
    MK__DIAG_COUNT
} mk__diag_t;

/* Formats a report of `diag` and hands it to the report handler; call it
 * outside memkit's locks. intent -1 and file NULL when not known. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 6, 7)))
#endif
void mk__report(mk__diag_t diag, const void *ptr, int intent, const char *file, int line, const char *format, ...);
/* "ML607" of a diag. */
const char *mk__diag_code(unsigned diag);
/* The codes reported since the counts last started again, as up to `slots`
 * words (diag + 1) << 32 | count, the rest 0; `take`: they start again from 0. */
void mk__report_frame_counts(uint64_t *words, unsigned slots, bool take);

/* ---- record.c: recordings for memkit-lens (memkit/record.h) ---- */
void mk__record_reset(void);     /* from mk_init */
void mk__record_frame_end(void); /* from mk_end_frame: one row into the ring ([record] frames) */

/* ---- trace.c: the allocation trace ([record] trace_events) ---- */
#define MK__TRACE_ALLOC 0u  /* "a": a block handed out */
#define MK__TRACE_FREE 1u   /* "f": a block given back */
#define MK__TRACE_FAILED 2u /* "x": a request that failed */
/* An event in the ring: frame, size, id, intent | op << 32 (model.py's RECORD_TRACE_WORDS) */
#define MK__TRACE_WORDS 4u
void mk__trace_reset(void); /* from mk_init (mk__record_reset) */
#if MKG_RECORD_TRACE > 0
/* Records an event: the four traced calls do, and whatever they do not see
 * (an in-place resize is a free at the old size and an allocation at the new one). */
void mk__trace_record(unsigned op, unsigned intent, size_t size, const void *ptr);
/* The writer's side (record.c): holds the ring still and returns the events
 * recorded since mk_init; lets it go and returns the events skipped since
 * mk_init (the writing thread's own). */
uint64_t mk__trace_begin(void);
uint64_t mk__trace_end(void);
#endif

/* ---- sentinel.c: hooks the tiers call in sentinel builds (MK_SENTINEL) ---- */
#if MK_SENTINEL
/* [debug] phase_alloc_limit (allocations in one frame above which a phase
 * gets ML401) and fragmentation_min_blocks (carved blocks a pool class needs
 * before ML403 looks at it) are MKG_SENTINEL_PHASE_ALLOC_LIMIT and
 * MKG_SENTINEL_FRAGMENTATION_MIN (memkit_config.h). */

/* What a sentinel block is, for reports of a release through the wrong API. */
typedef enum mk__sentinel_kind {
    MK__KIND_PLAIN = 0,   /* mk_alloc & co, released by mk_free */
    MK__KIND_SHARED = 1,  /* a shared buffer, released by mk_shared_release */
    MK__KIND_SCRATCH = 2  /* a scratch buffer, released by mk_scratch_release */
} mk__sentinel_kind_t;

void mk__sentinel_init(void);
/* The leak audit (ML608): reports every live block, returns their number. */
size_t mk__sentinel_shutdown(void);
/* The call site recorded by memkit.h's macros (file NULL when none). */
void mk__sentinel_current_site(const char **file, int *line);
/* Marks a live block as a shared or scratch buffer, or back to plain. */
void mk__sentinel_set_kind(void *block, mk__sentinel_kind_t kind);
/* True when `block` is a live block of `kind`; otherwise reports why (ML601,
 * ML602 or ML603 naming `api`; `user` is the pointer the caller was given)
 * and returns false: the caller then does nothing. */
bool mk__sentinel_check_kind(const void *block, const void *user, mk__sentinel_kind_t kind, const char *api);
/* Usable bytes of a sentinel block (its requested size); false if not one. */
bool mk__sentinel_usable(const void *ptr, size_t *size);
/* The intent of a live sentinel block; false if not one. */
bool mk__sentinel_intent(const void *ptr, unsigned *intent);
/* Frame memory named by `ptr` (arena or spill) used by the calling thread
 * through `api`: reports ML201 (another thread's) or ML103 (its frame left
 * flight). False when it reported. */
bool mk__sentinel_frame_check(const void *ptr, const char *api);
/* [p, p + n) was just handed out from a frame arena or spill: ML103 when its
 * reset poison was damaged, then filled with 0xAA. */
void mk__sentinel_frame_fresh(void *p, size_t n);
/* frame.c: thread t leaves its current slot (records how far it was used). */
void mk__sentinel_frame_leave(const mk__thread_t *t);
/* frame.c: slot `slot` of thread t is released: poisons it, ML402. */
void mk__sentinel_frame_release(const mk__thread_t *t, unsigned slot);
/* frame.c: marks and rewinds (ML104, ML201), frame begin/end (ML101, ML102, ML104). */
void mk__sentinel_mark_taken(const mk__thread_t *t, mk_frame_mark_t *mark);
void mk__sentinel_mark_released(const mk_frame_mark_t *mark);
/* Before a rewind: false (reported ML201) for another thread's mark. */
bool mk__sentinel_rewind_check(const mk__thread_t *t, const mk_frame_mark_t *mark);
/* After a successful rewind: poisons what it released, closes the marks. */
void mk__sentinel_rewound(const mk__thread_t *t, const mk_frame_mark_t *mark, uintptr_t old_cursor);
void mk__sentinel_frame_begin(void);
void mk__sentinel_frame_end(void);
/* transfer.c: ML402 bookkeeping of pending frame transfers. */
void mk__sentinel_transfer_offered(const mk_transfer_t *t);
void mk__sentinel_transfer_closed(const mk_transfer_t *t);
/* heap_tier.c: a tier block given back unused (a budget refused it) after the
 * tier may have written inside it: forget any freed header it holds. */
void mk__sentinel_tier_unused(void *raw, size_t usable);
/* validate.c: canaries of every live block (ML605), fragmentation (ML403). */
bool mk__sentinel_validate(const mk__out_t *report);
/* alloc.c: mk_realloc of a sentinel build. */
void *mk__sentinel_realloc(mk_intent_t intent, void *ptr, size_t size);
#endif

/* ---- stats.c ---- */
/* Folds the current summed bytes of every intent (or one) into the peaks. */
void mk__stats_sample(void);
void mk__stats_sample_frames(void); /* frame intents only: at each thread's frame reset */
void mk__stats_init(void);
/* A second thread slot is taken: the exact single-thread peaks become floors. */
void mk__stats_fold_single_peaks(void);
/* Pool, heap and system blocks allocated and not freed (mk_shutdown). */
size_t mk__stats_live_blocks(void);
/* Counts a free of `bytes` for `intent` on thread t, or in the shared
 * counters when t is NULL (a thread that could not attach). */
void mk__count_free(mk__thread_t *t, unsigned intent, int64_t bytes);

#endif /* MEMKIT_DIAGNOSTICS_H */
