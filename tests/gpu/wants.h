/* wants.h — the GPU tests' shorthand for memory property flags, and the four
 * kinds of [gpu.heap.NAME] memory as the wants the generator's model turns
 * them into (device_local, upload, readback, unified). */
#ifndef MEMKIT_TESTS_GPU_WANTS_H
#define MEMKIT_TESTS_GPU_WANTS_H

#include "memtype.h"

enum { DL = MK_GPU_MEMORY_DEVICE_LOCAL, HV = MK_GPU_MEMORY_HOST_VISIBLE, HC = MK_GPU_MEMORY_HOST_COHERENT,
       CACHED = MK_GPU_MEMORY_HOST_CACHED };

static const mk_gpu_memory_want_t device_local = {0, DL, HV};
static const mk_gpu_memory_want_t upload = {HV, HC, CACHED | DL};
static const mk_gpu_memory_want_t readback = {HV, CACHED, DL};
static const mk_gpu_memory_want_t unified = {HV, DL | HC, 0};

#endif /* MEMKIT_TESTS_GPU_WANTS_H */
