/* fuzz_suballoc.c — a shadow-model fuzzer for the GPU block sub-allocators
 * (gpu/src/suballoc.h); tests/gpu/README.md says how to run it.
 *
 * An input is a program: the first byte picks the allocator (tlsf most of the
 * time, else the ring or the linear heap), the next ones its configuration, the
 * rest operations `[opcode][arguments…]` (a byte past the end reads as 0, so
 * every byte string is a valid program). A shadow model keeps every live
 * allocation and, after each operation, the harness checks:
 *   tlsf   no two live ranges overlap; every offset is aligned and inside the
 *          block; no two allocations of conflicting kinds share a granularity
 *          page (both checked for each new allocation against every live one:
 *          only an allocation adds pairs); used = the model's bytes, count = its
 *          allocations, used + free = size; mk__gpu_tlsf_validate; a failed
 *          call changed nothing (struct and nodes compared byte for byte) and
 *          its status is justified (ENOSPACE: no free range holds size + slack
 *          rounded to its list and the block is not empty; ENODES: fewer than
 *          two nodes spare); after freeing everything, in any order, one free
 *          range covers the block;
 *   ring   an exact model of the placement policy (after the newest
 *          allocation, else at 0, never reaching the tail; the status and the
 *          offset must match it), and independently: live allocations
 *          aligned, inside the block and disjoint; release frees exactly the
 *          tags it passes (used is 0 exactly when nothing is live); failures
 *          change nothing; ENODES exactly when a new tag finds every mark taken;
 *   linear an exact model: each offset is the aligned top, a failure exactly
 *          when it passes the end.
 * A failed check prints `gpu suballoc fuzz: CHECK FAILED at op #N (OP): …`
 * and aborts.
 *
 * Builds: with clang -fsanitize=fuzzer it is a libFuzzer target; with
 * -DMK_FUZZ_REPLAY it gains a main() that replays files and directories given
 * on the command line, or else runs seeded random programs (ctest
 * gpu_suballoc_fuzz_replay: 2000 programs of about 500 operations).
 */
#include "suballoc.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NODES 512
#define MAX_LIVE 1024 /* ring: allocations in the model; tlsf: nodes bound it first */
#define MAX_MARKS 8

/* ---- input and failure -------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n;
} input_t;

static uint8_t next_byte(input_t *in) {
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static unsigned long g_op;
static const char *g_op_name = "init";

#define FUZZ_CHECK(cond, ...)                                                                                      \
    do {                                                                                                           \
        if (!(cond)) {                                                                                             \
            fprintf(stderr, "gpu suballoc fuzz: CHECK FAILED at op #%lu (%s): %s: ", g_op, g_op_name, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                                          \
            fputc('\n', stderr);                                                                                   \
            abort();                                                                                               \
        }                                                                                                          \
    } while (0)

/* A size from two bytes: up to 2^(exp) with a mantissa, so that tiny, page-sized
 * and block-sized requests all occur. */
static uint64_t read_size(input_t *in, unsigned max_exp) {
    unsigned exp = next_byte(in) % (max_exp + 1);
    uint64_t mant = next_byte(in);
    return 1 + ((mant << exp) >> 8);
}

static uint64_t read_alignment(input_t *in, unsigned max_log2) {
    return (uint64_t)1 << (next_byte(in) % (max_log2 + 1));
}

static unsigned long long ull(uint64_t x) { return (unsigned long long)x; }

/* ---- tlsf ----------------------------------------------------------------- */

typedef struct {
    uint32_t handle;
    uint64_t offset, size, alignment;
    unsigned kind;
} range_t;

static mk__gpu_tlsf_node_t g_nodes[MAX_NODES];
static mk__gpu_tlsf_node_t g_nodes_before[MAX_NODES];
static mk__gpu_tlsf_t g_before;
static range_t g_live[MAX_LIVE];
static unsigned g_count;

static bool kinds_conflict(unsigned a, unsigned b) { return a != b || a == MK__GPU_KIND_UNKNOWN; }

static void snapshot(const mk__gpu_tlsf_t *t) {
    memcpy(&g_before, t, sizeof *t);
    memcpy(g_nodes_before, g_nodes, t->nodes_touched * sizeof g_nodes[0]);
}

static bool unchanged(const mk__gpu_tlsf_t *t) {
    return memcmp(&g_before, t, sizeof *t) == 0 &&
           memcmp(g_nodes_before, g_nodes, t->nodes_touched * sizeof g_nodes[0]) == 0;
}

/* The state after every operation agrees with the model. */
static void tlsf_check_state(const mk__gpu_tlsf_t *t) {
    uint64_t used = 0;
    for (unsigned i = 0; i < g_count; i++)
        used += g_live[i].size;
    FUZZ_CHECK(mk__gpu_tlsf_used(t) == used, "used %llu, model %llu", ull(mk__gpu_tlsf_used(t)), ull(used));
    FUZZ_CHECK(mk__gpu_tlsf_count(t) == g_count, "count %u, model %u", mk__gpu_tlsf_count(t), g_count);
    FUZZ_CHECK(mk__gpu_tlsf_used(t) + mk__gpu_tlsf_free_bytes(t) == t->size, "free %llu",
               ull(mk__gpu_tlsf_free_bytes(t)));
    FUZZ_CHECK(mk__gpu_tlsf_largest_free(t) <= mk__gpu_tlsf_free_bytes(t), "largest %llu",
               ull(mk__gpu_tlsf_largest_free(t)));
    FUZZ_CHECK(t->nodes_live <= MK__GPU_TLSF_NODES_FOR(g_count), "%u nodes for %u allocations", t->nodes_live,
               g_count);
    FUZZ_CHECK(mk__gpu_tlsf_validate(t), "validate");
}

/* A new allocation against the model: aligned, inside, unique handle, disjoint
 * from every live range, off every page a conflicting range touches. */
static void tlsf_check_new(const mk__gpu_tlsf_t *t, const range_t *n) {
    uint64_t g = t->granularity;
    FUZZ_CHECK(n->offset % n->alignment == 0, "offset %llu, alignment %llu", ull(n->offset), ull(n->alignment));
    FUZZ_CHECK(n->offset <= t->size && t->size - n->offset >= n->size, "[%llu, +%llu) past %llu", ull(n->offset),
               ull(n->size), ull(t->size));
    for (unsigned i = 0; i < g_count; i++) {
        const range_t *o = &g_live[i];
        FUZZ_CHECK(o->handle != n->handle, "handle %u is live", n->handle);
        FUZZ_CHECK(n->offset + n->size <= o->offset || o->offset + o->size <= n->offset,
                   "[%llu, +%llu) overlaps [%llu, +%llu)", ull(n->offset), ull(n->size), ull(o->offset),
                   ull(o->size));
        if (kinds_conflict(n->kind, o->kind)) {
            bool n_first = n->offset < o->offset;
            const range_t *a = n_first ? n : o, *b = n_first ? o : n;
            FUZZ_CHECK((a->offset + a->size - 1) / g < b->offset / g,
                       "kinds %u and %u share a page of %llu: [%llu, +%llu) and [%llu, +%llu)", a->kind, b->kind,
                       ull(g), ull(a->offset), ull(a->size), ull(b->offset), ull(b->size));
        }
    }
}

static void tlsf_alloc(mk__gpu_tlsf_t *t, uint64_t size, uint64_t alignment, unsigned kind) {
    range_t n = {.size = size, .alignment = alignment, .kind = kind};
    snapshot(t);
    bool was_empty = g_count == 0;
    mk__gpu_status_t s = mk__gpu_tlsf_alloc(t, size, alignment, (mk__gpu_kind_t)kind, &n.offset, &n.handle);
    if (s == MK__GPU_OK) {
        FUZZ_CHECK(g_count < MAX_LIVE, "more allocations than the model holds");
        tlsf_check_new(t, &n);
        g_live[g_count++] = n;
        return;
    }
    FUZZ_CHECK(unchanged(t), "status %d changed the allocator", (int)s);
    uint32_t spare = t->node_capacity - t->nodes_live;
    if (s == MK__GPU_ENODES) {
        FUZZ_CHECK(spare < 2, "ENODES with %u nodes spare", spare);
        return;
    }
    FUZZ_CHECK(s == MK__GPU_ENOSPACE, "status %d for size %llu alignment %llu", (int)s, ull(size), ull(alignment));
    if (size > t->size)
        return;
    FUZZ_CHECK(!was_empty, "an empty block of %llu refused %llu at alignment %llu", ull(t->size), ull(size),
               ull(alignment));
    /* The contract: a free range holding size + slack, rounded up to its list,
     * would have been found. */
    uint64_t g = t->granularity;
    uint64_t worst = size + (alignment > g ? alignment : g) - 1 + (g - 1);
    uint64_t bound = worst + (worst >> 5) + 1;
    FUZZ_CHECK(mk__gpu_tlsf_largest_free(t) < bound, "ENOSPACE for %llu (alignment %llu) beside a free range of %llu",
               ull(size), ull(alignment), ull(mk__gpu_tlsf_largest_free(t)));
}

static void tlsf_free_at(mk__gpu_tlsf_t *t, unsigned i) {
    FUZZ_CHECK(mk__gpu_tlsf_free(t, g_live[i].handle) == MK__GPU_OK, "free of live handle %u", g_live[i].handle);
    g_live[i] = g_live[--g_count];
}

/* Frees every live allocation in one of three orders, checking as it goes, and
 * expects one free range over the whole block. */
static void tlsf_free_all(mk__gpu_tlsf_t *t, unsigned order) {
    while (g_count) {
        unsigned i = order == 0 ? 0 : order == 1 ? g_count - 1 : g_count / 2;
        tlsf_free_at(t, i);
        tlsf_check_state(t);
    }
    FUZZ_CHECK(mk__gpu_tlsf_free_bytes(t) == t->size && mk__gpu_tlsf_largest_free(t) == t->size && t->nodes_live == 1,
               "after freeing everything: free %llu, largest %llu, %u nodes", ull(mk__gpu_tlsf_free_bytes(t)),
               ull(mk__gpu_tlsf_largest_free(t)), t->nodes_live);
}

/* Calls that must fail with EINVAL and change nothing. */
static void tlsf_misuse(mk__gpu_tlsf_t *t, input_t *in) {
    uint64_t offset = 0;
    uint32_t handle = 0;
    mk__gpu_status_t s;
    unsigned what = next_byte(in) % 5;
    snapshot(t);
    switch (what) {
    case 0: /* a node that holds no allocation: spare, a free range, never touched */
    {
        uint32_t h = next_byte(in) % (MAX_NODES + 1);
        for (unsigned i = 0; i < g_count; i++)
            if (g_live[i].handle == h)
                return;
        s = mk__gpu_tlsf_free(t, h);
        break;
    }
    case 1:
        s = mk__gpu_tlsf_alloc(t, 0, 1, MK__GPU_KIND_LINEAR, &offset, &handle);
        break;
    case 2:
        s = mk__gpu_tlsf_alloc(t, 1, (uint64_t)3 << (next_byte(in) % 40), MK__GPU_KIND_LINEAR, &offset, &handle);
        break;
    case 3:
        s = mk__gpu_tlsf_alloc(t, 1, 1, (mk__gpu_kind_t)(MK__GPU_KIND_COUNT + next_byte(in) % 4), &offset, &handle);
        break;
    default:
        s = mk__gpu_tlsf_alloc(t, 1, MK__GPU_SUB_MAX_SIZE << 1, MK__GPU_KIND_LINEAR, &offset, &handle);
        break;
    }
    FUZZ_CHECK(s == MK__GPU_EINVAL, "misuse %u: status %d", what, (int)s);
    FUZZ_CHECK(unchanged(t), "misuse %u changed the allocator", what);
}

static void run_tlsf(input_t *in) {
    mk__gpu_tlsf_t t;
    /* The block: 2^8 .. 2^27 bytes with a mantissa (odd sizes too), or the largest. */
    unsigned exp = 8 + next_byte(in) % 20;
    uint8_t m = next_byte(in);
    uint64_t size = ((uint64_t)1 << exp) + ((uint64_t)m << (exp - 8)) + (m & 1u);
    if (m == 255)
        size = MK__GPU_SUB_MAX_SIZE;
    uint64_t granularity = (uint64_t)1 << (next_byte(in) % 18); /* 1 .. 128 KiB */
    uint8_t c = next_byte(in);
    uint32_t capacity = c < 128 ? 1u + c % 16u : 1u + (uint32_t)(c - 128) * 4u; /* 1..16, or up to 509 */
    unsigned max_exp = exp + 1 < 40 ? exp + 1 : 40;

    g_op_name = "init";
    FUZZ_CHECK(mk__gpu_tlsf_init(&t, size, granularity, g_nodes, capacity) == MK__GPU_OK, "init %llu %llu %u",
               ull(size), ull(granularity), capacity);
    g_count = 0;
    tlsf_check_state(&t);
    while (in->n) {
        g_op++;
        uint8_t op = next_byte(in) % 8;
        switch (op) {
        case 0:
        case 1:
        case 2: {
            g_op_name = "ALLOC";
            uint64_t s = read_size(in, max_exp);
            uint64_t a = read_alignment(in, 20);
            tlsf_alloc(&t, s, a, next_byte(in) % MK__GPU_KIND_COUNT);
            break;
        }
        case 3: { /* the largest free range, or a fraction of it: exact fits */
            g_op_name = "ALLOC_FIT";
            uint8_t b = next_byte(in);
            uint64_t s = mk__gpu_tlsf_largest_free(&t) >> (b % 4);
            if (s)
                tlsf_alloc(&t, s, (uint64_t)1 << ((b >> 2) % 8), (unsigned)(b >> 5) % MK__GPU_KIND_COUNT);
            break;
        }
        case 4:
        case 5:
            g_op_name = "FREE";
            if (g_count)
                tlsf_free_at(&t, next_byte(in) % g_count);
            break;
        case 6:
            g_op_name = "FREE_ALL";
            tlsf_free_all(&t, next_byte(in) % 3);
            break;
        default:
            g_op_name = "MISUSE";
            tlsf_misuse(&t, in);
            break;
        }
        tlsf_check_state(&t);
    }
    g_op_name = "END";
    tlsf_free_all(&t, 0);
}

/* ---- ring ----------------------------------------------------------------- */

typedef struct {
    uint64_t offset, size, tag;
    uint64_t lo; /* where the tail stands once this is the oldest: the end of the one before, or 0 after a wrap */
} ring_alloc_t;

#define NOWHERE UINT64_MAX

static ring_alloc_t g_ring_live[MAX_LIVE];
static mk__gpu_ring_mark_t g_marks[MAX_MARKS], g_marks_before[MAX_MARKS];

static unsigned ring_distinct_tags(void) {
    unsigned n = 0;
    for (unsigned i = 0; i < g_count; i++) /* the model is in FIFO order: tags never decrease */
        n += i == 0 || g_ring_live[i].tag != g_ring_live[i - 1].tag;
    return n;
}

/* The ring's placement, from the model alone: after the newest allocation if it
 * fits before the end and short of the tail, else at offset 0 if that is short
 * of the tail (the tail moves past an end a wrap skipped), else NOWHERE. */
static uint64_t ring_predict(uint64_t ring_size, uint64_t size, uint64_t alignment) {
    if (!g_count) /* empty: it starts over at 0 */
        return size <= ring_size ? 0 : NOWHERE;
    const ring_alloc_t *newest = &g_ring_live[g_count - 1];
    uint64_t tail = g_ring_live[0].lo, head = newest->offset + newest->size;
    uint64_t start = (head + alignment - 1) / alignment * alignment;
    bool before_end = start <= ring_size && ring_size - start >= size;
    if (tail < head) /* live bytes in one run [tail, head) */
        return before_end ? start : size <= tail ? 0 : NOWHERE;
    return before_end && start + size <= tail ? start : NOWHERE; /* live bytes wrap: room is [head, tail) */
}

static void ring_check_state(const mk__gpu_ring_t *r) {
    uint64_t live = 0;
    for (unsigned i = 0; i < g_count; i++)
        live += g_ring_live[i].size;
    uint64_t used = mk__gpu_ring_used(r);
    FUZZ_CHECK(used >= live && used <= r->size, "used %llu, live %llu, size %llu", ull(used), ull(live),
               ull(r->size));
    FUZZ_CHECK((used == 0) == (g_count == 0), "used %llu with %u live", ull(used), g_count);
}

static mk__gpu_ring_t g_ring_before;

static void ring_snapshot(const mk__gpu_ring_t *r) {
    memcpy(&g_ring_before, r, sizeof *r); /* memcpy, not =: padding too, for memcmp */
    memcpy(g_marks_before, g_marks, sizeof g_marks);
}

static bool ring_unchanged(const mk__gpu_ring_t *r) {
    return memcmp(&g_ring_before, r, sizeof *r) == 0 && memcmp(g_marks_before, g_marks, sizeof g_marks) == 0;
}

static void ring_alloc(mk__gpu_ring_t *r, uint64_t size, uint64_t alignment, uint64_t tag) {
    bool new_tag = g_count == 0 || g_ring_live[g_count - 1].tag != tag;
    bool marks_full = new_tag && ring_distinct_tags() == r->mark_capacity;
    uint64_t predicted = ring_predict(r->size, size, alignment);
    mk__gpu_status_t expected = marks_full ? MK__GPU_ENODES : predicted == NOWHERE ? MK__GPU_ENOSPACE : MK__GPU_OK;
    ring_alloc_t n = {.size = size, .tag = tag};
    ring_snapshot(r);
    mk__gpu_status_t st = mk__gpu_ring_alloc(r, size, alignment, tag, &n.offset);
    FUZZ_CHECK(st == expected, "status %d, model %d, for %llu at %llu with %u live", (int)st, (int)expected,
               ull(size), ull(alignment), g_count);
    if (st != MK__GPU_OK) {
        FUZZ_CHECK(ring_unchanged(r), "status %d changed the ring", (int)st);
        return;
    }
    FUZZ_CHECK(n.offset == predicted, "offset %llu, model %llu", ull(n.offset), ull(predicted));
    FUZZ_CHECK(n.offset % alignment == 0 && n.offset <= r->size && r->size - n.offset >= size,
               "[%llu, +%llu) at %llu", ull(n.offset), ull(size), ull(alignment));
    for (unsigned i = 0; i < g_count; i++) {
        const ring_alloc_t *o = &g_ring_live[i];
        FUZZ_CHECK(n.offset + size <= o->offset || o->offset + o->size <= n.offset,
                   "[%llu, +%llu) overlaps [%llu, +%llu) of tag %llu", ull(n.offset), ull(size), ull(o->offset),
                   ull(o->size), ull(o->tag));
    }
    const ring_alloc_t *newest = g_count ? &g_ring_live[g_count - 1] : NULL;
    n.lo = newest && n.offset != 0 ? newest->offset + newest->size : 0; /* offset 0: empty before, or a wrap */
    g_ring_live[g_count++] = n;
}

static void run_ring(input_t *in) {
    mk__gpu_ring_t r;
    unsigned exp = 6 + next_byte(in) % 15; /* 64 B .. 1 MiB, with a mantissa */
    uint8_t m = next_byte(in);
    uint64_t size = ((uint64_t)1 << exp) + ((uint64_t)m << (exp - 6)) + (m & 1u);
    uint32_t marks = 1 + next_byte(in) % MAX_MARKS;
    uint64_t tag = 1;

    g_op_name = "init";
    FUZZ_CHECK(mk__gpu_ring_init(&r, size, g_marks, marks) == MK__GPU_OK, "init %llu %u", ull(size), marks);
    g_count = 0;
    while (in->n) {
        g_op++;
        uint8_t op = next_byte(in) % 6;
        if (op < 4) {
            g_op_name = "ALLOC";
            uint64_t s = read_size(in, exp + 1);
            uint64_t a = read_alignment(in, 12);
            uint8_t b = next_byte(in);
            if (b % 4 == 0) /* the next frame */
                tag += 1 + b / 64;
            if (g_count < MAX_LIVE)
                ring_alloc(&r, s, a, tag);
        } else if (op == 4) {
            g_op_name = "RELEASE";
            uint8_t b = next_byte(in);
            uint64_t through = b >= 192 ? UINT64_MAX : g_count ? g_ring_live[0].tag + b % 4 - 1 : tag;
            mk__gpu_ring_release_through(&r, through);
            unsigned kept = 0;
            for (unsigned i = 0; i < g_count; i++)
                if (g_ring_live[i].tag > through)
                    g_ring_live[kept++] = g_ring_live[i];
            g_count = kept;
        } else {
            g_op_name = "MISUSE"; /* a tag older than the newest live one, or size 0 */
            uint64_t offset = 0;
            ring_snapshot(&r);
            mk__gpu_status_t st = g_count ? mk__gpu_ring_alloc(&r, 1, 1, g_ring_live[g_count - 1].tag - 1, &offset)
                                          : mk__gpu_ring_alloc(&r, 0, 1, tag, &offset);
            FUZZ_CHECK(st == MK__GPU_EINVAL && ring_unchanged(&r), "status %d", (int)st);
        }
        ring_check_state(&r);
    }
    g_op_name = "END";
    mk__gpu_ring_release_through(&r, UINT64_MAX);
    g_count = 0;
    ring_check_state(&r);
    uint64_t offset = 1;
    FUZZ_CHECK(mk__gpu_ring_alloc(&r, size, 1, tag, &offset) == MK__GPU_OK && offset == 0, "whole ring after release");
}

/* ---- linear --------------------------------------------------------------- */

static void run_linear(input_t *in) {
    mk__gpu_linear_t l;
    unsigned exp = 6 + next_byte(in) % 20;
    uint64_t size = ((uint64_t)1 << exp) + next_byte(in);
    uint64_t top = 0; /* the model */

    g_op_name = "init";
    FUZZ_CHECK(mk__gpu_linear_init(&l, size) == MK__GPU_OK, "init %llu", ull(size));
    while (in->n) {
        g_op++;
        if (next_byte(in) % 8 == 0) {
            g_op_name = "RESET";
            mk__gpu_linear_reset(&l);
            top = 0;
        } else {
            g_op_name = "ALLOC";
            uint64_t s = read_size(in, exp - 2);
            uint64_t a = read_alignment(in, 14);
            uint64_t offset = UINT64_MAX, start = (top + a - 1) / a * a;
            mk__gpu_status_t st = mk__gpu_linear_alloc(&l, s, a, &offset);
            bool fits = start + s <= size;
            FUZZ_CHECK(st == (fits ? MK__GPU_OK : MK__GPU_ENOSPACE), "status %d for %llu at %llu, top %llu", (int)st,
                       ull(s), ull(a), ull(top));
            if (fits) {
                FUZZ_CHECK(offset == start, "offset %llu, model %llu", ull(offset), ull(start));
                top = start + s;
            }
        }
        FUZZ_CHECK(l.top == top, "top %llu, model %llu", ull(l.top), ull(top));
    }
}

/* ---- entry points --------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input_t in = {data, size};
    g_op = 0;
    uint8_t mode = next_byte(&in) % 8;
    if (mode < 6)
        run_tlsf(&in);
    else if (mode == 6)
        run_ring(&in);
    else
        run_linear(&in);
    return 0;
}

#ifdef MK_FUZZ_REPLAY
#include <dirent.h>

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    return 1;
}

static int replay_path(const char *path) {
    DIR *d = opendir(path);
    if (!d)
        return replay_file(path);
    int count = 0;
    char child[4096];
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        count += replay_file(child);
    }
    closedir(d);
    return count;
}

/* splitmix64: seeded programs for CI. */
static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* fuzz_suballoc_replay [FILE|DIR…]   replays inputs (libFuzzer corpora, crashes)
 * fuzz_suballoc_replay -n N [-ops M]  N seeded programs of about M operations
 *                                     (default 2000 of 500) */
int main(int argc, char **argv) {
    unsigned long programs = 2000, ops = 500;
    int replayed = 0, files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            programs = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-ops") && i + 1 < argc)
            ops = strtoul(argv[++i], NULL, 10);
        else {
            files = 1;
            replayed += replay_path(argv[i]);
        }
    }
    if (files) {
        printf("fuzz_suballoc: replayed %d inputs\n", replayed);
        return 0;
    }
    static uint8_t buf[1 << 16];
    size_t len = ops * 3 + 8 < sizeof buf ? ops * 3 + 8 : sizeof buf; /* an operation reads 1 to 5 bytes, ~3 */
    unsigned long total_ops = 0;
    for (unsigned long p = 0; p < programs; p++) {
        uint64_t seed = p;
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)splitmix(&seed);
        LLVMFuzzerTestOneInput(buf, len);
        total_ops += g_op;
    }
    printf("fuzz_suballoc: %lu seeded programs, %lu operations, every check held\n", programs, total_ops);
    return 0;
}
#endif
