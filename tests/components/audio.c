/* One component of tests/components/two_configs.c, built against its own
 * config (tests/configs/component_audio.toml, prefix "audio"). */
#include <memkit/memkit.h>

#include "components.h"

int audio_start(void)
{
    return mk_init(&mkg_config) == MK_OK ? 0 : 1;
}

int audio_work(void)
{
    void *voice = mk_alloc(MK_INTENT_VOICES, 200);
    void *sample = mk_alloc(MK_INTENT_SAMPLES, 10000);
    if (voice == NULL || sample == NULL)
        return 1;
    mk_stats_t s;
    if (mk_stats_get(&s) != MK_OK || s.intents[MK_INTENT_VOICES].current != 256u || MKG_INTENT_COUNT != 2)
        return 2;
    mk_free(voice);
    mk_free(sample);
    return 0;
}

int audio_stop(void)
{
    return (int)mk_shutdown();
}
