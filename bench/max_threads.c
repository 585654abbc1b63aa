/* max_threads.c — per-operation and per-frame cost against max_threads
 * (issue 7 item 9). bench/run.sh builds it against bench/max_threads.toml
 * with max_threads = 4, 64 and 1024 and prints one row each: a budgeted pool
 * alloc+free pair, and a frame boundary (mk_begin_frame, one frame
 * allocation, mk_end_frame). Medians of 11 rounds, with min and max. */
#define _POSIX_C_SOURCE 199309L
#include <memkit/memkit.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define ROUNDS 11

static double pool_pair(void)
{
    enum { N = 1000000 };
    void *volatile sink;
    double t0 = now_ns();
    for (int i = 0; i < N; i++) {
        void *p = mk_alloc(MK_INTENT_BUDGETED, 64);
        sink = p;
        mk_free(p);
    }
    (void)sink;
    return (now_ns() - t0) / N;
}

static double frame_boundary(void)
{
    enum { N = 100000 };
    void *volatile sink;
    double t0 = now_ns();
    for (int i = 0; i < N; i++) {
        mk_begin_frame();
        sink = mk_alloc(MK_INTENT_SCRATCH, 64);
        mk_end_frame();
    }
    (void)sink;
    return (now_ns() - t0) / N;
}

static void row(const char *what, double (*run)(void))
{
    double t[ROUNDS];
    for (int r = 0; r < ROUNDS; r++)
        t[r] = run();
    qsort(t, ROUNDS, sizeof t[0], cmp);
    printf("| %-34s | %5d | %8.2f | %8.2f | %8.2f |\n", what, MKG_MAX_THREADS, t[ROUNDS / 2], t[0], t[ROUNDS - 1]);
}

int main(void)
{
    if (mk_init(&mkg_config) != MK_OK)
        return 1;
    row("budgeted pool alloc+free (ns)", pool_pair);
    row("frame boundary + 1 alloc (ns)", frame_boundary);
    mk_shutdown();
    return 0;
}
