/* bench/bench_gpu.c — the GPU tier (issue 10; `make bench` runs it through
 * bench/run_gpu.sh), on the mock GPU and on lavapipe (Mesa's software Vulkan
 * driver), against the naive way of making a buffer and against plain memcpy.
 *
 * Built against bench/bench_gpu.toml (a 64 MiB device-local TLSF block, a
 * 32 MiB staging ring, two frames in flight, intent `meshes`). Four tables,
 * every row measured in the same process; within a backend the rows of a
 * table run in an order that rotates every round, so noise on a shared
 * machine falls on all of them alike. Each round takes one sample of every
 * row; a table gives the median, min and max of the rounds.
 *
 *   create+destroy  CD_BATCHES frames of CD_BUFFERS buffers a sample, sizes
 *                   256 B .. 64 KiB (fixed pseudo-random list, log-uniform by
 *                   octave). memkit: per frame mk_gpu_begin_frame, every
 *                   mk_gpu_buffer_create, every mk_gpu_buffer_destroy (each
 *                   deferred: the buffer's frame is in flight), mk_gpu_end_frame;
 *                   after the last frame mk_gpu_wait_idle waits for the
 *                   fences and runs the deferred destroys — all of it
 *                   timed, so a pair's time
 *                   includes its share of the frame ends, the fence waits and
 *                   the reclaim (vkDestroyBuffer, the TLSF free). naive: per
 *                   buffer vkCreateBuffer + vkGetBufferMemoryRequirements +
 *                   vkAllocateMemory + vkBindBufferMemory, then vkDestroyBuffer
 *                   + vkFreeMemory (the mock: its create_buffer, allocate,
 *                   bind_buffer, destroy_buffer, free). floor: the buffer
 *                   objects alone — create, requirements, bind at a bumped
 *                   offset of one preallocated block, destroy: what any
 *                   allocator that hands out one VkBuffer per create pays the
 *                   driver. ns per create+destroy pair; a second table splits
 *                   each row into its phases (each phase timed over the batch).
 *   sub-allocators  the runtime's tlsf.c / linear_ring.c called directly
 *                   (suballoc.h: no lock, no backend, no record): TLSF with a
 *                   random alloc/free mix and in the create+destroy rows'
 *                   pattern, the linear heap, the staging ring.
 *   uploads         mk_gpu_upload of 8 MiB a frame in chunks of 64 KiB,
 *                   256 KiB, 1 MiB into one device buffer; either each frame
 *                   ended and its fence waited before the next, or
 *                   UP_FRAMES frames back to back and then waited; GB/s, and
 *                   beside it memcpy of the same chunks into a host buffer of
 *                   the same 8 MiB, same sample sizes.
 *
 * The Vulkan device comes from examples/vulkan_device.h (instance, physical
 * device, queue, device and the mk_gpu_vulkan_functions_t table), without
 * validation layers, on lavapipe: VK_ICD_FILENAMES is set to lavapipe's ICD
 * unless the environment sets a driver. Without Vulkan at build time
 * (MK_BENCH_VULKAN undefined) or without a device at run time, the lavapipe
 * rows print SKIP and the mock rows still run. The naive and floor rows call
 * the same function table the Vulkan backend calls (device-level entry
 * points, no loader trampoline).
 *
 * Usage: bench_gpu [rounds]   (default 21; also MK_BENCH_ROUNDS;
 *        MK_BENCH_GPU_ONLY = "mock" | "lavapipe" | "sub" | "cd" | "upload",
 *        comma-separated, runs only those parts, e.g. under perf)
 */
#define _GNU_SOURCE /* clock_gettime */
#include <memkit/gpu.h>
#include <memkit/memkit.h>

#include "backend_mock.h"
#include "suballoc.h"

#ifdef MK_BENCH_VULKAN
#include "backend_vulkan.h"
#include "vulkan_device.h"
#endif

#include "loadavg.h"
#include "peers.h"

#define MK_GPU_USAGE_MESHES (mkg_gpu_intents[MK_GPU_INTENT_MESHES].usage)

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")
#define MAX_ROUNDS 101
#define KIB 1024u
#define MIB (1024u * 1024u)

#define CD_BUFFERS 1000u   /* buffers a frame */
#define CD_BATCHES 4u      /* frames a sample */
#define CD_FLOOR_BLOCK (64u * MIB)

#define SUB_TLSF_BLOCK ((uint64_t)256u * MIB)
#define SUB_TLSF_SLOTS 4096u   /* live allocations at most */
#define SUB_OPS_LOG2 16        /* a pre-drawn list of 65 536 (slot, size, alignment) */
#define SUB_TLSF_OPS 200000u   /* timed ops a sample */
#define SUB_LINEAR_BLOCK ((uint64_t)64u * MIB)
#define SUB_LINEAR_FRAMES 100u /* a sample: 100 x (CD_BUFFERS allocations + a reset) */
#define SUB_RING_BLOCK ((uint64_t)32u * MIB)
#define SUB_RING_PER_FRAME 64u
#define SUB_RING_FRAMES 2000u  /* a sample: 2000 frames of 64 allocations */

#define UP_TOTAL ((size_t)8u * MIB) /* a frame's uploads; also the target buffer's size */
#define UP_FRAMES 4u                /* the back-to-back mode */
#define UP_CHUNKS 3u

static const size_t g_up_chunk[UP_CHUNKS] = {64u * KIB, 256u * KIB, 1u * MIB};

static void fail(const char *what, mk_status_t st)
{
    fprintf(stderr, "bench-gpu: %s: %s\n", what, mk_status_str(st));
    exit(1);
}

/* MK_BENCH_GPU_ONLY: a comma-separated list of parts ("sub", "cd", "upload")
 * and backends ("mock", "lavapipe"); a kind it names none of runs whole. */
static bool only_among(const char *name, const char *const *kind, int n)
{
    const char *o = getenv("MK_BENCH_GPU_ONLY");
    if (o == NULL)
        return true;
    for (int i = 0; i < n; i++)
        if (strstr(o, kind[i]) != NULL)
            return strstr(o, name) != NULL;
    return true;
}

static bool only(const char *part)
{
    static const char *const parts[] = {"sub", "cd", "upload"};
    return only_among(part, parts, 3);
}

static bool only_backend(const char *backend)
{
    static const char *const backends[] = {"mock", "lavapipe"};
    return only_among(backend, backends, 2);
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1u) & ~(a - 1u); }

/* sizes: octave e in 0..7 drawn evenly, then evenly in [256 << e, 512 << e) */
static uint64_t draw_size(uint64_t *seed)
{
    uint64_t e = xorshift64(seed) % 8u;
    uint64_t base = 256u << e;
    return base + xorshift64(seed) % base;
}

static uint64_t g_sizes[CD_BUFFERS];

/* ---- settling: every submitted frame waited, everything deferred reclaimed ------------ */

static void settle(void)
{
    mk_status_t st = mk_gpu_wait_idle();
    if (st != MK_OK)
        fail("mk_gpu_wait_idle", st);
}

/* ---- backends: the mock and lavapipe behind one face ------------------------------------ */

enum { B_MOCK, B_LAVAPIPE, B_COUNT };
static const char *g_b_names[B_COUNT] = {"mock", "lavapipe"};

typedef struct rig {
    bool up;
    char why[256];  /* not up: why (the SKIP line) */
    char what[768]; /* up: the device, in words */
    mk_gpu_backend_t backend;
    uint32_t type;       /* the device heap's memory type, as memkit chose it */
    mk_gpu_memory_t floor_mem; /* the floor's preallocated block */
    mk_gpu_mock_t *mock;
#ifdef MK_BENCH_VULKAN
    vulkan_device_t vd;
#endif
} rig_t;

static rig_t g_rig[B_COUNT];

/* Starts the tier on rig r's backend; true when it is up. */
static bool tier_up(rig_t *r)
{
    mk_status_t st = mk_gpu_init(&r->backend);
    if (st != MK_OK) {
        snprintf(r->why, sizeof r->why, "mk_gpu_init: %s", mk_status_str(st));
        return false;
    }
    mk_gpu_stats_t s;
    if ((st = mk_gpu_stats_get(&s)) != MK_OK)
        fail("mk_gpu_stats_get", st);
    r->type = (uint32_t)s.heaps[MK_GPU_HEAP_DEVICE].memory_type;
    if (r->backend.allocate(r->backend.user, r->type, CD_FLOOR_BLOCK, &r->floor_mem) != MK_GPU_OK) {
        snprintf(r->why, sizeof r->why, "allocate of the floor's %u MiB block failed", CD_FLOOR_BLOCK / MIB);
        (void)mk_gpu_shutdown();
        return false;
    }
    return true;
}

static size_t tier_down(rig_t *r)
{
    r->backend.free(r->backend.user, r->floor_mem);
    r->floor_mem = 0;
    return mk_gpu_shutdown();
}

static void mock_up(rig_t *r)
{
    mk_gpu_mock_config_t config = mk_gpu_mock_discrete();
    r->mock = mk_gpu_mock_create(&config);
    if (r->mock == NULL) {
        snprintf(r->why, sizeof r->why, "mk_gpu_mock_create failed");
        return;
    }
    r->backend = mk_gpu_mock_backend(r->mock);
    snprintf(r->what, sizeof r->what,
             "backend_mock.c, discrete preset (device-local type 0 on an 8 GiB heap, fences signal at submit; "
             "every call checked under the mock's mutex)");
    r->up = true;
}

static void mock_down(rig_t *r)
{
    if (r->mock == NULL)
        return;
    if (r->mock->errors != 0)
        fprintf(stderr, "bench-gpu: the mock saw %lu misuses, the latest: %s\n", r->mock->errors,
                r->mock->last_error);
    unsigned long leaks = mk_gpu_mock_destroy(r->mock);
    if (leaks != 0)
        fprintf(stderr, "bench-gpu: the mock reports %lu objects leaked\n", leaks);
    r->mock = NULL;
}

#ifdef MK_BENCH_VULKAN
static void lavapipe_up(rig_t *r)
{
    /* lavapipe, unless the environment names a driver; no lavapipe: SKIP */
    bool env_driver = getenv("VK_ICD_FILENAMES") != NULL || getenv("VK_DRIVER_FILES") != NULL;
    FILE *icd = fopen(VULKAN_DEVICE_LAVAPIPE_ICD, "r");
    if (icd != NULL)
        fclose(icd);
    else if (!env_driver) {
        snprintf(r->why, sizeof r->why, "lavapipe's ICD %s not found (apt-get install mesa-vulkan-drivers)",
                 VULKAN_DEVICE_LAVAPIPE_ICD);
        return;
    }
    vulkan_device_options_t options;
    memset(&options, 0, sizeof options);
    options.application_name = "memkit bench_gpu";
    options.validation = false; /* a benchmark: no layer between us and the driver */
    options.prefer_lavapipe = true;
    options.quiet = true;
    char why[256] = "";
    vulkan_device_status_t vs = vulkan_device_open(&r->vd, &options, why, sizeof why);
    if (vs != VULKAN_DEVICE_OK) {
        snprintf(r->why, sizeof r->why, "vulkan_device_open: %s", why);
        return;
    }
    mk_gpu_vulkan_config_t config = vulkan_device_backend_config(&r->vd);
    mk_gpu_result_t res = mk_gpu_vulkan_create(&config, &r->backend);
    if (res != MK_GPU_OK) {
        snprintf(r->why, sizeof r->why, "mk_gpu_vulkan_create failed (%d)", (int)res);
        vulkan_device_close(&r->vd);
        return;
    }
    const VkPhysicalDeviceProperties *p = &r->vd.properties;
    if (strstr(p->deviceName, "llvmpipe") == NULL)
        g_b_names[B_LAVAPIPE] = "vulkan"; /* a driver from the environment */
    /* the driver's own name and version (Mesa's), Vulkan 1.2 */
    char driver_info[VK_MAX_DRIVER_INFO_SIZE + VK_MAX_DRIVER_NAME_SIZE + 4] = "driver info unknown";
    PFN_vkVoidFunction f = r->vd.get_instance_proc_addr(r->vd.instance, "vkGetPhysicalDeviceProperties2");
    if (f != NULL && p->apiVersion >= VK_API_VERSION_1_2) {
        PFN_vkGetPhysicalDeviceProperties2 props2 = (PFN_vkGetPhysicalDeviceProperties2)f;
        VkPhysicalDeviceDriverProperties drv;
        memset(&drv, 0, sizeof drv);
        drv.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES;
        VkPhysicalDeviceProperties2 all;
        memset(&all, 0, sizeof all);
        all.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
        all.pNext = &drv;
        props2(r->vd.physical_device, &all);
        snprintf(driver_info, sizeof driver_info, "%s %s", drv.driverName, drv.driverInfo);
    }
    snprintf(r->what, sizeof r->what, "%s, Vulkan %u.%u.%u, %s; ICD: %s; validation %s", p->deviceName,
             VK_API_VERSION_MAJOR(p->apiVersion), VK_API_VERSION_MINOR(p->apiVersion),
             VK_API_VERSION_PATCH(p->apiVersion), driver_info, r->vd.driver, vulkan_device_validation_summary(&r->vd));
    r->up = true;
}

static void lavapipe_down(rig_t *r)
{
    if (!r->up)
        return;
    unsigned long left = mk_gpu_vulkan_destroy(&r->backend);
    if (left != 0)
        fprintf(stderr, "bench-gpu: the Vulkan backend had %lu batches left\n", left);
    vulkan_device_close(&r->vd);
    r->up = false;
}
#else
static void lavapipe_up(rig_t *r)
{
    snprintf(r->why, sizeof r->why, "built without Vulkan (%s)", MK_BENCH_NO_VULKAN_WHY);
}
static void lavapipe_down(rig_t *r) { (void)r; }
#endif

/* ---- create + destroy --------------------------------------------------------------- */

enum { CD_MEMKIT, CD_NAIVE, CD_FLOOR, CD_COUNT };
#define CD_PARTS 5
static const char *const g_cd_names[B_COUNT][CD_COUNT] = {
    {"memkit mk_gpu_buffer_create + mk_gpu_buffer_destroy",
     "naive: create_buffer + allocate + bind_buffer; destroy_buffer + free",
     "floor: create_buffer + bind_buffer (bumped offset); destroy_buffer"},
    {"memkit mk_gpu_buffer_create + mk_gpu_buffer_destroy",
     "naive: vkCreateBuffer + vkGetBufferMemoryRequirements + vkAllocateMemory + vkBindBufferMemory; "
     "vkDestroyBuffer + vkFreeMemory",
     "floor: vkCreateBuffer + vkGetBufferMemoryRequirements + vkBindBufferMemory (bumped offset); vkDestroyBuffer"},
};
static const char *const g_cd_parts[CD_COUNT][CD_PARTS] = {
    {"mk_gpu_buffer_create", "mk_gpu_buffer_destroy (deferred)",
     "begin/end_frame + fence waits + reclaim (the real destroys)", NULL, NULL},
    {"create buffer + requirements", "allocate memory", "bind", "destroy buffer", "free memory"},
    {"create buffer + requirements", "bind (bumped offset)", "destroy buffer", NULL, NULL},
};

typedef struct cd_sample {
    double pair;             /* ns per create+destroy pair */
    double part[CD_PARTS];   /* ns per buffer in each phase */
} cd_sample_t;

static double g_cd[B_COUNT][CD_COUNT][MAX_ROUNDS];
static double g_cd_part[B_COUNT][CD_COUNT][CD_PARTS][MAX_ROUNDS];
static mk_gpu_buffer_info_t g_info[CD_BUFFERS];
static mk_gpu_buffer_t g_buf[CD_BUFFERS];
static mk_gpu_memory_t g_mem[CD_BUFFERS];
static mk_gpu_requirements_t g_req[CD_BUFFERS];
static unsigned long g_cd_failures;

static double per(uint64_t ns, unsigned n) { return (double)ns / (double)n; }

/* The naive and floor ways' phases from one batch's clock readings c[0..5],
 * taken between create+requirements | allocate | bind | destroy | free; the
 * floor way allocates and frees nothing: its phases are c[0..1], c[2..3] and
 * c[3..4]. */
static void cd_account(uint64_t t[CD_PARTS], const uint64_t c[6], int floor)
{
    if (floor) {
        t[0] += c[1] - c[0];
        t[1] += c[3] - c[2];
        t[2] += c[4] - c[3];
    } else {
        for (int p = 0; p < 5; p++)
            t[p] += c[p + 1] - c[p];
    }
}

/* A sample of the naive or floor way: ns per buffer in all and per phase. */
static cd_sample_t cd_finish(const uint64_t t[CD_PARTS], uint64_t start)
{
    uint64_t z = now_ns();
    unsigned n = CD_BATCHES * CD_BUFFERS;
    cd_sample_t s = {per(z - start, n), {0}};
    for (int p = 0; p < CD_PARTS; p++)
        s.part[p] = per(t[p], n);
    return s;
}

static cd_sample_t cd_memkit(void)
{
    uint64_t t[CD_PARTS] = {0};
    uint64_t a = now_ns();
    for (unsigned b = 0; b < CD_BATCHES; b++) {
        uint64_t t0 = now_ns();
        mk_status_t st = mk_gpu_begin_frame();
        if (st != MK_OK)
            fail("mk_gpu_begin_frame", st);
        uint64_t t1 = now_ns();
        for (unsigned i = 0; i < CD_BUFFERS; i++) {
            if (mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, g_sizes[i], &g_info[i]) != MK_OK) {
                g_cd_failures++;
                g_info[i].id = 0;
            }
            ESCAPE(&g_info[i]);
        }
        uint64_t t2 = now_ns();
        for (unsigned i = 0; i < CD_BUFFERS; i++)
            if (g_info[i].id != 0)
                (void)mk_gpu_buffer_destroy(g_info[i].id);
        uint64_t t3 = now_ns();
        if ((st = mk_gpu_end_frame()) != MK_OK)
            fail("mk_gpu_end_frame", st);
        uint64_t t4 = now_ns();
        t[0] += t2 - t1;
        t[1] += t3 - t2;
        t[2] += (t1 - t0) + (t4 - t3);
    }
    uint64_t s0 = now_ns();
    settle();
    uint64_t z = now_ns();
    t[2] += z - s0;
    unsigned n = CD_BATCHES * CD_BUFFERS;
    cd_sample_t s = {per(z - a, n), {per(t[0], n), per(t[1], n), per(t[2], n), 0, 0}};
    return s;
}

/* The mock's side: the backend's own calls, one phase at a time over the batch. */
static cd_sample_t cd_backend(const rig_t *r, int floor)
{
    const mk_gpu_backend_t *be = &r->backend;
    void *u = be->user;
    uint64_t t[CD_PARTS] = {0};
    uint64_t a = now_ns();
    for (unsigned b = 0; b < CD_BATCHES; b++) {
        uint64_t c0 = now_ns();
        for (unsigned i = 0; i < CD_BUFFERS; i++)
            if (be->create_buffer(u, g_sizes[i], MK_GPU_USAGE_MESHES, &g_buf[i], &g_req[i]) != MK_GPU_OK)
                fail("create_buffer", MK_ENOMEM);
        uint64_t c1 = now_ns();
        if (!floor) {
            for (unsigned i = 0; i < CD_BUFFERS; i++)
                if (be->allocate(u, r->type, g_req[i].size, &g_mem[i]) != MK_GPU_OK)
                    fail("allocate", MK_ENOMEM);
        }
        uint64_t c2 = now_ns();
        uint64_t top = 0;
        for (unsigned i = 0; i < CD_BUFFERS; i++) {
            mk_gpu_result_t res;
            if (floor) {
                uint64_t at = align_up(top, g_req[i].alignment);
                top = at + g_req[i].size;
                res = be->bind_buffer(u, g_buf[i], r->floor_mem, at);
            } else {
                res = be->bind_buffer(u, g_buf[i], g_mem[i], 0);
            }
            if (res != MK_GPU_OK)
                fail("bind_buffer", MK_ENOMEM);
        }
        uint64_t c3 = now_ns();
        for (unsigned i = 0; i < CD_BUFFERS; i++)
            be->destroy_buffer(u, g_buf[i]);
        uint64_t c4 = now_ns();
        if (!floor)
            for (unsigned i = 0; i < CD_BUFFERS; i++)
                be->free(u, g_mem[i]);
        uint64_t c[6] = {c0, c1, c2, c3, c4, now_ns()};
        cd_account(t, c, floor);
    }
    return cd_finish(t, a);
}

#ifdef MK_BENCH_VULKAN
static VkBuffer g_vk_buf[CD_BUFFERS];
static VkDeviceMemory g_vk_mem[CD_BUFFERS];
static VkMemoryRequirements g_vk_req[CD_BUFFERS];

static void vk_check(VkResult res, const char *what)
{
    if (res != VK_SUCCESS) {
        fprintf(stderr, "bench-gpu: %s failed (%d)\n", what, (int)res);
        exit(1);
    }
}

/* The Vulkan side, raw: the same function table the backend calls. */
static cd_sample_t cd_vulkan(const rig_t *r, int floor)
{
    const mk_gpu_vulkan_functions_t *fn = &r->vd.functions;
    VkDevice dev = r->vd.device;
    VkDeviceMemory floor_mem = (VkDeviceMemory)(uintptr_t)r->floor_mem;
    VkBufferCreateInfo info;
    memset(&info, 0, sizeof info);
    info.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
    info.usage = MK_GPU_USAGE_MESHES;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkMemoryAllocateInfo alloc;
    memset(&alloc, 0, sizeof alloc);
    alloc.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    alloc.memoryTypeIndex = r->type;
    uint64_t t[CD_PARTS] = {0};
    uint64_t a = now_ns();
    for (unsigned b = 0; b < CD_BATCHES; b++) {
        uint64_t c0 = now_ns();
        for (unsigned i = 0; i < CD_BUFFERS; i++) {
            info.size = g_sizes[i];
            vk_check(fn->vkCreateBuffer(dev, &info, NULL, &g_vk_buf[i]), "vkCreateBuffer");
            fn->vkGetBufferMemoryRequirements(dev, g_vk_buf[i], &g_vk_req[i]);
        }
        uint64_t c1 = now_ns();
        if (!floor)
            for (unsigned i = 0; i < CD_BUFFERS; i++) {
                alloc.allocationSize = g_vk_req[i].size;
                vk_check(fn->vkAllocateMemory(dev, &alloc, NULL, &g_vk_mem[i]), "vkAllocateMemory");
            }
        uint64_t c2 = now_ns();
        VkDeviceSize top = 0;
        for (unsigned i = 0; i < CD_BUFFERS; i++) {
            if (floor) {
                VkDeviceSize at = align_up(top, g_vk_req[i].alignment);
                top = at + g_vk_req[i].size;
                vk_check(fn->vkBindBufferMemory(dev, g_vk_buf[i], floor_mem, at), "vkBindBufferMemory");
            } else {
                vk_check(fn->vkBindBufferMemory(dev, g_vk_buf[i], g_vk_mem[i], 0), "vkBindBufferMemory");
            }
        }
        uint64_t c3 = now_ns();
        for (unsigned i = 0; i < CD_BUFFERS; i++)
            fn->vkDestroyBuffer(dev, g_vk_buf[i], NULL);
        uint64_t c4 = now_ns();
        if (!floor)
            for (unsigned i = 0; i < CD_BUFFERS; i++)
                fn->vkFreeMemory(dev, g_vk_mem[i], NULL);
        uint64_t c[6] = {c0, c1, c2, c3, c4, now_ns()};
        cd_account(t, c, floor);
    }
    return cd_finish(t, a);
}
#endif

static cd_sample_t cd_run(int backend, int c)
{
    const rig_t *r = &g_rig[backend];
    if (c == CD_MEMKIT)
        return cd_memkit();
#ifdef MK_BENCH_VULKAN
    if (backend == B_LAVAPIPE)
        return cd_vulkan(r, c == CD_FLOOR);
#endif
    return cd_backend(r, c == CD_FLOOR);
}

/* ---- uploads ---------------------------------------------------------------------------- */

enum { UP_MEMCPY, UP_SERIAL, UP_PIPELINED, UP_COUNT };
static const char *const g_up_names[UP_COUNT] = {
    "memcpy into a host buffer of 8 MiB",
    "memkit mk_gpu_upload, each frame ended + fence waited",
    "memkit mk_gpu_upload, 4 frames back to back, then waited",
};
static double g_up[B_COUNT][UP_COUNT][UP_CHUNKS][MAX_ROUNDS];     /* GB/s */
static double g_up_cpu[B_COUNT][UP_COUNT][UP_CHUNKS][MAX_ROUNDS]; /* GB/s of the upload calls alone */
static unsigned char *g_src, *g_host_dst;
static mk_gpu_buffer_id_t g_up_dst;

/* One frame of uploads: UP_TOTAL bytes in chunks of `chunk`; ns spent in mk_gpu_upload. */
static uint64_t up_frame(size_t chunk)
{
    mk_status_t st = mk_gpu_begin_frame();
    if (st != MK_OK)
        fail("mk_gpu_begin_frame", st);
    uint64_t t0 = now_ns();
    for (size_t off = 0; off < UP_TOTAL; off += chunk)
        if ((st = mk_gpu_upload(g_up_dst, off, g_src + off, chunk)) != MK_OK)
            fail("mk_gpu_upload", st);
    uint64_t t1 = now_ns();
    if ((st = mk_gpu_end_frame()) != MK_OK)
        fail("mk_gpu_end_frame", st);
    return t1 - t0;
}

static double gbps(size_t bytes, uint64_t ns) { return (double)bytes / (double)ns; }

static void up_run(int backend, int mode, unsigned c, int r)
{
    size_t chunk = g_up_chunk[c];
    unsigned frames = mode == UP_PIPELINED ? UP_FRAMES : 1u;
    uint64_t cpu = 0, t0 = now_ns(), t1;
    if (mode == UP_MEMCPY) {
        for (unsigned f = 0; f < UP_FRAMES; f++)
            for (size_t off = 0; off < UP_TOTAL; off += chunk) {
                memcpy(g_host_dst + off, g_src + off, chunk);
                ESCAPE(g_host_dst + off);
            }
        t1 = now_ns();
        cpu = t1 - t0;
        frames = UP_FRAMES;
    } else if (mode == UP_SERIAL) {
        for (unsigned f = 0; f < UP_FRAMES; f++) {
            cpu += up_frame(chunk);
            settle();
        }
        t1 = now_ns();
        frames = UP_FRAMES;
    } else {
        for (unsigned f = 0; f < frames; f++)
            cpu += up_frame(chunk);
        settle();
        t1 = now_ns();
    }
    g_up[backend][mode][c][r] = gbps(frames * UP_TOTAL, t1 - t0);
    g_up_cpu[backend][mode][c][r] = gbps(frames * UP_TOTAL, cpu);
}

/* ---- sub-allocators alone ------------------------------------------------------------------- */

enum { SUB_TLSF, SUB_TLSF_BATCH, SUB_LINEAR, SUB_RING, SUB_COUNT };
static const char *const g_sub_names[SUB_COUNT] = {
    "TLSF mk__gpu_tlsf_alloc / mk__gpu_tlsf_free",
    "TLSF mk__gpu_tlsf_alloc / mk__gpu_tlsf_free",
    "linear mk__gpu_linear_alloc (+ reset)",
    "ring mk__gpu_ring_alloc (+ release_through)",
};
static const char *const g_sub_patterns[SUB_COUNT] = {
    "random mix: a slot of 4096 drawn, freed if live else allocated; ~2048 live; align 16-256",
    "batches: 1000 allocations, then their 1000 frees in order (the create+destroy rows' pattern)",
    "1000 allocations a frame, then a reset (amortised); align 16-256",
    "64 allocations a frame tagged with it, frames 2 back released (amortised); align 16",
};
static double g_sub[SUB_COUNT][MAX_ROUNDS];
static unsigned long g_sub_failed;

typedef struct sub_op {
    uint32_t slot;
    uint32_t size;
    uint32_t align;
} sub_op_t;

static sub_op_t g_ops[1u << SUB_OPS_LOG2];
static mk__gpu_tlsf_node_t g_nodes[MK__GPU_TLSF_NODES_FOR(SUB_TLSF_SLOTS)];
static uint32_t g_handle[SUB_TLSF_SLOTS];
static bool g_live[SUB_TLSF_SLOTS];
static mk__gpu_ring_mark_t g_marks[4];

static double sub_tlsf(void)
{
    mk__gpu_tlsf_t t;
    if (mk__gpu_tlsf_init(&t, SUB_TLSF_BLOCK, 1024u, g_nodes, MK__GPU_TLSF_NODES_FOR(SUB_TLSF_SLOTS)) != MK__GPU_OK)
        fail("mk__gpu_tlsf_init", MK_EINVAL);
    uint64_t offset;
    for (uint32_t s = 0; s < SUB_TLSF_SLOTS; s++) { /* untimed: every other slot live */
        g_live[s] = s % 2u == 0u &&
                    mk__gpu_tlsf_alloc(&t, g_ops[s].size, g_ops[s].align, MK__GPU_KIND_LINEAR, &offset,
                                       &g_handle[s]) == MK__GPU_OK;
    }
    const uint32_t mask = (1u << SUB_OPS_LOG2) - 1u;
    uint64_t t0 = now_ns();
    for (uint32_t j = 0; j < SUB_TLSF_OPS; j++) {
        const sub_op_t *op = &g_ops[j & mask];
        uint32_t s = op->slot;
        if (g_live[s]) {
            (void)mk__gpu_tlsf_free(&t, g_handle[s]);
            g_live[s] = false;
        } else {
            g_live[s] = mk__gpu_tlsf_alloc(&t, op->size, op->align, MK__GPU_KIND_LINEAR, &offset, &g_handle[s]) ==
                        MK__GPU_OK;
            g_sub_failed += !g_live[s];
            ESCAPE(offset);
        }
    }
    uint64_t t1 = now_ns();
    for (uint32_t s = 0; s < SUB_TLSF_SLOTS; s++)
        if (g_live[s]) {
            (void)mk__gpu_tlsf_free(&t, g_handle[s]);
            g_live[s] = false;
        }
    if (mk__gpu_tlsf_count(&t) != 0)
        fail("TLSF not empty after the mix", MK_EINVAL);
    return per(t1 - t0, SUB_TLSF_OPS);
}

/* The create+destroy rows' pattern: CD_BUFFERS allocations (their sizes),
 * then the frees in the same order, on a block where ~2048 others stay live. */
static double sub_tlsf_batch(void)
{
    mk__gpu_tlsf_t t;
    if (mk__gpu_tlsf_init(&t, SUB_TLSF_BLOCK, 1024u, g_nodes, MK__GPU_TLSF_NODES_FOR(SUB_TLSF_SLOTS)) != MK__GPU_OK)
        fail("mk__gpu_tlsf_init", MK_EINVAL);
    uint64_t offset;
    for (uint32_t s = 0; s < SUB_TLSF_SLOTS; s += 2u) /* untimed: neighbours that stay */
        if (mk__gpu_tlsf_alloc(&t, g_ops[s].size, g_ops[s].align, MK__GPU_KIND_LINEAR, &offset, &g_handle[s]) !=
            MK__GPU_OK)
            g_sub_failed++;
    const unsigned batches = SUB_TLSF_OPS / (2u * CD_BUFFERS);
    uint64_t t0 = now_ns();
    for (unsigned b = 0; b < batches; b++) {
        for (unsigned i = 0; i < CD_BUFFERS; i++) {
            g_sub_failed += mk__gpu_tlsf_alloc(&t, g_sizes[i], g_ops[i].align, MK__GPU_KIND_LINEAR, &offset,
                                               &g_handle[2u * i + 1u]) != MK__GPU_OK;
            ESCAPE(offset);
        }
        for (unsigned i = 0; i < CD_BUFFERS; i++)
            (void)mk__gpu_tlsf_free(&t, g_handle[2u * i + 1u]);
    }
    uint64_t t1 = now_ns();
    for (uint32_t s = 0; s < SUB_TLSF_SLOTS; s += 2u)
        (void)mk__gpu_tlsf_free(&t, g_handle[s]);
    if (mk__gpu_tlsf_count(&t) != 0)
        fail("TLSF not empty after the batches", MK_EINVAL);
    return per(t1 - t0, batches * 2u * CD_BUFFERS);
}

static double sub_linear(void)
{
    mk__gpu_linear_t l;
    if (mk__gpu_linear_init(&l, SUB_LINEAR_BLOCK) != MK__GPU_OK)
        fail("mk__gpu_linear_init", MK_EINVAL);
    uint64_t offset;
    uint64_t t0 = now_ns();
    for (unsigned f = 0; f < SUB_LINEAR_FRAMES; f++) {
        for (unsigned i = 0; i < CD_BUFFERS; i++) {
            g_sub_failed += mk__gpu_linear_alloc(&l, g_ops[i].size, g_ops[i].align, &offset) != MK__GPU_OK;
            ESCAPE(offset);
        }
        mk__gpu_linear_reset(&l);
    }
    uint64_t t1 = now_ns();
    return per(t1 - t0, SUB_LINEAR_FRAMES * CD_BUFFERS);
}

static double sub_ring(void)
{
    mk__gpu_ring_t ring;
    if (mk__gpu_ring_init(&ring, SUB_RING_BLOCK, g_marks, 4u) != MK__GPU_OK)
        fail("mk__gpu_ring_init", MK_EINVAL);
    uint64_t offset;
    const uint32_t mask = (1u << SUB_OPS_LOG2) - 1u;
    uint32_t j = 0;
    uint64_t t0 = now_ns();
    for (uint64_t f = 1; f <= SUB_RING_FRAMES; f++) {
        if (f > 2)
            mk__gpu_ring_release_through(&ring, f - 2);
        for (unsigned i = 0; i < SUB_RING_PER_FRAME; i++, j++) {
            g_sub_failed += mk__gpu_ring_alloc(&ring, g_ops[j & mask].size, 16u, f, &offset) != MK__GPU_OK;
            ESCAPE(offset);
        }
    }
    uint64_t t1 = now_ns();
    return per(t1 - t0, SUB_RING_FRAMES * SUB_RING_PER_FRAME);
}

static double sub_run(int s)
{
    switch (s) {
    case SUB_TLSF:
        return sub_tlsf();
    case SUB_TLSF_BATCH:
        return sub_tlsf_batch();
    case SUB_LINEAR:
        return sub_linear();
    default:
        return sub_ring();
    }
}

/* ---- printing ---------------------------------------------------------------------------------- */

typedef struct stat3 {
    double med, lo, hi;
} stat3_t;

static stat3_t stat3(double *v, int n)
{
    stat3_t s;
    s.med = median(v, n);
    s.lo = v[0];
    s.hi = v[n - 1];
    return s;
}

static int g_rounds;
static bool g_ran_cd[B_COUNT], g_ran_up[B_COUNT], g_ran_sub;

static void print_cd(void)
{
    printf("\n### Buffer create + destroy (ns per pair; %u frames of %u buffers a sample, 256 B - 64 KiB, %d samples)\n\n",
           CD_BATCHES, CD_BUFFERS, g_rounds);
    printf("| %-8s | %-126s | %9s | %9s | %9s | %12s |\n", "backend", "way", "median ns", "min", "max",
           "naive / this");
    printf("|----------|%s|-----------|-----------|-----------|--------------|\n",
           "--------------------------------------------------------------------------------------------------------"
           "------------------------");
    stat3_t st[B_COUNT][CD_COUNT];
    for (int b = 0; b < B_COUNT; b++) {
        for (int c = 0; c < CD_COUNT; c++) {
            if (!g_ran_cd[b]) {
                printf("| %-8s | %-126s | %9s | %9s | %9s | %12s |\n", g_b_names[b], g_cd_names[b][c], "SKIP", "-",
                       "-", "-");
                continue;
            }
            st[b][c] = stat3(g_cd[b][c], g_rounds);
        }
        if (!g_ran_cd[b])
            continue;
        for (int c = 0; c < CD_COUNT; c++)
            printf("| %-8s | %-126s | %9.1f | %9.1f | %9.1f | %11.2fx |\n", g_b_names[b], g_cd_names[b][c],
                   st[b][c].med, st[b][c].lo, st[b][c].hi, st[b][CD_NAIVE].med / st[b][c].med);
    }
    printf("\n");
    for (int b = 0; b < B_COUNT; b++) {
        if (!g_ran_cd[b]) {
            printf("target (%s): SKIP (%s)\n", g_b_names[b],
                   g_rig[b].why[0] != '\0' ? g_rig[b].why : "not run: MK_BENCH_GPU_ONLY");
            continue;
        }
        double ratio = st[b][CD_NAIVE].med / st[b][CD_MEMKIT].med;
        stat3_t create = stat3(g_cd_part[b][CD_MEMKIT][0], g_rounds);
        printf("target (%s): naive / memkit >= 20x: %.2fx -- %s (naive %.1f ns, memkit %.1f ns a pair; "
               "floor / memkit %.2fx)\n",
               g_b_names[b], ratio, ratio >= 20.0 ? "met" : "NOT met", st[b][CD_NAIVE].med, st[b][CD_MEMKIT].med,
               st[b][CD_FLOOR].med / st[b][CD_MEMKIT].med);
        printf("target (%s): mk_gpu_buffer_create <= 100 ns: median %.1f ns (min %.1f) -- %s; "
               "the whole pair %.1f ns -- %s\n",
               g_b_names[b], create.med, create.lo, create.med <= 100.0 ? "met" : "NOT met", st[b][CD_MEMKIT].med,
               st[b][CD_MEMKIT].med <= 100.0 ? "met" : "NOT met");
    }
    if (g_cd_failures != 0)
        printf("WARNING: %lu mk_gpu_buffer_create calls failed (the rows are not comparable)\n", g_cd_failures);

    printf("\n### Where a pair's time goes (ns per buffer in each phase, median (min-max) of %d samples)\n\n",
           g_rounds);
    printf("| %-8s | %-6s | %-62s | %9s | %9s | %9s |\n", "backend", "way", "phase", "median ns", "min", "max");
    printf("|----------|--------|----------------------------------------------------------------|-----------|----"
           "-------|-----------|\n");
    static const char *const short_names[CD_COUNT] = {"memkit", "naive", "floor"};
    for (int b = 0; b < B_COUNT; b++) {
        if (!g_ran_cd[b])
            continue;
        for (int c = 0; c < CD_COUNT; c++)
            for (int p = 0; p < CD_PARTS && g_cd_parts[c][p] != NULL; p++) {
                stat3_t s = stat3(g_cd_part[b][c][p], g_rounds);
                printf("| %-8s | %-6s | %-62s | %9.1f | %9.1f | %9.1f |\n", g_b_names[b], short_names[c],
                       g_cd_parts[c][p], s.med, s.lo, s.hi);
            }
    }
}

static void print_sub(void)
{
    if (!g_ran_sub)
        return;
    printf("\n### Sub-allocators alone (suballoc.h called directly: no lock, no backend; ns per operation, %d samples)\n\n",
           g_rounds);
    printf("| %-44s | %-92s | %9s | %9s | %9s |\n", "allocator", "pattern", "median ns", "min", "max");
    printf("|----------------------------------------------|--------------------------------------------------------"
           "--------------------------------------|-----------|-----------|-----------|\n");
    for (int s = 0; s < SUB_COUNT; s++) {
        stat3_t v = stat3(g_sub[s], g_rounds);
        printf("| %-44s | %-92s | %9.2f | %9.2f | %9.2f |\n", g_sub_names[s], g_sub_patterns[s], v.med, v.lo, v.hi);
    }
    printf("\nTLSF: one 256 MiB block, granularity 1024, sizes 256 B - 64 KiB; %u ops a sample (each an alloc or a "
           "free); refused requests in all samples: %lu\n",
           SUB_TLSF_OPS, g_sub_failed);
}

static void print_up(void)
{
    printf("\n### Staging uploads (GB/s = 1e9 B/s; %zu MiB a frame in chunks into one device buffer; %u frames a "
           "sample, %d samples)\n\n",
           UP_TOTAL / MIB, UP_FRAMES, g_rounds);
    printf("| %-8s | %-58s | %8s | %10s | %7s | %7s | %13s | %16s |\n", "backend", "what", "chunk", "median GB/s",
           "min", "max", "this / memcpy", "upload calls GB/s");
    printf("|----------|------------------------------------------------------------|----------|-------------|-----"
           "----|---------|---------------|-------------------|\n");
    for (int b = 0; b < B_COUNT; b++) {
        for (unsigned c = 0; c < UP_CHUNKS; c++) {
            char chunk[32];
            snprintf(chunk, sizeof chunk, "%zu KiB", g_up_chunk[c] / KIB);
            if (!g_ran_up[b]) {
                printf("| %-8s | %-58s | %8s | %11s | %7s | %7s | %13s | %17s |\n", g_b_names[b], "(all rows)", chunk,
                       "SKIP", "-", "-", "-", "-");
                continue;
            }
            stat3_t m = stat3(g_up[b][UP_MEMCPY][c], g_rounds);
            for (int u = 0; u < UP_COUNT; u++) {
                stat3_t v = u == UP_MEMCPY ? m : stat3(g_up[b][u][c], g_rounds);
                double cpu = median(g_up_cpu[b][u][c], g_rounds);
                printf("| %-8s | %-58s | %8s | %11.2f | %7.2f | %7.2f | %12.2fx | %17.2f |\n", g_b_names[b],
                       g_up_names[u], chunk, v.med, v.lo, v.hi, v.med / m.med, cpu);
            }
        }
    }
    printf("\nmemkit's rows time from the first upload of a sample until its last frame's fence has been waited "
           "(mk_gpu_wait_idle);\n'upload calls' is the bytes over the time spent inside mk_gpu_upload alone (the copy into the "
           "staging ring).\nOn lavapipe the device is the CPU: vkCmdCopyBuffer is a memcpy run by lavapipe's queue "
           "thread, so an upload\nis two CPU copies (source -> ring -> buffer) where memcpy is one.\n");
}

/* ---- main ---------------------------------------------------------------------------------------- */

static void draw_lists(void)
{
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (unsigned i = 0; i < CD_BUFFERS; i++)
        g_sizes[i] = draw_size(&seed);
    static const uint32_t aligns[3] = {16u, 64u, 256u};
    for (uint32_t j = 0; j < (1u << SUB_OPS_LOG2); j++) {
        g_ops[j].slot = (uint32_t)(xorshift64(&seed) % SUB_TLSF_SLOTS);
        g_ops[j].size = (uint32_t)draw_size(&seed);
        g_ops[j].align = aligns[xorshift64(&seed) % 3u];
    }
}

/* One backend's session: the tier up on it, warm-up, every round of its rows, the tier down. */
static void run_backend(int b)
{
    rig_t *r = &g_rig[b];
    bool cd = only("cd"), up = only("upload");
    if (!r->up || !(cd || up) || !only_backend(b == B_MOCK ? "mock" : "lavapipe"))
        return;
    if (!tier_up(r)) {
        r->up = false;
        return;
    }
    mk_gpu_buffer_info_t dst;
    mk_status_t st = mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, UP_TOTAL, &dst);
    if (st != MK_OK)
        fail("mk_gpu_buffer_create (upload target)", st);
    g_up_dst = dst.id;
    /* warm-up: every row once (first touches of blocks, pages and the driver's caches) */
    if (cd)
        for (int c = 0; c < CD_COUNT; c++)
            (void)cd_run(b, c);
    if (up)
        for (unsigned c = 0; c < UP_CHUNKS; c++)
            for (int u = 0; u < UP_COUNT; u++)
                up_run(b, u, c, 0);
    for (int rd = 0; rd < g_rounds; rd++) {
        if (cd)
            for (int k = 0; k < CD_COUNT; k++) {
                int c = (k + rd) % CD_COUNT;
                cd_sample_t s = cd_run(b, c);
                g_cd[b][c][rd] = s.pair;
                for (int p = 0; p < CD_PARTS; p++)
                    g_cd_part[b][c][p][rd] = s.part[p];
            }
        if (up)
            for (unsigned c = 0; c < UP_CHUNKS; c++)
                for (int k = 0; k < UP_COUNT; k++)
                    up_run(b, (k + rd) % UP_COUNT, c, rd);
    }
    g_ran_cd[b] = cd;
    g_ran_up[b] = up;
    mk_gpu_stats_t s;
    if ((st = mk_gpu_stats_get(&s)) != MK_OK)
        fail("mk_gpu_stats_get", st);
    printf("%s: tier after the rounds: device heap type %d (flags 0x%x), %u block(s), %llu create failures, "
           "%llu buffers created in all\n",
           g_b_names[b], s.heaps[MK_GPU_HEAP_DEVICE].memory_type, s.heaps[MK_GPU_HEAP_DEVICE].memory_flags,
           s.heaps[MK_GPU_HEAP_DEVICE].blocks, (unsigned long long)s.heaps[MK_GPU_HEAP_DEVICE].failures,
           (unsigned long long)s.intents[MK_GPU_INTENT_MESHES].total_allocations);
    (void)mk_gpu_buffer_destroy(g_up_dst);
    size_t leaks = tier_down(r);
    if (leaks != 0)
        fprintf(stderr, "bench-gpu: mk_gpu_shutdown reports %zu buffers still live\n", leaks);
}

int main(int argc, char **argv)
{
    g_rounds = count_arg(argc, argv, "MK_BENCH_ROUNDS", 21, MAX_ROUNDS, "bench_gpu", "rounds");
    if (g_rounds < 0)
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    mk_status_t st = mk_init(&mkg_config);
    if (st != MK_OK)
        fail("mk_init", st);
    draw_lists();
    g_src = malloc(UP_TOTAL);
    g_host_dst = malloc(UP_TOTAL);
    if (g_src == NULL || g_host_dst == NULL)
        fail("malloc", MK_ESYSTEM);
    for (size_t i = 0; i < UP_TOTAL; i++)
        g_src[i] = (unsigned char)(i * 131u + (i >> 12));
    memset(g_host_dst, 0, UP_TOTAL);

    printf("memkit GPU tier (issue 10): %d rounds; load average at the start %s\n", g_rounds, bench_loadavg());
    printf("fences waited with mk_gpu_wait_idle\n");
    mock_up(&g_rig[B_MOCK]);
    lavapipe_up(&g_rig[B_LAVAPIPE]);
    for (int b = 0; b < B_COUNT; b++) {
        if (g_rig[b].up)
            printf("%s: %s\n", g_b_names[b], g_rig[b].what);
        else
            printf("%s: SKIP: %s\n", g_b_names[b], g_rig[b].why);
    }

    if (only("sub")) {
        for (int s = 0; s < SUB_COUNT; s++) /* warm-up */
            (void)sub_run(s);
        for (int rd = 0; rd < g_rounds; rd++)
            for (int k = 0; k < SUB_COUNT; k++) {
                int s = (k + rd) % SUB_COUNT;
                g_sub[s][rd] = sub_run(s);
            }
        g_ran_sub = true;
    }
    for (int b = 0; b < B_COUNT; b++)
        run_backend(b);
    printf("load average at the end %s\n", bench_loadavg());

    if (only("cd"))
        print_cd();
    print_sub();
    if (only("upload"))
        print_up();
    printf("\nmemkit: bench/bench_gpu.toml (device heap: 64 MiB TLSF blocks; staging: a 32 MiB ring; 2 frames in "
           "flight; intent 'meshes' = vertex | index | transfer_dst).\n");

    lavapipe_down(&g_rig[B_LAVAPIPE]);
    mock_down(&g_rig[B_MOCK]);
    free(g_src);
    free(g_host_dst);
    return mk_shutdown() != 0;
}
