/* expect: a write into a heap block after mk_free */
#include "track_case.h"
int main(void)
{
    track_start();
    void *keep = mk_alloc(MK_INTENT_BLOB, 256); /* a neighbour, so the freed block is not merged away */
    unsigned char *p = mk_alloc(MK_INTENT_BLOB, 256);
    void *after = mk_alloc(MK_INTENT_BLOB, 256);
    mk_free(p);
    track_poke(p, 100);
    mk_free(keep);
    mk_free(after);
    mk_shutdown();
    return 0;
}
