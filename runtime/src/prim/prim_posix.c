/* prim_posix.c — prim.h for POSIX systems (Linux, macOS, the BSDs): MK_OS=posix,
 * the default. */
#include "os.h"
#if MK__OS_POSIX
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#endif
#include <memkit/memkit.h> /* first: a config's prefix renames what prim.h declares */
#include <memkit/track.h>

#include "prim.h"
#include "fault.h"
#include "diagnostics/output.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if MKG_THREADS
#include <pthread.h>
#include <sched.h>
static pthread_key_t mk__exit_key;
static bool mk__exit_key_live;
#endif

void *mk__prim_reserve(size_t bytes)
{
    if (mk__fault(MK__FAULT_RESERVE))
        return NULL;
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return mem == MAP_FAILED ? NULL : mem;
}

void mk__prim_release(void *mem, size_t bytes)
{
    if (mem == NULL)
        return;
    mk_track_open(mem, bytes); /* the tools must not keep memkit's marks on pages that go back */
    munmap(mem, bytes);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#if defined(__clang__) || defined(__GNUC__)
__attribute__((no_sanitize_address)) /* the region may still be poisoned from a previous mk_init */
#endif
static void mk__prim_touch(void *mem, size_t bytes)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t step = page > 0 ? (size_t)page : 4096u;
    volatile unsigned char *p = mem;
    for (size_t i = 0; i < bytes; i += step)
        p[i] = p[i]; /* a write faults the page in; the byte stays what it was */
    if (bytes > 0)
        p[bytes - 1] = p[bytes - 1];
}

void mk__prim_prefault(void *mem, size_t bytes)
{
    if (mem == NULL || bytes == 0)
        return;
#ifdef __linux__
    /* the kernel populates whole pages; the range must be page-aligned */
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0) {
        uintptr_t start = (uintptr_t)mem & ~((uintptr_t)page - 1u);
        uintptr_t end = (uintptr_t)mem + bytes;
        if (madvise((void *)start, (size_t)(end - start), MADV_POPULATE_WRITE) == 0)
            return;
    }
#endif
    mk__prim_touch(mem, bytes); /* older kernels, other systems */
}

void *mk__prim_system_alloc(size_t bytes)
{
    if (mk__fault(MK__FAULT_SYSTEM))
        return NULL;
    return malloc(bytes);
}

void mk__prim_system_free(void *mem)
{
    free(mem);
}

_Noreturn void mk__prim_abort(void)
{
    abort();
}

uint64_t mk__prim_entropy(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t stack = (uint64_t)(uintptr_t)&now; /* differs per run with ASLR */
    return ((uint64_t)now.tv_nsec << 32) ^ (uint64_t)now.tv_sec ^ ((uint64_t)getpid() << 16) ^ stack;
}

void mk__prim_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#if MKG_THREADS && defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>

static bool mk__fence_registered;

bool mk__prim_fence_others_init(void)
{
    if (!mk__fence_registered) {
        long supported = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
        mk__fence_registered = supported > 0 && (supported & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
                               syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    }
    return mk__fence_registered;
}

void mk__prim_fence_others(void)
{
    if (mk__fence_registered && syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
        mk__panic("membarrier failed after it was registered");
}
#elif MKG_THREADS
bool mk__prim_fence_others_init(void) { return false; }
void mk__prim_fence_others(void) {}
#endif

#if MKG_THREADS
void mk__prim_fork_init(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    static bool installed; /* handlers cannot be removed: once per process */
    if (!installed)
        installed = pthread_atfork(prepare, parent, child) == 0;
}

void mk__prim_yield(void)
{
    sched_yield();
}

bool mk__prim_thread_exit_init(void (*on_exit)(void *slot))
{
    if (mk__exit_key_live)
        return true;
    mk__exit_key_live = pthread_key_create(&mk__exit_key, on_exit) == 0;
    return mk__exit_key_live;
}

void mk__prim_thread_exit_fini(void)
{
    if (mk__exit_key_live)
        pthread_key_delete(mk__exit_key);
    mk__exit_key_live = false;
}

void mk__prim_thread_exit_arm(void *slot)
{
    if (mk__exit_key_live)
        pthread_setspecific(mk__exit_key, slot);
}

void mk__prim_thread_exit_disarm(void)
{
    if (mk__exit_key_live)
        pthread_setspecific(mk__exit_key, NULL);
}
#endif /* MKG_THREADS (threads = false: prim_single.c) */

uint64_t mk__prim_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if MKG_THREADS
typedef struct mk__posix_monitor {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
} mk__posix_monitor_t;
_Static_assert(sizeof(mk__posix_monitor_t) <= sizeof(mk__prim_monitor_t), "mk__prim_monitor_t is too small");

static mk__posix_monitor_t *mk__monitor(mk__prim_monitor_t *m)
{
    return (mk__posix_monitor_t *)(void *)m->opaque;
}

void mk__prim_monitor_init(mk__prim_monitor_t *m)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* deadlines are mk__prim_now_ns's */
    pthread_mutex_init(&mk__monitor(m)->mutex, NULL);
    pthread_cond_init(&mk__monitor(m)->cond, &attr);
    pthread_condattr_destroy(&attr);
}

void mk__prim_monitor_destroy(mk__prim_monitor_t *m)
{
    pthread_cond_destroy(&mk__monitor(m)->cond);
    pthread_mutex_destroy(&mk__monitor(m)->mutex);
}

void mk__prim_monitor_lock(mk__prim_monitor_t *m) { pthread_mutex_lock(&mk__monitor(m)->mutex); }
void mk__prim_monitor_unlock(mk__prim_monitor_t *m) { pthread_mutex_unlock(&mk__monitor(m)->mutex); }
void mk__prim_monitor_notify_all(mk__prim_monitor_t *m) { pthread_cond_broadcast(&mk__monitor(m)->cond); }

bool mk__prim_monitor_wait(mk__prim_monitor_t *m, uint64_t deadline_ns)
{
    if (deadline_ns == UINT64_MAX) {
        pthread_cond_wait(&mk__monitor(m)->cond, &mk__monitor(m)->mutex);
        return true;
    }
    struct timespec ts = {(time_t)(deadline_ns / 1000000000u), (long)(deadline_ns % 1000000000u)};
    return pthread_cond_timedwait(&mk__monitor(m)->cond, &mk__monitor(m)->mutex, &ts) == 0;
}
#endif /* MKG_THREADS */
#else
typedef int mk__prim_posix_unused; /* another OS layer is chosen (os.h) */
#endif /* MK__OS_POSIX */
