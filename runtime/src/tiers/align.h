/* align.h — address arithmetic that cannot wrap (standalone: no other memkit
 * header), for the bump allocations of the frame tier and the heap's
 * alignment gaps.
 *
 * `(p + align - 1) & ~(align - 1)` wraps past the top of the address space
 * when p lies within `align` of it: on a 32-bit target an arena above 2 GiB
 * and an alignment of 2 GiB are enough, and the rounded address comes out
 * below p. These helpers work with the distance to the next boundary and the
 * room left instead, which never wrap. With them, the size tests that go
 * with them: a power of two, a config size that fits this target's size_t.
 */
#ifndef MEMKIT_ALIGN_H
#define MEMKIT_ALIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes from `addr` up to the next multiple of `align` (a power of two):
 * 0 .. align - 1, whatever `addr`. */
static inline uintptr_t mk__align_pad(uintptr_t addr, uintptr_t align)
{
    return (uintptr_t)(0u - addr) & (align - 1u);
}

/* Carves `n` bytes aligned to `align` (a power of two) from [cursor, limit),
 * cursor <= limit: true with the block's address in *out when they fit,
 * false (nothing written) otherwise. */
static inline bool mk__carve(uintptr_t cursor, uintptr_t limit, uintptr_t align, uintptr_t n, uintptr_t *out)
{
    uintptr_t room = limit - cursor;
    uintptr_t pad = mk__align_pad(cursor, align);
    if (pad > room || n > room - pad)
        return false;
    *out = cursor + pad;
    return true;
}

static inline bool mk__is_pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* Does a size from the config (uint64_t) fit this target's size_t? mk_init
 * asks before it maps anything of storage = "reserve" (MK_ERANGE otherwise),
 * so that a 32-bit target never maps a truncated size. */
static inline bool mk__size_fits(uint64_t bytes)
{
#if SIZE_MAX < UINT64_MAX
    return bytes <= (uint64_t)SIZE_MAX;
#else
    (void)bytes;
    return true;
#endif
}

#endif /* MEMKIT_ALIGN_H */
