/* ML501: mk_alloc_current() in functions with no intent scope. */
#include <memkit/memkit.h>

void *no_scope(void)
{
    return mk_alloc_current(64);                      /* expect ML501 */
}

void *scope_pushed_after(void)
{
    void *p = mk_alloc_current(32);                   /* expect ML501: the push comes later */
    if (mk_intent_push(MK_INTENT_BLOB) == MK_OK)
        mk_intent_pop();
    return p;
}

void *ignores_another_code(void)
{
    return mk_alloc_current(8);   /* expect ML501: memkit-lens: ignore ML104 names another code */
}
