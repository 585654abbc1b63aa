/* test_gpu_tier.c — the GPU tier's runtime (memkit/gpu.h) on the mock GPU
 * (gpu/src/backend_mock.h), against tests/configs/gpu.toml: memory type
 * choice per simulated GPU, blocks at init, placement without overlap and
 * with the driver's alignment, dedicated allocations, max_blocks and the
 * device's allocation count, budgets (heap, intent, total, callback),
 * destroys deferred to their frame's fence, uploads through the staging
 * ring (data, non-coherent flushes), downloads and reads, host flush and
 * invalidate ranges, image memory and bufferImageGranularity, empty-block
 * trimming, the device budget (VK_EXT_memory_budget and the 80 % rule), the
 * ML3xx reports, the stats table and the VMA-schema JSON dump, and an OOM
 * loop over every backend call. Every run ends with no mock error and no
 * leak. */
#include <memkit/gpu.h>
#include <memkit/memkit.h>

#include "backend_mock.h"

#include "../unit_check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define KIB 1024u

/* ML3xx reports land here instead of stderr (errors would abort by default). */
static _Atomic unsigned long reported[6]; /* [n]: ML30n; reports may come from test_threads' workers */
static void count_report(const mk_report_t *report, void *user)
{
    (void)user;
    if (strncmp(report->code, "ML30", 4) == 0 && report->code[4] >= '1' && report->code[4] <= '5')
        reported[report->code[4] - '0']++;
    else
        fprintf(stderr, "unexpected report %s: %s\n", report->code, report->message);
}

typedef struct rig {
    mk_gpu_mock_t *mock;
    mk_gpu_backend_t backend;
} rig_t;

static bool rig_up(rig_t *r, mk_gpu_mock_config_t config)
{
    r->mock = mk_gpu_mock_create(&config);
    CHECK(r->mock != NULL);
    if (r->mock == NULL)
        return false;
    r->backend = mk_gpu_mock_backend(r->mock);
    mk_status_t status = mk_gpu_init(&r->backend);
    CHECK_EQ(status, MK_OK);
    return status == MK_OK;
}

/* Shuts the tier down, expecting `leaks` live buffers, no misuse, no leak on the device. */
static void rig_down(rig_t *r, size_t leaks)
{
    CHECK_EQ(mk_gpu_shutdown(), leaks);
    CHECK_EQ(r->mock->errors, 0);
    if (r->mock->errors != 0)
        fprintf(stderr, "mock: %s\n", r->mock->last_error);
    CHECK_EQ(mk_gpu_mock_destroy(r->mock), 0);
}

static mk_gpu_stats_t stats(void)
{
    mk_gpu_stats_t s;
    CHECK_EQ(mk_gpu_stats_get(&s), MK_OK);
    return s;
}

/* Two frames: every frame submitted so far is reclaimed (fences signal at once). */
static void settle(void)
{
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
        CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    }
}

typedef struct preset {
    const char *name;
    mk_gpu_mock_config_t (*make)(void);
    int32_t types[MKG_GPU_HEAP_COUNT]; /* expected type per heap: device, frame, readback, staging, textures */
} preset_t;

static const preset_t presets[] = {
    {"discrete", mk_gpu_mock_discrete, {0, 3, 2, 1, 0}}, /* DL only; DL|HV|HC window; HV|CACHED; HV|HC; DL */
    {"uma", mk_gpu_mock_uma, {0, 1, 2, 1, 0}},
    {"lavapipe", mk_gpu_mock_lavapipe, {0, 0, 0, 0, 0}},
};

static void test_type_choice_and_min_blocks(const preset_t *p)
{
    rig_t r;
    if (!rig_up(&r, p->make()))
        return;
    mk_gpu_stats_t s = stats();
    CHECK_EQ(s.heap_count, MKG_GPU_HEAP_COUNT);
    for (unsigned i = 0; i < MKG_GPU_HEAP_COUNT; i++) {
        if (s.heaps[i].memory_type != p->types[i])
            fprintf(stderr, "%s: heap %s chose type %d\n", p->name, s.heaps[i].name, s.heaps[i].memory_type);
        CHECK_EQ(s.heaps[i].memory_type, p->types[i]);
    }
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].blocks, 1);   /* min_blocks */
    CHECK_EQ(s.heaps[MK_GPU_HEAP_FRAME].blocks, 2);    /* one per frame in flight */
    CHECK_EQ(s.heaps[MK_GPU_HEAP_READBACK].blocks, 0); /* none until needed */
    CHECK_EQ(s.heaps[MK_GPU_HEAP_STAGING].blocks, 1);
    CHECK_EQ(s.device_allocations, 4);
    CHECK_EQ(r.mock->live_allocations, 4);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].bytes_free, 256 * KIB);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].largest_free, 256 * KIB);
    CHECK(s.heaps[MK_GPU_HEAP_FRAME].memory_flags & MK_GPU_MEMORY_HOST_VISIBLE);
    CHECK_EQ(mk_gpu_init(&r.backend), MK_ESTATE); /* once */
    rig_down(&r, 0);
}

static uint64_t next_rand(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return *state >> 33;
}

static void test_placement(const preset_t *p)
{
    rig_t r;
    mk_gpu_mock_config_t config = p->make();
    if (!rig_up(&r, config))
        return;
    enum { N = 40 };
    mk_gpu_buffer_info_t b[N];
    uint64_t seed = 42;
    unsigned made = 0;
    for (unsigned i = 0; i < N; i++) {
        uint64_t size = 1 + next_rand(&seed) % (24 * KIB);
        if (mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, size, &b[made]) == MK_OK)
            made++;
    }
    CHECK_EQ(made, N); /* 40 x 12 KiB on average fit in 3 blocks */
    for (unsigned i = 0; i < made; i++) {
        CHECK_EQ(b[i].offset % config.buffer_alignment, 0);
        CHECK(b[i].mapped == NULL); /* device-local heap: not mapped */
        uint64_t end_i = b[i].offset + b[i].size;
        CHECK(end_i <= 256 * KIB);
        /* the heap shares one VkBuffer per block: a range of it, at its memory offset */
        CHECK(b[i].buffer != 0);
        CHECK_EQ(b[i].buffer_offset, b[i].offset);
        for (unsigned j = 0; j < i; j++) {
            if (b[j].memory == b[i].memory)
                CHECK(end_i <= b[j].offset || b[j].offset + b[j].size <= b[i].offset);
            CHECK((b[j].memory == b[i].memory) == (b[j].buffer == b[i].buffer));
        }
    }
    mk_gpu_stats_t s = stats();
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].allocations, made);
    CHECK_EQ(s.intents[MK_GPU_INTENT_PARTICLES].allocations, made);
    for (unsigned i = 0; i < made; i++)
        CHECK_EQ(mk_gpu_buffer_destroy(b[i].id), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(b[0].id), MK_EINVAL); /* twice */
    CHECK_EQ(stats().deferred, 0); /* made and destroyed between frames, never used by one: at once */
    settle();
    s = stats();
    CHECK_EQ(s.deferred, 0);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].bytes_used, 0);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].bytes_free, (uint64_t)s.heaps[MK_GPU_HEAP_DEVICE].blocks * 256 * KIB);
    CHECK_EQ(s.bytes, 0);
    rig_down(&r, 0);
}

static void test_dedicated_and_blocks(void)
{
    rig_t r;
    if (!rig_up(&r, mk_gpu_mock_discrete()))
        return;
    mk_gpu_buffer_info_t half, big, b[7];
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 128 * KIB, &half), MK_OK); /* half a block: in it */
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 200 * KIB, &big), MK_OK);  /* above: its own */
    mk_gpu_stats_t s = stats();
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].dedicated, 1);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].blocks, 1);
    CHECK_EQ(big.offset, 0);
    CHECK(big.memory != half.memory);
    CHECK(big.buffer != half.buffer); /* dedicated: a VkBuffer of its own */
    CHECK_EQ(big.buffer_offset, 0);
    CHECK_EQ(mk_gpu_buffer_destroy(half.id), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(big.id), MK_OK);
    settle();
    CHECK_EQ(stats().heaps[MK_GPU_HEAP_DEVICE].dedicated, 0);
    CHECK_EQ(r.mock->live_allocations, 4);
    /* 100 KiB buffers: two per block, three blocks at most */
    for (unsigned i = 0; i < 6; i++)
        CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 100 * KIB, &b[i]), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 100 * KIB, &b[6]), MK_ENOMEM);
    s = stats();
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].blocks, 3);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].failures, 1);
    CHECK_EQ(s.intents[MK_GPU_INTENT_PARTICLES].failures, 1);
    for (unsigned i = 0; i < 6; i++)
        CHECK_EQ(mk_gpu_buffer_destroy(b[i].id), MK_OK);
    settle();
    /* emptied blocks beyond min_blocks are freed, but one empty block is kept as a spare */
    CHECK_EQ(stats().heaps[MK_GPU_HEAP_DEVICE].blocks, 1);
    CHECK_EQ(stats().device_allocations, r.mock->live_allocations);
    rig_down(&r, 0);
}

static void test_allocation_count_cap(void)
{
    rig_t r;
    mk_gpu_mock_config_t config = mk_gpu_mock_discrete();
    config.device.max_memory_allocation_count = 5; /* the 4 blocks of init and one more */
    if (!rig_up(&r, config))
        return;
    mk_gpu_buffer_info_t a, b, c;
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 200 * KIB, &a), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 200 * KIB, &b), MK_ENOMEM); /* dedicated */
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 100 * KIB, &b), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 100 * KIB, &c), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 100 * KIB, &c), MK_ENOMEM); /* a new block */
    CHECK(r.mock->live_allocations <= 5);
    CHECK_EQ(r.mock->calls[0], 5); /* the tier counted: it never asked for a sixth */
    rig_down(&r, 3);               /* left live on purpose: shutdown reclaims them */
}

static int callback_calls;
static int refuse(mk_gpu_intent_id_t intent, uint64_t size, mk_status_t reason, void *user)
{
    (void)user;
    CHECK_EQ(intent, MK_GPU_INTENT_STREAMING);
    CHECK_EQ(size, 32 * KIB);
    CHECK_EQ(reason, MK_EBUDGET);
    callback_calls++;
    return 1; /* retry: still over, so refused */
}

static void test_budgets(void)
{
    rig_t r;
    if (!rig_up(&r, mk_gpu_mock_discrete()))
        return;
    mk_gpu_buffer_info_t m[4], p[6], sb[6], st[3];
    /* intent: meshes 384 KiB */
    for (unsigned i = 0; i < 3; i++)
        CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 128 * KIB, &m[i]), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 1, &m[3]), MK_EBUDGET);
    CHECK_EQ(stats().intents[MK_GPU_INTENT_MESHES].bytes, 384 * KIB);
    /* heap: device 1 MiB (384 KiB in meshes; dedicated particles of 200 KiB) */
    unsigned n = 0;
    while (n < 6 && mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 200 * KIB, &p[n]) == MK_OK)
        n++;
    CHECK_EQ(n, 3); /* 384 + 600 = 984 KiB; one more would pass 1024 */
    mk_gpu_stats_t s = stats();
    CHECK(s.heaps[MK_GPU_HEAP_DEVICE].bytes_used <= 1024 * KIB);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].failures, 2);
    /* total: 1536 KiB over device and readback (984 KiB used) */
    n = 0;
    while (n < 6 && mk_gpu_buffer_create(MK_GPU_INTENT_SCREENSHOTS, 100 * KIB, &sb[n]) == MK_OK)
        n++;
    CHECK_EQ(n, 5); /* 984 + 500 = 1484; one more would pass 1536 */
    s = stats();
    CHECK(s.bytes <= 1536 * KIB);
    CHECK_EQ(s.intents[MK_GPU_INTENT_SCREENSHOTS].failures, 1);
    for (unsigned i = 0; i < 5; i++) {
        CHECK(sb[i].mapped != NULL); /* the readback heap is host-visible */
        CHECK_EQ(mk_gpu_buffer_destroy(sb[i].id), MK_OK);
    }
    for (unsigned i = 0; i < 3; i++)
        CHECK_EQ(mk_gpu_buffer_destroy(p[i].id), MK_OK);
    settle();
    /* callback: streaming 64 KiB; the handler is asked, the retry still refused */
    mk_gpu_set_oom_handler(refuse, NULL);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_STREAMING, 32 * KIB, &st[0]), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_STREAMING, 32 * KIB, &st[1]), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_STREAMING, 32 * KIB, &st[2]), MK_EBUDGET);
    CHECK_EQ(callback_calls, 1);
    mk_gpu_set_oom_handler(NULL, NULL);
    CHECK(stats().intents[MK_GPU_INTENT_STREAMING].bytes <= 64 * KIB);
    for (unsigned i = 0; i < 2; i++)
        CHECK_EQ(mk_gpu_buffer_destroy(st[i].id), MK_OK);
    for (unsigned i = 0; i < 3; i++)
        CHECK_EQ(mk_gpu_buffer_destroy(m[i].id), MK_OK);
    rig_down(&r, 0); /* deferred destroys run at shutdown */
}

static void test_deferred_destroy(void)
{
    rig_t r;
    mk_gpu_mock_config_t config = mk_gpu_mock_discrete();
    config.deferred_fences = true; /* fences signal only on mk_gpu_mock_advance or a wait */
    if (!rig_up(&r, config))
        return;
    mk_gpu_buffer_info_t b;
    unsigned char data[256];
    memset(data, 0x5a, sizeof data);
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK); /* frame 1 */
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 4 * KIB, &b), MK_OK);
    CHECK_EQ(mk_gpu_upload(b.id, 0, data, sizeof data), MK_OK);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK); /* frame 2: frame 1 still running */
    CHECK_EQ(mk_gpu_buffer_destroy(b.id), MK_OK);
    mk_gpu_stats_t s = stats();
    CHECK_EQ(s.deferred, 1);
    CHECK_EQ(s.completed_frame, 0);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].bytes_used, 4 * KIB);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(stats().deferred, 1); /* frame 1's fence has not signalled */
    CHECK(mk_gpu_mock_advance(r.mock)); /* frame 1 completes */
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK); /* frame 3: reclaims frame 1 */
    /* destroyed while frame 2 was being recorded: frame 2's own command buffers may draw with it */
    CHECK_EQ(stats().deferred, 1);
    CHECK_EQ(stats().completed_frame, 1);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK(mk_gpu_mock_advance(r.mock)); /* frame 2 completes */
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK); /* frame 4: reclaims frame 2 */
    s = stats();
    CHECK_EQ(s.deferred, 0);
    CHECK(s.completed_frame >= 1);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].bytes_used, 0);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    rig_down(&r, 0); /* waits for frames 2 and 3 */
}

static void test_upload(const preset_t *p)
{
    rig_t r;
    if (!rig_up(&r, p->make()))
        return;
    enum { SIZE = 3000 };
    unsigned char data[4 * KIB]; /* SIZE bytes to the per-frame buffer, 4 KiB to the mesh */
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 7u + 1u);
    mk_gpu_buffer_info_t target, mesh;
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PER_FRAME, SIZE, &target), MK_OK);
    CHECK(target.mapped != NULL);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 64 * KIB, &mesh), MK_OK);
    CHECK_EQ(mk_gpu_upload(target.id, 0, data, 1000), MK_OK);
    CHECK_EQ(mk_gpu_upload(target.id, 1000, data + 1000, SIZE - 1000), MK_OK);
    CHECK_EQ(mk_gpu_upload(target.id, 1, data, SIZE), MK_EINVAL); /* past the end */
    for (unsigned i = 0; i < 16; i++) /* 16 x 4 KiB: the 64 KiB ring fills in one frame */
        if (mk_gpu_upload(mesh.id, i * 4u * KIB, data, 4 * KIB) != MK_OK) {
            CHECK(i >= 14); /* what is left after 3000 bytes and alignment */
            CHECK_EQ(mk_gpu_upload(mesh.id, i * 4u * KIB, data, 4 * KIB), MK_ENOMEM);
            break;
        }
    CHECK(stats().ring_used > 60 * KIB);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK); /* the mock runs the copies */
    CHECK(memcmp(target.mapped, data, SIZE) == 0);
    CHECK_EQ(mk_gpu_buffer_destroy(target.id), MK_OK);
    /* the next frames reuse the ring: waits reclaim it */
    for (unsigned f = 0; f < 6; f++) {
        CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
        for (unsigned i = 0; i < 8; i++)
            CHECK_EQ(mk_gpu_upload(mesh.id, i * 4u * KIB, data, 4 * KIB), MK_OK);
        CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    }
    CHECK_EQ(mk_gpu_buffer_destroy(mesh.id), MK_OK);
    settle();
    mk_gpu_stats_t s = stats();
    CHECK_EQ(s.ring_used, 0);
    CHECK_EQ(s.bytes, 0);
    CHECK_EQ(r.mock->needless_flushes, 0); /* coherent staging: never flushed */
    rig_down(&r, 0);
}

static void test_noncoherent_flush(void)
{
    rig_t r;
    mk_gpu_mock_config_t config = mk_gpu_mock_discrete();
    config.buffer_type_bits = 0x5u; /* types 0 (DL) and 2 (HV|CACHED, not coherent) only */
    if (!rig_up(&r, config))
        return;
    mk_gpu_stats_t s = stats();
    CHECK_EQ(s.heaps[MK_GPU_HEAP_STAGING].memory_type, 2);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].memory_type, 0);
    unsigned char data[777];
    memset(data, 0x33, sizeof data);
    mk_gpu_buffer_info_t b;
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 32 * KIB, &b), MK_OK);
    for (unsigned f = 0; f < 4; f++) {
        CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
        for (unsigned i = 0; i < 20; i++) /* odd sizes at odd offsets, wrapping the ring */
            CHECK_EQ(mk_gpu_upload(b.id, i * 13u + f, data, 1 + (i * 37u + f * 11u) % sizeof data), MK_OK);
        CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    }
    CHECK(r.mock->calls[2] >= 80); /* a flush per upload */
    CHECK_EQ(mk_gpu_buffer_destroy(b.id), MK_OK);
    rig_down(&r, 0); /* the mock checked every flush range against the atom */
}

/* Upload into a device-local mesh, download into a readback buffer, read it
 * back once the frame's fence has signalled: MK_PENDING before. */
static void test_download_and_read(const preset_t *p)
{
    rig_t r;
    mk_gpu_mock_config_t config = p->make();
    config.deferred_fences = true;
    if (!rig_up(&r, config))
        return;
    unsigned char data[5000], back[5000];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 13u + 5u);
    mk_gpu_buffer_info_t mesh, shot;
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 8 * KIB, &mesh), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_SCREENSHOTS, 8 * KIB, &shot), MK_OK);
    CHECK(shot.mapped != NULL);
    CHECK_EQ(mk_gpu_upload(mesh.id, 100, data, sizeof data), MK_OK);
    CHECK_EQ(mk_gpu_download(mesh.id, 100, shot.id, 3, sizeof data), MK_OK);
    CHECK_EQ(mk_gpu_download(mesh.id, 0, mesh.id, 0, 16), MK_EINVAL);           /* onto itself */
    CHECK_EQ(mk_gpu_download(mesh.id, 8 * KIB - 8, shot.id, 0, 16), MK_EINVAL); /* past the source */
    CHECK_EQ(mk_gpu_download(mesh.id, 0, shot.id, 8 * KIB - 8, 16), MK_EINVAL); /* past the target */
    CHECK_EQ(mk_gpu_read(shot.id, 3, back, sizeof data), MK_PENDING);           /* not submitted */
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_read(shot.id, 3, back, sizeof data), MK_PENDING); /* submitted, fence not signalled */
    CHECK_EQ(mk_gpu_read(shot.id, 8 * KIB - 2, back, 4), MK_EINVAL);
    CHECK_EQ(mk_gpu_read(mesh.id, 0, back, 4), MK_EINVAL); /* device-local: not mapped */
    CHECK_EQ(mk_gpu_wait_idle(), MK_OK);
    memset(back, 0, sizeof back);
    CHECK_EQ(mk_gpu_read(shot.id, 3, back, sizeof data), MK_OK);
    CHECK(memcmp(back, data, sizeof data) == 0);
    CHECK_EQ(mk_gpu_buffer_destroy(mesh.id), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(shot.id), MK_OK);
    CHECK_EQ(mk_gpu_read(shot.id, 0, back, 1), MK_EINVAL); /* stale */
    CHECK_EQ(stats().deferred, 0); /* nothing in flight after wait_idle */
    rig_down(&r, 0);
}

/* Host flush and invalidate on the discrete GPU's non-coherent readback type:
 * the mock refuses ranges that are not rounded to the atom (64). */
static void test_host_ranges(void)
{
    rig_t r;
    if (!rig_up(&r, mk_gpu_mock_discrete()))
        return;
    mk_gpu_buffer_info_t a, b;
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_SCREENSHOTS, 100, &a), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_SCREENSHOTS, 1000, &b), MK_OK);
    CHECK_EQ(mk_gpu_flush(a.id, 1, 3), MK_OK);
    CHECK_EQ(mk_gpu_flush(b.id, 999, 1), MK_OK);
    CHECK_EQ(mk_gpu_invalidate(b.id, 17, 500), MK_OK);
    CHECK_EQ(mk_gpu_flush(b.id, 999, 2), MK_EINVAL);
    CHECK_EQ(mk_gpu_flush(b.id, 0, 0), MK_EINVAL);
    mk_gpu_buffer_info_t mesh;
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 1000, &mesh), MK_OK);
    CHECK_EQ(mk_gpu_flush(mesh.id, 0, 4), MK_EINVAL); /* device-local: not mapped */
    CHECK_EQ(mk_gpu_buffer_destroy(a.id), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(b.id), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(mesh.id), MK_OK);
    rig_down(&r, 0); /* the mock checked each range: offset and size multiples of the atom, or the end */
}

/* Memory for images: optimal images keep bufferImageGranularity (1024 on the
 * discrete mock) from buffers; no image memory in a linear heap. */
static void test_image_memory(void)
{
    rig_t r;
    if (!rig_up(&r, mk_gpu_mock_discrete()))
        return;
    mk_gpu_buffer_info_t buf, img, lin;
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_TEXTURES, 100, &buf), MK_OK);
    mk_gpu_requirements_t req = {4096, 256, 1u << 0};
    CHECK_EQ(mk_gpu_alloc(MK_GPU_INTENT_TEXTURES, &req, 1, &img), MK_OK);
    CHECK_EQ(img.buffer, 0);
    CHECK_EQ(img.memory, buf.memory);
    CHECK_EQ(img.offset % 256, 0);
    CHECK((buf.offset + 100 - 1) / 1024 != img.offset / 1024); /* not on the buffer's granularity page */
    CHECK_EQ(mk_gpu_alloc(MK_GPU_INTENT_TEXTURES, &req, 0, &lin), MK_OK); /* linear: may share pages */
    CHECK_EQ(stats().heaps[MK_GPU_HEAP_TEXTURES].bytes_used, 256 + 4096 + 4096); /* the mock rounds buffers to 256 */
    mk_gpu_requirements_t other_type = {4096, 256, 1u << 2};
    CHECK_EQ(mk_gpu_alloc(MK_GPU_INTENT_TEXTURES, &other_type, 1, &lin), MK_EINVAL);
    mk_gpu_requirements_t bad_alignment = {4096, 48, 1u << 0};
    CHECK_EQ(mk_gpu_alloc(MK_GPU_INTENT_TEXTURES, &bad_alignment, 1, &lin), MK_EINVAL);
    mk_gpu_requirements_t any = {4096, 256, UINT32_MAX};
    CHECK_EQ(mk_gpu_alloc(MK_GPU_INTENT_PER_FRAME, &any, 1, &lin), MK_EINVAL); /* linear heap */
    mk_gpu_requirements_t large = {200 * KIB, 4096, 1u << 0};
    mk_gpu_buffer_info_t big;
    CHECK_EQ(mk_gpu_alloc(MK_GPU_INTENT_TEXTURES, &large, 1, &big), MK_OK); /* above half a block */
    CHECK_EQ(stats().heaps[MK_GPU_HEAP_TEXTURES].dedicated, 1);
    CHECK_EQ(mk_gpu_alloc(MK_GPU_INTENT_MESHES, &req, 1, &lin), MK_EINVAL); /* heap without images = true */
    CHECK_EQ(mk_gpu_free(buf.id), MK_EINVAL);          /* a buffer: mk_gpu_buffer_destroy */
    CHECK_EQ(mk_gpu_buffer_destroy(img.id), MK_EINVAL); /* image memory: mk_gpu_free */
    CHECK_EQ(mk_gpu_upload(img.id, 0, &req, 8), MK_EINVAL); /* no buffer to copy into */
    CHECK_EQ(mk_gpu_free(img.id), MK_OK);
    CHECK_EQ(mk_gpu_free(big.id), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(buf.id), MK_OK);
    CHECK_EQ(stats().heaps[MK_GPU_HEAP_TEXTURES].allocations, 1); /* lin is left: shutdown counts it */
    rig_down(&r, 1);
}

/* The device's own budget caps the tier below its configured ones:
 * VK_EXT_memory_budget's answer when the device has it, else 80 % of the
 * heap. Dedicated 200 KiB allocations on a 1 MiB device-local heap. */
static void test_device_budget(bool extension)
{
    rig_t r;
    mk_gpu_mock_config_t config = mk_gpu_mock_lavapipe();
    config.device.heap_size[0] = 2048 * KIB;
    config.device.has_memory_budget = extension;
    config.heap_budget[0] = 1200 * KIB;
    if (!rig_up(&r, config))
        return;
    uint64_t cap = extension ? 1200 * KIB : 2048 * KIB / 10 * 8;
    uint64_t base = r.mock->heap_used[0]; /* the blocks of init */
    mk_gpu_buffer_info_t b[8];
    unsigned made = 0;
    while (made < 8 && mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 200 * KIB, &b[made]) == MK_OK) {
        CHECK(r.mock->heap_used[0] <= cap);
        made++;
    }
    CHECK(made < 8);
    CHECK_EQ(made, (unsigned)((cap - base) / (200 * KIB)));
    for (unsigned i = 0; i < made; i++)
        CHECK_EQ(mk_gpu_buffer_destroy(b[i].id), MK_OK);
    rig_down(&r, 0);
}

/* The ML3xx checks, each once per intent. */
static void test_reports(void)
{
    rig_t r;
    mk_gpu_mock_config_t config = mk_gpu_mock_discrete();
    config.deferred_fences = true;
    if (!rig_up(&r, config))
        return;
    for (unsigned i = 0; i < 6; i++)
        reported[i] = 0;
    unsigned char data[64] = {1};
    mk_gpu_buffer_info_t shot, uniforms, kept;
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK); /* frame 1 */
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_SCREENSHOTS, 256, &shot), MK_OK);
    CHECK_EQ(mk_gpu_upload(shot.id, 0, data, sizeof data), MK_OK); /* mapped: ML305 */
    CHECK_EQ(reported[5], 1);
    CHECK_EQ(mk_gpu_upload(shot.id, 0, data, sizeof data), MK_OK); /* once per intent */
    CHECK_EQ(reported[5], 1);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PER_FRAME, 256, &uniforms), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PER_FRAME, 256, &kept), MK_OK);
    CHECK_EQ(mk_gpu_flush(uniforms.id, 0, 256), MK_OK); /* written this frame, not submitted: fine */
    CHECK_EQ(reported[2], 0);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_invalidate(shot.id, 0, 64), MK_OK); /* frame 1 still in flight: ML302 */
    CHECK_EQ(reported[2], 1);
    CHECK_EQ(mk_gpu_buffer_destroy(uniforms.id), MK_OK);
    CHECK_EQ(mk_gpu_wait_idle(), MK_OK);
    unsigned char back[64];
    CHECK_EQ(mk_gpu_read(kept.id, 0, back, sizeof back), MK_OK); /* DL|HV|HC, not cached: ML303 */
    CHECK_EQ(reported[3], 1);
    CHECK_EQ(mk_gpu_read(shot.id, 0, back, sizeof back), MK_OK); /* HV|CACHED: fine */
    CHECK_EQ(reported[3], 1);
    CHECK(memcmp(back, data, sizeof back) == 0);
    /* `kept` outlives its frame: frame 3 reuses frame 1's block (2 in flight) */
    for (unsigned f = 2; f <= 3; f++) {
        CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
        mk_gpu_buffer_info_t u;
        CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PER_FRAME, 256, &u), MK_OK);
        CHECK_EQ(mk_gpu_buffer_destroy(u.id), MK_OK);
        CHECK_EQ(reported[1], f == 3 ? 1u : 0u);
        CHECK_EQ(mk_gpu_end_frame(), MK_OK);
        CHECK(mk_gpu_mock_advance(r.mock));
    }
    CHECK_EQ(mk_gpu_buffer_destroy(kept.id), MK_EINVAL); /* freed by the reset: its id is stale */
    /* A per-frame buffer kept past its frame and copied into by a later frame:
     * reusing its block waits for that frame, so the copy cannot land on the
     * next buffer; copied into by the frame that reuses the block, it stops the
     * reuse (MK_ENOMEM). 2 frames in flight: frames 4, 6, 8 share a block. */
    mk_gpu_buffer_info_t old_u, fresh, late;
    unsigned char stale[64], fill[64];
    memset(stale, 0xaa, sizeof stale);
    memset(fill, 0x11, sizeof fill);
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK); /* frame 4 */
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PER_FRAME, 64, &old_u), MK_OK);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK); /* frame 5 copies into it */
    CHECK_EQ(mk_gpu_upload(old_u.id, 0, stale, sizeof stale), MK_OK);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK(mk_gpu_mock_advance(r.mock)); /* only frame 4 signals */
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK); /* frame 6: frame 4's block */
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PER_FRAME, 64, &fresh), MK_OK); /* waits for frame 5 */
    CHECK_EQ(fresh.offset, old_u.offset); /* the same memory, now free of pending copies */
    memcpy(fresh.mapped, fill, sizeof fill);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_wait_idle(), MK_OK);
    CHECK(memcmp(fresh.mapped, fill, sizeof fill) == 0);
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK); /* frame 7 */
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK); /* frame 8: frame 6's block, `fresh` still live */
    CHECK_EQ(mk_gpu_upload(fresh.id, 0, stale, sizeof stale), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PER_FRAME, 64, &late), MK_ENOMEM);
    CHECK_EQ(mk_gpu_buffer_destroy(fresh.id), MK_OK);
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(shot.id), MK_OK);
    CHECK_EQ(reported[4], 0); /* ML304: the backend puts barriers between the tier's copies */
    rig_down(&r, 0);
}

/* mk_stats_print shows the GPU tables; the JSON dump has VMA's shape and
 * is cut short like snprintf. MK_GPU_JSON_OUT=path writes it for
 * tests/gpu/check_vma_json.py. */
static void test_stats_print_and_json(void)
{
    rig_t r;
    if (!rig_up(&r, mk_gpu_mock_discrete()))
        return;
    mk_gpu_buffer_info_t a, b, big, img;
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 3000, &a), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 7000, &b), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 200 * KIB, &big), MK_OK);
    mk_gpu_requirements_t req = {8192, 1024, 1u << 0};
    CHECK_EQ(mk_gpu_alloc(MK_GPU_INTENT_TEXTURES, &req, 1, &img), MK_OK);
    mk_gpu_buffer_info_t u;
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_PER_FRAME, 512, &u), MK_OK);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f != NULL) {
        mk_stats_print(f);
        char text[8192];
        rewind(f);
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
        CHECK(strstr(text, "gpu heap") != NULL);
        CHECK(strstr(text, "readback") != NULL);
        CHECK(strstr(text, "particles") != NULL);
    }
    size_t len = mk_gpu_stats_json(NULL, 0);
    CHECK(len > 500);
    char *json = malloc(len + 1);
    CHECK(json != NULL);
    if (json != NULL) {
        CHECK_EQ(mk_gpu_stats_json(json, len + 1), len);
        CHECK_EQ(strlen(json), len);
        CHECK(strstr(json, "\"CustomPools\"") != NULL);
        CHECK(strstr(json, "\"IMAGE_OPTIMAL\"") != NULL);
        CHECK(strstr(json, "\"DedicatedAllocations\": [{\"Type\": \"BUFFER\", \"Size\": 204800") != NULL);
        char small[64];
        CHECK_EQ(mk_gpu_stats_json(small, sizeof small), len); /* cut short, NUL-terminated */
        CHECK_EQ(strlen(small), sizeof small - 1);
        CHECK(strncmp(small, json, sizeof small - 1) == 0);
        const char *out = getenv("MK_GPU_JSON_OUT");
        FILE *o = out != NULL ? fopen(out, "w") : NULL;
        if (o != NULL) {
            fputs(json, o);
            fclose(o);
        }
        free(json);
    }
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(a.id), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(b.id), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(big.id), MK_OK);
    CHECK_EQ(mk_gpu_buffer_destroy(u.id), MK_OK);
    CHECK_EQ(mk_gpu_free(img.id), MK_OK);
    rig_down(&r, 0);
}

/* Four threads create, upload into and destroy buffers of three heaps while
 * the main thread runs frames: one lock keeps the tier and the mock
 * consistent (TSan checks the locking), and every buffer comes back. */
enum { WORKER_OPS = 400 };
typedef struct worker_arg {
    uint64_t seed;
    unsigned bad; /* results that should not happen (the CHECK harness is not thread-safe) */
} worker_arg_t;

static void *worker(void *arg)
{
    worker_arg_t *w = arg;
    unsigned char data[256];
    memset(data, (int)(w->seed & 0xff), sizeof data);
    static const mk_gpu_intent_id_t intents[] = {MK_GPU_INTENT_MESHES, MK_GPU_INTENT_PARTICLES,
                                                 MK_GPU_INTENT_SCREENSHOTS};
    for (unsigned i = 0; i < WORKER_OPS; i++) {
        mk_gpu_buffer_info_t b;
        mk_gpu_intent_id_t intent = intents[next_rand(&w->seed) % 3];
        if (mk_gpu_buffer_create(intent, 256 + next_rand(&w->seed) % 4096, &b) != MK_OK)
            continue;
        mk_status_t status = mk_gpu_upload(b.id, 0, data, sizeof data);
        w->bad += status != MK_OK && status != MK_ENOMEM; /* ENOMEM: this frame's uploads alone fill the ring */
        w->bad += mk_gpu_buffer_destroy(b.id) != MK_OK;
    }
    return NULL;
}

static void test_threads(void)
{
    rig_t r;
    if (!rig_up(&r, mk_gpu_mock_uma()))
        return;
    pthread_t threads[4];
    worker_arg_t args[4];
    for (unsigned t = 0; t < 4; t++) {
        args[t] = (worker_arg_t){t + 1u, 0};
        CHECK_EQ(pthread_create(&threads[t], NULL, worker, &args[t]), 0);
    }
    for (unsigned f = 0; f < 100; f++) {
        CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
        mk_gpu_stats_t s;
        CHECK_EQ(mk_gpu_stats_get(&s), MK_OK);
        CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    }
    for (unsigned t = 0; t < 4; t++) {
        CHECK_EQ(pthread_join(threads[t], NULL), 0);
        CHECK_EQ(args[t].bad, 0);
    }
    settle();
    mk_gpu_stats_t s = stats();
    CHECK_EQ(s.deferred, 0);
    CHECK_EQ(s.bytes, 0);
    CHECK_EQ(s.intents[MK_GPU_INTENT_MESHES].allocations + s.intents[MK_GPU_INTENT_PARTICLES].allocations, 0);
    rig_down(&r, 0);
}

/* Everything once, each step's failure tolerated: for the OOM loop. */
static void scenario(void)
{
    unsigned char data[512];
    memset(data, 1, sizeof data);
    mk_gpu_buffer_info_t b[4];
    bool made[4];
    (void)mk_gpu_begin_frame();
    made[0] = mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 10 * KIB, &b[0]) == MK_OK;
    made[1] = mk_gpu_buffer_create(MK_GPU_INTENT_PARTICLES, 200 * KIB, &b[1]) == MK_OK;
    made[2] = mk_gpu_buffer_create(MK_GPU_INTENT_PER_FRAME, 1 * KIB, &b[2]) == MK_OK;
    made[3] = mk_gpu_buffer_create(MK_GPU_INTENT_SCREENSHOTS, 200 * KIB, &b[3]) == MK_OK;
    for (unsigned i = 0; i < 4; i++)
        if (made[i])
            (void)mk_gpu_upload(b[i].id, 0, data, sizeof data);
    (void)mk_gpu_end_frame();
    (void)mk_gpu_begin_frame();
    for (unsigned i = 0; i < 4; i += 2)
        if (made[i])
            (void)mk_gpu_buffer_destroy(b[i].id);
    (void)mk_gpu_end_frame();
    (void)mk_gpu_begin_frame();
    (void)mk_gpu_end_frame(); /* buffers 1 and 3 are left to shutdown */
}

static void test_oom_loop(void)
{
    unsigned long n = 1;
    for (; n < 10000; n++) {
        mk_gpu_mock_config_t config = mk_gpu_mock_discrete();
        config.deferred_fences = n % 2 == 0; /* both ways of signalling */
        mk_gpu_mock_t *mock = mk_gpu_mock_create(&config);
        CHECK(mock != NULL);
        if (mock == NULL)
            return;
        mk_gpu_backend_t backend = mk_gpu_mock_backend(mock);
        mk_gpu_mock_fail_at(mock, (1u << MK_GPU_MOCK_KIND_COUNT) - 1u, n);
        if (mk_gpu_init(&backend) == MK_OK) {
            scenario();
            (void)mk_gpu_shutdown();
        }
        unsigned long injected = mock->injected;
        if (mock->errors != 0) {
            fprintf(stderr, "oom loop n=%lu: %s\n", n, mock->last_error);
            CHECK_EQ(mock->errors, 0);
        }
        unsigned long leaks = mk_gpu_mock_destroy(mock);
        if (leaks != 0)
            fprintf(stderr, "oom loop n=%lu: %lu leaks\n", n, leaks);
        CHECK_EQ(leaks, 0);
        if (injected == 0)
            break; /* the run completed without reaching call n */
    }
    CHECK(n > 20 && n < 10000);
    printf("oom loop: %lu failure points\n", n - 1);
}

int main(void)
{
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
    mk_set_report_handler(count_report, NULL);
    CHECK_EQ(mk_gpu_stats_json(NULL, 0), 0); /* tier down */
    mk_gpu_backend_t none = {0};
    CHECK_EQ(mk_gpu_init(&none), MK_EINVAL);
    mk_gpu_buffer_info_t info;
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 1, &info), MK_ESTATE);
    for (unsigned i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        test_type_choice_and_min_blocks(&presets[i]);
        test_placement(&presets[i]);
        test_upload(&presets[i]);
        test_download_and_read(&presets[i]);
    }
    test_host_ranges();
    test_image_memory();
    test_device_budget(true);
    test_device_budget(false);
    test_reports();
    test_stats_print_and_json();
    test_threads();
    test_dedicated_and_blocks();
    test_allocation_count_cap();
    test_budgets();
    test_deferred_destroy();
    test_noncoherent_flush();
    test_oom_loop();
    CHECK_EQ(mk_shutdown(), 0);
    return unit_check_finish("test_gpu_tier");
}
