/* memkit/shared.h — shared reference-counted buffers, scratch buffers,
 * allocation groups, promotion out of a frame, and integrity checks.
 * Included by memkit.h; see docs/shared.md for examples, costs and guarantees.
 *
 * Every function here may be called only between mk_init and mk_shutdown.
 * Objects that outlive mk_shutdown (a shared buffer, a scratch buffer or a
 * group still held) are forgotten with their tiers and must not be used after
 * it; system-fallback blocks among them must be released before it.
 */
#include <memkit/memkit.h> /* on its own; memkit.h includes this header at its place */
#ifndef MEMKIT_SHARED_H
#define MEMKIT_SHARED_H

MK__API_BEGIN

/* ---- shared buffers ------------------------------------------------------------ */

/* MK_SHARED_NAME_MAX (memkit/limits.h): bytes kept of a shared buffer's
 * debugging name, the terminating NUL included; longer names are truncated
 * to MK_SHARED_NAME_MAX - 1 bytes. */

/* A reference-counted buffer: this header sits in the same block as the data,
 * right before it (mk_shared_data). The layout is shown for debuggers and
 * white-box tests only; use the functions below, and treat the fields as
 * private. */
typedef struct mk_shared {
    struct mk_shared *prev;          /* registry of live buffers (doubly linked) */
    struct mk_shared *next;
    uint64_t id;                     /* see mk_shared_id */
    uint64_t sequence;               /* creation number since mk_init, from 0 */
    uint64_t size;                   /* bytes of data asked for */
    MK__ATOMIC(uint32_t) refs;       /* references held; 0 once released */
    uint32_t magic;                  /* MK__SHARED_MAGIC while live, 0 once released */
    uint16_t intent;
    uint8_t plain;                   /* 1: the intent counts references without atomics */
    uint8_t reserved;
    char name[MK_SHARED_NAME_MAX];   /* NUL-terminated, possibly truncated */
} mk_shared_t;

/* A new buffer of `size` bytes (not zeroed, aligned to MKG_ALIGNMENT) for
 * `intent`, with one reference held by the caller. The header and the data
 * are one block of `intent`'s tier, charged to its budget: the header costs
 * sizeof(mk_shared_t) rounded up to MKG_ALIGNMENT (96 bytes on 64-bit
 * targets with alignment 16). `name` (NULL means "") is copied, truncated to
 * MK_SHARED_NAME_MAX - 1 bytes. The buffer's references are counted
 * atomically, unless the intent says refcount = "plain" (then every holder
 * must be on one thread at a time) or the runtime has threads = false.
 * O(1) + the tier's allocation + O(name length). Thread-safe.
 * Returns NULL if and only if memkit is not initialised (MK_ESTATE), `intent`
 * is not an intent or is a frame intent (MK_EINVAL), header + size overflows
 * (MK_EINVAL), or the intent's tier cannot serve the block (the reason of
 * mk_alloc, after its on_exhausted policy). */
mk_shared_t *mk_shared_new(mk_intent_t intent, size_t size, const char *name);

/* The buffer's data: mk_shared_size(s) bytes aligned to MKG_ALIGNMENT, valid
 * while the caller holds a reference. O(1). Thread-safe. Writing through it
 * while other holders read is the caller's race: use mk_shared_make_mut. */
void *mk_shared_data(mk_shared_t *s);

/* The size given at creation. O(1). Thread-safe. */
size_t mk_shared_size(const mk_shared_t *s);

/* Adds a reference and returns `s`. O(1): a relaxed atomic increment (a
 * plain one for refcount = "plain" intents). Thread-safe for atomic intents.
 * Aborts when `s` is not a live shared buffer or has 2^32 - 1 references. */
mk_shared_t *mk_shared_retain(mk_shared_t *s);

/* Drops a reference; the last one unlinks the buffer from the registry and
 * frees its block (O(1); the tier zeroes the block, header included, when the
 * intent says zero_on_free). NULL is ignored. The decrement is
 * acquire-release, so every holder's writes happen before the free.
 * Thread-safe for atomic intents. Aborts when `s` is not a live shared buffer
 * (released too often). */
void mk_shared_release(mk_shared_t *s);

/* References held now (a snapshot while other threads retain or release).
 * O(1). Thread-safe. */
uint32_t mk_shared_refcount(mk_shared_t *s);

/* Copy-on-write: makes *s a buffer that only the caller holds and returns its
 * writable data. When *s has one reference it is returned as is: no copy,
 * same data pointer. Otherwise a new buffer of the same intent, size and
 * name (and a new id) is allocated, the data copied into it, the caller's
 * reference to the old buffer released and the new one stored in *s.
 * O(1), or O(size) when it copies. Thread-safe for atomic intents (other
 * holders keep the old buffer intact). Returns NULL, *s unchanged, if and
 * only if s or *s is NULL (MK_EINVAL) or the copy cannot be allocated (as
 * mk_shared_new). */
void *mk_shared_make_mut(mk_shared_t **s);

/* A deterministic 64-bit id: FNV-1a 64 over the bytes of mk_shared_name(s)
 * (no NUL), then over the 8 bytes, little-endian, of the buffer's creation
 * sequence number (0 for the first buffer after mk_init, then 1, 2 …). A
 * program that creates the same buffers in the same order gets the same ids
 * in every run. O(1). Thread-safe. */
uint64_t mk_shared_id(const mk_shared_t *s);

/* The buffer's (possibly truncated) name; "" when created without one. Valid
 * while the buffer lives. O(1). Thread-safe. */
const char *mk_shared_name(const mk_shared_t *s);

/* Prints one line per live shared buffer, oldest first, then a count:
 *   shared id=0x… seq=N name="…" intent=NAME size=N refs=N
 *   memkit: N live shared buffer(s)
 * O(live buffers); holds the registry lock while printing, so creation and
 * last releases on other threads wait. Thread-safe. */
void mk_shared_dump_write(mk_line_sink_t sink, void *user);
#if !MK_NO_STDIO
void mk_shared_dump(FILE *out); /* mk_shared_dump_write to `out`, a newline after each line */
#endif

/* Shared buffers alive now (created and not yet released to zero). O(1).
 * Thread-safe. */
size_t mk_shared_live(void);

/* ---- scratch buffers ------------------------------------------------------------- */

/* A scratch buffer of at least `size` bytes (not zeroed, aligned to
 * MKG_ALIGNMENT) for the [scratch] intent of the config. The smallest kept
 * buffer (see mk_scratch_release) that holds `size` is reused; if none does,
 * a new block is allocated (a header of a link, the capacity and a state
 * word, padded to MKG_ALIGNMENT, plus `size`, from the intent's tier and
 * budget), and should that fail while buffers are kept,
 * they are freed and the allocation is tried once more. O(kept buffers) under
 * a lock, + the tier's allocation. Thread-safe.
 * Returns NULL if and only if the config has no [scratch] section or
 * header + size overflows (MK_EINVAL), memkit is not initialised (MK_ESTATE),
 * or the intent's tier cannot serve the block (the reason of mk_alloc). */
void *mk_scratch_acquire(size_t size);

/* Gives a scratch buffer back. It is kept for reuse, across frames, while the
 * kept buffers' capacities add up to at most MKG_SCRATCH_CAP bytes
 * ([scratch] cap); otherwise it is freed at once. Kept buffers stay charged to
 * the scratch intent (mk_stats counts them as in use). NULL is ignored.
 * O(kept buffers) under a lock. Thread-safe: any thread may release a buffer
 * another acquired. Aborts when `buf` is not an acquired scratch buffer
 * (released twice, or from elsewhere). */
void mk_scratch_release(void *buf);

/* Usable bytes of a scratch buffer (>= the size acquired); 0 for NULL. O(1).
 * Thread-safe. */
size_t mk_scratch_capacity(const void *buf);

/* Sum of the capacities of the kept buffers, never above MKG_SCRATCH_CAP.
 * O(1). Thread-safe. */
size_t mk_scratch_kept_bytes(void);

/* Frees every kept buffer (at a level change, or to return memory to the
 * intent's budget). O(kept buffers). Thread-safe. */
void mk_scratch_trim(void);

/* ---- allocation groups -------------------------------------------------------------- */

/* MK_MAX_GROUPS (memkit/limits.h): groups open at once, process-wide;
 * mk_group_create fails beyond it. */

/* A set of allocations of one intent freed together. Group objects live in a
 * static table of MK_MAX_GROUPS entries: creating one allocates nothing. */
typedef struct mk_group mk_group_t;

/* A new empty group for `intent` (any tier). O(MK_MAX_GROUPS) under a lock.
 * Thread-safe. Returns NULL if and only if memkit is not initialised
 * (MK_ESTATE), `intent` is not an intent (MK_EINVAL), or MK_MAX_GROUPS groups
 * are open (MK_EFULL). */
mk_group_t *mk_group_create(mk_intent_t intent);

/* `size` bytes (not zeroed, aligned to MKG_ALIGNMENT) for the group's intent,
 * tied to the group. Pool and heap intents: each block carries MKG_ALIGNMENT
 * bytes of header (a link) in front, charged to the intent as well, so pool
 * intents serve sizes up to their largest class minus MKG_ALIGNMENT. Frame
 * intents: a plain frame allocation, no header; it still ends with its frame.
 * O(1) + the tier's allocation. A group belongs to one thread at a time: no
 * two threads may use the same group concurrently (different groups are
 * independent). The blocks themselves may be read anywhere but must not be
 * freed one by one (mk_free): only through the group.
 * Returns NULL if and only if `group` is NULL or stale (created before the
 * last mk_init: MK_EINVAL), header + size overflows (MK_EINVAL), or the tier
 * cannot serve it (the reason of mk_alloc). */
void *mk_group_alloc(mk_group_t *group, size_t size);

/* Frees every block allocated through the group; the group stays usable.
 * O(blocks) for pool and heap intents (each freed with mk_free, which zeroes
 * it when the intent says zero_on_free); O(1) for frame intents, whose blocks
 * are simply forgotten (they end with their frame). NULL is ignored. Same
 * thread rule as mk_group_alloc. */
void mk_group_free_all(mk_group_t *group);

/* mk_group_free_all, then the group's table entry is given back. NULL is
 * ignored. O(blocks). */
void mk_group_destroy(mk_group_t *group);

/* Blocks allocated through the group since its creation or last free_all;
 * 0 for NULL. O(1). */
size_t mk_group_count(const mk_group_t *group);

/* ---- promotion out of a frame ------------------------------------------------------- */

/* Copies `size` bytes from `ptr` (typically a frame allocation that must
 * outlive its frame) into a new block of intent `to`, a pool or heap intent,
 * and returns it; free it with mk_free. The source is left as is. O(size) +
 * the tier's allocation. Thread-safe. Returns NULL if and only if `to` is not
 * an intent or is a frame intent, or ptr is NULL while size > 0 (MK_EINVAL),
 * memkit is not initialised (MK_ESTATE), or `to`'s tier cannot serve `size`
 * bytes (the reason of mk_alloc). */
void *mk_promote(const void *ptr, size_t size, mk_intent_t to);

/* ---- integrity checks ---------------------------------------------------------------- */

/* Checks memkit's structures: the pool classes' global free lists, the heap's
 * block chain and free lists, the handle tables, the shared-buffer registry
 * (magic, reference counts >= 1, back links, count), the kept scratch
 * buffers and the async tier (free stacks, waiter queues, channel slot
 * counts). O(free pool blocks + heap blocks + handles + live shared buffers +
 * kept scratch buffers + free async blocks + waiters), taking each
 * structure's lock in turn. Thread-safe,
 * but a structure damaged by a racing bug may make the walk itself fault.
 * Returns MK_OK when every check passes, MK_ECORRUPT when one fails,
 * MK_ESTATE before mk_init. */
mk_status_t mk_validate(void);

/* mk_validate, writing one line per problem found to `sink` (NULL: none;
 * memkit/output.h). */
mk_status_t mk_validate_write(mk_line_sink_t sink, void *user);
#if !MK_NO_STDIO
/* mk_validate_write to `report` (NULL: none), a newline after each line. */
mk_status_t mk_validate_report(FILE *report);
#endif

MK__API_END

#endif /* MEMKIT_SHARED_H */
