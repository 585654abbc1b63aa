/* heap.h — the heap tier: a bounded Two-Level Segregated Fit (TLSF) allocator.
 *
 * One caller-supplied contiguous region is carved into blocks. Free blocks sit in
 * segregated lists indexed by a two-level size mapping (power-of-two first level,
 * MK__HEAP_SL_COUNT linear subdivisions per first level); two bitmaps find a
 * non-empty list with one bit scan each, so alloc, free and resize are O(1)
 * whatever the number of blocks (Masmano et al., "TLSF: a new dynamic memory
 * allocator for real-time systems", ECRTS 2004).
 *
 * Thread-safety: none. The heap is a pure algorithm; the caller (alloc.c) holds a
 * lock around every call. No libc allocation, no system call, no global state:
 * everything lives in mk__heap_t and in the region itself.
 *
 * Layout: every block starts with a 16-byte header (previous physical block and a
 * size word carrying the free flag and the 8-bit tag); the payload follows it, so
 * every payload is 16-aligned. A free block keeps its list links in its payload,
 * hence the minimum block of 32 bytes. A 16-byte used sentinel header closes the
 * region so that coalescing never looks past its end.
 */
#ifndef MK_HEAP_H
#define MK_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Inside a runtime, the generated config comes first: its [memkit] prefix
 * renames these functions like every runtime symbol. tests/runtime/test_heap.c
 * builds the algorithm alone, with no config (MK__HEAP_STANDALONE). */
#ifndef MK__HEAP_STANDALONE
#include "memkit_config.h"
#endif

#define MK__HEAP_ALIGN_LOG2 4 /* payloads and block sizes are multiples of 16 */
#define MK__HEAP_SL_LOG2 4    /* 16 second-level lists per first level */
#define MK__HEAP_SL_COUNT (1 << MK__HEAP_SL_LOG2)
#define MK__HEAP_MAX_LOG2 40 /* block sizes stay below 2^40 */
/* First level 0 holds the small sizes below 2^(SL_LOG2 + ALIGN_LOG2) = 256 in
 * linear 16-byte steps; each further level holds one power of two. */
#define MK__HEAP_FL_COUNT (MK__HEAP_MAX_LOG2 - (MK__HEAP_SL_LOG2 + MK__HEAP_ALIGN_LOG2) + 1)

/* One block (header + links) and the closing sentinel header. */
#define MK__HEAP_MIN_REGION 48u

/* The largest region mk__heap_init accepts. On 32-bit targets a quarter of the
 * address space keeps size + alignment arithmetic from wrapping. */
#if SIZE_MAX > 0xFFFFFFFFu
#define MK__HEAP_MAX_REGION ((size_t)1 << MK__HEAP_MAX_LOG2)
#else
#define MK__HEAP_MAX_REGION (SIZE_MAX / 4u)
#endif

struct mk__heap_block; /* private to heap.c */

typedef struct mk__heap {
    unsigned char *base; /* the region, 16-aligned */
    size_t bytes;        /* its length, a multiple of 16 (sentinel included) */
    size_t used;         /* bytes in allocated blocks, headers included */
    size_t peak;         /* high-water mark of used */
    size_t free_bytes;   /* bytes in free blocks, headers included; used + free_bytes = bytes - 16 */
    bool track;          /* tell AddressSanitizer/Valgrind about blocks (memkit/track.h); set by init */
    uint64_t fl_map;                          /* bit f: some list of first level f is non-empty */
    uint32_t sl_map[MK__HEAP_FL_COUNT];       /* bit s of [f]: list (f, s) is non-empty */
    struct mk__heap_block *heads[MK__HEAP_FL_COUNT][MK__HEAP_SL_COUNT]; /* free-list heads */
} mk__heap_t;

/* Formats [mem, mem + bytes) as one free block and a closing sentinel. mem must be
 * 16-aligned; bytes is rounded down to a multiple of 16. Returns false, touching
 * nothing, if h or mem is NULL, mem is misaligned, or bytes is below
 * MK__HEAP_MIN_REGION or above MK__HEAP_MAX_REGION. O(1). */
bool mk__heap_init(mk__heap_t *h, void *mem, size_t bytes);
/* mk__heap_init telling AddressSanitizer/Valgrind about blocks (memkit/track.h)
 * only when `track` is true; mk__heap_init tracks whenever a tool is built in. */
bool mk__heap_init_tracked(mk__heap_t *h, void *mem, size_t bytes, bool track);

/* A block of at least `size` bytes (0 is treated as 1) whose address is a multiple
 * of `align` (a power of two; values below 16 mean 16), tagged with `tag`. The
 * memory is not zeroed. O(1): TLSF good fit, then a look at the first block of
 * the list the request maps to. Returns NULL if and only if
 *   - align is not a power of two, or size or align exceeds the region, or
 *   - every list whose blocks are all large enough is empty (for align > 16 the
 *     request counts the worst-case alignment gap, align + 16 bytes), and the
 *     first block of the list that the request maps to does not fit either
 *     (for align > 16: neither that of the request with nor without the gap).
 * So a request may fail while a block that could hold it sits deeper in a list:
 * that is the price of O(1). mk__heap_largest_free tells what surely succeeds. */
void *mk__heap_alloc(mk__heap_t *h, size_t size, size_t align, uint8_t tag);

/* Frees a block returned by mk__heap_alloc (or resized by mk__heap_resize) on this
 * heap and coalesces it with both physical neighbours. p must not be NULL. O(1). */
void mk__heap_free(mk__heap_t *h, void *p);

/* Resizes the block at p in place: shrinking splits off the tail (merged with a
 * free next neighbour), growing absorbs a free next neighbour. The address and the
 * first min(old, new) bytes never change. Returns true on success; on false the
 * block is unchanged (the next neighbour is busy or too small, or new_size exceeds
 * the region). O(1). */
bool mk__heap_resize(mk__heap_t *h, void *p, size_t new_size);

/* Whether p looks like the payload of an allocated block of this heap: inside
 * the region, 16-aligned, with a plausible header whose next block links back
 * to it. A pointer into the middle of a block fails unless the user's bytes in
 * front of it happen to spell such a header. O(1). For checks, not a proof. */
bool mk__heap_is_block(const mk__heap_t *h, const void *p);

/* Usable bytes of an allocated block, at least the size asked for. O(1). */
size_t mk__heap_usable_size(const void *p);

/* The tag given at allocation. O(1). */
uint8_t mk__heap_tag(const void *p);

/* Whether the block whose payload is at p is free (a second free of it). O(1). */
bool mk__heap_block_free(const void *p);

/* True if p lies inside the heap region (a range check; it does not prove that p
 * is a live block). O(1). */
bool mk__heap_owns(const mk__heap_t *h, const void *p);

/* The largest size for which mk__heap_alloc(h, size, 16, tag) currently succeeds,
 * judged from the first block of the highest non-empty list (conservative when a
 * larger block sits behind it); 0 when nothing is free. O(1). */
size_t mk__heap_largest_free(const mk__heap_t *h);

/* Walks every block and checks the invariants: the physical chain is consistent
 * and closed by the sentinel, no two free blocks are adjacent, every free block is
 * in the list its size maps to and every list entry is such a free block, the
 * bitmaps match the lists, and used / free_bytes / peak match the blocks. Returns
 * true when all hold. O(number of blocks); for tests and mk_validate(). */
bool mk__heap_check(const mk__heap_t *h);

#endif /* MK_HEAP_H */
