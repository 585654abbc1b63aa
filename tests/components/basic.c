/* The first component of tests/components/clash_main.c (tests/configs/basic.toml, no prefix). */
#include <memkit/memkit.h>

#include "components.h"

int basic_start(void)
{
    if (mk_init(&mkg_config) != MK_OK)
        return 1;
    void *p = mk_alloc(MK_INTENT_ENTITY, 16);
    if (p == NULL)
        return 2;
    mk_free(p);
    return 0;
}

int basic_stop(void)
{
    return (int)mk_shutdown();
}
