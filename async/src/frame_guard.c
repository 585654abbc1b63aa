/* frame_guard.c — the async frame guard: a task that keeps using frame
 * memory after it suspends holds that frame, and the frame's slot is not
 * reset while holds are outstanding.
 *
 * One monitor serializes holds with the start of a frame: mk_frame_hold
 * reads the current frame and counts itself on that frame's slot inside it,
 * and mk_begin_frame checks the slot the new frame reuses and moves the epoch
 * inside it, so no hold can slip onto a slot that is being reused.
 *
 * The choice (docs/async.md): mk_begin_frame waits for the last hold to drop,
 * after reporting ML106 so that a wait is never silent; a loop that must not
 * block calls mk_begin_frame_try, which reports MK_EBUSY and changes nothing,
 * and retries when the unheld hook runs. Single-threaded builds stop with
 * ML106 where mk_begin_frame would wait forever.
 */
#include "async_internal.h"

static struct {
    mk__prim_monitor_t monitor;
    bool live;
    uint32_t holds[MKG_FRAMES_IN_FLIGHT]; /* per frame slot */
    bool refused;                         /* mk_begin_frame_try said MK_EBUSY since the last unheld hook */
    void (*unheld)(void *user);
    void *unheld_user;
} mk__guard;

void mk__frame_guard_init(void)
{
    mk__prim_monitor_init(&mk__guard.monitor);
    memset(mk__guard.holds, 0, sizeof mk__guard.holds);
    mk__guard.refused = false;
    mk__guard.live = true;
}

void mk__frame_guard_fini(void)
{
    if (mk__guard.live)
        mk__prim_monitor_destroy(&mk__guard.monitor);
    mk__guard.live = false;
}

void mk__frame_guard_fork_prepare(void)
{
    if (mk__guard.live)
        mk__prim_monitor_lock(&mk__guard.monitor);
}

void mk__frame_guard_fork_parent(void)
{
    if (mk__guard.live)
        mk__prim_monitor_unlock(&mk__guard.monitor);
}

/* The slot the next frame reuses. */
static unsigned mk__guard_next_slot(void)
{
    return (unsigned)((mk_frame_index() + 1u) % MKG_FRAMES_IN_FLIGHT);
}

void mk__frame_guard_begin(void)
{
    if (!mk__guard.live) {
        mk__frame_advance();
        return;
    }
    mk__prim_monitor_lock(&mk__guard.monitor);
    unsigned slot = mk__guard_next_slot();
    if (mk__guard.holds[slot] != 0u) {
        uint64_t held = mk_frame_index() + 1u - MKG_FRAMES_IN_FLIGHT;
        uint32_t holds = mk__guard.holds[slot];
        mk__prim_monitor_unlock(&mk__guard.monitor);
        mk__report(MK__ML106, NULL, -1, NULL, 0,
                   "mk_begin_frame waits: frame %llu is still held by %u task%s (mk_frame_hold), and the new frame "
                   "reuses its slot",
                   (unsigned long long)held, (unsigned)holds, holds == 1u ? "" : "s");
        if (!MKG_THREADS)
            mk__panic("memkit: ML106: mk_begin_frame on a held frame in a single-threaded build would wait "
                           "forever: release the hold first, or use mk_begin_frame_try");
        mk__prim_monitor_lock(&mk__guard.monitor);
        while (mk__guard.holds[slot] != 0u)
            mk__prim_monitor_wait(&mk__guard.monitor, UINT64_MAX);
    }
    mk__frame_advance();
    mk__prim_monitor_unlock(&mk__guard.monitor);
}

mk_status_t mk_begin_frame_try(void)
{
    if (!mk__guard.live)
        return MK_ESTATE;
    mk__prim_monitor_lock(&mk__guard.monitor);
    if (mk__guard.holds[mk__guard_next_slot()] != 0u) {
        mk__guard.refused = true;
        mk__prim_monitor_unlock(&mk__guard.monitor);
        return MK_EBUSY;
    }
    mk__frame_advance();
    mk__prim_monitor_unlock(&mk__guard.monitor);
    return MK_OK;
}

mk_status_t mk_frame_hold(mk_frame_hold_t *hold)
{
    if (hold == NULL)
        return MK_EINVAL;
    if (!mk__guard.live)
        return MK_ESTATE;
    mk__prim_monitor_lock(&mk__guard.monitor);
    hold->frame = mk_frame_index();
    hold->held = 1u;
    mk__guard.holds[hold->frame % MKG_FRAMES_IN_FLIGHT]++;
    mk__prim_monitor_unlock(&mk__guard.monitor);
    return MK_OK;
}

void mk_frame_release(mk_frame_hold_t *hold)
{
    if (hold == NULL || hold->held == 0u || !mk__guard.live)
        return;
    void (*hook)(void *) = NULL;
    void *user = NULL;
    mk__prim_monitor_lock(&mk__guard.monitor);
    hold->held = 0u;
    uint32_t *holds = &mk__guard.holds[hold->frame % MKG_FRAMES_IN_FLIGHT];
    if (--*holds == 0u) {
        mk__prim_monitor_notify_all(&mk__guard.monitor);
        if (mk__guard.refused) {
            mk__guard.refused = false;
            hook = mk__guard.unheld;
            user = mk__guard.unheld_user;
        }
    }
    mk__prim_monitor_unlock(&mk__guard.monitor);
    if (hook != NULL)
        hook(user);
}

uint32_t mk_frame_holds(uint64_t frame)
{
    if (!mk__guard.live || !mk__frame_in_flight(frame))
        return 0;
    mk__prim_monitor_lock(&mk__guard.monitor);
    uint32_t n = mk__guard.holds[frame % MKG_FRAMES_IN_FLIGHT];
    mk__prim_monitor_unlock(&mk__guard.monitor);
    return n;
}

void mk_frame_set_unheld_hook(void (*fn)(void *user), void *user)
{
    if (!mk__guard.live)
        return;
    mk__prim_monitor_lock(&mk__guard.monitor);
    mk__guard.unheld = fn;
    mk__guard.unheld_user = user;
    mk__prim_monitor_unlock(&mk__guard.monitor);
}
