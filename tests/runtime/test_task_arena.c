/* test_task_arena.c — task arenas: bump allocation from task-owned chunks,
 * O(chunks) release at task end, zero-copy handoff, child tasks, migration
 * across threads, limits and budgets (tests/configs/async.toml: chunk 1 KiB,
 * max_chunks 4, intent "jobs" with a 4 KiB budget). */
#include "async_check.h"

#include <pthread.h>

static uint64_t chunks_in_use(void)
{
    return test_async_stats("jobs", MK_ASYNC_KIND_ARENA).in_use;
}

static void test_bump_and_end(void)
{
    mk_task_t task;
    CHECK_EQ(mk_task_begin(&task, MK_ASYNC_ARENA_JOBS, NULL), MK_OK);
    CHECK_EQ(mk_task_chunks(&task), 0);
    char *a = mk_task_alloc(&task, 10);
    char *b = mk_task_alloc(&task, 100);
    CHECK(a != NULL && b != NULL);
    CHECK((uintptr_t)a % MKG_ALIGNMENT == 0 && (uintptr_t)b % MKG_ALIGNMENT == 0);
    CHECK(b == a + MKG_ALIGNMENT); /* a bump */
    CHECK_EQ(mk_task_chunks(&task), 1);
    CHECK_EQ(mk_task_used(&task), MKG_ALIGNMENT + 112);
    /* a request that does not fit the chunk's rest takes a new chunk */
    CHECK(mk_task_alloc(&task, 900) != NULL);
    CHECK_EQ(mk_task_chunks(&task), 2);
    CHECK_EQ(chunks_in_use(), 2);
    CHECK_EQ(check_intent_stats(MK_INTENT_JOBS).current, 2048);
    CHECK(mk_task_alloc(&task, 1024) == NULL); /* no chunk holds it with its link */
    CHECK_EQ(mk_last_error(), MK_ETOOBIG);
    CHECK_EQ(mk_task_end(&task), MK_OK);
    CHECK_EQ(chunks_in_use(), 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_JOBS).current, 0);
}

static void test_limits(void)
{
    mk_task_t task;
    CHECK_EQ(mk_task_begin(&task, MK_ASYNC_ARENA_JOBS, NULL), MK_OK);
    for (int i = 0; i < 4; i++)
        CHECK(mk_task_alloc(&task, 1000) != NULL);
    CHECK(mk_task_alloc(&task, 1000) == NULL); /* max_chunks = 4 (and the 4 KiB budget) */
    CHECK(mk_last_error() == MK_ENOMEM || mk_last_error() == MK_EBUDGET);
    CHECK_EQ(test_async_stats("jobs", MK_ASYNC_KIND_ARENA).peak, 4);
    CHECK_EQ(mk_task_end(&task), MK_OK);
    CHECK_EQ(mk_task_begin(&task, (mk_async_arena_id_t)7, NULL), MK_EINVAL);
}

static void test_handoff_is_zero_copy(void)
{
    mk_task_t producer, consumer;
    CHECK_EQ(mk_task_begin(&producer, MK_ASYNC_ARENA_JOBS, NULL), MK_OK);
    CHECK_EQ(mk_task_begin(&consumer, MK_ASYNC_ARENA_JOBS, NULL), MK_OK);
    char *result = mk_task_alloc(&producer, 600);
    check_fill(result, 600, 9);
    CHECK(mk_task_alloc(&producer, 600) != NULL); /* a second chunk */
    char *own = mk_task_alloc(&consumer, 16);
    CHECK(own != NULL);
    CHECK_EQ(mk_task_handoff(&producer, &consumer), MK_OK);
    CHECK_EQ(mk_task_chunks(&producer), 0);
    CHECK_EQ(mk_task_chunks(&consumer), 3);
    CHECK(check_intact(result, 600, 9)); /* the same bytes, now the consumer's */
    CHECK_EQ(chunks_in_use(), 3);
    CHECK(mk_task_alloc(&producer, 16) != NULL); /* the producer may allocate again */
    CHECK_EQ(mk_task_end(&producer), MK_OK);
    CHECK_EQ(chunks_in_use(), 3);
    CHECK_EQ(mk_task_end(&consumer), MK_OK); /* all three chunks at once */
    CHECK_EQ(chunks_in_use(), 0);
}

typedef struct child_job {
    mk_task_t child;
    char *got[50];
} child_job_t;

static void *child_thread(void *arg)
{
    child_job_t *job = arg;
    mk_task_t *child = &job->child;
    for (int i = 0; i < 50; i++) {
        job->got[i] = mk_task_alloc(child, 16);
        CHECK(job->got[i] != NULL);
        check_fill(job->got[i], 16, (unsigned)i);
    }
    CHECK_EQ(mk_task_end(child), MK_OK);
    return NULL;
}

static void test_children_draw_from_parent(void)
{
    mk_task_t parent;
    CHECK_EQ(mk_task_begin(&parent, MK_ASYNC_ARENA_JOBS, NULL), MK_OK);
    static child_job_t jobs[2];
    pthread_t threads[2];
    /* children begin on the parent's thread, then run on their own */
    for (int i = 0; i < 2; i++) {
        CHECK_EQ(mk_task_begin(&jobs[i].child, MK_ASYNC_ARENA_JOBS, &parent), MK_OK);
        CHECK_EQ(pthread_create(&threads[i], NULL, child_thread, &jobs[i]), 0);
    }
    char *mine[50];
    for (int i = 0; i < 50; i++) {
        mine[i] = mk_task_alloc(&parent, 16);
        check_fill(mine[i], 16, 100u + (unsigned)i);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i < 50; i++) { /* nobody's bytes overlapped anybody's */
        CHECK(check_intact(mine[i], 16, 100u + (unsigned)i));
        CHECK(check_intact(jobs[0].got[i], 16, (unsigned)i));
        CHECK(check_intact(jobs[1].got[i], 16, (unsigned)i));
    }
    CHECK_EQ(mk_task_chunks(&parent), 3); /* 150 x 16 B in 1 KiB chunks */
    mk_task_t child;
    CHECK_EQ(mk_task_begin(&child, MK_ASYNC_ARENA_JOBS, &parent), MK_OK);
    CHECK_EQ(mk_task_end(&parent), MK_EBUSY); /* a child still draws from it */
    CHECK_EQ(mk_task_end(&child), MK_OK);
    CHECK_EQ(chunks_in_use(), 3);
    CHECK_EQ(mk_task_end(&parent), MK_OK);
    CHECK_EQ(chunks_in_use(), 0);
}

static void *resume_elsewhere(void *arg)
{
    mk_task_t *task = arg; /* resumed on another thread: no thread-local state */
    char *p = mk_task_alloc(task, 32);
    check_fill(p, 32, 5);
    return p;
}

static void test_task_migrates_across_threads(void)
{
    mk_task_t task;
    CHECK_EQ(mk_task_begin(&task, MK_ASYNC_ARENA_JOBS, NULL), MK_OK);
    char *first = mk_task_alloc(&task, 32);
    check_fill(first, 32, 4);
    pthread_t thread;
    void *second = NULL;
    CHECK_EQ(pthread_create(&thread, NULL, resume_elsewhere, &task), 0);
    pthread_join(thread, &second);
    CHECK((char *)second == first + 32); /* the same chunk, continued */
    CHECK(check_intact(first, 32, 4) && check_intact(second, 32, 5));
    CHECK_EQ(mk_task_end(&task), MK_OK);
    CHECK_EQ(chunks_in_use(), 0);
}

int main(void)
{
    RUN(test_bump_and_end);
    RUN(test_limits);
    RUN(test_handoff_is_zero_copy);
    RUN(test_children_draw_from_parent);
    RUN(test_task_migrates_across_threads);
    return check_finish("test_task_arena");
}
