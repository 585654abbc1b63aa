/* test_backend_mock.c — the GPU tier's mock backend (gpu/src/backend_mock.h)
 * behind the backend interface (gpu/src/backend.h): each simulated GPU's
 * device info and memory-type choice, allocation-count and heap caps, budgets,
 * map rules, non-coherent flush alignment and visibility, copies through
 * deferred fences, the validation checks, injected failures at every kind of
 * call (an OOM loop), and the leak report.
 *
 * Build: cc -std=c11 -Igpu/src tests/gpu/test_backend_mock.c gpu/src/backend_mock.c gpu/src/memtype.c -pthread
 * The harness is tests/unit_check.h (no memkit.h, no generated config).
 * Exits non-zero when a check fails; the last line summarizes.
 */
#include "backend_mock.h"
#include "../unit_check.h"
#include "wants.h"

#include <stdio.h>
#include <string.h>

/* A misuse must have been reported, and the message must say what. */
#define CHECK_MISUSE(m, before, text)                                                                              \
    do {                                                                                                           \
        CHECK_EQ((m)->errors, (before) + 1u);                                                                      \
        if (strstr((m)->last_error, (text)) == NULL) {                                                             \
            g_failed++;                                                                                            \
            fprintf(stderr, "%s:%d: last error lacks \"%s\": %s\n", __FILE__, __LINE__, (text), (m)->last_error);  \
        }                                                                                                          \
    } while (0)

#define MIB ((uint64_t)1 << 20)
#define GIB ((uint64_t)1 << 30)


/* The types on the discrete preset. */
enum { DISCRETE_DL, DISCRETE_UPLOAD, DISCRETE_READBACK, DISCRETE_BAR };

static mk_gpu_mock_t *make(mk_gpu_mock_config_t config, mk_gpu_backend_t *b)
{
    mk_gpu_mock_t *m = mk_gpu_mock_create(&config);
    CHECK(m != NULL);
    *b = mk_gpu_mock_backend(m);
    return m;
}

/* Destroys a mock that must have seen no misuse and kept nothing. */
static void finish(mk_gpu_mock_t *m)
{
    if (m->errors != 0u)
        fprintf(stderr, "unexpected misuse: %s\n", m->last_error);
    CHECK_EQ(m->errors, 0);
    CHECK_EQ(mk_gpu_mock_destroy(m), 0);
}

static mk_gpu_memory_t allocate(mk_gpu_backend_t *b, uint32_t type, uint64_t size)
{
    mk_gpu_memory_t mem = 0;
    CHECK_EQ(b->allocate(b->user, type, size, &mem), MK_GPU_OK);
    CHECK(mem != 0u);
    return mem;
}

static mk_gpu_buffer_t buffer_at(mk_gpu_backend_t *b, mk_gpu_memory_t mem, uint64_t offset, uint64_t size)
{
    mk_gpu_buffer_t buf = 0;
    mk_gpu_requirements_t req;
    CHECK_EQ(b->create_buffer(b->user, size, 0, &buf, &req), MK_GPU_OK);
    CHECK_EQ(b->bind_buffer(b->user, buf, mem, offset), MK_GPU_OK);
    return buf;
}

static unsigned char *map(mk_gpu_backend_t *b, mk_gpu_memory_t mem)
{
    void *p = NULL;
    CHECK_EQ(b->map(b->user, mem, &p), MK_GPU_OK);
    return p;
}

static void fill(unsigned char *p, size_t size, unsigned seed)
{
    for (size_t i = 0; i < size; i++)
        p[i] = (unsigned char)(seed + i * 31u);
}

static bool holds(const unsigned char *p, size_t size, unsigned seed)
{
    for (size_t i = 0; i < size; i++)
        if (p[i] != (unsigned char)(seed + i * 31u))
            return false;
    return true;
}

static bool zero(const unsigned char *p, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (p[i] != 0u)
            return false;
    return true;
}

/* ---- the presets ---------------------------------------------------------- */

static void test_device_info(void)
{
    mk_gpu_backend_t b;
    mk_gpu_device_info_t d;

    mk_gpu_mock_t *m = make(mk_gpu_mock_discrete(), &b);
    CHECK_EQ(b.device_info(b.user, &d), MK_GPU_OK);
    CHECK_EQ(d.type_count, 4);
    CHECK_EQ(d.type_flags[DISCRETE_DL], DL);
    CHECK_EQ(d.type_flags[DISCRETE_UPLOAD], HV | HC);
    CHECK_EQ(d.type_flags[DISCRETE_READBACK], HV | CACHED);
    CHECK_EQ(d.type_flags[DISCRETE_BAR], DL | HV | HC);
    CHECK_EQ(d.heap_count, 3);
    CHECK_EQ(d.type_heap[DISCRETE_DL], 0);
    CHECK_EQ(d.type_heap[DISCRETE_UPLOAD], 1);
    CHECK_EQ(d.type_heap[DISCRETE_READBACK], 1);
    CHECK_EQ(d.type_heap[DISCRETE_BAR], 2);
    CHECK_EQ(d.heap_size[0], 8 * GIB);
    CHECK_EQ(d.heap_size[1], 16 * GIB);
    CHECK_EQ(d.heap_size[2], 256 * MIB);
    CHECK_EQ(d.heap_flags[0], MK_GPU_HEAP_DEVICE_LOCAL);
    CHECK_EQ(d.heap_flags[1], 0);
    CHECK_EQ(d.non_coherent_atom_size, 64);
    CHECK_EQ(d.buffer_image_granularity, 1024);
    CHECK_EQ(d.max_memory_allocation_count, 4096);
    CHECK(d.has_memory_budget);
    finish(m);

    m = make(mk_gpu_mock_uma(), &b);
    CHECK_EQ(b.device_info(b.user, &d), MK_GPU_OK);
    CHECK_EQ(d.type_count, 3);
    CHECK_EQ(d.heap_count, 1);
    CHECK_EQ(d.heap_size[0], 4 * GIB);
    for (uint32_t i = 0; i < d.type_count; i++) {
        CHECK((d.type_flags[i] & DL) != 0u);
        CHECK_EQ(d.type_heap[i], 0);
    }
    CHECK_EQ(d.type_flags[1], DL | HV | HC);
    CHECK_EQ(d.type_flags[2], DL | HV | HC | CACHED);
    CHECK(d.has_memory_budget);
    finish(m);

    m = make(mk_gpu_mock_lavapipe(), &b);
    CHECK_EQ(b.device_info(b.user, &d), MK_GPU_OK);
    CHECK_EQ(d.type_count, 1);
    CHECK_EQ(d.type_flags[0], DL | HV | HC | CACHED);
    CHECK_EQ(d.heap_count, 1);
    CHECK_EQ(d.heap_size[0], 2 * GIB);
    CHECK_EQ(d.non_coherent_atom_size, 64);
    CHECK_EQ(d.buffer_image_granularity, 64);
    CHECK_EQ(d.max_memory_allocation_count, UINT32_MAX);
    CHECK(!d.has_memory_budget);
    finish(m);

    mk_gpu_mock_config_t bad = mk_gpu_mock_discrete();
    bad.device.type_heap[1] = 7;
    CHECK(mk_gpu_mock_create(&bad) == NULL);
    bad = mk_gpu_mock_discrete();
    bad.device.non_coherent_atom_size = 48;
    CHECK(mk_gpu_mock_create(&bad) == NULL);
}

/* memtype.h's choice, fed from the backend as the tier will: device info and
 * a buffer's memory_type_bits. */
static void expect_types(mk_gpu_mock_config_t config, int dl, int up, int rb, int uni)
{
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(config, &b);
    mk_gpu_device_info_t d;
    CHECK_EQ(b.device_info(b.user, &d), MK_GPU_OK);
    mk_gpu_buffer_t buf = 0;
    mk_gpu_requirements_t req;
    CHECK_EQ(b.create_buffer(b.user, 4096, 0, &buf, &req), MK_GPU_OK);
    CHECK_EQ(mk__gpu_memory_type(d.type_flags, d.type_count, req.memory_type_bits, device_local, NULL), dl);
    CHECK_EQ(mk__gpu_memory_type(d.type_flags, d.type_count, req.memory_type_bits, upload, NULL), up);
    CHECK_EQ(mk__gpu_memory_type(d.type_flags, d.type_count, req.memory_type_bits, readback, NULL), rb);
    CHECK_EQ(mk__gpu_memory_type(d.type_flags, d.type_count, req.memory_type_bits, unified, NULL), uni);
    b.destroy_buffer(b.user, buf);
    finish(m);
}

static void test_type_choice(void)
{
    expect_types(mk_gpu_mock_discrete(), DISCRETE_DL, DISCRETE_UPLOAD, DISCRETE_READBACK, DISCRETE_BAR);
    expect_types(mk_gpu_mock_uma(), 0, 1, 2, 1);
    expect_types(mk_gpu_mock_lavapipe(), 0, 0, 0, 0);
    /* buffers barred from the DEVICE_LOCAL-only type fall back to the BAR window */
    mk_gpu_mock_config_t c = mk_gpu_mock_discrete();
    c.buffer_type_bits = ~1u;
    expect_types(c, DISCRETE_BAR, DISCRETE_UPLOAD, DISCRETE_READBACK, DISCRETE_BAR);
}

/* ---- caps and budgets ----------------------------------------------------- */

static void test_allocation_cap(void)
{
    mk_gpu_mock_config_t c = mk_gpu_mock_discrete();
    c.device.max_memory_allocation_count = 8;
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(c, &b);
    mk_gpu_memory_t mems[8];
    for (int i = 0; i < 8; i++)
        mems[i] = allocate(&b, DISCRETE_DL, 65536);
    CHECK_EQ(m->live_allocations, 8);
    mk_gpu_memory_t extra = 0;
    CHECK_EQ(b.allocate(b.user, DISCRETE_DL, 65536, &extra), MK_GPU_TOO_MANY_OBJECTS);
    CHECK(extra == 0u);
    CHECK_MISUSE(m, 0u, "maxMemoryAllocationCount");
    m->errors = 0;
    b.free(b.user, mems[3]);
    mems[3] = allocate(&b, DISCRETE_UPLOAD, 65536); /* the cap counts every heap */
    for (int i = 0; i < 8; i++)
        b.free(b.user, mems[i]);
    CHECK_EQ(m->live_allocations, 0);
    finish(m);
}

static void test_heap_cap_and_budget(void)
{
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(mk_gpu_mock_discrete(), &b);
    /* all of the 8 GiB heap: the mock backs memory only when it is touched */
    mk_gpu_memory_t vram = allocate(&b, DISCRETE_DL, 8 * GIB);
    mk_gpu_memory_t none = 0;
    CHECK_EQ(b.allocate(b.user, DISCRETE_DL, 1, &none), MK_GPU_OUT_OF_DEVICE_MEMORY);
    mk_gpu_memory_t bar = allocate(&b, DISCRETE_BAR, 200 * MIB);
    CHECK_EQ(b.allocate(b.user, DISCRETE_BAR, 100 * MIB, &none), MK_GPU_OUT_OF_DEVICE_MEMORY);
    CHECK(none == 0u);
    CHECK_EQ(m->errors, 0); /* a full heap is the device's answer, not a misuse */
    uint64_t usage = 0, budget = 0;
    CHECK_EQ(b.heap_budget(b.user, 2, &usage, &budget), MK_GPU_OK);
    CHECK_EQ(usage, 200 * MIB);
    CHECK_EQ(budget, 256 * MIB);
    CHECK_EQ(b.heap_budget(b.user, 0, &usage, &budget), MK_GPU_OK);
    CHECK_EQ(usage, 8 * GIB);
    b.free(b.user, vram);
    CHECK_EQ(b.heap_budget(b.user, 0, &usage, &budget), MK_GPU_OK);
    CHECK_EQ(usage, 0);
    b.free(b.user, bar);
    CHECK_EQ(b.heap_budget(b.user, 3, &usage, &budget), MK_GPU_FAILED);
    CHECK_MISUSE(m, 0u, "heap 3");
    m->errors = 0;
    finish(m);

    /* a configured budget below the heap (another process holds the rest) */
    mk_gpu_mock_config_t c = mk_gpu_mock_uma();
    c.heap_budget[0] = 1 * GIB;
    m = make(c, &b);
    mk_gpu_memory_t mem = allocate(&b, 1, 64 * MIB);
    CHECK_EQ(b.heap_budget(b.user, 0, &usage, &budget), MK_GPU_OK);
    CHECK_EQ(usage, 64 * MIB);
    CHECK_EQ(budget, 1 * GIB);
    b.free(b.user, mem);
    finish(m);

    /* lavapipe: no VK_EXT_memory_budget, but its heap size still holds here */
    m = make(mk_gpu_mock_lavapipe(), &b);
    usage = budget = 7;
    CHECK_EQ(b.heap_budget(b.user, 0, &usage, &budget), MK_GPU_FAILED);
    CHECK(usage == 7u && budget == 7u);
    mem = allocate(&b, 0, 2 * GIB);
    CHECK_EQ(b.allocate(b.user, 0, 4096, &none), MK_GPU_OUT_OF_DEVICE_MEMORY);
    b.free(b.user, mem);
    finish(m);
}

/* ---- mapping and flushing ------------------------------------------------- */

static void test_map_rules(void)
{
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(mk_gpu_mock_discrete(), &b);
    void *p = NULL;
    mk_gpu_memory_t vram = allocate(&b, DISCRETE_DL, 65536);
    CHECK_EQ(b.map(b.user, vram, &p), MK_GPU_FAILED);
    CHECK(p == NULL);
    CHECK_MISUSE(m, 0u, "not HOST_VISIBLE");

    mk_gpu_memory_t host = allocate(&b, DISCRETE_UPLOAD, 1000);
    unsigned char *q = map(&b, host);
    CHECK(q != NULL && (uintptr_t)q % 64u == 0u);
    CHECK(zero(q, 1000));
    CHECK_EQ(b.map(b.user, host, &p), MK_GPU_FAILED);
    CHECK_MISUSE(m, 1u, "already mapped");
    b.unmap(b.user, host);
    b.unmap(b.user, host);
    CHECK_MISUSE(m, 2u, "not mapped");
    q = map(&b, host); /* mapped again; then freed while mapped, which Vulkan allows */
    b.free(b.user, host);
    b.free(b.user, vram);
    CHECK_EQ(b.map(b.user, host, &p), MK_GPU_FAILED); /* a stale handle */
    CHECK_MISUSE(m, 3u, "not live");
    m->errors = 0;
    finish(m);
}

static void test_flush_alignment(void)
{
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(mk_gpu_mock_discrete(), &b);
    /* 1000 bytes: not a multiple of the 64-byte atom, so the end is special */
    mk_gpu_memory_t mem = allocate(&b, DISCRETE_READBACK, 1000);
    CHECK_EQ(b.flush(b.user, mem, 0, 64), MK_GPU_FAILED);
    CHECK_MISUSE(m, 0u, "not mapped");
    m->errors = 0;
    map(&b, mem);
    CHECK_EQ(b.flush(b.user, mem, 0, 64), MK_GPU_OK);
    CHECK_EQ(b.flush(b.user, mem, 128, 256), MK_GPU_OK);
    CHECK_EQ(b.flush(b.user, mem, 0, MK_GPU_WHOLE_SIZE), MK_GPU_OK);
    CHECK_EQ(b.flush(b.user, mem, 960, MK_GPU_WHOLE_SIZE), MK_GPU_OK);
    CHECK_EQ(b.flush(b.user, mem, 64, 936), MK_GPU_OK); /* reaches the end exactly */
    CHECK_EQ(b.invalidate(b.user, mem, 960, 40), MK_GPU_OK);
    CHECK_EQ(m->errors, 0);
    CHECK_EQ(m->needless_flushes, 0);

    CHECK_EQ(b.flush(b.user, mem, 32, 64), MK_GPU_OK); /* reported, not refused: as a validation layer */
    CHECK_MISUSE(m, 0u, "nonCoherentAtomSize");
    CHECK_EQ(b.flush(b.user, mem, 0, 100), MK_GPU_OK);
    CHECK_MISUSE(m, 1u, "nonCoherentAtomSize");
    CHECK_EQ(b.invalidate(b.user, mem, 8, MK_GPU_WHOLE_SIZE), MK_GPU_OK);
    CHECK_MISUSE(m, 2u, "invalidate");
    CHECK_EQ(b.flush(b.user, mem, 960, 64), MK_GPU_FAILED);
    CHECK_MISUSE(m, 3u, "outside");
    m->errors = 0;
    b.free(b.user, mem);

    /* coherent memory needs no flush: counted, not an error */
    mem = allocate(&b, DISCRETE_UPLOAD, 4096);
    map(&b, mem);
    CHECK_EQ(b.flush(b.user, mem, 0, MK_GPU_WHOLE_SIZE), MK_GPU_OK);
    CHECK_EQ(b.invalidate(b.user, mem, 0, 64), MK_GPU_OK);
    CHECK_EQ(m->needless_flushes, 2);
    b.free(b.user, mem);
    finish(m);
}

/* Non-coherent memory is honest: unflushed writes do not reach the device,
 * device writes are not seen before invalidate. */
static void test_noncoherent_visibility(void)
{
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(mk_gpu_mock_discrete(), &b);
    mk_gpu_memory_t src_mem = allocate(&b, DISCRETE_READBACK, 4096); /* used as a non-coherent upload */
    mk_gpu_memory_t dst_mem = allocate(&b, DISCRETE_READBACK, 4096);
    unsigned char *src = map(&b, src_mem), *dst = map(&b, dst_mem);
    mk_gpu_buffer_t s = buffer_at(&b, src_mem, 0, 4096), d = buffer_at(&b, dst_mem, 0, 4096);
    mk_gpu_fence_t f = 0;

    fill(src, 4096, 1);
    CHECK_EQ(b.copy(b.user, s, 0, d, 0, 4096), MK_GPU_OK);
    CHECK_EQ(b.submit(b.user, &f), MK_GPU_OK);
    CHECK_EQ(b.fence_wait(b.user, f, UINT64_MAX), MK_GPU_OK);
    b.fence_release(b.user, f);
    CHECK_EQ(b.invalidate(b.user, dst_mem, 0, MK_GPU_WHOLE_SIZE), MK_GPU_OK);
    CHECK(zero(dst, 4096)); /* never flushed: the device copied zeros */

    CHECK_EQ(b.flush(b.user, src_mem, 0, 4096), MK_GPU_OK);
    CHECK_EQ(b.copy(b.user, s, 0, d, 0, 4096), MK_GPU_OK);
    CHECK_EQ(b.submit(b.user, &f), MK_GPU_OK);
    CHECK_EQ(b.fence_wait(b.user, f, UINT64_MAX), MK_GPU_OK);
    b.fence_release(b.user, f);
    CHECK(zero(dst, 4096)); /* not invalidated yet: the host's copy is stale */
    CHECK_EQ(b.invalidate(b.user, dst_mem, 0, 4096), MK_GPU_OK);
    CHECK(holds(dst, 4096, 1));

    b.destroy_buffer(b.user, s);
    b.destroy_buffer(b.user, d);
    b.free(b.user, src_mem);
    b.free(b.user, dst_mem);
    CHECK_EQ(m->needless_flushes, 0);
    finish(m);
}

/* ---- copies and fences ---------------------------------------------------- */

static void test_deferred_copies(void)
{
    mk_gpu_mock_config_t c = mk_gpu_mock_discrete();
    c.deferred_fences = true;
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(c, &b);
    /* staging (upload) -> device-local -> readback, in two submissions */
    mk_gpu_memory_t staging_mem = allocate(&b, DISCRETE_UPLOAD, 65536);
    mk_gpu_memory_t vram_mem = allocate(&b, DISCRETE_DL, 65536);
    mk_gpu_memory_t back_mem = allocate(&b, DISCRETE_UPLOAD, 65536);
    unsigned char *staging = map(&b, staging_mem), *back = map(&b, back_mem);
    mk_gpu_buffer_t s = buffer_at(&b, staging_mem, 256, 8192), v = buffer_at(&b, vram_mem, 1024, 8192);
    mk_gpu_buffer_t r = buffer_at(&b, back_mem, 0, 8192);

    fill(staging + 256, 8192, 7);
    CHECK_EQ(b.copy(b.user, s, 0, v, 0, 4096), MK_GPU_OK);
    CHECK_EQ(b.copy(b.user, s, 4096, v, 4096, 4096), MK_GPU_OK);
    mk_gpu_fence_t f1 = 0, f2 = 0;
    CHECK_EQ(b.submit(b.user, &f1), MK_GPU_OK);
    CHECK_EQ(b.copy(b.user, v, 0, r, 0, 8192), MK_GPU_OK);
    CHECK_EQ(b.submit(b.user, &f2), MK_GPU_OK);
    CHECK(f1 != 0u && f2 != 0u && f1 != f2);

    CHECK_EQ(b.fence_signaled(b.user, f1), MK_GPU_TIMEOUT);
    CHECK_EQ(b.fence_wait(b.user, f2, 0), MK_GPU_TIMEOUT);
    CHECK(zero(back, 8192)); /* nothing has run */
    CHECK(mk_gpu_mock_advance(m));
    CHECK_EQ(b.fence_signaled(b.user, f1), MK_GPU_OK);
    CHECK_EQ(b.fence_signaled(b.user, f2), MK_GPU_TIMEOUT);
    CHECK(zero(back, 8192));
    CHECK_EQ(b.fence_wait(b.user, f2, 1000000000u), MK_GPU_OK); /* the GPU gets there */
    CHECK(holds(back, 8192, 7));
    CHECK(!mk_gpu_mock_advance(m));

    /* an empty batch still gets a fence, in order */
    mk_gpu_fence_t f3 = 0;
    CHECK_EQ(b.submit(b.user, &f3), MK_GPU_OK);
    CHECK_EQ(b.fence_signaled(b.user, f3), MK_GPU_TIMEOUT);
    CHECK(mk_gpu_mock_advance(m));
    CHECK_EQ(b.fence_signaled(b.user, f3), MK_GPU_OK);

    b.fence_release(b.user, f1);
    b.fence_release(b.user, f2);
    b.fence_release(b.user, f3);
    CHECK_EQ(b.fence_signaled(b.user, f1), MK_GPU_FAILED); /* released: stale */
    CHECK_MISUSE(m, 0u, "not live");
    m->errors = 0;
    b.destroy_buffer(b.user, s);
    b.destroy_buffer(b.user, v);
    b.destroy_buffer(b.user, r);
    b.free(b.user, staging_mem);
    b.free(b.user, vram_mem);
    b.free(b.user, back_mem);
    finish(m);
}

/* ---- what a validation layer would report --------------------------------- */

static void test_bind_rules(void)
{
    mk_gpu_mock_config_t c = mk_gpu_mock_discrete();
    c.buffer_type_bits = 1u << DISCRETE_DL | 1u << DISCRETE_UPLOAD;
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(c, &b);
    mk_gpu_memory_t mem = allocate(&b, DISCRETE_DL, 65536), bar = allocate(&b, DISCRETE_BAR, 65536);
    mk_gpu_buffer_t buf = 0;
    mk_gpu_requirements_t req;
    CHECK_EQ(b.create_buffer(b.user, 1000, 0, &buf, &req), MK_GPU_OK);
    CHECK_EQ(req.size, 1024);
    CHECK_EQ(req.alignment, 256);
    CHECK_EQ(req.memory_type_bits, c.buffer_type_bits);
    unsigned long e = 0;
    CHECK_EQ(b.bind_buffer(b.user, buf, mem, 128), MK_GPU_FAILED);
    CHECK_MISUSE(m, e++, "alignment");
    CHECK_EQ(b.bind_buffer(b.user, buf, mem, 65536 - 512), MK_GPU_FAILED); /* 1000 fit, 1024 do not */
    CHECK_MISUSE(m, e++, "passes the allocation's end");
    CHECK_EQ(b.bind_buffer(b.user, buf, bar, 0), MK_GPU_FAILED);
    CHECK_MISUSE(m, e++, "memory_type_bits");
    CHECK_EQ(b.bind_buffer(b.user, buf, mem, 65536 - 1024), MK_GPU_OK);
    CHECK_EQ(b.bind_buffer(b.user, buf, mem, 0), MK_GPU_FAILED);
    CHECK_MISUSE(m, e++, "already bound");
    b.destroy_buffer(b.user, buf);
    b.free(b.user, mem);
    b.free(b.user, bar);
    m->errors = 0;
    finish(m);
}

static void test_copy_and_free_rules(void)
{
    mk_gpu_mock_config_t c = mk_gpu_mock_discrete();
    c.deferred_fences = true;
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(c, &b);
    mk_gpu_memory_t mem = allocate(&b, DISCRETE_DL, 65536);
    mk_gpu_buffer_t a = buffer_at(&b, mem, 0, 4096), d = buffer_at(&b, mem, 4096, 4096);
    mk_gpu_buffer_t unbound = 0;
    mk_gpu_requirements_t req;
    CHECK_EQ(b.create_buffer(b.user, 4096, 0, &unbound, &req), MK_GPU_OK);
    unsigned long e = 0;
    CHECK_EQ(b.copy(b.user, a, 0, unbound, 0, 64), MK_GPU_FAILED);
    CHECK_MISUSE(m, e++, "not bound");
    CHECK_EQ(b.copy(b.user, a, 4000, d, 0, 200), MK_GPU_FAILED);
    CHECK_MISUSE(m, e++, "outside buffer");
    CHECK_EQ(b.copy(b.user, a, 0, a, 64, 128), MK_GPU_FAILED);
    CHECK_MISUSE(m, e++, "overlap");
    CHECK_EQ(b.copy(b.user, a, 0, a, 2048, 2048), MK_GPU_OK); /* same buffer, apart: fine */
    b.destroy_buffer(b.user, unbound);
    CHECK_EQ(b.copy(b.user, unbound, 0, a, 0, 64), MK_GPU_FAILED);
    CHECK_MISUSE(m, e++, "not live");

    /* a buffer destroyed while its batch is pending */
    mk_gpu_fence_t f = 0;
    CHECK_EQ(b.copy(b.user, a, 0, d, 0, 4096), MK_GPU_OK);
    CHECK_EQ(b.submit(b.user, &f), MK_GPU_OK);
    b.destroy_buffer(b.user, d);
    CHECK_MISUSE(m, e++, "not yet complete");
    CHECK_EQ(b.fence_wait(b.user, f, UINT64_MAX), MK_GPU_OK); /* the dropped copy harms nothing */
    b.fence_release(b.user, f);

    /* memory freed under a live buffer; the buffer's later use is caught */
    b.free(b.user, mem);
    CHECK_MISUSE(m, e++, "bound buffer");
    mk_gpu_memory_t other = allocate(&b, DISCRETE_DL, 65536);
    mk_gpu_buffer_t o = buffer_at(&b, other, 0, 4096);
    CHECK_EQ(b.copy(b.user, a, 0, o, 0, 64), MK_GPU_FAILED);
    CHECK_MISUSE(m, e++, "freed memory");
    b.destroy_buffer(b.user, a);
    b.destroy_buffer(b.user, o);
    b.free(b.user, other);

    /* a fence released before it signalled */
    CHECK_EQ(b.submit(b.user, &f), MK_GPU_OK);
    b.fence_release(b.user, f);
    CHECK_MISUSE(m, e++, "has not signalled");
    m->errors = 0;
    finish(m);
}

/* ---- injected failures ---------------------------------------------------- */

/* Everything the tier does in a frame, through every kind of call, undoing
 * what it did when a call fails: the scenario an OOM loop drives. */
static mk_gpu_result_t one_upload(mk_gpu_backend_t *b)
{
    mk_gpu_memory_t up = 0, vram = 0;
    mk_gpu_buffer_t s = 0, d = 0;
    mk_gpu_requirements_t req;
    mk_gpu_fence_t f = 0;
    void *p = NULL;
    mk_gpu_result_t r;
    if ((r = b->allocate(b->user, DISCRETE_READBACK, 4096, &up)) != MK_GPU_OK ||
        (r = b->allocate(b->user, DISCRETE_DL, 4096, &vram)) != MK_GPU_OK ||
        (r = b->map(b->user, up, &p)) != MK_GPU_OK)
        goto out;
    fill(p, 2048, 3); /* the first half goes up, and comes back into the second */
    if ((r = b->flush(b->user, up, 0, 2048)) != MK_GPU_OK ||
        (r = b->create_buffer(b->user, 4096, 0, &s, &req)) != MK_GPU_OK ||
        (r = b->bind_buffer(b->user, s, up, 0)) != MK_GPU_OK ||
        (r = b->create_buffer(b->user, 4096, 0, &d, &req)) != MK_GPU_OK ||
        (r = b->bind_buffer(b->user, d, vram, 0)) != MK_GPU_OK ||
        (r = b->copy(b->user, s, 0, d, 0, 2048)) != MK_GPU_OK ||
        (r = b->copy(b->user, d, 0, s, 2048, 2048)) != MK_GPU_OK || (r = b->submit(b->user, &f)) != MK_GPU_OK ||
        (r = b->fence_wait(b->user, f, UINT64_MAX)) != MK_GPU_OK ||
        (r = b->invalidate(b->user, up, 2048, 2048)) != MK_GPU_OK)
        goto out;
    CHECK(holds((unsigned char *)p + 2048, 2048, 3));
out:
    /* After a failure, a recorded batch goes out and completes before its
     * buffers are destroyed. An injected failure is one-shot: these succeed. */
    if (r != MK_GPU_OK && f == 0u)
        CHECK_EQ(b->submit(b->user, &f), MK_GPU_OK);
    if (r != MK_GPU_OK)
        CHECK_EQ(b->fence_wait(b->user, f, UINT64_MAX), MK_GPU_OK);
    b->fence_release(b->user, f);
    b->destroy_buffer(b->user, s);
    b->destroy_buffer(b->user, d);
    b->free(b->user, up);
    b->free(b->user, vram);
    return r;
}

static void test_injected_failures(void)
{
    static const struct {
        uint32_t kind;
        mk_gpu_result_t result;
    } expected[] = {
        {MK_GPU_MOCK_ALLOCATE, MK_GPU_OUT_OF_DEVICE_MEMORY}, {MK_GPU_MOCK_MAP, MK_GPU_FAILED},
        {MK_GPU_MOCK_FLUSH, MK_GPU_OUT_OF_HOST_MEMORY},      {MK_GPU_MOCK_CREATE_BUFFER, MK_GPU_OUT_OF_HOST_MEMORY},
        {MK_GPU_MOCK_BIND, MK_GPU_OUT_OF_DEVICE_MEMORY},     {MK_GPU_MOCK_COPY, MK_GPU_OUT_OF_HOST_MEMORY},
        {MK_GPU_MOCK_SUBMIT, MK_GPU_OUT_OF_HOST_MEMORY},     {MK_GPU_MOCK_FENCE_WAIT, MK_GPU_TIMEOUT},
    };
    CHECK_EQ(sizeof expected / sizeof expected[0], MK_GPU_MOCK_KIND_COUNT);
    /* Each kind on its own: the scenario's first call of that kind fails with
     * the kind's result, and the scenario (which undoes itself) leaks nothing. */
    for (size_t k = 0; k < sizeof expected / sizeof expected[0]; k++) {
        mk_gpu_backend_t b;
        mk_gpu_mock_t *m = make(mk_gpu_mock_discrete(), &b);
        mk_gpu_mock_fail_at(m, expected[k].kind, 1);
        CHECK_EQ(one_upload(&b), expected[k].result);
        CHECK_EQ(m->injected, 1);
        CHECK_EQ(one_upload(&b), MK_GPU_OK); /* one-shot: disarmed once fired */
        finish(m);
    }
    /* The nth call among several kinds, counting from the arming. */
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(mk_gpu_mock_discrete(), &b);
    mk_gpu_memory_t mem = allocate(&b, DISCRETE_UPLOAD, 4096);
    mk_gpu_mock_fail_at(m, MK_GPU_MOCK_ALLOCATE | MK_GPU_MOCK_MAP, 3);
    mk_gpu_memory_t more = allocate(&b, DISCRETE_UPLOAD, 4096); /* 1 */
    map(&b, mem);                                                /* 2 */
    void *p = NULL;
    CHECK_EQ(b.map(b.user, more, &p), MK_GPU_FAILED); /* 3 */
    CHECK_EQ(m->errors, 0);
    CHECK_EQ(m->injected, 1);
    CHECK_EQ(m->calls[0], 2); /* allocate */
    CHECK_EQ(m->calls[1], 2); /* map */
    map(&b, more);
    b.free(b.user, mem);
    b.free(b.user, more);
    finish(m);
}

/* SQLite's OOM loop: fail the nth backend call, then n+1, … until the
 * scenario completes; every run undoes itself and the device stays clean. */
static void test_oom_loop(void)
{
    uint32_t all = (1u << MK_GPU_MOCK_KIND_COUNT) - 1u;
    unsigned long n = 1;
    for (;; n++) {
        mk_gpu_backend_t b;
        mk_gpu_mock_config_t c = mk_gpu_mock_discrete();
        c.deferred_fences = n % 2u == 0u; /* both ways the fences go */
        mk_gpu_mock_t *m = make(c, &b);
        mk_gpu_mock_fail_at(m, all, n);
        mk_gpu_result_t r = one_upload(&b);
        bool fired = m->injected != 0u;
        CHECK(fired == (r != MK_GPU_OK));
        finish(m);
        if (!fired || n > 100u)
            break;
    }
    CHECK(n > 10u && n < 100u);
}

/* ---- the leak report ------------------------------------------------------ */

static void test_leak_report(void)
{
    mk_gpu_backend_t b;
    mk_gpu_mock_t *m = make(mk_gpu_mock_uma(), &b);
    mk_gpu_memory_t mem = allocate(&b, 1, 4096);
    map(&b, mem);
    buffer_at(&b, mem, 0, 1024);
    mk_gpu_fence_t f = 0;
    CHECK_EQ(b.submit(b.user, &f), MK_GPU_OK);
    fprintf(stderr, "test_leak_report: three leaks are expected below\n");
    CHECK_EQ(mk_gpu_mock_destroy(m), 3);
    CHECK_EQ(mk_gpu_mock_destroy(NULL), 0);
}

int main(void)
{
    test_device_info();
    test_type_choice();
    test_allocation_cap();
    test_heap_cap_and_budget();
    test_map_rules();
    test_flush_alignment();
    test_noncoherent_visibility();
    test_deferred_copies();
    test_bind_rules();
    test_copy_and_free_rules();
    test_injected_failures();
    test_oom_loop();
    test_leak_report();
    return unit_check_finish("test_backend_mock");
}
