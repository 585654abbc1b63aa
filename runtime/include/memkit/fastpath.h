/* memkit/fastpath.h — the inline fast paths and the per-thread state they touch.
 *
 * Included at the end of memkit.h; not a stable API (mk__ names are internal).
 * Each fast path is a handful of instructions with one unlikely test; anything
 * else (attaching a thread, a new frame, refilling a cache, leasing budget,
 * policies) is out of line in runtime/src and marked cold.
 *
 * Counters that mk_stats_get reads from other threads are written by their
 * owning thread only, with relaxed atomic load + store (a plain mov on x86, not
 * a locked add); single-threaded builds (threads = false) use plain integers and
 * no thread-local storage.
 *
 * A slot's budget leases and cached blocks may be taken back by another thread
 * (runtime/src/lifecycle/recall.c) when a budget or a pool class would otherwise fail.
 * The owner marks every touch of them `busy` (two plain stores) and checks a
 * `stop` flag that the recalling thread raises; see mk__slot_enter.
 */
#include <memkit/memkit.h> /* on its own; memkit.h includes this header at its place */
#ifndef MEMKIT_FASTPATH_H
#define MEMKIT_FASTPATH_H

#include <string.h>

#include <memkit/track.h>
#if MKG_THREADS
#ifdef __cplusplus
#include <atomic>
#else
#include <stdatomic.h>
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MK_LIKELY(x) __builtin_expect(!!(x), 1)
#define MK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MK__COLD __attribute__((cold, noinline))
/* Compilers decline to inline mk_alloc's switch at -O2, and then a constant
 * intent folds nothing: the fast paths insist. */
#define MK__INLINE static inline __attribute__((always_inline))
#else
#define MK_LIKELY(x) (x)
#define MK_UNLIKELY(x) (x)
#define MK__COLD
#define MK__INLINE static inline
#endif

/* 64-bit atomics (counters, epochs, budgets) on targets without them. A
 * 32-bit MCU has no 64-bit atomic instructions (ARMv7-M lacks LDREXD), and
 * the compiler turns each access into a call to libatomic's __atomic_*_8,
 * which bare-metal toolchains do not ship. There every access to a 64-bit
 * atomic goes through mk__atomic64_* (runtime/src/prim/atomic64.c): the same
 * memory orders, made of a 32-bit spinlock, picked by address, around a
 * plain copy. The access macros below choose by type (_Generic in C,
 * overloads in C++), so call sites do not change. MK_LOCKED_ATOMIC64=1 takes
 * that path on any target: the tests run the thread tests so under TSan. */
#if MKG_THREADS && (ATOMIC_LLONG_LOCK_FREE != 2 || (defined(MK_LOCKED_ATOMIC64) && MK_LOCKED_ATOMIC64))
#define MK__ATOMIC64_LOCKED 1
#else
#define MK__ATOMIC64_LOCKED 0
#endif

#if MKG_THREADS && defined(__cplusplus)
/* C++ sees the runtime's _Atomic(T) objects as std::atomic<T>: with GCC and
 * Clang the same size, alignment and representation (C++23's <stdatomic.h>
 * defines _Atomic(T) as std::atomic<T> for exactly this sharing). */
#define MK__ATOMIC(T) std::atomic<T>
#define MK__SIGNAL_FENCE() std::atomic_signal_fence(std::memory_order_seq_cst)
#elif MKG_THREADS
#define MK__ATOMIC(T) _Atomic(T)
#define MK__SIGNAL_FENCE() atomic_signal_fence(memory_order_seq_cst)
#else
#define MK__ATOMIC(T) T
#endif

#if MK__ATOMIC64_LOCKED
MK__INTERNAL_BEGIN
int64_t mk__atomic64_load_s(const MK__ATOMIC(int64_t) *p);
uint64_t mk__atomic64_load_u(const MK__ATOMIC(uint64_t) *p);
void mk__atomic64_store_s(MK__ATOMIC(int64_t) *p, int64_t v);
void mk__atomic64_store_u(MK__ATOMIC(uint64_t) *p, uint64_t v);
int64_t mk__atomic64_add_s(MK__ATOMIC(int64_t) *p, int64_t d); /* returns the value before */
uint64_t mk__atomic64_add_u(MK__ATOMIC(uint64_t) *p, uint64_t d);
bool mk__atomic64_cas_s(MK__ATOMIC(int64_t) *p, int64_t *expected, int64_t desired);
MK__INTERNAL_END
#endif

#if MKG_THREADS && defined(__cplusplus) && MK__ATOMIC64_LOCKED
/* The 64-bit atomics by overload; every other type as std::atomic has it. */
template <class T> inline T mk__atomic_load(const std::atomic<T> &v, std::memory_order order) { return v.load(order); }
inline int64_t mk__atomic_load(const std::atomic<int64_t> &v, std::memory_order) { return mk__atomic64_load_s(&v); }
inline uint64_t mk__atomic_load(const std::atomic<uint64_t> &v, std::memory_order) { return mk__atomic64_load_u(&v); }
template <class T, class X> inline void mk__atomic_store(std::atomic<T> &v, X x, std::memory_order order)
{
    v.store(x, order);
}
template <class X> inline void mk__atomic_store(std::atomic<int64_t> &v, X x, std::memory_order)
{
    mk__atomic64_store_s(&v, x);
}
template <class X> inline void mk__atomic_store(std::atomic<uint64_t> &v, X x, std::memory_order)
{
    mk__atomic64_store_u(&v, x);
}
#define MK__LOAD_ORDER(v, order) mk__atomic_load((v), std::order)
#define MK__STORE_ORDER(v, x, order) mk__atomic_store((v), (x), std::order)
#elif MKG_THREADS && defined(__cplusplus)
#define MK__LOAD_ORDER(v, order) (v).load(std::order)
#define MK__STORE_ORDER(v, x, order) (v).store((x), std::order)
#elif MKG_THREADS && MK__ATOMIC64_LOCKED
/* The 64-bit atomic types, as _Generic sees them through a pointer. */
#define MK__ATOMIC64_SELECT(v, load_s, load_u, other)                                                             \
    _Generic(&(v), _Atomic(int64_t) *: load_s, const _Atomic(int64_t) *: load_s, _Atomic(uint64_t) *: load_u,   \
             const _Atomic(uint64_t) *: load_u, default: other)
#define MK__LOAD_ORDER(v, order)                                                                                 \
    MK__ATOMIC64_SELECT(v, mk__atomic64_load_s((const _Atomic(int64_t) *)(const void *)&(v)),                    \
                        mk__atomic64_load_u((const _Atomic(uint64_t) *)(const void *)&(v)),                      \
                        atomic_load_explicit(&(v), order))
/* x itself when it is an integer, else 0. Compilers check the branches
 * _Generic does not take too: the 64-bit ones of a store to a pointer or a
 * 32-bit atomic convert x with a cast, which would warn for a pointer. (The
 * cast also spares those branches -Wconversion; builds with native 64-bit
 * atomics check the same stores without it.) */
#define MK__INTEGER_OR_0(x)                                                                                      \
    _Generic((x), _Bool: (x), char: (x), signed char: (x), unsigned char: (x), short: (x), unsigned short: (x),  \
             int: (x), unsigned: (x), long: (x), unsigned long: (x), long long: (x), unsigned long long: (x),     \
             default: 0)
#define MK__STORE_ORDER(v, x, order)                                                                             \
    MK__ATOMIC64_SELECT(v, mk__atomic64_store_s((_Atomic(int64_t) *)(void *)&(v), (int64_t)MK__INTEGER_OR_0(x)),  \
                        mk__atomic64_store_u((_Atomic(uint64_t) *)(void *)&(v), (uint64_t)MK__INTEGER_OR_0(x)),   \
                        atomic_store_explicit(&(v), (x), order))
#elif MKG_THREADS
#define MK__LOAD_ORDER(v, order) atomic_load_explicit(&(v), order)
#define MK__STORE_ORDER(v, x, order) atomic_store_explicit(&(v), (x), order)
#endif

#if MKG_THREADS
#define MK__LOAD(v) MK__LOAD_ORDER(v, memory_order_relaxed)
#define MK__STORE(v, x) MK__STORE_ORDER(v, x, memory_order_relaxed)
#define MK__LOAD_ACQUIRE(v) MK__LOAD_ORDER(v, memory_order_acquire)
#define MK__STORE_RELEASE(v, x) MK__STORE_ORDER(v, x, memory_order_release)
#define MK__TLS MK__THREAD_LOCAL
#else
#define MK__LOAD(v) (v)
#define MK__STORE(v, x) ((v) = (x))
#define MK__LOAD_ACQUIRE(v) (v)
#define MK__STORE_RELEASE(v, x) ((v) = (x))
#define MK__TLS
#endif
/* Single-writer counter update: not an atomic read-modify-write. */
#define MK__BUMP(v, d) MK__STORE((v), MK__LOAD(v) + (d))

#if MKG_THREADS && defined(__cplusplus)
/* What the shared layout above relies on. */
MK__STATIC_ASSERT(sizeof(std::atomic<uint32_t>) == 4 && alignof(std::atomic<uint32_t>) == 4 &&
                      sizeof(std::atomic<uint64_t>) == 8 && alignof(std::atomic<uint64_t>) == 8 &&
                      sizeof(std::atomic<int64_t>) == 8 && alignof(std::atomic<int64_t>) == 8 &&
                      sizeof(std::atomic<uintptr_t>) == sizeof(uintptr_t) &&
                      alignof(std::atomic<uintptr_t>) == sizeof(uintptr_t),
                  "std::atomic<T> must be laid out as C11's _Atomic(T)");
#endif

MK__INTERNAL_BEGIN

typedef MK__ATOMIC(int64_t) mk__counter_t;

/* The heap tier's per-thread front ([heap] thread_cache): freed heap blocks of
 * up to MK__HEAP_CACHE_MAX bytes wait in per-thread magazines, one per size
 * bin, for the next request of their bin. Off when AddressSanitizer or
 * Valgrind are told about blocks: there every heap block goes back to the
 * heap at once, as their checks expect; and on targets without lock-free
 * 64-bit atomics (the front retags block headers that the heap reads). */
#if MKG_HEAP_BYTES > 0 && MKG_HEAP_THREAD_CACHE > 0 && !MK_TRACKING && !MK__ATOMIC64_LOCKED
#define MK__HEAP_FRONT 1
#else
#define MK__HEAP_FRONT 0
#endif
/* Bins: 16-byte steps up to 256 B (16 bins), then 8 per doubling up to 16 KiB. */
#define MK__HEAP_BINS 64
#define MK__HEAP_CACHE_MAX 16384u

/* A per-thread magazine of free blocks of one pool class: an array, so that
 * neither taking nor returning a block touches the block's memory, and the
 * count is the only word both change. The top entry is handed out next; a
 * refill stores blocks so that they come out in ascending address order.
 *
 * For a class of a pool that serves one intent, the class keeps that intent's
 * allocation count here (and no count per free): frees are derived as
 * allocs - (held - count), since `held` counts the magazine plus the blocks
 * this thread took out net and changes only when blocks move between the
 * magazine and the class. Counts are read by mk_stats_get from other threads. */
typedef struct mk__cache {
    void **mag;                  /* this slot's entries for the class: [0, limit) */
    MK__ATOMIC(uint32_t) count;  /* blocks in mag[0, count) */
    uint32_t limit;              /* frees beyond this flush; 0 sends every free to the slow path */
    MK__ATOMIC(uint64_t) allocs; /* blocks handed out by this thread (dedicated pools) */
    MK__ATOMIC(int64_t) held;    /* count + blocks taken out net (dedicated pools) */
} mk__cache_t;

typedef struct mk__intent_counters {
    mk__counter_t live;     /* pool/heap/system bytes allocated minus freed by this
                               thread; negative when it frees others' blocks */
    mk__counter_t peak;     /* high-water mark of live on this thread (exact peaks
                               of single-threaded programs) */
    mk__counter_t allocs;   /* block allocations (pool, heap, system) */
    mk__counter_t frame_allocs; /* frame allocations whose rows were folded (frame.c) */
    mk__counter_t frees;
    mk__counter_t failures;
    mk__counter_t oversize; /* pool requests above the pool's largest class */
    /* owner-only: live as last added to the intent's shared total (stats.c),
     * and the band around it outside which the next change is added */
    int64_t published;
    int64_t publish_hi;
    int64_t publish_lo;
} mk__intent_counters_t;

/* A phase's delta of `tally` is allocations << MK__TALLY_SHIFT plus bytes,
 * exact while one phase instance allocates under 2^24 times and 2^40 bytes.
 * The tally itself is unsigned and wraps (every 2^24 allocations): only
 * differences are read, and unsigned wrap-around is defined. */
#define MK__TALLY_SHIFT 40
#define MK__TALLY_ONE ((uint64_t)1 << MK__TALLY_SHIFT)

/* The part of a thread slot that the inline fast paths touch, and all that a
 * user's translation unit sees of it. The runtime's slot (mk__slot_t,
 * runtime/src/state.h) starts with it and holds the rest: the frame
 * bookkeeping of the slow paths, the phase and intent stacks, the magazines'
 * storage. The hot frame fields come first. */
typedef struct mk__thread {
    /* >0 while the owner touches its leases or caches; written by the owner
     * only. `stop` is raised by a thread recalling them (recall.c). */
    MK__ATOMIC(uint32_t) busy;
    MK__ATOMIC(uint32_t) stop;
    uintptr_t frame_cursor;
    /* the fast path's bound: the end of the arena slot the cursor is in while
     * its frame is current, 0 once mk_begin_frame moved on (it zeroes every
     * slot's), so the fast path needs no epoch test; written by the owner and
     * the frame driver (frame.c) */
    MK__ATOMIC(uintptr_t) frame_end;
    MK__ATOMIC(uint64_t) *frame_row; /* the frame rows of the cursor's arena slot (frame.c) */
    /* every allocation of this thread, for phases to take deltas of, packed
     * in one word to cost one store: MK__TALLY_ONE per allocation plus its
     * bytes (see MK__TALLY_SHIFT) */
    MK__ATOMIC(uint64_t) tally;
    mk__counter_t lease[MKG_INTENT_COUNT]; /* budget bytes leased, not yet used (busy) */
#if MKG_CLASS_COUNT > 0
    mk__cache_t cache[MKG_CLASS_COUNT];
#endif
    mk__intent_counters_t counters[MKG_INTENT_COUNT];
#if MK__HEAP_FRONT
    uint32_t heap_limit;                          /* MKG_HEAP_THREAD_CACHE once attached, else 0 */
    MK__ATOMIC(uint32_t) heap_count[MK__HEAP_BINS]; /* blocks in each bin's magazine */
    void *heap_mag[MK__HEAP_BINS][MKG_HEAP_THREAD_CACHE];
#endif
#if MKG_RECORD_HISTOGRAM
    /* [record] histogram (docs/recording.md), owner-only like the counters:
     * pool requests per size step, each pool's buckets from
     * mkg_record_hist_base (the last one: above its largest class), and the
     * bytes requested of each class */
    MK__ATOMIC(uint64_t) hist[MKG_RECORD_HIST_BUCKETS];
    MK__ATOMIC(uint64_t) hist_bytes[MKG_CLASS_COUNT];
#endif
} mk__thread_t;

/* This translation unit's view of the layout (memkit.h, mk__layout_key_t):
 * what mk_init hands the runtime, and what the runtime compares it with. */
#define MK__LAYOUT_KEY                                                                                            \
    MK__VALUE(mk__layout_key_t, MKG_LAYOUT_HASH, (uint32_t)sizeof(mk__thread_t), (uint8_t)MK_SENTINEL,            \
              (uint8_t)MK__ATOMIC64_LOCKED, (uint8_t)MK_TRACKING)

/* The calling thread's slot; points at an empty, never-attached slot until the
 * first slow path attaches the thread, so fast paths need no NULL test.
 * Its symbol name carries the tracking mode (memkit/track.h): pool blocks are
 * laid out differently when AddressSanitizer or Valgrind are told, so code
 * built with -fsanitize=address must not link against a runtime built
 * without it (or the reverse) — and with different names it cannot. */
#define MK__SELF_NAME2(id) mk__self_tracking##id
#define MK__SELF_NAME(id) MK__SELF_NAME2(id)
#define mk__self MK__SELF_NAME(MK__TRACKING_ID)
extern MK__TLS mk__thread_t *mk__self;
extern MK__ATOMIC(uint64_t) mk__frame_epoch;

/* A pool's address range, for mk_free's lookup. */
typedef struct mk__pool_range {
    uintptr_t base;
    uint64_t bytes;
    const uint8_t *span_class;
    uint8_t *tags;
    uint32_t span_shift;
} mk__pool_range_t;
#if MKG_POOL_COUNT > 0
extern mk__pool_range_t mk__pools[MKG_POOL_COUNT];
#endif

/* The heap's address range, for mk_free's lookup (base 0, bytes 0: none). */
typedef struct mk__heap_range {
    uintptr_t base;
    uint64_t bytes;
} mk__heap_range_t;
extern mk__heap_range_t mk__heap_range;

/* Out-of-line paths (runtime/src). */
MK__COLD void *mk__frame_alloc_slow(mk_intent_t intent, size_t size, size_t align);
MK__COLD void *mk__pool_alloc_slow(mk_intent_t intent, size_t size);
MK__COLD void mk__pool_free_slow(unsigned pool, unsigned intent, unsigned cls, void *ptr);
void *mk__heap_alloc_intent(mk_intent_t intent, size_t size, size_t align);
MK__COLD void *mk__alloc_aligned_slow(mk_intent_t intent, size_t size, size_t align);
MK__COLD void *mk__bad_intent(void);
MK__COLD void mk__lease_trim(mk__thread_t *t, unsigned intent);
void mk__free_slow(void *ptr);

#define MK__ALIGN_MASK ((size_t)MKG_ALIGNMENT - 1u)

/* Does this intent draw on a budget (its own or the total)? Folds for a
 * constant intent. */
#define MK__LEASED(intent) ((mkg_routes[(intent)].flags & MK_ROUTE_BUDGETED) != 0u || MKG_BUDGET_TOTAL > 0)
/* Cap on a thread's unused lease before the excess goes back. */
extern int64_t mk__lease_cap[MKG_INTENT_COUNT];

/* The owner's side of the recall protocol (runtime/src/lifecycle/recall.c). A fast path
 * raises `busy`, then reads `stop`: a recalling thread raises `stop`, makes
 * every thread execute a memory barrier (membarrier) and waits for `busy` to
 * drop, so either the owner sees `stop` and takes its slow path, or the
 * recaller waits for the owner's operation to end. False: stopped, `busy` is
 * already dropped, go slow. Never nested: slow paths use mk__slot_enter_wait. */
#if MKG_THREADS
MK__INLINE bool mk__slot_enter(mk__thread_t *t)
{
    MK__STORE(t->busy, 1u);
    MK__SIGNAL_FENCE();
    if (MK_LIKELY(MK__LOAD_ACQUIRE(t->stop) == 0u))
        return true;
    MK__STORE_RELEASE(t->busy, 0u);
    return false;
}

MK__INLINE void mk__slot_leave(mk__thread_t *t)
{
    MK__STORE_RELEASE(t->busy, 0u);
}
#else
MK__INLINE bool mk__slot_enter(mk__thread_t *t) { (void)t; return true; }
MK__INLINE void mk__slot_leave(mk__thread_t *t) { (void)t; }
#endif

/* Takes `bytes` from an entered slot's lease of `intent`; false when the
 * lease holds less (go slow). Always true for an intent with no budget to
 * draw on: the test folds for a constant intent. */
MK__INLINE bool mk__lease_take(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    if (!MK__LEASED(intent))
        return true;
    int64_t lease = MK__LOAD(t->lease[intent]);
    if (MK_UNLIKELY(lease < bytes))
        return false;
    MK__STORE(t->lease[intent], lease - bytes);
    return true;
}

/* Gives `bytes` back to an entered slot's lease of `intent`; what passes the
 * cap goes back to the budget out of line. */
MK__INLINE void mk__lease_give(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    if (!MK__LEASED(intent))
        return;
    int64_t lease = MK__LOAD(t->lease[intent]) + bytes;
    MK__STORE(t->lease[intent], lease);
    if (MK_UNLIKELY(lease > mk__lease_cap[intent]))
        mk__lease_trim(t, intent);
}

/* Shared totals of the intents' live bytes and their peaks (stats.c). */
MK__COLD void mk__stats_publish(mk__thread_t *t, unsigned intent);

/* A frame row: allocations in bits 0..31, bytes / MKG_ALIGNMENT in bits
 * 32..63 (frame allocations are whole alignment units, so a row cannot count
 * more allocations than units; frame.c keeps the units under 2^32). */
#define MK__ROW_ONE(n) (((uint64_t)(n) << (32 - MKG_ALIGNMENT_SHIFT)) + 1u)
#define MK__ROW_COUNT(row) ((row) & 0xFFFFFFFFu)
#define MK__ROW_BYTES(row) ((int64_t)((row) >> 32) << MKG_ALIGNMENT_SHIFT)

/* Counts an allocation of n bytes (a multiple of the alignment) of frame
 * memory for `intent` in the thread's current slot. */
MK__INLINE void mk__count_frame(mk__thread_t *t, unsigned intent, size_t n)
{
    MK__BUMP(t->frame_row[intent], MK__ROW_ONE(n));
}

MK__INLINE void *mk__frame_alloc(mk_intent_t intent, size_t size)
{
#if MKG_FRAME_ARENA_BYTES > 0
    mk__thread_t *t = mk__self;
    size_t n = (size + MK__ALIGN_MASK) & ~MK__ALIGN_MASK;
    uintptr_t p = t->frame_cursor;
    /* size 0 and sizes no arena holds go slow first (a constant size folds
     * the test away), so n <= one arena, and p + n cannot wrap: mk_init
     * refuses arenas that end within one arena of the top of the address
     * space. A new frame has zeroed the end. */
    if (MK_UNLIKELY(size - 1u >= (size_t)MKG_FRAME_ARENA_BYTES || p + n > MK__LOAD(t->frame_end)))
        return mk__frame_alloc_slow(intent, size, MKG_ALIGNMENT);
    if (MK__LEASED(intent)) {
        if (MK_UNLIKELY(!mk__slot_enter(t)))
            return mk__frame_alloc_slow(intent, size, MKG_ALIGNMENT);
        bool taken = mk__lease_take(t, intent, (int64_t)n);
        mk__slot_leave(t);
        if (MK_UNLIKELY(!taken))
            return mk__frame_alloc_slow(intent, size, MKG_ALIGNMENT);
    }
    t->frame_cursor = p + n;
    mk__count_frame(t, intent, n);
    mk_track_frame_alloc((void *)p, size);
    return (void *)p;
#else
    return mk__frame_alloc_slow(intent, size, MKG_ALIGNMENT);
#endif
}

/* Adds `bytes` to the thread's live bytes of `intent` (an allocation) and
 * its peak; past the upper edge of the band around what it last published,
 * the change goes to the intent's shared total (and its peak) out of line. */
MK__INLINE void mk__count_live_up(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    mk__intent_counters_t *c = &t->counters[intent];
    int64_t live = MK__LOAD(c->live) + bytes;
    MK__STORE(c->live, live);
    if (live > MK__LOAD(c->peak))
        MK__STORE(c->peak, live);
    if (MK_UNLIKELY(live > c->publish_hi))
        mk__stats_publish(t, intent);
}

/* Takes `bytes` from the thread's live bytes of `intent` (a free): only the
 * band's lower edge can be crossed, and no peak. */
MK__INLINE void mk__count_live_down(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    mk__intent_counters_t *c = &t->counters[intent];
    int64_t live = MK__LOAD(c->live) - bytes;
    MK__STORE(c->live, live);
    if (MK_UNLIKELY(live < c->publish_lo))
        mk__stats_publish(t, intent);
}

/* Adds `bytes`, of either sign, to the thread's live bytes of `intent`. */
MK__INLINE void mk__count_live(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    if (bytes >= 0)
        mk__count_live_up(t, intent, bytes);
    else
        mk__count_live_down(t, intent, -bytes);
}

MK__INLINE void mk__count_alloc(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    mk__count_live_up(t, intent, bytes);
    MK__BUMP(t->counters[intent].allocs, 1);
    MK__BUMP(t->tally, MK__TALLY_ONE + (uint64_t)bytes);
}

#if MKG_POOL_COUNT > 0
/* Counts a pool block handed out to `intent` (budget already taken): per
 * class for a pool of one intent, per intent for a shared pool, whose block
 * also gets its intent tag. The fast and the slow path end here. */
MK__INLINE void *mk__pool_hand_out(mk__thread_t *t, mk__cache_t *c, unsigned pool, unsigned intent, int64_t bytes,
                                   void *block)
{
    if (mkg_pool_shapes[pool].owner == MK_POOL_SHARED) {
        mk__pools[pool].tags[((uintptr_t)block - mk__pools[pool].base) >> MKG_ALIGNMENT_SHIFT] = (uint8_t)intent;
        mk__count_alloc(t, intent, bytes);
    } else {
        mk__count_live_up(t, intent, bytes);
        MK__BUMP(c->allocs, 1u);
        MK__BUMP(t->tally, MK__TALLY_ONE + (uint64_t)bytes);
    }
    mk_track_alloc(block, (size_t)bytes); /* usable to its class size, as mk_usable_size says */
    return block;
}

/* Counts a pool block's free by thread t (entered): frees of a pool of one
 * intent are derived from its class counts (mk__cache_t). */
MK__INLINE void mk__pool_count_free(mk__thread_t *t, unsigned pool, unsigned intent, int64_t bytes)
{
    mk__count_live_down(t, intent, bytes);
    if (mkg_pool_shapes[pool].owner == MK_POOL_SHARED)
        MK__BUMP(t->counters[intent].frees, 1);
}

#if MKG_RECORD_HISTOGRAM
/* Counts a request of `size` bytes (at most the pool's largest class) served
 * by class `cls` in the histogram of an attached thread t. */
MK__INLINE void mk__hist_count(mk__thread_t *t, unsigned pool, unsigned cls, size_t size)
{
    MK__BUMP(t->hist[mkg_record_hist_base[pool] + ((size + MK__ALIGN_MASK) >> MKG_ALIGNMENT_SHIFT)], 1u);
    MK__BUMP(t->hist_bytes[cls], (uint64_t)size);
}
#endif

MK__INLINE void *mk__pool_alloc(mk_intent_t intent, unsigned pool, size_t size)
{
    const mk_pool_shape_t *shape = &mkg_pool_shapes[pool];
    if (MK_UNLIKELY(size > shape->max_size))
        return mk__pool_alloc_slow(intent, size);
    unsigned cls = shape->size_class[(size + MK__ALIGN_MASK) >> MKG_ALIGNMENT_SHIFT];
    int64_t bytes = (int64_t)mkg_class_size[cls];
    mk__thread_t *t = mk__self;
    mk__cache_t *c = &t->cache[cls];
    if (MK_UNLIKELY(!mk__slot_enter(t)))
        return mk__pool_alloc_slow(intent, size);
    uint32_t count = MK__LOAD(c->count);
    if (MK_UNLIKELY(count == 0u))
        goto slow;
    if (MK_UNLIKELY(!mk__lease_take(t, intent, bytes)))
        goto slow;
    { /* a block of its own: C++ forbids the gotos to jump past an initialisation into its scope */
        MK__STORE(c->count, count - 1u);
        void *block = mk__pool_hand_out(t, c, pool, intent, bytes, c->mag[count - 1u]);
#if MKG_RECORD_HISTOGRAM
        mk__hist_count(t, pool, cls, size); /* a miss counts in mk__pool_alloc_slow */
#endif
        mk__slot_leave(t);
        return block;
    }
slow:
    mk__slot_leave(t);
    return mk__pool_alloc_slow(intent, size);
}

/* Prepares a freed pool block for a magazine or its class: zeroed when its
 * intent says so, and unaddressable for AddressSanitizer/Valgrind. */
MK__INLINE void mk__pool_scrub(unsigned intent, void *ptr, size_t bytes)
{
    if (MK_UNLIKELY((mkg_routes[intent].flags & MK_ROUTE_ZERO_ON_FREE) != 0u)) {
        mk_track_open(ptr, bytes); /* the slack past the request, for the zeroing */
        memset(ptr, 0, bytes);
    }
    mk_track_free(ptr, bytes);
}

/* Returns a block of class `cls` of `pool` to the calling thread's magazine. */
MK__INLINE void mk__pool_release(unsigned pool, unsigned intent, unsigned cls, void *ptr)
{
    int64_t bytes = (int64_t)mkg_class_size[cls];
    mk__thread_t *t = mk__self;
    mk__cache_t *c = &t->cache[cls];
    if (MK_UNLIKELY(!mk__slot_enter(t))) {
        mk__pool_free_slow(pool, intent, cls, ptr);
        return;
    }
    uint32_t count = MK__LOAD(c->count);
    if (MK_UNLIKELY(count >= c->limit)) {
        mk__slot_leave(t);
        mk__pool_free_slow(pool, intent, cls, ptr);
        return;
    }
    mk__pool_scrub(intent, ptr, (size_t)bytes);
    c->mag[count] = ptr;
    MK__STORE(c->count, count + 1u);
    mk__pool_count_free(t, pool, intent, bytes);
    mk__lease_give(t, intent, bytes);
    mk__slot_leave(t);
}
#endif /* MKG_POOL_COUNT > 0 */

/* ---- the heap front ------------------------------------------------------------ */

/* floor(log2(x)) of a non-zero x. */
MK__INLINE unsigned mk__log2(size_t x)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)(sizeof(unsigned long long) * 8u - 1u) - (unsigned)__builtin_clzll((unsigned long long)x);
#else
    unsigned n = 0;
    while (x >>= 1)
        n++;
    return n;
#endif
}

/* The smallest bin whose blocks hold `bytes` (1 .. MK__HEAP_CACHE_MAX + 2047). */
MK__INLINE unsigned mk__heap_bin_up(size_t bytes)
{
    if (bytes <= 256u)
        return (unsigned)((bytes + 15u) >> 4) - 1u;
    unsigned k = mk__log2(bytes - 1u); /* 2^k < bytes <= 2^(k+1), k >= 8 */
    return 16u + (k - 8u) * 8u + (unsigned)((bytes - 1u - ((size_t)1 << k)) >> (k - 3u));
}

#if MK__HEAP_FRONT
/* mk__heap_bin_up(16 k) for k = 0 .. (MK__HEAP_CACHE_MAX + 2048) / 16, filled by
 * mk_init: one load instead of a bit scan for sizes not known at compile time. */
extern uint8_t mk__heap_bin_table[(MK__HEAP_CACHE_MAX + 2048u) / 16u + 1u];
/* The bin of a request of `bytes` (1 .. MK__HEAP_CACHE_MAX). */
#if defined(__GNUC__) || defined(__clang__)
#define MK__HEAP_BIN_FOR(bytes)                                                                                    \
    (__builtin_constant_p(bytes) ? mk__heap_bin_up(bytes) : (unsigned)mk__heap_bin_table[((bytes) + 15u) >> 4])
#else
#define MK__HEAP_BIN_FOR(bytes) ((unsigned)mk__heap_bin_table[((bytes) + 15u) >> 4])
#endif
/* The largest bin a block of `bytes` usable bytes (a multiple of 16, at most
 * MK__HEAP_CACHE_MAX + 2032) holds. */
#define MK__HEAP_BIN_HELD(bytes) ((unsigned)mk__heap_bin_table[((bytes) >> 4) + 1u] - 1u)
#endif

/* The bytes every block of `bin` holds at least. */
MK__INLINE size_t mk__heap_bin_size(unsigned bin)
{
    if (bin < 16u)
        return (size_t)(bin + 1u) * 16u;
    unsigned k = 8u + (bin - 16u) / 8u;
    return ((size_t)1 << k) + ((size_t)((bin - 16u) % 8u + 1u) << (k - 3u));
}

#if MK__HEAP_FRONT
/* A heap block's header word, 16 bytes before its payload (runtime/src/tiers/heap.c):
 * the block size with its header in bits 4..55, the intent tag in 56..63. */
#define MK__HEAP_SIZE_MASK ((((uint64_t)1 << 56) - 1u) & ~(uint64_t)15u)
#define MK__HEAP_TAG_SHIFT 56
MK__INLINE MK__ATOMIC(uint64_t) *mk__heap_word(void *payload)
{
    return (MK__ATOMIC(uint64_t) *)(void *)((unsigned char *)payload - 16);
}

/* A cached heap block of `size` bytes for `intent`, or NULL (go slow). */
MK__INLINE void *mk__heap_take(mk_intent_t intent, size_t size)
{
    unsigned bin = MK__HEAP_BIN_FOR(size);
    mk__thread_t *t = mk__self;
    if (MK_UNLIKELY(!mk__slot_enter(t)))
        return NULL;
    uint32_t count = MK__LOAD(t->heap_count[bin]);
    if (MK_UNLIKELY(count == 0u))
        goto none;
    { /* a block of its own: C++ forbids the goto above to jump into its declarations' scope */
        void *p = t->heap_mag[bin][count - 1u];
        MK__ATOMIC(uint64_t) *w = mk__heap_word(p);
        uint64_t word = MK__LOAD(*w);
        int64_t bytes = (int64_t)(word & MK__HEAP_SIZE_MASK) - 16;
        if (MK_UNLIKELY(!mk__lease_take(t, intent, bytes)))
            goto none;
        MK__STORE(t->heap_count[bin], count - 1u);
        MK__STORE(*w, (word & MK__HEAP_SIZE_MASK) | ((uint64_t)intent << MK__HEAP_TAG_SHIFT));
        mk__count_alloc(t, intent, bytes);
        mk__slot_leave(t);
        return p;
    }
none:
    mk__slot_leave(t);
    return NULL;
}

/* Keeps a freed heap block in the calling thread's front; false when it is
 * not a heap block the front keeps (mk__free_slow then sees to it). */
MK__INLINE bool mk__heap_release(void *ptr)
{
    if ((uintptr_t)ptr - mk__heap_range.base >= mk__heap_range.bytes)
        return false;
    uint64_t word = MK__LOAD(*mk__heap_word(ptr));
    unsigned intent = (unsigned)(word >> MK__HEAP_TAG_SHIFT);
    size_t bytes = (size_t)(word & MK__HEAP_SIZE_MASK) - 16u;
    /* frame spills (tag 255), zeroed intents, large blocks and a block that
     * is already free (a second free) go the slow way */
    if (intent >= (unsigned)MKG_INTENT_COUNT || bytes > MK__HEAP_CACHE_MAX + 2032u || (word & 1u) != 0u ||
        (mkg_routes[intent].flags & MK_ROUTE_ZERO_ON_FREE) != 0u)
        return false;
    unsigned bin = MK__HEAP_BIN_HELD(bytes);
    mk__thread_t *t = mk__self;
    if (MK_UNLIKELY(!mk__slot_enter(t)))
        return false;
    uint32_t count = MK__LOAD(t->heap_count[bin]);
    if (MK_UNLIKELY(count >= t->heap_limit)) {
        mk__slot_leave(t);
        return false;
    }
    t->heap_mag[bin][count] = ptr;
    MK__STORE(t->heap_count[bin], count + 1u);
    mk__count_live_down(t, intent, (int64_t)bytes);
    MK__BUMP(t->counters[intent].frees, 1);
    mk__lease_give(t, intent, (int64_t)bytes);
    mk__slot_leave(t);
    return true;
}
#endif /* MK__HEAP_FRONT */

MK__INLINE void *mk__heap_alloc_fast(mk_intent_t intent, size_t size)
{
#if MK__HEAP_FRONT
    if (MK_LIKELY(size - 1u < (size_t)MK__HEAP_CACHE_MAX)) {
        void *p = mk__heap_take(intent, size);
        if (MK_LIKELY(p != NULL))
            return p;
    }
#endif
    return mk__heap_alloc_intent(intent, size, MKG_ALIGNMENT);
}

/* The raw fast paths: what mk_alloc, mk_alloc_aligned, mk_free and
 * mk_free_sized are in release builds; sentinel builds wrap their blocks. */
MK__INLINE void *mk__alloc_fast(mk_intent_t intent, size_t size)
{
    if (MK_UNLIKELY((unsigned)intent >= (unsigned)MKG_INTENT_COUNT))
        return mk__bad_intent();
    switch (mkg_routes[intent].tier) {
    case MK_TIER_FRAME:
        return mk__frame_alloc(intent, size);
#if MKG_POOL_COUNT > 0
    case MK_TIER_POOL:
        return mk__pool_alloc(intent, mkg_routes[intent].pool, size);
#endif
#if MKG_ASYNC_INTENT_COUNT > 0 /* a config without async intents pays no compare */
    case MK_TIER_ASYNC: /* served by memkit/async.h's pools and task arenas only */
        return mk__bad_intent();
#endif
    default:
        return mk__heap_alloc_fast(intent, size);
    }
}

MK__INLINE void *mk__alloc_aligned_fast(mk_intent_t intent, size_t size, size_t align)
{
    if (MK_LIKELY(align <= MKG_ALIGNMENT))
        return mk__alloc_fast(intent, size);
    return mk__alloc_aligned_slow(intent, size, align);
}

MK__INLINE void mk__free_fast(void *ptr)
{
    if (ptr == NULL)
        return;
#if MKG_POOL_COUNT > 0
    for (unsigned pool = 0; pool < MKG_POOL_COUNT; pool++) {
        const mk__pool_range_t *r = &mk__pools[pool];
        uintptr_t off = (uintptr_t)ptr - r->base;
        if (off < r->bytes) {
            unsigned intent = mkg_pool_shapes[pool].owner;
            if (intent == MK_POOL_SHARED)
                intent = r->tags[off >> MKG_ALIGNMENT_SHIFT];
            mk__pool_release(pool, intent, r->span_class[off >> r->span_shift], ptr);
            return;
        }
    }
#endif
#if MK__HEAP_FRONT
    if (mk__heap_release(ptr))
        return;
#endif
    mk__free_slow(ptr);
}

MK__INLINE void mk__free_sized_fast(mk_intent_t intent, void *ptr, size_t size)
{
#if MKG_POOL_COUNT > 0
    if ((unsigned)intent < (unsigned)MKG_INTENT_COUNT && mkg_routes[intent].tier == MK_TIER_POOL) {
        unsigned pool = mkg_routes[intent].pool;
        /* a pool intent's block may have come from the heap (fallback, over-
         * alignment): only blocks inside the pool take the short cut. The
         * class comes from the address, not from `size`: a block shrunk in
         * place by mk_realloc keeps the class it was carved from. */
        const mk__pool_range_t *r = &mk__pools[pool];
        uintptr_t off = (uintptr_t)ptr - r->base;
        (void)size;
        if (off < r->bytes) {
            mk__pool_release(pool, intent, r->span_class[off >> r->span_shift], ptr);
            return;
        }
    }
#else
    (void)intent;
    (void)size;
#endif
    mk__free_fast(ptr);
}

#if MK_SENTINEL
/* sentinel.c: the checked front end (header, canary, poison, registry). */
void mk__sentinel_site(const char *file, int line);
void *mk__sentinel_alloc(mk_intent_t intent, size_t size, size_t align);
void mk__sentinel_free(void *ptr);
void mk__sentinel_free_sized(mk_intent_t intent, void *ptr, size_t size);
#endif

#if MKG_RECORD_TRACE > 0
/* diagnostics/trace.c: [record] trace_events records every allocation and
 * free out of line, around the fast paths (or the sentinel's front end). */
void *mk__trace_alloc(mk_intent_t intent, size_t size, size_t align);
void mk__trace_free(void *ptr);
void mk__trace_free_sized(mk_intent_t intent, void *ptr, size_t size);
#endif

/* The public names (memkit.h documents them): the raw fast paths in release
 * builds, compiled to exactly them; the checked front end in sentinel builds;
 * the recording of each call with a trace. */
MK__INLINE void *mk_alloc(mk_intent_t intent, size_t size)
{
#if MKG_RECORD_TRACE > 0
    return mk__trace_alloc(intent, size, MKG_ALIGNMENT);
#elif MK_SENTINEL
    return mk__sentinel_alloc(intent, size, MKG_ALIGNMENT);
#else
    return mk__alloc_fast(intent, size);
#endif
}

MK__INLINE void *mk_alloc_aligned(mk_intent_t intent, size_t size, size_t align)
{
#if MKG_RECORD_TRACE > 0
    return mk__trace_alloc(intent, size, align);
#elif MK_SENTINEL
    return mk__sentinel_alloc(intent, size, align);
#else
    return mk__alloc_aligned_fast(intent, size, align);
#endif
}

MK__INLINE void mk_free(void *ptr)
{
#if MKG_RECORD_TRACE > 0
    mk__trace_free(ptr);
#elif MK_SENTINEL
    mk__sentinel_free(ptr);
#else
    mk__free_fast(ptr);
#endif
}

MK__INLINE void mk_free_sized(mk_intent_t intent, void *ptr, size_t size)
{
#if MKG_RECORD_TRACE > 0
    mk__trace_free_sized(intent, ptr, size);
#elif MK_SENTINEL
    mk__sentinel_free_sized(intent, ptr, size);
#else
    mk__free_sized_fast(intent, ptr, size);
#endif
}

/* mk_usable_size's lookup inline for pool blocks (and heap blocks when the
 * heap front is on): the span table that mk_free reads. Everything else,
 * and sentinel builds, call the function. */
MK__INLINE size_t mk__usable_size_fast(const void *ptr)
{
#if !MK_SENTINEL
#if MKG_POOL_COUNT > 0
    for (unsigned pool = 0; pool < MKG_POOL_COUNT; pool++) {
        const mk__pool_range_t *r = &mk__pools[pool];
        uintptr_t off = (uintptr_t)ptr - r->base;
        if (off < r->bytes)
            return mkg_class_size[r->span_class[off >> r->span_shift]];
    }
#endif
#if MK__HEAP_FRONT
    if ((uintptr_t)ptr - mk__heap_range.base < mk__heap_range.bytes) {
        uint64_t word = MK__LOAD(*mk__heap_word((void *)(uintptr_t)ptr));
        if ((word >> MK__HEAP_TAG_SHIFT) < (uint64_t)MKG_INTENT_COUNT) /* not frame spill */
            return (size_t)(word & MK__HEAP_SIZE_MASK) - 16u;
    }
#endif
#endif
    return mk_usable_size(ptr);
}

/* A call of mk_usable_size is the inline lookup; the name stays a function
 * (its address can be taken). Prefixed configs ([memkit] prefix) keep the
 * plain call: there the name is already a macro. */
#if !defined(MK__RUNTIME_SOURCE) && !defined(MKG_SYMBOL_PREFIX)
#define mk_usable_size(ptr) mk__usable_size_fast(ptr)
#endif

MK__INTERNAL_END

#endif /* MEMKIT_FASTPATH_H */
