/* test_frame_guard.c — the async frame guard: a held frame's slot is not
 * reset; mk_begin_frame_try reports it, mk_begin_frame waits (ML106) until
 * the last hold drops (tests/configs/async.toml: 2 frames in flight). */
#include "async_check.h"

#include <pthread.h>
#include <stdatomic.h>

static int unheld_calls;

static void on_unheld(void *user)
{
    CHECK(user == &unheld_calls);
    unheld_calls++;
}

static void test_try_reports_a_held_frame(void)
{
    mk_begin_frame(); /* frame 1, slot 1 */
    char *data = mk_alloc(MK_INTENT_SCENE, 64);
    check_fill(data, 64, 3);
    mk_frame_hold_t hold;
    CHECK_EQ(mk_frame_hold(&hold), MK_OK);
    CHECK_EQ(hold.frame, 1);
    CHECK_EQ(mk_frame_holds(1), 1);
    mk_end_frame();
    unheld_calls = 0;
    mk_frame_set_unheld_hook(on_unheld, &unheld_calls);
    CHECK_EQ(mk_begin_frame_try(), MK_OK); /* frame 2 reuses slot 0: free */
    mk_end_frame();
    CHECK_EQ(mk_begin_frame_try(), MK_EBUSY); /* frame 3 would reuse frame 1's slot */
    CHECK_EQ(mk_frame_index(), 2);
    CHECK(check_intact(data, 64, 3));
    CHECK_EQ(unheld_calls, 0);
    mk_frame_release(&hold);
    CHECK_EQ(unheld_calls, 1); /* the refused begin can be retried now */
    mk_frame_release(&hold);   /* a second release does nothing */
    CHECK_EQ(mk_frame_holds(1), 0);
    CHECK_EQ(mk_begin_frame_try(), MK_OK);
    CHECK_EQ(mk_frame_index(), 3);
    CHECK_EQ(mk_frame_holds(1), 0); /* left flight */
    mk_end_frame();
}

static atomic_int ml106;

static void count_reports(const mk_report_t *report, void *user)
{
    (void)user;
    if (strcmp(report->code, "ML106") == 0)
        ml106++;
}

static mk_frame_hold_t task_hold;

static void *release_later(void *arg)
{
    (void)arg;
    while (ml106 == 0) /* mk_begin_frame reports before it waits */
        sched_yield();
    mk_frame_release(&task_hold);
    return NULL;
}

static void test_begin_frame_waits_for_the_last_hold(void)
{
    mk_set_report_handler(count_reports, NULL);
    ml106 = 0;
    mk_begin_frame(); /* frame 1 */
    CHECK_EQ(mk_frame_hold(&task_hold), MK_OK);
    mk_end_frame();
    mk_begin_frame(); /* frame 2 */
    mk_end_frame();
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, release_later, NULL), 0);
    mk_begin_frame(); /* frame 3: waits until the other thread releases frame 1 */
    CHECK_EQ(ml106, 1);
    CHECK_EQ(task_hold.held, 0);
    CHECK_EQ(mk_frame_index(), 3);
    pthread_join(thread, NULL);
    mk_end_frame();
    mk_set_report_handler(NULL, NULL);
}

int main(void)
{
    RUN(test_try_reports_a_held_frame);
    RUN(test_begin_frame_waits_for_the_last_hold);
    return check_finish("test_frame_guard");
}
