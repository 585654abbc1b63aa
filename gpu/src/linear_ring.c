/* linear_ring.c — the per-frame linear heap and the staging ring; see
 * suballoc.h for the contract.
 *
 * Both hand out offsets in order and free in bulk, so neither keeps a record per
 * allocation: the linear heap is one bump offset; the ring is a head and a tail
 * plus one mark per distinct live tag (where that tag's allocations end).
 *
 * The ring counts in positions, bytes since the ring last emptied, so that "does
 * it fit" is one subtraction whatever the wraps: the live bytes are positions
 * [tail, head), at most size of them; offset 0 of the pass head is in sits at
 * position lap. A request that does not fit before the end of the block skips to
 * the next pass (lap += size), leaving positions [skip_from, lap) empty; when the
 * tail reaches skip_from it jumps to lap. One skip at most is pending: a second
 * wrap needs an end within size of the tail, so the tail is past the first.
 */
#include "suballoc.h"

#include <stddef.h>

/* ---- linear ------------------------------------------------------------- */

mk__gpu_status_t mk__gpu_linear_init(mk__gpu_linear_t *l, uint64_t size) {
    if (!l || size == 0 || size > MK__GPU_SUB_MAX_SIZE)
        return MK__GPU_EINVAL;
    *l = (mk__gpu_linear_t){.size = size};
    return MK__GPU_OK;
}

mk__gpu_status_t mk__gpu_linear_alloc(mk__gpu_linear_t *l, uint64_t size, uint64_t alignment, uint64_t *offset) {
    if (!l || !offset || !mk__gpu_request_ok(size, alignment))
        return MK__GPU_EINVAL;
    uint64_t start = mk__gpu_align_up(l->top, alignment);
    if (start > l->size || l->size - start < size)
        return MK__GPU_ENOSPACE;
    l->top = start + size;
    l->count++;
    *offset = start;
    return MK__GPU_OK;
}

void mk__gpu_linear_reset(mk__gpu_linear_t *l) {
    l->top = 0;
    l->count = 0;
}

/* ---- ring --------------------------------------------------------------- */

mk__gpu_status_t mk__gpu_ring_init(mk__gpu_ring_t *r, uint64_t size, mk__gpu_ring_mark_t *marks,
                                   uint32_t mark_capacity) {
    if (!r || !marks || mark_capacity == 0 || size == 0 || size > MK__GPU_SUB_MAX_SIZE)
        return MK__GPU_EINVAL;
    *r = (mk__gpu_ring_t){.size = size, .marks = marks, .mark_capacity = mark_capacity};
    return MK__GPU_OK;
}

static mk__gpu_ring_mark_t *newest_mark(const mk__gpu_ring_t *r) {
    return &r->marks[((uint64_t)r->mark_first + r->mark_count - 1) % r->mark_capacity];
}

mk__gpu_status_t mk__gpu_ring_alloc(mk__gpu_ring_t *r, uint64_t size, uint64_t alignment, uint64_t tag,
                                    uint64_t *offset) {
    if (!r || !offset || !mk__gpu_request_ok(size, alignment))
        return MK__GPU_EINVAL;
    mk__gpu_ring_mark_t *newest = r->mark_count ? newest_mark(r) : NULL;
    if (newest && tag < newest->tag)
        return MK__GPU_EINVAL;
    bool new_tag = !newest || tag != newest->tag;
    if (new_tag && r->mark_count == r->mark_capacity)
        return MK__GPU_ENODES;
    if (size > r->size)
        return MK__GPU_ENOSPACE;

    /* head - lap <= size and alignment <= MAX_SIZE: no wrap below. */
    uint64_t lap = r->lap;
    uint64_t start = mk__gpu_align_up(r->head - lap, alignment);
    bool wrap = start > r->size || r->size - start < size; /* not before the end: offset 0 of the next pass */
    if (wrap) {
        lap += r->size;
        start = 0;
    }
    uint64_t end = lap + start + size;
    if (end - r->tail > r->size) /* it would reach the oldest live byte */
        return MK__GPU_ENOSPACE;

    if (wrap)
        r->skip_from = r->head;
    r->lap = lap;
    r->head = end;
    if (new_tag) {
        r->mark_count++;
        newest = newest_mark(r);
        newest->tag = tag;
    }
    newest->end = end;
    *offset = start;
    return MK__GPU_OK;
}

void mk__gpu_ring_release_through(mk__gpu_ring_t *r, uint64_t tag) {
    while (r->mark_count && r->marks[r->mark_first].tag <= tag) {
        r->tail = r->marks[r->mark_first].end;
        r->mark_first = (r->mark_first + 1) % r->mark_capacity;
        r->mark_count--;
    }
    if (!r->mark_count) { /* empty: start over at offset 0, the longest run the block has */
        r->head = r->tail = r->lap = r->skip_from = 0;
        r->mark_first = 0;
    } else if (r->tail == r->skip_from) /* the bytes a wrap skipped hold nothing */
        r->tail = r->lap;
}
