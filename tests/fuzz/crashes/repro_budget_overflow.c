/* mk_alloc of a frame intent with on_exhausted = "fallback" for 2^63 bytes:
 * mk__exhausted spills with n = 2^63, and mk__budget_take((int64_t)n) overflows. */
#include <memkit/memkit.h>
#include <stdio.h>
int main(void) {
    mk_init(&mkg_config);
    void *p = mk_alloc(MK_INTENT_FR_BUDGET, (size_t)1 << 63); /* frame intent, on_exhausted = "fallback" */
    printf("%p %s\n", p, mk_status_str(mk_last_error()));
    mk_shutdown();
}
