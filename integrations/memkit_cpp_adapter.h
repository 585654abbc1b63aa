/* integrations/memkit_cpp_adapter.h — what the C++ adapters share
 * (integrations/bullet/memkit_bullet.h, integrations/imgui/memkit_imgui.h).
 *
 * Neither Bullet nor Dear ImGui has an out-of-memory path: both use the block
 * an allocation hook returns without looking at it (Bullet memcpy's into it or
 * placement-constructs on it, ImGui's ImVector memcpy's into it), so a NULL
 * from memkit would become a segfault somewhere inside the library. The
 * adapters therefore never hand NULL to the library: when memkit refuses a
 * request (after the intent's on_exhausted policy — "callback" runs the OOM
 * handler, which may free memory and have memkit retry once — has had its
 * say), they call a failure handler that ends the program.
 *
 * The default failure handler writes one line to stderr —
 *   memkit-bullet: out of memory: intent 'physics' refused 4096 bytes
 *   (MK_EBUDGET: budget exhausted); Bullet has no out-of-memory path, so the
 *   program exits instead of letting it use a NULL block
 * — and calls std::exit(EXIT_FAILURE). A handler of your own may save state
 * or log more, and must not return (if it does, the adapter aborts). Throwing
 * or longjmp'ing out of it unwinds through library code that is not written
 * to survive that: its state is then unusable, so do not.
 *
 * The way to stay clear of it is to check before building: mk_adapter_headroom
 * says how many bytes the intent's budgets still allow, to compare with what
 * the world or the UI was measured to need (the intent's `peak` in a run
 * without a budget).
 *
 * Header-only (C++17 inline variables hold the adapters' state, one per
 * program); needs memkit/memkit.h and the generated memkit_config.h on the
 * include path, as every memkit user does.
 */
#ifndef MEMKIT_CPP_ADAPTER_H
#define MEMKIT_CPP_ADAPTER_H

#ifndef __cplusplus
#error "memkit_cpp_adapter.h is C++17: Bullet and Dear ImGui are C++ libraries"
#endif

#include <memkit/memkit.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

/* Called when memkit refused `size` bytes for `intent` (`why` is
 * mk_last_error(): MK_EBUDGET, MK_ENOMEM …) inside `library` ("bullet",
 * "imgui"), which cannot take a NULL. Must not return. */
typedef void (*mk_adapter_failure_fn)(const char *library, mk_intent_t intent, size_t size, mk_status_t why,
                                      void *user);

namespace memkit_adapter {

struct failure_handler {
    mk_adapter_failure_fn fn = nullptr; /* nullptr: the default (message, exit) */
    void *user = nullptr;
};

/* What a refused request ends in (see the top of this file). Cold: only on
 * the way out. */
[[noreturn]] [[gnu::cold]] inline void fail(const failure_handler &handler, const char *library,
                                            const char *library_name, mk_intent_t intent, size_t size)
{
    const mk_status_t why = mk_last_error();
    if (handler.fn != nullptr) {
        handler.fn(library, intent, size, why, handler.user);
        std::fprintf(stderr, "memkit-%s: the failure handler returned; %s cannot take a NULL block, aborting\n",
                     library, library_name);
        std::abort();
    }
    std::fprintf(stderr,
                 "memkit-%s: out of memory: intent '%s' refused %zu bytes (%s); %s has no out-of-memory path, so "
                 "the program exits instead of letting it use a NULL block\n",
                 library, mk_intent_name(intent), size, mk_status_str(why), library_name);
    std::exit(EXIT_FAILURE);
}

} // namespace memkit_adapter

/* Bytes `intent` may still allocate as far as its budget and the [budget]
 * total are concerned: the smaller of (budget − current − leased) and
 * (total − reserved); UINT64_MAX when neither is set. An upper bound, not a
 * promise: the tier may be full or fragmented, and other threads may take
 * the room first. O(threads × intents) (mk_stats_get). Thread-safe. */
inline uint64_t mk_adapter_headroom(mk_intent_t intent)
{
    mk_stats_t stats;
    if (mk_stats_get(&stats) != MK_OK)
        return 0;
    const mk_intent_stats_t &own = stats.intents[intent];
    uint64_t room = UINT64_MAX;
    if (own.budget != 0) {
        const uint64_t held = own.current + own.leased;
        room = own.budget > held ? own.budget - held : 0;
    }
    if (stats.budget_total != 0) {
        const uint64_t total_room =
            stats.budget_total > stats.budget_reserved ? stats.budget_total - stats.budget_reserved : 0;
        room = total_room < room ? total_room : room;
    }
    return room;
}

#endif /* MEMKIT_CPP_ADAPTER_H */
