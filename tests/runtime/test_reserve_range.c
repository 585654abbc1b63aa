/* test_reserve_range.c — a 32-bit target asked to reserve a 5 GiB heap:
 * mk_init refuses with MK_ERANGE before it maps anything, instead of mapping
 * the size truncated to 32 bits (1 GiB) and formatting a heap of that size.
 * memkit-gen refuses such a config for a 32-bit target, so the test patches a
 * copy of a generated one (tests/configs/single.toml: every tier reserved).
 * Built for 32-bit targets only (`make test-m32`). */
#include "check.h"

#if UINTPTR_MAX != 0xFFFFFFFFu
#error "test_reserve_range is for 32-bit targets"
#endif

int main(void)
{
    mk_config_t huge = mkg_config;
    huge.heap_bytes = 5ull << 30;
    CHECK_EQ(mk_init(&huge), MK_ERANGE);
    CHECK(strstr(mk_status_str(MK_ERANGE), "address space") != NULL);
    CHECK(mk_alloc(MK_INTENT_LEVEL, 16) == NULL); /* nothing came up */
    CHECK_EQ(mk_shutdown(), 0u);

    /* the refusal leaves the runtime as it was: the config as generated starts */
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
    void *p = mk_alloc(MK_INTENT_LEVEL, 4096);
    CHECK(p != NULL);
    mk_free(p);
    CHECK_EQ(mk_shutdown(), 0u);
    return check_finish("test_reserve_range");
}
