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
 * and two more for memkit's own bookkeeping inside such memory (free-list
 * links written into free blocks):
 *
 *   mk_track_open(p, n) / mk_track_close(p, n)
 *
 * AddressSanitizer is used automatically when the build has it (manual
 * poisoning: reports read "use-after-poison"). Valgrind needs MK_VALGRIND=1
 * (CMake: the VALGRIND option of memkit_generate / memkit_add_runtime):
 * blocks become malloc-like blocks of memcheck. With neither, every macro is
 * empty and costs nothing.
 */
#ifndef MEMKIT_TRACK_H
#define MEMKIT_TRACK_H

#if defined(__SANITIZE_ADDRESS__)
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
#define MK__VG_FREE(p, n) (VALGRIND_FREELIKE_BLOCK((p), 0), VALGRIND_MAKE_MEM_NOACCESS((p), (n)))
#define MK__VG_NOACCESS(p, n) VALGRIND_MAKE_MEM_NOACCESS((p), (n))
#define MK__VG_DEFINED(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))
#else
#define MK__VG_ALLOC(p, n) ((void)(p), (void)(n))
#define MK__VG_FREE(p, n) ((void)(p), (void)(n))
#define MK__VG_NOACCESS(p, n) ((void)(p), (void)(n))
#define MK__VG_DEFINED(p, n) ((void)(p), (void)(n))
#endif

/* Is any tool being told? Code that only exists for the tools tests this. */
#define MK_TRACKING (MK_TRACK_ASAN || MK_VALGRIND)

#define mk_track_alloc(p, n) (MK__ASAN_UNPOISON((p), (n)), MK__VG_ALLOC((p), (n)))
#define mk_track_free(p, n) (MK__ASAN_POISON((p), (n)), MK__VG_FREE((p), (n)))
#define mk_track_retire(p, n) (MK__ASAN_POISON((p), (n)), MK__VG_NOACCESS((p), (n)))
#define mk_track_open(p, n) (MK__ASAN_UNPOISON((p), (n)), MK__VG_DEFINED((p), (n)))
#define mk_track_close(p, n) (MK__ASAN_POISON((p), (n)), MK__VG_NOACCESS((p), (n)))

#endif /* MEMKIT_TRACK_H */
