/* test_lifecycle.c — checkpoints, growth in place, phases, scopes, intent
 * scopes and frame callbacks (config tests/configs/basic.toml: scratch is a
 * frame intent with a 128 KiB budget, 64 KiB arenas, overflow = "heap";
 * entity and particle share a pool; blob is a heap intent). */
#include "check.h"

#include <pthread.h>

/* ---- checkpoints ---- */

static void test_rewind_releases_everything_since_the_mark(void)
{
    mk_begin_frame();
    unsigned char *before = mk_alloc(MK_INTENT_SCRATCH, 100);
    CHECK(before != NULL);
    memset(before, 7, 100);
    uint64_t used_before = check_intent_stats(MK_INTENT_SCRATCH).current;
    mk_frame_mark_t mark = mk_frame_mark();
    unsigned char *speculative = mk_alloc(MK_INTENT_SCRATCH, 1000);
    for (int i = 0; i < 100; i++) /* ~100 KiB: spills past the 64 KiB arena */
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 1000) != NULL);
    CHECK(check_stats().tiers[MK_TIER_HEAP].used > 0);
    CHECK_EQ(mk_frame_rewind(&mark), MK_OK);
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).current, used_before);
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u); /* spilled blocks went with the rewind */
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 1000) == speculative); /* the arena position came back */
    CHECK(before[0] == 7 && before[99] == 7);
    /* the budget came back too: the whole 128 KiB is usable again */
    CHECK_EQ(mk_frame_rewind(&mark), MK_OK);
    size_t got = 0;
    while (mk_alloc(MK_INTENT_SCRATCH, 1024) != NULL)
        got += 1024;
    CHECK(got >= 128u * 1024u - 1024u);
    mk_end_frame();
}

static void test_rewind_refuses_marks_of_an_earlier_frame(void)
{
    mk_begin_frame();
    mk_frame_mark_t old = mk_frame_mark();
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 64) != NULL);
    mk_end_frame();
    mk_begin_frame();
    void *now = mk_alloc(MK_INTENT_SCRATCH, 64);
    CHECK(now != NULL);
    uint64_t current = check_intent_stats(MK_INTENT_SCRATCH).current;
    CHECK_EQ(mk_frame_rewind(&old), MK_ESTATE);
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).current, current); /* nothing changed */
    CHECK(mk_frame_rewind(NULL) == MK_EINVAL);
    mk_end_frame();
}

static void test_rewind_past_a_mark_is_refused(void)
{
    mk_begin_frame();
    mk_frame_mark_t outer = mk_frame_mark();
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 256) != NULL);
    mk_frame_mark_t inner = mk_frame_mark();
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 256) != NULL);
    CHECK_EQ(mk_frame_rewind(&outer), MK_OK);
    CHECK_EQ(mk_frame_rewind(&inner), MK_EINVAL); /* the arena is already behind it */
    mk_end_frame();
}

static mk_frame_mark_t foreign_mark;
static void *take_mark(void *arg)
{
    (void)arg;
    foreign_mark = mk_frame_mark();
    return NULL;
}

static void test_rewind_refuses_another_threads_mark(void)
{
    mk_begin_frame();
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) != NULL);
    pthread_t other;
    CHECK(pthread_create(&other, NULL, take_mark, NULL) == 0);
    CHECK(pthread_join(other, NULL) == 0);
    CHECK_EQ(mk_frame_rewind(&foreign_mark), MK_ESTATE);
    mk_end_frame();
}

/* A mark-try-rewind loop uses one checkpoint however long it runs; the
 * stack of open checkpoints is bounded (MK_MARK_DEPTH) and says so. */
static void test_checkpoint_stack(void)
{
    mk_begin_frame();
    for (int i = 0; i < 10 * MK_MARK_DEPTH; i++) {
        mk_frame_mark_t m = mk_frame_mark();
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 32) != NULL);
        CHECK_EQ(mk_frame_rewind(&m), MK_OK);
    }
    mk_end_frame();
    /* two marks at one state share a checkpoint: releasing one keeps the other
     * (a new frame, so that the loop's marks do not hold it too) */
    mk_begin_frame();
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) != NULL);
    mk_frame_mark_t a = mk_frame_mark();
    mk_frame_mark_t b = mk_frame_mark();
    mk_frame_mark_release(&b);
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 32) != NULL);
    CHECK_EQ(mk_frame_rewind(&a), MK_OK);
    mk_frame_mark_release(&a);
    CHECK_EQ(mk_frame_rewind(&a), MK_EINVAL); /* released: closed */
    /* distinct states fill the stack */
    int taken = 0;
    for (int i = 0; i < 2 * MK_MARK_DEPTH; i++) {
        mk_frame_mark_t m = mk_frame_mark();
        if (m.epoch == UINT64_MAX) {
            CHECK_EQ(mk_last_error(), MK_EFULL);
            break;
        }
        taken++;
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) != NULL);
    }
    CHECK_EQ(taken, MK_MARK_DEPTH);
    mk_end_frame();
    mk_begin_frame(); /* a new frame starts with an empty stack */
    mk_frame_mark_t fresh = mk_frame_mark();
    CHECK(fresh.epoch != UINT64_MAX);
    mk_end_frame();
}

static void test_scope_rewinds_at_block_exit(void)
{
    mk_begin_frame();
    uint64_t used_before = check_intent_stats(MK_INTENT_SCRATCH).current;
    void *inside = NULL;
    {
        MK_FRAME_SCOPE();
        inside = mk_alloc(MK_INTENT_SCRATCH, 512);
        CHECK(inside != NULL);
        CHECK(check_intent_stats(MK_INTENT_SCRATCH).current == used_before + 512u);
    }
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).current, used_before);
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 512) == inside);
    mk_end_frame();
}

/* ---- growth in place ---- */

static void test_grow_in_place_when_last(void)
{
    mk_begin_frame();
    unsigned char *p = mk_alloc(MK_INTENT_SCRATCH, 40);
    CHECK(p != NULL);
    memset(p, 3, 40);
    unsigned char *q = mk_frame_grow(MK_INTENT_SCRATCH, p, 40, 4000);
    CHECK(q == p); /* the newest block grew where it stood */
    CHECK(q[0] == 3 && q[39] == 3);
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).current, 4000u);
    void *other = mk_alloc(MK_INTENT_SCRATCH, 16);
    CHECK(other != NULL);
    unsigned char *r = mk_frame_grow(MK_INTENT_SCRATCH, q, 4000, 8000);
    CHECK(r != NULL && r != q); /* no longer the newest: moved, contents copied */
    CHECK(r[0] == 3 && r[39] == 3);
    CHECK(mk_frame_grow(MK_INTENT_BLOB, NULL, 0, 16) == NULL); /* not a frame intent */
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    mk_end_frame();
}

static void test_grow_at_arena_end_spills(void)
{
    mk_begin_frame();
    size_t size = 40 * 1024; /* 40 + 80 KiB: inside the 128 KiB budget, past the 64 KiB arena */
    unsigned char *p = mk_alloc(MK_INTENT_SCRATCH, size);
    CHECK(p != NULL);
    memset(p, 9, size);
    unsigned char *q = mk_frame_grow(MK_INTENT_SCRATCH, p, size, 2 * size); /* past the 64 KiB arena */
    CHECK(q != NULL && q != p);
    CHECK(q[0] == 9 && q[size - 1] == 9);
    CHECK(check_stats().tiers[MK_TIER_HEAP].used >= 2 * size);
    mk_end_frame();
}

/* ---- phases ---- */

static void test_phases_count_nested_allocations(void)
{
    mk_begin_frame();
    CHECK_EQ(mk_phase_begin("physics"), MK_OK);
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 100) != NULL); /* 112 bytes in the arena */
    CHECK_EQ(mk_phase_begin("broadphase"), MK_OK);
    void *e = mk_alloc(MK_INTENT_ENTITY, 30); /* a 32-byte pool block */
    CHECK(e != NULL);
    mk_phase_end();
    mk_phase_end();
    mk_free(e);
    mk_end_frame();
    mk_phase_stats_t s[MK_MAX_PHASES];
    size_t n = mk_phase_stats(s, MK_MAX_PHASES);
    CHECK_EQ(n, 2u);
    CHECK(strcmp(s[0].name, "physics") == 0 && strcmp(s[1].name, "broadphase") == 0);
    CHECK_EQ(s[0].bytes, 112u + 32u); /* the nested phase counts to its parent */
    CHECK_EQ(s[0].allocations, 2u);
    CHECK_EQ(s[1].bytes, 32u);
    CHECK_EQ(s[1].allocations, 1u);
    CHECK_EQ(s[0].last_frame_bytes, 144u);
    CHECK_EQ(s[0].entries, 1u);
    /* a frame without the phase reads zero for the last frame, totals stay */
    mk_begin_frame();
    mk_end_frame();
    n = mk_phase_stats(s, MK_MAX_PHASES);
    CHECK_EQ(s[0].last_frame_bytes, 0u);
    CHECK_EQ(s[0].bytes, 144u);
}

static void test_phase_names_compare_by_content(void)
{
    char name[16];
    strcpy(name, "audio");
    CHECK_EQ(mk_phase_begin("audio"), MK_OK);
    mk_phase_end();
    CHECK_EQ(mk_phase_begin(name), MK_OK); /* another address, same name: one phase */
    mk_phase_end();
    mk_phase_stats_t s[4];
    CHECK_EQ(mk_phase_stats(s, 4), 1u);
    CHECK_EQ(s[0].entries, 2u);
}

static void test_phase_limits_keep_pairs_balanced(void)
{
    for (int i = 0; i < MK_PHASE_DEPTH; i++)
        CHECK_EQ(mk_phase_begin("deep"), MK_OK);
    CHECK_EQ(mk_phase_begin("deep"), MK_EFULL);
    mk_phase_end(); /* closes the level that did not fit */
    for (int i = 0; i < MK_PHASE_DEPTH; i++)
        mk_phase_end();
    mk_phase_stats_t s[2];
    CHECK_EQ(mk_phase_stats(s, 2), 1u);
    CHECK_EQ(s[0].entries, (uint64_t)MK_PHASE_DEPTH);
    CHECK_EQ(mk_phase_begin(NULL), MK_EINVAL);
}

static void test_phase_scope(void)
{
    {
        MK_PHASE_SCOPE("ui");
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) != NULL);
    }
    mk_phase_stats_t s[2];
    CHECK_EQ(mk_phase_stats(s, 2), 1u);
    CHECK_EQ(s[0].entries, 1u);
    CHECK_EQ(s[0].bytes, 16u);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f != NULL) {
        mk_stats_print(f);
        rewind(f);
        char text[4096] = {0};
        CHECK(fread(text, 1, sizeof text - 1, f) > 0);
        CHECK(strstr(text, "\nui ") != NULL); /* the phase has its row */
        fclose(f);
    }
}

/* ---- intent scopes ---- */

static void *third_party_alloc(size_t size) { return mk_alloc_current(size); }

static void test_intent_scopes(void)
{
    CHECK(mk_alloc_current(8) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    void *a = NULL, *b = NULL;
    mk_with_intent(MK_INTENT_BLOB)
    {
        a = third_party_alloc(100);
        mk_with_intent(MK_INTENT_ENTITY) b = third_party_alloc(24);
    }
    CHECK(a != NULL && b != NULL);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_BLOB].allocations, 1u);
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].allocations, 1u);
    CHECK(mk_alloc_current(8) == NULL); /* both scopes closed */
    {
        MK_INTENT_SCOPE(MK_INTENT_PARTICLE);
        mk_free(third_party_alloc(8));
    }
    CHECK_EQ(check_intent_stats(MK_INTENT_PARTICLE).allocations, 1u);
    CHECK_EQ(mk_intent_push((mk_intent_t)MKG_INTENT_COUNT), MK_EINVAL);
    mk_free(a);
    mk_free(b);
}

/* ---- frame callbacks ---- */

typedef struct seen {
    uint64_t begins[4];
    uint64_t ends[4];
    int nbegin, nend;
} seen_t;
static void on_begin(uint64_t frame, void *user)
{
    seen_t *s = user;
    if (s->nbegin < 4)
        s->begins[s->nbegin++] = frame;
}
static void on_end(uint64_t frame, void *user)
{
    seen_t *s = user;
    if (s->nend < 4)
        s->ends[s->nend++] = frame;
}

static void test_frame_callbacks(void)
{
    seen_t s = {0};
    CHECK_EQ(mk_on_frame_begin(on_begin, &s), MK_OK);
    CHECK_EQ(mk_on_frame_end(on_end, &s), MK_OK);
    CHECK_EQ(mk_on_frame_end(NULL, &s), MK_EINVAL);
    for (int f = 0; f < 3; f++) {
        mk_begin_frame();
        mk_end_frame();
    }
    CHECK_EQ(s.nbegin, 3);
    CHECK_EQ(s.nend, 3);
    CHECK_EQ(s.begins[0], 1u);
    CHECK_EQ(s.ends[2], 3u);
    int extra = 0;
    while (mk_on_frame_begin(on_begin, &s) == MK_OK)
        extra++;
    CHECK_EQ(extra, MK_MAX_FRAME_CALLBACKS - 1);
}

/* Issue 7 item 2: the per-thread tally grows by 2^40 per allocation; as a
 * signed number it overflowed (undefined behaviour) after 2^23 allocations on
 * one thread. More than 2^24 here, in phases of 2^20 that must count exactly
 * (UBSan with no recovery in make test). */
static void test_tally_survives_many_allocations(void)
{
    const unsigned per_phase = 1u << 20, rounds = 17;
    mk_begin_frame();
    mk_frame_mark_t mark = mk_frame_mark();
    for (unsigned round = 0; round < rounds; round++) {
        CHECK_EQ(mk_phase_begin("many"), MK_OK);
        for (unsigned i = 0; i < per_phase; i++) {
            if ((i & 1023u) == 0u)
                CHECK_EQ(mk_frame_rewind(&mark), MK_OK);
            void *p = mk_alloc(MK_INTENT_SCRATCH, 16);
            CHECK(p != NULL);
            if (p == NULL)
                break;
        }
        mk_phase_end();
    }
    mk_frame_mark_release(&mark);
    mk_phase_stats_t ph[MK_MAX_PHASES];
    size_t n = mk_phase_stats(ph, MK_MAX_PHASES);
    CHECK_EQ(n, 1u);
    CHECK_EQ(ph[0].allocations, (uint64_t)per_phase * rounds);
    CHECK_EQ(ph[0].bytes, (uint64_t)per_phase * rounds * 16u);
    CHECK_EQ(ph[0].entries, (uint64_t)rounds);
}

/* Issue 7 item 8: mk_with_intent nested one past MK_INTENT_STACK_DEPTH ran
 * nothing and left a level pushed for good. Now every body runs, the
 * over-deep push is reported (ML502) and left in mk_last_error(), and the
 * stack is empty afterwards. */
static int ml502_reports;
static void count_ml502(const mk_report_t *report, void *user)
{
    (void)user;
    ml502_reports += strcmp(report->code, "ML502") == 0;
}

static unsigned bodies_run;
static void nest_intents(unsigned depth)
{
    if (depth == 0) {
        CHECK_EQ(mk_last_error(), MK_EFULL);
        void *p = mk_alloc_current(16); /* the enclosing intent's */
        CHECK(p != NULL);
        mk_free(p);
        return;
    }
    mk_with_intent(MK_INTENT_BLOB)
    {
        bodies_run++;
        nest_intents(depth - 1);
    }
}

static void test_with_intent_too_deep_runs_and_reports(void)
{
    ml502_reports = 0;
    bodies_run = 0;
    mk_set_report_handler(count_ml502, NULL);
    nest_intents(MK_INTENT_STACK_DEPTH + 1);
    mk_set_report_handler(NULL, NULL);
    CHECK_EQ(bodies_run, (unsigned)MK_INTENT_STACK_DEPTH + 1u);
    CHECK_EQ(ml502_reports, 1);
    CHECK(mk_alloc_current(16) == NULL); /* every level popped */
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    /* a bad intent: the body still runs, once, reported */
    unsigned ran = 0;
    mk_set_report_handler(count_ml502, NULL);
    mk_with_intent((mk_intent_t)MKG_INTENT_COUNT)
    {
        ran++;
        CHECK_EQ(mk_last_error(), MK_EINVAL);
    }
    mk_set_report_handler(NULL, NULL);
    CHECK_EQ(ran, 1u);
    CHECK_EQ(ml502_reports, 2);
}

int main(void)
{
    RUN(test_rewind_releases_everything_since_the_mark);
    RUN(test_rewind_refuses_marks_of_an_earlier_frame);
    RUN(test_rewind_past_a_mark_is_refused);
    RUN(test_rewind_refuses_another_threads_mark);
    RUN(test_checkpoint_stack);
    RUN(test_scope_rewinds_at_block_exit);
    RUN(test_grow_in_place_when_last);
    RUN(test_grow_at_arena_end_spills);
    RUN(test_phases_count_nested_allocations);
    RUN(test_phase_names_compare_by_content);
    RUN(test_phase_limits_keep_pairs_balanced);
    RUN(test_phase_scope);
    RUN(test_intent_scopes);
    RUN(test_frame_callbacks);
    RUN(test_tally_survives_many_allocations);
    RUN(test_with_intent_too_deep_runs_and_reports);
    return check_finish("lifecycle");
}
