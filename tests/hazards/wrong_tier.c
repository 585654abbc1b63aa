/* expect: ML603 abort — a shared buffer released through mk_free */
#include "hazard.h"
int main(void)
{
    hazard_init();
    mk_shared_t *s = mk_shared_new(MK_INTENT_DOCUMENTS, 100, "level");
    mk_free(s);
    return hazard_not_caught();
}
