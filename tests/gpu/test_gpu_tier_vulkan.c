/* test_gpu_tier_vulkan.c — the whole GPU tier (memkit/gpu.h) over the Vulkan
 * backend on a real driver (lavapipe in CI), with VK_LAYER_KHRONOS_validation,
 * synchronization validation and a messenger counting errors: zero validation
 * errors is an assertion (vulkan_harness.h), and so is zero ML3xx report.
 *
 * Config tests/configs/gpu_vulkan.toml: three frames in flight; a device-local
 * TLSF heap of 256 KiB blocks (dedicated above 128 KiB) for meshes, a readback
 * heap for results, a unified per-frame linear heap for uniforms, a 256 KiB
 * staging ring.
 *
 * Over ~55 frames: 56 meshes of assorted sizes (1 byte to 1 MiB + 13, three of
 * every fourteen dedicated) are created, filled with deterministic patterns
 * through the staging ring in chunks of at most 64 KiB, 160 KiB a frame — two
 * frames' worth is more than the ring holds, so every frame's uploads must
 * reclaim (wait for, if need be) the frame before — and half of the small ones
 * get their first half overwritten in the same batch (write after write).
 * Once a mesh is whole it is downloaded into a buffer of the readback heap in
 * the same frame. Each frame also writes two uniform buffers of the linear heap
 * through their mapping and downloads them. Reads: in the frame that recorded
 * a download, mk_gpu_read says MK_PENDING; in later frames it may succeed;
 * FRAMES_IN_FLIGHT frames later (the slot came round, its fence waited) it must;
 * half the meshes' readbacks are held to the end (the readback heap grows past
 * a block); after mk_gpu_wait_idle every read must succeed; every byte read is
 * compared. Destroys:
 * a quarter of the meshes right after their download is recorded (deferred
 * while the copies reading them are not even submitted), a quarter in the next
 * frame, the rest at the end; uniforms in their own frame; readbacks once read.
 *
 * Checked along the way: placement without overlap, dedicated allocations at
 * offset 0 in memory of their own, each frame slot's uniform block reused and
 * reset (first uniform at offset 0), the ring never over-full, destroys inside
 * a frame deferred and after wait_idle immediate. At the end: no buffer, byte,
 * deferred destroy or ring byte left, empty blocks given back down to the
 * heaps' floors, the intents' totals, mk_gpu_shutdown reporting no leak, the
 * backend no batch left behind.
 */
#include <memkit/gpu.h>
#include <memkit/memkit.h>

#include "backend_vulkan.h"

#include "../unit_check.h"
#include "vulkan_harness.h"

#include <string.h>

#define KIB 1024u
#define FIF MKG_GPU_FRAMES_IN_FLIGHT /* 3 */
#define BLOCK (256u * KIB)           /* [gpu.heap.device] and [gpu.heap.readback] block */
#define UNIFORM_BLOCK (64u * KIB)    /* [gpu.heap.frame] block */
#define RING (256u * KIB)            /* [gpu.heap.staging] block */
#define CHUNK (64u * KIB)            /* the largest single upload */
#define FRAME_UPLOAD (160u * KIB)    /* uploaded per frame: two frames' worth is more than the ring */
#define SIZES 14u
#define MESHES (4u * SIZES)
#define UNIFORMS 2u /* per frame */
#define MAX_FRAMES 200u
#define MAX_READBACKS (MESHES + 1u + MAX_FRAMES * UNIFORMS)
#define LARGEST ((1u << 20) + 13u)

static const uint64_t sizes[SIZES] = {1,     3,      64,     100,    255,    256,    1000,
                                      4096,  4097,   65536,  100000, 200000, 700000, LARGEST};

static unsigned char pattern(unsigned seed, uint64_t i) { return (unsigned char)(seed * 13u + i * 31u + (i >> 8)); }

typedef struct readback {
    mk_gpu_buffer_info_t info;
    uint64_t frame;   /* the frame that recorded its download */
    unsigned seed;    /* what it must hold: half_seed's pattern in [0, half), seed's after */
    unsigned half_seed;
    uint64_t half;
    bool live;
    bool hold; /* read only after mk_gpu_wait_idle, at the end */
} readback_t;

typedef struct mesh {
    mk_gpu_buffer_info_t info;
    unsigned seed, half_seed;
    uint64_t half;       /* bytes overwritten with half_seed's pattern after the whole upload; 0: none */
    uint64_t uploaded;   /* bytes of seed's pattern recorded */
    bool overwritten, downloaded, destroyed, dedicated;
    uint64_t destroy_at; /* the frame that destroys it; 0: the end */
} mesh_t;

static struct {
    mesh_t meshes[MESHES];
    unsigned created;
    readback_t rbs[MAX_READBACKS];
    unsigned rb_count;
    uint64_t frame; /* the tier's current frame (frames are numbered from 1) */
    uint64_t uploaded[MAX_FRAMES + 1];
    uint64_t total_uploaded;
    mk_gpu_memory_t uniform_memory[FIF]; /* each frame slot's linear block */
    unsigned long verified_bytes, mismatches, early_reads, pending_polls, ring_turns, deferred_destroys;
    unsigned long reports;
    uint32_t device_blocks_peak, readback_blocks_peak, dedicated_peak;
} t;

static unsigned char got[LARGEST];
static unsigned char src[CHUNK];

static void on_report(const mk_report_t *report, void *user)
{
    (void)user;
    t.reports++;
    fprintf(stderr, "memkit report %s: %s\n", report->code, report->message);
}

static mk_gpu_stats_t stats(void)
{
    mk_gpu_stats_t s;
    memset(&s, 0, sizeof s);
    CHECK_EQ(mk_gpu_stats_get(&s), MK_OK);
    return s;
}

/* Destroys a buffer. Inside a frame the destroy is deferred to the frame's
 * fence (the frame may use it); between frames to the last submitted frame's,
 * unless that has signalled (every buffer here was last used in a frame
 * already submitted): then at once. */
static void destroy(mk_gpu_buffer_id_t id, bool in_frame)
{
    mk_gpu_stats_t before = stats();
    bool deferred = in_frame || before.completed_frame + 1u < before.frame;
    CHECK_EQ(mk_gpu_buffer_destroy(id), MK_OK);
    CHECK_EQ(stats().deferred, before.deferred + (deferred ? 1u : 0u));
    t.deferred_destroys += deferred;
}

/* A results buffer for a download of `size` bytes in this frame, poisoned so that bytes never written show. */
static readback_t *new_readback(uint64_t size, unsigned seed, unsigned half_seed, uint64_t half, bool hold)
{
    CHECK(t.rb_count < MAX_READBACKS);
    if (t.rb_count == MAX_READBACKS)
        return NULL;
    readback_t *rb = &t.rbs[t.rb_count];
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_RESULTS, size, &rb->info), MK_OK);
    if (rb->info.id == 0)
        return NULL;
    t.rb_count++;
    CHECK(rb->info.mapped != NULL); /* the readback heap is host-visible and mapped */
    CHECK_EQ(rb->info.size, size);
    if (rb->info.mapped != NULL)
        memset(rb->info.mapped, 0xEE, (size_t)size);
    rb->frame = t.frame;
    rb->seed = seed;
    rb->half_seed = half_seed;
    rb->half = half;
    rb->live = true;
    rb->hold = hold;
    return rb;
}

/* Records the download src -> a new readback; the read right after is MK_PENDING (not even submitted). */
static void download(mk_gpu_buffer_id_t from, uint64_t size, unsigned seed, unsigned half_seed, uint64_t half,
                     bool hold)
{
    readback_t *rb = new_readback(size, seed, half_seed, half, hold);
    if (rb == NULL)
        return;
    CHECK_EQ(mk_gpu_download(from, 0, rb->info.id, 0, size), MK_OK);
    unsigned char probe;
    CHECK_EQ(mk_gpu_read(rb->info.id, 0, &probe, 1), MK_PENDING);
}

/* Reads a readback; compares and destroys it once the read succeeds. */
static void read_readback(readback_t *rb, bool must_be_ready, bool in_frame)
{
    mk_status_t status = mk_gpu_read(rb->info.id, 0, got, rb->info.size);
    if (must_be_ready)
        CHECK_EQ(status, MK_OK);
    else
        CHECK(status == MK_OK || status == MK_PENDING);
    if (status == MK_PENDING)
        t.pending_polls++;
    if (status != MK_OK)
        return;
    t.early_reads += !must_be_ready;
    for (uint64_t j = 0; j < rb->info.size; j++) {
        unsigned char want = j < rb->half ? pattern(rb->half_seed, j) : pattern(rb->seed, j);
        if (got[j] == want) {
            t.verified_bytes++;
        } else if (t.mismatches++ < 10u) {
            fprintf(stderr, "readback of frame %llu (%llu bytes) byte %llu: got 0x%02x, want 0x%02x\n",
                    (unsigned long long)rb->frame, (unsigned long long)rb->info.size, (unsigned long long)j, got[j],
                    want);
        }
    }
    destroy(rb->info.id, in_frame);
    rb->live = false;
}

/* Two uniform buffers in the frame's linear block, written through the mapping, downloaded, destroyed. */
static void uniforms(void)
{
    mk_gpu_buffer_info_t previous;
    memset(&previous, 0, sizeof previous);
    for (unsigned k = 0; k < UNIFORMS; k++) {
        uint64_t size = 256u + (t.frame * 208u + k * 1000u) % 3840u;
        mk_gpu_buffer_info_t u;
        CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_UNIFORMS, size, &u), MK_OK);
        if (u.id == 0)
            return;
        CHECK(u.mapped != NULL);
        CHECK(u.offset + size <= UNIFORM_BLOCK);
        if (k == 0) {
            unsigned slot = (unsigned)(t.frame % FIF);
            CHECK_EQ(u.offset, 0); /* the slot's block was reset when the slot came round */
            if (t.uniform_memory[slot] != 0)
                CHECK_EQ(u.memory, t.uniform_memory[slot]);
            for (unsigned other = 0; other < FIF; other++)
                if (other != slot && t.uniform_memory[other] != 0)
                    CHECK(u.memory != t.uniform_memory[other]);
            t.uniform_memory[slot] = u.memory;
        } else {
            CHECK_EQ(u.memory, previous.memory);
            CHECK(u.offset >= previous.offset + previous.size);
        }
        unsigned seed = 1000u + (unsigned)t.frame * 2u + k;
        unsigned char *p = u.mapped;
        if (p != NULL)
            for (uint64_t j = 0; j < size; j++)
                p[j] = pattern(seed, j);
        CHECK_EQ(mk_gpu_flush(u.id, 0, size), MK_OK);
        download(u.id, size, seed, 0, 0, false);
        destroy(u.id, true); /* before its slot comes round */
        previous = u;
    }
}

static uint64_t queued_bytes(void)
{
    uint64_t queued = 0;
    for (unsigned i = 0; i < t.created; i++)
        if (!t.meshes[i].downloaded)
            queued += t.meshes[i].info.size - t.meshes[i].uploaded;
    return queued;
}

static void create_meshes(void)
{
    while (t.created < MESHES && queued_bytes() < 2u * FRAME_UPLOAD) {
        unsigned i = t.created;
        uint64_t size = sizes[(i * 5u + i / SIZES) % SIZES]; /* each pass over the sizes in another order */
        mesh_t *m = &t.meshes[i];
        mk_gpu_stats_t before = stats();
        CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, size, &m->info), MK_OK);
        if (m->info.id == 0)
            return;
        t.created++;
        mk_gpu_stats_t after = stats();
        m->dedicated = size > BLOCK / 2u;
        CHECK_EQ(after.heaps[MK_GPU_HEAP_DEVICE].dedicated,
                 before.heaps[MK_GPU_HEAP_DEVICE].dedicated + (m->dedicated ? 1u : 0u));
        CHECK(m->info.buffer != 0 && m->info.memory != 0);
        CHECK_EQ(m->info.size, size);
        CHECK(m->info.mapped == NULL); /* device_local heaps are not mapped */
        if (m->dedicated)
            CHECK_EQ(m->info.offset, 0);
        else
            CHECK(m->info.offset + size <= BLOCK);
        for (unsigned j = 0; j < i; j++) { /* no two live meshes share a byte; dedicated memory is its own */
            const mesh_t *o = &t.meshes[j];
            if (o->destroyed || o->info.memory != m->info.memory)
                continue;
            CHECK(!m->dedicated && !o->dedicated);
            CHECK(m->info.offset + size <= o->info.offset || o->info.offset + o->info.size <= m->info.offset);
        }
        m->seed = i * 7u + 1u;
        m->half_seed = m->seed + 0x5au;
        m->half = size <= CHUNK && size >= 2u && i % 2u == 0u ? size / 2u : 0u;
    }
}

/* Up to FRAME_UPLOAD bytes of pending uploads; a mesh complete in this frame is downloaded at once. */
static void upload_meshes(void)
{
    uint64_t used = 0;
    for (unsigned i = 0; i < t.created; i++) {
        mesh_t *m = &t.meshes[i];
        if (m->downloaded)
            continue;
        while (m->uploaded < m->info.size) {
            uint64_t n = m->info.size - m->uploaded < CHUNK ? m->info.size - m->uploaded : CHUNK;
            if (n > FRAME_UPLOAD - used)
                n = FRAME_UPLOAD - used; /* the frame's last chunk: what is left of its share */
            if (n == 0u)
                goto frame_full;
            for (uint64_t j = 0; j < n; j++)
                src[j] = pattern(m->seed, m->uploaded + j);
            mk_status_t status = mk_gpu_upload(m->info.id, m->uploaded, src, n);
            CHECK_EQ(status, MK_OK);
            if (status != MK_OK)
                goto frame_full;
            m->uploaded += n;
            used += n;
        }
        if (m->half != 0u && !m->overwritten) { /* the same bytes again, in the same batch: write after write */
            if (used + m->half > FRAME_UPLOAD)
                goto frame_full;
            for (uint64_t j = 0; j < m->half; j++)
                src[j] = pattern(m->half_seed, j);
            CHECK_EQ(mk_gpu_upload(m->info.id, 0, src, m->half), MK_OK);
            m->overwritten = true;
            used += m->half;
        }
        download(m->info.id, m->info.size, m->seed, m->half_seed, m->half, i % 2u == 0u);
        m->downloaded = true;
        if (i % 4u == 0u) { /* the copies that read it are not even submitted: deferred */
            destroy(m->info.id, true);
            m->destroyed = true;
        } else if (i % 4u == 1u) {
            m->destroy_at = t.frame + 1u; /* while this frame may still be running */
        }
    }
frame_full:
    t.uploaded[t.frame] = used;
    t.total_uploaded += used;
    mk_gpu_stats_t s = stats();
    CHECK(s.ring_used <= RING);
    /* the ring cannot hold this frame's uploads and the previous frame's: that frame was reclaimed */
    if (t.frame >= 2u && t.uploaded[t.frame - 1u] + used > RING) {
        CHECK(s.completed_frame >= t.frame - 1u);
        t.ring_turns++;
    }
}

static bool work_left(void)
{
    if (t.created < MESHES)
        return true;
    for (unsigned i = 0; i < MESHES; i++)
        if (!t.meshes[i].downloaded || (!t.meshes[i].destroyed && t.meshes[i].destroy_at >= t.frame))
            return true;
    return false;
}

static void run_frame(void)
{
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
    mk_gpu_stats_t s = stats();
    CHECK_EQ(s.frame, t.frame);
    if (t.frame > FIF)
        CHECK(s.completed_frame >= t.frame - FIF); /* the slot's last frame has signalled */
    if (s.heaps[MK_GPU_HEAP_DEVICE].blocks > t.device_blocks_peak)
        t.device_blocks_peak = s.heaps[MK_GPU_HEAP_DEVICE].blocks;
    if (s.heaps[MK_GPU_HEAP_READBACK].blocks > t.readback_blocks_peak)
        t.readback_blocks_peak = s.heaps[MK_GPU_HEAP_READBACK].blocks;
    if (s.heaps[MK_GPU_HEAP_DEVICE].dedicated > t.dedicated_peak)
        t.dedicated_peak = s.heaps[MK_GPU_HEAP_DEVICE].dedicated;

    for (unsigned r = 0; r < t.rb_count; r++)
        if (t.rbs[r].live && !t.rbs[r].hold) /* FIF frames later it must be there; earlier it may */
            read_readback(&t.rbs[r], t.rbs[r].frame + FIF <= t.frame, true);
    for (unsigned i = 0; i < t.created; i++) {
        mesh_t *m = &t.meshes[i];
        if (!m->destroyed && m->destroy_at == t.frame) {
            destroy(m->info.id, true);
            m->destroyed = true;
        }
    }
    uniforms();
    create_meshes();
    upload_meshes();
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    t.frame++;
}

/* Misuse the tier refuses, in a frame of its own. */
static void refusals(void)
{
    CHECK_EQ(mk_gpu_begin_frame(), MK_OK);
    CHECK_EQ(mk_gpu_begin_frame(), MK_ESTATE); /* already begun */
    mk_gpu_buffer_info_t mesh, res;
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, 100000, &mesh), MK_OK);
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_RESULTS, 1000, &res), MK_OK);
    CHECK_EQ(mk_gpu_read(mesh.id, 0, got, 1), MK_EINVAL);              /* not mapped */
    CHECK_EQ(mk_gpu_read(res.id, 1, got, 1000), MK_EINVAL);            /* past the end */
    CHECK_EQ(mk_gpu_read(res.id, 0, NULL, 1), MK_EINVAL);
    CHECK_EQ(mk_gpu_download(mesh.id, 0, mesh.id, 0, 1), MK_EINVAL);   /* src == dst */
    CHECK_EQ(mk_gpu_download(mesh.id, 0, res.id, 1, 1000), MK_EINVAL); /* past dst's end */
    CHECK_EQ(mk_gpu_download(mesh.id, 99999, res.id, 0, 2), MK_EINVAL); /* past src's end */
    CHECK_EQ(mk_gpu_download(mesh.id, 0, res.id, 0, 0), MK_EINVAL);
    CHECK_EQ(mk_gpu_upload(mesh.id, 1, src, 100000), MK_EINVAL);       /* past the end */
    mk_gpu_buffer_info_t big;
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, RING + 1024u, &big), MK_OK);
    static unsigned char large[RING + 1024u];
    CHECK_EQ(mk_gpu_upload(big.id, 0, large, RING + 1024u), MK_EINVAL); /* larger than the ring */
    CHECK_EQ(stats().ring_used, 0);                                     /* nothing was recorded */
    destroy(big.id, true);
    destroy(mesh.id, true);
    destroy(res.id, true);
    CHECK_EQ(mk_gpu_buffer_destroy(res.id), MK_EINVAL); /* twice */
    CHECK_EQ(mk_gpu_end_frame(), MK_OK);
    CHECK_EQ(mk_gpu_end_frame(), MK_ESTATE); /* no frame begun */
    CHECK_EQ(mk_gpu_wait_idle(), MK_OK);      /* the deferred destroys run */
    CHECK_EQ(stats().deferred, 0);
    CHECK_EQ(mk_gpu_read(res.id, 0, got, 1), MK_EINVAL); /* stale */
    /* between frames, everything signalled: a buffer nothing used goes at once */
    CHECK_EQ(mk_gpu_buffer_create(MK_GPU_INTENT_RESULTS, 1000, &res), MK_OK);
    CHECK_EQ(mk_gpu_read(res.id, 0, got, 1000), MK_OK);
    destroy(res.id, false);
    CHECK_EQ(stats().deferred, 0);
}

static void test_tier(const mk_gpu_backend_t *backend)
{
    CHECK_EQ(mk_gpu_init(backend), MK_OK);
    mk_gpu_stats_t s = stats();
    CHECK_EQ(s.heap_count, MKG_GPU_HEAP_COUNT);
    for (unsigned h = 0; h < MKG_GPU_HEAP_COUNT; h++)
        CHECK(s.heaps[h].memory_type >= 0);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].blocks, 1);   /* min_blocks */
    CHECK_EQ(s.heaps[MK_GPU_HEAP_FRAME].blocks, FIF);  /* one per frame in flight */
    CHECK_EQ(s.heaps[MK_GPU_HEAP_READBACK].blocks, 0); /* none until needed */
    CHECK_EQ(s.heaps[MK_GPU_HEAP_STAGING].blocks, 1);
    CHECK_EQ(s.device_allocations, 1u + FIF + 0u + 1u);
    CHECK(s.heaps[MK_GPU_HEAP_FRAME].memory_flags & MK_GPU_MEMORY_HOST_VISIBLE);
    CHECK(s.heaps[MK_GPU_HEAP_READBACK].memory_flags & MK_GPU_MEMORY_HOST_VISIBLE);
    CHECK(s.heaps[MK_GPU_HEAP_STAGING].memory_flags & MK_GPU_MEMORY_HOST_VISIBLE);
    CHECK_EQ(s.frame, 1);
    t.frame = 1;

    while (work_left() && t.frame < MAX_FRAMES)
        run_frame();
    CHECK(t.frame < MAX_FRAMES);
    uint64_t frames = t.frame - 1u;

    /* the last frames' downloads: pending until their fences signal; then all there, the held ones too */
    for (unsigned r = 0; r < t.rb_count; r++)
        if (t.rbs[r].live && !t.rbs[r].hold)
            read_readback(&t.rbs[r], false, false);
    CHECK_EQ(mk_gpu_wait_idle(), MK_OK);
    s = stats();
    CHECK_EQ(s.completed_frame, frames);
    CHECK_EQ(s.deferred, 0);
    CHECK_EQ(s.ring_used, 0);
    for (unsigned r = 0; r < t.rb_count; r++)
        if (t.rbs[r].live)
            read_readback(&t.rbs[r], true, false); /* between frames, all signalled: destroyed at once */
    for (unsigned i = 0; i < MESHES; i++)
        if (!t.meshes[i].destroyed) {
            destroy(t.meshes[i].info.id, false);
            t.meshes[i].destroyed = true;
        }
    refusals();

    uint64_t downloaded = 0;
    for (unsigned r = 0; r < t.rb_count; r++)
        downloaded += t.rbs[r].info.size;
    CHECK_EQ(t.mismatches, 0);
    CHECK_EQ(t.verified_bytes, downloaded);
    CHECK_EQ(t.rb_count, MESHES + frames * UNIFORMS);
    CHECK(t.total_uploaded > 20u * RING);  /* the ring went round many times */
    CHECK(t.ring_turns >= frames / 2u);    /* and most frames had to reclaim the one before */
    CHECK(t.deferred_destroys >= MESHES / 2u + frames * UNIFORMS);
    CHECK(t.device_blocks_peak >= 2);      /* the live meshes outgrew one block */
    CHECK(t.readback_blocks_peak >= 2);
    CHECK(t.dedicated_peak >= 1);

    s = stats();
    CHECK_EQ(s.bytes, 0);
    CHECK_EQ(s.deferred, 0);
    CHECK_EQ(s.ring_used, 0);
    for (unsigned h = 0; h < MKG_GPU_HEAP_COUNT; h++) {
        CHECK_EQ(s.heaps[h].allocations, 0);
        CHECK_EQ(s.heaps[h].bytes_used, 0);
        CHECK_EQ(s.heaps[h].dedicated, 0);
        CHECK_EQ(s.heaps[h].failures, 0);
    }
    for (unsigned i = 0; i < MKG_GPU_INTENT_COUNT; i++) {
        CHECK_EQ(s.intents[i].bytes, 0);
        CHECK_EQ(s.intents[i].allocations, 0);
        CHECK_EQ(s.intents[i].failures, 0);
    }
    CHECK_EQ(s.intents[MK_GPU_INTENT_MESHES].total_allocations, MESHES + 2u);   /* + refusals' two */
    CHECK_EQ(s.intents[MK_GPU_INTENT_RESULTS].total_allocations, t.rb_count + 2u); /* + refusals' two */
    CHECK_EQ(s.intents[MK_GPU_INTENT_UNIFORMS].total_allocations, frames * UNIFORMS);
    /* empty blocks went back: the device heap to its min_blocks, the readback
     * heap (min_blocks 0) to the one spare the tier keeps */
    CHECK_EQ(s.heaps[MK_GPU_HEAP_DEVICE].blocks, 1);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_READBACK].blocks, 1);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_FRAME].blocks, FIF);
    CHECK_EQ(s.heaps[MK_GPU_HEAP_STAGING].blocks, 1);
    CHECK_EQ(s.device_allocations, 1u + FIF + 1u + 1u);
    for (unsigned h = 0; h < MKG_GPU_HEAP_COUNT; h++)
        if (h == MK_GPU_HEAP_DEVICE || h == MK_GPU_HEAP_READBACK) { /* TLSF: whole again */
            CHECK_EQ(s.heaps[h].bytes_free, (uint64_t)s.heaps[h].blocks * BLOCK);
            CHECK_EQ(s.heaps[h].largest_free, BLOCK);
        }
    printf("tier: %llu frames, %u meshes, %llu bytes uploaded (%llu ring turns), %lu bytes downloaded and verified "
           "(%lu read before they had to be, %lu polls pending), %lu deferred destroys; peaks: %u device blocks, %u "
           "readback blocks, %u dedicated\n",
           (unsigned long long)frames, MESHES, (unsigned long long)t.total_uploaded, (unsigned long long)t.ring_turns,
           t.verified_bytes, t.early_reads, t.pending_polls, t.deferred_destroys, t.device_blocks_peak,
           t.readback_blocks_peak, t.dedicated_peak);
    CHECK_EQ(mk_gpu_shutdown(), 0);
    CHECK_EQ(mk_gpu_stats_get(&s), MK_ESTATE);
}

int main(void)
{
    mk_set_report_handler(on_report, NULL);
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
    vulkan_device_t dev;
    if (vulkan_harness_open(&dev, "memkit test_gpu_tier_vulkan")) {
        mk_gpu_vulkan_config_t config = vulkan_device_backend_config(&dev);
        mk_gpu_backend_t backend;
        CHECK_EQ(mk_gpu_vulkan_create(&config, &backend), MK_GPU_OK);
        if (backend.user != NULL) {
            test_tier(&backend);
            CHECK_EQ(mk_gpu_vulkan_destroy(&backend), 0); /* no batch left pending or unsubmitted */
        }
    }
    vulkan_harness_close(&dev); /* zero validation errors; vkDestroyDevice reports what is still alive */
    CHECK_EQ(t.reports, 0);
    CHECK_EQ(mk_shutdown(), 0);
    mk_set_report_handler(NULL, NULL);
    return unit_check_finish("test_gpu_tier_vulkan");
}
