/* memkit/track.h — tells AddressSanitizer and Valgrind about memkit's blocks.
 *
 * memkit carves its blocks out of regions the tools see as one big valid
 * allocation, so by themselves they cannot see a use after free, an overflow
 * into a neighbouring block or a use of frame memory after its frame. These
 * macros mark memkit's memory the way the tools mark malloc's:
 *
 *   mk_track_alloc(p, n)    n bytes at p became a live block
 *   mk_track_free(p, n)     the block at p (n bytes) is no longer usable
 *   mk_track_retire(p, n)   a region holds no live block (at init, at reset)
 *
 * two for frame memory, which is never freed block by block (Valgrind gets
 * plain addressability, not malloc-like blocks it would report as leaks):
 *
 *   mk_track_frame_alloc(p, n)   n bytes at p were bumped out of an arena
 *   (a reset retires the whole slot with mk_track_retire)
 *
 * and two for memkit's own bookkeeping inside such memory (free-list links
 * and heap headers written into free blocks):
 *
 *   mk_track_open(p, n) / mk_track_close(p, n)
 *
 * AddressSanitizer is used automatically when the build has it (manual
 * poisoning: reports read "use-after-poison"). Valgrind needs MK_VALGRIND=1
 * (CMake: the VALGRIND option of memkit_generate / memkit_add_runtime):
 * blocks become malloc-like blocks of memcheck. With neither, and in sentinel
 * builds, every macro is empty and costs nothing.
 */
#ifndef MEMKIT_TRACK_H
#define MEMKIT_TRACK_H

/* Sentinel builds check memkit's memory themselves (poison patterns that they
 * read back): telling the tools too would have them flag those reads. */
#if defined(MK_SENTINEL) && MK_SENTINEL
#define MK_TRACK_ASAN 0
#undef MK_VALGRIND
#define MK_VALGRIND 0
#elif defined(__SANITIZE_ADDRESS__)
#define MK_TRACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MK_TRACK_ASAN 1
#endif
#endif
#ifndef MK_TRACK_ASAN
#define MK_TRACK_ASAN 0
#endif

#ifndef MK_VALGRIND
#define MK_VALGRIND 0
#endif

#if MK_TRACK_ASAN
#include <sanitizer/asan_interface.h>
#define MK__ASAN_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define MK__ASAN_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define MK__ASAN_POISON(p, n) ((void)(p), (void)(n))
#define MK__ASAN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#if MK_VALGRIND
#include <valgrind/memcheck.h>
#define MK__VG_ALLOC(p, n) VALGRIND_MALLOCLIKE_BLOCK((p), (n), 0, 0)
#define MK__VG_FREE(p, n)                                                                                          \
    do {                                                                                                          \
        VALGRIND_FREELIKE_BLOCK((p), 0);                                                                          \
        (void)VALGRIND_MAKE_MEM_NOACCESS((p), (n));                                                               \
    } while (0)
#define MK__VG_NOACCESS(p, n) (void)VALGRIND_MAKE_MEM_NOACCESS((p), (n))
#define MK__VG_DEFINED(p, n) (void)VALGRIND_MAKE_MEM_DEFINED((p), (n))
#define MK__VG_UNDEFINED(p, n) (void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#else
#define MK__VG_ALLOC(p, n) ((void)(p), (void)(n))
#define MK__VG_FREE(p, n) ((void)(p), (void)(n))
#define MK__VG_NOACCESS(p, n) ((void)(p), (void)(n))
#define MK__VG_DEFINED(p, n) ((void)(p), (void)(n))
#define MK__VG_UNDEFINED(p, n) ((void)(p), (void)(n))
#endif

/* Is any tool being told? Code that only exists for the tools tests this. */
#define MK_TRACKING (MK_TRACK_ASAN || MK_VALGRIND)
/* The same as a bare 0 or 1, for symbol names (fastpath.h). */
#if MK_TRACK_ASAN || MK_VALGRIND
#define MK__TRACKING_ID 1
#else
#define MK__TRACKING_ID 0
#endif

/* Blocks are addressable up to their usable size (mk_usable_size promises
 * it). To catch an overflow at its first byte anyway, when a tool is told:
 * - a free pool block is poisoned whole (pool magazines and class bitmaps
 *   keep nothing inside free blocks);
 * - a heap block gets MK_TRACK_REDZONE poisoned bytes after its usable size
 *   (the next block's header would otherwise be addressable). */
#define MK_TRACK_REDZONE (MK_TRACKING ? 16u : 0u)

/* Statements, not expressions: Valgrind's client requests are statements. */
#define mk_track_alloc(p, n)                                                                                       \
    do {                                                                                                          \
        MK__ASAN_UNPOISON((p), (n));                                                                              \
        MK__VG_ALLOC((p), (n));                                                                                   \
    } while (0)
#define mk_track_free(p, n)                                                                                        \
    do {                                                                                                          \
        MK__ASAN_POISON((p), (n));                                                                                \
        MK__VG_FREE((p), (n));                                                                                    \
    } while (0)
#define mk_track_retire(p, n)                                                                                      \
    do {                                                                                                          \
        MK__ASAN_POISON((p), (n));                                                                                \
        MK__VG_NOACCESS((p), (n));                                                                                \
    } while (0)
#define mk_track_frame_alloc(p, n)                                                                                 \
    do {                                                                                                          \
        MK__ASAN_UNPOISON((p), (n));                                                                              \
        MK__VG_UNDEFINED((p), (n));                                                                               \
    } while (0)
#define mk_track_open(p, n)                                                                                        \
    do {                                                                                                          \
        MK__ASAN_UNPOISON((p), (n));                                                                              \
        MK__VG_DEFINED((p), (n));                                                                                 \
    } while (0)
#define mk_track_close(p, n)                                                                                       \
    do {                                                                                                          \
        MK__ASAN_POISON((p), (n));                                                                                \
        MK__VG_NOACCESS((p), (n));                                                                                \
    } while (0)

#endif /* MEMKIT_TRACK_H */
