/* gpu.c — the GPU tier's runtime (memkit/gpu.h): heaps of device memory
 * blocks, buffers and image memory sub-allocated in them, per-frame linear
 * heaps, the staging ring, downloads, frames and fences, budgets, and the
 * ML3xx checks. Statistics and dumps are in gpu_stats.c.
 *
 * Compiled into the runtime library with the generated config, like async/.
 * It calls the device only through the mk_gpu_backend_t the user passes to
 * mk_gpu_init; the backends themselves (backend_vulkan.c, backend_mock.c) are
 * not part of the library.
 *
 * State: one static struct under one lock (gpu_internal.h). Tables that
 * depend on the device or grow with use (blocks per heap, TLSF nodes per
 * block, buffer records) are mapped with mk__prim_reserve at init or when a
 * block is created, so the tier never calls malloc.
 */
#include "gpu_internal.h"

#include <stdarg.h>
#include <string.h>

#define MK__GPU_UPLOAD_ALIGNMENT 16u /* ring offsets: a multiple of the copy's optimal alignment */

mk__gpu_state_t mk__gpu;

static mk_status_t mk__gpu_status(mk_gpu_result_t r)
{
    return r == MK_GPU_OK ? MK_OK : MK_ENOMEM;
}

/* ---- ML3xx reports ------------------------------------------------------------- */

/* mk__report must run outside memkit's locks (a handler may call back in), so
 * a check made under the lock parks its report here and mk__gpu_unlock sends
 * it. One report per call is enough: each code is reported once per intent. */
static struct {
    bool set;
    mk__diag_t diag;
    char message[240];
} mk__gpu_pending;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void mk__gpu_warn(mk__diag_t diag, unsigned intent, const char *format, ...)
{
    uint32_t bit = 1u << (diag - MK__ML301);
    if ((mk__gpu.intents[intent].warned & bit) != 0 || mk__gpu_pending.set)
        return;
    mk__gpu.intents[intent].warned |= bit;
    va_list args;
    va_start(args, format);
    vsnprintf(mk__gpu_pending.message, sizeof mk__gpu_pending.message, format, args);
    va_end(args);
    mk__gpu_pending.diag = diag;
    mk__gpu_pending.set = true;
}

static void mk__gpu_unlock(void)
{
    bool send = mk__gpu_pending.set;
    mk__diag_t diag = mk__gpu_pending.diag;
    char message[sizeof mk__gpu_pending.message];
    if (send)
        memcpy(message, mk__gpu_pending.message, sizeof message);
    mk__gpu_pending.set = false;
    mk__unlock(&mk__gpu.lock);
    if (send)
        mk__report(diag, NULL, -1, NULL, 0, "%s", message);
}

static const char *mk__gpu_intent_name(unsigned intent) { return mk__rt.config->gpu_intents[intent].name; }

/* ---- device memory ------------------------------------------------------------- */

void mk__gpu_device_budget(const mk__gpu_heap_t *h, uint64_t *usage, uint64_t *budget)
{
    uint32_t heap = mk__gpu.dev.type_heap[h->type];
    *usage = mk__gpu.device_bytes[heap];
    *budget = mk__gpu.dev.heap_size[heap] / 10u * 8u;
    uint64_t u = 0, b = 0;
    if (mk__gpu.dev.has_memory_budget && mk__gpu.be.heap_budget != NULL &&
        mk__gpu.be.heap_budget(mk__gpu.be.user, heap, &u, &b) == MK_GPU_OK) {
        *usage = u;
        *budget = b;
    }
}

/* One vkAllocateMemory (and map, for mapped heaps) of heap h's type, within
 * the device's allocation count and the device budget. */
static mk_status_t mk__gpu_memory_allocate(mk__gpu_heap_t *h, uint64_t size, mk_gpu_memory_t *mem,
                                           unsigned char **mapped)
{
    uint64_t usage, budget;
    mk__gpu_device_budget(h, &usage, &budget);
    if (mk__gpu.device_allocations >= mk__gpu.dev.max_memory_allocation_count || size > budget ||
        usage > budget - size)
        return MK_ENOMEM;
    mk_gpu_memory_t got = 0;
    if (mk__gpu.be.allocate(mk__gpu.be.user, (uint32_t)h->type, size, &got) != MK_GPU_OK)
        return MK_ENOMEM;
    void *ptr = NULL;
    if (h->mapped && mk__gpu.be.map(mk__gpu.be.user, got, &ptr) != MK_GPU_OK) {
        mk__gpu.be.free(mk__gpu.be.user, got);
        return MK_ENOMEM;
    }
    *mem = got; /* only now: the caller's block must not name memory that was freed */
    *mapped = ptr;
    mk__gpu.device_allocations++;
    mk__gpu.device_bytes[mk__gpu.dev.type_heap[h->type]] += size;
    return MK_OK;
}

static void mk__gpu_memory_free(const mk__gpu_heap_t *h, mk_gpu_memory_t mem, bool mapped, uint64_t size)
{
    if (mapped)
        mk__gpu.be.unmap(mk__gpu.be.user, mem);
    mk__gpu.be.free(mk__gpu.be.user, mem);
    mk__gpu.device_allocations--;
    mk__gpu.device_bytes[mk__gpu.dev.type_heap[h->type]] -= size;
}

/* ---- blocks ------------------------------------------------------------------ */

static size_t mk__gpu_nodes_bytes(void) { return MK__GPU_BLOCK_NODES * sizeof(mk__gpu_tlsf_node_t); }
static size_t mk__gpu_owners_bytes(void) { return MK__GPU_BLOCK_NODES * sizeof(uint32_t); }

/* Allocates block `index` of heap h. */
static mk_status_t mk__gpu_block_create(mk__gpu_heap_t *h, uint32_t index)
{
    mk__gpu_block_t *b = &h->blocks[index];
    uint64_t size = h->layout->block;
    if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF && b->nodes == NULL) {
        b->nodes = mk__prim_reserve(mk__gpu_nodes_bytes());
        b->owners = mk__prim_reserve(mk__gpu_owners_bytes());
        if (b->nodes == NULL || b->owners == NULL)
            return MK_ESYSTEM;
    }
    mk_status_t status = mk__gpu_memory_allocate(h, size, &b->memory, &b->mapped);
    if (status != MK_OK)
        return status;
    if (h->shared) { /* one VkBuffer over the block: a create is then a range of it, no driver call */
        mk_gpu_requirements_t req;
        mk_gpu_buffer_t buf = 0;
        status = mk__gpu.be.create_buffer(mk__gpu.be.user, size, h->usage, &buf, &req) != MK_GPU_OK ? MK_ENOMEM
                 : (req.memory_type_bits & (1u << h->type)) == 0 || req.size > size             ? MK_EINVAL
                 : mk__gpu.be.bind_buffer(mk__gpu.be.user, buf, b->memory, 0) != MK_GPU_OK       ? MK_ENOMEM
                                                                                                  : MK_OK;
        if (status != MK_OK) {
            mk__gpu.be.destroy_buffer(mk__gpu.be.user, buf);
            mk__gpu_memory_free(h, b->memory, b->mapped != NULL, size);
            b->memory = 0;
            b->mapped = NULL;
            return status;
        }
        b->buffer = buf;
    }
    if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF)
        (void)mk__gpu_tlsf_init(&b->tlsf, size, mk__gpu.dev.buffer_image_granularity, b->nodes, MK__GPU_BLOCK_NODES);
    else
        (void)mk__gpu_linear_init(&b->linear, size);
    b->id = h->next_block_id++;
    b->live = 0;
    b->frame = 0;
    h->block_count++;
    if (index >= h->block_top)
        h->block_top = index + 1u;
    return MK_OK;
}

static void mk__gpu_block_free(mk__gpu_heap_t *h, mk__gpu_block_t *b)
{
    if (b->memory != 0) {
        mk__gpu.be.destroy_buffer(mk__gpu.be.user, b->buffer);
        b->buffer = 0;
        mk__gpu_memory_free(h, b->memory, b->mapped != NULL, h->layout->block);
        b->memory = 0;
        b->mapped = NULL;
        h->block_count--;
        while (h->block_top > 0 && h->blocks[h->block_top - 1u].memory == 0)
            h->block_top--;
    }
    if (b->nodes != NULL) {
        mk__prim_release(b->nodes, mk__gpu_nodes_bytes());
        b->nodes = NULL;
    }
    if (b->owners != NULL) {
        mk__prim_release(b->owners, mk__gpu_owners_bytes());
        b->owners = NULL;
    }
}

/* A TLSF block became empty: beyond min_blocks, keep one empty block as a
 * spare (so that a heap hovering at a block boundary does not allocate and
 * free device memory on every create) and free any other. */
static void mk__gpu_block_emptied(mk__gpu_heap_t *h, uint32_t index)
{
    if (h->block_count <= h->layout->min_blocks)
        return;
    for (uint32_t i = 0; i < h->block_top; i++)
        if (i != index && h->blocks[i].memory != 0 && h->blocks[i].live == 0) {
            mk__gpu_block_free(h, &h->blocks[index]);
            return;
        }
}

/* ---- buffer records ------------------------------------------------------------ */

static mk__gpu_rec_t *mk__gpu_lookup(mk_gpu_buffer_id_t id)
{
    uint32_t slot = (uint32_t)(id & 0xffffffffu);
    if (slot == 0 || slot > mk__gpu.rec_touched)
        return NULL;
    mk__gpu_rec_t *rec = &mk__gpu.recs[slot - 1];
    if (rec->state != MK__GPU_REC_LIVE || rec->generation != (uint32_t)(id >> 32))
        return NULL;
    return rec;
}

/* Gives the record's memory back, destroys its buffer, uncharges it. */
static void mk__gpu_release(mk__gpu_rec_t *rec)
{
    mk__gpu_heap_t *h = &mk__gpu.heaps[rec->heap];
    mk__gpu_intent_t *in = &mk__gpu.intents[rec->intent];
    if (rec->own_buffer)
        mk__gpu.be.destroy_buffer(mk__gpu.be.user, rec->buffer);
    if (rec->block == MK__GPU_DEDICATED) {
        mk__gpu_memory_free(h, rec->memory, rec->mapped != NULL, rec->charged);
        h->dedicated--;
        h->dedicated_bytes -= rec->charged;
    } else {
        mk__gpu_block_t *b = &h->blocks[rec->block];
        b->live--;
        if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF) {
            (void)mk__gpu_tlsf_free(&b->tlsf, rec->sub);
            if (b->live == 0)
                mk__gpu_block_emptied(h, rec->block);
        } /* linear: the slot's block is reset when the slot comes round */
    }
    h->charged -= rec->charged;
    h->live--;
    in->charged -= rec->charged;
    in->live--;
    mk__gpu.charged -= rec->charged;
    rec->state = MK__GPU_REC_FREE;
    rec->generation++;
    rec->next = mk__gpu.rec_free;
    mk__gpu.rec_free = (uint32_t)(rec - mk__gpu.recs);
}

/* The newest frame whose command buffers may use a resource now: the frame
 * being recorded, or between frames the one submitted last (0: none yet).
 * Copies recorded between frames belong to the next frame instead. */
static uint64_t mk__gpu_using_frame(void) { return mk__gpu.in_frame ? mk__gpu.frame : mk__gpu.frame - 1u; }

/* A submitted frame that has not signalled yet may use the record. */
static bool mk__gpu_in_flight(const mk__gpu_rec_t *rec)
{
    return rec->last_frame > mk__gpu.completed && rec->last_frame < mk__gpu.frame;
}

/* ---- frames -------------------------------------------------------------------- */

/* Frame f's fence has signalled: everything it held comes back. */
static void mk__gpu_reclaim(uint64_t f)
{
    mk__gpu.completed = f;
    uint32_t *link = &mk__gpu.deferred_head;
    while (*link != MK__GPU_NONE) {
        mk__gpu_rec_t *rec = &mk__gpu.recs[*link];
        if (rec->last_frame <= f) {
            *link = rec->next;
            mk__gpu.deferred--;
            mk__gpu_release(rec);
        } else {
            link = &rec->next;
        }
    }
    if (mk__gpu.ring_heap != MK__GPU_NONE)
        mk__gpu_ring_release_through(&mk__gpu.ring, f);
}

/* Reclaims the submitted frames whose fence has signalled, oldest first,
 * waiting for those up to `must`. */
static mk_status_t mk__gpu_poll(uint64_t must)
{
    while (mk__gpu.completed + 1 < mk__gpu.frame) {
        uint64_t f = mk__gpu.completed + 1;
        mk_gpu_fence_t fence = mk__gpu.fences[f % mk__gpu.frames];
        mk_gpu_result_t r = f <= must ? mk__gpu.be.fence_wait(mk__gpu.be.user, fence, UINT64_MAX)
                                      : mk__gpu.be.fence_signaled(mk__gpu.be.user, fence);
        if (r == MK_GPU_TIMEOUT && f > must)
            return MK_OK;
        if (r != MK_GPU_OK)
            return MK_ENOMEM;
        mk__gpu.be.fence_release(mk__gpu.be.user, fence);
        mk__gpu.fences[f % mk__gpu.frames] = 0;
        mk__gpu_reclaim(f);
    }
    return MK_OK;
}

/* The current frame's slot is free: the frame that used it last is reclaimed. */
static mk_status_t mk__gpu_slot_ready(void)
{
    return mk__gpu.frame > mk__gpu.frames ? mk__gpu_poll(mk__gpu.frame - mk__gpu.frames) : MK_OK;
}

/* The current frame's block of linear heap h in *out, reset when it still
 * holds an older frame's buffers. Their frame has signalled (mk__gpu_slot_ready
 * ran), but a later frame may still copy into one of them: that frame is
 * waited for first, so no pending copy lands in the reused memory. Buffers
 * still live then were never destroyed: ML301, and they go. */
static mk_status_t mk__gpu_linear_block(mk__gpu_heap_t *h, mk__gpu_block_t **out)
{
    uint32_t slot = (uint32_t)(mk__gpu.frame % mk__gpu.frames);
    uint32_t heap = (uint32_t)(h - mk__gpu.heaps);
    mk__gpu_block_t *b = &h->blocks[slot];
    *out = b;
    if (b->frame == mk__gpu.frame)
        return MK_OK;
    uint64_t newest = 0;
    for (uint32_t i = 0; i < mk__gpu.rec_touched && b->live != 0; i++) {
        const mk__gpu_rec_t *rec = &mk__gpu.recs[i];
        if (rec->state != MK__GPU_REC_FREE && rec->heap == heap && rec->block == slot && rec->last_frame > newest)
            newest = rec->last_frame;
    }
    if (newest > mk__gpu.completed) { /* also releases the deferred ones */
        mk_status_t status = mk__gpu_poll(newest);
        if (status != MK_OK)
            return status;
    }
    if (newest >= mk__gpu.frame) { /* a copy into it waits in this very frame's batch: no reuse before it runs */
        for (uint32_t i = 0; i < mk__gpu.rec_touched; i++) {
            const mk__gpu_rec_t *rec = &mk__gpu.recs[i];
            if (rec->state == MK__GPU_REC_LIVE && rec->heap == heap && rec->block == slot &&
                rec->last_frame >= mk__gpu.frame)
                mk__gpu_warn(MK__ML301, rec->intent,
                             "GPU intent '%s': a per-frame buffer of heap '%s' from frame %llu is still live and "
                             "copied into in frame %llu, whose block it occupies: the block cannot be reused "
                             "this frame",
                             mk__gpu_intent_name(rec->intent), h->layout->name, (unsigned long long)b->frame,
                             (unsigned long long)mk__gpu.frame);
        }
        return MK_ENOMEM;
    }
    for (uint32_t i = 0; i < mk__gpu.rec_touched && b->live != 0; i++) {
        mk__gpu_rec_t *rec = &mk__gpu.recs[i];
        if (rec->state != MK__GPU_REC_LIVE || rec->heap != heap || rec->block != slot)
            continue;
        mk__gpu_warn(MK__ML301, rec->intent,
                     "GPU intent '%s': a per-frame buffer of heap '%s' (%llu bytes, frame %llu) was not destroyed "
                     "before its frame's block came round again; it is freed now and its id is stale",
                     mk__gpu_intent_name(rec->intent), h->layout->name, (unsigned long long)rec->size,
                     (unsigned long long)b->frame);
        mk__gpu_release(rec);
    }
    mk__gpu_linear_reset(&b->linear);
    b->frame = mk__gpu.frame;
    return MK_OK;
}

/* ---- init and shutdown --------------------------------------------------------- */

static size_t mk__gpu_recs_bytes(void) { return (size_t)MKG_GPU_MAX_BUFFERS * sizeof(mk__gpu_rec_t); }

static size_t mk__gpu_blocks_bytes(const mk__gpu_heap_t *h)
{
    return (size_t)h->layout->max_blocks * sizeof(mk__gpu_block_t);
}

/* Frees everything on the device and the tier's tables; returns the buffers
 * that were still live. Safe on a partly built tier. */
static size_t mk__gpu_teardown(void)
{
    size_t leaks = 0;
    if (mk__gpu.batch_copies != 0) { /* copies not yet submitted: send them, so no buffer dies under them */
        mk_gpu_fence_t fence = 0;
        if (mk__gpu.be.submit(mk__gpu.be.user, &fence) == MK_GPU_OK) {
            mk__gpu.fences[mk__gpu.frame % mk__gpu.frames] = fence;
            mk__gpu.frame++;
        }
        mk__gpu.batch_copies = 0;
    }
    for (int attempt = 0; attempt < 3 && mk__gpu_poll(mk__gpu.frame - 1) != MK_OK; attempt++) {
    }
    for (uint32_t i = 0; i < mk__gpu.frames; i++) { /* a fence that never signalled: let it go anyway */
        if (mk__gpu.fences[i] != 0)
            mk__gpu.be.fence_release(mk__gpu.be.user, mk__gpu.fences[i]);
        mk__gpu.fences[i] = 0;
    }
    if (mk__gpu.recs != NULL) {
        for (uint32_t i = 0; i < mk__gpu.rec_touched; i++) {
            mk__gpu_rec_t *rec = &mk__gpu.recs[i];
            if (rec->state == MK__GPU_REC_FREE)
                continue;
            leaks += rec->state == MK__GPU_REC_LIVE;
            mk__gpu_release(rec);
        }
        mk__prim_release(mk__gpu.recs, mk__gpu_recs_bytes());
        mk__gpu.recs = NULL;
    }
    mk__gpu.ring_buffer = 0; /* the ring block's buffer: freed with the block */
    for (unsigned i = 0; i < mk__gpu_heap_count(); i++) {
        mk__gpu_heap_t *h = &mk__gpu.heaps[i];
        if (h->blocks == NULL)
            continue;
        for (uint32_t b = 0; b < h->layout->max_blocks; b++)
            mk__gpu_block_free(h, &h->blocks[b]);
        mk__prim_release(h->blocks, mk__gpu_blocks_bytes(h));
        h->blocks = NULL;
    }
    mk__gpu.up = false;
    mk__gpu_hooks = (mk__tier_hooks_t){NULL, NULL, NULL};
    return leaks;
}

/* The union of the usage flags of the intents placed in heap `heap`. */
static uint32_t mk__gpu_heap_usage(unsigned heap)
{
    const mk_config_t *cfg = mk__rt.config;
    uint32_t usage = 0;
    for (unsigned i = 0; i < mk__gpu_intent_count(); i++)
        if (cfg->gpu_intents[i].heap == heap)
            usage |= cfg->gpu_intents[i].usage;
    return usage;
}

/* The alignment of a shared heap's ranges: the block buffer's, what descriptor
 * offsets of its usage need (VkPhysicalDeviceLimits), and at least 16. */
static uint64_t mk__gpu_range_alignment(uint32_t usage, uint64_t buffer_alignment)
{
    uint64_t a = buffer_alignment > MK__GPU_RANGE_ALIGNMENT ? buffer_alignment : MK__GPU_RANGE_ALIGNMENT;
    if ((usage & MK__GPU_USAGE_UNIFORM) != 0 && mk__gpu.dev.min_uniform_offset_alignment > a)
        a = mk__gpu.dev.min_uniform_offset_alignment;
    if ((usage & MK__GPU_USAGE_STORAGE) != 0 && mk__gpu.dev.min_storage_offset_alignment > a)
        a = mk__gpu.dev.min_storage_offset_alignment;
    return a;
}

/* Picks heap i's memory type, maps its tables, allocates its first blocks. */
static mk_status_t mk__gpu_heap_init(unsigned i)
{
    const mk_gpu_heap_layout_t *layout = &mk__rt.config->gpu_heaps[i];
    mk__gpu_heap_t *h = &mk__gpu.heaps[i];
    h->layout = layout;
    h->usage = layout->kind == MK_GPU_HEAP_KIND_RING ? MK__GPU_USAGE_TRANSFER_SRC : mk__gpu_heap_usage(i);
    uint32_t bits = UINT32_MAX;
    uint64_t alignment = 1;
    if (h->usage != 0) { /* a probe buffer says which types its kind of buffer may live in */
        mk_gpu_buffer_t probe = 0;
        mk_gpu_requirements_t req;
        if (mk__gpu.be.create_buffer(mk__gpu.be.user, 4096u, h->usage, &probe, &req) != MK_GPU_OK)
            return MK_ENOMEM;
        mk__gpu.be.destroy_buffer(mk__gpu.be.user, probe);
        bits = req.memory_type_bits;
        alignment = req.alignment;
    }
    mk_gpu_memory_want_t want = {layout->required, layout->preferred, layout->not_preferred};
    int type = mk__gpu_memory_type(mk__gpu.dev.type_flags, mk__gpu.dev.type_count, bits, want, &h->cost);
    if (type < 0 || !mk__gpu_is_pow2(alignment))
        return MK_EINVAL;
    h->type = type;
    h->type_flags = mk__gpu.dev.type_flags[type];
    h->mapped = layout->mapped && (h->type_flags & MK_GPU_MEMORY_HOST_VISIBLE) != 0;
    h->coherent = (h->type_flags & MK_GPU_MEMORY_HOST_COHERENT) != 0;
    h->shared = h->usage != 0 && !layout->images;
    h->sub_alignment = mk__gpu_range_alignment(h->usage, alignment);
    uint32_t first = layout->min_blocks;
    if (layout->kind == MK_GPU_HEAP_KIND_LINEAR) {
        if (layout->max_blocks < mk__gpu.frames)
            return MK_EINVAL;
        first = mk__gpu.frames;
    } else if (layout->kind == MK_GPU_HEAP_KIND_RING) {
        if (!h->mapped)
            return MK_EINVAL;
        first = 1;
    }
    h->blocks = mk__prim_reserve(mk__gpu_blocks_bytes(h));
    if (h->blocks == NULL)
        return MK_ESYSTEM;
    for (uint32_t b = 0; b < first; b++) {
        mk_status_t status = mk__gpu_block_create(h, b);
        if (status != MK_OK)
            return status;
    }
    if (layout->kind == MK_GPU_HEAP_KIND_RING && mk__gpu.ring_heap == MK__GPU_NONE) {
        (void)mk__gpu_ring_init(&mk__gpu.ring, layout->block, mk__gpu.marks, mk__gpu.frames + 1u);
        mk__gpu.ring_buffer = h->blocks[0].buffer;
        mk__gpu.ring_heap = i;
    }
    return MK_OK;
}

mk_status_t mk_gpu_init(const mk_gpu_backend_t *backend)
{
    if (!mk__rt.initialised || mk__gpu.up)
        return MK_ESTATE;
    if (backend == NULL || backend->device_info == NULL || backend->allocate == NULL || backend->free == NULL ||
        backend->map == NULL || backend->unmap == NULL || backend->flush == NULL || backend->invalidate == NULL ||
        backend->create_buffer == NULL || backend->destroy_buffer == NULL || backend->bind_buffer == NULL ||
        backend->copy == NULL || backend->submit == NULL || backend->fence_signaled == NULL ||
        backend->fence_wait == NULL || backend->fence_release == NULL)
        return MK_EINVAL;
    const mk_config_t *cfg = mk__rt.config;
    mk_gpu_oom_handler_t oom = mk__gpu.oom;
    void *oom_user = mk__gpu.oom_user;
    memset(&mk__gpu, 0, sizeof mk__gpu);
    mk__gpu.oom = oom;
    mk__gpu.oom_user = oom_user;
    mk__gpu.be = *backend;
    mk__gpu.frames = cfg->gpu_frames_in_flight != 0 ? cfg->gpu_frames_in_flight : 1u;
    mk__gpu.frame = 1;
    mk__gpu.ring_heap = MK__GPU_NONE;
    mk__gpu.deferred_head = MK__GPU_NONE;
    mk__gpu.rec_free = MK__GPU_NONE;
    if (mk__gpu.frames > MK__GPU_MAX_FRAMES)
        return MK_EINVAL;
    if (backend->device_info(backend->user, &mk__gpu.dev) != MK_GPU_OK)
        return MK_ENOMEM;
    if (mk__gpu.dev.non_coherent_atom_size == 0 || !mk__gpu_is_pow2(mk__gpu.dev.non_coherent_atom_size) ||
        !mk__gpu_is_pow2(mk__gpu.dev.buffer_image_granularity) || mk__gpu.dev.heap_count > MK_GPU_MAX_MEMORY_HEAPS)
        return MK_EINVAL;
    mk__gpu.recs = mk__prim_reserve(mk__gpu_recs_bytes());
    mk_status_t status = mk__gpu.recs != NULL ? MK_OK : MK_ESYSTEM;
    for (unsigned i = 0; i < mk__gpu_heap_count() && status == MK_OK; i++)
        status = mk__gpu_heap_init(i);
    if (status != MK_OK) {
        (void)mk__gpu_teardown();
        return status;
    }
    mk__gpu.up = true;
    mk__gpu_hooks = (mk__tier_hooks_t){mk_gpu_shutdown, mk__gpu_print, mk__gpu_usage};
    return MK_OK;
}

size_t mk_gpu_shutdown(void)
{
    mk__lock(&mk__gpu.lock);
    size_t leaks = mk__gpu.up ? mk__gpu_teardown() : 0;
    mk__gpu_unlock();
    return leaks;
}


void mk_gpu_set_oom_handler(mk_gpu_oom_handler_t handler, void *user)
{
    mk__lock(&mk__gpu.lock);
    mk__gpu.oom = handler;
    mk__gpu.oom_user = user;
    mk__gpu_unlock();
}

/* ---- buffers and image memory -------------------------------------------------- */

static bool mk__gpu_over(uint64_t used, uint64_t charge, uint64_t budget)
{
    return budget != 0 && (charge > budget || used > budget - charge);
}

/* Where a placement landed. */
typedef struct mk__gpu_place {
    uint32_t block, sub;
    uint64_t offset;
    mk_gpu_memory_t memory;
    unsigned char *mapped; /* the block's (or the dedicated allocation's) first byte */
} mk__gpu_place_t;

/* Places `req` of `kind` in heap h. */
static mk_status_t mk__gpu_place(mk__gpu_heap_t *h, const mk_gpu_requirements_t *req, mk__gpu_kind_t kind,
                                 mk__gpu_place_t *at)
{
    const mk_gpu_heap_layout_t *layout = h->layout;
    if (layout->kind == MK_GPU_HEAP_KIND_LINEAR) {
        mk__gpu_block_t *b = NULL;
        mk_status_t status = mk__gpu_linear_block(h, &b);
        if (status != MK_OK)
            return status;
        if (mk__gpu_linear_alloc(&b->linear, req->size, req->alignment, &at->offset) != MK__GPU_OK)
            return MK_ENOMEM;
        at->block = (uint32_t)(b - h->blocks);
        at->memory = b->memory;
        at->mapped = b->mapped;
        b->live++;
        return MK_OK;
    }
    if (req->size > layout->block / 2u) { /* dedicated: it would waste most of a block */
        mk_status_t status = mk__gpu_memory_allocate(h, req->size, &at->memory, &at->mapped);
        if (status != MK_OK)
            return status;
        h->dedicated++;
        h->dedicated_bytes += req->size;
        at->block = MK__GPU_DEDICATED;
        at->offset = 0;
        return MK_OK;
    }
    uint32_t hole = MK__GPU_NONE;
    for (uint32_t i = 0; i < h->block_top; i++) {
        mk__gpu_block_t *b = &h->blocks[i];
        if (b->memory == 0) {
            hole = hole == MK__GPU_NONE ? i : hole;
            continue;
        }
        if (mk__gpu_tlsf_alloc(&b->tlsf, req->size, req->alignment, kind, &at->offset, &at->sub) == MK__GPU_OK) {
            at->block = i;
            break;
        }
    }
    if (at->block == MK__GPU_NONE) { /* every block is full: one more, if allowed */
        uint32_t i = hole != MK__GPU_NONE ? hole : h->block_top;
        if (i == layout->max_blocks)
            return MK_ENOMEM;
        mk_status_t status = mk__gpu_block_create(h, i);
        if (status != MK_OK)
            return status;
        if (mk__gpu_tlsf_alloc(&h->blocks[i].tlsf, req->size, req->alignment, kind, &at->offset, &at->sub) !=
            MK__GPU_OK) { /* alignment beyond what an empty block holds */
            mk__gpu_block_free(h, &h->blocks[i]);
            return MK_ENOMEM;
        }
        at->block = i;
    }
    mk__gpu_block_t *b = &h->blocks[at->block];
    at->memory = b->memory;
    at->mapped = b->mapped;
    b->live++;
    return MK_OK;
}

/* Undoes mk__gpu_place. */
static void mk__gpu_unplace(mk__gpu_heap_t *h, const mk__gpu_place_t *at, uint64_t size)
{
    if (at->block == MK__GPU_DEDICATED) {
        mk__gpu_memory_free(h, at->memory, at->mapped != NULL, size);
        h->dedicated--;
        h->dedicated_bytes -= size;
        return;
    }
    mk__gpu_block_t *b = &h->blocks[at->block];
    b->live--;
    if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF) {
        (void)mk__gpu_tlsf_free(&b->tlsf, at->sub);
        if (b->live == 0)
            mk__gpu_block_emptied(h, at->block);
    } /* linear: the bytes stay bumped until the slot is reset (no un-bump) */
}

/* One attempt at a buffer of `size` (image == NULL) or at memory for an image
 * of the given requirements and kind; *charge receives the bytes a refusal
 * was about. */
static mk_status_t mk__gpu_create(unsigned intent, uint64_t size, const mk_gpu_requirements_t *image,
                                  mk__gpu_kind_t kind, mk_gpu_buffer_info_t *out, uint64_t *charge)
{
    const mk_gpu_intent_layout_t *il = &mk__rt.config->gpu_intents[intent];
    mk__gpu_heap_t *h = &mk__gpu.heaps[il->heap];
    mk__gpu_intent_t *in = &mk__gpu.intents[intent];
    if (h->layout->kind == MK_GPU_HEAP_KIND_LINEAR) {
        if (image != NULL)
            return MK_EINVAL; /* no granularity bookkeeping in a bump allocator */
        mk_status_t status = mk__gpu_slot_ready();
        if (status != MK_OK)
            return status;
    }
    uint32_t index = mk__gpu.rec_free;
    if (index == MK__GPU_NONE && mk__gpu.rec_touched == MKG_GPU_MAX_BUFFERS)
        return MK_EFULL;
    if (image != NULL && !h->layout->images)
        return MK_EINVAL; /* its buffers are ranges of one VkBuffer per block: no room for images */
    /* A range of the block's buffer, except above half a block: a dedicated allocation and buffer. */
    bool shared = image == NULL && h->shared &&
                  (h->layout->kind == MK_GPU_HEAP_KIND_LINEAR || size <= h->layout->block / 2u);
    mk_gpu_buffer_t buf = 0;
    mk_gpu_requirements_t req;
    if (image != NULL)
        req = *image;
    else if (shared)
        req = (mk_gpu_requirements_t){mk__gpu_align_up(size, MK__GPU_RANGE_ALIGNMENT), h->sub_alignment,
                                      1u << h->type};
    else if (mk__gpu.be.create_buffer(mk__gpu.be.user, size, il->usage, &buf, &req) != MK_GPU_OK)
        return MK_ENOMEM;
    *charge = req.size;
    mk_status_t status = MK_OK;
    if ((req.memory_type_bits & (1u << h->type)) == 0 || !mk__gpu_request_ok(req.size, req.alignment))
        status = MK_EINVAL;
    else if (mk__gpu_over(h->charged, req.size, h->layout->budget) || mk__gpu_over(in->charged, req.size, il->budget) ||
             mk__gpu_over(mk__gpu.charged, req.size, mk__rt.config->gpu_budget))
        status = MK_EBUDGET;
    mk__gpu_place_t at = {MK__GPU_NONE, 0, 0, 0, NULL};
    if (status == MK_OK)
        status = mk__gpu_place(h, &req, kind, &at);
    if (status == MK_OK && buf != 0 && mk__gpu.be.bind_buffer(mk__gpu.be.user, buf, at.memory, at.offset) != MK_GPU_OK) {
        mk__gpu_unplace(h, &at, req.size);
        status = MK_ENOMEM;
    }
    if (status != MK_OK) {
        mk__gpu.be.destroy_buffer(mk__gpu.be.user, buf);
        return status;
    }
    if (index == MK__GPU_NONE)
        index = mk__gpu.rec_touched++;
    else
        mk__gpu.rec_free = mk__gpu.recs[index].next;
    mk__gpu_rec_t *rec = &mk__gpu.recs[index];
    if (at.block != MK__GPU_DEDICATED && h->layout->kind == MK_GPU_HEAP_KIND_TLSF)
        h->blocks[at.block].owners[at.sub] = index;
    rec->buffer = shared ? h->blocks[at.block].buffer : buf;
    rec->own_buffer = buf != 0;
    rec->memory = at.memory;
    rec->mapped = at.mapped != NULL ? at.mapped + at.offset : NULL;
    rec->offset = at.offset;
    rec->size = image != NULL ? req.size : size;
    rec->charged = req.size;
    rec->last_frame = mk__gpu_using_frame();
    rec->block = at.block;
    rec->sub = at.sub;
    rec->heap = il->heap;
    rec->intent = (uint8_t)intent;
    rec->state = MK__GPU_REC_LIVE;
    rec->kind = (uint8_t)kind;
    h->charged += req.size;
    h->live++;
    in->charged += req.size;
    in->live++;
    in->total++;
    mk__gpu.charged += req.size;
    out->id = (uint64_t)rec->generation << 32 | (uint64_t)(index + 1u);
    out->buffer = rec->buffer;
    out->buffer_offset = mk__gpu_buffer_offset(rec);
    out->memory = at.memory;
    out->offset = at.offset;
    out->size = rec->size;
    out->mapped = rec->mapped;
    return MK_OK;
}

/* mk__gpu_create, then the intent's on_exhausted when it was refused for want
 * of room or budget; counts failures. Under the lock. */
static mk_status_t mk__gpu_create_policed(unsigned i, uint64_t size, const mk_gpu_requirements_t *image,
                                          mk__gpu_kind_t kind, mk_gpu_buffer_info_t *out)
{
    uint64_t charge = image != NULL ? image->size : size;
    mk_status_t status = mk__gpu_create(i, size, image, kind, out, &charge);
    for (int retried = 0; (status == MK_EBUDGET || status == MK_ENOMEM) && !retried; retried = 1) {
        mk_policy_t policy = (mk_policy_t)mk__rt.config->gpu_intents[i].on_exhausted;
        if (policy == MK_POLICY_PANIC) {
            char message[200];
            snprintf(message, sizeof message, "memkit: GPU intent '%s': %s of %llu bytes: %s", mk__gpu_intent_name(i),
                     image != NULL ? "image memory" : "buffer", (unsigned long long)charge, mk_status_str(status));
            mk__panic(message);
        }
        mk_gpu_oom_handler_t handler = mk__gpu.oom;
        void *user = mk__gpu.oom_user;
        if (policy != MK_POLICY_CALLBACK || handler == NULL)
            break;
        mk__gpu_unlock(); /* the handler may destroy buffers */
        int again = handler((mk_gpu_intent_id_t)i, charge, status, user);
        mk__lock(&mk__gpu.lock);
        if (!again || !mk__gpu.up)
            return mk__gpu.up ? status : MK_ESTATE;
        status = mk__gpu_create(i, size, image, kind, out, &charge);
    }
    if (status != MK_OK) {
        mk__gpu.heaps[mk__rt.config->gpu_intents[i].heap].failures++;
        mk__gpu.intents[i].failures++;
    }
    return status;
}

mk_status_t mk_gpu_buffer_create(mk_gpu_intent_id_t intent, uint64_t size, mk_gpu_buffer_info_t *out)
{
    if ((unsigned)intent >= mk__gpu_intent_count() || size == 0 || size > MK__GPU_SUB_MAX_SIZE || out == NULL)
        return MK_EINVAL;
    mk__lock(&mk__gpu.lock);
    mk_status_t status = mk__gpu.up ? mk__gpu_create_policed((unsigned)intent, size, NULL, MK__GPU_KIND_LINEAR, out)
                                    : MK_ESTATE;
    mk__gpu_unlock();
    return status;
}

mk_status_t mk_gpu_alloc(mk_gpu_intent_id_t intent, const mk_gpu_requirements_t *requirements, int optimal_tiling,
                         mk_gpu_buffer_info_t *out)
{
    if ((unsigned)intent >= mk__gpu_intent_count() || requirements == NULL || out == NULL ||
        !mk__gpu_request_ok(requirements->size, requirements->alignment))
        return MK_EINVAL;
    mk__gpu_kind_t kind = optimal_tiling ? MK__GPU_KIND_OPTIMAL : MK__GPU_KIND_LINEAR;
    mk__lock(&mk__gpu.lock);
    mk_status_t status = mk__gpu.up ? mk__gpu_create_policed((unsigned)intent, requirements->size, requirements,
                                                             kind, out)
                                    : MK_ESTATE;
    mk__gpu_unlock();
    return status;
}

/* Destroys or defers: the frame being recorded (or, between frames, the one
 * last submitted) may use the resource in the caller's own command buffers,
 * so it lives until that frame's fence. */
static mk_status_t mk__gpu_destroy(mk_gpu_buffer_id_t id, bool image)
{
    mk__lock(&mk__gpu.lock);
    mk_status_t status = MK_OK;
    mk__gpu_rec_t *rec = mk__gpu.up ? mk__gpu_lookup(id) : NULL;
    if (!mk__gpu.up) {
        status = MK_ESTATE;
    } else if (rec == NULL || (rec->buffer == 0) != image) {
        status = MK_EINVAL;
    } else {
        uint64_t used = mk__gpu_using_frame();
        if (rec->last_frame < used)
            rec->last_frame = used;
        if (rec->last_frame > mk__gpu.completed) {
            rec->state = MK__GPU_REC_DEFERRED;
            rec->next = mk__gpu.deferred_head;
            mk__gpu.deferred_head = (uint32_t)(rec - mk__gpu.recs);
            mk__gpu.deferred++;
        } else {
            mk__gpu_release(rec);
        }
    }
    mk__gpu_unlock();
    return status;
}

mk_status_t mk_gpu_buffer_destroy(mk_gpu_buffer_id_t buffer) { return mk__gpu_destroy(buffer, false); }

mk_status_t mk_gpu_free(mk_gpu_buffer_id_t allocation) { return mk__gpu_destroy(allocation, true); }

/* ---- host access: flush, invalidate, read ---------------------------------------- */

/* [offset, offset + size) of the record, in its allocation's coordinates and
 * rounded out to nonCoherentAtomSize (Vulkan's rule for flush/invalidate
 * ranges: the end may instead be the allocation's end). */
static void mk__gpu_atom_range(const mk__gpu_rec_t *rec, uint64_t offset, uint64_t size, uint64_t *from, uint64_t *len)
{
    const mk__gpu_heap_t *h = &mk__gpu.heaps[rec->heap];
    uint64_t atom = mk__gpu.dev.non_coherent_atom_size;
    uint64_t end_of_memory = rec->block == MK__GPU_DEDICATED ? rec->charged : h->layout->block;
    uint64_t start = rec->offset + offset;
    uint64_t end = mk__gpu_align_up(start + size, atom);
    *from = start & ~(atom - 1u);
    *len = (end > end_of_memory ? end_of_memory : end) - *from;
}

/* The checks flush, invalidate and read share: a live, mapped buffer and a range inside it. */
static mk__gpu_rec_t *mk__gpu_host_range(mk_gpu_buffer_id_t id, uint64_t offset, uint64_t size, mk_status_t *status)
{
    mk__gpu_rec_t *rec = mk__gpu.up ? mk__gpu_lookup(id) : NULL;
    *status = !mk__gpu.up ? MK_ESTATE
              : rec == NULL || rec->mapped == NULL || size == 0 || offset > rec->size || size > rec->size - offset
                  ? MK_EINVAL
                  : MK_OK;
    return *status == MK_OK ? rec : NULL;
}

/* ML303: the CPU reading memory that is device-local and not host-cached (a
 * BAR or ReBAR window on a discrete GPU: every read crosses the bus uncached). */
static void mk__gpu_check_read(const mk__gpu_rec_t *rec)
{
    const mk__gpu_heap_t *h = &mk__gpu.heaps[rec->heap];
    if ((h->type_flags & MK_GPU_MEMORY_DEVICE_LOCAL) != 0 && (h->type_flags & MK_GPU_MEMORY_HOST_CACHED) == 0)
        mk__gpu_warn(MK__ML303, rec->intent,
                     "GPU intent '%s': the CPU reads heap '%s', device-local memory that is not host-cached "
                     "(memory type %d): reads are uncached across the bus; read back through a \"readback\" heap",
                     mk__gpu_intent_name(rec->intent), h->layout->name, (int)h->type);
}

static mk_status_t mk__gpu_host_sync(mk_gpu_buffer_id_t buffer, uint64_t offset, uint64_t size, bool flush)
{
    mk__lock(&mk__gpu.lock);
    mk_status_t status;
    mk__gpu_rec_t *rec = mk__gpu_host_range(buffer, offset, size, &status);
    if (rec != NULL) {
        const mk__gpu_heap_t *h = &mk__gpu.heaps[rec->heap];
        if (mk__gpu_in_flight(rec))
            mk__gpu_warn(MK__ML302, rec->intent,
                         "GPU intent '%s': the CPU %s a buffer of heap '%s' while frame %llu, which uses it, is still "
                         "in flight (completed: %llu); wait for its fence (mk_gpu_read waits for you)",
                         mk__gpu_intent_name(rec->intent), flush ? "flushes writes to" : "invalidates",
                         h->layout->name, (unsigned long long)rec->last_frame, (unsigned long long)mk__gpu.completed);
        if (!flush)
            mk__gpu_check_read(rec);
        if (!h->coherent) {
            uint64_t from, len;
            mk__gpu_atom_range(rec, offset, size, &from, &len);
            mk_gpu_result_t r = flush ? mk__gpu.be.flush(mk__gpu.be.user, rec->memory, from, len)
                                      : mk__gpu.be.invalidate(mk__gpu.be.user, rec->memory, from, len);
            status = mk__gpu_status(r);
        }
    }
    mk__gpu_unlock();
    return status;
}

mk_status_t mk_gpu_flush(mk_gpu_buffer_id_t buffer, uint64_t offset, uint64_t size)
{
    return mk__gpu_host_sync(buffer, offset, size, true);
}

mk_status_t mk_gpu_invalidate(mk_gpu_buffer_id_t buffer, uint64_t offset, uint64_t size)
{
    return mk__gpu_host_sync(buffer, offset, size, false);
}

mk_status_t mk_gpu_read(mk_gpu_buffer_id_t buffer, uint64_t offset, void *out, uint64_t size)
{
    if (out == NULL)
        return MK_EINVAL;
    mk__lock(&mk__gpu.lock);
    mk_status_t status;
    mk__gpu_rec_t *rec = mk__gpu_host_range(buffer, offset, size, &status);
    if (rec != NULL && rec->last_frame > mk__gpu.completed) {
        status = mk__gpu_poll(0); /* frames done since the last call count now */
        if (status == MK_OK && rec->last_frame > mk__gpu.completed)
            status = MK_PENDING;
    }
    if (rec != NULL && status == MK_OK) {
        mk__gpu_check_read(rec);
        if (!mk__gpu.heaps[rec->heap].coherent) {
            uint64_t from, len;
            mk__gpu_atom_range(rec, offset, size, &from, &len);
            status = mk__gpu_status(mk__gpu.be.invalidate(mk__gpu.be.user, rec->memory, from, len));
        }
        if (status == MK_OK)
            memcpy(out, rec->mapped + offset, (size_t)size);
    }
    mk__gpu_unlock();
    return status;
}

/* ---- transfers ------------------------------------------------------------------ */

static mk_status_t mk__gpu_upload(mk__gpu_rec_t *rec, uint64_t offset, const void *src, uint64_t size)
{
    mk__gpu_heap_t *h = &mk__gpu.heaps[mk__gpu.ring_heap];
    uint64_t atom = mk__gpu.dev.non_coherent_atom_size;
    uint64_t alignment = h->coherent || atom < MK__GPU_UPLOAD_ALIGNMENT ? MK__GPU_UPLOAD_ALIGNMENT : atom;
    uint64_t at = 0;
    for (;;) {
        mk__gpu_status_t s = mk__gpu_ring_alloc(&mk__gpu.ring, size, alignment, mk__gpu.frame, &at);
        if (s == MK__GPU_OK)
            break;
        if (s == MK__GPU_EINVAL)
            return MK_EINVAL;
        if (mk__gpu.completed + 1 >= mk__gpu.frame) /* only this frame's uploads are in the ring */
            return MK_ENOMEM;
        if (h->layout->backpressure == MK_BACKPRESSURE_FAIL) {
            mk_status_t status = mk__gpu_poll(0); /* what has signalled already may free room */
            if (status != MK_OK)
                return status;
            if (mk__gpu_ring_alloc(&mk__gpu.ring, size, alignment, mk__gpu.frame, &at) == MK__GPU_OK)
                break;
            return MK_EFULL;
        }
        mk_status_t status = mk__gpu_poll(mk__gpu.completed + 1); /* wait for the oldest frame */
        if (status != MK_OK)
            return status;
    }
    mk__gpu_block_t *b = &h->blocks[0];
    memcpy(b->mapped + at, src, (size_t)size);
    if (!h->coherent) {
        uint64_t from = at & ~(atom - 1u);
        uint64_t to = mk__gpu_align_up(at + size, atom);
        if (to > h->layout->block)
            to = h->layout->block; /* Vulkan allows a range that ends at the allocation's end */
        if (mk__gpu.be.flush(mk__gpu.be.user, b->memory, from, to - from) != MK_GPU_OK)
            return MK_ENOMEM;
    }
    mk_status_t status =
        mk__gpu_status(mk__gpu.be.copy(mk__gpu.be.user, mk__gpu.ring_buffer, at, rec->buffer,
                                       mk__gpu_buffer_offset(rec) + offset, size));
    if (status == MK_OK) {
        mk__gpu.batch_copies++;
        rec->last_frame = mk__gpu.frame;
        if (rec->mapped != NULL)
            mk__gpu_warn(MK__ML305, rec->intent,
                         "GPU intent '%s': an upload goes through the staging ring into a buffer of heap '%s', which "
                         "is host-visible and mapped: write through mk_gpu_buffer_info_t.mapped instead (one copy, "
                         "no transfer)",
                         mk__gpu_intent_name(rec->intent), mk__gpu.heaps[rec->heap].layout->name);
    }
    return status;
}

mk_status_t mk_gpu_upload(mk_gpu_buffer_id_t buffer, uint64_t offset, const void *src, uint64_t size)
{
    if (src == NULL || size == 0)
        return MK_EINVAL;
    mk__lock(&mk__gpu.lock);
    mk_status_t status;
    mk__gpu_rec_t *rec = mk__gpu.up ? mk__gpu_lookup(buffer) : NULL;
    if (!mk__gpu.up)
        status = MK_ESTATE;
    else if (rec == NULL || rec->buffer == 0 || mk__gpu.ring_heap == MK__GPU_NONE || offset > rec->size ||
             size > rec->size - offset || size > mk__gpu.heaps[mk__gpu.ring_heap].layout->block)
        status = MK_EINVAL;
    else
        status = mk__gpu_upload(rec, offset, src, size);
    mk__gpu_unlock();
    return status;
}

mk_status_t mk_gpu_download(mk_gpu_buffer_id_t src, uint64_t src_offset, mk_gpu_buffer_id_t dst, uint64_t dst_offset,
                            uint64_t size)
{
    mk__lock(&mk__gpu.lock);
    mk_status_t status = MK_OK;
    mk__gpu_rec_t *from = mk__gpu.up ? mk__gpu_lookup(src) : NULL;
    mk__gpu_rec_t *to = mk__gpu.up ? mk__gpu_lookup(dst) : NULL;
    if (!mk__gpu.up)
        status = MK_ESTATE;
    else if (from == NULL || to == NULL || from == to || from->buffer == 0 || to->buffer == 0 || size == 0 ||
             src_offset > from->size || size > from->size - src_offset || dst_offset > to->size ||
             size > to->size - dst_offset)
        status = MK_EINVAL;
    else
        status = mk__gpu_status(
            mk__gpu.be.copy(mk__gpu.be.user, from->buffer, mk__gpu_buffer_offset(from) + src_offset, to->buffer,
                            mk__gpu_buffer_offset(to) + dst_offset, size));
    if (status == MK_OK) {
        mk__gpu.batch_copies++;
        from->last_frame = to->last_frame = mk__gpu.frame;
    }
    mk__gpu_unlock();
    return status;
}

/* ---- frames -------------------------------------------------------------------- */

mk_status_t mk_gpu_begin_frame(void)
{
    mk__lock(&mk__gpu.lock);
    mk_status_t status = MK_ESTATE;
    if (mk__gpu.up && !mk__gpu.in_frame) {
        status = mk__gpu_slot_ready();
        if (status == MK_OK)
            status = mk__gpu_poll(0);
        mk__gpu.in_frame = status == MK_OK;
    }
    mk__gpu_unlock();
    return status;
}

mk_status_t mk_gpu_end_frame(void)
{
    mk__lock(&mk__gpu.lock);
    mk_status_t status = MK_ESTATE;
    if (mk__gpu.up && mk__gpu.in_frame) {
        mk_gpu_fence_t fence = 0;
        status = mk__gpu_status(mk__gpu.be.submit(mk__gpu.be.user, &fence));
        if (status == MK_OK) {
            mk__gpu.fences[mk__gpu.frame % mk__gpu.frames] = fence;
            mk__gpu.frame++;
            mk__gpu.batch_copies = 0;
            mk__gpu.in_frame = false;
            (void)mk__gpu_poll(0); /* what is already done comes back now */
        }
    }
    mk__gpu_unlock();
    return status;
}

mk_status_t mk_gpu_wait_idle(void)
{
    mk__lock(&mk__gpu.lock);
    mk_status_t status = mk__gpu.up ? mk__gpu_poll(mk__gpu.frame - 1u) : MK_ESTATE;
    mk__gpu_unlock();
    return status;
}
