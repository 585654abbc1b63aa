/* expect: ML605 abort — a heap block overflowed, found by mk_validate */
#include "hazard.h"
int main(void)
{
    hazard_init();
    char *p = mk_alloc(MK_INTENT_DOCUMENTS, 10);
    memset(p, 0, 10);
    p[12] = (char)~p[12]; /* two bytes past the end: flips a canary byte, whatever its random value */
    (void)mk_validate();
    return hazard_not_caught();
}
