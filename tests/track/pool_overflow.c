/* expect: a write one byte past a pool block's usable size (a 40-byte request in class 64) */
#include "track_case.h"
int main(void)
{
    track_start();
    unsigned char *p = mk_alloc(MK_INTENT_ENTITY, 40);
    track_poke(p, mk_usable_size(p)); /* the first byte of the free block above */
    mk_free(p);
    mk_shutdown();
    return 0;
}
