/* integration_check.h — what the adapter tests share on top of
 * tests/runtime/check.h: the balance check, and how an adapter of a library
 * without an out-of-memory path ends a program. */
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

/* An OOM handler that says once, on stderr, which intent refused (more
 * would flood a child's pipe) and lets the request fail. */
static inline int check_oom_says_once(mk_intent_t intent, size_t size, mk_status_t reason, void *user)
{
    static int calls;
    (void)user;
    if (calls++ == 0)
        fprintf(stderr, "OOM handler: intent %s, %zu bytes, %s\n", mk_intent_name(intent), size, mk_status_str(reason));
    return 0;
}

/* For the libraries with no out-of-memory path (Bullet, Dear ImGui): `child`
 * runs the library on the budget-bound `intent` with check_oom_says_once as
 * the OOM handler, and must end as the adapter ends it: exit status 1 (not a
 * signal), after the handler and the adapter's message, never reaching the
 * line `never` it prints after the library's work. */
static inline void check_adapter_exits(void (*child)(void), const char *adapter, const char *library,
                                       const char *intent, const char *never)
{
    char text[4096], want[256];
    const int status = check_child_stderr(child, text, sizeof text);
    CHECK(WIFEXITED(status)); /* exited: not SIGSEGV, not SIGABRT */
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_FAILURE);
    snprintf(want, sizeof want, "OOM handler: intent %s", intent); /* the policy ran first */
    CHECK(strstr(text, want) != NULL);
    snprintf(want, sizeof want, "%s: out of memory: intent '%s' refused", adapter, intent);
    CHECK(strstr(text, want) != NULL);
    CHECK(strstr(text, "MK_EBUDGET") != NULL);
    snprintf(want, sizeof want, "%s has no out-of-memory path", library);
    CHECK(strstr(text, want) != NULL);
    CHECK(strstr(text, never) == NULL);
    if (check_failed_count != 0)
        fprintf(stderr, "child's stderr: %s\n", text);
}

#endif /* MEMKIT_INTEGRATION_CHECK_H */
