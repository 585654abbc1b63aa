/* game_loop_gpu.h — the demo's GPU side (game_loop_gpu.c): memkit's GPU tier
 * (memkit/gpu.h) on lavapipe when a Vulkan driver loads, else on memkit's mock
 * backend simulating a discrete GPU. Main thread only; after mk_init. */
#ifndef MEMKIT_EXAMPLES_GAME_LOOP_GPU_H
#define MEMKIT_EXAMPLES_GAME_LOOP_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum demo_gpu_mode {
    DEMO_GPU_AUTO,   /* Vulkan when a driver loads, else the mock */
    DEMO_GPU_VULKAN, /* Vulkan or nothing (77 without a driver) */
    DEMO_GPU_MOCK,   /* the mock only (the sanitizer runs: lavapipe's own leaks stay out of LeakSanitizer's report) */
} demo_gpu_mode_t;

/* Brings up a device and the tier and prints which device it is. `validate`:
 * the Vulkan validation layers with synchronization validation, their errors
 * counted into the final check. Returns 0; 77 when mode is DEMO_GPU_VULKAN
 * and no driver loads; 1 on failure (printed). */
int demo_gpu_start(demo_gpu_mode_t mode, bool validate);

/* After mk_begin_frame: the GPU frame begins, and the level's geometry
 * streams in through the staging ring, a few MiB a frame until it is whole. */
void demo_gpu_begin_frame(void);

/* Before mk_end_frame: the frame's uniforms (camera, and one block per drawn
 * object) written straight into the per-frame linear heap; the GPU frame ends
 * (its transfers are submitted with one fence). */
void demo_gpu_end_frame(uint64_t objects);

/* A streamed mesh's vertex data: a buffer of the meshes GPU intent, filled
 * through the staging ring. Its id, or 0 when the tier refused (counted). */
uint64_t demo_gpu_mesh_upload(const void *data, size_t bytes);
/* The mesh unloaded: its buffer goes when the frames using it are done. */
void demo_gpu_mesh_release(uint64_t id);

/* After the last frame (and after mk_stats_print, which shows the GPU heaps):
 * frees the level, waits for the GPU, checks the tier's counters against the
 * demo's, shuts the tier and the device down. Writes a one-line summary into
 * `line`. Returns 1 when everything matched and nothing leaked. */
int demo_gpu_finish(char *line, size_t line_size);

#endif /* MEMKIT_EXAMPLES_GAME_LOOP_GPU_H */
