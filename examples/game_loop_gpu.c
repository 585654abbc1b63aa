/* game_loop_gpu.c — the demo's GPU side: see game_loop_gpu.h.
 *
 * The GPU heaps and intents are memkit.toml.example's [gpu] sections:
 *   meshes          device-local TLSF heap, 16 MiB blocks: the level's
 *                   geometry (one mesh above half a block: a dedicated
 *                   allocation) and the meshes the game streams in and out
 *   frame_uniforms  unified per-frame linear heap: camera and object
 *                   constants written in place every frame, never copied
 *   staging         the upload ring every mesh byte passes through
 * The device: lavapipe through examples/vulkan_device.h when the demo was
 * built with the Vulkan headers and a driver loads; otherwise the mock backend
 * (gpu/src/backend_mock.h) simulating a discrete GPU — memkit's side is the
 * same code either way.
 */
#include "game_loop_gpu.h"

#include <memkit/gpu.h>
#include <memkit/memkit.h>

#include "backend_mock.h"
#ifdef MEMKIT_DEMO_VULKAN
#include "vulkan_device.h"
#endif

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MIB (1024u * 1024u)
#define LEVEL_MESHES 3u
#define LEVEL_CHUNK (1u * MIB)       /* one upload */
#define LEVEL_PER_FRAME (2u * MIB)   /* streamed in a frame: well inside the 8 MiB ring */
#define CAMERA_BYTES 256u
#define OBJECT_BYTES 64u             /* a 3x4 matrix and an id, padded */
#define MAX_OBJECTS 8192u            /* 512 KiB of the 1 MiB per-frame block */

typedef struct level_mesh {
    const char *name;
    uint64_t bytes;
    uint64_t uploaded;
    mk_gpu_buffer_info_t info;
} level_mesh_t;

static struct demo_gpu {
    bool up, vulkan, validate;
    mk_gpu_backend_t backend;
    mk_gpu_mock_t *mock;
#ifdef MEMKIT_DEMO_VULKAN
    vulkan_device_t dev;
#endif
    char device[320];
    uint32_t init_allocations; /* device allocations mk_gpu_init made */
    level_mesh_t level[LEVEL_MESHES];
    bool level_ready;
    uint64_t level_ready_frame; /* the frame (counted from 0) whose uploads completed the level */
    uint64_t frames, bytes_uploaded, meshes_created, meshes_destroyed, refused, uniforms_created, uniform_bytes;
    unsigned long faults; /* a GPU call that returned what it must not */
} gpu = {.level = {{"terrain", 12u * MIB, 0, {0}}, {"buildings", 3u * MIB, 0, {0}}, {"props", 768u * 1024u, 0, {0}}}};

static uint32_t chunk[LEVEL_CHUNK / sizeof(uint32_t)];

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

/* "12.3 KiB" or "4.5 MiB" */
static const char *human(char *buf, size_t size, uint64_t bytes)
{
    if (bytes < MIB)
        snprintf(buf, size, "%.1f KiB", (double)bytes / 1024.0);
    else
        snprintf(buf, size, "%.1f MiB", (double)bytes / MIB);
    return buf;
}

static void fault(const char *call, mk_status_t status)
{
    if (gpu.faults++ < 5u)
        fprintf(stderr, "game_loop: %s: %s\n", call, mk_status_str(status));
}

static mk_gpu_stats_t stats(void)
{
    mk_gpu_stats_t s;
    memset(&s, 0, sizeof s);
    mk_status_t status = mk_gpu_stats_get(&s);
    if (status != MK_OK)
        fault("mk_gpu_stats_get", status);
    return s;
}

/* ---- bring-up ---------------------------------------------------------------------- */

static void use_mock(const char *why)
{
    mk_gpu_mock_config_t config = mk_gpu_mock_discrete();
    gpu.mock = mk_gpu_mock_create(&config);
    if (gpu.mock != NULL)
        gpu.backend = mk_gpu_mock_backend(gpu.mock);
    snprintf(gpu.device, sizeof gpu.device, "mock discrete GPU");
    printf("gpu: %s: memkit's mock backend, simulating a discrete GPU (8 GiB device-local heap, a 256 MiB "
           "host-visible window, non-coherent cached memory)\n",
           why);
}

#ifdef MEMKIT_DEMO_VULKAN
/* 0, or 77 (no driver) / 1 (a driver loaded, the device failed); *why says why not. */
static int use_vulkan(bool validate, char *why, size_t why_size)
{
    vulkan_device_options_t options;
    memset(&options, 0, sizeof options);
    options.application_name = "memkit game_loop";
    options.validation = validate;
    options.prefer_lavapipe = true;
    options.quiet = true;
    vulkan_device_status_t status = vulkan_device_open(&gpu.dev, &options, why, why_size);
    if (status != VULKAN_DEVICE_OK)
        return status == VULKAN_DEVICE_NO_DRIVER ? 77 : 1;
    mk_gpu_vulkan_config_t config = vulkan_device_backend_config(&gpu.dev);
    if (mk_gpu_vulkan_create(&config, &gpu.backend) != MK_GPU_OK) {
        vulkan_device_close(&gpu.dev);
        snprintf(why, why_size, "mk_gpu_vulkan_create failed");
        return 1;
    }
    gpu.vulkan = true;
    gpu.validate = validate;
    snprintf(gpu.device, sizeof gpu.device, "Vulkan, %s", gpu.dev.properties.deviceName);
    printf("gpu: Vulkan on %s, driver %s; validation %s\n", gpu.dev.properties.deviceName, gpu.dev.driver,
           vulkan_device_validation_summary(&gpu.dev));
    if (validate && !gpu.dev.validation_layer)
        printf("gpu: --validate: VK_LAYER_KHRONOS_validation is not installed (vulkan-validationlayers)\n");
    return 0;
}
#endif

int demo_gpu_start(demo_gpu_mode_t mode, bool validate)
{
    if (mode != DEMO_GPU_MOCK) {
#ifdef MEMKIT_DEMO_VULKAN
        char why[320];
        int rc = use_vulkan(validate, why, sizeof why);
        if (rc != 0 && mode == DEMO_GPU_VULKAN) {
            printf("gpu: no Vulkan device (%s)\n", why);
            return rc;
        }
        if (rc != 0) {
            char line[400];
            snprintf(line, sizeof line, "no Vulkan device (%s)", why);
            use_mock(line);
        }
#else
        if (mode == DEMO_GPU_VULKAN) {
            printf("gpu: this demo was built without the Vulkan headers (Debian: libvulkan-dev)\n");
            return 77;
        }
        use_mock("built without the Vulkan headers (Debian: libvulkan-dev)");
#endif
    } else {
        use_mock("--gpu mock");
    }
    (void)validate;
    if (gpu.backend.user == NULL) {
        fprintf(stderr, "game_loop: no GPU backend\n");
        return 1;
    }
    mk_status_t status = mk_gpu_init(&gpu.backend);
    if (status != MK_OK) {
        fprintf(stderr, "game_loop: mk_gpu_init: %s\n", mk_status_str(status));
        return 1;
    }
    gpu.up = true;
    gpu.init_allocations = stats().device_allocations;
    for (unsigned i = 0; i < LEVEL_MESHES; i++) {
        level_mesh_t *m = &gpu.level[i];
        status = mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, m->bytes, &m->info);
        if (status != MK_OK) {
            fprintf(stderr, "game_loop: the level's %s mesh: %s\n", m->name, mk_status_str(status));
            return 1;
        }
        gpu.meshes_created++;
    }
    return 0;
}

/* ---- frames ---------------------------------------------------------------------- */

/* Up to LEVEL_PER_FRAME bytes of the level, in chunks, oldest mesh first. */
static void stream_level(void)
{
    uint64_t budget = LEVEL_PER_FRAME;
    for (unsigned i = 0; i < LEVEL_MESHES && budget != 0u; i++) {
        level_mesh_t *m = &gpu.level[i];
        while (m->uploaded < m->bytes && budget != 0u) {
            uint64_t n = m->bytes - m->uploaded;
            n = n < LEVEL_CHUNK ? n : LEVEL_CHUNK;
            n = n < budget ? n : budget;
            for (uint64_t w = 0; w < n / sizeof(uint32_t); w++) /* the "vertex data" */
                chunk[w] = mix32((uint32_t)(i * 0x9e3779b9u) ^ (uint32_t)(m->uploaded / sizeof(uint32_t) + w));
            mk_status_t status = mk_gpu_upload(m->info.id, m->uploaded, chunk, n);
            if (status != MK_OK) {
                fault("mk_gpu_upload (level)", status);
                return;
            }
            m->uploaded += n;
            budget -= n;
            gpu.bytes_uploaded += n;
        }
    }
    if (gpu.level[LEVEL_MESHES - 1u].uploaded == gpu.level[LEVEL_MESHES - 1u].bytes) {
        gpu.level_ready = true; /* on the GPU once this frame's fence signals */
        gpu.level_ready_frame = gpu.frames;
    }
}

void demo_gpu_begin_frame(void)
{
    if (!gpu.up)
        return;
    mk_status_t status = mk_gpu_begin_frame();
    if (status != MK_OK) {
        fault("mk_gpu_begin_frame", status);
        return;
    }
    if (!gpu.level_ready)
        stream_level();
}

/* A per-frame buffer written in place: no staging, no copy. */
static void write_uniforms(uint64_t bytes, uint32_t seed)
{
    mk_gpu_buffer_info_t u;
    mk_status_t status = mk_gpu_buffer_create(MK_GPU_INTENT_UNIFORMS, bytes, &u);
    if (status != MK_OK) {
        fault("mk_gpu_buffer_create (uniforms)", status);
        return;
    }
    gpu.uniforms_created++;
    gpu.uniform_bytes += bytes;
    uint32_t *words = u.mapped;
    for (uint64_t w = 0; words != NULL && w < bytes / sizeof(uint32_t); w++)
        words[w] = mix32(seed ^ (uint32_t)w);
    status = mk_gpu_flush(u.id, 0, bytes); /* a no-op on coherent memory; needed on the rest */
    if (status != MK_OK)
        fault("mk_gpu_flush", status);
    /* the frame's draws would bind it here; it goes with the frame's fence */
    status = mk_gpu_buffer_destroy(u.id);
    if (status != MK_OK)
        fault("mk_gpu_buffer_destroy (uniforms)", status);
}

void demo_gpu_end_frame(uint64_t objects)
{
    if (!gpu.up)
        return;
    write_uniforms(CAMERA_BYTES, (uint32_t)gpu.frames);
    if (objects > MAX_OBJECTS)
        objects = MAX_OBJECTS;
    if (objects != 0u)
        write_uniforms(objects * OBJECT_BYTES, (uint32_t)gpu.frames * 7u);
    mk_status_t status = mk_gpu_end_frame();
    if (status != MK_OK) {
        fault("mk_gpu_end_frame", status);
        return;
    }
    gpu.frames++;
}

uint64_t demo_gpu_mesh_upload(const void *data, size_t bytes)
{
    if (!gpu.up)
        return 0;
    mk_gpu_buffer_info_t info;
    mk_status_t status = mk_gpu_buffer_create(MK_GPU_INTENT_MESHES, bytes, &info);
    if (status != MK_OK) { /* over the intent's budget or out of blocks: the game goes on without it */
        gpu.refused++;
        return 0;
    }
    gpu.meshes_created++;
    status = mk_gpu_upload(info.id, 0, data, bytes);
    if (status != MK_OK) {
        fault("mk_gpu_upload (mesh)", status);
        demo_gpu_mesh_release(info.id);
        return 0;
    }
    gpu.bytes_uploaded += bytes;
    return info.id;
}

void demo_gpu_mesh_release(uint64_t id)
{
    if (!gpu.up || id == 0u)
        return;
    mk_status_t status = mk_gpu_buffer_destroy(id);
    if (status != MK_OK)
        fault("mk_gpu_buffer_destroy (mesh)", status);
    gpu.meshes_destroyed++;
}

/* ---- the end ------------------------------------------------------------------------ */

/* Compares one of the tier's counters with the demo's. */
static int same(const char *what, uint64_t memkit, uint64_t demo)
{
    if (memkit == demo)
        return 1;
    fprintf(stderr, "game_loop: gpu %s: memkit says %" PRIu64 ", the demo %" PRIu64 "\n", what, memkit, demo);
    return 0;
}

int demo_gpu_finish(char *line, size_t line_size)
{
    if (!gpu.up) {
        snprintf(line, line_size, "gpu: not started");
        return 0;
    }
    int ok = 1;
    mk_gpu_stats_t s = stats();
    ok &= same("meshes created", s.intents[MK_GPU_INTENT_MESHES].total_allocations, gpu.meshes_created);
    ok &= same("meshes refused", s.intents[MK_GPU_INTENT_MESHES].failures, gpu.refused);
    ok &= same("uniform buffers created", s.intents[MK_GPU_INTENT_UNIFORMS].total_allocations, gpu.uniforms_created);
    ok &= same("frames", s.frame, gpu.frames + 1u); /* frames are numbered from 1: the next one */
    for (unsigned i = 0; i < LEVEL_MESHES; i++)
        demo_gpu_mesh_release(gpu.level[i].info.id);
    mk_status_t status = mk_gpu_wait_idle();
    if (status != MK_OK)
        fault("mk_gpu_wait_idle", status);
    /* every fence has signalled: every deferred destroy ran, every staging byte came back */
    s = stats();
    ok &= same("live mesh buffers", s.intents[MK_GPU_INTENT_MESHES].allocations, 0);
    ok &= same("live uniform buffers", s.intents[MK_GPU_INTENT_UNIFORMS].allocations, 0);
    ok &= same("bytes charged", s.bytes, 0);
    ok &= same("deferred destroys", s.deferred, 0);
    ok &= same("staging bytes in flight", s.ring_used, 0);
    ok &= same("device allocations (emptied blocks given back)", s.device_allocations, gpu.init_allocations);
    size_t leaks = mk_gpu_shutdown();
    ok &= same("buffers leaked", leaks, 0);
    gpu.up = false;

    char validation[96] = "";
    if (gpu.vulkan) {
#ifdef MEMKIT_DEMO_VULKAN
        ok &= same("command batches left behind", mk_gpu_vulkan_destroy(&gpu.backend), 0);
        vulkan_device_close(&gpu.dev); /* the validation layer reports Vulkan objects still alive */
        if (gpu.validate) {
            if (!gpu.dev.validation_layer || !gpu.dev.messenger) {
                fprintf(stderr, "game_loop: --validate, but the validation layer is not on (%s)\n",
                        vulkan_device_validation_summary(&gpu.dev));
                ok = 0;
            }
            unsigned long errors = atomic_load(&gpu.dev.errors);
            ok &= same("validation errors", errors, 0);
            snprintf(validation, sizeof validation, "; validation (%s): %lu errors",
                     vulkan_device_validation_summary(&gpu.dev), errors);
        }
#endif
    } else {
        unsigned long misuses = gpu.mock->errors;
        if (misuses != 0)
            fprintf(stderr, "game_loop: the mock GPU saw %lu misuses, the last: %s\n", misuses, gpu.mock->last_error);
        ok &= same("misuses the mock saw", misuses, 0);
        ok &= same("objects left on the mock", mk_gpu_mock_destroy(gpu.mock), 0);
        gpu.mock = NULL;
    }
    ok &= same("failed GPU calls", gpu.faults, 0);
    uint64_t level_bytes = 0, level_uploaded = 0;
    for (unsigned i = 0; i < LEVEL_MESHES; i++) {
        level_bytes += gpu.level[i].bytes;
        level_uploaded += gpu.level[i].uploaded;
    }
    char level[96], b1[32], b2[32], b3[32];
    if (gpu.level_ready)
        snprintf(level, sizeof level, "uploaded by frame %" PRIu64, gpu.level_ready_frame);
    else
        snprintf(level, sizeof level, "%s of it uploaded when the run ended", human(b1, sizeof b1, level_uploaded));
    snprintf(line, line_size,
             "gpu (%s): level geometry (%s, one dedicated allocation) %s, %" PRIu64
             " meshes streamed, %s through the staging ring, %" PRIu64
             " uniform buffers (%s) written in place; all freed, device memory back to init's %u allocations%s",
             gpu.device, human(b2, sizeof b2, level_bytes), level, gpu.meshes_created - LEVEL_MESHES,
             human(b3, sizeof b3, gpu.bytes_uploaded), gpu.uniforms_created,
             human(b1, sizeof b1, gpu.uniform_bytes), gpu.init_allocations, validation);
    return ok;
}
