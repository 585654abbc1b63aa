/* expect: ML608 exit 3 — three blocks live at mk_shutdown (its return value is the exit status) */
#include "hazard.h"
int main(void)
{
    hazard_init();
    (void)mk_alloc(MK_INTENT_PHYSICS, 48);
    (void)mk_alloc(MK_INTENT_DOCUMENTS, 1000);
    (void)mk_shared_new(MK_INTENT_DOCUMENTS, 64, "forgotten");
    return (int)mk_shutdown();
}
