/* test_sentinel.c — sentinel mode (MK_SENTINEL=1) against tests/configs/sentinel.toml:
 * poison values, canaries on free and in mk_validate, the leak audit of
 * mk_shutdown, report contents through a capturing handler, and the default
 * handler's per-severity actions. The hazard programs (tests/hazards/) cover
 * one misuse each; this file checks the mechanism. */
#include "check.h"

#include <memkit/async.h>

#include <pthread.h>

#if !MK_SENTINEL
#error "test_sentinel needs a sentinel build (MK_SENTINEL=1)"
#endif

/* The reports made since the last capture_start. */
typedef struct captured {
    int count;
    char code[8];
    mk_severity_t severity;
    char message[400];
    const char *file;
    int line;
    int intent;
    const void *ptr;
} captured_t;

static captured_t captured;

static void capture(const mk_report_t *r, void *user)
{
    captured_t *c = user;
    if (c->count++ == 0) {
        snprintf(c->code, sizeof c->code, "%s", r->code);
        snprintf(c->message, sizeof c->message, "%s", r->message);
        c->severity = r->severity;
        c->file = r->file;
        c->line = r->line;
        c->intent = r->intent;
        c->ptr = r->ptr;
    }
}

static void capture_start(void)
{
    memset(&captured, 0, sizeof captured);
    mk_set_report_handler(capture, &captured);
}

static void capture_stop(void)
{
    mk_set_report_handler(NULL, NULL);
}

static int all_bytes(const void *p, size_t n, unsigned char value)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != value)
            return 0;
    return 1;
}

static void test_poison_values(void)
{
    unsigned char *pool = mk_alloc(MK_INTENT_PHYSICS, 40);
    unsigned char *heap = mk_alloc(MK_INTENT_DOCUMENTS, 300);
    CHECK(pool != NULL && heap != NULL);
    CHECK(all_bytes(pool, 40, 0xAA));
    CHECK(all_bytes(heap, 300, 0xAA));
    CHECK_EQ(mk_usable_size(pool), 40u); /* the canary follows the size asked for */
    mk_free(pool);
    mk_free(heap);
    /* white box: freed memory stays readable in the tiers, poisoned */
    CHECK(all_bytes(pool, 40, 0xDD));
    CHECK(all_bytes(heap + 16, 284, 0xDD)); /* the heap keeps its free-list links in front */
    /* a zeroed allocation is zeroed all the same */
    unsigned char *zeroed = mk_calloc(MK_INTENT_PHYSICS, 4, 10);
    CHECK(zeroed != NULL && all_bytes(zeroed, 40, 0));
    mk_free(zeroed);
    /* frame memory: 0xAA when handed out, 0xDD once its slot is reset */
    mk_begin_frame();
    unsigned char *frame = mk_alloc(MK_INTENT_FRAME_DATA, 64);
    CHECK(frame != NULL && all_bytes(frame, 64, 0xAA));
    mk_end_frame();
    for (int f = 0; f < 2; f++) {
        mk_begin_frame();
        CHECK(mk_alloc(MK_INTENT_FRAME_DATA, 16) != NULL);
        mk_end_frame();
    }
    CHECK(all_bytes(frame + 16, 48, 0xDD)); /* after the new 16 bytes of the reused slot */
    /* a rewind poisons what it releases */
    mk_begin_frame();
    mk_frame_mark_t mark = mk_frame_mark();
    unsigned char *temp = mk_alloc(MK_INTENT_FRAME_DATA, 32);
    CHECK_EQ(mk_frame_rewind(&mark), MK_OK);
    CHECK(all_bytes(temp, 32, 0xDD));
    mk_end_frame();
}

static void test_canary_checked_on_free(void)
{
    capture_start();
    unsigned char *p = mk_alloc(MK_INTENT_PHYSICS, 24);
    int line = __LINE__ - 1;
    p[25] = 0; /* the canary's second byte: random, never 0 */
    mk_free(p);
    CHECK_EQ(captured.count, 1);
    CHECK(strcmp(captured.code, "ML605") == 0);
    CHECK_EQ(captured.severity, MK_SEVERITY_ERROR);
    CHECK(captured.ptr == p);
    CHECK_EQ(captured.intent, MK_INTENT_PHYSICS);
    CHECK(captured.file != NULL && strstr(captured.file, "test_sentinel.c") != NULL);
    CHECK_EQ(captured.line, line);
    CHECK(strstr(captured.message, "'physics'") != NULL && strstr(captured.message, "1 bytes past its end") != NULL);
    capture_stop();
}

static void test_canary_checked_by_validate(void)
{
    capture_start();
    char *p = mk_alloc(MK_INTENT_DOCUMENTS, 10);
    CHECK_EQ(mk_validate(), MK_OK);
    CHECK_EQ(captured.count, 0);
    p[10] = 'x';
    CHECK_EQ(mk_validate(), MK_ECORRUPT);
    CHECK_EQ(captured.count, 1);
    CHECK(strcmp(captured.code, "ML605") == 0);
    p[10] = 0; /* repaired: the canary's first byte is 0 */
    CHECK_EQ(mk_validate(), MK_OK);
    mk_free(p);
    capture_stop();
}

static void test_double_free_skipped_when_continuing(void)
{
    capture_start();
    void *p = mk_alloc(MK_INTENT_PHYSICS, 32);
    mk_free(p);
    mk_free(p); /* reported, then ignored: the pool is not corrupted */
    CHECK_EQ(captured.count, 1);
    CHECK(strcmp(captured.code, "ML601") == 0);
    CHECK(strstr(captured.message, "double free") != NULL);
    void *a = mk_alloc(MK_INTENT_PHYSICS, 32);
    void *b = mk_alloc(MK_INTENT_PHYSICS, 32);
    CHECK(a != NULL && b != NULL && a != b);
    mk_free(a);
    mk_free(b);
    CHECK_EQ(mk_validate(), MK_OK);
    capture_stop();
}

static void test_realloc_keeps_contents(void)
{
    char *p = mk_realloc(MK_INTENT_DOCUMENTS, NULL, 10);
    memcpy(p, "sentinel!", 10);
    char *q = mk_realloc(MK_INTENT_DOCUMENTS, p, 5000);
    CHECK(q != NULL && q != p && memcmp(q, "sentinel!", 10) == 0);
    CHECK(all_bytes(q + 10, 4990, 0xAA));
    CHECK(mk_realloc(MK_INTENT_DOCUMENTS, q, 0) == NULL);
}

static void test_leak_audit(void)
{
    mk_status_t init = MK_OK;
    /* RUN's mk_init is ours to shut down here: count and check the reports */
    capture_start();
    void *pool = mk_alloc(MK_INTENT_PHYSICS, 48);
    int pool_line = __LINE__ - 1;
    void *heap = mk_alloc(MK_INTENT_DOCUMENTS, 1000);
    mk_shared_t *shared = mk_shared_new(MK_INTENT_DOCUMENTS, 64, "forgotten");
    void *freed = mk_alloc(MK_INTENT_PHYSICS, 16);
    mk_free(freed);
    (void)heap;
    (void)shared;
    CHECK_EQ(mk_shutdown(), 3u);
    CHECK_EQ(captured.count, 3);
    CHECK(strcmp(captured.code, "ML608") == 0);
    CHECK_EQ(captured.severity, MK_SEVERITY_WARNING);
    CHECK(captured.ptr == pool); /* oldest first */
    CHECK_EQ(captured.line, pool_line);
    CHECK(strstr(captured.message, "intent 'physics', 48 bytes") != NULL);
    capture_stop();
    init = mk_init(&mkg_config); /* RUN shuts down once more */
    CHECK_EQ(init, MK_OK);
    CHECK_EQ(mk_shutdown(), 0u);
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
}

static void test_report_counts_and_actions(void)
{
    CHECK_EQ(mk_set_report_action((mk_severity_t)7, MK_REPORT_ABORT), MK_EINVAL);
    CHECK_EQ(mk_set_report_action(MK_SEVERITY_WARNING, (mk_report_action_t)5), MK_EINVAL);
    CHECK(strcmp(mk_severity_name(MK_SEVERITY_INFO), "info") == 0);
    unsigned long warnings = mk_report_count(MK_SEVERITY_WARNING);
    mk_end_frame(); /* ML102: a warning, the default handler goes on */
    CHECK_EQ(mk_report_count(MK_SEVERITY_WARNING), warnings + 1u);
}

/* The default handler, per severity: errors abort with the line on stderr;
 * a warning set to abort aborts; an error set to continue goes on. */
static void double_free_default(void)
{
    void *p = mk_alloc(MK_INTENT_PHYSICS, 40);
    mk_free(p);
    mk_free(p);
}

static void warning_set_to_abort(void)
{
    CHECK_EQ(mk_set_report_action(MK_SEVERITY_WARNING, MK_REPORT_ABORT), MK_OK);
    mk_end_frame();
}

static void error_set_to_continue(void)
{
    CHECK_EQ(mk_set_report_action(MK_SEVERITY_ERROR, MK_REPORT_CONTINUE), MK_OK);
    double_free_default();
    fprintf(stderr, "went on\n");
    abort();
}

static void test_default_actions(void)
{
    EXPECT_DEATH(double_free_default(), "memkit: ML601 error: double free: mk_free of 0x");
    EXPECT_DEATH(double_free_default(), "(intent 'physics', 40 bytes, allocated at "); /* then the call site */
    EXPECT_DEATH(double_free_default(), "test_sentinel.c:");
    EXPECT_DEATH(warning_set_to_abort(), "memkit: ML102 warning: mk_end_frame without an open frame");
    EXPECT_DEATH(error_set_to_continue(), "went on");
}

static void *free_on_other_thread(void *p)
{
    mk_free(p);
    return NULL;
}

static void test_cross_thread_frame_free_reported(void)
{
    capture_start();
    mk_begin_frame();
    void *p = mk_alloc(MK_INTENT_FRAME_DATA, 64);
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, free_on_other_thread, p) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    mk_end_frame();
    CHECK_EQ(captured.count, 1);
    CHECK(strcmp(captured.code, "ML201") == 0);
    CHECK(captured.ptr == p);
    capture_stop();
}

static void test_marks_released_or_rewound_are_quiet(void)
{
    capture_start();
    mk_begin_frame();
    mk_frame_mark_t a = mk_frame_mark();
    mk_frame_mark_t b = mk_frame_mark();
    (void)b;
    CHECK_EQ(mk_frame_rewind(&a), MK_OK); /* closes b too */
    mk_frame_mark_t c = mk_frame_mark();
    mk_frame_mark_release(&c);
    mk_end_frame();
    CHECK_EQ(captured.count, 0);
    capture_stop();
}

/* Issue 7 item 12: a shrinking mk_realloc always moved in sentinel builds,
 * and failed when the move could not be had. A shrink never fails: when
 * no new block fits the budget it stays, behind a new canary. */
static void test_realloc_shrink_never_fails(void)
{
    unsigned char *p = mk_alloc(MK_INTENT_SCRATCH, 200u << 10);
    void *rest = mk_alloc(MK_INTENT_SCRATCH, 40u << 10);
    CHECK(p != NULL && rest != NULL);
    memset(p, 0x11, 100u << 10);
    unsigned char *q = mk_realloc(MK_INTENT_SCRATCH, p, 100u << 10); /* 100 KiB more cannot be had */
    CHECK(q == p);
    CHECK_EQ(mk_usable_size(q), (size_t)100u << 10);
    CHECK(q[0] == 0x11 && q[(100u << 10) - 1u] == 0x11);
    CHECK_EQ(mk_validate(), MK_OK); /* the new canary is in place */
    capture_start();
    mk_free(q);
    mk_free(rest);
    capture_stop();
    CHECK_EQ(captured.count, 0);
}

/* An async pool's block (no sentinel header) goes back through mk_free
 * without a report, and mk_usable_size knows it. */
static void test_async_block_freed_quietly(void)
{
    void *b = NULL;
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_MSGS, &b), MK_OK);
    CHECK_EQ(mk_usable_size(b), 64);
    capture_start();
    mk_free(b);
    capture_stop();
    CHECK_EQ(captured.count, 0);
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_MSGS, &b), MK_OK); /* it is back */
    mk_async_release(b);
}

/* Issue 7 item 18: "stop if it is gone" needs a query that does not report. */
static void test_handle_valid_is_quiet(void)
{
    mk_handle_t live = mk_handle_alloc(MK_HANDLES_ENTITIES);
    mk_handle_t gone = mk_handle_alloc(MK_HANDLES_ENTITIES);
    CHECK_EQ(mk_handle_free(gone), MK_OK);
    capture_start();
    CHECK(mk_handle_valid(live));
    CHECK(!mk_handle_valid(gone));
    CHECK(!mk_handle_valid(MK_HANDLE_NULL));
    capture_stop();
    CHECK_EQ(captured.count, 0);
    CHECK_EQ(mk_handle_free(live), MK_OK);
    CHECK(!mk_handle_valid(live));
}

int main(void)
{
    RUN(test_poison_values);
    RUN(test_canary_checked_on_free);
    RUN(test_canary_checked_by_validate);
    RUN(test_double_free_skipped_when_continuing);
    RUN(test_realloc_keeps_contents);
    RUN(test_leak_audit);
    RUN(test_report_counts_and_actions);
    RUN(test_default_actions);
    RUN(test_cross_thread_frame_free_reported);
    RUN(test_marks_released_or_rewound_are_quiet);
    RUN(test_realloc_shrink_never_fails);
    RUN(test_handle_valid_is_quiet);
    RUN(test_async_block_freed_quietly);
    return check_finish("sentinel");
}
