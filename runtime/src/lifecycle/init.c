/* init.c — mk_init / mk_shutdown, status codes and the last-error slot. */
#include "internal.h"

mk__runtime_t mk__rt;
MK__TLS mk_status_t mk__last_error;
MK__TLS int mk__policy_depth;


void *mk__fail(mk_status_t status)
{
    mk__last_error = status;
    return NULL;
}

mk_status_t mk_last_error(void)
{
    return mk__last_error;
}

const char *mk_status_str(mk_status_t status)
{
    switch (status) {
    case MK_OK: return "MK_OK: success";
    case MK_ENOMEM: return "MK_ENOMEM: the tier has no memory left";
    case MK_EBUDGET: return "MK_EBUDGET: budget exhausted";
    case MK_EINVAL: return "MK_EINVAL: invalid argument";
    case MK_EABI: return "MK_EABI: generated config does not match the runtime";
    case MK_ESTATE: return "MK_ESTATE: memkit is not initialised (or already is)";
    case MK_ETHREADS: return "MK_ETHREADS: more threads than max_threads";
    case MK_ESYSTEM: return "MK_ESYSTEM: the OS refused a reservation";
    case MK_ECORRUPT: return "MK_ECORRUPT: memkit's structures are damaged";
    case MK_EFULL: return "MK_EFULL: a fixed-capacity table is full";
    case MK_ETOOBIG: return "MK_ETOOBIG: larger than the intent's tier serves";
    case MK_PENDING: return "MK_PENDING: queued, the callback runs later";
    case MK_ETIMEDOUT: return "MK_ETIMEDOUT: the deadline passed";
    case MK_ECLOSED: return "MK_ECLOSED: the channel is closed";
    case MK_EBUSY: return "MK_EBUSY: the frame to reuse is still held";
    case MK_EEMPTY: return "MK_EEMPTY: nothing to receive";
    case MK_ERANGE: return "MK_ERANGE: a size in the config does not fit this target's address space";
    }
    return "unknown memkit status";
}

static void mk__release_storage(void)
{
    mk__async_fini();
    mk__pool_fini();
    mk__heap_tier_fini();
    if (mk__rt.config->frame_storage_kind == MK_STORAGE_RESERVE)
        mk__prim_release(mk__rt.frame_base, mk__frame_total_bytes());
    mk__rt.frame_base = NULL;
}

/* Can the frame arenas live in this address space? Their total must fit
 * size_t (reserve storage; the generated header asserts it for static
 * storage), and they must end at least one arena below the top of the
 * address space: the inline fast path adds a request of up to one arena to a
 * cursor inside them (memkit/fastpath.h) and must not wrap. */
static bool mk__frame_total_fits(void)
{
    uint64_t arena = MKG_FRAME_ARENA_BYTES;
    return arena == 0u || (uint64_t)MKG_MAX_THREADS * MKG_FRAMES_IN_FLIGHT <= (uint64_t)SIZE_MAX / arena;
}

static bool mk__frame_below_top(const unsigned char *base)
{
    uintptr_t start = (uintptr_t)base, total = (uintptr_t)mk__frame_total_bytes();
    uintptr_t arena = (uintptr_t)mk__rt.config->frame_arena_bytes; /* (fits: total does) */
    return total <= UINTPTR_MAX - start && arena <= UINTPTR_MAX - start - total;
}

/* The first way the caller's layout differs from the runtime's, or NULL. */
static const char *mk__layout_difference(mk__layout_key_t caller, mk__layout_key_t own)
{
    if (caller.hash != own.hash)
        return "another memkit-gen run (MKG_LAYOUT_HASH): regenerate, and rebuild both with the same memkit";
    if (caller.sentinel != own.sentinel)
        return "another MK_SENTINEL: every translation unit of a program must agree";
    if (caller.locked_atomics != own.locked_atomics)
        return "another MK_LOCKED_ATOMIC64 (64-bit atomics): every translation unit must agree";
    if (caller.tracking != own.tracking)
        return "another tracking mode (MK_TRACK_ASAN, MK_VALGRIND): every translation unit must agree";
    if (caller.thread_bytes != own.thread_bytes)
        return "another size of the per-thread state: the same memkit_config.h, headers and compiler flags "
               "must build both";
    return NULL;
}

mk_status_t mk__init_for(const mk_config_t *config, const char *caller_config_sha256, mk__layout_key_t caller_layout)
{
    if (caller_config_sha256 != NULL && strcmp(caller_config_sha256, MKG_CONFIG_SHA256) != 0) {
        mk__message("memkit: mk_init from code generated for config %.12s... reached a runtime built for config "
                    "%.12s...: two configs in one program need a [memkit] prefix each (docs/config.md)",
                    caller_config_sha256, MKG_CONFIG_SHA256);
        return MK_EABI;
    }
    const char *difference = mk__layout_difference(caller_layout, MK__LAYOUT_KEY);
    if (difference != NULL) {
        mk__message("memkit: mk_init from code compiled with %s (caller: layout %016llx, %u-byte thread state; "
                    "runtime: %016llx, %u bytes)",
                    difference, (unsigned long long)caller_layout.hash, (unsigned)caller_layout.thread_bytes,
                    (unsigned long long)MKG_LAYOUT_HASH, (unsigned)sizeof(mk__thread_t));
        return MK_EABI;
    }
    return mk_init(config);
}

mk_status_t mk_init(const mk_config_t *config)
{
    if (config == NULL)
        return MK_EINVAL;
    /* the runtime was compiled against one generated header: its tables must
     * be the ones in `config` */
    if (config->abi != MK_RUNTIME_ABI || config->layout_hash != MKG_LAYOUT_HASH ||
        strcmp(config->source_sha256, MKG_CONFIG_SHA256) != 0)
        return MK_EABI;
    if (mk__rt.initialised)
        return MK_ESTATE;
    uint32_t generation = mk__rt.generation + 1u;
    memset(&mk__rt, 0, sizeof mk__rt);
    mk__rt.config = config;
    mk__rt.generation = generation;
    mk__recall_init(); /* before the modules register their locks with it */
#if MK_SENTINEL
    mk__sentinel_init();
#endif
    mk__thread_reset_all();
    mk__group_init();
    mk__frame_init();
    mk__budget_init();
    mk__stats_init();
    mk__record_reset();

    mk__rt.frame_base = config->frame_storage;
    if (!mk__frame_total_fits())
        return MK_ERANGE;
    if (config->frame_storage_kind == MK_STORAGE_RESERVE && MKG_FRAME_ARENA_BYTES > 0) {
        mk__rt.frame_base =
            mk__prim_reserve(mk__frame_total_bytes());
        if (mk__rt.frame_base == NULL)
            return MK_ESYSTEM;
    }
    if (mk__rt.frame_base != NULL && !mk__frame_below_top(mk__rt.frame_base)) {
        if (config->frame_storage_kind == MK_STORAGE_RESERVE)
            mk__prim_release(mk__rt.frame_base, mk__frame_total_bytes());
        mk__rt.frame_base = NULL;
        return MK_ERANGE;
    }
    mk__lifecycle_init();
    mk__deferred_init();
    mk__shared_init();
    mk__scratch_init();
    if (mk__rt.frame_base != NULL && config->frame_prefault)
        mk__prim_prefault(mk__rt.frame_base, mk__frame_total_bytes());
    if (mk__rt.frame_base != NULL) /* the tools: no frame memory is live yet */
        mk_track_retire(mk__rt.frame_base, mk__frame_total_bytes());
    mk_status_t status = mk__pool_init();
    if (status == MK_OK)
        status = mk__heap_tier_init();
    if (status == MK_OK)
        status = mk__async_init();
    bool handles_up = false;
    if (status == MK_OK) {
        status = mk__handles_init();
        handles_up = status == MK_OK;
    }
    if (status == MK_OK && !mk__thread_exit_hook_init())
        status = MK_ESYSTEM;
    if (status != MK_OK) { /* undo what came up: handles stale, storage unmapped */
        if (handles_up)
            mk__handles_fini();
        mk__release_storage();
        return status;
    }
    mk__self = &mk__thread_unattached.hot;
    mk__rt.initialised = true;
    return MK_OK;
}

size_t mk_shutdown(void)
{
    if (!mk__rt.initialised)
        return 0;
    size_t gpu_leaks = mk__gpu_hooks.fini != NULL ? mk__gpu_hooks.fini() : 0; /* the GPU tier, if left up */
    mk__scratch_fini();
    mk__deferred_fini();
#if MK_SENTINEL
    size_t leaks = mk__sentinel_shutdown(); /* the tiers and the shared registry are still up */
#else
    size_t leaks = mk__stats_live_blocks();
#endif
    leaks += mk__async_live_blocks() + gpu_leaks;
    mk__shared_fini();
    mk__handles_fini();
    mk_thread_detach();
    mk__prim_thread_exit_fini();
    mk__release_storage();
    mk__rt.initialised = false;
    mk__rt.generation++; /* a slot still pointed at from a live thread no longer matches */
    mk__last_error = MK_OK;
    return leaks;
}
