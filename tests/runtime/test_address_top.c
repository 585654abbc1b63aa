/* test_address_top.c — aligned frame allocations from an arena in the upper
 * half of the address space (tests/configs/single.toml: the arenas are
 * reserved at mk_init, and a 32-bit process on Linux gets its mappings near
 * the top of its 4 GiB). Rounding the cursor up to a 2 GiB alignment used to
 * wrap there: mk_alloc_aligned returned NULL with MK_OK and moved the cursor
 * to address 0, so the next allocation handed out unmapped memory.
 * `make test-m32` runs it where it matters; on 64-bit targets no arena is
 * that high and it checks the same contract.
 */
#include "check.h"

#define HALF ((size_t)1 << (sizeof(size_t) * 8u - 1u))

static void test_huge_alignment_fails_cleanly(void)
{
    mk_begin_frame();
    unsigned char *first = mk_alloc(MK_INTENT_TEMP, 32);
    CHECK(first != NULL);
#if UINTPTR_MAX == 0xFFFFFFFFu
    /* the case this test exists for: without it, it proves little */
    CHECK((uintptr_t)first >= (uintptr_t)HALF);
#endif
    for (size_t align = (size_t)1 << 20; align != 0u; align <<= 1) {
        unsigned char *p = mk_alloc_aligned(MK_INTENT_TEMP, 32, align);
        if (p == NULL) {
            CHECK_EQ(mk_last_error(), MK_ENOMEM); /* arena and heap are far too small */
        } else { /* the cursor happened to be aligned: a block right there */
            CHECK(((uintptr_t)p & (align - 1u)) == 0u);
            CHECK(p >= first + 32);
        }
    }
    /* the cursor did not move: the next block follows the first */
    unsigned char *next = mk_alloc(MK_INTENT_TEMP, 32);
    CHECK(next == first + 32);
    if (next != NULL)
        memset(next, 0x5a, 32);
    mk_end_frame();
    CHECK_EQ(mk_validate(), MK_OK);
}

int main(void)
{
    RUN(test_huge_alignment_fails_cleanly);
    return check_finish("test_address_top");
}
