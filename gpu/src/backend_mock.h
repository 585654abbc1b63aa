/* backend_mock.h — a simulated GPU behind the backend interface (backend.h),
 * for tests only.
 *
 * What Vulkan drivers here cannot show (lavapipe has one memory type, coherent,
 * and never enforces a heap's size), the mock does: it is configured with the
 * memory types and heaps of a discrete GPU, an integrated one or lavapipe,
 * enforces heap sizes and maxMemoryAllocationCount, reports a memory budget or
 * not, and keeps non-coherent memory honest — a mapped pointer into a
 * non-coherent type is a host copy that reaches the device only through
 * flush, and sees the device's writes only after invalidate. Copies run when
 * their batch's fence signals: at submit, or (deferred_fences) when the test
 * calls mk_gpu_mock_advance or waits on the fence.
 *
 * Like a validation layer it checks every call and counts each misuse in
 * `errors` with the latest message in `last_error`: misaligned flush or
 * invalidate ranges, maps of memory that is not host-visible, binds out of
 * range or misaligned, copies through unbound, destroyed or out-of-range
 * buffers, frees of memory with live bound buffers, stale handles, buffers
 * destroyed while a pending batch uses them; mk_gpu_mock_destroy reports
 * leaks. Flushes of coherent memory are harmless and counted apart.
 *
 * Failures are injected with mk_gpu_mock_fail_at (an OOM loop: fail the nth
 * call, then n+1, … until a run completes).
 *
 * Backing memory is the host's (calloc, allocated when first mapped or copied
 * through, so an 8 GiB heap costs nothing until touched): this is a test
 * device, not a runtime part. Thread-safety: one mutex around every call.
 */
#ifndef MEMKIT_GPU_BACKEND_MOCK_H
#define MEMKIT_GPU_BACKEND_MOCK_H

#include "backend.h"

#include <pthread.h>

/* A simulated GPU. device.max_memory_allocation_count and heap sizes are
 * enforced; heap_budget answers only when device.has_memory_budget. */
typedef struct mk_gpu_mock_config {
    mk_gpu_device_info_t device;
    uint64_t heap_budget[MK_GPU_MAX_MEMORY_HEAPS]; /* reported budget per heap; 0: the heap's size */
    uint64_t buffer_alignment;                     /* buffers' requirements.alignment (power of two) */
    uint32_t buffer_type_bits;                     /* buffers' requirements.memory_type_bits; 0: every type */
    bool deferred_fences;                          /* fences signal only in mk_gpu_mock_advance / fence_wait */
} mk_gpu_mock_config_t;

/* Presets. discrete: types {DL, HV|HC, HV|CACHED (not coherent), DL|HV|HC};
 * heaps {8 GiB DL, 16 GiB host, 256 MiB DL window}; atom 64, granularity
 * 1024, 4096 allocations, budget. uma: types {DL, DL|HV|HC, DL|HV|HC|CACHED}
 * on one 4 GiB DL heap; atom 64, granularity 64, 4096 allocations, budget.
 * lavapipe: one DL|HV|HC|CACHED type on one 2 GiB heap, atom 64, granularity
 * 64, 2^32-1 allocations, no budget. Fences signal at once. */
mk_gpu_mock_config_t mk_gpu_mock_discrete(void);
mk_gpu_mock_config_t mk_gpu_mock_uma(void);
mk_gpu_mock_config_t mk_gpu_mock_lavapipe(void);

/* Calls that can be made to fail, as a mask for mk_gpu_mock_fail_at, and the
 * result an injected failure returns. */
enum {
    MK_GPU_MOCK_ALLOCATE = 1u << 0,      /* OUT_OF_DEVICE_MEMORY */
    MK_GPU_MOCK_MAP = 1u << 1,           /* FAILED (VK_ERROR_MEMORY_MAP_FAILED) */
    MK_GPU_MOCK_FLUSH = 1u << 2,         /* OUT_OF_HOST_MEMORY (flush and invalidate) */
    MK_GPU_MOCK_CREATE_BUFFER = 1u << 3, /* OUT_OF_HOST_MEMORY */
    MK_GPU_MOCK_BIND = 1u << 4,          /* OUT_OF_DEVICE_MEMORY */
    MK_GPU_MOCK_COPY = 1u << 5,          /* OUT_OF_HOST_MEMORY (the command buffer could not grow) */
    MK_GPU_MOCK_SUBMIT = 1u << 6,        /* OUT_OF_HOST_MEMORY; the batch stays recorded */
    MK_GPU_MOCK_FENCE_WAIT = 1u << 7,    /* TIMEOUT */
    MK_GPU_MOCK_KIND_COUNT = 8
};

typedef struct mk_gpu_mock_object mk_gpu_mock_object_t;  /* a memory, buffer or fence (backend_mock.c) */
typedef struct mk_gpu_mock_copy mk_gpu_mock_copy_t;      /* one recorded copy */

/* The mock. Tests read the counters; the rest is the mock's. */
typedef struct mk_gpu_mock {
    /* what tests read */
    unsigned long errors;           /* misuses seen, as a validation layer would report them */
    unsigned long needless_flushes; /* flush/invalidate of HOST_COHERENT memory: harmless, wasted */
    unsigned long injected;         /* injected failures that fired */
    unsigned long calls[MK_GPU_MOCK_KIND_COUNT]; /* calls per kind (bit index of MK_GPU_MOCK_*) */
    char last_error[256];           /* the latest misuse, for the test's message */
    uint32_t live_allocations;
    uint64_t heap_used[MK_GPU_MAX_MEMORY_HEAPS]; /* bytes allocated per heap (the budget's usage) */

    /* the mock's own */
    mk_gpu_mock_config_t config;
    pthread_mutex_t lock;
    mk_gpu_mock_object_t *objects; /* every handle's slot; a handle is (generation << 32 | index + 1) */
    uint32_t object_count, object_capacity;
    mk_gpu_mock_copy_t *batch; /* copies recorded since the last submit */
    uint32_t batch_count, batch_capacity;
    uint64_t next_serial;      /* submissions, numbered in order */
    uint64_t completed_serial; /* every submission up to this one has run */
    uint32_t fail_mask;        /* kinds counted toward an injected failure; 0: none armed */
    unsigned long fail_countdown;
} mk_gpu_mock_t;

/* A mock for `config` (copied), or NULL when the config is invalid (no type,
 * a type on a missing heap, an atom or alignment not a power of two) or the
 * host is out of memory. */
mk_gpu_mock_t *mk_gpu_mock_create(const mk_gpu_mock_config_t *config);
/* The backend interface over `mock`; valid until mk_gpu_mock_destroy. */
mk_gpu_backend_t mk_gpu_mock_backend(mk_gpu_mock_t *mock);
/* Completes the oldest pending submission (its copies run, its fence
 * signals); false when none was pending. */
bool mk_gpu_mock_advance(mk_gpu_mock_t *mock);
/* Arms one injected failure: the nth call from now (n >= 1) among the kinds in
 * `kinds` fails with the kind's result. n == 0 or kinds == 0 disarms. */
void mk_gpu_mock_fail_at(mk_gpu_mock_t *mock, uint32_t kinds, unsigned long n);
/* Frees the mock; prints each memory, buffer and fence still live to stderr
 * and returns how many there were (0: no leak). mock may be NULL. */
unsigned long mk_gpu_mock_destroy(mk_gpu_mock_t *mock);

#endif /* MEMKIT_GPU_BACKEND_MOCK_H */
