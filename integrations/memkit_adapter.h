/* integrations/memkit_adapter.h — what every library adapter checks: the
 * intents a library's blocks may come from. Libraries free their blocks one
 * at a time, whenever they like, which frame memory does not do; async
 * intents are served by memkit/async.h only. So: pool and heap intents. */
#ifndef MEMKIT_ADAPTER_H
#define MEMKIT_ADAPTER_H

#include <memkit/memkit.h>

static inline bool mk_adapter_intent_ok(mk_intent_t intent)
{
    return (unsigned)intent < (unsigned)MKG_INTENT_COUNT &&
           (mkg_routes[intent].tier == MK_TIER_POOL || mkg_routes[intent].tier == MK_TIER_HEAP);
}

#endif /* MEMKIT_ADAPTER_H */
