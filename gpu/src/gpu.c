/* gpu.c — the GPU tier's runtime (memkit/gpu.h): heaps of device memory
 * blocks, buffers sub-allocated in them, per-frame linear heaps, the staging
 * ring, frames and fences, budgets and statistics.
 *
 * Compiled into the runtime library with the generated config, like async/.
 * It calls the device only through the mk_gpu_backend_t the user passes to
 * mk_gpu_init; the backends themselves (backend_vulkan.c, backend_mock.c) are
 * not part of the library.
 *
 * State: one static struct under one lock. Tables that depend on the device
 * or grow with use (blocks per heap, TLSF nodes per block, buffer records)
 * are mapped with mk__prim_reserve at init or when a block is created, so the
 * tier never calls malloc.
 */
#include "internal.h"

#include <memkit/gpu.h>

#include "backend.h"
#include "suballoc.h"

#include <string.h>

/* Buffers live at once (records mapped at init, touched as used). */
#ifndef MK_GPU_MAX_BUFFERS
#define MK_GPU_MAX_BUFFERS 65536u
#endif
/* Allocations one TLSF block holds for sure (its node array is sized for them). */
#ifndef MK_GPU_BLOCK_ALLOCATIONS
#define MK_GPU_BLOCK_ALLOCATIONS 4096u
#endif
#define MK__GPU_MAX_FRAMES 16u
#define MK__GPU_BLOCK_NODES MK__GPU_TLSF_NODES_FOR(MK_GPU_BLOCK_ALLOCATIONS)
#define MK__GPU_DEDICATED UINT32_MAX /* a record's block: its own allocation */
#define MK__GPU_NONE UINT32_MAX
#define MK__GPU_USAGE_TRANSFER_SRC 0x1u /* VK_BUFFER_USAGE_TRANSFER_SRC_BIT */
#define MK__GPU_UPLOAD_ALIGNMENT 16u    /* ring offsets: a multiple of the copy's optimal alignment */

typedef struct mk__gpu_block {
    mk_gpu_memory_t memory; /* 0: not allocated */
    unsigned char *mapped;  /* persistent map, or NULL */
    mk__gpu_tlsf_node_t *nodes;
    mk__gpu_tlsf_t tlsf;     /* TLSF heaps */
    mk__gpu_linear_t linear; /* linear heaps: block i serves frame slot i */
} mk__gpu_block_t;

typedef struct mk__gpu_heap {
    const mk_gpu_heap_layout_t *layout;
    int32_t type;
    uint32_t type_flags, cost;
    bool mapped, coherent;
    mk__gpu_block_t *blocks; /* [layout->max_blocks] */
    uint32_t block_count;    /* blocks [0, block_count) are allocated */
    uint32_t dedicated;
    uint64_t dedicated_bytes;
    uint64_t charged, live, failures;
} mk__gpu_heap_t;

typedef struct mk__gpu_intent {
    uint64_t charged, live, total, failures;
} mk__gpu_intent_t;

enum { MK__GPU_REC_FREE = 0, MK__GPU_REC_LIVE, MK__GPU_REC_DEFERRED };

typedef struct mk__gpu_rec {
    mk_gpu_buffer_t buffer;
    mk_gpu_memory_t memory; /* its block's, or its dedicated allocation */
    unsigned char *mapped;  /* its first byte when mapped */
    uint64_t offset, size, charged;
    uint64_t last_frame;    /* the newest frame that used it */
    uint32_t generation;
    uint32_t next;          /* free list, or the deferred list */
    uint32_t block;         /* index in its heap, or MK__GPU_DEDICATED */
    uint32_t sub;           /* TLSF handle */
    uint8_t heap, intent, state;
} mk__gpu_rec_t;

typedef struct mk__gpu_state {
    mk__lock_t lock;
    bool up, in_frame;
    mk_gpu_backend_t be;
    mk_gpu_device_info_t dev;
    mk__gpu_heap_t heaps[MK_GPU_STATS_HEAPS];
    mk__gpu_intent_t intents[MK_GPU_STATS_INTENTS];
    uint64_t charged;
    uint32_t device_allocations;
    uint32_t frames; /* in flight */
    uint64_t frame;  /* current, from 1 */
    uint64_t completed;
    mk_gpu_fence_t fences[MK__GPU_MAX_FRAMES]; /* of frame f at f % frames */
    uint32_t batch_copies;                     /* copies recorded since the last submit */
    /* the staging ring */
    uint32_t ring_heap; /* MK__GPU_NONE: no ring */
    mk__gpu_ring_t ring;
    mk__gpu_ring_mark_t marks[MK__GPU_MAX_FRAMES + 1];
    mk_gpu_buffer_t ring_buffer;
    /* buffer records */
    mk__gpu_rec_t *recs;
    uint32_t rec_touched, rec_free, deferred_head;
    uint64_t deferred;
    mk_gpu_oom_handler_t oom;
    void *oom_user;
} mk__gpu_state_t;

static mk__gpu_state_t mk__gpu;

static inline unsigned mk__gpu_heap_count(void) { return MKG_GPU_HEAP_COUNT; }
static inline unsigned mk__gpu_intent_count(void) { return MKG_GPU_INTENT_COUNT; }

static mk_status_t mk__gpu_status(mk_gpu_result_t r)
{
    return r == MK_GPU_OK ? MK_OK : MK_ENOMEM;
}

/* ---- blocks ------------------------------------------------------------------ */

static bool mk__gpu_may_allocate(void)
{
    return mk__gpu.device_allocations < mk__gpu.dev.max_memory_allocation_count;
}

/* Allocates (and maps) block `index` of heap h. */
static mk_status_t mk__gpu_block_create(mk__gpu_heap_t *h, uint32_t index)
{
    mk__gpu_block_t *b = &h->blocks[index];
    uint64_t size = h->layout->block;
    if (!mk__gpu_may_allocate())
        return MK_ENOMEM;
    if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF && b->nodes == NULL) {
        b->nodes = mk__prim_reserve(MK__GPU_BLOCK_NODES * sizeof(mk__gpu_tlsf_node_t));
        if (b->nodes == NULL)
            return MK_ESYSTEM;
    }
    mk_gpu_memory_t mem = 0;
    mk_gpu_result_t r = mk__gpu.be.allocate(mk__gpu.be.user, (uint32_t)h->type, size, &mem);
    if (r != MK_GPU_OK)
        return MK_ENOMEM;
    void *ptr = NULL;
    if (h->mapped && (r = mk__gpu.be.map(mk__gpu.be.user, mem, &ptr)) != MK_GPU_OK) {
        mk__gpu.be.free(mk__gpu.be.user, mem);
        return MK_ENOMEM;
    }
    b->memory = mem;
    b->mapped = ptr;
    if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF)
        (void)mk__gpu_tlsf_init(&b->tlsf, size, mk__gpu.dev.buffer_image_granularity, b->nodes, MK__GPU_BLOCK_NODES);
    else
        (void)mk__gpu_linear_init(&b->linear, size);
    mk__gpu.device_allocations++;
    return MK_OK;
}

static void mk__gpu_block_free(mk__gpu_block_t *b)
{
    if (b->memory != 0) {
        if (b->mapped != NULL)
            mk__gpu.be.unmap(mk__gpu.be.user, b->memory);
        mk__gpu.be.free(mk__gpu.be.user, b->memory);
        mk__gpu.device_allocations--;
        b->memory = 0;
        b->mapped = NULL;
    }
    if (b->nodes != NULL) {
        mk__prim_release(b->nodes, MK__GPU_BLOCK_NODES * sizeof(mk__gpu_tlsf_node_t));
        b->nodes = NULL;
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
    mk__gpu.be.destroy_buffer(mk__gpu.be.user, rec->buffer);
    if (rec->block == MK__GPU_DEDICATED) {
        if (rec->mapped != NULL)
            mk__gpu.be.unmap(mk__gpu.be.user, rec->memory);
        mk__gpu.be.free(mk__gpu.be.user, rec->memory);
        mk__gpu.device_allocations--;
        h->dedicated--;
        h->dedicated_bytes -= rec->charged;
    } else if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF) {
        (void)mk__gpu_tlsf_free(&h->blocks[rec->block].tlsf, rec->sub);
    } /* linear: the slot's block is reset when its frame completes */
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
    for (unsigned i = 0; i < mk__gpu_heap_count(); i++) {
        mk__gpu_heap_t *h = &mk__gpu.heaps[i];
        if (h->layout->kind == MK_GPU_HEAP_KIND_LINEAR)
            mk__gpu_linear_reset(&h->blocks[f % mk__gpu.frames].linear);
    }
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

/* ---- init and shutdown --------------------------------------------------------- */

static size_t mk__gpu_recs_bytes(void) { return (size_t)MK_GPU_MAX_BUFFERS * sizeof(mk__gpu_rec_t); }

static size_t mk__gpu_blocks_bytes(const mk__gpu_heap_t *h)
{
    return (size_t)h->layout->max_blocks * sizeof(mk__gpu_block_t);
}

/* Frees everything on the device and the tier's tables; returns the buffers
 * that were still live. Safe on a partly built tier. */
static size_t mk__gpu_teardown(void)
{
    size_t leaks = 0;
    if (mk__gpu.batch_copies != 0) { /* uploads not yet submitted: send them, so no buffer dies under them */
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
    if (mk__gpu.ring_buffer != 0)
        mk__gpu.be.destroy_buffer(mk__gpu.be.user, mk__gpu.ring_buffer);
    mk__gpu.ring_buffer = 0;
    for (unsigned i = 0; i < mk__gpu_heap_count(); i++) {
        mk__gpu_heap_t *h = &mk__gpu.heaps[i];
        if (h->blocks == NULL)
            continue;
        for (uint32_t b = 0; b < h->layout->max_blocks; b++)
            mk__gpu_block_free(&h->blocks[b]);
        mk__prim_release(h->blocks, mk__gpu_blocks_bytes(h));
        h->blocks = NULL;
    }
    mk__gpu.up = false;
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

/* Picks heap i's memory type, maps its tables, allocates its first blocks. */
static mk_status_t mk__gpu_heap_init(unsigned i)
{
    const mk_gpu_heap_layout_t *layout = &mk__rt.config->gpu_heaps[i];
    mk__gpu_heap_t *h = &mk__gpu.heaps[i];
    h->layout = layout;
    uint32_t usage = layout->kind == MK_GPU_HEAP_KIND_RING ? MK__GPU_USAGE_TRANSFER_SRC : mk__gpu_heap_usage(i);
    uint32_t bits = UINT32_MAX;
    if (usage != 0) { /* a probe buffer says which types its kind of buffer may live in */
        mk_gpu_buffer_t probe = 0;
        mk_gpu_requirements_t req;
        if (mk__gpu.be.create_buffer(mk__gpu.be.user, 4096u, usage, &probe, &req) != MK_GPU_OK)
            return MK_ENOMEM;
        mk__gpu.be.destroy_buffer(mk__gpu.be.user, probe);
        bits = req.memory_type_bits;
    }
    mk_gpu_memory_want_t want = {layout->required, layout->preferred, layout->not_preferred};
    int type = mk__gpu_memory_type(mk__gpu.dev.type_flags, mk__gpu.dev.type_count, bits, want, &h->cost);
    if (type < 0)
        return MK_EINVAL;
    h->type = type;
    h->type_flags = mk__gpu.dev.type_flags[type];
    h->mapped = layout->mapped && (h->type_flags & MK_GPU_MEMORY_HOST_VISIBLE) != 0;
    h->coherent = (h->type_flags & MK_GPU_MEMORY_HOST_COHERENT) != 0;
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
    for (; h->block_count < first; h->block_count++) {
        mk_status_t status = mk__gpu_block_create(h, h->block_count);
        if (status != MK_OK)
            return status;
    }
    if (layout->kind == MK_GPU_HEAP_KIND_RING && mk__gpu.ring_heap == MK__GPU_NONE) {
        mk_gpu_requirements_t req;
        if (mk__gpu.be.create_buffer(mk__gpu.be.user, layout->block, MK__GPU_USAGE_TRANSFER_SRC, &mk__gpu.ring_buffer,
                                     &req) != MK_GPU_OK)
            return MK_ENOMEM;
        if ((req.memory_type_bits & (1u << type)) == 0 || req.size > layout->block)
            return MK_EINVAL;
        if (mk__gpu.be.bind_buffer(mk__gpu.be.user, mk__gpu.ring_buffer, h->blocks[0].memory, 0) != MK_GPU_OK)
            return MK_ENOMEM;
        (void)mk__gpu_ring_init(&mk__gpu.ring, layout->block, mk__gpu.marks, mk__gpu.frames + 1u);
        mk__gpu.ring_heap = i;
    }
    return MK_OK;
}

mk_status_t mk_gpu_init(const mk_gpu_backend_t *backend)
{
    if (!mk__rt.initialised || mk__gpu.up)
        return MK_ESTATE;
    if (backend == NULL || backend->device_info == NULL || backend->allocate == NULL || backend->free == NULL ||
        backend->map == NULL || backend->unmap == NULL || backend->flush == NULL || backend->create_buffer == NULL ||
        backend->destroy_buffer == NULL || backend->bind_buffer == NULL || backend->copy == NULL ||
        backend->submit == NULL || backend->fence_signaled == NULL || backend->fence_wait == NULL ||
        backend->fence_release == NULL)
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
        !mk__gpu_is_pow2(mk__gpu.dev.buffer_image_granularity))
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
    return MK_OK;
}

size_t mk_gpu_shutdown(void)
{
    mk__lock(&mk__gpu.lock);
    size_t leaks = mk__gpu.up ? mk__gpu_teardown() : 0;
    mk__unlock(&mk__gpu.lock);
    return leaks;
}

size_t mk__gpu_fini(void) { return mk_gpu_shutdown(); }

void mk_gpu_set_oom_handler(mk_gpu_oom_handler_t handler, void *user)
{
    mk__lock(&mk__gpu.lock);
    mk__gpu.oom = handler;
    mk__gpu.oom_user = user;
    mk__unlock(&mk__gpu.lock);
}

/* ---- buffers ------------------------------------------------------------------- */

static bool mk__gpu_over(uint64_t used, uint64_t charge, uint64_t budget)
{
    return budget != 0 && (charge > budget || used > budget - charge);
}

/* Places `req` in heap h: *block, *sub, *offset, *memory, *mapped. */
static mk_status_t mk__gpu_place(mk__gpu_heap_t *h, const mk_gpu_requirements_t *req, uint32_t *block, uint32_t *sub,
                                 uint64_t *offset, mk_gpu_memory_t *memory, unsigned char **mapped)
{
    const mk_gpu_heap_layout_t *layout = h->layout;
    if (layout->kind == MK_GPU_HEAP_KIND_LINEAR) {
        uint32_t slot = (uint32_t)(mk__gpu.frame % mk__gpu.frames);
        mk__gpu_block_t *b = &h->blocks[slot];
        if (mk__gpu_linear_alloc(&b->linear, req->size, req->alignment, offset) != MK__GPU_OK)
            return MK_ENOMEM;
        *block = slot;
        *memory = b->memory;
        *mapped = b->mapped;
        return MK_OK;
    }
    if (req->size > layout->block / 2u) { /* dedicated */
        if (!mk__gpu_may_allocate())
            return MK_ENOMEM;
        mk_gpu_memory_t mem = 0;
        if (mk__gpu.be.allocate(mk__gpu.be.user, (uint32_t)h->type, req->size, &mem) != MK_GPU_OK)
            return MK_ENOMEM;
        void *ptr = NULL;
        if (h->mapped && mk__gpu.be.map(mk__gpu.be.user, mem, &ptr) != MK_GPU_OK) {
            mk__gpu.be.free(mk__gpu.be.user, mem);
            return MK_ENOMEM;
        }
        mk__gpu.device_allocations++;
        h->dedicated++;
        h->dedicated_bytes += req->size;
        *block = MK__GPU_DEDICATED;
        *offset = 0;
        *memory = mem;
        *mapped = ptr;
        return MK_OK;
    }
    for (uint32_t i = 0;; i++) {
        if (i == h->block_count) { /* every block is full: one more, if allowed */
            if (i == layout->max_blocks)
                return MK_ENOMEM;
            mk_status_t status = mk__gpu_block_create(h, i);
            if (status != MK_OK)
                return status;
            h->block_count++;
        }
        mk__gpu_block_t *b = &h->blocks[i];
        if (mk__gpu_tlsf_alloc(&b->tlsf, req->size, req->alignment, MK__GPU_KIND_LINEAR, offset, sub) == MK__GPU_OK) {
            *block = i;
            *memory = b->memory;
            *mapped = b->mapped;
            return MK_OK;
        }
    }
}

/* Undoes mk__gpu_place. */
static void mk__gpu_unplace(mk__gpu_heap_t *h, uint32_t block, uint32_t sub, mk_gpu_memory_t memory, bool mapped,
                            uint64_t size)
{
    if (block == MK__GPU_DEDICATED) {
        if (mapped)
            mk__gpu.be.unmap(mk__gpu.be.user, memory);
        mk__gpu.be.free(mk__gpu.be.user, memory);
        mk__gpu.device_allocations--;
        h->dedicated--;
        h->dedicated_bytes -= size;
    } else if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF) {
        (void)mk__gpu_tlsf_free(&h->blocks[block].tlsf, sub);
    } /* linear: the bytes stay bumped until the frame resets (no un-bump) */
}

/* One attempt; *charge receives the bytes a budget refusal was about. */
static mk_status_t mk__gpu_create(unsigned intent, uint64_t size, mk_gpu_buffer_info_t *out, uint64_t *charge)
{
    const mk_gpu_intent_layout_t *il = &mk__rt.config->gpu_intents[intent];
    mk__gpu_heap_t *h = &mk__gpu.heaps[il->heap];
    mk__gpu_intent_t *in = &mk__gpu.intents[intent];
    if (h->layout->kind == MK_GPU_HEAP_KIND_LINEAR) {
        mk_status_t status = mk__gpu_slot_ready();
        if (status != MK_OK)
            return status;
    }
    uint32_t index = mk__gpu.rec_free;
    if (index == MK__GPU_NONE && mk__gpu.rec_touched == MK_GPU_MAX_BUFFERS)
        return MK_EFULL;
    mk_gpu_buffer_t buf = 0;
    mk_gpu_requirements_t req;
    if (mk__gpu.be.create_buffer(mk__gpu.be.user, size, il->usage, &buf, &req) != MK_GPU_OK)
        return MK_ENOMEM;
    *charge = req.size;
    mk_status_t status = MK_OK;
    if ((req.memory_type_bits & (1u << h->type)) == 0)
        status = MK_EINVAL;
    else if (mk__gpu_over(h->charged, req.size, h->layout->budget) || mk__gpu_over(in->charged, req.size, il->budget) ||
             mk__gpu_over(mk__gpu.charged, req.size, mk__rt.config->gpu_budget))
        status = MK_EBUDGET;
    uint32_t block = 0, sub = 0;
    uint64_t offset = 0;
    mk_gpu_memory_t memory = 0;
    unsigned char *mapped = NULL;
    if (status == MK_OK)
        status = mk__gpu_place(h, &req, &block, &sub, &offset, &memory, &mapped);
    if (status == MK_OK && mk__gpu.be.bind_buffer(mk__gpu.be.user, buf, memory, offset) != MK_GPU_OK) {
        mk__gpu_unplace(h, block, sub, memory, mapped != NULL, req.size);
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
    rec->buffer = buf;
    rec->memory = memory;
    rec->mapped = mapped != NULL && block != MK__GPU_DEDICATED ? mapped + offset : mapped;
    rec->offset = offset;
    rec->size = size;
    rec->charged = req.size;
    rec->last_frame = mk__gpu.frame;
    rec->block = block;
    rec->sub = sub;
    rec->heap = il->heap;
    rec->intent = (uint8_t)intent;
    rec->state = MK__GPU_REC_LIVE;
    h->charged += req.size;
    h->live++;
    in->charged += req.size;
    in->live++;
    in->total++;
    mk__gpu.charged += req.size;
    out->id = (uint64_t)rec->generation << 32 | (uint64_t)(index + 1u);
    out->buffer = buf;
    out->memory = memory;
    out->offset = offset;
    out->size = size;
    out->mapped = rec->mapped;
    return MK_OK;
}

mk_status_t mk_gpu_buffer_create(mk_gpu_intent_id_t intent, uint64_t size, mk_gpu_buffer_info_t *out)
{
    if ((unsigned)intent >= mk__gpu_intent_count() || size == 0 || size > MK__GPU_SUB_MAX_SIZE || out == NULL)
        return MK_EINVAL;
    mk__lock(&mk__gpu.lock);
    if (!mk__gpu.up) {
        mk__unlock(&mk__gpu.lock);
        return MK_ESTATE;
    }
    unsigned i = (unsigned)intent;
    uint64_t charge = size;
    mk_status_t status = mk__gpu_create(i, size, out, &charge);
    for (int retried = 0; status == MK_EBUDGET && !retried; retried = 1) {
        mk_policy_t policy = (mk_policy_t)mk__rt.config->gpu_intents[i].on_exhausted;
        if (policy == MK_POLICY_PANIC) {
            char message[160];
            snprintf(message, sizeof message, "memkit: GPU intent '%s': buffer of %llu bytes: %s",
                     mk__rt.config->gpu_intents[i].name, (unsigned long long)charge, mk_status_str(MK_EBUDGET));
            mk__prim_panic(message);
        }
        mk_gpu_oom_handler_t handler = mk__gpu.oom;
        void *user = mk__gpu.oom_user;
        if (policy != MK_POLICY_CALLBACK || handler == NULL)
            break;
        mk__unlock(&mk__gpu.lock); /* the handler may destroy buffers */
        int again = handler(intent, charge, MK_EBUDGET, user);
        mk__lock(&mk__gpu.lock);
        if (!again || !mk__gpu.up)
            break;
        status = mk__gpu_create(i, size, out, &charge);
    }
    if (status != MK_OK && mk__gpu.up) {
        mk__gpu.heaps[mk__rt.config->gpu_intents[i].heap].failures++;
        mk__gpu.intents[i].failures++;
    }
    mk__unlock(&mk__gpu.lock);
    return status;
}

mk_status_t mk_gpu_buffer_destroy(mk_gpu_buffer_id_t buffer)
{
    mk__lock(&mk__gpu.lock);
    mk_status_t status = MK_OK;
    mk__gpu_rec_t *rec = mk__gpu.up ? mk__gpu_lookup(buffer) : NULL;
    if (!mk__gpu.up) {
        status = MK_ESTATE;
    } else if (rec == NULL) {
        status = MK_EINVAL;
    } else if (rec->last_frame > mk__gpu.completed) { /* its frame may still be running */
        rec->state = MK__GPU_REC_DEFERRED;
        rec->next = mk__gpu.deferred_head;
        mk__gpu.deferred_head = (uint32_t)(rec - mk__gpu.recs);
        mk__gpu.deferred++;
    } else {
        mk__gpu_release(rec);
    }
    mk__unlock(&mk__gpu.lock);
    return status;
}

/* ---- uploads ------------------------------------------------------------------- */

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
        mk__gpu_status(mk__gpu.be.copy(mk__gpu.be.user, mk__gpu.ring_buffer, at, rec->buffer, offset, size));
    if (status == MK_OK) {
        mk__gpu.batch_copies++;
        rec->last_frame = mk__gpu.frame;
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
    else if (rec == NULL || mk__gpu.ring_heap == MK__GPU_NONE || offset > rec->size || size > rec->size - offset ||
             size > mk__gpu.heaps[mk__gpu.ring_heap].layout->block)
        status = MK_EINVAL;
    else
        status = mk__gpu_upload(rec, offset, src, size);
    mk__unlock(&mk__gpu.lock);
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
    mk__unlock(&mk__gpu.lock);
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
    mk__unlock(&mk__gpu.lock);
    return status;
}

/* ---- statistics ---------------------------------------------------------------- */

mk_status_t mk_gpu_stats_get(mk_gpu_stats_t *out)
{
    if (out == NULL)
        return MK_EINVAL;
    mk__lock(&mk__gpu.lock);
    if (!mk__gpu.up) {
        mk__unlock(&mk__gpu.lock);
        return MK_ESTATE;
    }
    memset(out, 0, sizeof *out);
    out->heap_count = mk__gpu_heap_count();
    out->intent_count = mk__gpu_intent_count();
    for (unsigned i = 0; i < mk__gpu_heap_count(); i++) {
        const mk__gpu_heap_t *h = &mk__gpu.heaps[i];
        mk_gpu_heap_stats_t *s = &out->heaps[i];
        s->name = h->layout->name;
        s->memory_type = h->type;
        s->memory_flags = h->type_flags;
        s->memory_cost = h->cost;
        s->blocks = h->block_count;
        s->dedicated = h->dedicated;
        s->block_bytes = (uint64_t)h->block_count * h->layout->block + h->dedicated_bytes;
        s->bytes_used = h->charged;
        s->allocations = h->live;
        s->failures = h->failures;
        for (uint32_t b = 0; b < h->block_count; b++) {
            const mk__gpu_block_t *blk = &h->blocks[b];
            uint64_t free_bytes, largest;
            if (h->layout->kind == MK_GPU_HEAP_KIND_TLSF) {
                free_bytes = mk__gpu_tlsf_free_bytes(&blk->tlsf);
                largest = mk__gpu_tlsf_largest_free(&blk->tlsf);
            } else if (h->layout->kind == MK_GPU_HEAP_KIND_LINEAR) {
                free_bytes = largest = blk->linear.size - blk->linear.top;
            } else {
                free_bytes = largest = h->layout->block - mk__gpu_ring_used(&mk__gpu.ring);
            }
            s->bytes_free += free_bytes;
            if (largest > s->largest_free)
                s->largest_free = largest;
        }
    }
    for (unsigned i = 0; i < mk__gpu_intent_count(); i++) {
        const mk__gpu_intent_t *in = &mk__gpu.intents[i];
        mk_gpu_intent_stats_t *s = &out->intents[i];
        s->name = mk__rt.config->gpu_intents[i].name;
        s->bytes = in->charged;
        s->allocations = in->live;
        s->total_allocations = in->total;
        s->failures = in->failures;
    }
    out->bytes = mk__gpu.charged;
    out->frame = mk__gpu.frame;
    out->completed_frame = mk__gpu.completed;
    out->device_allocations = mk__gpu.device_allocations;
    out->deferred = mk__gpu.deferred;
    out->ring_used = mk__gpu.ring_heap != MK__GPU_NONE ? mk__gpu_ring_used(&mk__gpu.ring) : 0;
    mk__unlock(&mk__gpu.lock);
    return MK_OK;
}
