/* memkit/handles.h — generational handles, deferred frees and cross-thread
 * transfer. Included by memkit.h; docs/handles.md has examples and costs.
 *
 * - Handles name a fixed-size block of a handle table ([handles.NAME] in
 *   memkit.toml) by slot and generation, so that a block can move (compaction)
 *   and a stale handle is always recognised.
 * - Deferred frees release a block once a number of frames have ended: for
 *   data a GPU or another thread may still read.
 * - Transfers hand a pool or heap block, or a frame-arena region, to another
 *   thread with explicit ownership.
 */
#include <memkit/memkit.h> /* on its own; memkit.h includes this header at its place */
#ifndef MEMKIT_HANDLES_H
#define MEMKIT_HANDLES_H

MK__API_BEGIN

/* ---- generational handles ---------------------------------------------------- */

/* A handle: `index` holds the table in its top 8 bits and the slot in the low
 * 24; `generation` must equal the slot's current generation. Generation 0 is
 * never issued, so a zeroed handle (MK_HANDLE_NULL) is never valid. Handles
 * are plain values: copy, compare and store them freely. */
typedef struct mk_handle {
    uint32_t index;
    uint32_t generation;
} mk_handle_t;

#define MK_HANDLE_NULL MK__VALUE(mk_handle_t, 0u, 0u)

static inline bool mk_handle_is_null(mk_handle_t handle)
{
    return handle.generation == 0u;
}

static inline bool mk_handle_eq(mk_handle_t a, mk_handle_t b)
{
    return a.index == b.index && a.generation == b.generation;
}

/* The handle functions exist when memkit.toml declares at least one
 * [handles.NAME] table: memkit_config.h then defines mk_handle_table_id_t
 * (MK_HANDLES_ENTITIES …).
 *
 * Thread-safety: every function below is thread-safe; each table has one
 * spinlock, held for O(1) (alloc also zeroes the block) except by
 * mk_handles_defragment, which holds it for O(capacity × block size).
 *
 * Stale handles: a slot's generation is bumped when it is freed and a
 * handle's generation must match, so a freed handle is refused by every
 * function, whatever was allocated since. A slot freed 2^32 - 2 times is
 * retired rather than wrapped, so no (index, generation) pair is issued twice
 * in a process; handles from before mk_shutdown stay stale after the next
 * mk_init. */
#if MKG_HANDLE_TABLE_COUNT > 0

/* Allocates a block of `table`, zeroed, aligned to MKG_ALIGNMENT, and returns
 * its handle. O(block size) for the zeroing. Returns MK_HANDLE_NULL and
 * records mk_last_error() if and only if: the table is full (MK_EFULL), the
 * table id is unknown (MK_EINVAL), or memkit is not initialised (MK_ESTATE). */
mk_handle_t mk_handle_alloc(mk_handle_table_id_t table);

/* The address of the handle's block, valid until the handle is freed or its
 * table is defragmented (pin it to keep the address across
 * mk_handles_defragment). O(1). Returns NULL (mk_last_error() MK_EINVAL) if
 * and only if the handle is MK_HANDLE_NULL, names no table or slot, or is
 * stale (freed). */
void *mk_handle_get(mk_handle_t handle);

/* Whether the handle names a live block (false for MK_HANDLE_NULL, a handle
 * naming no table or slot, or a stale one). A query, not a use: it never
 * reports, in sentinel builds either, so "stop if it is gone" code can ask
 * before mk_handle_get (which reports ML606 for a stale handle there). The
 * answer may change as soon as another thread frees the handle. O(1).
 * Thread-safe. */
bool mk_handle_valid(mk_handle_t handle);

/* Frees the handle's block; the handle and every copy of it become stale and
 * the slot may be reused with a new generation. O(1). Returns MK_OK;
 * MK_EINVAL for a NULL, out-of-range or stale handle (a double free, which
 * changes nothing); MK_ESTATE when the block is pinned (nothing freed). */
mk_status_t mk_handle_free(mk_handle_t handle);

/* Pins the handle's block: mk_handles_defragment does not move it until the
 * matching mk_handle_unpin, and it cannot be freed. Pins nest. Returns the
 * block's address, stable while pinned; NULL (MK_EINVAL) as mk_handle_get,
 * or (MK_EFULL) after 2^32 - 1 nested pins. O(1). */
void *mk_handle_pin(mk_handle_t handle);

/* Undoes one mk_handle_pin. O(1). Returns MK_OK; MK_EINVAL for a NULL,
 * out-of-range or stale handle; MK_ESTATE when the block is not pinned. */
mk_status_t mk_handle_unpin(mk_handle_t handle);

/* Compacts `table`: live unpinned blocks move down into the lowest free block
 * positions, so that afterwards no free block lies below a live unpinned one
 * (pinned blocks stay where they are and the others pack around them), and
 * the next allocations take the lowest free blocks. Handles keep working and
 * their contents move with them; addresses from mk_handle_get taken before
 * are invalid for moved blocks. O(capacity + moved × block size), holding the
 * table's lock. Returns the number of blocks moved (0 for an unknown table or
 * before mk_init). */
size_t mk_handles_defragment(mk_handle_table_id_t table);

/* Live handles of `table` (0 for an unknown table or before mk_init). O(1). */
size_t mk_handles_live(mk_handle_table_id_t table);

#endif /* MKG_HANDLE_TABLE_COUNT > 0 */

/* ---- deferred frees -------------------------------------------------------------- */

/* Frees `ptr` (as mk_free) once `frames` more frames have ended: the block is
 * released inside the `frames`-th mk_end_frame after this call, on the frame
 * driver's thread. Until then it stays allocated and is counted to its intent
 * and budget. frames == 0 frees now. At most MKG_DEFERRED_CAPACITY frees are
 * pending at once ([deferred] capacity in memkit.toml). O(1). Thread-safe.
 * Returns MK_OK (also for ptr == NULL, which does nothing);
 * MK_EINVAL when frames > MKG_DEFERRED_MAX_FRAMES; MK_EFULL when the table of
 * pending frees is full; MK_ESTATE before mk_init. On any error nothing is
 * done: the caller still owns the block and must free it (or retry).
 * mk_shutdown frees the blocks still pending. */
mk_status_t mk_free_deferred(void *ptr, unsigned frames);

/* Deferred frees not yet released. O(1). Thread-safe. */
size_t mk_deferred_pending(void);

/* ---- cross-thread transfer ------------------------------------------------------- */

/* mk_transfer_t.state */
enum {
    MK_TRANSFER_EMPTY = 0,     /* zeroed, or never initialised */
    MK_TRANSFER_PENDING = 1,   /* offered by mk_transfer_init */
    MK_TRANSFER_ACCEPTED = 2,  /* taken by mk_transfer_accept */
    MK_TRANSFER_CANCELLED = 3, /* withdrawn by mk_transfer_cancel */
    MK_TRANSFER_EXPIRED = 4    /* a frame region whose frame left flight before accept */
};

/* mk_transfer_t.kind */
enum {
    MK_TRANSFER_BLOCK = 0, /* a pool, heap or system-fallback block: the receiver owns it */
    MK_TRANSFER_FRAME = 1  /* a frame-arena region: readable until its frame leaves flight */
};

/* An offer of memory from one thread to another. The sender fills it with
 * mk_transfer_init and passes it (by pointer, through any channel); the
 * receiver takes it with mk_transfer_accept. One transfer, one accept: a
 * second accept, an accept after cancel, or an accept of a frame region
 * whose frame has left flight returns NULL. Fields are read-only for users. */
typedef struct mk_transfer {
    void *ptr;
    size_t size;
    uint64_t epoch;        /* MK_TRANSFER_FRAME: the frame the region belongs to */
    uint32_t from_thread;  /* the sender's thread slot */
    uint32_t kind;         /* MK_TRANSFER_BLOCK or MK_TRANSFER_FRAME */
    MK__ATOMIC(uint32_t) state;
} mk_transfer_t;

/* Sender: offers `size` bytes at `ptr`. `ptr` must be a pool or heap block
 * (or a system-fallback block) that the caller owns, with size no more than
 * its usable size, or a region of the caller's own frame arena whose frame is
 * in flight (inside one arena slot or one spilled block). The sender must not
 * use or free a block after offering it unless it cancels. O(1) (a spilled
 * frame block: O(the caller's spilled blocks)); no lock. Thread-safe.
 * Returns MK_OK; MK_EINVAL (t untouched) when t or ptr is NULL, ptr lies in
 * no memkit region, size exceeds the block or leaves the arena slot, or the
 * region is in another thread's arena or in a frame out of flight;
 * MK_ESTATE before mk_init or when the thread cannot attach. */
mk_status_t mk_transfer_init(mk_transfer_t *t, void *ptr, size_t size);

/* Receiver: takes the offer, once. O(1): one compare-and-swap. Thread-safe
 * (concurrent accepts: exactly one wins). The sender's writes to the memory
 * before mk_transfer_init are visible to the receiver. Returns t->ptr; after
 * that the receiver owns a MK_TRANSFER_BLOCK block (uses it, frees it with
 * mk_free from its own thread) and may read and write a MK_TRANSFER_FRAME
 * region until its frame leaves flight (never free it). Returns NULL with
 * mk_last_error() MK_ESTATE when t is not pending (accepted, cancelled,
 * never initialised) or is a frame region whose frame left flight (the
 * transfer becomes MK_TRANSFER_EXPIRED); MK_EINVAL when t is NULL. */
void *mk_transfer_accept(mk_transfer_t *t);

/* Sender: withdraws an offer not yet accepted; the sender owns the memory
 * again. O(1). Returns MK_OK, MK_ESTATE when it was not pending (already
 * accepted: the receiver owns it), MK_EINVAL when t is NULL. */
mk_status_t mk_transfer_cancel(mk_transfer_t *t);

MK__API_END

#endif /* MEMKIT_HANDLES_H */
