/* expect: a write into a pool block after mk_free */
#include "track_case.h"
int main(void)
{
    track_start();
    unsigned char *p = mk_alloc(MK_INTENT_ENTITY, 64);
    mk_free(p);
    track_poke(p, 24);
    mk_shutdown();
    return 0;
}
