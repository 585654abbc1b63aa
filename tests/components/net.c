/* The other component of tests/components/two_configs.c (config
 * tests/configs/component_net.toml, prefix "net"). */
#include <memkit/memkit.h>

#include "components.h"

int net_start(void)
{
    return mk_init(&mkg_config) == MK_OK ? 0 : 1;
}

int net_work(void)
{
    mk_begin_frame();
    void *packet = mk_alloc(MK_INTENT_PACKETS, 1000);
    void *scratch = mk_alloc(MK_INTENT_SCRATCH, 5000);
    if (packet == NULL || scratch == NULL)
        return 1;
    if (mk_alloc(MK_INTENT_PACKETS, 5000) != NULL || mk_last_error() != MK_ETOOBIG)
        return 2;
    mk_stats_t s;
    if (mk_stats_get(&s) != MK_OK || s.intents[MK_INTENT_PACKETS].current != 1024u || MKG_INTENT_COUNT != 2)
        return 3;
    mk_free(packet);
    mk_end_frame();
    return 0;
}

int net_stop(void)
{
    return (int)mk_shutdown();
}
