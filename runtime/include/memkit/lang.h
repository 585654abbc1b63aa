/* memkit/lang.h — the C11 constructs memkit's headers use, spelled for the
 * language that includes them, so that every public header and the generated
 * memkit_config.h compile as C11 and as C++17/20 with the same layout and the
 * same (C) linkage. Included by memkit/config.h, so by every memkit header.
 *
 * In C each macro is the C11 construct itself: C builds compile exactly what
 * they compiled before. The atomics have their spelling in memkit/fastpath.h,
 * next to the relaxed loads and stores the fast paths use.
 */
#ifndef MEMKIT_LANG_H
#define MEMKIT_LANG_H

#ifdef __cplusplus

/* Around a header's declarations: C linkage, so that C++ callers link to the
 * runtime's C symbols. Blocks nest; system headers stay outside them. */
#define MK__EXTERN_C_BEGIN extern "C" {
#define MK__EXTERN_C_END }
#define MK__STATIC_ASSERT(cond, message) static_assert(cond, message)
#define MK__ALIGNOF(T) alignof(T)
/* A value of struct type T from its members in order: a compound literal in
 * C, a braced temporary in C++ (which has no compound literals). */
#define MK__VALUE(T, ...) (T{__VA_ARGS__})
/* C11's _Thread_local as GCC and Clang compile it. Not thread_local: C++
 * reaches an extern thread_local variable through a check for a dynamic
 * initialiser (a weak _ZTH symbol) on every access, which the fast paths
 * would pay for and which C never defines; __thread is the plain access. */
#if defined(__GNUC__) || defined(__clang__)
#define MK__THREAD_LOCAL __thread
#else
#define MK__THREAD_LOCAL thread_local
#endif

#else /* C11 */

#define MK__EXTERN_C_BEGIN
#define MK__EXTERN_C_END
#define MK__STATIC_ASSERT(cond, message) _Static_assert(cond, message)
#define MK__ALIGNOF(T) _Alignof(T)
#define MK__VALUE(T, ...) ((T){__VA_ARGS__})
#define MK__THREAD_LOCAL _Thread_local

#endif

#endif /* MEMKIT_LANG_H */
