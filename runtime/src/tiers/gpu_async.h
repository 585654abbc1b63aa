/* gpu_async.h — where the runtime reaches the GPU tier (gpu/src, through
 * hooks it installs) and the async tier (async/src: its init, frees, stats,
 * fork and the frame guard). */
#ifndef MEMKIT_GPU_ASYNC_H
#define MEMKIT_GPU_ASYNC_H

#include "diagnostics/output.h"

/* ---- gpu/src: the GPU tier (memkit/gpu.h) ---- */
/* The GPU tier depends on the runtime, never the reverse: mk_gpu_init
 * installs these and mk_gpu_shutdown removes them, so that mk_shutdown and
 * mk_stats_print reach the tier without the runtime naming it (a runtime
 * built without gpu/src links). */
typedef struct mk__tier_hooks {
    size_t (*fini)(void);                /* shut the tier down; returns what was still live */
    void (*print)(const mk__out_t *out); /* its rows of mk_stats_write */
    void (*usage)(uint64_t *pairs);      /* per GPU heap [used, reserved] bytes: a recorded row (record.c) */
} mk__tier_hooks_t;
extern mk__tier_hooks_t mk__gpu_hooks;

/* ---- async/src: the async tier (memkit/async.h) ---- */
mk_status_t mk__async_init(void);
void mk__async_fini(void);
/* mk_free / mk_usable_size of a block of an async pool: false / 0 when none holds it. */
bool mk__async_release_owned(void *block);
size_t mk__async_block_size_of(const void *block);
/* What the async tier holds for `intent`, in bytes, and its counts. */
int64_t mk__async_live(unsigned intent);
void mk__async_intent_counts(unsigned intent, uint64_t *allocations, uint64_t *frees, uint64_t *failures);
size_t mk__async_live_blocks(void);
size_t mk__async_stats(mk_async_stats_t *out);
/* fork(): take every lock of the async tier before, drop them after (parent
 * and child). */
void mk__async_fork_prepare(void);
void mk__async_fork_parent(void);
/* mk_begin_frame through the frame guard: waits while the slot it reuses is held. */
void mk__frame_guard_begin(void);
/* frame.c: what mk_begin_frame does once the guard lets it. */
void mk__frame_advance(void);

#endif /* MEMKIT_GPU_ASYNC_H */
