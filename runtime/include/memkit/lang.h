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

/* Symbol visibility. memkit compiles its runtime with hidden visibility
 * (-fvisibility=hidden: the CMake target, cmake/runtime_sources.sh,
 * examples/make), so that a program or a shared library that links it
 * exports the public API and nothing else: the declarations between
 * MK__API_BEGIN and MK__API_END, which also give them C linkage. The runtime's
 * own names that a public header must declare for the inline fast paths (the
 * mk__ names) are MK__INTERNAL, or inside MK__INTERNAL_BEGIN/END: hidden
 * whatever the flags, and reached without a GOT entry from -fPIC code. So the
 * inline fast paths work where the runtime is linked into the same program
 * or shared library; another module calls that one's exported functions. */
#if defined(__GNUC__) || defined(__clang__)
#define MK__VISIBILITY_DEFAULT _Pragma("GCC visibility push(default)")
#define MK__VISIBILITY_HIDDEN _Pragma("GCC visibility push(hidden)")
#define MK__VISIBILITY_POP _Pragma("GCC visibility pop")
#define MK__INTERNAL __attribute__((visibility("hidden")))
#else
#define MK__VISIBILITY_DEFAULT
#define MK__VISIBILITY_HIDDEN
#define MK__VISIBILITY_POP
#define MK__INTERNAL
#endif
#define MK__API_BEGIN MK__EXTERN_C_BEGIN MK__VISIBILITY_DEFAULT
#define MK__API_END MK__VISIBILITY_POP MK__EXTERN_C_END
#define MK__INTERNAL_BEGIN MK__EXTERN_C_BEGIN MK__VISIBILITY_HIDDEN
#define MK__INTERNAL_END MK__VISIBILITY_POP MK__EXTERN_C_END

#endif /* MEMKIT_LANG_H */
