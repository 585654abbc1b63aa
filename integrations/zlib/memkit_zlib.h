/* memkit_zlib.h — zlib streams on memkit (docs/integrations.md, "zlib").
 *
 *   z_stream zs = {0};
 *   mk_zlib_use(&zs, MK_INTENT_COMPRESS);  // before deflateInit / inflateInit
 *   deflateInit(&zs, Z_DEFAULT_COMPRESSION);
 *   ...
 *   deflateEnd(&zs);                       // every block back to the intent
 *
 * zlib asks its z_stream for memory (zalloc/zfree/opaque), so each stream
 * picks its own intent; the intent rides in `opaque` (no object to keep
 * alive). A deflate stream at the default settings takes about 268 KiB in 5
 * blocks (window, hash chains, pending buffer), an inflate stream 7 KiB,
 * then its 32 KiB window at the first inflate(): a heap intent suits them;
 * a pool intent serves what fits its classes and sends the rest to the heap
 * (oversize = "heap").
 *
 * Out of memory: zalloc returns Z_NULL and zlib reports Z_MEM_ERROR from
 * deflateInit*, inflateInit* or inflate() (its window) and leaves the stream
 * safe to End. items * size that overflows size_t is refused the same way.
 * Thread-safety is memkit's: a stream is used by one thread at a time.
 */
#ifndef MEMKIT_ZLIB_H
#define MEMKIT_ZLIB_H

#include <zlib.h>
#include <memkit/memkit.h>

#ifdef __cplusplus
extern "C" {
#endif

/* zalloc / zfree: opaque carries the intent (mk_zlib_use sets it). */
voidpf mk_zlib_alloc(voidpf opaque, uInt items, uInt size);
void mk_zlib_free(voidpf opaque, voidpf address);

/* Points strm's zalloc, zfree and opaque at `intent`. Call it before the
 * stream's *Init*. Returns 0, or -1 (strm untouched) for a NULL strm or an
 * intent that is not a pool or heap intent (zlib frees its blocks one by one
 * at *End, which frame memory does not do). */
int mk_zlib_use(z_streamp strm, mk_intent_t intent);

#ifdef __cplusplus
}
#endif

#endif /* MEMKIT_ZLIB_H */
