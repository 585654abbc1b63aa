/* memtype.c — memory type choice by cost (memtype.h). */
#include "memtype.h"

#include <stddef.h>

#include "bits.h" /* runtime/src */


int mk__gpu_memory_type(const uint32_t *type_flags, uint32_t type_count, uint32_t type_bits,
                        mk_gpu_memory_want_t want, uint32_t *cost)
{
    int best = -1;
    uint32_t best_cost = UINT32_MAX;
    for (uint32_t i = 0; i < type_count && i < 32u; i++) {
        uint32_t flags = type_flags[i];
        if ((type_bits & (1u << i)) == 0u || (flags & want.required) != want.required)
            continue;
        uint32_t c = mk__popcount64(want.preferred & ~flags) + mk__popcount64(flags & want.not_preferred);
        if (c < best_cost) { /* strictly: the lowest index wins a tie */
            best = (int)i;
            best_cost = c;
        }
    }
    if (cost != NULL)
        *cost = best_cost;
    return best;
}
