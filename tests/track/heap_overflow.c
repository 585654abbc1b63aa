/* expect: a write one byte past a heap block's usable size (into its redzone) */
#include "track_case.h"
int main(void)
{
    track_start();
    unsigned char *p = mk_alloc(MK_INTENT_BLOB, 100);
    track_poke(p, mk_usable_size(p));
    mk_free(p);
    mk_shutdown();
    return 0;
}
