/* async_check.h — what the async tier's tests share: a test clock advanced by
 * hand, a loop whose hooks record what they were asked, and completions that
 * record their order. No test sleeps: deadlines move with the test clock. */
#ifndef MEMKIT_ASYNC_CHECK_H
#define MEMKIT_ASYNC_CHECK_H

#include "check.h"

#include <memkit/async.h>

static mk_time_t test_now = 1000000000u; /* starts at 1 s */

static inline mk_time_t test_clock(void *user)
{
    (void)user;
    return test_now;
}

typedef struct test_loop {
    mk_async_loop_t loop;
    unsigned wakes;      /* wake hook calls */
    unsigned timers;     /* timer hook calls */
    mk_time_t armed;     /* the last deadline the timer hook was given */
} test_loop_t;

static inline void test_wake(void *user)
{
    ((test_loop_t *)user)->wakes++;
}

static inline void test_timer(void *user, mk_time_t deadline)
{
    test_loop_t *l = user;
    l->timers++;
    l->armed = deadline;
}

static inline void test_loop_init(test_loop_t *l)
{
    memset(l, 0, sizeof *l);
    l->armed = MK_ASYNC_FOREVER;
    mk_async_hooks_t hooks = {test_wake, test_timer, l};
    mk_async_loop_init(&l->loop, &hooks);
    mk_async_set_clock(test_clock, NULL);
}

/* A request whose completion records its order, status and result. */
typedef struct test_req {
    mk_async_waiter_t waiter;
    int order;          /* 0 until done: then 1, 2, ... in completion order */
    mk_status_t status;
    mk_msg_t result;
} test_req_t;

static int test_completions;

static inline void test_done(mk_async_waiter_t *w, mk_status_t status, mk_msg_t result)
{
    test_req_t *r = w->user;
    r->order = ++test_completions;
    r->status = status;
    r->result = result;
}

static inline mk_async_stats_t test_async_stats(const char *name, unsigned kind)
{
    mk_stats_t s = check_stats();
    for (uint32_t i = 0; i < s.async_count; i++)
        if (s.async[i].kind == kind && strcmp(s.async[i].name, name) == 0)
            return s.async[i];
    fprintf(stderr, "no async stats for %s\n", name);
    check_failed_count++;
    mk_async_stats_t none;
    memset(&none, 0, sizeof none);
    return none;
}

#endif /* MEMKIT_ASYNC_CHECK_H */
