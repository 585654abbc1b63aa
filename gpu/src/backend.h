/* backend.h — what the GPU tier asks of a device: the one seam between memkit
 * and Vulkan.
 *
 * The tier never calls Vulkan itself. It calls the functions of an
 * mk_gpu_backend_t, which the Vulkan backend fills from the user's device and
 * function table (as VMA's VmaVulkanFunctions, but at the level memkit needs:
 * memory, buffers, one batch of copies, fences), and which the mock backend
 * (backend_mock.h) fills with a simulated GPU for tests. Vulkan stays in one
 * file; type choice, flushes, budgets and out-of-memory paths are tested
 * without a GPU.
 *
 * Pure C11, no Vulkan header: flag values are Vulkan's (memtype.h for memory
 * property flags, MK_GPU_HEAP_DEVICE_LOCAL for heap flags, VkBufferUsageFlags
 * as they are), so the Vulkan backend copies them through unchanged.
 *
 * Handles are opaque 64-bit values, 0 meaning none (VK_NULL_HANDLE); the
 * backend chooses what they encode.
 *
 * Thread-safety, for every backend: the tier calls these functions under its
 * one lock, so it never makes two calls at once (which covers Vulkan's
 * external synchronisation of the command buffer and the queue). A backend
 * must still allow device_info, heap_budget and the fence functions from any
 * thread, and copy/submit next to the user's own use of the queue (the
 * Vulkan backend's lock_queue/unlock_queue).
 */
#ifndef MEMKIT_GPU_BACKEND_H
#define MEMKIT_GPU_BACKEND_H

#include "memtype.h" /* MK_GPU_MEMORY_*: memory property flags */

#include <memkit/gpu_types.h> /* mk_gpu_memory_t, mk_gpu_buffer_t, mk_gpu_requirements_t */

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t mk_gpu_fence_t;  /* a VkFence, signalled when its submission has completed */

/* Every call's outcome; one value per VkResult the Vulkan backend can meet. */
typedef enum mk_gpu_result {
    MK_GPU_OK = 0,                  /* VK_SUCCESS */
    MK_GPU_OUT_OF_DEVICE_MEMORY,    /* VK_ERROR_OUT_OF_DEVICE_MEMORY: the heap is full */
    MK_GPU_OUT_OF_HOST_MEMORY,      /* VK_ERROR_OUT_OF_HOST_MEMORY */
    MK_GPU_TOO_MANY_OBJECTS,        /* VK_ERROR_TOO_MANY_OBJECTS: maxMemoryAllocationCount reached */
    MK_GPU_FAILED,                  /* anything else: VK_ERROR_MEMORY_MAP_FAILED, VK_ERROR_DEVICE_LOST, … */
    MK_GPU_TIMEOUT,                 /* VK_TIMEOUT, or VK_NOT_READY from a poll: not signalled yet */
} mk_gpu_result_t;

#define MK_GPU_MAX_MEMORY_TYPES 32u /* VK_MAX_MEMORY_TYPES */
#define MK_GPU_MAX_MEMORY_HEAPS 16u /* VK_MAX_MEMORY_HEAPS */
#define MK_GPU_HEAP_DEVICE_LOCAL 0x1u /* VK_MEMORY_HEAP_DEVICE_LOCAL_BIT */
#define MK_GPU_WHOLE_SIZE UINT64_MAX  /* VK_WHOLE_SIZE: from offset to the allocation's end */

/* The device, as far as memory goes. Types' flags sit in their own array so
 * that mk__gpu_memory_type (memtype.h) reads it as it is. */
typedef struct mk_gpu_device_info {
    uint32_t type_count;                             /* memory types, <= MK_GPU_MAX_MEMORY_TYPES */
    uint32_t type_flags[MK_GPU_MAX_MEMORY_TYPES];    /* VkMemoryPropertyFlags (MK_GPU_MEMORY_*) */
    uint32_t type_heap[MK_GPU_MAX_MEMORY_TYPES];     /* the heap each type draws from */
    uint32_t heap_count;                             /* memory heaps, <= MK_GPU_MAX_MEMORY_HEAPS */
    uint64_t heap_size[MK_GPU_MAX_MEMORY_HEAPS];     /* bytes */
    uint32_t heap_flags[MK_GPU_MAX_MEMORY_HEAPS];    /* VkMemoryHeapFlags (MK_GPU_HEAP_*) */
    uint64_t non_coherent_atom_size;                 /* flush/invalidate granule on non-coherent types */
    uint64_t buffer_image_granularity;               /* linear/optimal resources closer than this alias */
    uint32_t max_memory_allocation_count;            /* live allocations the device allows */
    uint64_t min_uniform_offset_alignment;           /* minUniformBufferOffsetAlignment (<= 256) */
    uint64_t min_storage_offset_alignment;           /* minStorageBufferOffsetAlignment (<= 256) */
    bool has_memory_budget;                          /* VK_EXT_memory_budget: heap_budget answers */
    char name[256];                                  /* VkPhysicalDeviceProperties::deviceName, for dumps */
    uint32_t api_version;                            /* its apiVersion (VK_MAKE_API_VERSION), for dumps */
    uint32_t device_type;                            /* its VkPhysicalDeviceType, for dumps */
} mk_gpu_device_info_t;

/* The functions, each taking the backend's `user` first. Unless said
 * otherwise a failed call changes nothing and leaves its outputs unwritten. */
typedef struct mk_gpu_backend {
    void *user;

    /* Fills *out. Called once at init; the answer never changes. */
    mk_gpu_result_t (*device_info)(void *user, mk_gpu_device_info_t *out);

    /* VK_EXT_memory_budget for one heap: *usage is what this process has
     * allocated from it, *budget how much it may hold in all (usage included)
     * before allocations risk failing or evicting. Without the extension
     * (device_info's has_memory_budget false) returns MK_GPU_FAILED and the
     * tier uses its own count against 80 % of the heap's size. */
    mk_gpu_result_t (*heap_budget)(void *user, uint32_t heap, uint64_t *usage, uint64_t *budget);

    /* vkAllocateMemory of `size` > 0 bytes of memory type `type` (< type_count).
     * OUT_OF_DEVICE_MEMORY when the heap is full, TOO_MANY_OBJECTS when
     * max_memory_allocation_count allocations are live (the tier should count
     * and never ask), OUT_OF_HOST_MEMORY. Contents are undefined. */
    mk_gpu_result_t (*allocate)(void *user, uint32_t type, uint64_t size, mk_gpu_memory_t *mem);
    /* vkFreeMemory; mem may be 0. Implicitly unmaps. Buffers bound to it must
     * have been destroyed. */
    void (*free)(void *user, mk_gpu_memory_t mem);

    /* vkMapMemory of the whole allocation, kept mapped for its life (the tier
     * maps each host-visible block once). Only on HOST_VISIBLE types, and not
     * while mapped. The pointer is aligned to minMemoryMapAlignment (>= 64). */
    mk_gpu_result_t (*map)(void *user, mk_gpu_memory_t mem, void **ptr);
    void (*unmap)(void *user, mk_gpu_memory_t mem);

    /* vkFlushMappedMemoryRanges / vkInvalidateMappedMemoryRanges of one range
     * of a mapped allocation: flush makes host writes visible to the device,
     * invalidate makes device writes visible to the host. Needed on types
     * without HOST_COHERENT only. Vulkan's rule for the range: offset a
     * multiple of non_coherent_atom_size; size a multiple of it, or reaching
     * the allocation's end exactly, or MK_GPU_WHOLE_SIZE. */
    mk_gpu_result_t (*flush)(void *user, mk_gpu_memory_t mem, uint64_t offset, uint64_t size);
    mk_gpu_result_t (*invalidate)(void *user, mk_gpu_memory_t mem, uint64_t offset, uint64_t size);

    /* vkCreateBuffer of `size` > 0 bytes with VkBufferUsageFlags `usage`, and
     * its memory requirements in *requirements. */
    mk_gpu_result_t (*create_buffer)(void *user, uint64_t size, uint32_t usage, mk_gpu_buffer_t *buf,
                                     mk_gpu_requirements_t *requirements);
    /* vkDestroyBuffer; buf may be 0. No submission still pending may use it. */
    void (*destroy_buffer)(void *user, mk_gpu_buffer_t buf);
    /* vkBindBufferMemory, once per buffer: offset a multiple of the
     * requirements' alignment, offset + requirements.size within the
     * allocation, whose type is in requirements.memory_type_bits. */
    mk_gpu_result_t (*bind_buffer)(void *user, mk_gpu_buffer_t buf, mk_gpu_memory_t mem, uint64_t offset);

    /* vkCmdCopyBuffer of `size` > 0 bytes into the current batch (the backend
     * begins one when none is open). Both buffers bound, ranges inside them,
     * not overlapping in memory. Nothing moves until the batch is submitted
     * and its fence signals. */
    mk_gpu_result_t (*copy)(void *user, mk_gpu_buffer_t src, uint64_t src_offset, mk_gpu_buffer_t dst,
                            uint64_t dst_offset, uint64_t size);
    /* vkQueueSubmit of the current batch (possibly empty) with one new fence
     * in *fence. Copies in one batch run in order; batches run in submission
     * order. On failure the batch stays recorded, so the tier may retry. */
    mk_gpu_result_t (*submit)(void *user, mk_gpu_fence_t *fence);

    /* vkGetFenceStatus: MK_GPU_OK when signalled, MK_GPU_TIMEOUT when not yet. */
    mk_gpu_result_t (*fence_signaled)(void *user, mk_gpu_fence_t fence);
    /* vkWaitForFences: MK_GPU_OK once signalled, MK_GPU_TIMEOUT after
     * timeout_ns (0: a poll). */
    mk_gpu_result_t (*fence_wait)(void *user, mk_gpu_fence_t fence, uint64_t timeout_ns);
    /* The tier is done with a signalled fence; the backend may recycle it
     * (vkResetFences into a pool, or vkDestroyFence). fence may be 0. */
    void (*fence_release)(void *user, mk_gpu_fence_t fence);
} mk_gpu_backend_t;

#endif /* MEMKIT_GPU_BACKEND_H */
