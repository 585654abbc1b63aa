/* test_reserve_range.c — a 32-bit target asked to reserve a 5 GiB heap
 * (tests/configs/reserve_huge.toml): mk_init refuses with MK_ERANGE before
 * it maps anything, instead of mapping the size truncated to 32 bits (1 GiB)
 * and formatting a heap of that size. Built for 32-bit targets only
 * (`make test-m32`). */
#include "check.h"

#if UINTPTR_MAX != 0xFFFFFFFFu
#error "test_reserve_range is for 32-bit targets"
#endif

int main(void)
{
    CHECK_EQ(mk_init(&mkg_config), MK_ERANGE);
    CHECK(strstr(mk_status_str(MK_ERANGE), "address space") != NULL);
    CHECK(mk_alloc(MK_INTENT_ASSETS, 16) == NULL); /* nothing came up */
    CHECK_EQ(mk_shutdown(), 0u);
    /* the refusal leaves the runtime as it was: a config that fits still starts */
    CHECK_EQ(mk_init(&mkg_config), MK_ERANGE);
    return check_finish("test_reserve_range");
}
