/* expect: ML607 exit 0 — allocations past an intent budget (1 KiB) */
#include "hazard.h"
int main(void)
{
    hazard_init();
    void *blocks[64];
    int n = 0;
    while (n < 64 && (blocks[n] = mk_alloc(MK_INTENT_TINY, 100)) != NULL)
        n++;
    while (n > 0)
        mk_free(blocks[--n]);
    return (int)mk_shutdown();
}
