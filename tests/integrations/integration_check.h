/* integration_check.h — what the adapter tests share on top of
 * tests/runtime/check.h: the balance check. */
#ifndef MEMKIT_INTEGRATION_CHECK_H
#define MEMKIT_INTEGRATION_CHECK_H

#include "check.h"

/* After the library let go of everything: nothing held, every allocation freed. */
#define CHECK_BALANCED(intent)                                                                                     \
    do {                                                                                                           \
        mk_intent_stats_t bal_ = check_intent_stats(intent);                                                                 \
        CHECK_EQ(bal_.current, 0u);                                                                                \
        CHECK_EQ(bal_.allocations, bal_.frees);                                                                    \
    } while (0)

#endif /* MEMKIT_INTEGRATION_CHECK_H */
