/* test_backend_vulkan.c — the Vulkan backend (gpu/src/backend_vulkan.h) on a
 * real Vulkan driver (lavapipe in CI) with VK_LAYER_KHRONOS_validation and
 * synchronization validation on, a debug messenger counting errors and
 * warnings: zero validation errors is an assertion.
 *
 * Through the backend only: device info; memory-type choice for an upload and
 * a device-local heap; a host-visible block holding a staging buffer and a
 * readback buffer, a device block holding twelve buffers of assorted sizes
 * bound at offsets honouring their alignment; ten frames over three staging
 * slots ("frames in flight", each with its fences, the oldest waited for
 * before its space is reused): patterns written through the mapping (+ flush
 * on non-coherent memory), copied staging -> device (each buffer written twice,
 * the second copy overwriting its first half in the same batch), then
 * device -> readback (in the same batch on even frames, in a second submit on
 * odd ones), compared byte for byte after the fence (+ invalidate).
 *
 * The device comes from examples/vulkan_device.h through vulkan_harness.h:
 * lavapipe unless VK_ICD_FILENAMES or VK_DRIVER_FILES names a driver; no
 * driver: "SKIP" and exit 77; no validation layer: a failure, unless
 * MK_ALLOW_NO_VALIDATION=1.
 */
#include "backend_vulkan.h"
#include "../unit_check.h"
#include "vulkan_harness.h"
#include "wants.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the transfers ----------------------------------------------------------- */

#define BUFFERS 12u
#define SLOTS 3u
#define FRAMES 10u
#define WAIT_NS 10000000000ull /* 10 s: lavapipe is slow, never that slow */

static const uint64_t sizes[BUFFERS] = {1, 3, 64, 100, 255, 256, 1000, 4096, 4097, 65536, 100000, (1u << 20) + 13u};

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1u) & ~(a - 1u); }

static unsigned char pattern(unsigned seed, uint64_t i) { return (unsigned char)(seed * 13u + i * 31u + (i >> 8)); }

static unsigned seed_of(unsigned frame, unsigned buffer, unsigned second)
{
    return frame * 131u + buffer * 7u + 1u + second * 0x5au;
}

typedef struct frame_slot {
    mk_gpu_fence_t fences[2];
    uint32_t fence_count;
    unsigned frame;
    bool used[BUFFERS];
} frame_slot_t;

typedef struct transfer_test {
    mk_gpu_backend_t b;
    mk_gpu_device_info_t d;
    mk_gpu_buffer_t device[BUFFERS], staging, readback;
    mk_gpu_memory_t device_mem, host_mem;
    bool host_coherent;
    unsigned char *host;                      /* the host block's mapping */
    uint64_t staging_at[BUFFERS], readback_at[BUFFERS]; /* within a slot */
    uint64_t staging_slot, readback_slot;     /* bytes per slot, multiples of the atom */
    uint64_t readback_base;                   /* the readback buffer's offset in the host block */
    frame_slot_t slots[SLOTS];
    unsigned long bytes_verified, mismatches;
} transfer_test_t;

/* Waits for a slot's fences, then checks what its frame read back. */
static void finish_slot(transfer_test_t *t, uint32_t s)
{
    frame_slot_t *slot = &t->slots[s];
    if (slot->fence_count == 0u)
        return;
    for (uint32_t i = 0; i < slot->fence_count; i++) {
        CHECK_EQ(t->b.fence_wait(t->b.user, slot->fences[i], WAIT_NS), MK_GPU_OK);
        CHECK_EQ(t->b.fence_signaled(t->b.user, slot->fences[i]), MK_GPU_OK);
    }
    uint64_t base = t->readback_base + s * t->readback_slot;
    if (!t->host_coherent)
        CHECK_EQ(t->b.invalidate(t->b.user, t->host_mem, base, t->readback_slot), MK_GPU_OK);
    for (unsigned i = 0; i < BUFFERS; i++) {
        if (!slot->used[i])
            continue;
        const unsigned char *got = t->host + base + t->readback_at[i];
        uint64_t half = sizes[i] / 2u;
        unsigned first = seed_of(slot->frame, i, 0), second = seed_of(slot->frame, i, 1);
        for (uint64_t j = 0; j < sizes[i]; j++) {
            unsigned char want = j < half ? pattern(second, j) : pattern(first, j);
            if (got[j] != want) {
                if (t->mismatches++ < 10u)
                    fprintf(stderr, "frame %u buffer %u (%llu bytes) byte %llu: got 0x%02x, want 0x%02x\n",
                            slot->frame, i, (unsigned long long)sizes[i], (unsigned long long)j, got[j], want);
            } else {
                t->bytes_verified++;
            }
        }
    }
    for (uint32_t i = 0; i < slot->fence_count; i++)
        t->b.fence_release(t->b.user, slot->fences[i]);
    slot->fence_count = 0;
}

static void run_frame(transfer_test_t *t, unsigned frame)
{
    uint32_t s = frame % SLOTS;
    frame_slot_t *slot = &t->slots[s];
    finish_slot(t, s); /* the oldest frame in flight: its staging and readback space is ours again */
    slot->frame = frame;
    unsigned char *staging = t->host + s * t->staging_slot;
    for (unsigned i = 0; i < BUFFERS; i++) {
        slot->used[i] = (i + frame) % 3u != 0u;
        if (!slot->used[i])
            continue;
        unsigned char *p = staging + t->staging_at[i];
        uint64_t half = sizes[i] / 2u;
        for (uint64_t j = 0; j < sizes[i]; j++)
            p[j] = pattern(seed_of(frame, i, 0), j);
        for (uint64_t j = 0; j < half; j++)
            p[sizes[i] + j] = pattern(seed_of(frame, i, 1), j);
    }
    if (!t->host_coherent)
        CHECK_EQ(t->b.flush(t->b.user, t->host_mem, s * t->staging_slot, t->staging_slot), MK_GPU_OK);

    uint64_t staging_base = s * t->staging_slot, readback_base = s * t->readback_slot;
    for (unsigned i = 0; i < BUFFERS; i++) {
        if (!slot->used[i])
            continue;
        uint64_t half = sizes[i] / 2u;
        CHECK_EQ(t->b.copy(t->b.user, t->staging, staging_base + t->staging_at[i], t->device[i], 0, sizes[i]),
                 MK_GPU_OK);
        if (half != 0u) /* overwrites the first half in the same batch: write after write */
            CHECK_EQ(t->b.copy(t->b.user, t->staging, staging_base + t->staging_at[i] + sizes[i], t->device[i], 0,
                               half),
                     MK_GPU_OK);
    }
    slot->fence_count = 0;
    if (frame % 2u == 1u) { /* uploads and readbacks in two submits */
        CHECK_EQ(t->b.submit(t->b.user, &slot->fences[slot->fence_count]), MK_GPU_OK);
        mk_gpu_result_t r = t->b.fence_signaled(t->b.user, slot->fences[slot->fence_count]);
        CHECK(r == MK_GPU_OK || r == MK_GPU_TIMEOUT);
        slot->fence_count++;
    }
    for (unsigned i = 0; i < BUFFERS; i++)
        if (slot->used[i]) /* read after write, in this batch or from the previous one */
            CHECK_EQ(t->b.copy(t->b.user, t->device[i], 0, t->readback, readback_base + t->readback_at[i], sizes[i]),
                     MK_GPU_OK);
    CHECK_EQ(t->b.submit(t->b.user, &slot->fences[slot->fence_count]), MK_GPU_OK);
    mk_gpu_result_t r = t->b.fence_wait(t->b.user, slot->fences[slot->fence_count], 0); /* a poll */
    CHECK(r == MK_GPU_OK || r == MK_GPU_TIMEOUT);
    slot->fence_count++;
}

static void test_transfers(mk_gpu_backend_t b, const mk_gpu_device_info_t *d)
{
    transfer_test_t t;
    memset(&t, 0, sizeof t);
    t.b = b;
    t.d = *d;
    uint64_t atom = d->non_coherent_atom_size;

    /* the device block: twelve buffers bound one after the other, each at its alignment */
    uint32_t device_usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                            VK_BUFFER_USAGE_VERTEX_BUFFER_BIT | VK_BUFFER_USAGE_INDEX_BUFFER_BIT |
                            VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    mk_gpu_requirements_t req[BUFFERS];
    uint64_t device_at[BUFFERS], device_size = 0;
    uint32_t device_bits = UINT32_MAX;
    for (unsigned i = 0; i < BUFFERS; i++) {
        CHECK_EQ(b.create_buffer(b.user, sizes[i], device_usage, &t.device[i], &req[i]), MK_GPU_OK);
        CHECK(req[i].size >= sizes[i]);
        CHECK(req[i].alignment != 0u && (req[i].alignment & (req[i].alignment - 1u)) == 0u);
        device_bits &= req[i].memory_type_bits;
        device_at[i] = align_up(device_size, req[i].alignment);
        device_size = device_at[i] + req[i].size;
    }
    int device_type = mk__gpu_memory_type(d->type_flags, d->type_count, device_bits, device_local, NULL);
    CHECK(device_type >= 0);

    /* per slot: each buffer's bytes plus its half, and each buffer's bytes back */
    for (unsigned i = 0; i < BUFFERS; i++) {
        t.staging_at[i] = t.staging_slot;
        t.staging_slot = align_up(t.staging_slot + sizes[i] + sizes[i] / 2u, 16);
        t.readback_at[i] = t.readback_slot;
        t.readback_slot = align_up(t.readback_slot + sizes[i], 16);
    }
    t.staging_slot = align_up(t.staging_slot, atom);
    t.readback_slot = align_up(t.readback_slot, atom);
    mk_gpu_requirements_t staging_req, readback_req;
    CHECK_EQ(b.create_buffer(b.user, SLOTS * t.staging_slot, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, &t.staging,
                             &staging_req),
             MK_GPU_OK);
    CHECK_EQ(b.create_buffer(b.user, SLOTS * t.readback_slot, VK_BUFFER_USAGE_TRANSFER_DST_BIT, &t.readback,
                             &readback_req),
             MK_GPU_OK);
    int host_type = mk__gpu_memory_type(d->type_flags, d->type_count,
                                        staging_req.memory_type_bits & readback_req.memory_type_bits, upload, NULL);
    CHECK(host_type >= 0);
    if (device_type < 0 || host_type < 0)
        return;
    printf("memory types: device-local heap -> type %d (flags 0x%x), upload heap -> type %d (flags 0x%x)\n",
           device_type, d->type_flags[device_type], host_type, d->type_flags[host_type]);
    CHECK((d->type_flags[host_type] & HV) != 0u);
    t.host_coherent = (d->type_flags[host_type] & HC) != 0u;
    /* the readback buffer after the staging one, on an atom so its invalidate ranges are aligned */
    uint64_t readback_align = readback_req.alignment > atom ? readback_req.alignment : atom;
    t.readback_base = align_up(staging_req.size, readback_align);
    uint64_t host_size = t.readback_base + readback_req.size;

    CHECK_EQ(b.allocate(b.user, (uint32_t)device_type, device_size, &t.device_mem), MK_GPU_OK);
    CHECK_EQ(b.allocate(b.user, (uint32_t)host_type, host_size, &t.host_mem), MK_GPU_OK);
    if (t.device_mem == 0u || t.host_mem == 0u) {
        b.free(b.user, t.device_mem);
        b.free(b.user, t.host_mem);
        for (unsigned i = 0; i < BUFFERS; i++)
            b.destroy_buffer(b.user, t.device[i]);
        b.destroy_buffer(b.user, t.staging);
        b.destroy_buffer(b.user, t.readback);
        return;
    }
    for (unsigned i = 0; i < BUFFERS; i++)
        CHECK_EQ(b.bind_buffer(b.user, t.device[i], t.device_mem, device_at[i]), MK_GPU_OK);
    CHECK_EQ(b.bind_buffer(b.user, t.staging, t.host_mem, 0), MK_GPU_OK);
    CHECK_EQ(b.bind_buffer(b.user, t.readback, t.host_mem, t.readback_base), MK_GPU_OK);
    void *ptr = NULL;
    CHECK_EQ(b.map(b.user, t.host_mem, &ptr), MK_GPU_OK);
    CHECK(ptr != NULL && (uintptr_t)ptr % 64u == 0u);
    t.host = ptr;
    if (t.host != NULL) {
        memset(t.host + t.readback_base, 0xEE, (size_t)(SLOTS * t.readback_slot)); /* stale bytes show up */
        for (unsigned f = 0; f < FRAMES; f++)
            run_frame(&t, f);
        for (unsigned f = FRAMES; f < FRAMES + SLOTS; f++)
            finish_slot(&t, f % SLOTS);
        b.unmap(b.user, t.host_mem);
    }
    CHECK_EQ(t.mismatches, 0);
    uint64_t expected = 0;
    for (unsigned f = 0; f < FRAMES; f++)
        for (unsigned i = 0; i < BUFFERS; i++)
            if ((i + f) % 3u != 0u)
                expected += sizes[i];
    CHECK_EQ(t.bytes_verified, expected);
    printf("transfers: %u frames over %u slots, %u buffers (%llu device bytes), %lu bytes read back and verified\n",
           FRAMES, SLOTS, BUFFERS, (unsigned long long)device_size, t.bytes_verified);

    /* an empty batch: a fence alone */
    mk_gpu_fence_t fence = 0;
    CHECK_EQ(b.submit(b.user, &fence), MK_GPU_OK);
    CHECK(fence != 0u);
    CHECK_EQ(b.fence_wait(b.user, fence, WAIT_NS), MK_GPU_OK);
    b.fence_release(b.user, fence);
    b.fence_release(b.user, 0);

    for (unsigned i = 0; i < BUFFERS; i++)
        b.destroy_buffer(b.user, t.device[i]);
    b.destroy_buffer(b.user, t.staging);
    b.destroy_buffer(b.user, t.readback);
    b.destroy_buffer(b.user, 0);
    b.free(b.user, t.device_mem);
    b.free(b.user, t.host_mem);
    b.free(b.user, 0);
}

/* More batches than fence + command buffer pairs: TOO_MANY_OBJECTS until one is released. */
static void test_batch_pool(const mk_gpu_vulkan_config_t *base)
{
    mk_gpu_vulkan_config_t config = *base;
    config.max_pending_batches = 2;
    mk_gpu_backend_t b;
    CHECK_EQ(mk_gpu_vulkan_create(&config, &b), MK_GPU_OK);
    mk_gpu_fence_t f[3] = {0, 0, 0};
    CHECK_EQ(b.submit(b.user, &f[0]), MK_GPU_OK);
    CHECK_EQ(b.submit(b.user, &f[1]), MK_GPU_OK);
    CHECK_EQ(b.submit(b.user, &f[2]), MK_GPU_TOO_MANY_OBJECTS);
    CHECK_EQ(b.fence_wait(b.user, f[0], WAIT_NS), MK_GPU_OK);
    b.fence_release(b.user, f[0]);
    CHECK_EQ(b.submit(b.user, &f[2]), MK_GPU_OK);
    CHECK(f[2] == f[0]); /* the recycled fence */
    CHECK_EQ(b.fence_wait(b.user, f[2], WAIT_NS), MK_GPU_OK);
    b.fence_release(b.user, f[2]);
    /* f[1] left pending: destroy waits for it and counts it */
    CHECK_EQ(mk_gpu_vulkan_destroy(&b), 1);
    CHECK(b.user == NULL);
    CHECK_EQ(mk_gpu_vulkan_destroy(&b), 0);

    config = *base;
    config.functions = NULL;
    CHECK_EQ(mk_gpu_vulkan_create(&config, &b), MK_GPU_FAILED);
    config = *base;
    config.max_pending_batches = MK_GPU_VULKAN_MAX_PENDING_BATCHES + 1u;
    CHECK_EQ(mk_gpu_vulkan_create(&config, &b), MK_GPU_FAILED);
}

static void test_backend(const mk_gpu_vulkan_config_t *config)
{
    mk_gpu_backend_t b;
    CHECK_EQ(mk_gpu_vulkan_create(config, &b), MK_GPU_OK);
    if (b.user == NULL)
        return;
    mk_gpu_device_info_t d;
    CHECK_EQ(b.device_info(b.user, &d), MK_GPU_OK);
    CHECK(d.type_count >= 1u && d.type_count <= MK_GPU_MAX_MEMORY_TYPES);
    CHECK(d.heap_count >= 1u && d.heap_count <= MK_GPU_MAX_MEMORY_HEAPS);
    bool any_dl = false, any_hv = false;
    for (uint32_t i = 0; i < d.type_count; i++) {
        CHECK(d.type_heap[i] < d.heap_count);
        any_dl = any_dl || (d.type_flags[i] & DL) != 0u;
        any_hv = any_hv || (d.type_flags[i] & (HV | HC)) == (HV | HC); /* the spec guarantees one */
    }
    CHECK(any_dl);
    CHECK(any_hv);
    for (uint32_t i = 0; i < d.heap_count; i++)
        CHECK(d.heap_size[i] > 0u);
    CHECK(d.non_coherent_atom_size != 0u && (d.non_coherent_atom_size & (d.non_coherent_atom_size - 1u)) == 0u);
    CHECK(d.buffer_image_granularity != 0u &&
          (d.buffer_image_granularity & (d.buffer_image_granularity - 1u)) == 0u);
    CHECK(d.max_memory_allocation_count >= 4096u); /* the spec's minimum */
    CHECK_EQ(d.has_memory_budget, config->memory_budget);
    printf("device: %u memory types, %u heaps (heap 0: %llu MiB), atom %llu, granularity %llu, "
           "%u allocations, budget %s\n",
           d.type_count, d.heap_count, (unsigned long long)(d.heap_size[0] >> 20),
           (unsigned long long)d.non_coherent_atom_size, (unsigned long long)d.buffer_image_granularity,
           d.max_memory_allocation_count, d.has_memory_budget ? "yes" : "no");
    uint64_t usage = 0, budget = 0;
    if (d.has_memory_budget) {
        CHECK_EQ(b.heap_budget(b.user, 0, &usage, &budget), MK_GPU_OK);
        CHECK(budget > 0u);
        CHECK_EQ(b.heap_budget(b.user, d.heap_count, &usage, &budget), MK_GPU_FAILED);
    } else {
        CHECK_EQ(b.heap_budget(b.user, 0, &usage, &budget), MK_GPU_FAILED);
    }

    test_transfers(b, &d);
    CHECK_EQ(mk_gpu_vulkan_destroy(&b), 0);
    test_batch_pool(config);
}

int main(void)
{
    vulkan_device_t dev;
    if (vulkan_harness_open(&dev, "memkit test_backend_vulkan")) {
        mk_gpu_vulkan_config_t config = vulkan_device_backend_config(&dev);
        test_backend(&config);
    }
    vulkan_harness_close(&dev); /* the layer reports objects the backend leaked */
    return unit_check_finish("test_backend_vulkan");
}
