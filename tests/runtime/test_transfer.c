/* test_transfer.c — cross-thread transfer: pool and heap blocks handed from
 * one thread to another that frees them, one accept per transfer (also when
 * two threads race for it), cancel, frame regions accepted while their frame
 * is in flight and refused after, spilled frame blocks, and the sender's
 * checks. Run under TSan too.
 * Config: tests/configs/longlived.toml (frames_in_flight 2, frame arena
 * 64 KiB with overflow = "heap"). */
#include "check.h"

#include <pthread.h>

/* ---- a block from a sender thread to a receiver thread that frees it ---- */
typedef struct handoff {
    mk_intent_t intent;
    size_t size;
    mk_transfer_t transfer;
    mk_status_t init_status;
    int received_intact;
    void *received;
} handoff_t;

static void *send_block(void *arg)
{
    handoff_t *h = arg;
    void *p = mk_alloc(h->intent, h->size);
    if (p != NULL)
        check_fill(p, h->size, 7);
    h->init_status = mk_transfer_init(&h->transfer, p, h->size);
    return NULL;
}

static void *receive_block(void *arg)
{
    handoff_t *h = arg;
    h->received = mk_transfer_accept(&h->transfer);
    h->received_intact = h->received != NULL && check_intact(h->received, h->size, 7);
    mk_free(h->received);
    return NULL;
}

static void hand_over(mk_intent_t intent, size_t size)
{
    handoff_t h = { intent, size, { 0 }, MK_EINVAL, 0, NULL };
    pthread_t a, b;
    CHECK(pthread_create(&a, NULL, send_block, &h) == 0);
    CHECK(pthread_join(a, NULL) == 0);
    CHECK_EQ(h.init_status, MK_OK);
    CHECK_EQ(h.transfer.kind, MK_TRANSFER_BLOCK);
    CHECK(h.transfer.size == size);
    CHECK(pthread_create(&b, NULL, receive_block, &h) == 0);
    CHECK(pthread_join(b, NULL) == 0);
    CHECK(h.received != NULL);
    CHECK(h.received_intact);
    mk_intent_stats_t s = check_intent_stats(intent);
    CHECK_EQ(s.allocations, 1u);
    CHECK_EQ(s.frees, 1u);
    CHECK_EQ(s.current, 0u);
    /* the transfer is spent */
    CHECK(mk_transfer_accept(&h.transfer) == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    CHECK_EQ(mk_transfer_cancel(&h.transfer), MK_ESTATE);
}

static void test_pool_block_between_threads(void)
{
    hand_over(MK_INTENT_OBJECTS, 100);
}

static void test_heap_block_between_threads(void)
{
    hand_over(MK_INTENT_GPU_UPLOADS, 20000);
}

static void test_accept_once(void)
{
    void *p = mk_alloc(MK_INTENT_OBJECTS, 32);
    mk_transfer_t t;
    CHECK_EQ(mk_transfer_init(&t, p, 32), MK_OK);
    CHECK(mk_transfer_accept(&t) == p);
    CHECK(mk_transfer_accept(&t) == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    mk_free(p);
    /* cancelled before accept: refused, the sender keeps the block */
    p = mk_alloc(MK_INTENT_OBJECTS, 32);
    CHECK_EQ(mk_transfer_init(&t, p, 32), MK_OK);
    CHECK_EQ(mk_transfer_cancel(&t), MK_OK);
    CHECK(mk_transfer_accept(&t) == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    CHECK_EQ(mk_transfer_cancel(&t), MK_ESTATE);
    mk_free(p);
    /* a zeroed transfer was never offered */
    mk_transfer_t empty = { 0 };
    CHECK(mk_transfer_accept(&empty) == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    CHECK(mk_transfer_accept(NULL) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK_EQ(mk_transfer_cancel(NULL), MK_EINVAL);
}

/* Two threads race to accept each of many transfers: exactly one wins. */
enum { RACES = 500 };
static mk_transfer_t race[RACES];
static pthread_barrier_t race_start;

static void *racer(void *arg)
{
    int *wins = arg;
    pthread_barrier_wait(&race_start);
    for (unsigned i = 0; i < RACES; i++)
        if (mk_transfer_accept(&race[i]) != NULL)
            (*wins)++;
    return NULL;
}

static void test_concurrent_accepts(void)
{
    void *p = mk_alloc(MK_INTENT_OBJECTS, 16);
    for (unsigned i = 0; i < RACES; i++)
        CHECK_EQ(mk_transfer_init(&race[i], p, 16), MK_OK);
    int wins[2] = { 0, 0 };
    pthread_t a, b;
    CHECK(pthread_barrier_init(&race_start, NULL, 2) == 0);
    CHECK(pthread_create(&a, NULL, racer, &wins[0]) == 0);
    CHECK(pthread_create(&b, NULL, racer, &wins[1]) == 0);
    CHECK(pthread_join(a, NULL) == 0);
    CHECK(pthread_join(b, NULL) == 0);
    pthread_barrier_destroy(&race_start);
    CHECK_EQ(wins[0] + wins[1], RACES);
    mk_free(p);
}

/* ---- frame regions ---- */
typedef struct frame_handoff {
    mk_transfer_t *transfer;
    size_t size;
    void *received;
    int intact;
} frame_handoff_t;

static void *receive_frame(void *arg)
{
    frame_handoff_t *h = arg;
    h->received = mk_transfer_accept(h->transfer);
    h->intact = h->received != NULL && check_intact(h->received, h->size, 3);
    if (h->received != NULL)
        check_fill(h->received, h->size, 4); /* the receiver may write it too */
    return NULL;
}

/* Accepted on another thread in the frame after the one it was allocated in
 * (still in flight); another region of the same frame is refused once
 * frames_in_flight more frames have begun. */
static void test_frame_region(void)
{
    CHECK_EQ(MKG_FRAMES_IN_FLIGHT, 2);
    mk_begin_frame();
    uint64_t frame = mk_frame_index();
    unsigned char *p = mk_alloc(MK_INTENT_FRAME_DATA, 256);
    CHECK(p != NULL);
    check_fill(p, 256, 3);
    mk_transfer_t t, late;
    CHECK_EQ(mk_transfer_init(&t, p, 256), MK_OK);
    CHECK_EQ(t.kind, MK_TRANSFER_FRAME);
    CHECK_EQ(t.epoch, frame);
    CHECK_EQ(mk_transfer_init(&late, p + 128, 128), MK_OK);
    mk_end_frame();
    mk_begin_frame(); /* frame + 1: still in flight */
    frame_handoff_t h = { &t, 256, NULL, 0 };
    pthread_t r;
    CHECK(pthread_create(&r, NULL, receive_frame, &h) == 0);
    CHECK(pthread_join(r, NULL) == 0);
    CHECK(h.received == p);
    CHECK(h.intact);
    CHECK(check_intact(p, 256, 4));
    mk_end_frame();
    mk_begin_frame(); /* frame + 2: out of flight */
    CHECK(mk_transfer_accept(&late) == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    CHECK_EQ(atomic_load(&late.state), MK_TRANSFER_EXPIRED);
    CHECK(mk_transfer_accept(&late) == NULL);
    /* nor can it be offered again now */
    CHECK_EQ(mk_transfer_init(&late, p, 16), MK_EINVAL);
    mk_end_frame();
}

/* Frame memory that spilled to the heap (the 64 KiB arena is full) is a frame
 * region too, with the same lifetime. */
static void test_spilled_frame_region(void)
{
    mk_begin_frame();
    void *big = mk_alloc(MK_INTENT_FRAME_DATA, 60 * 1024);
    void *spilled = mk_alloc(MK_INTENT_FRAME_DATA, 16 * 1024);
    CHECK(big != NULL && spilled != NULL);
    CHECK(spilled < big || (unsigned char *)spilled >= (unsigned char *)big + 64 * 1024); /* not in the arena */
    mk_transfer_t t;
    CHECK_EQ(mk_transfer_init(&t, spilled, 16 * 1024), MK_OK);
    CHECK_EQ(t.kind, MK_TRANSFER_FRAME);
    CHECK_EQ(mk_transfer_init(&t, spilled, 32 * 1024), MK_EINVAL); /* larger than the block */
    CHECK_EQ(mk_transfer_init(&t, spilled, 16 * 1024), MK_OK);
    mk_end_frame();
    mk_begin_frame();
    mk_end_frame();
    mk_begin_frame();
    CHECK(mk_transfer_accept(&t) == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    mk_end_frame();
}

static pthread_barrier_t other_ready, other_release;

/* Attaches first (thread slot 0, the lowest arena), allocates frame memory
 * and stays attached until released. */
static void *alloc_frame_elsewhere(void *arg)
{
    void **out = arg;
    *out = mk_alloc(MK_INTENT_FRAME_DATA, 64);
    pthread_barrier_wait(&other_ready);
    pthread_barrier_wait(&other_release);
    return NULL;
}

/* A region of another thread's arena is refused, even when it lies below the
 * caller's own allocated part. */
static void test_other_threads_arena(void)
{
    mk_begin_frame();
    void *theirs = NULL;
    pthread_t other;
    CHECK(pthread_barrier_init(&other_ready, NULL, 2) == 0);
    CHECK(pthread_barrier_init(&other_release, NULL, 2) == 0);
    CHECK(pthread_create(&other, NULL, alloc_frame_elsewhere, &theirs) == 0);
    pthread_barrier_wait(&other_ready);
    unsigned char *mine = mk_alloc(MK_INTENT_FRAME_DATA, 64);
    CHECK(theirs != NULL && mine != NULL);
    CHECK((unsigned char *)theirs < mine);
    mk_transfer_t t;
    CHECK_EQ(mk_transfer_init(&t, mine, 64), MK_OK);
    CHECK_EQ(mk_transfer_init(&t, theirs, 64), MK_EINVAL);
    CHECK_EQ(mk_transfer_init(&t, theirs, 0), MK_EINVAL);
    pthread_barrier_wait(&other_release);
    CHECK(pthread_join(other, NULL) == 0);
    pthread_barrier_destroy(&other_ready);
    pthread_barrier_destroy(&other_release);
    mk_end_frame();
}

/* The sender's checks: memory memkit does not own, a block smaller than
 * `size`, a region past the arena's allocated part. */
static void test_init_refusals(void)
{
    mk_transfer_t t = { 0 };
    int local = 0;
    CHECK_EQ(mk_transfer_init(&t, &local, sizeof local), MK_EINVAL);
    CHECK_EQ(mk_transfer_init(&t, NULL, 0), MK_EINVAL);
    CHECK_EQ(mk_transfer_init(NULL, &local, 0), MK_EINVAL);
    void *pool = mk_alloc(MK_INTENT_OBJECTS, 40); /* a 64-byte class */
    CHECK_EQ(mk_transfer_init(&t, pool, 64), MK_OK);
    CHECK_EQ(mk_transfer_init(&t, pool, 65), MK_EINVAL);
    void *heap = mk_alloc(MK_INTENT_GPU_UPLOADS, 1000);
    CHECK_EQ(mk_transfer_init(&t, heap, mk_usable_size(heap)), MK_OK);
    CHECK_EQ(mk_transfer_init(&t, heap, mk_usable_size(heap) + 1u), MK_EINVAL);
    mk_begin_frame();
    unsigned char *f = mk_alloc(MK_INTENT_FRAME_DATA, 64);
    CHECK_EQ(mk_transfer_init(&t, f, 64), MK_OK);
    CHECK_EQ(mk_transfer_init(&t, f, 65), MK_EINVAL); /* past what was allocated */
    CHECK_EQ(mk_transfer_init(&t, f + 64, 0), MK_OK);
    mk_end_frame();
    /* refusals left the last good offer untouched */
    CHECK(t.ptr == f + 64);
    mk_free(pool);
    mk_free(heap);
}

/* ---- one transfer object re-offered over and over (issue 7, item 1) ----
 * The sender waits for each accept and then offers its next block through
 * the same mk_transfer_t. An accept that claimed the offer before reading it
 * returned the *next* block: one block twice, one lost. Each block carries its
 * sequence number; the receiver must see 0, 1, 2 … in order. */
#include <sched.h>

#define PING_PONG_OFFERS 20000u /* each is a round trip between two threads: on a loaded 2-core machine 100000 took minutes */

typedef struct ping_pong {
    mk_transfer_t transfer;
    unsigned mismatches;
    unsigned received;
} ping_pong_t;

static void *ping_pong_receiver(void *arg)
{
    ping_pong_t *pp = arg;
    for (unsigned i = 0; i < PING_PONG_OFFERS; i++) {
        void *p;
        while ((p = mk_transfer_accept(&pp->transfer)) == NULL)
            sched_yield();
        unsigned seq;
        memcpy(&seq, p, sizeof seq);
        pp->mismatches += seq != i;
        pp->received++;
        mk_free(p);
    }
    return NULL;
}

static void test_reoffered_transfer_ping_pong(void)
{
    static ping_pong_t pp; /* zeroed: the first accept sees no offer */
    memset(&pp, 0, sizeof pp);
    pthread_t receiver;
    CHECK(pthread_create(&receiver, NULL, ping_pong_receiver, &pp) == 0);
    for (unsigned i = 0; i < PING_PONG_OFFERS; i++) {
        void *p = mk_alloc(MK_INTENT_OBJECTS, 32);
        CHECK(p != NULL);
        memcpy(p, &i, sizeof i);
        CHECK_EQ(mk_transfer_init(&pp.transfer, p, 32), MK_OK);
        while (atomic_load_explicit(&pp.transfer.state, memory_order_acquire) == MK_TRANSFER_PENDING)
            sched_yield();
    }
    CHECK(pthread_join(receiver, NULL) == 0);
    CHECK_EQ(pp.received, PING_PONG_OFFERS);
    CHECK_EQ(pp.mismatches, 0u);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_OBJECTS);
    CHECK_EQ(s.allocations, (uint64_t)PING_PONG_OFFERS);
    CHECK_EQ(s.frees, (uint64_t)PING_PONG_OFFERS);
    CHECK_EQ(s.current, 0u);
}

int main(void)
{
    RUN(test_pool_block_between_threads);
    RUN(test_heap_block_between_threads);
    RUN(test_accept_once);
    RUN(test_concurrent_accepts);
    RUN(test_frame_region);
    RUN(test_spilled_frame_region);
    RUN(test_init_refusals);
    RUN(test_other_threads_arena);
    RUN(test_reoffered_transfer_ping_pong);
    mk_transfer_t t;
    int local = 0;
    CHECK_EQ(mk_transfer_init(&t, &local, sizeof local), MK_ESTATE); /* before mk_init */
    return check_finish("test_transfer");
}
