/* test_record_trace.c — the size histogram and the allocation trace of
 * [record] (docs/recording.md; config tests/configs/record_trace.toml: pool
 * "small" of classes 16/32/64 shared by entity and particle, a frame intent,
 * a heap intent with a 4 KiB budget, a ring of 64 trace events).
 *
 * The documents go through a line sink into a buffer and are checked as
 * text: each histogram and trace entry is exactly what the requests made
 * (the counts, the sizes, the order, the block addresses as ids).
 *
 * usage: test_record_trace [RECORDING]   writes a recording of a run that
 * `memkit-lens simulate` replays (ctest record_trace_simulate)
 *
 * Also built against a sentinel runtime (test_record_trace_sentinel): there
 * a free's size is the size the block was asked for (mk_usable_size), not
 * its class, and the histogram counts the sentinel's header and canary too,
 * so its exact figures are checked in the release build only.
 */
#include "check.h"

/* The size a free of a block of `requested` bytes in class `cls` records. */
#if MK_SENTINEL
#define FREED(cls, requested) (requested)
#else
#define FREED(cls, requested) (cls)
#endif

#include <pthread.h>

typedef struct buffer {
    char text[1 << 16];
    size_t len;
} buffer_t;

static void collect(const char *line, void *user)
{
    buffer_t *b = user;
    size_t n = strlen(line);
    if (b->len + n + 2 < sizeof b->text) {
        memcpy(b->text + b->len, line, n);
        b->len += n;
        b->text[b->len++] = '\n';
        b->text[b->len] = '\0';
    }
}

/* The document with its line breaks taken out (a sink cuts lines between tokens). */
static const char *joined(buffer_t *b)
{
    size_t w = 0;
    for (size_t r = 0; r < b->len; r++)
        if (b->text[r] != '\n')
            b->text[w++] = b->text[r];
    b->text[w] = '\0';
    b->len = w;
    return b->text;
}

static buffer_t doc;

static const char *recording(void)
{
    memset(&doc, 0, sizeof doc);
    CHECK_EQ(mk_record_write_json(collect, &doc), MK_OK);
    return joined(&doc);
}

static void contains(const char *text, const char *want)
{
    bool found = strstr(text, want) != NULL;
    if (!found)
        fprintf(stderr, "missing: %s\n", want);
    CHECK(found);
}

/* Allocates and frees one block of `size` bytes of `intent` `times` times:
 * the first request of a class goes the slow way (an empty magazine), the
 * others the inline fast path; both must count. */
static void churn(mk_intent_t intent, size_t size, unsigned times)
{
    for (unsigned i = 0; i < times; i++) {
        void *p = mk_alloc(intent, size);
        CHECK(p != NULL);
        mk_free(p);
    }
}

#if !MK_SENTINEL
static void *other_thread(void *arg)
{
    (void)arg;
    churn(MK_INTENT_PARTICLE, 8, 10); /* 10 requests of bucket 16, class 16 */
    mk_thread_detach();
    return NULL;
}

/* Requests per size step and per class, summed over threads; requests above
 * the largest class count as oversize, in no class. */
static void test_histogram(void)
{
    churn(MK_INTENT_ENTITY, 1, 1);
    churn(MK_INTENT_ENTITY, 16, 2);
    churn(MK_INTENT_ENTITY, 17, 1);
    churn(MK_INTENT_PARTICLE, 30, 1);
    churn(MK_INTENT_ENTITY, 33, 1);
    churn(MK_INTENT_ENTITY, 40, 1);
    churn(MK_INTENT_ENTITY, 64, 1);
    churn(MK_INTENT_ENTITY, 100, 2); /* oversize = "heap" */
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, other_thread, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    mk_begin_frame();
    mk_end_frame();
    const char *text = recording();
    /* bucket 16: 1 + 2 + 10 requests; 32: 17 and 30; 48: 33 and 40; 64: 64 */
    contains(text, "\"histogram\": [{\"pool\": \"small\", \"step\": 16, \"requests\": [[16, 13], [32, 2], [48, 2], "
                   "[64, 1]], \"oversize\": 2, \"classes\": [[16, 13, 113], [32, 2, 47], [64, 3, 137]]}],");
    /* a snapshot carries the histogram too, but not the trace */
    memset(&doc, 0, sizeof doc);
    CHECK_EQ(mk_stats_write_json(collect, &doc), MK_OK);
    contains(joined(&doc), "[[16, 13, 113], [32, 2, 47], [64, 3, 137]]");
    contains(doc.text, "\"trace\": {\"dropped\": 0, \"events\": []}}");
}

#endif

static char want[4096];

/* Events in order, [frame, op, intent, size, id]: the id is the block's
 * address; a free has the size it was given or the usable size; frame
 * memory's frees are not events; a failed request is "x" with id 0; an
 * in-place resize is a free and an allocation of the same block. */
static void test_trace_events(void)
{
    mk_begin_frame();
    unsigned long long frame = (unsigned long long)mk_frame_index();
    void *p = mk_alloc(MK_INTENT_ENTITY, 24);
    void *q = mk_alloc(MK_INTENT_BLOB, 100);
    void *s = mk_alloc(MK_INTENT_SCRATCH, 50);
    CHECK(p != NULL && q != NULL && s != NULL);
    mk_free(p);
    mk_free_sized(MK_INTENT_BLOB, q, 100);
    mk_free(s);
    CHECK(mk_alloc(MK_INTENT_BLOB, 8000) == NULL); /* over the 4 KiB budget */
    void *r = mk_realloc(MK_INTENT_BLOB, NULL, 200);
    CHECK(r != NULL);
    size_t r_usable = mk_usable_size(r);
    void *r2 = mk_realloc(MK_INTENT_BLOB, r, 300);
    CHECK(r2 != NULL);
    size_t r2_usable = mk_usable_size(r2);
    mk_free(r2);
    void *c = mk_calloc(MK_INTENT_ENTITY, 3, 10);
    CHECK(c != NULL);
    mk_free(c);
    mk_end_frame();

    const unsigned E = MK_INTENT_ENTITY, B = MK_INTENT_BLOB, S = MK_INTENT_SCRATCH;
    int n = snprintf(want, sizeof want,
                     "\"trace\": {\"dropped\": 0, \"events\": [[%llu, \"a\", %u, 24, %llu], [%llu, \"a\", %u, 100, %llu], "
                     "[%llu, \"a\", %u, 50, %llu], [%llu, \"f\", %u, %u, %llu], [%llu, \"f\", %u, 100, %llu], "
                     "[%llu, \"x\", %u, 8000, 0], [%llu, \"a\", %u, 200, %llu], ",
                     frame, E, (unsigned long long)(uintptr_t)p, frame, B, (unsigned long long)(uintptr_t)q, frame, S,
                     (unsigned long long)(uintptr_t)s, frame, E, FREED(32u, 24u), (unsigned long long)(uintptr_t)p, frame, B,
                     (unsigned long long)(uintptr_t)q, frame, B, frame, B, (unsigned long long)(uintptr_t)r);
    CHECK(n > 0 && (size_t)n < sizeof want);
    const char *text = recording();
    contains(text, want);
    if (r2 == r) /* grown in place */
        n = snprintf(want, sizeof want, "[%llu, \"f\", %u, %llu, %llu], [%llu, \"a\", %u, 300, %llu], ", frame, B,
                     (unsigned long long)r_usable, (unsigned long long)(uintptr_t)r, frame, B,
                     (unsigned long long)(uintptr_t)r);
    else /* moved: the new block first, then the old one's free */
        n = snprintf(want, sizeof want, "[%llu, \"a\", %u, 300, %llu], [%llu, \"f\", %u, %llu, %llu], ", frame, B,
                     (unsigned long long)(uintptr_t)r2, frame, B, (unsigned long long)r_usable,
                     (unsigned long long)(uintptr_t)r);
    CHECK(n > 0 && (size_t)n < sizeof want);
    contains(text, want);
    n = snprintf(want, sizeof want,
                 "[%llu, \"f\", %u, %llu, %llu], [%llu, \"a\", %u, 30, %llu], [%llu, \"f\", %u, %u, %llu]]", frame, B,
                 (unsigned long long)r2_usable, (unsigned long long)(uintptr_t)r2, frame, E,
                 (unsigned long long)(uintptr_t)c, frame, E, FREED(32u, 30u), (unsigned long long)(uintptr_t)c);
    CHECK(n > 0 && (size_t)n < sizeof want);
    contains(text, want);
    contains(text, "], \"skipped\": 0}}");
}

/* The ring keeps the last 64 events and counts the ones it dropped. */
static void test_trace_ring(void)
{
    churn(MK_INTENT_ENTITY, 48, 50); /* 100 events */
    void *last = mk_alloc(MK_INTENT_ENTITY, 20);
    mk_free(last);
    const char *text = recording();
    contains(text, "\"trace\": {\"dropped\": 38, \"events\": [");
    snprintf(want, sizeof want, "[0, \"f\", %u, %u, %llu]], \"skipped\": 0}}", (unsigned)MK_INTENT_ENTITY,
             FREED(32u, 20u), (unsigned long long)(uintptr_t)last);
    contains(text, want);
    unsigned events = 0;
    for (const char *e = strstr(text, "\"events\": ["); (e = strstr(e + 1, ", \"a\", ")) != NULL;)
        events++;
    CHECK_EQ(events, 32u);
}

/* A sink that allocates while the trace is written is not waited for (the
 * writer holds the ring): its events are skipped, and counted. */
static unsigned sink_allocs;
static void allocating_sink(const char *line, void *user)
{
    void *p = mk_alloc(MK_INTENT_BLOB, 32);
    if (p != NULL)
        sink_allocs++;
    mk_free(p);
    collect(line, user);
}

static void test_trace_allocating_sink(void)
{
    churn(MK_INTENT_ENTITY, 16, 40); /* a full ring: its events span several lines */
    sink_allocs = 0;
    memset(&doc, 0, sizeof doc);
    CHECK_EQ(mk_record_write_json(allocating_sink, &doc), MK_OK);
    CHECK(sink_allocs > 0);
    /* the sink's events while the trace is written are skipped; the others are recorded */
    contains(joined(&doc), "\"skipped\": ");
    CHECK(strstr(doc.text, "\"skipped\": 0}") == NULL);
}

/* A run for memkit-lens simulate (tests/lens/check_simulate_runtime.py):
 * 12 frames; each holds 3 more blob blocks of 1000 bytes (budget 4 KiB,
 * so the 5th of them fails) and entity blocks of a few sizes. */
static void test_simulated_run(const char *path)
{
    void *held[16];
    unsigned kept = 0;
    for (unsigned f = 0; f < 3; f++) {
        mk_begin_frame();
        for (unsigned i = 0; i < 2; i++) {
            void *b = mk_alloc(MK_INTENT_BLOB, 1000);
            if (b != NULL)
                held[kept++] = b;
        }
        void *e[4];
        for (unsigned i = 0; i < 4; i++)
            e[i] = mk_alloc(MK_INTENT_ENTITY, 12u * (i + 1u));
        for (unsigned i = 0; i < 4; i++)
            mk_free(e[i]);
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 4000) != NULL);
        mk_end_frame();
    }
    mk_stats_t st;
    CHECK_EQ(mk_stats_get(&st), MK_OK);
    CHECK_EQ(kept, 4u); /* 4 x 1000 rounded to the heap's granule fit in 4 KiB; the 5th and 6th fail */
    CHECK_EQ(st.intents[MK_INTENT_BLOB].failures, 2u);
    CHECK_EQ(mk_record_save(path), MK_OK);
    for (unsigned i = 0; i < kept; i++)
        mk_free(held[i]);
}

static const char *simulate_path;

static void test_simulated(void)
{
    test_simulated_run(simulate_path);
}

int main(int argc, char **argv)
{
#if !MK_SENTINEL
    RUN(test_histogram);
#endif
    RUN(test_trace_events);
    RUN(test_trace_ring);
    RUN(test_trace_allocating_sink);
    if (argc == 2) {
        simulate_path = argv[1];
        RUN(test_simulated);
    }
    return check_finish("test_record_trace");
}
