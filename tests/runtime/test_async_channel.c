/* test_async_channel.c — channels: zero-copy FIFO delivery, reserve/send
 * permits, backpressure, cancellation racing a grant, close
 * (tests/configs/async.toml). */
#include "async_check.h"

#include <pthread.h>

static void *block(void)
{
    void *b = NULL;
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_STRESS, &b), MK_OK);
    return b;
}

static uint64_t blocks_held(void)
{
    return test_async_stats("stress", MK_ASYNC_KIND_POOL).in_use;
}

static void test_send_and_receive_move_blocks(void)
{
    void *a = block(), *b = block();
    check_fill(a, 64, 1);
    CHECK_EQ(mk_channel_try_send(MK_ASYNC_CHANNEL_PIPE, a, 10), MK_OK);
    mk_permit_t permit;
    CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_PIPE, &permit), MK_OK);
    CHECK_EQ(permit.held, 1);
    mk_channel_send(&permit, b, 20);
    CHECK_EQ(permit.held, 0);
    CHECK_EQ(mk_channel_len(MK_ASYNC_CHANNEL_PIPE), 2);
    mk_msg_t m;
    CHECK_EQ(mk_channel_try_recv(MK_ASYNC_CHANNEL_PIPE, &m), MK_OK);
    CHECK(m.ptr == a && m.len == 10); /* the same block: nothing copied */
    CHECK(check_intact(m.ptr, 64, 1));
    CHECK_EQ(mk_channel_try_recv(MK_ASYNC_CHANNEL_PIPE, &m), MK_OK);
    CHECK(m.ptr == b && m.len == 20);
    CHECK_EQ(mk_channel_try_recv(MK_ASYNC_CHANNEL_PIPE, &m), MK_EEMPTY);
    mk_async_stats_t s = test_async_stats("pipe", MK_ASYNC_KIND_CHANNEL);
    CHECK_EQ(s.peak, 2);
    CHECK_EQ(s.releases, 2);
    CHECK_EQ(s.grants, 2);
    mk_async_release(a);
    mk_async_release(b);
}

static void test_capacity_and_permits(void)
{
    mk_permit_t p[4], extra;
    for (int i = 0; i < 4; i++)
        CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_PIPE, &p[i]), MK_OK);
    CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_PIPE, &extra), MK_EFULL); /* permits hold slots */
    mk_channel_permit_release(&p[3]);
    CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_PIPE, &p[3]), MK_OK);
    for (int i = 0; i < 4; i++)
        mk_channel_permit_release(&p[i]);
    EXPECT_DEATH(mk_channel_send(&p[0], NULL, 0), "not held");
    /* fail policy */
    CHECK_EQ(mk_channel_try_send(MK_ASYNC_CHANNEL_STRICT, block(), 1), MK_OK);
    CHECK_EQ(mk_channel_try_send(MK_ASYNC_CHANNEL_STRICT, block(), 1), MK_OK);
    test_loop_t l;
    test_loop_init(&l);
    test_req_t r;
    CHECK_EQ(mk_channel_reserve(MK_ASYNC_CHANNEL_STRICT, &extra, &l.loop, &r.waiter, test_done, &r), MK_EFULL);
    CHECK_EQ(mk_channel_close(MK_ASYNC_CHANNEL_STRICT), 2);
    CHECK_EQ(blocks_held(), 0); /* close returned both queued blocks */
}

static void test_waiting_senders_and_receivers_fifo(void)
{
    test_loop_t l;
    test_loop_init(&l);
    test_completions = 0;
    test_req_t recv[2], send[2];
    memset(recv, 0, sizeof recv);
    memset(send, 0, sizeof send);
    mk_msg_t m;
    for (int i = 0; i < 2; i++)
        CHECK_EQ(mk_channel_recv(MK_ASYNC_CHANNEL_PIPE, &m, &l.loop, &recv[i].waiter, test_done, &recv[i]), MK_PENDING);
    void *a = block(), *b = block();
    CHECK_EQ(mk_channel_try_send(MK_ASYNC_CHANNEL_PIPE, a, 1), MK_OK);
    CHECK_EQ(mk_channel_try_send(MK_ASYNC_CHANNEL_PIPE, b, 2), MK_OK);
    CHECK_EQ(mk_channel_len(MK_ASYNC_CHANNEL_PIPE), 0); /* straight to the receivers */
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 2);
    CHECK(recv[0].order == 1 && recv[0].result.ptr == a);
    CHECK(recv[1].order == 2 && recv[1].result.ptr == b);
    /* full channel: senders wait, in order; a receive frees a slot for the oldest */
    mk_permit_t held[4], wanted[2];
    for (int i = 0; i < 4; i++)
        CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_PIPE, &held[i]), MK_OK);
    for (int i = 0; i < 2; i++)
        CHECK_EQ(mk_channel_reserve(MK_ASYNC_CHANNEL_PIPE, &wanted[i], &l.loop, &send[i].waiter, test_done, &send[i]),
                 MK_PENDING);
    mk_channel_send(&held[0], a, 1);
    mk_channel_permit_release(&held[1]);
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK(send[0].status == MK_OK && send[0].result.ptr == &wanted[0] && wanted[0].held == 1);
    CHECK_EQ(send[1].order, 0);
    CHECK_EQ(mk_channel_try_recv(MK_ASYNC_CHANNEL_PIPE, &m), MK_OK);
    CHECK(m.ptr == a);
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK(send[1].status == MK_OK && wanted[1].held == 1);
    mk_channel_permit_release(&held[2]);
    mk_channel_permit_release(&held[3]);
    mk_channel_permit_release(&wanted[0]);
    mk_channel_permit_release(&wanted[1]);
    mk_async_release(a);
    mk_async_release(b);
    CHECK_EQ(blocks_held(), 0);
}

static void test_cancel_after_grant_loses_nothing(void)
{
    test_loop_t l;
    test_loop_init(&l);
    test_completions = 0;
    test_req_t r1, r2, s1, s2;
    memset(&r1, 0, sizeof r1);
    memset(&r2, 0, sizeof r2);
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    mk_msg_t m;
    void *a = block(), *b = block();
    /* a receiver granted a message, then cancelled: the next receiver gets it */
    CHECK_EQ(mk_channel_recv(MK_ASYNC_CHANNEL_PIPE, &m, &l.loop, &r1.waiter, test_done, &r1), MK_PENDING);
    CHECK_EQ(mk_channel_recv(MK_ASYNC_CHANNEL_PIPE, &m, &l.loop, &r2.waiter, test_done, &r2), MK_PENDING);
    CHECK_EQ(mk_channel_try_send(MK_ASYNC_CHANNEL_PIPE, a, 7), MK_OK);
    CHECK_EQ(mk_async_cancel(&r1.waiter), MK_OK);
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK(r1.order == 0 && r2.result.ptr == a && r2.result.len == 7);
    /* nobody else waiting: the message goes back to the front of the queue */
    CHECK_EQ(mk_channel_recv(MK_ASYNC_CHANNEL_PIPE, &m, &l.loop, &r1.waiter, test_done, &r1), MK_PENDING);
    CHECK_EQ(mk_channel_try_send(MK_ASYNC_CHANNEL_PIPE, b, 8), MK_OK);
    CHECK_EQ(mk_channel_try_send(MK_ASYNC_CHANNEL_PIPE, a, 9), MK_OK); /* queued behind */
    CHECK_EQ(mk_async_cancel(&r1.waiter), MK_OK);
    CHECK_EQ(mk_channel_len(MK_ASYNC_CHANNEL_PIPE), 2);
    CHECK_EQ(mk_channel_try_recv(MK_ASYNC_CHANNEL_PIPE, &m), MK_OK);
    CHECK(m.ptr == b && m.len == 8); /* order kept */
    CHECK_EQ(mk_channel_try_recv(MK_ASYNC_CHANNEL_PIPE, &m), MK_OK);
    CHECK(m.ptr == a);
    /* a sender granted a permit, then cancelled: the slot goes to the next sender */
    mk_permit_t held[4], w1, w2;
    for (int i = 0; i < 4; i++)
        CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_PIPE, &held[i]), MK_OK);
    CHECK_EQ(mk_channel_reserve(MK_ASYNC_CHANNEL_PIPE, &w1, &l.loop, &s1.waiter, test_done, &s1), MK_PENDING);
    CHECK_EQ(mk_channel_reserve(MK_ASYNC_CHANNEL_PIPE, &w2, &l.loop, &s2.waiter, test_done, &s2), MK_PENDING);
    mk_channel_permit_release(&held[0]);
    CHECK_EQ(w1.held, 1);
    CHECK_EQ(mk_async_cancel(&s1.waiter), MK_OK);
    CHECK_EQ(w1.held, 0);
    CHECK_EQ(w2.held, 1);
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK(s1.order == 0 && s2.status == MK_OK);
    for (int i = 1; i < 4; i++)
        mk_channel_permit_release(&held[i]);
    mk_channel_permit_release(&w2);
    mk_permit_t all[4];
    for (int i = 0; i < 4; i++) /* every slot is free again */
        CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_PIPE, &all[i]), MK_OK);
    for (int i = 0; i < 4; i++)
        mk_channel_permit_release(&all[i]);
    mk_async_release(a);
    mk_async_release(b);
}

static void test_sender_timeout(void)
{
    test_loop_t l;
    test_loop_init(&l);
    test_completions = 0;
    test_req_t s;
    memset(&s, 0, sizeof s);
    mk_permit_t p, q;
    CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_ONE, &p), MK_OK);
    mk_time_t t0 = test_now;
    CHECK_EQ(mk_channel_reserve(MK_ASYNC_CHANNEL_ONE, &q, &l.loop, &s.waiter, test_done, &s), MK_PENDING);
    CHECK_EQ(l.armed, t0 + 5000000u);
    test_now = t0 + 5000000u;
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK_EQ(s.status, MK_ETIMEDOUT);
    CHECK_EQ(q.held, 0);
    CHECK_EQ(test_async_stats("one", MK_ASYNC_KIND_CHANNEL).timeouts, 1);
    mk_channel_permit_release(&p);
}

static size_t dropped;

static void count_drop(mk_msg_t msg, void *user)
{
    CHECK(user == &dropped);
    dropped++;
    mk_free(msg.ptr);
}

static void test_close_wakes_everyone_and_returns_blocks(void)
{
    test_loop_t l;
    test_loop_init(&l);
    test_completions = 0;
    /* queued messages are returned through the drop function (mk_free by default) */
    CHECK_EQ(mk_channel_try_send(MK_ASYNC_CHANNEL_PIPE, block(), 1), MK_OK);
    CHECK_EQ(mk_channel_try_send(MK_ASYNC_CHANNEL_PIPE, block(), 1), MK_OK);
    mk_permit_t late;
    CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_PIPE, &late), MK_OK);
    CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_PIPE, &late), MK_OK);
    mk_permit_t spare;
    (void)spare;
    mk_permit_t waitp;
    test_req_t s;
    memset(&s, 0, sizeof s);
    CHECK_EQ(mk_channel_reserve(MK_ASYNC_CHANNEL_PIPE, &waitp, &l.loop, &s.waiter, test_done, &s), MK_PENDING);
    CHECK_EQ(blocks_held(), 2);
    dropped = 0;
    mk_channel_set_drop(MK_ASYNC_CHANNEL_PIPE, count_drop, &dropped);
    CHECK_EQ(mk_channel_close(MK_ASYNC_CHANNEL_PIPE), 2);
    CHECK_EQ(dropped, 2);
    CHECK_EQ(blocks_held(), 0); /* returned, not leaked */
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK_EQ(s.status, MK_ECLOSED);
    /* a permit held across the close: its send returns the block */
    mk_channel_send(&late, block(), 1);
    CHECK_EQ(dropped, 3);
    CHECK_EQ(blocks_held(), 0);
    mk_msg_t m;
    CHECK_EQ(mk_channel_try_recv(MK_ASYNC_CHANNEL_PIPE, &m), MK_ECLOSED);
    CHECK_EQ(mk_channel_try_reserve(MK_ASYNC_CHANNEL_PIPE, &spare), MK_ECLOSED);
    test_req_t r;
    memset(&r, 0, sizeof r);
    CHECK_EQ(mk_channel_recv(MK_ASYNC_CHANNEL_PIPE, &m, &l.loop, &r.waiter, test_done, &r), MK_ECLOSED);
}

static void test_close_wakes_receivers(void)
{
    test_loop_t l;
    test_loop_init(&l);
    test_completions = 0;
    test_req_t r;
    memset(&r, 0, sizeof r);
    mk_msg_t m;
    CHECK_EQ(mk_channel_recv(MK_ASYNC_CHANNEL_PIPE, &m, &l.loop, &r.waiter, test_done, &r), MK_PENDING);
    CHECK_EQ(mk_channel_close(MK_ASYNC_CHANNEL_PIPE), 0);
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK_EQ(r.status, MK_ECLOSED);
}

#define HANDOFFS 2000

static void *producer(void *arg)
{
    (void)arg;
    for (uintptr_t i = 0; i < HANDOFFS; i++) {
        void *b = NULL;
        CHECK_EQ(mk_async_acquire_blocking(MK_ASYNC_POOL_STRESS, &b, MK_ASYNC_FOREVER), MK_OK);
        *(uintptr_t *)b = i;
        mk_permit_t p;
        CHECK_EQ(mk_channel_reserve_blocking(MK_ASYNC_CHANNEL_PIPE, &p, MK_ASYNC_FOREVER), MK_OK);
        mk_channel_send(&p, b, sizeof i);
    }
    return NULL;
}

static void test_blocking_producer_consumer(void)
{
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, producer, NULL), 0);
    for (uintptr_t i = 0; i < HANDOFFS; i++) {
        mk_msg_t m;
        CHECK_EQ(mk_channel_recv_blocking(MK_ASYNC_CHANNEL_PIPE, &m, MK_ASYNC_FOREVER), MK_OK);
        CHECK_EQ(*(uintptr_t *)m.ptr, i); /* in order, from the other thread */
        mk_async_release(m.ptr);
    }
    pthread_join(thread, NULL);
    CHECK_EQ(blocks_held(), 0);
    mk_msg_t m;
    CHECK_EQ(mk_channel_recv_blocking(MK_ASYNC_CHANNEL_PIPE, &m, 1000000u), MK_ETIMEDOUT);
}

int main(void)
{
    RUN(test_send_and_receive_move_blocks);
    RUN(test_capacity_and_permits);
    RUN(test_waiting_senders_and_receivers_fifo);
    RUN(test_cancel_after_grant_loses_nothing);
    RUN(test_sender_timeout);
    RUN(test_close_wakes_everyone_and_returns_blocks);
    RUN(test_close_wakes_receivers);
    RUN(test_blocking_producer_consumer);
    return check_finish("test_async_channel");
}
