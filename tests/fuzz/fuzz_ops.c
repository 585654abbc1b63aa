/* tests/fuzz/fuzz_ops.c — libFuzzer harness: replays a byte stream as a
 * sequence of memkit operations and checks every result against a shadow
 * model of the live blocks.
 *
 * Each input runs between mk_init and mk_shutdown, so inputs are independent.
 * The bytes are read as [opcode][arguments…]; a missing byte reads as 0, so
 * every byte string is a valid program. The operations:
 *
 *   ALLOC / ALLOC_ALIGNED (intent, size, alignment)   CALLOC (intent, count, size)
 *   FREE / FREE_SIZED (slot)     REALLOC (slot or NULL, size, intent)
 *   BEGIN_FRAME   END_FRAME      MARK   REWIND (mark)
 *   GROW (mk_frame_grow of the newest / any frame block)
 *   TRANSFER (init + accept / cancel / double accept / leave pending)
 *   XFER (accept or cancel a pending transfer)
 *   STATS (mk_stats_get against the model, mk_validate, full content check)
 *   OOM (what the OOM handler of the "callback" intents does next)
 *   TOUCH (verify one block and refill it with a new pattern)
 *
 * The model checks: returned pointers aligned; no two live blocks overlap;
 * contents preserved (every block holds a pattern, verified before free and
 * realloc, and at STATS); realloc and moved grows keep the prefix; frame
 * blocks leave the model when their frame leaves flight or a rewind passes
 * them; budgets are never exceeded and a budget failure is justified; NULL
 * comes with a non-OK mk_last_error; per-intent allocations, frees, failures
 * and current bytes equal the model's; mk_validate is MK_OK.
 *
 * Build with -DMK_FUZZ_REPLAY (any C11 compiler, no libFuzzer) for a main()
 * that replays the files or directories named on the command line.
 */
#include <memkit/memkit.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_BLOCKS 96
#define MAX_MARKS 8
#define MAX_XFERS 4
#define MAX_EPOCHS 1024 /* frames tracked per input; BEGIN_FRAME stops beyond */

/* ---- failure reporting ----------------------------------------------------- */

static unsigned long g_op_index;
static const char *g_op_name = "init";

static void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\nmemkit fuzz: CHECK FAILED at op #%lu (%s): ", g_op_index, g_op_name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    mk_stats_print(stderr);
    abort();
}

#define CHECK(cond, ...)                                                                                            \
    do {                                                                                                            \
        if (!(cond))                                                                                                \
            fuzz_fail(__VA_ARGS__);                                                                                 \
    } while (0)

/* ---- input reader ---------------------------------------------------------- */

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader_t;

static uint8_t rd8(reader_t *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static uint16_t rd16(reader_t *r)
{
    uint16_t lo = rd8(r);
    return (uint16_t)(lo | (uint16_t)rd8(r) << 8);
}

static const size_t k_sizes[64] = {
    0, 1, 8, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 96, 127,
    128, 129, 200, 255, 256, 257, 511, 512, 1000, 1023, 1024, 1025, 2047, 2048, 4095, 4096,
    4097, 8191, 8192, 8193, 12000, 16368, 16376, 16384, 16385, 24576, 32768, 65535, 65536, 65537, 131072, 200000,
    262144, 262160, 300000, 1u << 20, (size_t)1 << 30, SIZE_MAX / 2, SIZE_MAX / 2 + 1, SIZE_MAX - 64, SIZE_MAX - 16,
    SIZE_MAX - 15, SIZE_MAX - 14, SIZE_MAX - 8, SIZE_MAX - 1, SIZE_MAX, 48, 80,
};

/* 0..127 as is; 128..191 a table of boundaries and extremes; 192..254 16 bits;
 * 255 18 bits. */
static size_t rd_size(reader_t *r)
{
    uint8_t b = rd8(r);
    if (b < 128)
        return b;
    if (b < 192)
        return k_sizes[b & 63];
    if (b < 255)
        return rd16(r);
    return (size_t)rd16(r) | (size_t)(rd8(r) & 3) << 16;
}

/* Alignment: mostly small, powers of two up to 4096, some that are not powers
 * of two. */
static size_t rd_align(reader_t *r)
{
    uint8_t b = rd8(r);
    if (b < 96)
        return 0;
    if (b < 224)
        return (size_t)1 << ((b - 96) % 13); /* 1 .. 4096 */
    static const size_t odd[8] = {3, 12, 24, 48, 96, 100, 3000, (size_t)1 << 20};
    return odd[b & 7];
}

/* ---- the shadow model ------------------------------------------------------ */

typedef struct block {
    uint8_t *ptr;
    size_t size;      /* bytes the caller may use and that hold the pattern */
    size_t usable;    /* pool/heap: mk_usable_size; frame: 0 */
    size_t sized;     /* a size that maps to the block's class for mk_free_sized */
    unsigned intent;  /* intent charged */
    int frame;        /* frame memory (arena or spilled) */
    int spilled;      /* frame memory outside the arenas */
    uint64_t epoch;   /* frame blocks: the frame it was allocated in */
    uint64_t seq;     /* order of frame allocations, for rewinds */
    uint64_t grow_seq;/* last in-place growth (0: none) */
    size_t size0;     /* size before any in-place growth */
    uint8_t seed;
    int offered;      /* a pending transfer names it: not to be freed */
    int pinned;       /* the operation in progress works on it */
} block_t;

typedef struct mark {
    mk_frame_mark_t mark;
    uint64_t epoch;
    uint64_t seq;
    int64_t bytes[MKG_INTENT_COUNT]; /* model frame bytes of the epoch at the mark */
    int stale;                       /* an earlier rewind went past it */
} mark_t;

typedef struct xfer {
    mk_transfer_t t;
    int used;
    int frame;
    uint8_t *ptr;
    size_t size;
    uint64_t epoch;
    uint64_t block_seq; /* frame: seq of the block; block: its pointer identifies it */
} xfer_t;

typedef struct model {
    block_t b[MAX_BLOCKS];
    unsigned n;
    mark_t marks[MAX_MARKS];
    unsigned nmarks;
    /* the runtime's checkpoint stack for the current frame (serials), which
     * holds at most MK_MARK_DEPTH open marks */
    uint32_t open_marks[MK_MARK_DEPTH];
    unsigned open_depth;
    uint64_t open_epoch;
    xfer_t x[MAX_XFERS];
    uint64_t epoch;           /* mk_frame_index() */
    uint64_t entered;         /* a frame the runtime surely entered (frame slots of older ones released) */
    uint64_t seq;
    int64_t fbytes[MAX_EPOCHS + 1][MKG_INTENT_COUNT];
    uint64_t allocs[MKG_INTENT_COUNT];
    uint64_t frees[MKG_INTENT_COUNT];
    uint64_t failures[MKG_INTENT_COUNT];
    uint8_t seed;
    int oom_mode;             /* 0: return 0; 1: free a victim, return 1; 2: return 1 */
    unsigned oom_calls;
} model_t;

static model_t M;
static size_t g_frame_bytes; /* all arenas */


static int is_pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }
static size_t round16(size_t n) { return (n + MKG_ALIGNMENT - 1) & ~(size_t)(MKG_ALIGNMENT - 1); }
static size_t frame_charge(size_t size) { return size == 0 ? MKG_ALIGNMENT : round16(size); }
static unsigned tier_of(unsigned intent) { return mkg_routes[intent].tier; }

static int in_arena(const void *p)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)mkg_config.frame_storage;
    return mkg_config.frame_storage != NULL && off < g_frame_bytes;
}

/* Block contents: the bytes of a pseudo-random sequence of prime period
 * 4099, entered at an offset that depends on the block's seed, so that fill
 * and verify are a memcpy and a memcmp, and a copy shifted by any distance
 * below the period does not match. */
#define PAT_PERIOD 4099u
#define PAT_MAX ((size_t)1 << 19) /* no block is larger: the heap is 256 KiB, no system fallback */
static uint8_t g_pat[PAT_PERIOD + PAT_MAX];

static void pat_init(void)
{
    if (g_pat[0] != 0 || g_pat[1] != 0)
        return;
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < PAT_PERIOD; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        g_pat[i] = (uint8_t)(x >> 24) | 1u; /* never 0: calloc'd and zeroed memory differs */
    }
    for (size_t i = PAT_PERIOD; i < sizeof g_pat; i++)
        g_pat[i] = g_pat[i - PAT_PERIOD];
}

static const uint8_t *pat_at(uint8_t seed) { return g_pat + ((size_t)seed * 16u) % PAT_PERIOD; }
static uint8_t pat(uint8_t seed, size_t i) { return pat_at(seed)[i]; }

static void fill(uint8_t *p, uint8_t seed, size_t from, size_t to)
{
    if (to > from) {
        CHECK(to <= PAT_MAX, "block of %zu bytes: larger than the pattern", to);
        memcpy(p + from, pat_at(seed) + from, to - from);
    }
}

static void verify_range(const block_t *b, const uint8_t *p, size_t n, const char *what)
{
    if (n == 0 || memcmp(p, pat_at(b->seed), n) == 0)
        return;
    size_t i = 0;
    while (p[i] == pat(b->seed, i))
        i++;
    fuzz_fail("%s: block %p (intent %s, size %zu, frame %d, epoch %" PRIu64 ") byte %zu is %02x, expected %02x", what,
              (void *)b->ptr, mk_intent_name((mk_intent_t)b->intent), b->size, b->frame, b->epoch, i, p[i],
              pat(b->seed, i));
}

static void verify(const block_t *b, const char *what) { verify_range(b, b->ptr, b->size, what); }

/* The bytes a block occupies for the overlap test. */
static size_t extent(const block_t *b)
{
    size_t e = b->frame ? (b->size == 0 ? 1 : b->size) : b->usable;
    return e == 0 ? 1 : e;
}

static void check_no_overlap_with(const block_t *nb, unsigned skip)
{
    uintptr_t a0 = (uintptr_t)nb->ptr, a1 = a0 + extent(nb);
    for (unsigned i = 0; i < M.n; i++) {
        if (i == skip || &M.b[i] == nb)
            continue;
        uintptr_t b0 = (uintptr_t)M.b[i].ptr, b1 = b0 + extent(&M.b[i]);
        CHECK(a1 <= b0 || b1 <= a0, "overlap: new [%p, +%zu) (intent %s) and live [%p, +%zu) (intent %s, frame %d)",
              (void *)a0, extent(nb), mk_intent_name((mk_intent_t)nb->intent), (void *)b0, extent(&M.b[i]),
              mk_intent_name((mk_intent_t)M.b[i].intent), M.b[i].frame);
    }
}

static int cmp_block(const void *x, const void *y)
{
    uintptr_t a = (uintptr_t)((const block_t *)x)->ptr, b = (uintptr_t)((const block_t *)y)->ptr;
    return a < b ? -1 : a > b;
}

static void check_all_no_overlap(void)
{
    static block_t sorted[MAX_BLOCKS];
    memcpy(sorted, M.b, M.n * sizeof(block_t));
    qsort(sorted, M.n, sizeof(block_t), cmp_block);
    for (unsigned i = 1; i < M.n; i++)
        CHECK((uintptr_t)sorted[i - 1].ptr + extent(&sorted[i - 1]) <= (uintptr_t)sorted[i].ptr,
              "overlap between live blocks %p (+%zu) and %p", (void *)sorted[i - 1].ptr, extent(&sorted[i - 1]),
              (void *)sorted[i].ptr);
}

static void remove_block(unsigned i)
{
    M.b[i] = M.b[--M.n];
}

/* Frame bytes of an epoch: the model's counterpart of a slot's frame_bytes row. */
static int64_t *fb(uint64_t epoch) { return M.fbytes[epoch <= MAX_EPOCHS ? epoch : MAX_EPOCHS]; }

/* Frame bytes of `intent` in frames still in flight (what stats count). */
static int64_t frame_live(unsigned intent)
{
    int64_t sum = 0;
    for (uint64_t e = M.epoch + 1 >= MKG_FRAMES_IN_FLIGHT ? M.epoch + 1 - MKG_FRAMES_IN_FLIGHT : 0; e <= M.epoch; e++)
        sum += fb(e)[intent];
    return sum;
}

/* Frame bytes still charged to budgets: slots are released lazily, when the
 * thread next enters a frame, so this is an upper bound. */
static int64_t frame_charged(unsigned intent)
{
    uint64_t from = M.entered + 1 >= MKG_FRAMES_IN_FLIGHT ? M.entered + 1 - MKG_FRAMES_IN_FLIGHT : 0;
    int64_t sum = 0;
    for (uint64_t e = from; e <= M.epoch; e++)
        sum += fb(e)[intent];
    return sum;
}

static int64_t nonframe_live(unsigned intent)
{
    int64_t sum = 0;
    for (unsigned i = 0; i < M.n; i++)
        if (!M.b[i].frame && M.b[i].intent == intent)
            sum += (int64_t)M.b[i].usable;
    return sum;
}

static int64_t lease_chunk(unsigned intent)
{
    uint64_t limit = (mkg_routes[intent].flags & MK_ROUTE_BUDGETED) ? mkg_routes[intent].budget : MKG_BUDGET_TOTAL;
    int64_t chunk = (int64_t)(limit / (8u * MKG_MAX_THREADS));
    return chunk > (1 << 20) ? (1 << 20) : chunk;
}

/* Is an MK_EBUDGET failure of `intent` for `need` more bytes justified? Only
 * one thread runs, so its lease of the intent is its own: the intent's budget
 * fails only when the bytes charged plus the request pass it. The total can
 * also be held by the leases of the other intents (two chunks each at most). */
static int budget_failure_justified(unsigned intent, size_t need)
{
    int budgeted = (mkg_routes[intent].flags & MK_ROUTE_BUDGETED) != 0;
    if (budgeted && nonframe_live(intent) + frame_charged(intent) + (int64_t)need > (int64_t)mkg_routes[intent].budget)
        return 1;
    if (MKG_BUDGET_TOTAL == 0)
        return 0;
    int64_t total = 0;
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++) {
        total += nonframe_live(i) + frame_charged(i);
        if (i != intent)
            total += 2 * lease_chunk(i);
    }
    return total + (int64_t)need > (int64_t)MKG_BUDGET_TOTAL;
}

/* Frame blocks whose frame left flight leave the model. */
static void drop_dead_frames(void)
{
    for (unsigned i = 0; i < M.n;) {
        if (M.b[i].frame && M.epoch - M.b[i].epoch >= MKG_FRAMES_IN_FLIGHT)
            remove_block(i);
        else
            i++;
    }
}

/* ---- the OOM handler of the "callback" intents ------------------------------- */

static int oom_handler(mk_intent_t intent, size_t size, mk_status_t reason, void *user)
{
    (void)size;
    CHECK(user == &M, "OOM handler: user pointer %p", user);
    CHECK((unsigned)intent < MKG_INTENT_COUNT && mkg_routes[intent].on_exhausted == MK_POLICY_CALLBACK,
          "OOM handler called for intent %d, which has no callback policy", (int)intent);
    CHECK(reason == MK_ENOMEM || reason == MK_EBUDGET, "OOM handler called with reason %d", (int)reason);
    M.oom_calls++;
    if (M.oom_mode == 0)
        return 0;
    if (M.oom_mode == 2)
        return 1;
    /* free the newest pool/heap block that no operation holds: any intent */
    for (unsigned i = M.n; i-- > 0;) {
        block_t *b = &M.b[i];
        if (b->frame || b->offered || b->pinned)
            continue;
        verify(b, "OOM handler free");
        M.frees[b->intent]++;
        mk_free(b->ptr);
        remove_block(i);
        return 1;
    }
    return 0;
}

/* ---- recording results -------------------------------------------------------- */

/* A NULL from an allocation of `intent`: the reason must be recorded, and a
 * budget failure must be justified. `counted`: the runtime counts it as a
 * failure of the intent (ENOMEM/EBUDGET from a tier). */
static void record_null(unsigned intent, size_t need, int exact_need)
{
    mk_status_t e = mk_last_error();
    CHECK(e != MK_OK, "NULL returned with mk_last_error() == MK_OK (intent %s)", mk_intent_name((mk_intent_t)intent));
    CHECK(e == MK_ENOMEM || e == MK_EBUDGET || e == MK_EINVAL, "NULL with unexpected status %s", mk_status_str(e));
    if (e == MK_ENOMEM || e == MK_EBUDGET)
        M.failures[intent]++;
#ifndef MK_FUZZ_NO_LIVENESS
    if (e == MK_EBUDGET && exact_need && M.oom_mode != 1)
        CHECK(budget_failure_justified(intent, need),
              "MK_EBUDGET for intent %s (%zu bytes) although the model has room: live %" PRId64 " frame %" PRId64,
              mk_intent_name((mk_intent_t)intent), need, nonframe_live(intent), frame_charged(intent));
#else
    (void)need;
    (void)exact_need;
#endif
}

/* A new block from the runtime for `intent` (of tier `tier_used`): checks and
 * enters it into the model. `align`: the alignment asked for. */
static block_t *record_block(void *p, unsigned intent, size_t size, size_t align, int zeroed)
{
    size_t want = align > MKG_ALIGNMENT ? align : MKG_ALIGNMENT;
    CHECK(((uintptr_t)p & (want - 1)) == 0, "block %p not aligned to %zu", p, want);
    CHECK(M.n < MAX_BLOCKS, "model full");
    block_t *b = &M.b[M.n];
    memset(b, 0, sizeof *b);
    b->ptr = p;
    b->size = size;
    b->intent = intent;
    b->sized = size;
    b->seed = ++M.seed;
    size_t usable = mk_usable_size(p);
    if (tier_of(intent) == MK_TIER_FRAME) {
        b->frame = 1;
        b->spilled = !in_arena(p);
        b->epoch = M.epoch;
        b->seq = ++M.seq;
        b->size0 = size;
        CHECK(usable == 0, "frame block %p has usable size %zu", p, usable);
        fb(M.epoch)[intent] += (int64_t)frame_charge(size);
        M.entered = M.epoch;
    } else {
        CHECK(!in_arena(p), "pool/heap block %p inside the frame arenas", p);
        CHECK(usable >= size, "usable size %zu < %zu asked", usable, size);
        b->usable = usable;
    }
    M.allocs[intent]++;
    M.n++;
    check_no_overlap_with(b, M.n - 1);
    if (zeroed) {
        static const uint8_t zeros[PAT_MAX];
        CHECK(size <= PAT_MAX && memcmp(p, zeros, size) == 0, "calloc block %p of %zu bytes not zeroed", p, size);
    }
    fill(b->ptr, b->seed, 0, size);
    return b;
}

static void free_model_block(unsigned i, int sized)
{
    block_t *b = &M.b[i];
    verify(b, sized ? "free_sized" : "free");
    if (!b->frame)
        M.frees[b->intent]++;
    if (sized)
        mk_free_sized((mk_intent_t)b->intent, b->ptr, b->sized);
    else
        mk_free(b->ptr);
    remove_block(i);
}

/* Room for one more block: frees the oldest freeable block when the model is full. */
static int make_room(void)
{
    if (M.n < MAX_BLOCKS - 2)
        return 1;
    for (unsigned i = 0; i < M.n; i++) {
        if (!M.b[i].offered) {
            if (M.b[i].frame)
                remove_block(i);
            else
                free_model_block(i, 0);
            return 1;
        }
    }
    return 0;
}

/* How many bytes an allocation of `size` for `intent` charges, when the
 * model can tell exactly (frame, pool class), else a rough upper bound. */
static size_t charge_of(unsigned intent, size_t size, size_t align, int *exact)
{
    *exact = 0;
    if (tier_of(intent) == MK_TIER_FRAME) {
        *exact = size <= SIZE_MAX - 64;
        return frame_charge(size);
    }
    if (tier_of(intent) == MK_TIER_POOL && align <= MKG_ALIGNMENT &&
        mkg_routes[intent].on_exhausted != MK_POLICY_FALLBACK) {
        /* a fallback to the heap charges the heap block instead */
        const mk_pool_shape_t *s = &mkg_pool_shapes[mkg_routes[intent].pool];
        if (size <= s->max_size) {
            *exact = 1;
            return mkg_class_size[s->size_class[(size + MKG_ALIGNMENT - 1) >> MKG_ALIGNMENT_SHIFT]];
        }
    }
    /* heap (or a pool's fallback to it): an upper bound of the usable size
     * TLSF gives (second-level granularity 1/16, a split remainder too small
     * to keep, alignment padding) */
    if (size > (1u << 24))
        return size;
    *exact = 1;
    return size + size / 8 + 64 + (align > MKG_ALIGNMENT ? align : 0);
}

/* ---- operations ---------------------------------------------------------------- */

static unsigned rd_intent(reader_t *r)
{
    uint8_t b = rd8(r);
    if (b == 255)
        return MKG_INTENT_COUNT + 3u; /* not an intent */
    return b % MKG_INTENT_COUNT;
}

static void op_alloc(reader_t *r, int aligned)
{
    unsigned intent = rd_intent(r);
    size_t size = rd_size(r);
    size_t align = aligned ? rd_align(r) : 0;
    if (!make_room())
        return;
    void *p = aligned ? mk_alloc_aligned((mk_intent_t)intent, size, align) : mk_alloc((mk_intent_t)intent, size);
    if (intent >= MKG_INTENT_COUNT) {
        CHECK(p == NULL && mk_last_error() == MK_EINVAL, "allocation for a bad intent: %p, %d", p, (int)mk_last_error());
        return;
    }
    if (align > MKG_ALIGNMENT && !is_pow2(align)) {
        CHECK(p == NULL && mk_last_error() == MK_EINVAL, "alignment %zu: %p, %d", align, p, (int)mk_last_error());
        return;
    }
    if (p == NULL) {
        int exact;
        size_t need = charge_of(intent, size, align, &exact);
        record_null(intent, need, exact);
        return;
    }
    record_block(p, intent, size, align, 0);
}

static void op_calloc(reader_t *r)
{
    unsigned intent = rd_intent(r);
    size_t count = rd_size(r);
    size_t size = rd8(r) & 63;
    if (rd8(r) & 1) { /* sometimes the other way round, or an overflowing pair */
        size_t t = count;
        count = size;
        size = t;
    }
    if (!make_room())
        return;
    void *p = mk_calloc((mk_intent_t)intent, count, size);
    if (intent >= MKG_INTENT_COUNT || (size != 0 && count > SIZE_MAX / size)) {
        CHECK(p == NULL && mk_last_error() == MK_EINVAL, "calloc(%zu, %zu) for intent %u: %p", count, size, intent, p);
        return;
    }
    if (p == NULL) {
        int exact;
        size_t need = charge_of(intent, count * size, 0, &exact);
        record_null(intent, need, exact);
        return;
    }
    record_block(p, intent, count * size, 0, 1);
}

/* A live block chosen by the input; -1 when none. */
static int pick(reader_t *r, int want_frame)
{
    if (M.n == 0)
        return -1;
    unsigned start = rd8(r) % M.n;
    for (unsigned k = 0; k < M.n; k++) {
        unsigned i = (start + k) % M.n;
        if (want_frame < 0 || M.b[i].frame == want_frame)
            return (int)i;
    }
    return -1;
}

static void op_free(reader_t *r, int sized)
{
    int i = pick(r, -1);
    if (i < 0 || M.b[i].offered)
        return;
    if (M.b[i].frame) {
        verify(&M.b[i], "free of frame block");
        mk_free(M.b[i].ptr); /* a no-op */
        verify(&M.b[i], "after mk_free of frame block");
        if (sized)
            remove_block((unsigned)i);
        return;
    }
    free_model_block((unsigned)i, sized);
}

static void op_realloc(reader_t *r)
{
    uint8_t sel = rd8(r);
    size_t size = rd_size(r);
    unsigned other = rd_intent(r);
    if (!make_room())
        return;
    if (sel >= 240 || M.n == 0) { /* realloc(NULL) allocates */
        void *p = mk_realloc((mk_intent_t)other, NULL, size);
        if (other >= MKG_INTENT_COUNT) {
            CHECK(p == NULL && mk_last_error() == MK_EINVAL, "realloc(NULL) for a bad intent: %p", p);
            return;
        }
        if (p == NULL) {
            int exact;
            size_t need = charge_of(other, size, 0, &exact);
            record_null(other, need, exact);
        } else {
            record_block(p, other, size, 0, 0);
        }
        return;
    }
    unsigned i = sel % M.n;
    block_t *b = &M.b[i];
    if (b->offered)
        return;
    verify(b, "before realloc");
    if (size == 0) { /* frees */
        if (!b->frame)
            M.frees[b->intent]++;
        void *p = mk_realloc((mk_intent_t)b->intent, b->ptr, 0);
        CHECK(p == NULL, "realloc(p, 0) returned %p", p);
        remove_block(i);
        return;
    }
    /* frame blocks move to a new allocation for the intent passed; pool and
     * heap blocks keep theirs whatever is passed */
    unsigned passed = other < MKG_INTENT_COUNT && (sel & 1) ? other : b->intent;
    /* the intent charged: a frame block moves to the intent passed, others keep theirs */
    unsigned intent = b->frame ? passed : b->intent;
    b->pinned = 1;
    block_t old = *b;
    void *p = mk_realloc((mk_intent_t)passed, old.ptr, size);
    /* the OOM handler may have freed blocks: find ours again */
    int at = -1;
    for (unsigned k = 0; k < M.n; k++)
        if (M.b[k].pinned)
            at = (int)k;
    CHECK(at >= 0, "realloc: pinned block vanished from the model");
    M.b[at].pinned = 0;
    if (p == NULL) {
        int exact;
        size_t need = charge_of(intent, size, 0, &exact);
        record_null(intent, need, exact);
        verify(&M.b[at], "after failed realloc");
        return;
    }
    size_t keep = old.size < size ? old.size : size;
    if (old.frame) {
        /* the old block stays valid with its frame; the new one is fresh */
        verify_range(&old, p, keep, "realloc of frame block: prefix");
        block_t *nb = record_block(p, intent, size, 0, 0);
        (void)nb;
        return;
    }
    block_t *cur = &M.b[at];
    if (p == old.ptr) {
        size_t usable = mk_usable_size(p);
        CHECK(usable >= size, "realloc in place: usable %zu < %zu", usable, size);
        verify_range(cur, p, keep, "realloc in place prefix");
        cur->usable = usable;
        cur->size = size;
        check_no_overlap_with(cur, (unsigned)at);
        fill(cur->ptr, cur->seed, keep, size);
        return;
    }
    /* moved: the old block was freed, the new one charged to the old intent */
    verify_range(cur, p, keep, "realloc moved prefix");
    uint8_t seed = cur->seed;
    M.frees[old.intent]++;
    remove_block((unsigned)at);
    block_t *nb = record_block(p, old.intent, size, 0, 0);
    nb->seed = seed; /* record_block refilled with a new seed: put the old pattern back */
    fill(nb->ptr, nb->seed, 0, size);
}

static void op_begin_frame(void)
{
    if (M.epoch >= MAX_EPOCHS)
        return;
    mk_begin_frame();
    M.epoch++;
    CHECK(mk_frame_index() == M.epoch, "frame index %" PRIu64 ", model %" PRIu64, mk_frame_index(), M.epoch);
    drop_dead_frames();
}

static void op_end_frame(void)
{
    mk_end_frame();
}

static void op_mark(void)
{
    if (M.nmarks == MAX_MARKS) {
        memmove(&M.marks[0], &M.marks[1], (MAX_MARKS - 1) * sizeof(mark_t));
        M.nmarks--;
    }
    if (M.open_epoch != M.epoch) {
        M.open_epoch = M.epoch;
        M.open_depth = 0;
    }
    mk_frame_mark_t taken = mk_frame_mark();
    if (taken.epoch == UINT64_MAX) { /* only when a new checkpoint would not fit */
        CHECK(M.open_depth == MK_MARK_DEPTH && mk_last_error() == MK_EFULL,
              "mark refused with %u open checkpoints: %s", M.open_depth, mk_status_str(mk_last_error()));
        return;
    }
    /* a mark at the state of the newest checkpoint shares it; otherwise it is new */
    int shared = M.open_depth > 0 && M.open_marks[M.open_depth - 1] == taken.serial;
    CHECK(shared || M.open_depth < MK_MARK_DEPTH, "a new checkpoint past %d open ones", MK_MARK_DEPTH);
    mark_t *m = &M.marks[M.nmarks++];
    m->mark = taken;
    CHECK(m->mark.epoch == M.epoch, "mark epoch %" PRIu64 ", model %" PRIu64, m->mark.epoch, M.epoch);
    if (!shared)
        M.open_marks[M.open_depth++] = m->mark.serial;
    m->epoch = M.epoch;
    m->seq = M.seq;
    m->stale = 0;
    memcpy(m->bytes, fb(M.epoch), sizeof m->bytes);
    M.entered = M.epoch;
}

static void op_rewind(reader_t *r)
{
    if (M.nmarks == 0)
        return;
    unsigned k = rd8(r) % M.nmarks;
    mark_t m = M.marks[k];
    mk_status_t s = mk_frame_rewind(&m.mark);
    if (m.epoch != M.epoch) {
        CHECK(s == MK_ESTATE, "rewind to a mark of frame %" PRIu64 " in frame %" PRIu64 ": %s", m.epoch, M.epoch,
              mk_status_str(s));
        return;
    }
    if (m.stale) {
        CHECK(s == MK_EINVAL, "rewind to a mark that an earlier rewind went past returned %s", mk_status_str(s));
        return;
    }
    CHECK(s == MK_OK, "rewind to a valid mark: %s", mk_status_str(s));
    for (unsigned j = M.open_depth; j-- > 0;) /* checkpoints after it close */
        if (M.open_marks[j] == m.mark.serial) {
            M.open_depth = j + 1;
            break;
        }
    /* frame allocations since the mark are gone; in-place growth since the
     * mark is undone (conservatively: back to the size before any growth) */
    for (unsigned i = 0; i < M.n;) {
        block_t *b = &M.b[i];
        if (b->frame && b->epoch == m.epoch && b->seq > m.seq) {
            CHECK(!b->offered, "offered frame block");
            remove_block(i);
            continue;
        }
        if (b->frame && b->grow_seq > m.seq) {
            b->size = b->size0;
            b->grow_seq = 0;
        }
        i++;
    }
    memcpy(fb(M.epoch), m.bytes, sizeof m.bytes);
    /* checkpoints after it close with the rewind: a mark stays usable while its
     * checkpoint is still open (marks taken at the same state share one) */
    for (unsigned j = 0; j < M.nmarks; j++) {
        if (M.marks[j].epoch != m.epoch)
            continue;
        int open = 0;
        for (unsigned o = 0; o < M.open_depth && !open; o++)
            open = M.open_marks[o] == M.marks[j].mark.serial;
        if (!open)
            M.marks[j].stale = 1;
    }
}

static void op_grow(reader_t *r)
{
    uint8_t sel = rd8(r);
    size_t add = rd_size(r);
    uint8_t flags = rd8(r);
    if (!make_room())
        return;
    unsigned frame_intents[MKG_INTENT_COUNT], nf = 0;
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++)
        if (tier_of(i) == MK_TIER_FRAME)
            frame_intents[nf++] = i;
    if (nf == 0)
        return;
    if (flags & 0x80) { /* a non-frame intent: MK_EINVAL */
        unsigned bad = MKG_INTENT_COUNT;
        for (unsigned i = 0; i < MKG_INTENT_COUNT; i++)
            if (tier_of(i) != MK_TIER_FRAME)
                bad = i;
        void *p = mk_frame_grow((mk_intent_t)bad, NULL, 0, 16);
        CHECK(p == NULL && mk_last_error() == MK_EINVAL, "mk_frame_grow for a non-frame intent: %p", p);
        return;
    }
    /* the newest frame block, or any */
    int i = -1;
    if (!(sel & 1)) {
        for (unsigned k = 0; k < M.n; k++)
            if (M.b[k].frame && M.b[k].epoch == M.epoch && (i < 0 || M.b[k].seq > M.b[i].seq))
                i = (int)k;
    } else {
        i = pick(r, 1);
    }
    unsigned intent = frame_intents[(flags >> 1) % nf];
    if (i < 0 || (flags & 0x40)) { /* ptr == NULL allocates */
        void *p = mk_frame_grow((mk_intent_t)intent, NULL, 0, add);
        if (p == NULL) {
            record_null(intent, frame_charge(add), add <= SIZE_MAX - 64);
            return;
        }
        record_block(p, intent, add, 0, 0);
        return;
    }
    block_t *b = &M.b[i];
    if (!(flags & 1))
        intent = b->intent;
    size_t old = b->size;
    size_t new_size = (flags & 0x20) ? (add <= old ? old - add : 0) : old + add;
    if (new_size < old && !(flags & 0x20))
        new_size = SIZE_MAX; /* wrapped */
    verify(b, "before grow");
    b->pinned = 1;
    void *p = mk_frame_grow((mk_intent_t)intent, b->ptr, old, new_size);
    int at = -1;
    for (unsigned k = 0; k < M.n; k++)
        if (M.b[k].pinned)
            at = (int)k;
    CHECK(at >= 0, "grow: pinned block vanished from the model");
    b = &M.b[at];
    b->pinned = 0;
    if (new_size <= old) {
        CHECK(p == b->ptr, "grow to a smaller size moved the block: %p -> %p", (void *)b->ptr, p);
        return;
    }
    if (p == NULL) {
        record_null(intent, frame_charge(new_size), new_size <= SIZE_MAX - 64);
        verify(b, "after failed grow");
        return;
    }
    if (p == b->ptr) { /* in place */
        size_t delta = frame_charge(new_size) - frame_charge(old);
        /* only the newest arena block grows; any block may keep a size of the same rounding */
        CHECK(!b->spilled || delta == 0, "a spilled block grew in place");
        fb(M.epoch)[intent] += (int64_t)delta;
        M.entered = M.epoch;
        b->grow_seq = ++M.seq;
        b->size = new_size;
        if (!b->spilled) {
            size_t arena = (size_t)MKG_FRAME_ARENA_BYTES;
            size_t off0 = (size_t)(b->ptr - mkg_config.frame_storage);
            CHECK(off0 / arena == (off0 + new_size - 1) / arena, "a block grew across the end of its arena");
        }
        check_no_overlap_with(b, (unsigned)at);
        fill(b->ptr, b->seed, old, new_size);
        return;
    }
    /* moved: a new frame block; the old one lives on with its frame */
    block_t oldb = *b;
    verify_range(&oldb, p, old, "grow moved prefix");
    block_t *nb = record_block(p, intent, new_size, 0, 0);
    nb->seed = oldb.seed;
    fill(nb->ptr, nb->seed, 0, new_size);
}

/* ---- transfers ---------------------------------------------------------------- */

static void xfer_check_region(const xfer_t *x)
{
    /* the region's bytes still hold the pattern of its block, if the block is
     * still in the model */
    for (unsigned i = 0; i < M.n; i++) {
        const block_t *b = &M.b[i];
        if (x->ptr >= b->ptr && x->ptr + x->size <= b->ptr + b->size &&
            (x->frame ? b->seq == x->block_seq : b->ptr == x->ptr)) {
            size_t off = (size_t)(x->ptr - b->ptr);
            CHECK(memcmp(x->ptr, pat_at(b->seed) + off, x->size) == 0, "transferred region changed");
            return;
        }
    }
}

static void xfer_unoffer(const xfer_t *x)
{
    for (unsigned i = 0; i < M.n; i++)
        if (!x->frame && M.b[i].ptr == x->ptr)
            M.b[i].offered = 0;
}

/* Accepts a pending transfer and checks the answer against the model. */
static void xfer_accept(xfer_t *x)
{
    int live = !x->frame || M.epoch - x->epoch < MKG_FRAMES_IN_FLIGHT;
    void *p = mk_transfer_accept(&x->t);
    if (live) {
        CHECK(p == x->ptr, "accept of a pending transfer returned %p, expected %p (%s)", p, (void *)x->ptr,
              mk_status_str(mk_last_error()));
        CHECK(x->t.state == MK_TRANSFER_ACCEPTED, "accepted transfer in state %u", (unsigned)x->t.state);
        xfer_check_region(x);
    } else {
        CHECK(p == NULL && mk_last_error() == MK_ESTATE, "accept of an expired frame transfer returned %p", p);
        CHECK(x->t.state == MK_TRANSFER_EXPIRED, "expired transfer in state %u", (unsigned)x->t.state);
    }
    /* a second accept always fails */
    void *q = mk_transfer_accept(&x->t);
    CHECK(q == NULL && mk_last_error() == MK_ESTATE, "second accept returned %p", q);
    CHECK(mk_transfer_cancel(&x->t) == MK_ESTATE, "cancel after accept did not fail");
    xfer_unoffer(x);
    x->used = 0;
}

static void xfer_cancel(xfer_t *x)
{
    CHECK(mk_transfer_cancel(&x->t) == MK_OK, "cancel of a pending transfer failed");
    CHECK(x->t.state == MK_TRANSFER_CANCELLED, "cancelled transfer in state %u", (unsigned)x->t.state);
    void *p = mk_transfer_accept(&x->t);
    CHECK(p == NULL && mk_last_error() == MK_ESTATE, "accept after cancel returned %p", p);
    xfer_unoffer(x);
    x->used = 0;
}

static void op_transfer(reader_t *r)
{
    int i = pick(r, -1);
    uint8_t off_sel = rd8(r);
    size_t size = rd_size(r);
    uint8_t mode = rd8(r);
    if (i < 0 || M.b[i].offered)
        return;
    block_t *b = &M.b[i];
    size_t off = 0;
    int interior_spill = 0;
    if (b->frame && b->size > 0 && (off_sel & 1)) {
        off = ((size_t)off_sel >> 1) % b->size;
        if (b->spilled) {
            interior_spill = off != 0;
        }
    }
    size_t room = b->frame ? b->size - off : b->usable;
    int fits = size <= room;
    if (mode & 0x80) { /* too big on purpose */
        if (b->frame)
            size = room + 1 + (mode & 15) * 16;
        else
            size = b->usable + 1;
        fits = 0;
    }
    xfer_t local;
    memset(&local, 0, sizeof local);
    mk_status_t s = mk_transfer_init(&local.t, b->ptr + off, size);
    if (!fits) {
        /* a frame region may legitimately reach past its block (to the
         * cursor or the arena end): only blocks must refuse */
        if (!b->frame)
            CHECK(s == MK_EINVAL, "transfer of %zu bytes of a %zu-byte block: %s", size, b->usable, mk_status_str(s));
        if (s == MK_OK)
            CHECK(mk_transfer_cancel(&local.t) == MK_OK, "cancel failed");
        return;
    }
    if (b->frame && !b->spilled) {
        size_t arena = (size_t)MKG_FRAME_ARENA_BYTES;
        size_t o = (size_t)(b->ptr + off - mkg_config.frame_storage);
        if (size > 0 && o / arena != (o + size - 1) / arena)
            return; /* a block grown across two arena slots (reported as a straddle) */
    }
    CHECK(s == MK_OK || (interior_spill && s == MK_EINVAL),
          "mk_transfer_init of %zu bytes at +%zu of a live %s block (size %zu%s): %s", size, off,
          b->frame ? "frame" : "pool/heap", b->size, b->spilled ? ", spilled" : "", mk_status_str(s));
    if (s != MK_OK)
        return;
    CHECK(local.t.kind == (b->frame ? MK_TRANSFER_FRAME : MK_TRANSFER_BLOCK), "transfer kind %u", local.t.kind);
    CHECK(local.t.state == MK_TRANSFER_PENDING, "transfer state %u", (unsigned)local.t.state);
    local.used = 1;
    local.frame = b->frame;
    local.ptr = b->ptr + off;
    local.size = size;
    local.epoch = b->epoch;
    local.block_seq = b->seq;
    if (b->frame)
        CHECK(local.t.epoch == b->epoch, "frame transfer epoch %" PRIu64 ", block's frame %" PRIu64, local.t.epoch,
              b->epoch);
    switch (mode & 3) {
    case 0:
        xfer_accept(&local);
        return;
    case 1:
        xfer_cancel(&local);
        return;
    default:
        for (unsigned k = 0; k < MAX_XFERS; k++) {
            if (!M.x[k].used) {
                M.x[k] = local;
                if (!b->frame)
                    b->offered = 1;
                return;
            }
        }
        xfer_accept(&local);
        return;
    }
}

static void op_xfer(reader_t *r)
{
    uint8_t b = rd8(r);
    xfer_t *x = &M.x[b % MAX_XFERS];
    if (!x->used)
        return;
    if (b & 0x80)
        xfer_cancel(x);
    else
        xfer_accept(x);
}

/* ---- stats ---------------------------------------------------------------------- */

static void check_stats(int full_verify)
{
    mk_stats_t s;
    CHECK(mk_stats_get(&s) == MK_OK, "mk_stats_get failed");
    mk_status_t v = mk_validate();
    if (v != MK_OK) {
        mk_validate_report(stderr);
        fuzz_fail("mk_validate: %s", mk_status_str(v));
    }
    CHECK(s.frame_index == M.epoch, "stats frame index %" PRIu64 ", model %" PRIu64, s.frame_index, M.epoch);
    uint64_t sum = 0;
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++) {
        const mk_intent_stats_t *is = &s.intents[i];
        const char *name = mk_intent_name((mk_intent_t)i);
        CHECK(is->allocations == M.allocs[i], "intent %s: %" PRIu64 " allocations, model %" PRIu64, name,
              is->allocations, M.allocs[i]);
        CHECK(is->frees == M.frees[i], "intent %s: %" PRIu64 " frees, model %" PRIu64, name, is->frees, M.frees[i]);
        CHECK(is->failures == M.failures[i], "intent %s: %" PRIu64 " failures, model %" PRIu64, name, is->failures,
              M.failures[i]);
        int64_t cur = nonframe_live(i) + frame_live(i);
        CHECK(is->current == (uint64_t)cur, "intent %s: current %" PRIu64 ", model %" PRId64 " (frame %" PRId64 ")",
              name, is->current, cur, frame_live(i));
        CHECK(is->peak >= is->current, "intent %s: peak %" PRIu64 " < current %" PRIu64, name, is->peak, is->current);
        if (mkg_routes[i].flags & MK_ROUTE_BUDGETED) {
            CHECK(is->budget == mkg_routes[i].budget, "intent %s: budget %" PRIu64, name, is->budget);
            CHECK(is->current <= is->budget, "intent %s: current %" PRIu64 " over budget %" PRIu64, name, is->current,
                  is->budget);
            CHECK(is->peak <= is->budget, "intent %s: peak %" PRIu64 " over budget %" PRIu64, name, is->peak,
                  is->budget);
        }
        sum += is->current;
    }
    if (MKG_BUDGET_TOTAL > 0) {
        CHECK(s.budget_total == MKG_BUDGET_TOTAL, "budget_total %" PRIu64, s.budget_total);
        CHECK(s.budget_reserved <= s.budget_total, "total budget passed: %" PRIu64 " of %" PRIu64, s.budget_reserved,
              s.budget_total);
        CHECK(s.budget_reserved >= sum, "total reserved %" PRIu64 " < bytes in use %" PRIu64, s.budget_reserved, sum);
    }
    CHECK(s.tiers[MK_TIER_HEAP].used <= s.tiers[MK_TIER_HEAP].capacity, "heap used past capacity");
    CHECK(s.tiers[MK_TIER_POOL].used <= s.tiers[MK_TIER_POOL].capacity, "pool used past capacity");
    CHECK(s.system_bytes == 0, "system bytes with fallback = none");
    if (full_verify) {
        for (unsigned i = 0; i < M.n; i++)
            verify(&M.b[i], "stats sweep");
        check_all_no_overlap();
    }
}

static void op_touch(reader_t *r)
{
    int i = pick(r, -1);
    if (i < 0)
        return;
    block_t *b = &M.b[i];
    verify(b, "touch");
    if (b->offered)
        return;
    b->seed = ++M.seed;
    fill(b->ptr, b->seed, 0, b->size);
}

/* ---- one input ------------------------------------------------------------------ */

enum {
    OP_ALLOC, OP_ALLOC_ALIGNED, OP_CALLOC, OP_FREE, OP_FREE_SIZED, OP_REALLOC, OP_BEGIN_FRAME, OP_END_FRAME,
    OP_MARK, OP_REWIND, OP_GROW, OP_TRANSFER, OP_XFER, OP_STATS, OP_OOM, OP_TOUCH, OP_COUNT
};

static const char *const k_op_names[OP_COUNT] = {
    "ALLOC", "ALLOC_ALIGNED", "CALLOC", "FREE", "FREE_SIZED", "REALLOC", "BEGIN_FRAME", "END_FRAME",
    "MARK", "REWIND", "GROW", "TRANSFER", "XFER", "STATS", "OOM", "TOUCH",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&M, 0, sizeof M);
    pat_init();
    g_op_index = 0;
    g_op_name = "mk_init";
    g_frame_bytes = (size_t)MKG_MAX_THREADS * MKG_FRAMES_IN_FLIGHT * (size_t)MKG_FRAME_ARENA_BYTES;
    mk_status_t st = mk_init(&mkg_config);
    CHECK(st == MK_OK, "mk_init: %s", mk_status_str(st));
    CHECK(mk_last_error() == MK_OK, "mk_last_error after mk_init");
    mk_set_oom_handler(oom_handler, &M);
    reader_t rd = {data, size};
    while (rd.n > 0) {
        uint8_t op = rd8(&rd) % OP_COUNT;
        g_op_index++;
        g_op_name = k_op_names[op];
        switch (op) {
        case OP_ALLOC: op_alloc(&rd, 0); break;
        case OP_ALLOC_ALIGNED: op_alloc(&rd, 1); break;
        case OP_CALLOC: op_calloc(&rd); break;
        case OP_FREE: op_free(&rd, 0); break;
        case OP_FREE_SIZED: op_free(&rd, 1); break;
        case OP_REALLOC: op_realloc(&rd); break;
        case OP_BEGIN_FRAME: op_begin_frame(); break;
        case OP_END_FRAME: op_end_frame(); break;
        case OP_MARK: op_mark(); break;
        case OP_REWIND: op_rewind(&rd); break;
        case OP_GROW: op_grow(&rd); break;
        case OP_TRANSFER: op_transfer(&rd); break;
        case OP_XFER: op_xfer(&rd); break;
        case OP_STATS: check_stats(1); break;
        case OP_OOM: M.oom_mode = rd8(&rd) % 3; break;
        case OP_TOUCH: op_touch(&rd); break;
        }
    }
    /* the end: settle transfers, free everything, let the frames leave flight */
    g_op_name = "teardown";
    M.oom_mode = 0;
    check_stats(1);
    for (unsigned k = 0; k < MAX_XFERS; k++)
        if (M.x[k].used)
            xfer_accept(&M.x[k]);
    while (M.n > 0) {
        if (M.b[M.n - 1].frame) {
            verify(&M.b[M.n - 1], "teardown");
            remove_block(M.n - 1);
        } else {
            free_model_block(M.n - 1, (M.n & 1) != 0);
        }
    }
    check_stats(0);
    for (unsigned k = 0; k < MKG_FRAMES_IN_FLIGHT && M.epoch < MAX_EPOCHS; k++) {
        mk_begin_frame();
        M.epoch++;
        mk_end_frame();
    }
    check_stats(0);
    mk_stats_t s;
    mk_stats_get(&s);
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++)
        CHECK(s.intents[i].current == 0, "intent %s: %" PRIu64 " bytes left after freeing everything",
              mk_intent_name((mk_intent_t)i), s.intents[i].current);
    mk_shutdown();
    return 0;
}

/* ---- replay driver without libFuzzer ---------------------------------------------- */

#ifdef MK_FUZZ_REPLAY
static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    return 0;
}

static int replay_path(const char *path, unsigned *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return replay_file(path);
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        perror(path);
        return 1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, e->d_name);
        rc |= replay_path(full, count);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    unsigned count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++)
        rc |= replay_path(argv[i], &count);
    printf("memkit fuzz replay: %u input(s) passed\n", count);
    return rc;
}
#endif
