/* backend_vulkan.c — the backend interface over the user's Vulkan device
 * (backend_vulkan.h). The one file of memkit that speaks Vulkan; every call
 * goes through the user's function table (VK_NO_PROTOTYPES keeps it so).
 *
 * Batches: a fixed array of command buffer + fence pairs ("slots"). Only the
 * transfer side (copy/submit, under the tier's transfer lock) takes a free
 * slot and records into it; any thread may hand a pending slot back through
 * fence_release. A slot's state is atomic: the releasing thread resets the
 * fence and then stores FREE with release order, the transfer side loads it
 * with acquire order before reusing the pair, so the reset happens before the
 * reuse. The command buffer is reset implicitly by vkBeginCommandBuffer (the
 * pool has RESET_COMMAND_BUFFER), on the transfer side, so the pool is only
 * ever touched under the transfer lock (Vulkan's external synchronisation of
 * a command pool).
 *
 * Hazards inside a batch: the ranges the batch's copies read and wrote since
 * its last barrier are kept (per buffer, a fixed number); a copy that reads
 * what an earlier one wrote, or writes what an earlier one read or wrote, is
 * preceded by a TRANSFER -> TRANSFER memory barrier, which clears the list.
 */
#define VK_NO_PROTOTYPES 1
#include "backend_vulkan.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Vulkan's non-dispatchable handles are pointers on 64-bit hosts and
 * uint64_t elsewhere; memkit's handles are uint64_t on both. */
#if VK_USE_64_BIT_PTR_DEFINES == 1
#define VK_TO_U64(h) ((uint64_t)(uintptr_t)(h))
#define VK_FROM_U64(type, u) ((type)(uintptr_t)(u))
#else
#define VK_TO_U64(h) ((uint64_t)(h))
#define VK_FROM_U64(type, u) ((type)(u))
#endif

enum { SLOT_FREE, SLOT_RECORDING, SLOT_PENDING };

typedef struct vk_slot {
    VkCommandBuffer cmd;
    VkFence fence;
    _Atomic uint32_t state; /* SLOT_* */
} vk_slot_t;

/* One range a copy of the open batch touched since the batch's last barrier. */
typedef struct vk_range {
    VkBuffer buffer;
    uint64_t offset, size;
    bool write;
} vk_range_t;

#define VK_TRACKED_RANGES 64u

typedef struct vk_backend {
    mk_gpu_vulkan_config_t config;
    mk_gpu_vulkan_functions_t vk;
    VkCommandPool pool;
    /* the transfer side's, under the tier's transfer lock */
    vk_slot_t *open;  /* the batch being recorded, or NULL */
    bool open_ended;  /* vkEndCommandBuffer done, vkQueueSubmit failed: submit again */
    uint32_t next_slot;
    uint32_t range_count;
    vk_range_t ranges[VK_TRACKED_RANGES];
    uint32_t slot_count;
    vk_slot_t slots[]; /* slot_count */
} vk_backend_t;

static mk_gpu_result_t vk_result(VkResult r)
{
    switch (r) {
    case VK_SUCCESS:
        return MK_GPU_OK;
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
        return MK_GPU_OUT_OF_DEVICE_MEMORY;
    case VK_ERROR_OUT_OF_HOST_MEMORY:
        return MK_GPU_OUT_OF_HOST_MEMORY;
    case VK_ERROR_TOO_MANY_OBJECTS:
        return MK_GPU_TOO_MANY_OBJECTS;
    case VK_TIMEOUT:
    case VK_NOT_READY:
        return MK_GPU_TIMEOUT;
    default:
        return MK_GPU_FAILED; /* MEMORY_MAP_FAILED, DEVICE_LOST, INVALID_EXTERNAL_HANDLE, … */
    }
}

/* ---- the function table ---------------------------------------------------- */

/* Each required member, for the loader and for create's check. */
#define VK_REQUIRED_FUNCTIONS(X)                                                                                   \
    X(vkGetPhysicalDeviceProperties, instance)                                                                     \
    X(vkGetPhysicalDeviceMemoryProperties, instance)                                                               \
    X(vkAllocateMemory, device)                                                                                    \
    X(vkFreeMemory, device)                                                                                        \
    X(vkMapMemory, device)                                                                                         \
    X(vkUnmapMemory, device)                                                                                       \
    X(vkFlushMappedMemoryRanges, device)                                                                           \
    X(vkInvalidateMappedMemoryRanges, device)                                                                      \
    X(vkCreateBuffer, device)                                                                                      \
    X(vkDestroyBuffer, device)                                                                                     \
    X(vkGetBufferMemoryRequirements, device)                                                                       \
    X(vkBindBufferMemory, device)                                                                                  \
    X(vkCreateCommandPool, device)                                                                                 \
    X(vkDestroyCommandPool, device)                                                                                \
    X(vkAllocateCommandBuffers, device)                                                                            \
    X(vkFreeCommandBuffers, device)                                                                                \
    X(vkBeginCommandBuffer, device)                                                                                \
    X(vkEndCommandBuffer, device)                                                                                  \
    X(vkCmdCopyBuffer, device)                                                                                     \
    X(vkCmdPipelineBarrier, device)                                                                                \
    X(vkQueueSubmit, device)                                                                                       \
    X(vkCreateFence, device)                                                                                       \
    X(vkDestroyFence, device)                                                                                      \
    X(vkResetFences, device)                                                                                       \
    X(vkGetFenceStatus, device)                                                                                    \
    X(vkWaitForFences, device)

static bool vk_functions_complete(const mk_gpu_vulkan_functions_t *f)
{
#define VK_CHECK_MEMBER(name, level) if (f->name == NULL) return false;
    VK_REQUIRED_FUNCTIONS(VK_CHECK_MEMBER)
#undef VK_CHECK_MEMBER
    return true;
}

mk_gpu_result_t mk_gpu_vulkan_functions_load(VkInstance instance, VkDevice device,
                                             PFN_vkGetInstanceProcAddr get_instance_proc_addr,
                                             mk_gpu_vulkan_functions_t *out)
{
    if (instance == VK_NULL_HANDLE || device == VK_NULL_HANDLE || get_instance_proc_addr == NULL || out == NULL)
        return MK_GPU_FAILED;
    PFN_vkGetDeviceProcAddr get_device_proc_addr =
        (PFN_vkGetDeviceProcAddr)get_instance_proc_addr(instance, "vkGetDeviceProcAddr");
    if (get_device_proc_addr == NULL)
        return MK_GPU_FAILED;
    mk_gpu_vulkan_functions_t f;
    memset(&f, 0, sizeof f);
#define VK_LOAD_instance(name) (PFN_##name) get_instance_proc_addr(instance, #name)
#define VK_LOAD_device(name) (PFN_##name) get_device_proc_addr(device, #name)
#define VK_LOAD_MEMBER(name, level) f.name = VK_LOAD_##level(name);
    VK_REQUIRED_FUNCTIONS(VK_LOAD_MEMBER)
#undef VK_LOAD_MEMBER
    f.vkGetPhysicalDeviceMemoryProperties2 = VK_LOAD_instance(vkGetPhysicalDeviceMemoryProperties2);
    if (f.vkGetPhysicalDeviceMemoryProperties2 == NULL)
        f.vkGetPhysicalDeviceMemoryProperties2 =
            (PFN_vkGetPhysicalDeviceMemoryProperties2)get_instance_proc_addr(instance,
                                                                             "vkGetPhysicalDeviceMemoryProperties2KHR");
#undef VK_LOAD_instance
#undef VK_LOAD_device
    if (!vk_functions_complete(&f))
        return MK_GPU_FAILED;
    *out = f;
    return MK_GPU_OK;
}

/* ---- device, memory, buffers ----------------------------------------------- */

static mk_gpu_result_t vk_device_info(void *user, mk_gpu_device_info_t *out)
{
    vk_backend_t *b = user;
    VkPhysicalDeviceProperties properties;
    VkPhysicalDeviceMemoryProperties memory;
    b->vk.vkGetPhysicalDeviceProperties(b->config.physical_device, &properties);
    b->vk.vkGetPhysicalDeviceMemoryProperties(b->config.physical_device, &memory);
    if (memory.memoryTypeCount > MK_GPU_MAX_MEMORY_TYPES || memory.memoryHeapCount > MK_GPU_MAX_MEMORY_HEAPS)
        return MK_GPU_FAILED;
    mk_gpu_device_info_t d;
    memset(&d, 0, sizeof d);
    d.type_count = memory.memoryTypeCount;
    for (uint32_t i = 0; i < d.type_count; i++) {
        d.type_flags[i] = memory.memoryTypes[i].propertyFlags;
        d.type_heap[i] = memory.memoryTypes[i].heapIndex;
    }
    d.heap_count = memory.memoryHeapCount;
    for (uint32_t i = 0; i < d.heap_count; i++) {
        d.heap_size[i] = memory.memoryHeaps[i].size;
        d.heap_flags[i] = memory.memoryHeaps[i].flags;
    }
    d.non_coherent_atom_size = properties.limits.nonCoherentAtomSize;
    d.buffer_image_granularity = properties.limits.bufferImageGranularity;
    d.max_memory_allocation_count = properties.limits.maxMemoryAllocationCount;
    d.min_uniform_offset_alignment = properties.limits.minUniformBufferOffsetAlignment;
    d.min_storage_offset_alignment = properties.limits.minStorageBufferOffsetAlignment;
    d.has_memory_budget = b->config.memory_budget;
    memcpy(d.name, properties.deviceName, sizeof d.name < sizeof properties.deviceName ? sizeof d.name
                                                                                       : sizeof properties.deviceName);
    d.name[sizeof d.name - 1] = '\0';
    d.api_version = properties.apiVersion;
    d.device_type = (uint32_t)properties.deviceType;
    *out = d;
    return MK_GPU_OK;
}

static mk_gpu_result_t vk_heap_budget(void *user, uint32_t heap, uint64_t *usage, uint64_t *budget)
{
    vk_backend_t *b = user;
    if (!b->config.memory_budget || heap >= MK_GPU_MAX_MEMORY_HEAPS)
        return MK_GPU_FAILED;
    VkPhysicalDeviceMemoryBudgetPropertiesEXT budgets;
    memset(&budgets, 0, sizeof budgets);
    budgets.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT;
    VkPhysicalDeviceMemoryProperties2 memory;
    memset(&memory, 0, sizeof memory);
    memory.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2;
    memory.pNext = &budgets;
    b->vk.vkGetPhysicalDeviceMemoryProperties2(b->config.physical_device, &memory);
    if (heap >= memory.memoryProperties.memoryHeapCount)
        return MK_GPU_FAILED;
    *usage = budgets.heapUsage[heap];
    *budget = budgets.heapBudget[heap];
    return MK_GPU_OK;
}

static mk_gpu_result_t vk_allocate(void *user, uint32_t type, uint64_t size, mk_gpu_memory_t *mem)
{
    vk_backend_t *b = user;
    VkMemoryAllocateInfo info;
    memset(&info, 0, sizeof info);
    info.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    info.allocationSize = size;
    info.memoryTypeIndex = type;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkResult r = b->vk.vkAllocateMemory(b->config.device, &info, b->config.allocation_callbacks, &memory);
    if (r != VK_SUCCESS)
        return vk_result(r);
    *mem = VK_TO_U64(memory);
    return MK_GPU_OK;
}

static void vk_free(void *user, mk_gpu_memory_t mem)
{
    vk_backend_t *b = user;
    if (mem != 0u)
        b->vk.vkFreeMemory(b->config.device, VK_FROM_U64(VkDeviceMemory, mem), b->config.allocation_callbacks);
}

static mk_gpu_result_t vk_map(void *user, mk_gpu_memory_t mem, void **ptr)
{
    vk_backend_t *b = user;
    void *p = NULL;
    VkResult r = b->vk.vkMapMemory(b->config.device, VK_FROM_U64(VkDeviceMemory, mem), 0, VK_WHOLE_SIZE, 0, &p);
    if (r != VK_SUCCESS)
        return vk_result(r);
    *ptr = p;
    return MK_GPU_OK;
}

static void vk_unmap(void *user, mk_gpu_memory_t mem)
{
    vk_backend_t *b = user;
    b->vk.vkUnmapMemory(b->config.device, VK_FROM_U64(VkDeviceMemory, mem));
}

static VkMappedMemoryRange vk_mapped_range(mk_gpu_memory_t mem, uint64_t offset, uint64_t size)
{
    VkMappedMemoryRange range;
    memset(&range, 0, sizeof range);
    range.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE;
    range.memory = VK_FROM_U64(VkDeviceMemory, mem);
    range.offset = offset;
    range.size = size == MK_GPU_WHOLE_SIZE ? VK_WHOLE_SIZE : size;
    return range;
}

static mk_gpu_result_t vk_flush(void *user, mk_gpu_memory_t mem, uint64_t offset, uint64_t size)
{
    vk_backend_t *b = user;
    VkMappedMemoryRange range = vk_mapped_range(mem, offset, size);
    return vk_result(b->vk.vkFlushMappedMemoryRanges(b->config.device, 1, &range));
}

static mk_gpu_result_t vk_invalidate(void *user, mk_gpu_memory_t mem, uint64_t offset, uint64_t size)
{
    vk_backend_t *b = user;
    VkMappedMemoryRange range = vk_mapped_range(mem, offset, size);
    return vk_result(b->vk.vkInvalidateMappedMemoryRanges(b->config.device, 1, &range));
}

static mk_gpu_result_t vk_create_buffer(void *user, uint64_t size, uint32_t usage, mk_gpu_buffer_t *buf,
                                        mk_gpu_requirements_t *requirements)
{
    vk_backend_t *b = user;
    VkBufferCreateInfo info;
    memset(&info, 0, sizeof info);
    info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    info.size = size;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkBuffer buffer = VK_NULL_HANDLE;
    VkResult r = b->vk.vkCreateBuffer(b->config.device, &info, b->config.allocation_callbacks, &buffer);
    if (r != VK_SUCCESS)
        return vk_result(r);
    VkMemoryRequirements req;
    b->vk.vkGetBufferMemoryRequirements(b->config.device, buffer, &req);
    *buf = VK_TO_U64(buffer);
    requirements->size = req.size;
    requirements->alignment = req.alignment;
    requirements->memory_type_bits = req.memoryTypeBits;
    return MK_GPU_OK;
}

static void vk_destroy_buffer(void *user, mk_gpu_buffer_t buf)
{
    vk_backend_t *b = user;
    if (buf != 0u)
        b->vk.vkDestroyBuffer(b->config.device, VK_FROM_U64(VkBuffer, buf), b->config.allocation_callbacks);
}

static mk_gpu_result_t vk_bind_buffer(void *user, mk_gpu_buffer_t buf, mk_gpu_memory_t mem, uint64_t offset)
{
    vk_backend_t *b = user;
    return vk_result(b->vk.vkBindBufferMemory(b->config.device, VK_FROM_U64(VkBuffer, buf),
                                              VK_FROM_U64(VkDeviceMemory, mem), offset));
}

/* ---- batches ---------------------------------------------------------------- */

/* A global memory barrier from transfer writes to the given stage and accesses. */
static void vk_barrier(vk_backend_t *b, VkCommandBuffer cmd, VkPipelineStageFlags dst_stage, VkAccessFlags dst_access)
{
    VkMemoryBarrier barrier;
    memset(&barrier, 0, sizeof barrier);
    barrier.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    barrier.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.dstAccessMask = dst_access;
    b->vk.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, dst_stage, 0, 1, &barrier, 0, NULL, 0, NULL);
}

static void vk_transfer_barrier(vk_backend_t *b, VkCommandBuffer cmd)
{
    vk_barrier(b, cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
    b->range_count = 0;
}

/* A free slot, marked RECORDING, or NULL when every slot is pending. */
static vk_slot_t *vk_take_slot(vk_backend_t *b)
{
    for (uint32_t n = 0; n < b->slot_count; n++) {
        uint32_t i = (b->next_slot + n) % b->slot_count;
        vk_slot_t *s = &b->slots[i];
        if (atomic_load_explicit(&s->state, memory_order_acquire) == SLOT_FREE) {
            atomic_store_explicit(&s->state, SLOT_RECORDING, memory_order_relaxed);
            b->next_slot = (i + 1u) % b->slot_count;
            return s;
        }
    }
    return NULL;
}

static void vk_give_back_slot(vk_slot_t *s) { atomic_store_explicit(&s->state, SLOT_FREE, memory_order_release); }

/* The open batch, begun (with its opening barrier) when none was open. */
static mk_gpu_result_t vk_open_batch(vk_backend_t *b)
{
    if (b->open != NULL)
        return MK_GPU_OK;
    vk_slot_t *s = vk_take_slot(b);
    if (s == NULL)
        return MK_GPU_TOO_MANY_OBJECTS;
    VkCommandBufferBeginInfo begin;
    memset(&begin, 0, sizeof begin);
    begin.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    VkResult r = b->vk.vkBeginCommandBuffer(s->cmd, &begin);
    if (r != VK_SUCCESS) {
        vk_give_back_slot(s);
        return vk_result(r);
    }
    b->open = s;
    b->open_ended = false;
    /* earlier batches on this queue may have written what this one reads or overwrites */
    vk_transfer_barrier(b, s->cmd);
    return MK_GPU_OK;
}

/* Whether [offset, +size) of `buffer` conflicts with a range the batch
 * touched since its last barrier (at least one of the two writes). */
static bool vk_hazard(const vk_backend_t *b, VkBuffer buffer, uint64_t offset, uint64_t size, bool write)
{
    for (uint32_t i = 0; i < b->range_count; i++) {
        const vk_range_t *r = &b->ranges[i];
        if (r->buffer == buffer && (write || r->write) && offset < r->offset + r->size && r->offset < offset + size)
            return true;
    }
    return false;
}

static mk_gpu_result_t vk_copy(void *user, mk_gpu_buffer_t src, uint64_t src_offset, mk_gpu_buffer_t dst,
                               uint64_t dst_offset, uint64_t size)
{
    vk_backend_t *b = user;
    if (b->open_ended)
        return MK_GPU_FAILED; /* the batch is closed and waits to be submitted again */
    mk_gpu_result_t result = vk_open_batch(b);
    if (result != MK_GPU_OK)
        return result;
    VkBuffer src_buffer = VK_FROM_U64(VkBuffer, src), dst_buffer = VK_FROM_U64(VkBuffer, dst);
    VkCommandBuffer cmd = b->open->cmd;
    if (b->range_count + 2u > VK_TRACKED_RANGES || vk_hazard(b, src_buffer, src_offset, size, false) ||
        vk_hazard(b, dst_buffer, dst_offset, size, true))
        vk_transfer_barrier(b, cmd);
    VkBufferCopy region = {src_offset, dst_offset, size};
    b->vk.vkCmdCopyBuffer(cmd, src_buffer, dst_buffer, 1, &region);
    b->ranges[b->range_count++] = (vk_range_t){src_buffer, src_offset, size, false};
    b->ranges[b->range_count++] = (vk_range_t){dst_buffer, dst_offset, size, true};
    return MK_GPU_OK;
}

static VkResult vk_queue_submit(vk_backend_t *b, const VkSubmitInfo *submit, VkFence fence)
{
    if (b->config.lock_queue != NULL)
        b->config.lock_queue(b->config.queue_lock_user);
    VkResult r = b->vk.vkQueueSubmit(b->config.queue, submit != NULL ? 1u : 0u, submit, fence);
    if (b->config.unlock_queue != NULL)
        b->config.unlock_queue(b->config.queue_lock_user);
    return r;
}

static mk_gpu_result_t vk_submit(void *user, mk_gpu_fence_t *fence)
{
    vk_backend_t *b = user;
    if (b->open == NULL) {
        /* an empty batch: a fence alone, signalled once all earlier work on the queue completes */
        vk_slot_t *s = vk_take_slot(b);
        if (s == NULL)
            return MK_GPU_TOO_MANY_OBJECTS;
        VkResult r = vk_queue_submit(b, NULL, s->fence);
        if (r != VK_SUCCESS) {
            vk_give_back_slot(s);
            return vk_result(r);
        }
        atomic_store_explicit(&s->state, SLOT_PENDING, memory_order_relaxed);
        *fence = VK_TO_U64(s->fence);
        return MK_GPU_OK;
    }
    vk_slot_t *s = b->open;
    if (!b->open_ended) {
        /* readbacks: the host reads the copies' results once the fence has signalled */
        vk_barrier(b, s->cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
        VkResult r = b->vk.vkEndCommandBuffer(s->cmd);
        if (r != VK_SUCCESS) {
            /* the command buffer is invalid now: the batch's copies are lost */
            b->open = NULL;
            b->range_count = 0;
            vk_give_back_slot(s);
            return vk_result(r);
        }
        b->open_ended = true;
    }
    VkSubmitInfo submit;
    memset(&submit, 0, sizeof submit);
    submit.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &s->cmd;
    VkResult r = vk_queue_submit(b, &submit, s->fence);
    if (r != VK_SUCCESS)
        return vk_result(r); /* still recorded and ended: the tier may submit again */
    atomic_store_explicit(&s->state, SLOT_PENDING, memory_order_relaxed);
    b->open = NULL;
    b->open_ended = false;
    b->range_count = 0;
    *fence = VK_TO_U64(s->fence);
    return MK_GPU_OK;
}

static mk_gpu_result_t vk_fence_signaled(void *user, mk_gpu_fence_t fence)
{
    vk_backend_t *b = user;
    return vk_result(b->vk.vkGetFenceStatus(b->config.device, VK_FROM_U64(VkFence, fence)));
}

static mk_gpu_result_t vk_fence_wait(void *user, mk_gpu_fence_t fence, uint64_t timeout_ns)
{
    vk_backend_t *b = user;
    VkFence f = VK_FROM_U64(VkFence, fence);
    return vk_result(b->vk.vkWaitForFences(b->config.device, 1, &f, VK_TRUE, timeout_ns));
}

static void vk_fence_release(void *user, mk_gpu_fence_t fence)
{
    vk_backend_t *b = user;
    if (fence == 0u)
        return;
    VkFence f = VK_FROM_U64(VkFence, fence);
    for (uint32_t i = 0; i < b->slot_count; i++) {
        vk_slot_t *s = &b->slots[i];
        if (s->fence != f)
            continue;
        if (atomic_load_explicit(&s->state, memory_order_relaxed) != SLOT_PENDING)
            return; /* released twice: nothing to do */
        /* a fence released before it signalled: wait, so the command buffer is
         * no longer pending when it is reused (the tier should not do this) */
        if (b->vk.vkGetFenceStatus(b->config.device, f) != VK_SUCCESS)
            (void)b->vk.vkWaitForFences(b->config.device, 1, &f, VK_TRUE, UINT64_MAX);
        (void)b->vk.vkResetFences(b->config.device, 1, &f);
        vk_give_back_slot(s);
        return;
    }
}

/* ---- create / destroy ------------------------------------------------------- */

static void vk_destroy_state(vk_backend_t *b, uint32_t made)
{
    VkDevice device = b->config.device;
    for (uint32_t i = 0; i < made; i++)
        if (b->slots[i].fence != VK_NULL_HANDLE)
            b->vk.vkDestroyFence(device, b->slots[i].fence, b->config.allocation_callbacks);
    if (b->pool != VK_NULL_HANDLE)
        b->vk.vkDestroyCommandPool(device, b->pool, b->config.allocation_callbacks); /* frees its buffers */
    free(b);
}

mk_gpu_result_t mk_gpu_vulkan_create(const mk_gpu_vulkan_config_t *config, mk_gpu_backend_t *backend_out)
{
    if (config == NULL || backend_out == NULL || config->functions == NULL ||
        config->physical_device == VK_NULL_HANDLE || config->device == VK_NULL_HANDLE ||
        config->queue == VK_NULL_HANDLE || !vk_functions_complete(config->functions) ||
        (config->lock_queue == NULL) != (config->unlock_queue == NULL) ||
        config->max_pending_batches > MK_GPU_VULKAN_MAX_PENDING_BATCHES ||
        (config->memory_budget && config->functions->vkGetPhysicalDeviceMemoryProperties2 == NULL))
        return MK_GPU_FAILED;
    uint32_t slots = config->max_pending_batches != 0u ? config->max_pending_batches
                                                       : MK_GPU_VULKAN_DEFAULT_PENDING_BATCHES;
    vk_backend_t *b = calloc(1, sizeof *b + slots * sizeof b->slots[0]);
    if (b == NULL)
        return MK_GPU_OUT_OF_HOST_MEMORY;
    b->config = *config;
    b->vk = *config->functions;
    b->config.functions = &b->vk;
    b->slot_count = slots;
    for (uint32_t i = 0; i < slots; i++)
        atomic_init(&b->slots[i].state, SLOT_FREE);

    VkCommandPoolCreateInfo pool_info;
    memset(&pool_info, 0, sizeof pool_info);
    pool_info.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
    pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT | VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = config->queue_family_index;
    VkResult r = b->vk.vkCreateCommandPool(config->device, &pool_info, config->allocation_callbacks, &b->pool);
    if (r != VK_SUCCESS) {
        b->pool = VK_NULL_HANDLE;
        vk_destroy_state(b, 0);
        return vk_result(r);
    }
    VkCommandBuffer cmds[MK_GPU_VULKAN_MAX_PENDING_BATCHES];
    VkCommandBufferAllocateInfo cmd_info;
    memset(&cmd_info, 0, sizeof cmd_info);
    cmd_info.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
    cmd_info.commandPool = b->pool;
    cmd_info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cmd_info.commandBufferCount = slots;
    r = b->vk.vkAllocateCommandBuffers(config->device, &cmd_info, cmds);
    if (r != VK_SUCCESS) {
        vk_destroy_state(b, 0);
        return vk_result(r);
    }
    VkFenceCreateInfo fence_info;
    memset(&fence_info, 0, sizeof fence_info);
    fence_info.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
    for (uint32_t i = 0; i < slots; i++) {
        b->slots[i].cmd = cmds[i];
        r = b->vk.vkCreateFence(config->device, &fence_info, config->allocation_callbacks, &b->slots[i].fence);
        if (r != VK_SUCCESS) {
            b->slots[i].fence = VK_NULL_HANDLE;
            vk_destroy_state(b, i);
            return vk_result(r);
        }
    }

    mk_gpu_backend_t backend = {
        .user = b,
        .device_info = vk_device_info,
        .heap_budget = vk_heap_budget,
        .allocate = vk_allocate,
        .free = vk_free,
        .map = vk_map,
        .unmap = vk_unmap,
        .flush = vk_flush,
        .invalidate = vk_invalidate,
        .create_buffer = vk_create_buffer,
        .destroy_buffer = vk_destroy_buffer,
        .bind_buffer = vk_bind_buffer,
        .copy = vk_copy,
        .submit = vk_submit,
        .fence_signaled = vk_fence_signaled,
        .fence_wait = vk_fence_wait,
        .fence_release = vk_fence_release,
    };
    *backend_out = backend;
    return MK_GPU_OK;
}

unsigned long mk_gpu_vulkan_destroy(mk_gpu_backend_t *backend)
{
    if (backend == NULL || backend->user == NULL)
        return 0;
    vk_backend_t *b = backend->user;
    unsigned long left = b->open != NULL ? 1u : 0u;
    for (uint32_t i = 0; i < b->slot_count; i++) {
        vk_slot_t *s = &b->slots[i];
        if (atomic_load_explicit(&s->state, memory_order_acquire) != SLOT_PENDING)
            continue;
        left++;
        (void)b->vk.vkWaitForFences(b->config.device, 1, &s->fence, VK_TRUE, UINT64_MAX);
    }
    vk_destroy_state(b, b->slot_count);
    memset(backend, 0, sizeof *backend);
    return left;
}
