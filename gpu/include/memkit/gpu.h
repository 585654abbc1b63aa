/* memkit/gpu.h — the GPU tier: buffers sub-allocated inside a few large blocks
 * of device memory, per-frame linear heaps, a staging ring for uploads, and
 * fence-driven reclamation, all laid out by memkit.toml's [gpu.heap.*] and
 * [gpu.intent.*] sections (docs/config.md).
 *
 * The tier calls a device through a backend (gpu/src/backend.h): the Vulkan
 * backend (gpu/src/backend_vulkan.h, compiled into your program, not into the
 * runtime library: see gpu/README.md) or the mock used by the tests.
 *
 * The frame model, kept simple on purpose. Frames are numbered from 1; frame
 * f uses slot f % frames_in_flight ([gpu] frames_in_flight).
 *   mk_gpu_begin_frame  waits for the fence of the frame that used this slot
 *                       last (frames_in_flight frames ago) and reclaims what it
 *                       held: deferred destroys, the staging ring's space.
 *                       Frames whose fence has already signalled are
 *                       reclaimed too, without waiting.
 *   mk_gpu_end_frame    submits the frame's transfer batch (every upload and
 *                       download recorded since the last submit) with one
 *                       fence, which now guards everything the frame used,
 *                       and moves to the next frame.
 * Submit your own command buffers for frame f between its begin and end, on
 * the backend's queue: the frame's fence then follows them too.
 * A buffer is "used" by the frame being recorded when it is created, copied
 * into or out of, or destroyed (between frames: by the frame submitted last);
 * copies recorded between frames belong to the next frame. The tier cannot
 * see your own command buffers, so it treats a frame as in flight until its
 * fence signals: a destroy is deferred to the fence of the newest frame that
 * used the buffer, and freed at once when that fence has already signalled.
 *
 * Linear heaps ([gpu.heap.NAME] kind = "linear") hold frames_in_flight
 * blocks, one per frame slot, all allocated at init. Buffers created in one
 * are valid for the frame they were created in; destroy them before that
 * frame's slot comes round again. The block is reset when the slot's next
 * frame first creates in it: after waiting for any later frame that still
 * copies into one of its buffers; buffers still live then are freed (ML301).
 *
 * The staging ring: the kind = "ring" heap (at most one), one block, one
 * buffer over the whole block (usage TRANSFER_SRC). Uploads copy into it
 * tagged with the current frame. When it is full of frames still in flight,
 * mk_gpu_upload waits for the oldest one's fence (backpressure = "wait", the
 * default) or fails with MK_EFULL ("fail"); it fails with MK_ENOMEM when the
 * current frame's uploads alone fill it.
 *
 * Thread-safety: every function takes the tier's one lock; call from any
 * thread, but mk_gpu_init / mk_gpu_shutdown not concurrently with anything.
 * Complexity: create and destroy are O(1) in the number of live buffers
 * (TLSF) plus O(blocks of the heap) to find a block with room.
 */
#ifndef MEMKIT_GPU_H
#define MEMKIT_GPU_H

#include <memkit/gpu_types.h>
#include <memkit/memkit.h>

#include <stddef.h>
#include <stdint.h>

MK__API_BEGIN

/* Repeated from gpu/src/backend.h (an identical typedef, allowed by C11) so
 * that this header needs no private header. */
typedef struct mk_gpu_backend mk_gpu_backend_t;

/* A buffer or an image allocation of the tier: (generation << 32) | (slot + 1);
 * 0 is none. Stale ids are refused with MK_EINVAL. */
typedef uint64_t mk_gpu_buffer_id_t;

/* What mk_gpu_buffer_create and mk_gpu_alloc hand back. */
typedef struct mk_gpu_buffer_info {
    mk_gpu_buffer_id_t id;  /* for upload, download, read, destroy / free */
    mk_gpu_buffer_t buffer; /* the VkBuffer holding it (bound); 0 for mk_gpu_alloc */
    uint64_t buffer_offset; /* where its bytes start in `buffer`: bind and copy with (buffer, buffer_offset).
                               0 when the buffer is its own (dedicated, or a heap with images = true);
                               else `buffer` is its block's, shared by the block's buffers */
    mk_gpu_memory_t memory; /* the memory it is bound to (a block, or its dedicated allocation) */
    uint64_t offset;        /* its offset in `memory`, a multiple of its alignment */
    uint64_t size;          /* the size asked for */
    void *mapped;           /* host pointer to the buffer's first byte in a mapped heap, else NULL */
} mk_gpu_buffer_info_t;

/* Starts the tier on `backend` (copied; its `user` must outlive the tier).
 * Call after mk_init. Reads the device, picks a memory type per heap by
 * cost among the types a probe buffer of the heap's usage allows (the union
 * of its intents' usage; every type when no intent uses the heap), allocates
 * each heap's min_blocks (linear heaps: frames_in_flight blocks), maps the
 * host-visible ones for good and creates the staging buffer.
 * Returns MK_OK; MK_ESTATE (mk_init not called, or the tier is already up);
 * MK_EINVAL (backend NULL or incomplete, no memory type has a heap's required
 * flags, a linear heap with fewer than frames_in_flight max_blocks, a ring
 * heap whose blocks cannot be mapped); MK_ENOMEM (the device refused a block
 * or a map); MK_ESYSTEM (no host memory for the tier's tables). A failed init
 * leaves nothing allocated on the device. */
mk_status_t mk_gpu_init(const mk_gpu_backend_t *backend);

/* Waits for every submitted frame, runs the deferred destroys, destroys the
 * buffers still live (each one a leak: the count is returned), frees every
 * block. No-op returning 0 when the tier is down. mk_shutdown calls it when
 * the tier is still up. */
size_t mk_gpu_shutdown(void);

/* A buffer of `size` > 0 bytes with the intent's usage flags, inside the
 * intent's heap: TLSF heaps place it in the first block with room, then in
 * a new block (up to max_blocks), and give requests above half a block a
 * dedicated allocation; linear heaps bump-allocate in the current frame
 * slot's block. In a heap without `images = true` the buffer is a range of
 * its block's one VkBuffer (created with the union of the heap's intents'
 * usage flags, aligned for uniform and storage descriptors): no driver call,
 * O(1). Otherwise (images = true, or dedicated) it is a VkBuffer of its own,
 * bound at its offset. Either way use (out->buffer, out->buffer_offset).
 * Charged requirements.size bytes (a range: size rounded up to 16) to the
 * heap's, the intent's and the [gpu] budget. Fills *out.
 * Returns MK_OK; MK_ESTATE (tier down); MK_EINVAL (bad intent, size 0, out
 * NULL, or no memory type of the heap fits the buffer); MK_EBUDGET (a budget
 * would be exceeded); MK_ENOMEM (no room, max_blocks reached, the device's
 * allocation count or its memory budget reached, or a backend call failed);
 * MK_EFULL (MK_GPU_MAX_BUFFERS live). On MK_EBUDGET and MK_ENOMEM the
 * intent's on_exhausted runs first: panic aborts, callback asks the handler
 * of mk_gpu_set_oom_handler and retries once when it returns non-zero. On
 * failure nothing is left. */
mk_status_t mk_gpu_buffer_create(mk_gpu_intent_id_t intent, uint64_t size, mk_gpu_buffer_info_t *out);

/* Destroys a buffer now, or when the fence of the frame it was last used in
 * signals. MK_OK, MK_ESTATE (tier down), MK_EINVAL (a stale or unknown id). */
mk_status_t mk_gpu_buffer_destroy(mk_gpu_buffer_id_t buffer);

/* Copies `size` > 0 bytes from `src` into the staging ring, flushes them
 * (non-coherent memory: the range rounded out to nonCoherentAtomSize) and
 * records a copy to [offset, offset + size) of `buffer` in the current
 * frame's batch; the data lands when that frame's fence signals.
 * Returns MK_OK; MK_ESTATE (tier down); MK_EINVAL (stale id, range outside
 * the buffer, src NULL, no ring heap, larger than the ring); MK_ENOMEM (the
 * current frame's uploads fill the ring, or the backend failed: a flush, a
 * copy, a fence wait); MK_EFULL (backpressure = "fail" and the ring is full
 * of frames in flight). On MK_ENOMEM from the copy the ring space is kept
 * until the frame ends (nothing leaks). An upload into a mapped buffer is
 * warning ML305: write it through `mapped`. */
mk_status_t mk_gpu_upload(mk_gpu_buffer_id_t buffer, uint64_t offset, const void *src, uint64_t size);

/* Records a copy of [src_offset, src_offset + size) of `src` into
 * [dst_offset, dst_offset + size) of `dst` in the current frame's batch, after
 * the uploads recorded before it: the usual `dst` is a buffer of a "readback"
 * heap, read with mk_gpu_read once the frame's fence has signalled. `src` needs
 * the transfer_src usage and `dst` transfer_dst (the Vulkan validation layers
 * say so; the tier does not check usage).
 * Returns MK_OK; MK_ESTATE (tier down); MK_EINVAL (stale id, a range outside
 * its buffer, src == dst); MK_ENOMEM (the backend failed to record it). */
mk_status_t mk_gpu_download(mk_gpu_buffer_id_t src, uint64_t src_offset, mk_gpu_buffer_id_t dst, uint64_t dst_offset,
                            uint64_t size);

/* Copies [offset, offset + size) of a mapped buffer (a host-visible heap) into
 * `out`, after invalidating the range on non-coherent memory (rounded out to
 * nonCoherentAtomSize). Only once every frame that used the buffer has
 * signalled its fence: until then MK_PENDING (poll again after
 * mk_gpu_begin_frame or mk_gpu_wait_idle), so a read never races the GPU.
 * Returns MK_OK; MK_PENDING; MK_ESTATE (tier down); MK_EINVAL (stale id,
 * range outside the buffer, out NULL, the buffer not mapped); MK_ENOMEM (the
 * invalidate failed). Reading uncached device-local memory is warning ML303. */
mk_status_t mk_gpu_read(mk_gpu_buffer_id_t buffer, uint64_t offset, void *out, uint64_t size);

/* Host writes through mk_gpu_buffer_info_t.mapped on non-coherent memory
 * become visible to the device after mk_gpu_flush of the range; device
 * writes become visible to host reads after mk_gpu_invalidate (mk_gpu_read
 * does it for you). Both round the range out to nonCoherentAtomSize inside
 * the buffer's block and do nothing on coherent memory. Touching a buffer
 * whose frame is still in flight is warning ML302 (the GPU may be reading or
 * writing it). MK_OK; MK_ESTATE; MK_EINVAL (stale id, range outside the
 * buffer, not mapped); MK_ENOMEM (the backend failed). */
mk_status_t mk_gpu_flush(mk_gpu_buffer_id_t buffer, uint64_t offset, uint64_t size);
mk_status_t mk_gpu_invalidate(mk_gpu_buffer_id_t buffer, uint64_t offset, uint64_t size);

/* Memory for a resource the caller creates and binds itself, usually a
 * VkImage: `requirements` are its VkMemoryRequirements. `optimal_tiling`
 * says it is an image of VK_IMAGE_TILING_OPTIMAL, kept bufferImageGranularity
 * away from linear resources (buffers, linear images) of the same block.
 * Placed like a buffer in the intent's heap, which must say `images = true`
 * (a TLSF heap; dedicated above half a block), charged requirements->size. out->buffer is 0; bind your
 * resource at (out->memory, out->offset). Free with mk_gpu_free (deferred to
 * the fence of the frame it was allocated in, like a buffer).
 * Returns as mk_gpu_buffer_create, and MK_EINVAL for a heap without
 * images = true, a requirement with no type of the heap, or an alignment not
 * a power of two. */
mk_status_t mk_gpu_alloc(mk_gpu_intent_id_t intent, const mk_gpu_requirements_t *requirements, int optimal_tiling,
                         mk_gpu_buffer_info_t *out);
/* MK_OK, MK_ESTATE (tier down), MK_EINVAL (stale id, or a buffer's id). */
mk_status_t mk_gpu_free(mk_gpu_buffer_id_t allocation);

/* Waits until every submitted frame's fence has signalled and reclaims them.
 * Uploads and downloads recorded in the open frame are not submitted (end the
 * frame first). MK_OK, MK_ESTATE (tier down), MK_ENOMEM (a wait failed). */
mk_status_t mk_gpu_wait_idle(void);

/* Frames (the model above). begin: MK_OK, MK_ESTATE (tier down, or a frame
 * already begun), MK_ENOMEM (the wait for the slot's fence failed; the frame
 * is not begun, retry). end: MK_OK, MK_ESTATE (no frame begun), MK_ENOMEM (the
 * submit failed: the batch stays recorded and the frame open, retry). */
mk_status_t mk_gpu_begin_frame(void);
mk_status_t mk_gpu_end_frame(void);

/* Called when a GPU intent with on_exhausted = "callback" is refused: return
 * non-zero to retry once (after freeing something). NULL removes it. */
typedef int (*mk_gpu_oom_handler_t)(mk_gpu_intent_id_t intent, uint64_t size, mk_status_t reason, void *user);
void mk_gpu_set_oom_handler(mk_gpu_oom_handler_t handler, void *user);

/* ---- statistics ---------------------------------------------------------------- */

#define MK_GPU_STATS_HEAPS (MKG_GPU_HEAP_COUNT > 0 ? MKG_GPU_HEAP_COUNT : 1)
#define MK_GPU_STATS_INTENTS (MKG_GPU_INTENT_COUNT > 0 ? MKG_GPU_INTENT_COUNT : 1)

typedef struct mk_gpu_heap_stats {
    const char *name;
    int32_t memory_type;      /* the type chosen at init */
    uint32_t memory_flags;    /* its VkMemoryPropertyFlags */
    uint32_t memory_cost;     /* its cost (0: every preferred flag, no unwanted one) */
    uint32_t blocks;          /* blocks allocated now */
    uint32_t dedicated;       /* dedicated allocations live */
    uint64_t block_bytes;     /* bytes of the blocks and dedicated allocations */
    uint64_t bytes_used;      /* bytes charged to buffers (requirements' sizes) */
    uint64_t bytes_free;      /* free bytes in the blocks */
    uint64_t largest_free;    /* the largest free range of any block */
    uint64_t allocations;     /* live buffers */
    uint64_t failures;        /* refused creates and allocs, whatever the reason */
} mk_gpu_heap_stats_t;

typedef struct mk_gpu_intent_stats {
    const char *name;
    uint64_t bytes;           /* charged now */
    uint64_t allocations;     /* live buffers */
    uint64_t total_allocations;
    uint64_t failures;
} mk_gpu_intent_stats_t;

typedef struct mk_gpu_stats {
    uint32_t heap_count, intent_count;
    mk_gpu_heap_stats_t heaps[MK_GPU_STATS_HEAPS];
    mk_gpu_intent_stats_t intents[MK_GPU_STATS_INTENTS];
    uint64_t bytes;            /* charged to the [gpu] budget now */
    uint64_t frame;            /* the current frame number */
    uint64_t completed_frame;  /* every frame up to this one has been reclaimed */
    uint32_t device_allocations; /* live device memory allocations (blocks + dedicated) */
    uint64_t deferred;         /* destroys waiting for a fence */
    uint64_t ring_used;        /* staging ring bytes in flight */
} mk_gpu_stats_t;

/* A snapshot. MK_OK, MK_ESTATE (tier down), MK_EINVAL (out NULL). O(heaps x blocks). */
mk_status_t mk_gpu_stats_get(mk_gpu_stats_t *out);

/* The tier as JSON in the schema of Vulkan Memory Allocator's
 * vmaBuildStatsString (detailed map: "General", "Total", "MemoryInfo",
 * "DefaultPools", "CustomPools" with one pool per heap, every block and every
 * allocation), so tools written for VMA dumps (GpuMemDumpVis.py) read it.
 * Writes at most `capacity` bytes including the terminating NUL into `buf`
 * (buf may be NULL when capacity is 0) and returns the length of the whole
 * dump, as snprintf does: a return >= capacity means it was cut short and
 * needs a buffer of return + 1 bytes. Returns 0 when the tier is down. */
size_t mk_gpu_stats_json(char *buf, size_t capacity);

/* Prints the GPU heap and intent tables (mk_stats_print calls it when the
 * tier is up). */
void mk_gpu_stats_print(FILE *out);

MK__API_END

#endif /* MEMKIT_GPU_H */
