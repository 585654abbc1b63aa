/* memkit_override.c — the malloc family served by memkit (docs/override.md).
 *
 * Every entry point takes one of three roads:
 *   memkit  mk_alloc for the intent that [override] picks from the calling
 *           module (its return address, looked up in a cached table of the
 *           loaded objects' code segments) and the size;
 *   libc    glibc's own allocator, by its internal names (__libc_malloc ...):
 *           calls before mk_init has finished, calls made while the calling
 *           thread is already inside the interposer (mk_init, a thread's first
 *           attach, dlsym), threads beyond [memkit] max_threads, and requests
 *           memkit's tiers cannot hold (full, too large): never a budget;
 *   refuse  NULL with errno = ENOMEM when an intent's budget says no: that is
 *           how a budget shows up to the program.
 * free, realloc and malloc_usable_size tell the roads apart with mk_owns (an
 * address range test): what memkit does not own goes to libc, so pointers from
 * before the interposer, from the libc road, or from libc called directly are
 * all handled.
 *
 * Nothing here allocates: the module table, the per-thread lookup cache and
 * the counters are static; the recursion guard is initial-exec TLS (no
 * allocation on a thread's first access).
 */
#define _GNU_SOURCE
#include "memkit_override.h"
#include "override_glob.h"

#include <memkit/memkit.h>

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if !defined(__GLIBC__)
#error "libmemkit_override needs glibc (__libc_malloc and friends)"
#endif
#if !MKG_OVERRIDE
#error "the config has no [override] table: libmemkit_override needs one (docs/override.md)"
#endif

/* glibc's allocator under its internal names: what `malloc` was before us. */
extern void *__libc_malloc(size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t align, size_t size);

#define MKO_EXPORT __attribute__((visibility("default")))
#define MKO_TLS __thread __attribute__((tls_model("initial-exec")))
#define MKO_CALLER() __builtin_extract_return_addr(__builtin_return_address(0))

/* ---- state ---------------------------------------------------------------- */

enum { MKO_UNINIT, MKO_STARTING, MKO_READY, MKO_FAILED };
static _Atomic int mko_state = MKO_UNINIT;
/* >0 while this thread runs inside the interposer: its nested calls take libc */
static MKO_TLS unsigned mko_depth;
/* A thread memkit refused a slot (more than [memkit] max_threads at once)
 * takes libc for this many calls before it asks again: an attach that fails
 * scans every slot, and a slot frees only when some thread exits. */
#define MKO_SLOTLESS_CALLS 256u
static MKO_TLS unsigned mko_slotless;
static char mko_stats_path[4096];

/* Events off the memkit road, for the stats file (relaxed: slow paths only). */
static _Atomic uint64_t mko_early_allocs;   /* before mk_init finished, or nested */
static _Atomic uint64_t mko_libc_allocs;    /* memkit declined: tier full, too big, no thread slot */
static _Atomic uint64_t mko_budget_refusals;
static _Atomic uint64_t mko_foreign_frees;  /* free of a pointer memkit does not own */
static _Atomic uint64_t mko_foreign_reallocs;
static _Atomic uint64_t mko_rescans;

static void mko_count(_Atomic uint64_t *counter)
{
    atomic_fetch_add_explicit(counter, 1u, memory_order_relaxed);
}

/* ---- rules ---------------------------------------------------------------- */

typedef struct mko_rule {
    const char *module; /* glob on the object's file name; "<main>": the executable; NULL: any */
    size_t min_size, max_size;
    mk_intent_t intent;
} mko_rule_t;

#define MKO_RULE(module, min, max, intent) {(module), (min), (max), (intent)},
static const mko_rule_t mko_rules[MKG_OVERRIDE_RULE_COUNT > 0 ? MKG_OVERRIDE_RULE_COUNT : 1] = {
#if MKG_OVERRIDE_RULE_COUNT > 0
    MKG_OVERRIDE_RULES(MKO_RULE)
#else
    {NULL, 0u, 0u, (mk_intent_t)0} /* never read */
#endif
};
static const unsigned mko_rule_count = MKG_OVERRIDE_RULE_COUNT; /* a variable: no warning at 0 */
_Static_assert(MKG_OVERRIDE_RULE_COUNT <= 64, "a rule set is a 64-bit mask");

static uint64_t mko_any_module;   /* rules without a module pattern */
static bool mko_by_module;        /* some rule names a module: look callers up */

static uint64_t mko_module_rules(const char *path)
{
    const char *name = path[0] == '\0' ? "<main>" : path;
    const char *slash = strrchr(name, '/');
    if (slash != NULL)
        name = slash + 1;
    uint64_t mask = 0;
    for (unsigned i = 0; i < mko_rule_count; i++)
        if (mko_rules[i].module != NULL && mko_glob(mko_rules[i].module, name))
            mask |= (uint64_t)1 << i;
    return mask;
}

/* ---- the module table: code segments of the loaded objects ----------------
 *
 * Written under mko_scan_busy (a try-lock: a thread that finds it taken does
 * not wait, so no lock order with the dynamic loader's locks can deadlock),
 * read without a lock under a sequence counter: a reader that saw the counter
 * move reads again. Rescanned when a lookup misses and the loader's count of
 * loads and unloads (dlpi_adds, dlpi_subs) has moved since the last scan. */

#define MKO_MAX_SEGMENTS 1024
typedef struct mko_segment {
    _Atomic uintptr_t lo, hi;
    _Atomic uint64_t rules;
} mko_segment_t;
static mko_segment_t mko_segments[MKO_MAX_SEGMENTS];
static _Atomic unsigned mko_segment_count;
static _Atomic unsigned mko_seq;          /* odd while a scan writes */
static _Atomic int mko_scan_busy;
static unsigned long long mko_seen_adds = ~0ull, mko_seen_subs = ~0ull;

typedef struct mko_scan {
    unsigned count;
    unsigned long long adds, subs;
} mko_scan_t;

static int mko_scan_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    mko_scan_t *scan = data;
    scan->adds = info->dlpi_adds;
    scan->subs = info->dlpi_subs;
    uint64_t rules = mko_module_rules(info->dlpi_name != NULL ? info->dlpi_name : "");
    for (unsigned i = 0; i < info->dlpi_phnum && scan->count < MKO_MAX_SEGMENTS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_X) == 0)
            continue;
        uintptr_t lo = (uintptr_t)(info->dlpi_addr + ph->p_vaddr);
        /* insertion in address order: objects come roughly sorted, few move */
        unsigned at = scan->count;
        while (at > 0 && atomic_load_explicit(&mko_segments[at - 1].lo, memory_order_relaxed) > lo) {
            mko_segment_t *to = &mko_segments[at], *from = &mko_segments[at - 1];
            atomic_store_explicit(&to->lo, atomic_load_explicit(&from->lo, memory_order_relaxed), memory_order_relaxed);
            atomic_store_explicit(&to->hi, atomic_load_explicit(&from->hi, memory_order_relaxed), memory_order_relaxed);
            atomic_store_explicit(&to->rules, atomic_load_explicit(&from->rules, memory_order_relaxed),
                                  memory_order_relaxed);
            at--;
        }
        atomic_store_explicit(&mko_segments[at].lo, lo, memory_order_relaxed);
        atomic_store_explicit(&mko_segments[at].hi, lo + (uintptr_t)ph->p_memsz, memory_order_relaxed);
        atomic_store_explicit(&mko_segments[at].rules, rules, memory_order_relaxed);
        scan->count++;
    }
    return 0;
}

static int mko_scan_counts(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    mko_scan_t *scan = data;
    scan->adds = info->dlpi_adds;
    scan->subs = info->dlpi_subs;
    return 1; /* the first object is enough */
}

/* Rebuilds the table if objects were loaded or unloaded since the last scan;
 * false when another thread is scanning (the caller does without). */
static bool mko_rescan(void)
{
    int idle = 0;
    if (!atomic_compare_exchange_strong_explicit(&mko_scan_busy, &idle, 1, memory_order_acquire,
                                                 memory_order_relaxed))
        return false;
    mko_scan_t counts = {0, 0, 0};
    dl_iterate_phdr(mko_scan_counts, &counts);
    if (counts.adds != mko_seen_adds || counts.subs != mko_seen_subs) {
        mko_count(&mko_rescans);
        atomic_fetch_add_explicit(&mko_seq, 1u, memory_order_acq_rel); /* odd: readers retry */
        atomic_thread_fence(memory_order_release);
        mko_scan_t scan = {0, 0, 0};
        dl_iterate_phdr(mko_scan_object, &scan);
        atomic_store_explicit(&mko_segment_count, scan.count, memory_order_relaxed);
        mko_seen_adds = scan.adds;
        mko_seen_subs = scan.subs;
        atomic_fetch_add_explicit(&mko_seq, 1u, memory_order_release);
    }
    atomic_store_explicit(&mko_scan_busy, 0, memory_order_release);
    return true;
}

/* The rules of the object whose code holds `addr`; false when none does.
 * *version: the table's version the answer is of. */
static bool mko_find(uintptr_t addr, uint64_t *rules, unsigned *version)
{
    for (;;) {
        unsigned seq = atomic_load_explicit(&mko_seq, memory_order_acquire);
        if ((seq & 1u) != 0u) {
            if (atomic_load_explicit(&mko_scan_busy, memory_order_relaxed) == 0)
                continue;
            *version = seq; /* odd: no table to answer from */
            return false; /* a scan is under way: do without rather than wait */
        }
        unsigned lo = 0, hi = atomic_load_explicit(&mko_segment_count, memory_order_relaxed);
        bool found = false;
        uint64_t mask = 0;
        while (lo < hi) {
            unsigned mid = lo + (hi - lo) / 2u;
            uintptr_t start = atomic_load_explicit(&mko_segments[mid].lo, memory_order_relaxed);
            if (addr < start) {
                hi = mid;
            } else if (addr >= atomic_load_explicit(&mko_segments[mid].hi, memory_order_relaxed)) {
                lo = mid + 1u;
            } else {
                mask = atomic_load_explicit(&mko_segments[mid].rules, memory_order_relaxed);
                found = true;
                break;
            }
        }
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&mko_seq, memory_order_relaxed) != seq)
            continue;
        *rules = mask;
        *version = seq;
        return found;
    }
}

/* Per-thread cache of return address -> rules, valid for one table version. */
#define MKO_CACHE 64u
typedef struct mko_cached {
    uintptr_t caller;
    uint64_t rules;
    unsigned seq;
} mko_cached_t;
static MKO_TLS mko_cached_t mko_cache[MKO_CACHE];

static uint64_t mko_caller_rules(const void *caller)
{
    uintptr_t addr = (uintptr_t)caller;
    mko_cached_t *c = &mko_cache[(addr >> 4) % MKO_CACHE];
    unsigned seq = atomic_load_explicit(&mko_seq, memory_order_relaxed);
    if (c->caller == addr && c->seq == seq)
        return c->rules;
    uint64_t rules = 0;
    unsigned version = 0;
    if (!mko_find(addr, &rules, &version)) {
        if (!mko_rescan())
            return 0; /* another thread is scanning: no module rule this once, and nothing cached */
        /* still unknown (JIT code, a stub): no module rule, cached */
        if (!mko_find(addr, &rules, &version) && (version & 1u) != 0u)
            return 0; /* a scan began meanwhile: nothing to cache */
    }
    /* cached under the version the answer came from: a rescan since makes it stale */
    *c = (mko_cached_t){.caller = addr, .rules = rules, .seq = version};
    return rules;
}

static mk_intent_t mko_intent_for(const void *caller, size_t size)
{
    uint64_t rules = mko_any_module;
    if (mko_by_module)
        rules |= mko_caller_rules(caller);
    while (rules != 0) {
        unsigned i = (unsigned)__builtin_ctzll(rules);
        if (size >= mko_rules[i].min_size && size <= mko_rules[i].max_size)
            return mko_rules[i].intent;
        rules &= rules - 1u;
    }
    return (mk_intent_t)MKG_OVERRIDE_DEFAULT;
}

/* ---- start and end ---------------------------------------------------------- */

static size_t (*mko_libc_usable_fn)(void *);

static void mko_fork_child(void)
{
    atomic_store_explicit(&mko_scan_busy, 0, memory_order_relaxed); /* its scanner did not come along */
    if ((atomic_load_explicit(&mko_seq, memory_order_relaxed) & 1u) != 0u) {
        /* forked mid-scan: the table is half written; empty, every lookup misses and rescans */
        atomic_store_explicit(&mko_segment_count, 0u, memory_order_relaxed);
        atomic_fetch_add_explicit(&mko_seq, 1u, memory_order_relaxed);
    }
    mko_seen_adds = ~0ull; /* the table is rebuilt on the next miss */
}

static void mko_write_stats(void);

/* Called by the first allocation (or the constructor): one thread starts
 * memkit, the others take libc meanwhile. */
static __attribute__((noinline)) bool mko_start(void)
{
    int expected = MKO_UNINIT;
    if (!atomic_compare_exchange_strong_explicit(&mko_state, &expected, MKO_STARTING, memory_order_acq_rel,
                                                 memory_order_acquire))
        return expected == MKO_READY;
    mko_depth++; /* what mk_init, dlsym and pthread_atfork allocate comes from libc */
    for (unsigned i = 0; i < mko_rule_count; i++) {
        if (mko_rules[i].module == NULL)
            mko_any_module |= (uint64_t)1 << i;
        else
            mko_by_module = true;
    }
    const char *path = getenv("MEMKIT_OVERRIDE_STATS");
    if (path != NULL && strlen(path) < sizeof mko_stats_path)
        strcpy(mko_stats_path, path);
    void *usable = dlsym(RTLD_NEXT, "malloc_usable_size"); /* libc's, next after this object */
    memcpy(&mko_libc_usable_fn, &usable, sizeof usable);  /* POSIX: a function pointer as void * */
    pthread_atfork(NULL, NULL, mko_fork_child);
    mk_status_t status = mk_init(&mkg_config);
    if (status != MK_OK) {
        char line[160];
        int n = snprintf(line, sizeof line, "memkit_override: mk_init failed (%s): malloc stays glibc's\n",
                         mk_status_str(status));
        if (n > 0)
            (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1u);
    }
    mko_depth--;
    atomic_store_explicit(&mko_state, status == MK_OK ? MKO_READY : MKO_FAILED, memory_order_release);
    return status == MK_OK;
}

static inline bool mko_ready(void)
{
    int state = atomic_load_explicit(&mko_state, memory_order_acquire);
    if (__builtin_expect(state == MKO_READY, 1))
        return true;
    return state == MKO_UNINIT && mko_start();
}

__attribute__((constructor(101))) static void mko_constructor(void)
{
    (void)mko_ready();
}

/* The latest a library destructor runs (priority 101 runs last of the prioritised
 * ones; this library's finalizer runs after the objects loaded after it).
 * memkit is never shut down: destructors still to come, and libc's exit path,
 * free what they hold, and those frees must find memkit working. */
__attribute__((destructor(101))) static void mko_destructor(void)
{
    if (atomic_load_explicit(&mko_state, memory_order_acquire) == MKO_READY && mko_stats_path[0] != '\0')
        mko_write_stats();
}

/* The stats path with its first "%p" replaced by the process id (a forked
 * child that exits normally writes a file of its own). */
static void mko_stats_file(char *out, size_t cap)
{
    const char *pid = strstr(mko_stats_path, "%p");
    if (pid == NULL)
        snprintf(out, cap, "%s", mko_stats_path);
    else
        snprintf(out, cap, "%.*s%ld%s", (int)(pid - mko_stats_path), mko_stats_path, (long)getpid(), pid + 2);
}

static void mko_write_stats(void)
{
    char file[sizeof mko_stats_path + 24];
    mko_stats_file(file, sizeof file);
    if (mk_stats_save_json(file) != MK_OK)
        return;
    char path[sizeof file + 16];
    snprintf(path, sizeof path, "%s.override", file);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return;
    fprintf(f,
            "{\"early_allocs\": %llu, \"libc_allocs\": %llu, \"budget_refusals\": %llu, \"foreign_frees\": %llu, "
            "\"foreign_reallocs\": %llu, \"rescans\": %llu, \"modules_segments\": %u}\n",
            (unsigned long long)atomic_load(&mko_early_allocs), (unsigned long long)atomic_load(&mko_libc_allocs),
            (unsigned long long)atomic_load(&mko_budget_refusals),
            (unsigned long long)atomic_load(&mko_foreign_frees),
            (unsigned long long)atomic_load(&mko_foreign_reallocs), (unsigned long long)atomic_load(&mko_rescans),
            atomic_load(&mko_segment_count));
    fclose(f);
}

/* ---- the roads -------------------------------------------------------------- */

static void *mko_libc_alloc(size_t size, size_t align)
{
    void *p = align == 0 ? __libc_malloc(size) : __libc_memalign(align, size);
    if (p == NULL)
        errno = ENOMEM;
    return p;
}

/* Usable bytes of a block memkit does not own (libc's). */
static size_t mko_libc_usable(void *ptr)
{
    if (mko_libc_usable_fn != NULL)
        return mko_libc_usable_fn(ptr);
    /* before dlsym answered: glibc's chunk header (size | flags, IS_MMAPPED = 2) */
    size_t head = ((const size_t *)ptr)[-1];
    size_t chunk = head & ~(size_t)7u;
    return chunk - ((head & 2u) != 0u ? 2u : 1u) * sizeof(size_t);
}

/* memkit's block for a request, or NULL. With NULL, *declined says whether
 * the request takes the libc road (before mk_init, nested, a thread without
 * a slot, or what the tiers cannot hold: counted here, the caller calls
 * libc) or was refused by a budget (errno ENOMEM, and no libc: that is how a
 * budget shows). */
static void *mko_try(size_t size, size_t align, const void *caller, bool *declined)
{
    *declined = true;
    if (__builtin_expect(mko_depth != 0u || mko_slotless != 0u || !mko_ready(), 0)) {
        if (mko_slotless != 0u && mko_depth == 0u) {
            mko_slotless--;
            mko_count(&mko_libc_allocs);
        } else {
            mko_count(&mko_early_allocs);
        }
        return NULL;
    }
    mk_intent_t intent = mko_intent_for(caller, size);
    size_t n = size != 0u ? size : 1u; /* malloc(0): a unique pointer */
    mko_depth++;
    void *p = align <= (size_t)MKG_ALIGNMENT ? mk_alloc(intent, n) : mk_alloc_aligned(intent, n, align);
    mko_depth--;
    if (__builtin_expect(p != NULL, 1))
        return p;
    mk_status_t why = mk_last_error();
    if (why == MK_EBUDGET) {
        mko_count(&mko_budget_refusals);
        errno = ENOMEM;
        *declined = false;
        return NULL;
    }
    if (why == MK_ETHREADS)
        mko_slotless = MKO_SLOTLESS_CALLS;
    mko_count(&mko_libc_allocs);
    return NULL;
}

void *mko_alloc(size_t size, size_t align, const void *caller)
{
    bool declined;
    void *p = mko_try(size, align, caller, &declined);
    if (__builtin_expect(p != NULL, 1) || !declined)
        return p;
    return mko_libc_alloc(size, align > (size_t)MKG_ALIGNMENT ? align : 0u);
}

void mko_free(void *ptr)
{
    if (ptr == NULL)
        return;
    if (__builtin_expect(mk_owns(ptr), 1)) {
        mko_depth++;
        mk_free(ptr);
        mko_depth--;
        return;
    }
    mko_count(&mko_foreign_frees);
    __libc_free(ptr);
}

/* ---- the interposed functions ------------------------------------------------ */

MKO_EXPORT void *malloc(size_t size)
{
    return mko_alloc(size, 0u, MKO_CALLER());
}

MKO_EXPORT void free(void *ptr)
{
    mko_free(ptr);
}

MKO_EXPORT void *calloc(size_t count, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    bool declined;
    void *p = mko_try(bytes, 0u, MKO_CALLER(), &declined);
    if (p != NULL) {
        memset(p, 0, bytes);
        return p;
    }
    if (!declined)
        return NULL;
    /* libc's calloc: it knows which of its pages are fresh and need no zeroing */
    p = __libc_calloc(count, size);
    if (p == NULL)
        errno = ENOMEM;
    return p;
}

static void *mko_realloc(void *ptr, size_t size, const void *caller)
{
    if (ptr == NULL)
        return mko_alloc(size, 0u, caller);
    if (size == 0u) { /* glibc: frees and returns NULL */
        mko_free(ptr);
        return NULL;
    }
    if (mk_owns(ptr)) {
        mko_depth++;
        /* the block keeps its intent (mk_realloc moves it within its owner's): no lookup */
        void *p = mk_realloc((mk_intent_t)MKG_OVERRIDE_DEFAULT, ptr, size);
        mko_depth--;
        if (p != NULL)
            return p;
        if (mk_last_error() == MK_EBUDGET) {
            mko_count(&mko_budget_refusals);
            errno = ENOMEM;
            return NULL; /* the old block stays as it was */
        }
        /* memkit is full: the block moves to libc */
        mko_count(&mko_libc_allocs);
        p = mko_libc_alloc(size, 0u);
        if (p == NULL)
            return NULL;
        size_t old = mk_usable_size(ptr);
        memcpy(p, ptr, old < size ? old : size);
        mko_depth++;
        mk_free(ptr); /* memkit's, as mk_owns said above */
        mko_depth--;
        return p;
    }
    /* a block memkit does not own: libc's, from before the interposer, or the
     * libc road. Inside the interposer, before mk_init, or on a thread without
     * a slot (whose new block would come from libc too) it stays with libc. */
    if (mko_depth != 0u || mko_slotless != 0u || !mko_ready()) {
        void *p = __libc_realloc(ptr, size);
        if (p == NULL)
            errno = ENOMEM;
        return p;
    }
    mko_count(&mko_foreign_reallocs);
    bool declined;
    void *p = mko_try(size, 0u, caller, &declined);
    if (p == NULL) {
        if (!declined)
            return NULL; /* a budget: the old block stays as it was */
        /* memkit cannot hold it either: libc resizes its own block (in place, or by mremap) */
        p = __libc_realloc(ptr, size);
        if (p == NULL)
            errno = ENOMEM;
        return p;
    }
    size_t old = mko_libc_usable(ptr);
    memcpy(p, ptr, old < size ? old : size);
    __libc_free(ptr);
    return p;
}

MKO_EXPORT void *realloc(void *ptr, size_t size)
{
    return mko_realloc(ptr, size, MKO_CALLER());
}

MKO_EXPORT void *reallocarray(void *ptr, size_t count, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return mko_realloc(ptr, bytes, MKO_CALLER());
}

static bool mko_pow2(size_t x)
{
    return x != 0u && (x & (x - 1u)) == 0u;
}

MKO_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
    if (!mko_pow2(align) || align % sizeof(void *) != 0u)
        return EINVAL;
    int saved = errno; /* POSIX: the error is the result; errno is left alone */
    void *p = mko_alloc(size, align, MKO_CALLER());
    errno = saved;
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

MKO_EXPORT void *aligned_alloc(size_t align, size_t size)
{
    if (!mko_pow2(align)) { /* C17 7.22.3.1: not a valid alignment */
        errno = EINVAL;
        return NULL;
    }
    return mko_alloc(size, align, MKO_CALLER());
}

/* glibc's memalign: an alignment that is no power of two is rounded up to one. */
static void *mko_memalign(size_t align, size_t size, const void *caller)
{
    if (align > SIZE_MAX / 2u + 1u) {
        errno = EINVAL;
        return NULL;
    }
    if (!mko_pow2(align)) {
        size_t a = 1;
        while (a < align)
            a <<= 1;
        align = a;
    }
    return mko_alloc(size, align, caller);
}

MKO_EXPORT void *memalign(size_t align, size_t size)
{
    return mko_memalign(align, size, MKO_CALLER());
}

static size_t mko_page(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t)page : 4096u;
}

MKO_EXPORT void *valloc(size_t size)
{
    return mko_memalign(mko_page(), size, MKO_CALLER());
}

MKO_EXPORT void *pvalloc(size_t size)
{
    size_t page = mko_page();
    if (size > SIZE_MAX - page) {
        errno = ENOMEM;
        return NULL;
    }
    size_t rounded = (size + page - 1u) & ~(page - 1u);
    return mko_memalign(page, rounded != 0u ? rounded : page, MKO_CALLER());
}

MKO_EXPORT size_t malloc_usable_size(void *ptr)
{
    if (ptr == NULL)
        return 0;
    if (mk_owns(ptr))
        return mk_usable_size(ptr);
    return mko_libc_usable(ptr);
}
