/* backend_vulkan.h — the backend interface (backend.h) over the user's Vulkan
 * device.
 *
 * The user creates the instance, device and queue, fills a function table
 * (as VMA's VmaVulkanFunctions: statically linked entry points, a loader such
 * as volk, or mk_gpu_vulkan_functions_load) and passes both here; memkit calls
 * Vulkan only through that table, so it never links libvulkan itself.
 *
 * Memory and buffer handles are the VkDeviceMemory and VkBuffer themselves,
 * fence handles the VkFence of the submission (all as uint64_t), so the user
 * may bind, draw with or wait on them directly.
 *
 * Transfers: copies go into a primary command buffer of the backend's own
 * command pool (queue_family_index, one-time submit), begun on the first copy
 * after a submit. Each batch begins with a TRANSFER_WRITE -> TRANSFER_READ|
 * TRANSFER_WRITE memory barrier (earlier batches on the queue wrote what this
 * one may read or overwrite), gets the same barrier between two of its copies
 * that touch a common buffer range where one of them writes (read-after-write,
 * write-after-write, write-after-read), and ends with TRANSFER_WRITE ->
 * HOST_READ, so that after the fence a mapped readback is valid (after
 * invalidate on non-coherent types). Host writes before submit need no
 * barrier: vkQueueSubmit makes host writes to coherent or flushed memory
 * visible. Making copied data visible to other stages (vertex input, shaders)
 * is the tier's or the user's business: their command buffers run after ours
 * in submission order and need their own barrier with srcStage TRANSFER.
 *
 * Each batch owns a command buffer and a fence from a fixed pool of
 * max_pending_batches pairs; fence_release resets the fence and returns the
 * pair, whose command buffer is reset when next begun. When every pair is
 * pending, copy and submit fail with MK_GPU_TOO_MANY_OBJECTS until a fence is
 * released.
 *
 * Thread-safety as backend.h says: copy and submit under one lock (the tier's
 * transfer lock); the fence functions from any thread (they touch only the
 * fence and the pair's atomic state). The queue is shared with the user's
 * own submissions: give lock_queue/unlock_queue when other threads submit to it.
 */
#ifndef MEMKIT_GPU_BACKEND_VULKAN_H
#define MEMKIT_GPU_BACKEND_VULKAN_H

#include "backend.h"

#include <vulkan/vulkan.h>

/* The Vulkan entry points the backend calls. Every member is required except
 * vkGetPhysicalDeviceMemoryProperties2 (Vulkan 1.1, or the KHR alias from
 * VK_KHR_get_physical_device_properties2), needed only with memory_budget. */
typedef struct mk_gpu_vulkan_functions {
    PFN_vkGetPhysicalDeviceProperties vkGetPhysicalDeviceProperties;
    PFN_vkGetPhysicalDeviceMemoryProperties vkGetPhysicalDeviceMemoryProperties;
    PFN_vkGetPhysicalDeviceMemoryProperties2 vkGetPhysicalDeviceMemoryProperties2;
    PFN_vkAllocateMemory vkAllocateMemory;
    PFN_vkFreeMemory vkFreeMemory;
    PFN_vkMapMemory vkMapMemory;
    PFN_vkUnmapMemory vkUnmapMemory;
    PFN_vkFlushMappedMemoryRanges vkFlushMappedMemoryRanges;
    PFN_vkInvalidateMappedMemoryRanges vkInvalidateMappedMemoryRanges;
    PFN_vkCreateBuffer vkCreateBuffer;
    PFN_vkDestroyBuffer vkDestroyBuffer;
    PFN_vkGetBufferMemoryRequirements vkGetBufferMemoryRequirements;
    PFN_vkBindBufferMemory vkBindBufferMemory;
    PFN_vkCreateCommandPool vkCreateCommandPool;
    PFN_vkDestroyCommandPool vkDestroyCommandPool;
    PFN_vkAllocateCommandBuffers vkAllocateCommandBuffers;
    PFN_vkFreeCommandBuffers vkFreeCommandBuffers;
    PFN_vkBeginCommandBuffer vkBeginCommandBuffer;
    PFN_vkEndCommandBuffer vkEndCommandBuffer;
    PFN_vkCmdCopyBuffer vkCmdCopyBuffer;
    PFN_vkCmdPipelineBarrier vkCmdPipelineBarrier;
    PFN_vkQueueSubmit vkQueueSubmit;
    PFN_vkCreateFence vkCreateFence;
    PFN_vkDestroyFence vkDestroyFence;
    PFN_vkResetFences vkResetFences;
    PFN_vkGetFenceStatus vkGetFenceStatus;
    PFN_vkWaitForFences vkWaitForFences;
} mk_gpu_vulkan_functions_t;

/* Fills *out through the loader: physical-device functions from
 * get_instance_proc_addr(instance, …), device functions from the
 * vkGetDeviceProcAddr it returns (no dispatch through the loader's
 * trampolines). vkGetPhysicalDeviceMemoryProperties2 falls back to its KHR
 * name and may stay NULL. MK_GPU_FAILED (and *out unwritten) when a required
 * entry point is missing. */
mk_gpu_result_t mk_gpu_vulkan_functions_load(VkInstance instance, VkDevice device,
                                             PFN_vkGetInstanceProcAddr get_instance_proc_addr,
                                             mk_gpu_vulkan_functions_t *out);

/* The GPU tier holds at most [gpu] frames_in_flight (<= 8) submitted batches
 * plus the one being recorded: 9 pairs are always enough for it. */
#define MK_GPU_VULKAN_DEFAULT_PENDING_BATCHES 9u
#define MK_GPU_VULKAN_MAX_PENDING_BATCHES 64u

typedef struct mk_gpu_vulkan_config {
    VkInstance instance;
    VkPhysicalDevice physical_device;
    VkDevice device;
    VkQueue queue;               /* copies are submitted here */
    uint32_t queue_family_index; /* the queue's family: TRANSFER, GRAPHICS or COMPUTE */
    const mk_gpu_vulkan_functions_t *functions;         /* copied at create */
    const VkAllocationCallbacks *allocation_callbacks; /* passed to every create/allocate; may be NULL */
    bool memory_budget;            /* the user enabled VK_EXT_memory_budget on the device */
    uint32_t max_pending_batches;  /* command buffer + fence pairs; 0: the default (9), at most 64;
                                      at least frames_in_flight + 1 */
    /* Optional, both or neither: held around vkQueueSubmit when other threads
     * use the queue (Vulkan requires external synchronisation of a queue). */
    void (*lock_queue)(void *queue_lock_user);
    void (*unlock_queue)(void *queue_lock_user);
    void *queue_lock_user;
} mk_gpu_vulkan_config_t;

/* A backend over config's device in *backend_out: one heap allocation for the
 * backend's state, one command pool, max_pending_batches command buffers and
 * fences. MK_GPU_FAILED for an invalid config (a missing device, queue or
 * required function, both queue-lock callbacks not given together, more than
 * 64 batches), else the first Vulkan failure; *backend_out is unwritten then. */
mk_gpu_result_t mk_gpu_vulkan_create(const mk_gpu_vulkan_config_t *config, mk_gpu_backend_t *backend_out);

/* Waits for every batch still pending, destroys the fences, command buffers
 * and pool, frees the state and zeroes *backend. Returns the batches the tier
 * left behind (fences never released, a batch recorded but never submitted);
 * 0 on a clean shutdown. Memory and buffers are the tier's to free first.
 * backend may be NULL or zeroed. */
unsigned long mk_gpu_vulkan_destroy(mk_gpu_backend_t *backend);

#endif /* MEMKIT_GPU_BACKEND_VULKAN_H */
