/* memkit/limits.h — the runtime's fixed capacities, as the config sets them.
 *
 * memkit.toml's [limits] (and [debug], [gpu] for their tiers' own) sets each
 * one; memkit-gen writes it into memkit_config.h as an MKG_ constant, and
 * these are its public names, for sizing arrays such as
 * `mk_phase_stats_t all[MK_MAX_PHASES]`. They used to be #ifndef knobs, set
 * with -D: a flag that one translation unit saw and another did not gave two
 * layouts of the same state in one program. A -D of one of the old names
 * stops the build here with the key that replaced it (docs/config.md,
 * "[limits]"). Included by memkit.h. */
#ifndef MEMKIT_LIMITS_H
#define MEMKIT_LIMITS_H

#if defined(MK_MAX_PHASES) || defined(MK_PHASE_DEPTH) || defined(MK_INTENT_STACK_DEPTH) || defined(MK_MARK_DEPTH)
#error "MK_MAX_PHASES, MK_PHASE_DEPTH, MK_INTENT_STACK_DEPTH and MK_MARK_DEPTH are set in memkit.toml: [limits] phases, phase_depth, intent_depth, mark_depth"
#endif
#if defined(MK_MAX_FRAME_CALLBACKS) || defined(MK_MAX_GROUPS) || defined(MK_SHARED_NAME_MAX) ||                  \
    defined(MK_FRAME_VEC_MIN_BYTES)
#error "MK_MAX_FRAME_CALLBACKS, MK_MAX_GROUPS, MK_SHARED_NAME_MAX and MK_FRAME_VEC_MIN_BYTES are set in memkit.toml: [limits] frame_callbacks, groups, shared_name_bytes, vec_min_bytes"
#endif
#if defined(MK_SENTINEL_CANARY) || defined(MK_SENTINEL_MARKS) || defined(MK_SENTINEL_TRANSFERS) ||              \
    defined(MK_SENTINEL_PHASE_ALLOC_LIMIT) || defined(MK_SENTINEL_FRAGMENTATION_MIN)
#error "sentinel mode's MK_SENTINEL_* knobs are set in memkit.toml: [debug] canary_bytes, tracked_marks, tracked_transfers, phase_alloc_limit, fragmentation_min_blocks"
#endif
#if defined(MK_GPU_MAX_BUFFERS) || defined(MK_GPU_BLOCK_ALLOCATIONS)
#error "MK_GPU_MAX_BUFFERS and MK_GPU_BLOCK_ALLOCATIONS are set in memkit.toml: [gpu] max_buffers, block_allocations"
#endif

#define MK_MAX_PHASES MKG_MAX_PHASES                   /* distinct phase names per run */
#define MK_PHASE_DEPTH MKG_PHASE_DEPTH                 /* phase levels open at once per thread */
#define MK_INTENT_STACK_DEPTH MKG_INTENT_STACK_DEPTH   /* intent scopes nested per thread */
#define MK_MARK_DEPTH MKG_MARK_DEPTH                   /* frame checkpoints open at once per thread */
#define MK_MAX_FRAME_CALLBACKS MKG_MAX_FRAME_CALLBACKS /* frame-begin callbacks, and frame-end ones */
#define MK_MAX_GROUPS MKG_MAX_GROUPS                   /* allocation groups open at once */
#define MK_SHARED_NAME_MAX MKG_SHARED_NAME_MAX         /* bytes kept of a shared buffer's name, NUL included */
#define MK_FRAME_VEC_MIN_BYTES MKG_FRAME_VEC_MIN_BYTES /* a frame vec's or str's first block */
#define MK_GPU_MAX_BUFFERS MKG_GPU_MAX_BUFFERS         /* GPU buffers and images live at once */

#endif /* MEMKIT_LIMITS_H */
