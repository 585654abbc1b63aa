/* expect: ML403 exit 0 — most carved blocks of a class idle in its global list */
#include "hazard.h"
static void *burst(void *unused)
{
    (void)unused;
    void *blocks[200];
    for (int i = 0; i < 200; i++)
        blocks[i] = mk_alloc(MK_INTENT_PHYSICS, 100);
    for (int i = 0; i < 200; i++)
        mk_free(blocks[i]);
    mk_thread_detach(); /* its cache goes back to the global list */
    return NULL;
}
int main(void)
{
    hazard_init();
    hazard_on_thread(burst, NULL);
    (void)mk_validate();
    return (int)mk_shutdown();
}
