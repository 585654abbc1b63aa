/* control: correct use of every tier, frames passing, reuse of freed blocks;
 * the tools must report nothing (no false positive from memkit's own
 * bookkeeping inside poisoned memory). */
#include "track_case.h"
#include <string.h>
int main(void)
{
    track_start();
    void *held[64] = {0};
    for (int frame = 0; frame < 6; frame++) {
        mk_begin_frame();
        for (int i = 0; i < 200; i++) {
            unsigned char *f = mk_alloc(MK_INTENT_SCRATCH, (size_t)(i % 300) + 1);
            if (f != NULL)
                memset(f, i, (size_t)(i % 300) + 1);
        }
        for (int i = 0; i < 64; i++) {
            mk_free(held[i]);
            size_t size = (size_t)((i * 37 + frame * 11) % 64) + 1;
            held[i] = i % 3 == 0 ? mk_alloc(MK_INTENT_BLOB, size * 40) : mk_alloc(MK_INTENT_ENTITY, size);
            if (held[i] != NULL)
                memset(held[i], i, i % 3 == 0 ? size * 40 : size);
        }
        void *r = mk_realloc(MK_INTENT_BLOB, mk_alloc(MK_INTENT_BLOB, 100), 5000);
        mk_free(r);
        mk_end_frame();
    }
    for (int i = 0; i < 64; i++)
        mk_free(held[i]);
    int ok = mk_validate() == MK_OK;
    mk_shutdown();
    return ok ? 0 : 1;
}
