/* backend_mock.c — a simulated GPU for tests (backend_mock.h).
 *
 * Every memory, buffer and fence is a slot in one array; a handle is the
 * slot's index + 1 in the low 32 bits and the slot's generation in the high
 * ones, so a handle used after its object was freed is caught as stale rather
 * than aliasing whatever took the slot. Submissions are numbered; the GPU
 * "runs" them in order, a submission's copies moving bytes in the device view
 * of memory when its fence signals.
 *
 * Each backend function takes the mock's lock, so the counters are consistent
 * whatever the caller's locking; the tests read them with no call in flight.
 */
#define _POSIX_C_SOURCE 200809L
#include "backend_mock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MOCK_FREE_SLOT, MOCK_MEMORY, MOCK_BUFFER, MOCK_FENCE };

struct mk_gpu_mock_copy {
    mk_gpu_buffer_t src, dst;
    uint64_t src_offset, dst_offset, size;
};

struct mk_gpu_mock_object {
    uint32_t generation;
    uint32_t kind; /* MOCK_* */
    uint64_t size; /* memory: the allocation's; buffer: as created */
    /* memory */
    uint32_t type;
    uint32_t bound_buffers;
    bool mapped;
    unsigned char *device; /* what the GPU reads and writes; NULL until first needed */
    unsigned char *host;   /* what map returned: `device` itself on coherent types, else a copy */
    /* buffer */
    mk_gpu_requirements_t requirements;
    mk_gpu_memory_t memory; /* 0 until bound */
    uint64_t offset;
    /* fence */
    uint64_t serial;            /* the submission it signals */
    mk_gpu_mock_copy_t *copies; /* run when the submission completes, then freed */
    uint32_t copy_count;
};

/* ---- configuration -------------------------------------------------------- */

enum { DL = MK_GPU_MEMORY_DEVICE_LOCAL, HV = MK_GPU_MEMORY_HOST_VISIBLE, HC = MK_GPU_MEMORY_HOST_COHERENT,
       CACHED = MK_GPU_MEMORY_HOST_CACHED };
#define GIB ((uint64_t)1 << 30)
#define MIB ((uint64_t)1 << 20)

static void mock_add_type(mk_gpu_device_info_t *d, uint32_t flags, uint32_t heap)
{
    d->type_flags[d->type_count] = flags;
    d->type_heap[d->type_count] = heap;
    d->type_count++;
}

static void mock_add_heap(mk_gpu_device_info_t *d, uint64_t size, uint32_t flags)
{
    d->heap_size[d->heap_count] = size;
    d->heap_flags[d->heap_count] = flags;
    d->heap_count++;
}

static mk_gpu_mock_config_t mock_config(const char *name, uint32_t device_type, uint64_t atom, uint64_t granularity,
                                        uint32_t max_allocations, bool budget)
{
    mk_gpu_mock_config_t c;
    memset(&c, 0, sizeof c);
    snprintf(c.device.name, sizeof c.device.name, "%s", name);
    c.device.api_version = (1u << 22) | (3u << 12); /* Vulkan 1.3 */
    c.device.device_type = device_type;
    c.device.non_coherent_atom_size = atom;
    c.device.buffer_image_granularity = granularity;
    c.device.max_memory_allocation_count = max_allocations;
    c.device.has_memory_budget = budget;
    c.buffer_alignment = 256; /* minStorageBufferOffsetAlignment on many GPUs */
    c.device.min_uniform_offset_alignment = 256;
    c.device.min_storage_offset_alignment = 32;
    return c;
}

mk_gpu_mock_config_t mk_gpu_mock_discrete(void)
{
    mk_gpu_mock_config_t c = mock_config("memkit mock: discrete GPU", 2u /* DISCRETE_GPU */, 64, 1024, 4096, true);
    mock_add_heap(&c.device, 8 * GIB, MK_GPU_HEAP_DEVICE_LOCAL);
    mock_add_heap(&c.device, 16 * GIB, 0);
    mock_add_heap(&c.device, 256 * MIB, MK_GPU_HEAP_DEVICE_LOCAL); /* the BAR window without ReBAR */
    mock_add_type(&c.device, DL, 0);
    mock_add_type(&c.device, HV | HC, 1);
    mock_add_type(&c.device, HV | CACHED, 1); /* not coherent: readback needs invalidate */
    mock_add_type(&c.device, DL | HV | HC, 2);
    return c;
}

mk_gpu_mock_config_t mk_gpu_mock_uma(void)
{
    mk_gpu_mock_config_t c = mock_config("memkit mock: integrated GPU", 1u /* INTEGRATED_GPU */, 64, 64, 4096, true);
    c.buffer_alignment = 64;
    mock_add_heap(&c.device, 4 * GIB, MK_GPU_HEAP_DEVICE_LOCAL);
    mock_add_type(&c.device, DL, 0);
    mock_add_type(&c.device, DL | HV | HC, 0);
    mock_add_type(&c.device, DL | HV | HC | CACHED, 0);
    return c;
}

mk_gpu_mock_config_t mk_gpu_mock_lavapipe(void)
{
    mk_gpu_mock_config_t c = mock_config("memkit mock: lavapipe", 4u /* CPU */, 64, 64, UINT32_MAX, false);
    c.buffer_alignment = 64;
    mock_add_heap(&c.device, 2 * GIB, MK_GPU_HEAP_DEVICE_LOCAL);
    mock_add_type(&c.device, DL | HV | HC | CACHED, 0);
    return c;
}

static bool mock_pow2(uint64_t x) { return x != 0u && (x & (x - 1u)) == 0u; }

static bool mock_config_valid(const mk_gpu_mock_config_t *c)
{
    const mk_gpu_device_info_t *d = &c->device;
    if (d->type_count == 0u || d->type_count > MK_GPU_MAX_MEMORY_TYPES || d->heap_count == 0u ||
        d->heap_count > MK_GPU_MAX_MEMORY_HEAPS || !mock_pow2(d->non_coherent_atom_size) ||
        !mock_pow2(d->buffer_image_granularity) || !mock_pow2(c->buffer_alignment) ||
        d->max_memory_allocation_count == 0u)
        return false;
    for (uint32_t i = 0; i < d->type_count; i++)
        if (d->type_heap[i] >= d->heap_count)
            return false;
    return true;
}

/* ---- bookkeeping ---------------------------------------------------------- */

/* Records a misuse, as a validation layer's error message. */
static void mock_misuse(mk_gpu_mock_t *m, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(m->last_error, sizeof m->last_error, format, args);
    va_end(args);
    m->errors++;
}

/* Counts a call of `kind`; true when an armed injected failure fires on it. */
static bool mock_inject(mk_gpu_mock_t *m, uint32_t kind)
{
    for (uint32_t i = 0; i < MK_GPU_MOCK_KIND_COUNT; i++)
        if (kind == 1u << i)
            m->calls[i]++;
    if ((m->fail_mask & kind) == 0u || --m->fail_countdown != 0u)
        return false;
    m->fail_mask = 0;
    m->injected++;
    return true;
}

static uint64_t mock_handle(const mk_gpu_mock_t *m, const mk_gpu_mock_object_t *o)
{
    return (uint64_t)o->generation << 32 | (uint64_t)(o - m->objects + 1);
}

/* The live object of `kind` behind `handle`, or NULL (a stale or foreign handle). */
static mk_gpu_mock_object_t *mock_find(mk_gpu_mock_t *m, uint64_t handle, uint32_t kind)
{
    uint64_t index = (handle & 0xFFFFFFFFu) - 1u; /* handle 0 wraps to an index past the end */
    if (index >= m->object_count)
        return NULL;
    mk_gpu_mock_object_t *o = &m->objects[index];
    return o->kind == kind && o->generation == (uint32_t)(handle >> 32) ? o : NULL;
}

static const char *const mock_kind_names[] = {"free slot", "memory", "buffer", "fence"};

/* mock_find, reporting a stale handle as a misuse. */
static mk_gpu_mock_object_t *mock_get(mk_gpu_mock_t *m, uint64_t handle, uint32_t kind, const char *call)
{
    mk_gpu_mock_object_t *o = mock_find(m, handle, kind);
    if (o == NULL)
        mock_misuse(m, "%s: %s handle 0x%llx is not live (freed, destroyed or never made)", call,
                    mock_kind_names[kind], (unsigned long long)handle);
    return o;
}

/* A cleared slot of `kind`, or NULL when the host is out of memory. The slot
 * array may move: callers hold no object pointer across this. */
static mk_gpu_mock_object_t *mock_new(mk_gpu_mock_t *m, uint32_t kind)
{
    uint32_t i = 0;
    while (i < m->object_count && m->objects[i].kind != MOCK_FREE_SLOT)
        i++;
    if (i == m->object_count) {
        if (m->object_count == m->object_capacity) {
            uint32_t capacity = m->object_capacity == 0u ? 64u : 2u * m->object_capacity;
            mk_gpu_mock_object_t *grown = realloc(m->objects, capacity * sizeof *grown);
            if (grown == NULL)
                return NULL;
            m->objects = grown;
            m->object_capacity = capacity;
        }
        m->objects[m->object_count++].generation = 0;
    }
    mk_gpu_mock_object_t *o = &m->objects[i];
    uint32_t generation = o->generation + 1u;
    memset(o, 0, sizeof *o);
    o->generation = generation == 0u ? 1u : generation; /* never 0, so no handle is 0 */
    o->kind = kind;
    return o;
}

static void mock_release(mk_gpu_mock_object_t *o) { o->kind = MOCK_FREE_SLOT; }

/* Zeroed host memory standing for device memory; aligned so that mapped
 * pointers meet any atom (Vulkan's minMemoryMapAlignment is 64 or more). */
static unsigned char *mock_backing(const mk_gpu_mock_t *m, uint64_t size)
{
    uint64_t align = m->config.device.non_coherent_atom_size < 64u ? 64u : m->config.device.non_coherent_atom_size;
    uint64_t rounded = (size + align - 1u) & ~(align - 1u);
    if (rounded < size || rounded > SIZE_MAX)
        return NULL;
    unsigned char *p = aligned_alloc((size_t)align, (size_t)rounded);
    if (p != NULL)
        memset(p, 0, (size_t)rounded);
    return p;
}

/* The device view of a memory, made on first use. */
static bool mock_device_view(const mk_gpu_mock_t *m, mk_gpu_mock_object_t *mem)
{
    if (mem->device == NULL)
        mem->device = mock_backing(m, mem->size);
    return mem->device != NULL;
}

static bool mock_coherent(const mk_gpu_mock_t *m, const mk_gpu_mock_object_t *mem)
{
    return (m->config.device.type_flags[mem->type] & MK_GPU_MEMORY_HOST_COHERENT) != 0u;
}

static void mock_drop_views(mk_gpu_mock_object_t *mem)
{
    if (mem->host != mem->device)
        free(mem->host);
    free(mem->device);
    mem->host = mem->device = NULL;
}

/* ---- the GPU's progress --------------------------------------------------- */

static void mock_run_copy(mk_gpu_mock_t *m, const mk_gpu_mock_copy_t *c)
{
    /* Misuse since recording (a buffer destroyed, its memory freed) was
     * reported then; such a copy is dropped, as the device would fault. */
    mk_gpu_mock_object_t *src = mock_find(m, c->src, MOCK_BUFFER), *dst = mock_find(m, c->dst, MOCK_BUFFER);
    if (src == NULL || dst == NULL)
        return;
    mk_gpu_mock_object_t *src_mem = mock_find(m, src->memory, MOCK_MEMORY);
    mk_gpu_mock_object_t *dst_mem = mock_find(m, dst->memory, MOCK_MEMORY);
    if (src_mem == NULL || dst_mem == NULL || !mock_device_view(m, src_mem) || !mock_device_view(m, dst_mem))
        return;
    memmove(dst_mem->device + dst->offset + c->dst_offset, src_mem->device + src->offset + c->src_offset,
            (size_t)c->size);
}

/* Runs every submission up to `serial`, in order, signalling their fences. */
static void mock_complete_through(mk_gpu_mock_t *m, uint64_t serial)
{
    while (m->completed_serial < serial) {
        uint64_t next = m->completed_serial + 1u;
        for (uint32_t i = 0; i < m->object_count; i++) {
            mk_gpu_mock_object_t *f = &m->objects[i];
            if (f->kind != MOCK_FENCE || f->serial != next)
                continue;
            for (uint32_t c = 0; c < f->copy_count; c++)
                mock_run_copy(m, &f->copies[c]);
            free(f->copies);
            f->copies = NULL;
            f->copy_count = 0;
            break;
        }
        m->completed_serial = next;
    }
}

static bool mock_copies_use(const mk_gpu_mock_copy_t *copies, uint32_t count, mk_gpu_buffer_t buf)
{
    for (uint32_t i = 0; i < count; i++)
        if (copies[i].src == buf || copies[i].dst == buf)
            return true;
    return false;
}

/* Whether a recorded or submitted-but-pending copy reads or writes `buf`. */
static bool mock_buffer_in_use(const mk_gpu_mock_t *m, mk_gpu_buffer_t buf)
{
    if (mock_copies_use(m->batch, m->batch_count, buf))
        return true;
    for (uint32_t i = 0; i < m->object_count; i++) {
        const mk_gpu_mock_object_t *f = &m->objects[i];
        if (f->kind == MOCK_FENCE && f->serial > m->completed_serial && mock_copies_use(f->copies, f->copy_count, buf))
            return true;
    }
    return false;
}

/* ---- the backend functions ------------------------------------------------ */

static mk_gpu_result_t mock_device_info(void *user, mk_gpu_device_info_t *out)
{
    mk_gpu_mock_t *m = user;
    *out = m->config.device; /* constant after create: no lock needed */
    return MK_GPU_OK;
}

static mk_gpu_result_t mock_heap_budget(void *user, uint32_t heap, uint64_t *usage, uint64_t *budget)
{
    mk_gpu_mock_t *m = user;
    mk_gpu_result_t r = MK_GPU_OK;
    pthread_mutex_lock(&m->lock);
    if (heap >= m->config.device.heap_count) {
        mock_misuse(m, "heap_budget: heap %u of %u", heap, m->config.device.heap_count);
        r = MK_GPU_FAILED;
    } else if (!m->config.device.has_memory_budget) {
        r = MK_GPU_FAILED; /* the contract: the tier falls back to its own count */
    } else {
        *usage = m->heap_used[heap];
        *budget = m->config.heap_budget[heap] != 0u ? m->config.heap_budget[heap] : m->config.device.heap_size[heap];
    }
    pthread_mutex_unlock(&m->lock);
    return r;
}

static mk_gpu_result_t mock_allocate_locked(mk_gpu_mock_t *m, uint32_t type, uint64_t size, mk_gpu_memory_t *mem)
{
    const mk_gpu_device_info_t *d = &m->config.device;
    if (mock_inject(m, MK_GPU_MOCK_ALLOCATE))
        return MK_GPU_OUT_OF_DEVICE_MEMORY;
    if (type >= d->type_count || size == 0u) {
        mock_misuse(m, "allocate: type %u of %u, size %llu (must be > 0)", type, d->type_count,
                    (unsigned long long)size);
        return MK_GPU_FAILED;
    }
    if (m->live_allocations >= d->max_memory_allocation_count) {
        /* the validation layer's VUID-vkAllocateMemory-maxMemoryAllocationCount-04101 */
        mock_misuse(m, "allocate: maxMemoryAllocationCount (%u) allocations already live",
                    d->max_memory_allocation_count);
        return MK_GPU_TOO_MANY_OBJECTS;
    }
    uint32_t heap = d->type_heap[type];
    if (size > d->heap_size[heap] - m->heap_used[heap])
        return MK_GPU_OUT_OF_DEVICE_MEMORY; /* not a misuse: the heap is simply full */
    mk_gpu_mock_object_t *o = mock_new(m, MOCK_MEMORY);
    if (o == NULL)
        return MK_GPU_OUT_OF_HOST_MEMORY;
    o->type = type;
    o->size = size;
    m->heap_used[heap] += size;
    m->live_allocations++;
    *mem = mock_handle(m, o);
    return MK_GPU_OK;
}

static mk_gpu_result_t mock_allocate(void *user, uint32_t type, uint64_t size, mk_gpu_memory_t *mem)
{
    mk_gpu_mock_t *m = user;
    pthread_mutex_lock(&m->lock);
    mk_gpu_result_t r = mock_allocate_locked(m, type, size, mem);
    pthread_mutex_unlock(&m->lock);
    return r;
}

static void mock_free(void *user, mk_gpu_memory_t mem)
{
    mk_gpu_mock_t *m = user;
    if (mem == 0u)
        return;
    pthread_mutex_lock(&m->lock);
    mk_gpu_mock_object_t *o = mock_get(m, mem, MOCK_MEMORY, "free");
    if (o != NULL) {
        if (o->bound_buffers != 0u)
            mock_misuse(m, "free: memory 0x%llx still has %u bound buffer(s)", (unsigned long long)mem,
                        o->bound_buffers);
        mock_drop_views(o);
        m->heap_used[m->config.device.type_heap[o->type]] -= o->size;
        m->live_allocations--;
        mock_release(o);
    }
    pthread_mutex_unlock(&m->lock);
}

static mk_gpu_result_t mock_map_locked(mk_gpu_mock_t *m, mk_gpu_memory_t mem, void **ptr)
{
    if (mock_inject(m, MK_GPU_MOCK_MAP))
        return MK_GPU_FAILED;
    mk_gpu_mock_object_t *o = mock_get(m, mem, MOCK_MEMORY, "map");
    if (o == NULL)
        return MK_GPU_FAILED;
    if ((m->config.device.type_flags[o->type] & MK_GPU_MEMORY_HOST_VISIBLE) == 0u) {
        mock_misuse(m, "map: memory 0x%llx is of type %u, which is not HOST_VISIBLE", (unsigned long long)mem, o->type);
        return MK_GPU_FAILED;
    }
    if (o->mapped) {
        mock_misuse(m, "map: memory 0x%llx is already mapped", (unsigned long long)mem);
        return MK_GPU_FAILED;
    }
    if (!mock_device_view(m, o))
        return MK_GPU_OUT_OF_HOST_MEMORY;
    if (mock_coherent(m, o)) {
        o->host = o->device;
    } else {
        /* the host's cached copy: only flush and invalidate move bytes across */
        o->host = mock_backing(m, o->size);
        if (o->host == NULL)
            return MK_GPU_OUT_OF_HOST_MEMORY;
        memcpy(o->host, o->device, (size_t)o->size);
    }
    o->mapped = true;
    *ptr = o->host;
    return MK_GPU_OK;
}

static mk_gpu_result_t mock_map(void *user, mk_gpu_memory_t mem, void **ptr)
{
    mk_gpu_mock_t *m = user;
    pthread_mutex_lock(&m->lock);
    mk_gpu_result_t r = mock_map_locked(m, mem, ptr);
    pthread_mutex_unlock(&m->lock);
    return r;
}

static void mock_unmap(void *user, mk_gpu_memory_t mem)
{
    mk_gpu_mock_t *m = user;
    pthread_mutex_lock(&m->lock);
    mk_gpu_mock_object_t *o = mock_get(m, mem, MOCK_MEMORY, "unmap");
    if (o != NULL && !o->mapped) {
        mock_misuse(m, "unmap: memory 0x%llx is not mapped", (unsigned long long)mem);
    } else if (o != NULL) {
        if (o->host != o->device)
            free(o->host); /* writes never flushed are lost */
        o->host = NULL;
        o->mapped = false;
    }
    pthread_mutex_unlock(&m->lock);
}

/* flush (to_device) and invalidate: Vulkan's range rules, then the bytes. */
static mk_gpu_result_t mock_sync_locked(mk_gpu_mock_t *m, mk_gpu_memory_t mem, uint64_t offset, uint64_t size,
                                        bool to_device)
{
    const char *call = to_device ? "flush" : "invalidate";
    if (mock_inject(m, MK_GPU_MOCK_FLUSH))
        return MK_GPU_OUT_OF_HOST_MEMORY;
    mk_gpu_mock_object_t *o = mock_get(m, mem, MOCK_MEMORY, call);
    if (o == NULL)
        return MK_GPU_FAILED;
    if (!o->mapped) {
        mock_misuse(m, "%s: memory 0x%llx is not mapped", call, (unsigned long long)mem);
        return MK_GPU_FAILED;
    }
    uint64_t atom = m->config.device.non_coherent_atom_size;
    bool whole = size == MK_GPU_WHOLE_SIZE;
    if (offset > o->size || (!whole && size > o->size - offset)) {
        mock_misuse(m, "%s: range [%llu, +%llu) outside the allocation's %llu bytes", call,
                    (unsigned long long)offset, (unsigned long long)size, (unsigned long long)o->size);
        return MK_GPU_FAILED;
    }
    if (whole)
        size = o->size - offset;
    if (offset % atom != 0u || (size % atom != 0u && offset + size != o->size)) {
        /* VUID-VkMappedMemoryRange-offset-00687 and -size-01390 */
        mock_misuse(m, "%s: range [%llu, +%llu) not aligned to nonCoherentAtomSize %llu (allocation %llu bytes)",
                    call, (unsigned long long)offset, (unsigned long long)size, (unsigned long long)atom,
                    (unsigned long long)o->size);
    }
    if (mock_coherent(m, o)) {
        m->needless_flushes++;
        return MK_GPU_OK;
    }
    if (to_device)
        memcpy(o->device + offset, o->host + offset, (size_t)size);
    else
        memcpy(o->host + offset, o->device + offset, (size_t)size);
    return MK_GPU_OK;
}

static mk_gpu_result_t mock_flush(void *user, mk_gpu_memory_t mem, uint64_t offset, uint64_t size)
{
    mk_gpu_mock_t *m = user;
    pthread_mutex_lock(&m->lock);
    mk_gpu_result_t r = mock_sync_locked(m, mem, offset, size, true);
    pthread_mutex_unlock(&m->lock);
    return r;
}

static mk_gpu_result_t mock_invalidate(void *user, mk_gpu_memory_t mem, uint64_t offset, uint64_t size)
{
    mk_gpu_mock_t *m = user;
    pthread_mutex_lock(&m->lock);
    mk_gpu_result_t r = mock_sync_locked(m, mem, offset, size, false);
    pthread_mutex_unlock(&m->lock);
    return r;
}

static mk_gpu_result_t mock_create_buffer_locked(mk_gpu_mock_t *m, uint64_t size, mk_gpu_buffer_t *buf,
                                                 mk_gpu_requirements_t *requirements)
{
    if (mock_inject(m, MK_GPU_MOCK_CREATE_BUFFER))
        return MK_GPU_OUT_OF_HOST_MEMORY;
    uint64_t align = m->config.buffer_alignment;
    if (size == 0u || size > UINT64_MAX - align) {
        mock_misuse(m, "create_buffer: size %llu", (unsigned long long)size);
        return MK_GPU_FAILED;
    }
    mk_gpu_mock_object_t *o = mock_new(m, MOCK_BUFFER);
    if (o == NULL)
        return MK_GPU_OUT_OF_HOST_MEMORY;
    uint32_t count = m->config.device.type_count;
    uint32_t all_types = count == 32u ? UINT32_MAX : (1u << count) - 1u;
    o->size = size;
    o->requirements.size = (size + align - 1u) & ~(align - 1u); /* drivers round up; the tier must use this */
    o->requirements.alignment = align;
    o->requirements.memory_type_bits = m->config.buffer_type_bits != 0u ? m->config.buffer_type_bits & all_types
                                                                        : all_types;
    *buf = mock_handle(m, o);
    *requirements = o->requirements;
    return MK_GPU_OK;
}

static mk_gpu_result_t mock_create_buffer(void *user, uint64_t size, uint32_t usage, mk_gpu_buffer_t *buf,
                                          mk_gpu_requirements_t *requirements)
{
    mk_gpu_mock_t *m = user;
    (void)usage; /* the mock's buffers all take the same requirements */
    pthread_mutex_lock(&m->lock);
    mk_gpu_result_t r = mock_create_buffer_locked(m, size, buf, requirements);
    pthread_mutex_unlock(&m->lock);
    return r;
}

static void mock_destroy_buffer(void *user, mk_gpu_buffer_t buf)
{
    mk_gpu_mock_t *m = user;
    if (buf == 0u)
        return;
    pthread_mutex_lock(&m->lock);
    mk_gpu_mock_object_t *o = mock_get(m, buf, MOCK_BUFFER, "destroy_buffer");
    if (o != NULL) {
        if (mock_buffer_in_use(m, buf))
            mock_misuse(m, "destroy_buffer: buffer 0x%llx is used by a batch not yet complete",
                        (unsigned long long)buf);
        mk_gpu_mock_object_t *mem = mock_find(m, o->memory, MOCK_MEMORY); /* freed first: reported then */
        if (mem != NULL)
            mem->bound_buffers--;
        mock_release(o);
    }
    pthread_mutex_unlock(&m->lock);
}

static mk_gpu_result_t mock_bind_locked(mk_gpu_mock_t *m, mk_gpu_buffer_t buf, mk_gpu_memory_t mem, uint64_t offset)
{
    if (mock_inject(m, MK_GPU_MOCK_BIND))
        return MK_GPU_OUT_OF_DEVICE_MEMORY;
    mk_gpu_mock_object_t *b = mock_get(m, buf, MOCK_BUFFER, "bind_buffer");
    mk_gpu_mock_object_t *o = mock_get(m, mem, MOCK_MEMORY, "bind_buffer");
    if (b == NULL || o == NULL)
        return MK_GPU_FAILED;
    const mk_gpu_requirements_t *req = &b->requirements;
    const char *wrong = NULL;
    if (b->memory != 0u)
        wrong = "the buffer is already bound";
    else if ((req->memory_type_bits & (1u << o->type)) == 0u)
        wrong = "the memory's type is not in the buffer's memory_type_bits";
    else if (offset % req->alignment != 0u)
        wrong = "the offset is not a multiple of the buffer's alignment";
    else if (offset > o->size || req->size > o->size - offset)
        wrong = "offset + requirements.size passes the allocation's end";
    if (wrong != NULL) {
        mock_misuse(m, "bind_buffer: buffer 0x%llx (%llu bytes, alignment %llu) at %llu in memory 0x%llx "
                       "(type %u, %llu bytes): %s",
                    (unsigned long long)buf, (unsigned long long)req->size, (unsigned long long)req->alignment,
                    (unsigned long long)offset, (unsigned long long)mem, o->type, (unsigned long long)o->size, wrong);
        return MK_GPU_FAILED;
    }
    b->memory = mem;
    b->offset = offset;
    o->bound_buffers++;
    return MK_GPU_OK;
}

static mk_gpu_result_t mock_bind_buffer(void *user, mk_gpu_buffer_t buf, mk_gpu_memory_t mem, uint64_t offset)
{
    mk_gpu_mock_t *m = user;
    pthread_mutex_lock(&m->lock);
    mk_gpu_result_t r = mock_bind_locked(m, buf, mem, offset);
    pthread_mutex_unlock(&m->lock);
    return r;
}

/* One end of a copy: the buffer's memory, with its device view made, or NULL
 * after reporting why it cannot take part. */
static mk_gpu_mock_object_t *mock_copy_end(mk_gpu_mock_t *m, mk_gpu_buffer_t buf, uint64_t offset, uint64_t size,
                                           const char *end, uint64_t *memory_offset)
{
    mk_gpu_mock_object_t *b = mock_find(m, buf, MOCK_BUFFER);
    if (b == NULL) {
        mock_misuse(m, "copy: %s buffer 0x%llx is not live", end, (unsigned long long)buf);
        return NULL;
    }
    if (offset > b->size || size > b->size - offset) {
        mock_misuse(m, "copy: %s range [%llu, +%llu) outside buffer 0x%llx of %llu bytes", end,
                    (unsigned long long)offset, (unsigned long long)size, (unsigned long long)buf,
                    (unsigned long long)b->size);
        return NULL;
    }
    mk_gpu_mock_object_t *mem = mock_find(m, b->memory, MOCK_MEMORY);
    if (mem == NULL) {
        mock_misuse(m, "copy: %s buffer 0x%llx is %s", end, (unsigned long long)buf,
                    b->memory == 0u ? "not bound" : "bound to freed memory");
        return NULL;
    }
    *memory_offset = b->offset + offset;
    return mem;
}

static bool mock_reserve_batch(mk_gpu_mock_t *m)
{
    if (m->batch_count < m->batch_capacity)
        return true;
    uint32_t capacity = m->batch_capacity == 0u ? 16u : 2u * m->batch_capacity;
    mk_gpu_mock_copy_t *grown = realloc(m->batch, capacity * sizeof *grown);
    if (grown == NULL)
        return false;
    m->batch = grown;
    m->batch_capacity = capacity;
    return true;
}

static mk_gpu_result_t mock_copy_locked(mk_gpu_mock_t *m, mk_gpu_buffer_t src, uint64_t src_offset,
                                        mk_gpu_buffer_t dst, uint64_t dst_offset, uint64_t size)
{
    if (mock_inject(m, MK_GPU_MOCK_COPY))
        return MK_GPU_OUT_OF_HOST_MEMORY;
    if (size == 0u) {
        mock_misuse(m, "copy: size 0");
        return MK_GPU_FAILED;
    }
    uint64_t src_at = 0, dst_at = 0;
    mk_gpu_mock_object_t *src_mem = mock_copy_end(m, src, src_offset, size, "source", &src_at);
    mk_gpu_mock_object_t *dst_mem = mock_copy_end(m, dst, dst_offset, size, "destination", &dst_at);
    if (src_mem == NULL || dst_mem == NULL)
        return MK_GPU_FAILED;
    if (src_mem == dst_mem && src_at < dst_at + size && dst_at < src_at + size) {
        mock_misuse(m, "copy: source and destination overlap in memory"); /* VUID-vkCmdCopyBuffer-pRegions-00117 */
        return MK_GPU_FAILED;
    }
    if (!mock_device_view(m, src_mem) || !mock_device_view(m, dst_mem) || !mock_reserve_batch(m))
        return MK_GPU_OUT_OF_HOST_MEMORY;
    m->batch[m->batch_count++] = (mk_gpu_mock_copy_t){src, dst, src_offset, dst_offset, size};
    return MK_GPU_OK;
}

static mk_gpu_result_t mock_copy(void *user, mk_gpu_buffer_t src, uint64_t src_offset, mk_gpu_buffer_t dst,
                                 uint64_t dst_offset, uint64_t size)
{
    mk_gpu_mock_t *m = user;
    pthread_mutex_lock(&m->lock);
    mk_gpu_result_t r = mock_copy_locked(m, src, src_offset, dst, dst_offset, size);
    pthread_mutex_unlock(&m->lock);
    return r;
}

static mk_gpu_result_t mock_submit_locked(mk_gpu_mock_t *m, mk_gpu_fence_t *fence)
{
    if (mock_inject(m, MK_GPU_MOCK_SUBMIT))
        return MK_GPU_OUT_OF_HOST_MEMORY;
    mk_gpu_mock_object_t *f = mock_new(m, MOCK_FENCE);
    if (f == NULL)
        return MK_GPU_OUT_OF_HOST_MEMORY;
    f->serial = ++m->next_serial;
    f->copies = m->batch; /* the batch moves to the fence; the next copy starts a new one */
    f->copy_count = m->batch_count;
    m->batch = NULL;
    m->batch_count = m->batch_capacity = 0;
    *fence = mock_handle(m, f);
    if (!m->config.deferred_fences)
        mock_complete_through(m, m->next_serial);
    return MK_GPU_OK;
}

static mk_gpu_result_t mock_submit(void *user, mk_gpu_fence_t *fence)
{
    mk_gpu_mock_t *m = user;
    pthread_mutex_lock(&m->lock);
    mk_gpu_result_t r = mock_submit_locked(m, fence);
    pthread_mutex_unlock(&m->lock);
    return r;
}

static mk_gpu_result_t mock_fence_signaled(void *user, mk_gpu_fence_t fence)
{
    mk_gpu_mock_t *m = user;
    pthread_mutex_lock(&m->lock);
    mk_gpu_mock_object_t *f = mock_get(m, fence, MOCK_FENCE, "fence_signaled");
    mk_gpu_result_t r = f == NULL ? MK_GPU_FAILED : f->serial <= m->completed_serial ? MK_GPU_OK : MK_GPU_TIMEOUT;
    pthread_mutex_unlock(&m->lock);
    return r;
}

static mk_gpu_result_t mock_fence_wait_locked(mk_gpu_mock_t *m, mk_gpu_fence_t fence, uint64_t timeout_ns)
{
    if (mock_inject(m, MK_GPU_MOCK_FENCE_WAIT))
        return MK_GPU_TIMEOUT;
    mk_gpu_mock_object_t *f = mock_get(m, fence, MOCK_FENCE, "fence_wait");
    if (f == NULL)
        return MK_GPU_FAILED;
    if (f->serial <= m->completed_serial)
        return MK_GPU_OK;
    if (timeout_ns == 0u)
        return MK_GPU_TIMEOUT;
    mock_complete_through(m, f->serial); /* a GPU gets there given time; a hang is an injected TIMEOUT */
    return MK_GPU_OK;
}

static mk_gpu_result_t mock_fence_wait(void *user, mk_gpu_fence_t fence, uint64_t timeout_ns)
{
    mk_gpu_mock_t *m = user;
    pthread_mutex_lock(&m->lock);
    mk_gpu_result_t r = mock_fence_wait_locked(m, fence, timeout_ns);
    pthread_mutex_unlock(&m->lock);
    return r;
}

static void mock_fence_release(void *user, mk_gpu_fence_t fence)
{
    mk_gpu_mock_t *m = user;
    if (fence == 0u)
        return;
    pthread_mutex_lock(&m->lock);
    mk_gpu_mock_object_t *f = mock_get(m, fence, MOCK_FENCE, "fence_release");
    if (f != NULL) {
        uint64_t serial = f->serial;
        if (serial > m->completed_serial) {
            mock_misuse(m, "fence_release: fence 0x%llx has not signalled", (unsigned long long)fence);
            mock_complete_through(m, serial); /* keep the queue's order intact */
        }
        mock_release(f); /* completing moved no slot */
    }
    pthread_mutex_unlock(&m->lock);
}

/* ---- the mock's own API --------------------------------------------------- */

mk_gpu_mock_t *mk_gpu_mock_create(const mk_gpu_mock_config_t *config)
{
    if (config == NULL || !mock_config_valid(config))
        return NULL;
    mk_gpu_mock_t *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->config = *config;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

mk_gpu_backend_t mk_gpu_mock_backend(mk_gpu_mock_t *mock)
{
    mk_gpu_backend_t b = {
        .user = mock,
        .device_info = mock_device_info,
        .heap_budget = mock_heap_budget,
        .allocate = mock_allocate,
        .free = mock_free,
        .map = mock_map,
        .unmap = mock_unmap,
        .flush = mock_flush,
        .invalidate = mock_invalidate,
        .create_buffer = mock_create_buffer,
        .destroy_buffer = mock_destroy_buffer,
        .bind_buffer = mock_bind_buffer,
        .copy = mock_copy,
        .submit = mock_submit,
        .fence_signaled = mock_fence_signaled,
        .fence_wait = mock_fence_wait,
        .fence_release = mock_fence_release,
    };
    return b;
}

bool mk_gpu_mock_advance(mk_gpu_mock_t *mock)
{
    pthread_mutex_lock(&mock->lock);
    bool pending = mock->completed_serial < mock->next_serial;
    if (pending)
        mock_complete_through(mock, mock->completed_serial + 1u);
    pthread_mutex_unlock(&mock->lock);
    return pending;
}

void mk_gpu_mock_fail_at(mk_gpu_mock_t *mock, uint32_t kinds, unsigned long n)
{
    pthread_mutex_lock(&mock->lock);
    mock->fail_mask = n == 0u ? 0u : kinds;
    mock->fail_countdown = n;
    pthread_mutex_unlock(&mock->lock);
}

unsigned long mk_gpu_mock_destroy(mk_gpu_mock_t *mock)
{
    if (mock == NULL)
        return 0;
    unsigned long leaks = 0;
    for (uint32_t i = 0; i < mock->object_count; i++) {
        mk_gpu_mock_object_t *o = &mock->objects[i];
        if (o->kind == MOCK_FREE_SLOT)
            continue;
        leaks++;
        unsigned long long handle = (unsigned long long)mock_handle(mock, o);
        if (o->kind == MOCK_MEMORY)
            fprintf(stderr, "gpu mock: leaked memory 0x%llx: type %u, %llu bytes%s\n", handle, o->type,
                    (unsigned long long)o->size, o->mapped ? ", mapped" : "");
        else if (o->kind == MOCK_BUFFER)
            fprintf(stderr, "gpu mock: leaked buffer 0x%llx: %llu bytes, %s\n", handle, (unsigned long long)o->size,
                    o->memory != 0u ? "bound" : "unbound");
        else
            fprintf(stderr, "gpu mock: leaked fence 0x%llx (submission %llu)\n", handle,
                    (unsigned long long)o->serial);
        mock_drop_views(o);
        free(o->copies);
    }
    free(mock->objects);
    free(mock->batch);
    pthread_mutex_destroy(&mock->lock);
    free(mock);
    return leaks;
}
