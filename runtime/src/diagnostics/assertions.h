/* assertions.h — the runtime's internal assertions, at two levels (as mimalloc's
 * mi_assert_internal / mi_assert_expensive and o1heap's O1HEAP_ASSERT).
 *
 * MK_ASSERT_LEVEL 0: none (release: NDEBUG builds, the default there);
 *                 1: cheap checks, O(1), in slow paths (the default without NDEBUG);
 *                 2: expensive checks too, O(a list or a batch).
 * memkit's own test builds use 2 (CMakeLists.txt). The fast paths in
 * fastpath.h carry none: they are what a release build runs.
 */
#ifndef MEMKIT_ASSERTIONS_H
#define MEMKIT_ASSERTIONS_H

#ifndef MK_ASSERT_LEVEL
#ifdef NDEBUG
#define MK_ASSERT_LEVEL 0
#else
#define MK_ASSERT_LEVEL 1
#endif
#endif

/* Prints the failed condition and where, then aborts (prim_posix: panic). */
_Noreturn void mk__assert_fail(const char *condition, const char *file, int line);

#if MK_ASSERT_LEVEL >= 1
#define MK__ASSERT(cond) ((cond) ? (void)0 : mk__assert_fail(#cond, __FILE__, __LINE__))
#else
#define MK__ASSERT(cond) ((void)0)
#endif

#if MK_ASSERT_LEVEL >= 2
#define MK__ASSERT_EXPENSIVE(cond) MK__ASSERT(cond)
#else
#define MK__ASSERT_EXPENSIVE(cond) ((void)0)
#endif

#endif /* MEMKIT_ASSERTIONS_H */
