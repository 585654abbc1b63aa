/* tlsf.c — TLSF over the offsets of one device-memory block; see suballoc.h for
 * the contract.
 *
 * The same algorithm as the heap tier (runtime/src/tiers/heap.c), with the metadata
 * moved out of the block: device memory cannot hold headers, so each range —
 * an allocation or a free range — is a node in a caller-provided array, chained
 * in offset order by prev_phys / next_phys. Free ranges also sit in the
 * segregated list their size maps to (two bitmaps find a non-empty list with one
 * bit scan each). Spare nodes are recycled through a stack.
 *
 * Invariants: the chain starts at nodes[0], which always covers offset 0 (an
 * allocation at offset 0 needs no alignment gap in front, and a free only ever
 * recycles the right-hand node of a merge); the ranges tile [0, size); no two
 * free ranges are adjacent, so a free range's neighbours are allocations, which
 * is all the granularity rule has to look at (see place()).
 */
#include "suballoc.h"

#include "bits.h" /* runtime/src */

#include <stddef.h>

#define NIL MK__GPU_TLSF_NIL
#define SL_LOG2 MK__GPU_TLSF_SL_LOG2
#define SL_COUNT MK__GPU_TLSF_SL_COUNT
#define FL_COUNT MK__GPU_TLSF_FL_COUNT
#define SMALL_SIZE ((uint64_t)1 << SL_LOG2) /* sizes below this map one byte apart into level 0 */

enum { NODE_SPARE = 0, NODE_FREE, NODE_USED };

/* The helpers alloc and free are made of are inlined whatever the compiler's
 * heuristics say (left to them, gcc calls several: a call costs more than
 * their bodies), and the failure paths are marked unlikely. Plain C11 without
 * GCC or Clang. */
#if defined(__GNUC__) || defined(__clang__)
#define HOT_INLINE static inline __attribute__((always_inline))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define HOT_INLINE static inline
#define UNLIKELY(x) (x)
#endif

/* The highest set bit of a non-zero word: mk__msb64, but as clz ^ 63, which
 * gcc compiles to one bsr where it leaves 63 - clz as bsr, xor, sub — three
 * steps on the critical path of every mapping below. */
#if defined(__GNUC__) || defined(__clang__)
HOT_INLINE unsigned msb(uint64_t x) { return (unsigned)__builtin_clzll(x) ^ 63u; }
#else
HOT_INLINE unsigned msb(uint64_t x) { return mk__msb64(x); }
#endif

_Static_assert(FL_COUNT <= 64, "fl_map is 64 bits");
_Static_assert(SL_COUNT <= 32, "sl_map entries are 32 bits");


/* ---- size classes ------------------------------------------------------- */

/* The list a range of `size` bytes belongs to: below SMALL_SIZE level 0, one
 * byte apart; else level msb(size) - (SL_LOG2 - 1), list the SL_LOG2 bits
 * below the top one. Without a branch (alignment gaps fall on either side of
 * SMALL_SIZE at random, which a branch mispredicts): the level is
 * msb(size >> (SL_LOG2 - 1) | 1), 0 below SMALL_SIZE; the shift is
 * msb(size | SMALL_SIZE) - SL_LOG2, 0 below 2 * SMALL_SIZE, where the mask
 * keeps size itself below SMALL_SIZE and drops the top bit above. */
HOT_INLINE void mapping_insert(uint64_t size, unsigned *fl, unsigned *sl) {
    *fl = msb((size >> (SL_LOG2 - 1)) | 1u);
    *sl = (unsigned)(size >> (msb(size | SMALL_SIZE) - SL_LOG2)) & (SL_COUNT - 1u);
}

/* The first list whose every range holds `size`: size rounded up to the next list
 * boundary (good fit). Callers keep size below 2^(MAX_LOG2 + 2): no wrap. */
HOT_INLINE void mapping_search(uint64_t size, unsigned *fl, unsigned *sl) {
    if (size >= SMALL_SIZE)
        size += ((uint64_t)1 << (msb(size) - SL_LOG2)) - 1;
    mapping_insert(size, fl, sl);
}

/* ---- nodes -------------------------------------------------------------- */

HOT_INLINE uint32_t spare_nodes(const mk__gpu_tlsf_t *t) { return t->node_capacity - t->nodes_live; }

/* A node for a new range; the caller has checked spare_nodes(). */
HOT_INLINE uint32_t node_take(mk__gpu_tlsf_t *t) {
    uint32_t i = t->spare;
    if (i != NIL)
        t->spare = t->nodes[i].next_free;
    else
        i = t->nodes_touched++;
    t->nodes_live++;
    return i;
}

HOT_INLINE void node_give(mk__gpu_tlsf_t *t, uint32_t i) {
    t->nodes[i] = (mk__gpu_tlsf_node_t){.state = NODE_SPARE, .next_free = t->spare};
    t->spare = i;
    t->nodes_live--;
}

/* Links the unchained node n into the chain just before / after node at. */
HOT_INLINE void chain_insert_before(mk__gpu_tlsf_t *t, uint32_t at, uint32_t n) {
    mk__gpu_tlsf_node_t *a = &t->nodes[at];
    t->nodes[n].prev_phys = a->prev_phys;
    t->nodes[n].next_phys = at;
    if (a->prev_phys != NIL)
        t->nodes[a->prev_phys].next_phys = n;
    a->prev_phys = n;
}

HOT_INLINE void chain_insert_after(mk__gpu_tlsf_t *t, uint32_t at, uint32_t n) {
    mk__gpu_tlsf_node_t *a = &t->nodes[at];
    t->nodes[n].next_phys = a->next_phys;
    t->nodes[n].prev_phys = at;
    if (a->next_phys != NIL)
        t->nodes[a->next_phys].prev_phys = n;
    a->next_phys = n;
}

/* Node `right` (the chain successor of `left`) merges into `left` and is recycled. */
HOT_INLINE void chain_merge(mk__gpu_tlsf_t *t, uint32_t left, uint32_t right) {
    mk__gpu_tlsf_node_t *l = &t->nodes[left], *r = &t->nodes[right];
    l->size += r->size;
    l->next_phys = r->next_phys;
    if (r->next_phys != NIL)
        t->nodes[r->next_phys].prev_phys = left;
    node_give(t, right);
}

/* ---- free lists --------------------------------------------------------- */

/* A list's head means something only while its bit in sl_map is set, so that
 * init and validate never sweep all FL_COUNT * SL_COUNT heads. */
HOT_INLINE bool list_nonempty(const mk__gpu_tlsf_t *t, unsigned fl, unsigned sl) { return (t->sl_map[fl] >> sl) & 1u; }

HOT_INLINE void list_insert(mk__gpu_tlsf_t *t, uint32_t i) {
    mk__gpu_tlsf_node_t *n = &t->nodes[i];
    unsigned fl, sl;
    mapping_insert(n->size, &fl, &sl);
    n->state = NODE_FREE;
    n->kind = 0;
    n->prev_free = NIL;
    n->next_free = list_nonempty(t, fl, sl) ? t->heads[fl][sl] : NIL;
    if (n->next_free != NIL)
        t->nodes[n->next_free].prev_free = i;
    t->heads[fl][sl] = i;
    t->fl_map |= (uint64_t)1 << fl;
    t->sl_map[fl] |= (uint32_t)1 << sl;
    t->free_bytes += n->size;
}

HOT_INLINE void list_remove(mk__gpu_tlsf_t *t, uint32_t i) {
    mk__gpu_tlsf_node_t *n = &t->nodes[i];
    unsigned fl, sl;
    mapping_insert(n->size, &fl, &sl);
    if (n->next_free != NIL)
        t->nodes[n->next_free].prev_free = n->prev_free;
    if (n->prev_free != NIL)
        t->nodes[n->prev_free].next_free = n->next_free;
    else {
        t->heads[fl][sl] = n->next_free;
        if (n->next_free == NIL) { /* the list is empty now */
            t->sl_map[fl] &= ~((uint32_t)1 << sl);
            if (!t->sl_map[fl])
                t->fl_map &= ~((uint64_t)1 << fl);
        }
    }
    t->free_bytes -= n->size;
}

/* Unlinks node i, the head of list (fl, sl) — every candidate alloc tries is
 * a list head, and it knows the list: list_remove without the mapping. */
HOT_INLINE void list_remove_head(mk__gpu_tlsf_t *t, unsigned fl, unsigned sl, uint32_t i) {
    mk__gpu_tlsf_node_t *n = &t->nodes[i];
    t->heads[fl][sl] = n->next_free;
    if (n->next_free != NIL)
        t->nodes[n->next_free].prev_free = NIL;
    else { /* the list is empty now */
        t->sl_map[fl] &= ~((uint32_t)1 << sl);
        if (!t->sl_map[fl])
            t->fl_map &= ~((uint64_t)1 << fl);
    }
    t->free_bytes -= n->size;
}

/* The head of the first non-empty list whose ranges all hold `size`, or NIL;
 * the list in *fl, *sl when there is one. */
HOT_INLINE uint32_t list_find_holding(const mk__gpu_tlsf_t *t, uint64_t size, unsigned *fl_out, unsigned *sl_out) {
    unsigned fl, sl;
    mapping_search(size, &fl, &sl);
    if (UNLIKELY(fl >= FL_COUNT))
        return NIL;
    uint32_t sl_bits = t->sl_map[fl] & (~(uint32_t)0 << sl);
    if (!sl_bits) {
        uint64_t fl_bits = t->fl_map & (~(uint64_t)0 << (fl + 1)); /* fl + 1 <= FL_COUNT < 64 */
        if (!fl_bits)
            return NIL;
        fl = mk__ctz64(fl_bits);
        sl_bits = t->sl_map[fl];
    }
    *fl_out = fl;
    *sl_out = mk__ctz64(sl_bits);
    return t->heads[fl][*sl_out];
}

/* The head of the highest non-empty list (a largest range, or close), or NIL. */
static uint32_t list_head_highest(const mk__gpu_tlsf_t *t) {
    if (!t->fl_map)
        return NIL;
    unsigned fl = msb(t->fl_map);
    return t->heads[fl][msb(t->sl_map[fl])];
}

/* ---- granularity -------------------------------------------------------- */

/* Vulkan lets linear and non-linear resources alias when they are closer than
 * bufferImageGranularity; VMA's suballocation-type table says which pairs
 * conflict. Only LINEAR-LINEAR and OPTIMAL-OPTIMAL may share a page, so
 * "may share a page" is an equivalence: if A and B share a page, C conflicts
 * with A exactly when it conflicts with B. That is why place() only looks at
 * the allocations next to a free range, never further. */
HOT_INLINE bool kinds_conflict(unsigned a, unsigned b) { return a != b || a == MK__GPU_KIND_UNKNOWN; }

HOT_INLINE uint64_t page_of(const mk__gpu_tlsf_t *t, uint64_t offset) { return offset & ~(t->granularity - 1); }

/* Where `size` bytes of `kind` at `align` would start inside free range f, or
 * false when they do not fit there. VMA's rule: if the allocation before f
 * conflicts and its last page is the start's page, start on the next page; if
 * the allocation after f conflicts, the page it starts on is off limits. Any
 * allocation further away that shares those pages shares them with the
 * neighbour too, hence has the neighbour's kind (kinds_conflict).
 * A neighbour's kind is read only when its page is in play — the start would
 * be on the previous allocation's last page, the request would reach into the
 * page the next allocation starts on — hence never with granularity 1 (a page
 * a byte), and the next one's only for a near-exact fit. At offset 0,
 * offset - 1 wraps to a page no start is on (and prev_phys is NIL there). */
HOT_INLINE bool place(const mk__gpu_tlsf_t *t, const mk__gpu_tlsf_node_t *f, uint64_t size, uint64_t align,
                      unsigned kind, uint64_t *start_out) {
    uint64_t end = f->offset + f->size;
    uint64_t start = mk__gpu_align_up(f->offset, align);
    if (page_of(t, f->offset - 1) == page_of(t, start) && f->prev_phys != NIL &&
        kinds_conflict(t->nodes[f->prev_phys].kind, kind))
        start = mk__gpu_align_up(start, t->granularity); /* a multiple of align too: align < granularity here */
    /* start + size: below 2^(MAX_LOG2 + 2), no wrap */
    if (start + size > end ||
        (start + size > page_of(t, end) && f->next_phys != NIL && kinds_conflict(t->nodes[f->next_phys].kind, kind)))
        return false;
    *start_out = start;
    return true;
}

/* ---- public ------------------------------------------------------------- */

mk__gpu_status_t mk__gpu_tlsf_init(mk__gpu_tlsf_t *t, uint64_t size, uint64_t granularity,
                                   mk__gpu_tlsf_node_t *nodes, uint32_t node_capacity) {
    if (!t || !nodes || node_capacity == 0 || node_capacity == NIL || size == 0 || size > MK__GPU_SUB_MAX_SIZE ||
        !mk__gpu_is_pow2(granularity) || granularity > MK__GPU_SUB_MAX_SIZE)
        return MK__GPU_EINVAL;
    *t = (mk__gpu_tlsf_t){.size = size,
                          .granularity = granularity,
                          .nodes = nodes,
                          .node_capacity = node_capacity,
                          .nodes_touched = 1,
                          .nodes_live = 1,
                          .spare = NIL};
    nodes[0] = (mk__gpu_tlsf_node_t){.offset = 0, .size = size, .prev_phys = NIL, .next_phys = NIL};
    list_insert(t, 0);
    return MK__GPU_OK;
}

mk__gpu_status_t mk__gpu_tlsf_alloc(mk__gpu_tlsf_t *t, uint64_t size, uint64_t alignment, mk__gpu_kind_t kind,
                                    uint64_t *offset, uint32_t *handle) {
    if (UNLIKELY(!t || !offset || !handle || (unsigned)kind >= MK__GPU_KIND_COUNT ||
                 !mk__gpu_request_ok(size, alignment)))
        return MK__GPU_EINVAL;
    if (UNLIKELY(size > t->size))
        return MK__GPU_ENOSPACE;
    /* The most alignment and granularity can take from a free range: a gap in
     * front up to the larger of the two, the last page when the next neighbour
     * conflicts. Below 2^(MAX_LOG2 + 2): no wrap. */
    uint64_t gran = t->granularity;
    uint64_t slack = (alignment > gran ? alignment : gran) - 1 + (gran - 1);
    /* A near-exact fit first (the head of size's own list, when it holds the
     * request), then good fit, then the heads that may hold it without a
     * guarantee: the list size + slack maps to, the highest list (so that an
     * empty block serves any request up to its size). Each is looked up only
     * when the ones before failed, and a head already tried is not tried again
     * (place() would fail it again). (fl, sl): the list of the one that holds it. */
    unsigned fl, sl;
    mapping_insert(size, &fl, &sl); /* fl < FL_COUNT: size <= MK__GPU_SUB_MAX_SIZE */
    uint32_t fi = NIL, c0 = NIL;
    uint64_t start = 0;
    if (list_nonempty(t, fl, sl)) {
        c0 = t->heads[fl][sl];
        if (place(t, &t->nodes[c0], size, alignment, (unsigned)kind, &start))
            fi = c0;
    }
    if (fi == NIL) {
        uint32_t c1 = list_find_holding(t, size + slack, &fl, &sl);
        if (c1 != NIL && c1 != c0 && place(t, &t->nodes[c1], size, alignment, (unsigned)kind, &start))
            fi = c1;
        else {
            uint32_t c2 = NIL;
            mapping_insert(size + slack, &fl, &sl);
            if (fl < FL_COUNT && list_nonempty(t, fl, sl)) {
                c2 = t->heads[fl][sl];
                if (c2 != c0 && c2 != c1 && place(t, &t->nodes[c2], size, alignment, (unsigned)kind, &start))
                    fi = c2;
            }
            if (fi == NIL && t->fl_map) {
                fl = msb(t->fl_map);
                sl = msb(t->sl_map[fl]);
                uint32_t c3 = t->heads[fl][sl];
                if (c3 != c0 && c3 != c1 && c3 != c2 &&
                    place(t, &t->nodes[c3], size, alignment, (unsigned)kind, &start))
                    fi = c3;
            }
            if (fi == NIL)
                return MK__GPU_ENOSPACE;
        }
    }

    mk__gpu_tlsf_node_t *f = &t->nodes[fi];
    uint64_t gap = start - f->offset;
    uint64_t rest = f->offset + f->size - (start + size);
    if (UNLIKELY(spare_nodes(t) < (uint32_t)(gap != 0) + (uint32_t)(rest != 0)))
        return MK__GPU_ENODES;

    /* f becomes the allocation; the gap and the rest become free ranges. Their
     * outer neighbours are allocations, so nothing merges. */
    list_remove_head(t, fl, sl, fi);
    if (gap) {
        uint32_t g = node_take(t);
        t->nodes[g].offset = f->offset;
        t->nodes[g].size = gap;
        chain_insert_before(t, fi, g);
        list_insert(t, g);
    }
    if (rest) {
        uint32_t r = node_take(t);
        t->nodes[r].offset = start + size;
        t->nodes[r].size = rest;
        chain_insert_after(t, fi, r);
        list_insert(t, r);
    }
    f->offset = start;
    f->size = size;
    f->state = NODE_USED;
    f->kind = (uint8_t)kind;
    t->used += size;
    t->count++;
    *offset = start;
    *handle = fi;
    return MK__GPU_OK;
}

mk__gpu_status_t mk__gpu_tlsf_free(mk__gpu_tlsf_t *t, uint32_t handle) {
    if (UNLIKELY(!t || handle >= t->nodes_touched || t->nodes[handle].state != NODE_USED))
        return MK__GPU_EINVAL;
    uint32_t b = handle;
    t->used -= t->nodes[b].size;
    t->count--;

    uint32_t next = t->nodes[b].next_phys;
    if (next != NIL && t->nodes[next].state == NODE_FREE) {
        list_remove(t, next);
        chain_merge(t, b, next);
    }
    uint32_t prev = t->nodes[b].prev_phys;
    if (prev != NIL && t->nodes[prev].state == NODE_FREE) {
        list_remove(t, prev);
        chain_merge(t, prev, b);
        b = prev;
    }
    list_insert(t, b);
    return MK__GPU_OK;
}

uint64_t mk__gpu_tlsf_largest_free(const mk__gpu_tlsf_t *t) {
    uint64_t largest = 0;
    for (uint32_t i = list_head_highest(t); i != NIL; i = t->nodes[i].next_free)
        if (t->nodes[i].size > largest)
            largest = t->nodes[i].size;
    return largest;
}

/* The chain: ranges tile [0, size) from nodes[0], links agree both ways, free
 * ranges never touch, conflicting allocations never share a page (checked
 * between consecutive allocations: sharing a page is an equivalence), counters
 * match. Counts the free ranges into *free_ranges. */
static bool chain_ok(const mk__gpu_tlsf_t *t, uint32_t *free_ranges) {
    uint64_t expect = 0, used = 0, free_bytes = 0;
    uint32_t visited = 0, allocations = 0, frees = 0, prev = NIL, last_used = NIL;
    bool prev_free = false;
    for (uint32_t i = 0; i != NIL; i = t->nodes[i].next_phys) {
        if (i >= t->nodes_touched || ++visited > t->nodes_live)
            return false;
        const mk__gpu_tlsf_node_t *n = &t->nodes[i];
        if (n->prev_phys != prev || n->offset != expect || n->size == 0 || n->size > t->size - expect)
            return false;
        if (n->state == NODE_FREE) {
            if (prev_free || n->kind != 0)
                return false;
            free_bytes += n->size;
            frees++;
        } else if (n->state == NODE_USED) {
            if (n->kind >= MK__GPU_KIND_COUNT)
                return false;
            if (last_used != NIL) {
                const mk__gpu_tlsf_node_t *u = &t->nodes[last_used];
                if (kinds_conflict(u->kind, n->kind) && page_of(t, u->offset + u->size - 1) == page_of(t, n->offset))
                    return false;
            }
            used += n->size;
            allocations++;
            last_used = i;
        } else
            return false;
        prev_free = n->state == NODE_FREE;
        expect += n->size;
        prev = i;
    }
    *free_ranges = frees;
    return expect == t->size && visited == t->nodes_live && used == t->used && free_bytes == t->free_bytes &&
           allocations == t->count;
}

/* The bitmaps agree with each other; every list they mark holds free ranges of
 * its class with consistent links; as many entries as free ranges in the chain
 * means each is listed once. */
static bool lists_ok(const mk__gpu_tlsf_t *t, uint32_t free_ranges) {
    uint32_t listed = 0;
    if (t->fl_map >> FL_COUNT)
        return false;
    for (unsigned fl = 0; fl < FL_COUNT; fl++) {
        if (((t->fl_map >> fl) & 1u) != (t->sl_map[fl] != 0))
            return false;
        for (uint32_t sl_bits = t->sl_map[fl]; sl_bits; sl_bits &= sl_bits - 1) {
            unsigned sl = mk__ctz64(sl_bits);
            uint32_t i = t->heads[fl][sl];
            if (i == NIL)
                return false;
            for (uint32_t link_prev = NIL; i != NIL; link_prev = i, i = t->nodes[i].next_free) {
                unsigned nfl, nsl;
                if (i >= t->nodes_touched || t->nodes[i].state != NODE_FREE || ++listed > free_ranges ||
                    t->nodes[i].prev_free != link_prev)
                    return false;
                mapping_insert(t->nodes[i].size, &nfl, &nsl);
                if (nfl != fl || nsl != sl)
                    return false;
            }
        }
    }
    return listed == free_ranges;
}

/* Spare nodes: touched, marked spare, and with the chain they account for every
 * touched node. */
static bool spares_ok(const mk__gpu_tlsf_t *t) {
    uint32_t spares = 0;
    for (uint32_t i = t->spare; i != NIL; i = t->nodes[i].next_free)
        if (i >= t->nodes_touched || t->nodes[i].state != NODE_SPARE || ++spares > t->nodes_touched)
            return false;
    return spares + t->nodes_live == t->nodes_touched;
}

bool mk__gpu_tlsf_validate(const mk__gpu_tlsf_t *t) {
    if (!t || !t->nodes || t->size == 0 || t->size > MK__GPU_SUB_MAX_SIZE || !mk__gpu_is_pow2(t->granularity) ||
        t->nodes_touched > t->node_capacity || t->nodes_live > t->nodes_touched || t->nodes_live == 0 ||
        t->used + t->free_bytes != t->size)
        return false;
    uint32_t free_ranges = 0;
    return chain_ok(t, &free_ranges) && lists_ok(t, free_ranges) && spares_ok(t);
}

void mk__gpu_tlsf_walk(const mk__gpu_tlsf_t *t, mk__gpu_tlsf_visit_t visit, void *user) {
    for (uint32_t i = 0; i != NIL; i = t->nodes[i].next_phys) {
        const mk__gpu_tlsf_node_t *n = &t->nodes[i];
        bool used = n->state == NODE_USED;
        visit(user, n->offset, n->size, used ? i : NIL, used ? (mk__gpu_kind_t)n->kind : MK__GPU_KIND_LINEAR);
    }
}
