/* integrations/bullet/memkit_bullet.h — Bullet Physics (2.x API, Debian
 * libbullet-dev 3.24) on a memkit intent.
 *
 *   mk_init(&mkg_config);
 *   mk_bullet_install(MK_INTENT_PHYSICS);   // before Bullet allocates anything
 *   ... new btDiscreteDynamicsWorld(...), stepSimulation, delete ...
 *   mk_bullet_uninstall();                  // after Bullet's last object is gone
 *
 * What goes through it: every btAlignedAlloc / btAlignedFree — the
 * btAlignedObjectArray buffers, the collision configuration's pool
 * allocators, and every class declared with BT_DECLARE_ALIGNED_ALLOCATOR
 * (worlds, dispatchers, broadphases, solvers, shapes, rigid bodies, motion
 * states), so `new btRigidBody(...)` in your code lands in the intent too.
 * Plain `new` of classes without it (the profiler's nodes, when Bullet is
 * built with profiling) stays on the global operator new.
 *
 * Process-global: Bullet's hooks (btAlignedAllocSetCustom,
 * btAlignedAllocSetCustomAligned) are static function pointers without a user
 * pointer, so there is one intent for all of Bullet in the program, held in
 * a static here. Install before the first Bullet object exists and uninstall
 * after the last is deleted: a block allocated under one set of hooks and
 * freed under the other goes to the wrong allocator. Not thread-safe with
 * Bullet running; the hooks themselves are (memkit is).
 *
 * Bullet's free hook gets no size, so blocks go back with mk_free (an address
 * lookup for pool intents). Blocks are not zeroed: Bullet's default allocator
 * clears them ("keep msan happy", its source says); the adapter does not,
 * and tests/integrations/test_bullet.cpp's bodies still rest where geometry
 * says.
 *
 * Out of memory: Bullet has none of its own — it uses what the hook returns
 * without a check. When memkit refuses a request (budget, tier full, after
 * the intent's on_exhausted policy) the adapter calls the failure handler
 * instead of returning NULL (integrations/memkit_cpp_adapter.h): by default a
 * message naming the intent, the size and the reason, then
 * exit(EXIT_FAILURE). To stay clear of it, compare mk_bullet_headroom() with
 * what the world needs before building it.
 */
#ifndef MEMKIT_BULLET_H
#define MEMKIT_BULLET_H

#include "../memkit_cpp_adapter.h"

#include <LinearMath/btAlignedAllocator.h>

namespace memkit_adapter {
struct bullet_state {
    mk_intent_t intent{};
    failure_handler on_failure{};
};
/* One per program (C++17 inline variable), as Bullet's own hooks are. */
inline bullet_state bullet{};
} // namespace memkit_adapter

/* Bullet's aligned allocation hook: `size` bytes for the installed intent,
 * aligned to `alignment` (Bullet asks 16). Never returns NULL (the failure
 * handler runs instead). O(1) as mk_alloc_aligned. Thread-safe. */
inline void *mk_bullet_alloc_aligned(size_t size, int alignment)
{
    const mk_intent_t intent = memkit_adapter::bullet.intent;
    void *p = mk_alloc_aligned(intent, size, alignment > 0 ? static_cast<size_t>(alignment) : 0);
    if (MK_UNLIKELY(p == nullptr))
        memkit_adapter::fail(memkit_adapter::bullet.on_failure, "bullet", "Bullet", intent, size);
    return p;
}

/* Bullet's unaligned hook (used only by Bullet's default aligned allocator,
 * which the adapter replaces as well; installed so that no path is left on
 * malloc). As mk_bullet_alloc_aligned, at MKG_ALIGNMENT. */
inline void *mk_bullet_alloc(size_t size)
{
    return mk_bullet_alloc_aligned(size, 0);
}

/* Both free hooks: mk_free (Bullet passes no size). NULL is ignored. */
inline void mk_bullet_free(void *ptr)
{
    mk_free(ptr);
}

/* Routes Bullet's allocations to `intent` (a pool or heap intent: Bullet's
 * blocks live as long as the world, so never a frame intent). Call after
 * mk_init and before Bullet allocates. Not thread-safe. */
inline void mk_bullet_install(mk_intent_t intent)
{
    memkit_adapter::bullet.intent = intent;
    btAlignedAllocSetCustom(mk_bullet_alloc, mk_bullet_free);
    btAlignedAllocSetCustomAligned(mk_bullet_alloc_aligned, mk_bullet_free);
}

/* Gives Bullet its default allocator (malloc) back. Call after every Bullet
 * object is deleted. Not thread-safe. */
inline void mk_bullet_uninstall(void)
{
    btAlignedAllocSetCustom(nullptr, nullptr);
    btAlignedAllocSetCustomAligned(nullptr, nullptr);
}

/* Replaces the failure handler (nullptr: the default message and exit).
 * Not thread-safe with Bullet running. */
inline void mk_bullet_set_failure_handler(mk_adapter_failure_fn fn, void *user)
{
    memkit_adapter::bullet.on_failure = memkit_adapter::failure_handler{fn, user};
}

/* mk_adapter_headroom of the installed intent: bytes its budgets still allow.
 * Thread-safe. */
inline uint64_t mk_bullet_headroom(void)
{
    return mk_adapter_headroom(memkit_adapter::bullet.intent);
}

#endif /* MEMKIT_BULLET_H */
