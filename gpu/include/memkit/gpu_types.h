/* memkit/gpu_types.h — the handle and requirement types that the GPU tier's
 * API (memkit/gpu.h) and its backend interface (gpu/src/backend.h) share.
 * Pure C11 (and C++), no Vulkan header, no generated config: values are Vulkan's. */
#ifndef MEMKIT_GPU_TYPES_H
#define MEMKIT_GPU_TYPES_H

#include <stdint.h>

#ifdef __cplusplus /* standalone: the backends include it without the runtime's headers */
extern "C" {
#endif

typedef uint64_t mk_gpu_memory_t; /* a VkDeviceMemory: one allocation of device memory; 0 is none */
typedef uint64_t mk_gpu_buffer_t; /* a VkBuffer; 0 is none */

/* VkMemoryRequirements of a buffer, or of an image the user created. */
typedef struct mk_gpu_requirements {
    uint64_t size;             /* bytes the resource occupies in memory (>= the size asked) */
    uint64_t alignment;        /* a power of two; the bind offset is a multiple of it */
    uint32_t memory_type_bits; /* bit i set: memory type i may hold the resource */
} mk_gpu_requirements_t;

#ifdef __cplusplus
}
#endif

#endif /* MEMKIT_GPU_TYPES_H */
