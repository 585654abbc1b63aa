/* track_case.h — shared by the tracking death tests: each program makes one
 * mistake inside memkit's memory that AddressSanitizer and Valgrind must
 * report as they would for malloc's (a block is addressable up to
 * mk_usable_size). Config: tests/configs/basic.toml. The writes go through a
 * volatile pointer so the compiler keeps them. */
#ifndef MEMKIT_TRACK_CASE_H
#define MEMKIT_TRACK_CASE_H

#include <memkit/memkit.h>
#include <stdio.h>
#include <stdlib.h>

static inline void track_poke(void *p, size_t offset)
{
    volatile unsigned char *b = (volatile unsigned char *)p;
    b[offset] = 0x5a;
}

static inline void track_start(void)
{
    if (mk_init(&mkg_config) != MK_OK) {
        fprintf(stderr, "mk_init failed\n");
        exit(2);
    }
}

#endif
