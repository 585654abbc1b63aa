/* ML501 must not fire: each mk_alloc_current() has an intent scope before it. */
#include <memkit/memkit.h>

void *scope_macro(void)
{
    MK_INTENT_SCOPE(MK_INTENT_BLOB);
    return mk_alloc_current(64);
}

void *with_intent(void)
{
    void *p = NULL;
    mk_with_intent(MK_INTENT_BLOB) {
        p = mk_alloc_current(16);
    }
    return p;
}

void *pushed_earlier(int n)
{
    if (mk_intent_push(MK_INTENT_BLOB) != MK_OK)
        return NULL;
    void *p = NULL;
    for (int i = 0; i < n; i++)
        p = mk_alloc_current(8);
    mk_intent_pop();
    return p;
}

void *explicit_intent(void)
{
    return mk_alloc(MK_INTENT_BLOB, 64);          /* an intent of its own: no scope needed */
}

/* A helper that allocates for whatever intent its callers push: the check cannot see the
 * callers, so the finding is silenced where it would be. */
void *third_party_alloc(size_t size)
{
    return mk_alloc_current(size);   /* memkit-lens: ignore ML501 (callers push the intent) */
}

void *third_party_table(size_t size)
{
    /* memkit-lens: ignore ML501 ML104 */
    return mk_alloc_current(size);
}
