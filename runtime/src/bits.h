/* bits.h — bit scans and counts of 64-bit words, for the runtime and the GPU
 * tier's sub-allocator (standalone: no other memkit header). */
#ifndef MEMKIT_BITS_H
#define MEMKIT_BITS_H

#include <stdint.h>

/* The lowest and the highest set bit of a non-zero word, and the set bits. */
#if defined(__GNUC__) || defined(__clang__)
static inline unsigned mk__ctz64(uint64_t x) { return (unsigned)__builtin_ctzll(x); }
static inline unsigned mk__msb64(uint64_t x) { return 63u - (unsigned)__builtin_clzll(x); }
static inline unsigned mk__popcount64(uint64_t x) { return (unsigned)__builtin_popcountll(x); }
#else
static inline unsigned mk__ctz64(uint64_t x)
{
    unsigned n = 0;
    while ((x & 1u) == 0u) {
        x >>= 1;
        n++;
    }
    return n;
}
static inline unsigned mk__msb64(uint64_t x)
{
    unsigned n = 0;
    while (x >>= 1)
        n++;
    return n;
}
static inline unsigned mk__popcount64(uint64_t x)
{
    unsigned n = 0;
    for (; x != 0u; x &= x - 1u)
        n++;
    return n;
}
#endif

#endif /* MEMKIT_BITS_H */
