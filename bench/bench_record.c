/* bench_record.c — what a recorded frame costs: mk_begin_frame + a few
 * allocations in 8 phases + mk_end_frame, which with [record] frames > 0
 * takes the frame's row (runtime/src/diagnostics/record.c).
 * bench/run_record.sh builds it from bench/bench_record.toml four times: as
 * it is (frames = 600), with frames = 0, with the size histogram and with a
 * trace, and runs them in turn: the differences of their medians are the
 * row, the histogram's counting (8 pool requests a frame) and the trace's
 * (24 allocations and 16 frees a frame).
 *
 * A sample times FRAMES frames with CLOCK_MONOTONIC; prints ns per frame,
 * median (min, max) of the rounds (argv[1], default 21). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <memkit/memkit.h>

#define FRAMES 1000

static const char *const phase_names[8] = {"input", "ai", "physics", "animation", "render", "audio", "network", "ui"};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void frame(void)
{
    mk_begin_frame();
    for (unsigned p = 0; p < 8; p++) {
        mk_phase_begin(phase_names[p]);
        void *f = mk_alloc(p & 1u ? MK_INTENT_RENDER : MK_INTENT_PHYSICS, 64);
        void *e = mk_alloc(MK_INTENT_ENTITIES, 48);
        void *h = mk_alloc(MK_INTENT_ASSETS, 1000);
        __asm__ volatile("" : : "r"(f), "r"(e), "r"(h) : "memory");
        mk_free(e);
        mk_free(h);
        mk_phase_end();
    }
    mk_end_frame();
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 21;
    if (rounds < 1 || rounds > 1000)
        rounds = 21;
    if (mk_init(&mkg_config) != MK_OK) {
        fprintf(stderr, "bench_record: mk_init failed\n");
        return 1;
    }
    double *ns = malloc(sizeof *ns * (size_t)rounds);
    if (ns == NULL)
        return 1;
    for (unsigned i = 0; i < FRAMES; i++) /* warm-up: attach, carve, fill the ring once */
        frame();
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ns();
        for (unsigned i = 0; i < FRAMES; i++)
            frame();
        ns[r] = (now_ns() - t0) / FRAMES;
    }
    qsort(ns, (size_t)rounds, sizeof *ns, cmp_double);
    printf("[record] frames = %-4d histogram = %d trace_events = %-6d  frame (8 phases, 24 allocations) %8.1f ns "
           "median (min %.1f, max %.1f), %d rounds of %d frames\n",
           MKG_RECORD_FRAMES, MKG_RECORD_HISTOGRAM, MKG_RECORD_TRACE, ns[rounds / 2], ns[0], ns[rounds - 1], rounds,
           FRAMES);
    free(ns);
    mk_shutdown();
    return 0;
}
