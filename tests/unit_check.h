/* unit_check.h — the harness of memkit's standalone unit tests: the ones
 * that build a single component (the TLSF heap, the GPU sub-allocators, the
 * mock GPU) without a generated config or memkit.h (tests/runtime/check.h
 * is the full runtime's). CHECK and CHECK_EQ count and report; a test's
 * main ends with `return unit_check_finish("name");`. */
#ifndef MEMKIT_UNIT_CHECK_H
#define MEMKIT_UNIT_CHECK_H

#include <stdio.h>

static unsigned long g_passed, g_failed;

#define CHECK(expr)                                                                                                \
    do {                                                                                                           \
        if (expr)                                                                                                  \
            g_passed++;                                                                                            \
        else {                                                                                                     \
            g_failed++;                                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr);                               \
        }                                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                                             \
    do {                                                                                                           \
        unsigned long long check_a_ = (unsigned long long)(a), check_b_ = (unsigned long long)(b);                 \
        if (check_a_ == check_b_)                                                                                  \
            g_passed++;                                                                                            \
        else {                                                                                                     \
            g_failed++;                                                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%llu != %llu)\n", __FILE__, __LINE__, #a, #b,          \
                    check_a_, check_b_);                                                                           \
        }                                                                                                          \
    } while (0)

/* Prints "name: N passed, M failed"; the exit status. */
static inline int unit_check_finish(const char *name)
{
    printf("%s: %lu passed, %lu failed\n", name, g_passed, g_failed);
    return g_failed == 0u ? 0 : 1;
}

#endif /* MEMKIT_UNIT_CHECK_H */
