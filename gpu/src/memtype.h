/* memtype.h — choosing a device memory type for a GPU heap, by cost.
 *
 * The generator's model turns a heap's `memory = "device_local" | "upload" |
 * "readback" | "unified"` into three sets of memory property flags; at init
 * the GPU tier scores every memory type the device offers against them, the
 * way VMA does: among the types allowed by the resource's memoryTypeBits that
 * have every required flag, the cost is the number of preferred flags missing
 * plus the number of not-preferred flags present, and the cheapest type wins
 * (the lowest index on a tie). Flags, not the device type, decide: the same
 * heap lands in DEVICE_LOCAL-only memory on a discrete GPU and in the one
 * unified type of a UMA GPU or lavapipe.
 *
 * Pure C, no Vulkan header: the flag values are Vulkan's
 * (VkMemoryPropertyFlagBits), so a VkPhysicalDeviceMemoryProperties' types can
 * be passed as they are.
 */
#ifndef MEMKIT_GPU_MEMTYPE_H
#define MEMKIT_GPU_MEMTYPE_H

#include <stdint.h>

/* Inside a runtime the generated config comes first, for its [memkit] prefix
 * (as in suballoc.h); tests and backends built alone define MK__GPU_STANDALONE. */
#ifndef MK__GPU_STANDALONE
#include "memkit_config.h"
#endif

/* VkMemoryPropertyFlagBits, by value. */
#define MK_GPU_MEMORY_DEVICE_LOCAL 0x01u
#define MK_GPU_MEMORY_HOST_VISIBLE 0x02u
#define MK_GPU_MEMORY_HOST_COHERENT 0x04u
#define MK_GPU_MEMORY_HOST_CACHED 0x08u
#define MK_GPU_MEMORY_LAZILY_ALLOCATED 0x10u

/* What a heap asks of its memory type. */
typedef struct mk_gpu_memory_want {
    uint32_t required;      /* every one of these, or the type is not a candidate */
    uint32_t preferred;     /* each one missing costs 1 */
    uint32_t not_preferred; /* each one present costs 1 */
} mk_gpu_memory_want_t;

/* The cheapest memory type for `want` among the first `type_count` of
 * `type_flags` (each a type's property flags) allowed by `type_bits` (bit i:
 * type i may hold the resource), or -1 when no allowed type has the required
 * flags. `*cost` (may be NULL) receives the winner's cost. */
int mk__gpu_memory_type(const uint32_t *type_flags, uint32_t type_count, uint32_t type_bits,
                        mk_gpu_memory_want_t want, uint32_t *cost);

#endif /* MEMKIT_GPU_MEMTYPE_H */
