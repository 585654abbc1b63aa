/* heap.c — TLSF over one region; see heap.h for the contract.
 *
 * Block header (16 bytes on every target):
 *   word       bits 0..55 the block size (header included, a multiple of 16, so
 *              bit 0 is free for the FREE flag), bits 56..63 the caller's tag;
 *              first, so that it sits 16 bytes before the payload on every
 *              target (the heap tier's per-thread front reads and retags it,
 *              memkit/fastpath.h)
 *   prev_phys  the physically previous block, NULL for the first one; kept valid
 *              for used blocks too, so freeing finds its left neighbour in O(1)
 * On 32-bit targets the word and the pointer take 12 bytes and the header is
 * padded to 16 so payloads stay 16-aligned.
 *
 * Invariants: sizes are multiples of 16 and at least MIN_BLOCK; no two free
 * blocks are adjacent (free coalesces at once), so a free block's neighbours are
 * used, which lets alloc and resize split without merging again.
 */
#include "heap.h"
#include "align.h"
#include "bits.h"

#if !defined(MK__HEAP_STANDALONE) && MKG_THREADS
#include <stdatomic.h>
#endif

#include <memkit/track.h>

#define HDR ((size_t)16)
#define ALIGN ((size_t)1 << MK__HEAP_ALIGN_LOG2)
#define FL_SHIFT (MK__HEAP_SL_LOG2 + MK__HEAP_ALIGN_LOG2)
#define SMALL_SIZE ((size_t)1 << FL_SHIFT) /* sizes below this map linearly into level 0 */

#define WORD_FREE ((uint64_t)1)
#define WORD_TAG_SHIFT 56
#define WORD_SIZE_MASK ((((uint64_t)1 << WORD_TAG_SHIFT) - 1) & ~(uint64_t)(ALIGN - 1))

/* The heap tier's per-thread front (memkit/fastpath.h) retags allocated blocks
 * outside the heap lock while a free under it reads a neighbour's word:
 * relaxed atomics there (plain moves on 64-bit targets). */
#if !defined(MK__HEAP_STANDALONE) && MKG_THREADS && ATOMIC_LLONG_LOCK_FREE == 2 &&                              \
    !(defined(MK_LOCKED_ATOMIC64) && MK_LOCKED_ATOMIC64) /* the heap front is off (fastpath.h) */
typedef _Atomic(uint64_t) word_t;
#define WORD_GET(b) atomic_load_explicit(&(b)->word, memory_order_relaxed)
#define WORD_PUT(b, v) atomic_store_explicit(&(b)->word, (v), memory_order_relaxed)
#else
typedef uint64_t word_t;
#define WORD_GET(b) ((b)->word)
#define WORD_PUT(b, v) ((b)->word = (v))
#endif

typedef struct mk__heap_block {
    word_t word; /* first: 16 bytes before the payload on every target (fastpath.h reads it) */
    struct mk__heap_block *prev_phys;
} block_t;

/* Free-list links, stored in a free block's payload. */
typedef struct {
    block_t *next;
    block_t *prev;
} links_t;

#define MIN_BLOCK (HDR + ((sizeof(links_t) + ALIGN - 1) & ~(ALIGN - 1)))

_Static_assert(sizeof(block_t) <= 16, "block header must fit 16 bytes");
_Static_assert(offsetof(block_t, word) == 0, "the heap front reads the word at payload - 16 (fastpath.h)");
_Static_assert(MIN_BLOCK == HDR + ALIGN, "links fit the smallest payload, so block_need() >= MIN_BLOCK");
_Static_assert(MK__HEAP_MIN_REGION == MIN_BLOCK + HDR, "one block and the sentinel");
_Static_assert(MK__HEAP_FL_COUNT <= 64, "fl_map is 64 bits");
_Static_assert(MK__HEAP_SL_COUNT <= 32, "sl_map entries are 32 bits");


/* ---- block accessors ---------------------------------------------------- */

static size_t block_size(const block_t *b) { return (size_t)(WORD_GET(b) & WORD_SIZE_MASK); }
static bool block_is_free(const block_t *b) { return (WORD_GET(b) & WORD_FREE) != 0; }

static void block_set_size(block_t *b, size_t size) {
    WORD_PUT(b, (WORD_GET(b) & ~WORD_SIZE_MASK) | (uint64_t)size);
}

static block_t *block_next(const block_t *b) {
    return (block_t *)(void *)((unsigned char *)(uintptr_t)b + block_size(b));
}

static links_t *block_links(block_t *b) { return (links_t *)(void *)((unsigned char *)b + HDR); }
static void *block_payload(block_t *b) { return (unsigned char *)b + HDR; }

static block_t *block_from_payload(const void *p) {
    return (block_t *)(void *)((unsigned char *)(uintptr_t)p - HDR);
}

static block_t *heap_sentinel(const mk__heap_t *h) {
    return (block_t *)(void *)(h->base + h->bytes - HDR);
}

/* Makes b's right neighbour point back at b after b's size changed. */
static void block_link_next(block_t *b) { block_next(b)->prev_phys = b; }

/* ---- size classes ------------------------------------------------------- */

/* The list a block of `size` belongs to. */
static void mapping_insert(size_t size, unsigned *fl, unsigned *sl) {
    if (size < SMALL_SIZE) {
        *fl = 0;
        *sl = (unsigned)(size >> MK__HEAP_ALIGN_LOG2);
    } else {
        unsigned top = mk__msb64((uint64_t)size);
        *sl = (unsigned)(size >> (top - MK__HEAP_SL_LOG2)) ^ (unsigned)MK__HEAP_SL_COUNT;
        *fl = top - (FL_SHIFT - 1);
    }
}

/* The first list whose every block holds `size`: round size up to the next list
 * boundary (good fit). Callers keep size below 2^(MAX_LOG2 + 1), so no wrap. */
static void mapping_search(size_t size, unsigned *fl, unsigned *sl) {
    if (size >= SMALL_SIZE)
        size += ((size_t)1 << (mk__msb64((uint64_t)size) - MK__HEAP_SL_LOG2)) - 1;
    mapping_insert(size, fl, sl);
}

/* ---- free lists --------------------------------------------------------- */

/* For AddressSanitizer and Valgrind (memkit/track.h): headers are always
 * addressable, a free block's links are, the rest of a free block's payload
 * is not. Without either tool these calls vanish. */
static void track_free_payload(const mk__heap_t *h, block_t *b) {
    if (h->track)
        mk_track_close((unsigned char *)block_payload(b) + sizeof(links_t), block_size(b) - HDR - sizeof(links_t));
}

static void list_insert(mk__heap_t *h, block_t *b) {
    unsigned fl, sl;
    mapping_insert(block_size(b), &fl, &sl);
    links_t *l = block_links(b);
    if (h->track)
        mk_track_open(l, sizeof *l);
    l->next = h->heads[fl][sl];
    l->prev = NULL;
    if (l->next)
        block_links(l->next)->prev = b;
    h->heads[fl][sl] = b;
    h->fl_map |= (uint64_t)1 << fl;
    h->sl_map[fl] |= (uint32_t)1 << sl;
    WORD_PUT(b, WORD_GET(b) | WORD_FREE);
    h->free_bytes += block_size(b);
}

static void list_remove(mk__heap_t *h, block_t *b) {
    unsigned fl, sl;
    mapping_insert(block_size(b), &fl, &sl);
    links_t *l = block_links(b);
    if (l->next)
        block_links(l->next)->prev = l->prev;
    if (l->prev)
        block_links(l->prev)->next = l->next;
    else {
        h->heads[fl][sl] = l->next;
        if (!l->next) {
            h->sl_map[fl] &= ~((uint32_t)1 << sl);
            if (!h->sl_map[fl])
                h->fl_map &= ~((uint64_t)1 << fl);
        }
    }
    WORD_PUT(b, WORD_GET(b) & ~WORD_FREE);
    h->free_bytes -= block_size(b);
}

/* First block of the first non-empty list at or above (fl, sl), or NULL. */
static block_t *list_find(const mk__heap_t *h, unsigned fl, unsigned sl) {
    uint32_t sl_bits = h->sl_map[fl] & (~(uint32_t)0 << sl);
    if (!sl_bits) {
        uint64_t fl_bits = h->fl_map & (~(uint64_t)0 << (fl + 1));
        if (!fl_bits)
            return NULL;
        fl = mk__ctz64(fl_bits);
        sl_bits = h->sl_map[fl];
    }
    return h->heads[fl][mk__ctz64(sl_bits)];
}

/* Cuts b (not in any list) to `keep` bytes and returns the remainder as a new,
 * unlisted block. The caller ensures block_size(b) >= keep + MIN_BLOCK. */
static block_t *block_split(const mk__heap_t *h, block_t *b, size_t keep) {
    block_t *rest = (block_t *)(void *)((unsigned char *)b + keep);
    if (h->track)
        mk_track_open(rest, HDR); /* a new header where payload was */
    rest->prev_phys = b;
    WORD_PUT(rest, (uint64_t)(block_size(b) - keep));
    block_link_next(rest);
    block_set_size(b, keep);
    return rest;
}

/* Absorbs b's right neighbour (unlisted by the caller) into b. */
static void block_absorb_next(block_t *b) {
    block_set_size(b, block_size(b) + block_size(block_next(b)));
    block_link_next(b);
}

/* ---- requests ----------------------------------------------------------- */

/* The block size serving `size` payload bytes (0 counts as 1): the payload
 * rounded up to 16 plus the header, hence never below MIN_BLOCK. */
static size_t block_need(size_t size) {
    return (((size ? size : 1) + ALIGN - 1) & ~(ALIGN - 1)) + HDR;
}

/* Bytes in front of b's payload to skip so that the payload is aligned: 0, or at
 * least MIN_BLOCK so that the gap can stand as a free block of its own. */
static size_t align_gap(block_t *b, size_t align) {
    size_t gap = (size_t)mk__align_pad((uintptr_t)block_payload(b), (uintptr_t)align);
    if (gap && gap < MIN_BLOCK)
        gap += align;
    return gap;
}

/* The first block of the list `class_size` maps to, if it holds `need` bytes
 * with its alignment gap; else NULL. */
static block_t *head_if_fits(const mk__heap_t *h, size_t class_size, size_t need, size_t align) {
    unsigned fl, sl;
    mapping_insert(class_size, &fl, &sl);
    if (fl >= MK__HEAP_FL_COUNT)
        return NULL;
    block_t *head = h->heads[fl][sl];
    if (!head || block_size(head) < need || block_size(head) - need < align_gap(head, align))
        return NULL;
    return head;
}

/* ---- public ------------------------------------------------------------- */

bool mk__heap_init(mk__heap_t *h, void *mem, size_t bytes) {
    return mk__heap_init_tracked(h, mem, bytes, MK_TRACKING);
}

bool mk__heap_init_tracked(mk__heap_t *h, void *mem, size_t bytes, bool track) {
    if (!h || !mem || ((uintptr_t)mem & (ALIGN - 1)))
        return false;
    bytes &= ~(ALIGN - 1);
    if (bytes < MK__HEAP_MIN_REGION || bytes > MK__HEAP_MAX_REGION)
        return false;

    *h = (mk__heap_t){0};
    h->base = mem;
    h->bytes = bytes;
    h->track = track;
    if (h->track)
        mk_track_open(mem, bytes); /* a fresh region, whatever an earlier heap left marked */

    block_t *first = (block_t *)mem;
    first->prev_phys = NULL;
    WORD_PUT(first, (uint64_t)(bytes - HDR));
    block_t *sentinel = heap_sentinel(h);
    sentinel->prev_phys = first;
    WORD_PUT(sentinel, 0); /* size 0, used: coalescing stops here */
    list_insert(h, first);
    track_free_payload(h, first);
    return true;
}

void *mk__heap_alloc(mk__heap_t *h, size_t size, size_t align, uint8_t tag) {
    if (align < ALIGN)
        align = ALIGN;
    if ((align & (align - 1)) || size > h->bytes || align > h->bytes)
        return NULL;
    /* From here every sum stays below 2 * MAX_REGION + 64: no wrap. */
    size_t need = block_need(size);
    /* The gap align_gap may demand is at most align + 16 (an align-16 gap bumped
     * past MIN_BLOCK); asking for it up front keeps aligned requests O(1). */
    size_t worst = align > ALIGN ? need + align + HDR : need;

    block_t *b = NULL;
    unsigned fl, sl;
    mapping_search(worst, &fl, &sl);
    if (fl < MK__HEAP_FL_COUNT)
        b = list_find(h, fl, sl);
    if (!b) {
        /* Good fit rounded past the last non-empty list; the first block of the
         * list the request maps to may still hold it (largest_free counts on it). */
        b = head_if_fits(h, worst, need, align);
        if (!b && worst != need)
            b = head_if_fits(h, need, need, align);
        if (!b)
            return NULL;
    }

    list_remove(h, b);
    size_t gap = align_gap(b, align);
    if (gap) {
        /* b's left neighbour is used, so the gap needs no merging. */
        block_t *aligned = block_split(h, b, gap);
        list_insert(h, b);
        b = aligned;
    }
    if (block_size(b) - need >= MIN_BLOCK) /* b's right neighbour is used too */
        list_insert(h, block_split(h, b, need));

    WORD_PUT(b, (WORD_GET(b) & WORD_SIZE_MASK) | ((uint64_t)tag << WORD_TAG_SHIFT));
    h->used += block_size(b);
    if (h->used > h->peak)
        h->peak = h->used;
    if (h->track)
        mk_track_open(block_payload(b), block_size(b) - HDR);
    return block_payload(b);
}

void mk__heap_free(mk__heap_t *h, void *p) {
    block_t *b = block_from_payload(p);
    h->used -= block_size(b);
    WORD_PUT(b, WORD_GET(b) & WORD_SIZE_MASK); /* drop the tag */

    block_t *next = block_next(b);
    if (block_is_free(next)) {
        list_remove(h, next);
        block_absorb_next(b);
    }
    block_t *prev = b->prev_phys;
    if (prev && block_is_free(prev)) {
        list_remove(h, prev);
        block_absorb_next(prev);
        b = prev;
    }
    list_insert(h, b);
    track_free_payload(h, b);
}

bool mk__heap_resize(mk__heap_t *h, void *p, size_t new_size) {
    if (new_size > h->bytes)
        return false;
    size_t need = block_need(new_size);
    block_t *b = block_from_payload(p);
    size_t old = block_size(b);
    block_t *next = block_next(b);
    bool absorb = block_is_free(next);
    size_t avail = old + (absorb ? block_size(next) : 0);
    if (need > avail)
        return false;
    /* A free neighbour is absorbed even when shrinking, so that the cut-off tail
     * and the neighbour come back as one free block. */
    if (absorb) {
        list_remove(h, next);
        block_absorb_next(b);
    }
    if (avail - need >= MIN_BLOCK) { /* the right neighbour is used now */
        block_t *rest = block_split(h, b, need);
        list_insert(h, rest);
        track_free_payload(h, rest);
    }

    h->used = h->used - old + block_size(b);
    if (h->used > h->peak)
        h->peak = h->used;
    if (h->track)
        mk_track_open(block_payload(b), block_size(b) - HDR);
    return true;
}

bool mk__heap_is_block(const mk__heap_t *h, const void *p) {
    if (!mk__heap_owns(h, p) || ((uintptr_t)p & (ALIGN - 1)) || (const unsigned char *)p < h->base + HDR)
        return false;
    const block_t *b = block_from_payload(p);
    size_t size = block_size(b);
    size_t room = (size_t)((const unsigned char *)heap_sentinel(h) - (const unsigned char *)b);
    if (block_is_free(b) || size < MIN_BLOCK || size > room)
        return false;
    return block_next(b)->prev_phys == b;
}

size_t mk__heap_usable_size(const void *p) { return block_size(block_from_payload(p)) - HDR; }

uint8_t mk__heap_tag(const void *p) {
    return (uint8_t)(WORD_GET(block_from_payload(p)) >> WORD_TAG_SHIFT);
}

bool mk__heap_block_free(const void *p) { return block_is_free(block_from_payload(p)); }

bool mk__heap_owns(const mk__heap_t *h, const void *p) {
    uintptr_t a = (uintptr_t)p, lo = (uintptr_t)h->base;
    return a >= lo && a - lo < h->bytes;
}

size_t mk__heap_largest_free(const mk__heap_t *h) {
    if (!h->fl_map)
        return 0;
    unsigned fl = mk__msb64(h->fl_map);
    unsigned sl = mk__msb64(h->sl_map[fl]);
    return block_size(h->heads[fl][sl]) - HDR;
}

/* A free-list entry must be a 16-aligned address inside the block area. */
static bool block_addr_ok(const mk__heap_t *h, const block_t *b) {
    uintptr_t a = (uintptr_t)b, lo = (uintptr_t)h->base;
    return a >= lo && a - lo < h->bytes - HDR && !(a & (ALIGN - 1));
}

bool mk__heap_check(const mk__heap_t *h) {
    if (!h->base || (h->bytes & (ALIGN - 1)) || h->bytes < MK__HEAP_MIN_REGION)
        return false;
    const block_t *end = heap_sentinel(h);
    size_t used = 0, free_bytes = 0, free_count = 0;
    const block_t *prev = NULL;
    bool prev_free = false;
    for (const block_t *b = (const block_t *)(const void *)h->base; b != end; b = block_next(b)) {
        size_t size = block_size(b);
        if (b->prev_phys != prev || size < MIN_BLOCK ||
            size > (size_t)((const unsigned char *)end - (const unsigned char *)b))
            return false;
        bool is_free = block_is_free(b);
        if (is_free) {
            if (prev_free || (WORD_GET(b) >> WORD_TAG_SHIFT) != 0)
                return false;
            free_bytes += size;
            free_count++;
        } else
            used += size;
        if (WORD_GET(b) & ~(WORD_SIZE_MASK | WORD_FREE | ((uint64_t)0xFF << WORD_TAG_SHIFT)))
            return false;
        prev = b;
        prev_free = is_free;
    }
    if (end->prev_phys != prev || WORD_GET(end) != 0)
        return false;
    if (used != h->used || free_bytes != h->free_bytes || used > h->peak ||
        used + free_bytes != h->bytes - HDR)
        return false;

    /* Every list entry is a free block of the right class with consistent links;
     * as many entries as free blocks means every free block is listed once. */
    size_t listed = 0;
    for (unsigned fl = 0; fl < MK__HEAP_FL_COUNT; fl++) {
        if (((h->fl_map >> fl) & 1u) != (h->sl_map[fl] != 0))
            return false;
        if (h->sl_map[fl] >> MK__HEAP_SL_COUNT)
            return false;
        for (unsigned sl = 0; sl < MK__HEAP_SL_COUNT; sl++) {
            block_t *b = h->heads[fl][sl];
            if (((h->sl_map[fl] >> sl) & 1u) != (b != NULL))
                return false;
            block_t *link_prev = NULL;
            for (; b; b = block_links(b)->next) {
                unsigned bfl, bsl;
                if (!block_addr_ok(h, b) || !block_is_free(b) || ++listed > free_count)
                    return false;
                mapping_insert(block_size(b), &bfl, &bsl);
                if (bfl != fl || bsl != sl || block_links(b)->prev != link_prev)
                    return false;
                link_prev = b;
            }
        }
    }
    if (h->fl_map >> MK__HEAP_FL_COUNT)
        return false;
    return listed == free_count;
}
