/* test_thread_lifecycle.c — what a long-running, multi-threaded, forking
 * program needs of thread slots (issue 7):
 *   idle threads' budget leases are recalled before a budget fails (item 5);
 *   blocks parked in idle threads' caches are recalled before a class fails
 *   (item 6);
 *   a thread that exits gives its frame bytes and spills back, at once or
 *   when mk_begin_frame finds their frames out of flight (item 4);
 *   a new thread starts with no intent, phase or checkpoint (item 7);
 *   peaks survive a second thread and are kept without frames (item 10);
 *   fork() while other threads allocate: no deadlock, and the child has the
 *   slots of the parent's other threads back (item 3).
 * Config: tests/configs/threads.toml (max_threads 4). Run under TSan too. */
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- a helper thread that does one job, then waits to be told to exit ---- */
typedef struct idler {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    void (*job)(struct idler *);
    void *blocks[64];
    unsigned count;
    int done;
    int release;
} idler_t;

static void *idler_main(void *arg)
{
    idler_t *w = arg;
    w->job(w);
    pthread_mutex_lock(&w->lock);
    w->done = 1;
    pthread_cond_broadcast(&w->cond);
    while (!w->release)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Starts w on its job and returns when the job is done (the thread idles). */
static void idler_start(idler_t *w, void (*job)(idler_t *))
{
    w->job = job;
    w->done = w->release = 0;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    CHECK(pthread_create(&w->thread, NULL, idler_main, w) == 0);
    pthread_mutex_lock(&w->lock);
    while (!w->done)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
}

static void idler_stop(idler_t *w)
{
    pthread_mutex_lock(&w->lock);
    w->release = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
}

/* ---- item 5: idle leases ---------------------------------------------------- */

static void job_touch_budget(idler_t *w)
{
    void *p = mk_alloc(MK_INTENT_BUDGETED, 256);
    CHECK(p != NULL);
    mk_free(p); /* the freed bytes stay in this thread's lease */
    (void)w;
}

static void test_idle_lease_recalled(void)
{
    idler_t w;
    idler_start(&w, job_touch_budget);
    CHECK(check_intent_stats(MK_INTENT_BUDGETED).leased > 0u); /* parked in the idle thread */
    CHECK_EQ(check_intent_stats(MK_INTENT_BUDGETED).current, 0u);
    /* one thread may use all of a budget: 8 KiB = 32 blocks of 256 B */
    void *p[33];
    unsigned got = 0;
    while (got < 33 && (p[got] = mk_alloc(MK_INTENT_BUDGETED, 256)) != NULL)
        got++;
    CHECK_EQ(got, 32u);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    CHECK_EQ(check_intent_stats(MK_INTENT_BUDGETED).current, 8192u);
    for (unsigned i = 0; i < got; i++)
        mk_free(p[i]);
    idler_stop(&w);
}

/* ---- item 6: blocks parked in other threads' caches -------------------------- */

static void *scarce[16];

static void job_free_scarce(idler_t *w)
{
    for (unsigned i = 0; i < 16; i++)
        mk_free(scarce[i]); /* into this thread's cache (and the global list past it) */
    (void)w;
}

static void test_cached_blocks_recalled(void)
{
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < 16; i++) {
            scarce[i] = mk_alloc(MK_INTENT_SCARCE, 64);
            CHECK(scarce[i] != NULL);
        }
        CHECK(mk_alloc(MK_INTENT_SCARCE, 64) == NULL); /* the class really is in use */
        CHECK_EQ(mk_last_error(), MK_ENOMEM);
        idler_t w;
        idler_start(&w, job_free_scarce);
        mk_stats_t s = check_stats();
        CHECK_EQ(s.intents[MK_INTENT_SCARCE].current, 0u);
        CHECK(s.tiers[MK_TIER_POOL].cached > 0u); /* shown apart from what is in use */
        /* nothing is in use: every block must be had again, by this thread */
        for (unsigned i = 0; i < 16; i++) {
            scarce[i] = mk_alloc(MK_INTENT_SCARCE, 64);
            CHECK(scarce[i] != NULL);
        }
        idler_stop(&w);
        for (unsigned i = 0; i < 16; i++)
            mk_free(scarce[i]);
    }
    CHECK_EQ(mk_validate(), MK_OK);
}

/* ---- item 4: frame bytes of a thread that exits -------------------------------- */

static void *frame_thread(void *arg)
{
    (void)arg;
    /* 12 KiB in the 16 KiB arena, then 8 KiB more: spilled to the heap */
    for (unsigned i = 0; i < 20; i++)
        CHECK(mk_alloc(MK_INTENT_FRAMES, 1024) != NULL);
    return NULL;
}

static void run_frame_thread(void)
{
    pthread_t t;
    CHECK(pthread_create(&t, NULL, frame_thread, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
}

static void test_exited_thread_frames_released(void)
{
    mk_begin_frame(); /* frame 1 */
    run_frame_thread();
    mk_stats_t s = check_stats();
    /* frame 1 is in flight: its data stays valid, charged */
    CHECK_EQ(s.intents[MK_INTENT_FRAMES].current, 20u * 1024u);
    CHECK(s.tiers[MK_TIER_HEAP].used > 0u);
    CHECK_EQ(s.threads_attached, 0u);
    mk_end_frame();
    mk_begin_frame(); /* frame 2: frame 1 is still in flight (2 in flight) */
    mk_end_frame();
    CHECK_EQ(check_intent_stats(MK_INTENT_FRAMES).current, 20u * 1024u);
    mk_begin_frame(); /* frame 3: frame 1 left flight; its departed slot is reclaimed */
    s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_FRAMES].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_FRAMES].leased, 0u);
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    mk_end_frame();
    CHECK_EQ(s.threads_attached, 0u);
}

/* A thread whose frames left flight while it idled gives them back when it
 * exits, with no frame boundary after. */
static void job_frames(idler_t *w)
{
    (void)w;
    for (unsigned i = 0; i < 20; i++)
        CHECK(mk_alloc(MK_INTENT_FRAMES, 1024) != NULL);
}

static void test_exit_releases_done_frames(void)
{
    mk_begin_frame(); /* frame 1 */
    idler_t w;
    idler_start(&w, job_frames);
    mk_begin_frame();
    mk_begin_frame(); /* frame 3: frame 1 left flight, but the idle thread has not reset */
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_FRAMES].current, 0u); /* not live: out of flight */
    CHECK(s.tiers[MK_TIER_HEAP].used > 0u); /* its spills are still allocated */
    idler_stop(&w); /* exits: released now */
    s = check_stats();
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_FRAMES].leased, 0u);
    CHECK_EQ(s.threads_attached, 0u);
}

/* ---- item 7: a new thread does not inherit a dead thread's state ------------- */

static mk_frame_mark_t dead_mark;

static void *leave_state_behind(void *arg)
{
    (void)arg;
    CHECK_EQ(mk_intent_push(MK_INTENT_BLOBS), MK_OK);
    CHECK_EQ(mk_phase_begin("left open"), MK_OK);
    dead_mark = mk_frame_mark();
    CHECK(mk_alloc_current(32) != NULL); /* a leak on purpose: the test counts it */
    return NULL; /* exits with an intent pushed, a phase open, a mark taken */
}

static mk_status_t fresh_error;
static void *fresh_thread(void *arg)
{
    void **out = arg;
    *out = mk_alloc_current(32); /* no intent pushed on this thread */
    fresh_error = mk_last_error();
    mk_phase_end(); /* nothing open: must do nothing */
    return NULL;
}

static void test_new_thread_starts_clean(void)
{
    mk_begin_frame();
    pthread_t t;
    CHECK(pthread_create(&t, NULL, leave_state_behind, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    void *got = (void *)1;
    CHECK(pthread_create(&t, NULL, fresh_thread, &got) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(got == NULL);
    CHECK_EQ(fresh_error, MK_EINVAL);
    mk_phase_stats_t ph[4];
    size_t n = mk_phase_stats(ph, 4);
    CHECK_EQ(n, 1u);
    CHECK_EQ(ph[0].entries, 0u); /* the phase left open was never closed by anyone */
    CHECK_EQ(mk_shutdown(), 1u); /* the one block leave_state_behind kept */
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
}

/* ---- item 10: peaks ----------------------------------------------------------- */

static void job_small_alloc(idler_t *w)
{
    void *p = mk_alloc(MK_INTENT_BLOBS, 64);
    CHECK(p != NULL);
    mk_free(p);
    (void)w;
}

static void test_peak_survives_second_thread(void)
{
    void *p[8];
    for (unsigned i = 0; i < 8; i++)
        p[i] = mk_alloc(MK_INTENT_BLOBS, 4096);
    uint64_t single_peak = check_intent_stats(MK_INTENT_BLOBS).peak;
    CHECK(single_peak >= 8u * 4096u);
    for (unsigned i = 0; i < 8; i++)
        mk_free(p[i]);
    idler_t w;
    idler_start(&w, job_small_alloc); /* a second slot is taken */
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOBS).peak, single_peak); /* kept exactly */
    idler_stop(&w);
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOBS).peak, single_peak);
}

#define PEAK_THREADS 3
#define PEAK_BLOCKS 24
static pthread_barrier_t peak_barrier;

static void *peak_worker(void *arg)
{
    (void)arg;
    void *p[PEAK_BLOCKS];
    for (unsigned i = 0; i < PEAK_BLOCKS; i++) {
        p[i] = mk_alloc(MK_INTENT_BLOBS, 4096 - 32); /* usable: 4096 */
        CHECK(p[i] != NULL);
    }
    pthread_barrier_wait(&peak_barrier); /* all hold their blocks here */
    pthread_barrier_wait(&peak_barrier);
    for (unsigned i = 0; i < PEAK_BLOCKS; i++)
        mk_free(p[i]);
    return NULL;
}

static void test_peak_without_frames(void)
{
    /* several threads, no frame function ever called */
    pthread_t t[PEAK_THREADS];
    pthread_barrier_init(&peak_barrier, NULL, PEAK_THREADS + 1);
    for (unsigned i = 0; i < PEAK_THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, peak_worker, NULL) == 0);
    pthread_barrier_wait(&peak_barrier);
    uint64_t held = check_intent_stats(MK_INTENT_BLOBS).current;
    CHECK(held >= (uint64_t)PEAK_THREADS * PEAK_BLOCKS * (4096u - 32u));
    pthread_barrier_wait(&peak_barrier);
    for (unsigned i = 0; i < PEAK_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&peak_barrier);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_BLOBS);
    CHECK_EQ(s.current, 0u);
    /* within the publication slack (8 KiB per thread here: a 512 KiB budget / 64) */
    CHECK(s.peak + PEAK_THREADS * 8192u >= held);
    CHECK(s.peak <= held + PEAK_THREADS * 8192u);
}

/* ---- item 3: fork ------------------------------------------------------------ */

static atomic_int churn_stop;

static void *churn(void *arg)
{
    (void)arg;
    while (!churn_stop) {
        void *a = mk_alloc(MK_INTENT_BLOBS, 300);
        void *b = mk_alloc(MK_INTENT_BUDGETED, 200);
        mk_free(a);
        mk_free(b);
    }
    return NULL;
}

static void *child_worker(void *arg)
{
    void **out = arg;
    *out = mk_alloc(MK_INTENT_BUDGETED, 100);
    return NULL;
}

/* In the child: a worker thread must get a slot (the parent's other threads'
 * slots are released), and every tier must work (no lock left held). */
static int child_body(void)
{
    alarm(10); /* a deadlock ends the child with SIGALRM */
    void *h = mk_alloc(MK_INTENT_BLOBS, 1000);
    void *p = mk_alloc(MK_INTENT_BUDGETED, 100);
    if (h == NULL || p == NULL)
        return 2;
    mk_free(h);
    mk_free(p);
    void *got = NULL;
    pthread_t t;
    if (pthread_create(&t, NULL, child_worker, &got) != 0 || pthread_join(t, NULL) != 0)
        return 3;
    if (got == NULL)
        return 4; /* MK_ETHREADS: the parent's slots were inherited */
    mk_free(got);
    if (mk_validate() != MK_OK)
        return 5;
    return 0;
}

static void test_fork_with_busy_threads(void)
{
    churn_stop = 0;
    pthread_t t[3]; /* with this thread, every one of the 4 slots is taken */
    for (unsigned i = 0; i < 3; i++)
        CHECK(pthread_create(&t[i], NULL, churn, NULL) == 0);
    void *mine = mk_alloc(MK_INTENT_BLOBS, 10);
    for (unsigned i = 0; i < 40; i++) {
        fflush(NULL);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
            _exit(child_body());
        int status = 0;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        if (WIFEXITED(status))
            CHECK_EQ(WEXITSTATUS(status), 0);
    }
    churn_stop = 1;
    for (unsigned i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    mk_free(mine);
    CHECK_EQ(mk_validate(), MK_OK);
}

int main(void)
{
    RUN(test_idle_lease_recalled);
    RUN(test_cached_blocks_recalled);
    RUN(test_exited_thread_frames_released);
    RUN(test_exit_releases_done_frames);
    RUN(test_new_thread_starts_clean);
    RUN(test_peak_survives_second_thread);
    RUN(test_peak_without_frames);
    RUN(test_fork_with_busy_threads);
    return check_finish("test_thread_lifecycle");
}
