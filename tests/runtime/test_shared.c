/* test_shared.c — shared reference-counted buffers: counts, the last release,
 * zero_on_free, copy-on-write (alone and under threads), deterministic ids,
 * the registry and its dump, plain counts.
 * Config: tests/configs/longlived.toml (documents: heap, atomic counts,
 * zero_on_free; local_docs: heap, plain counts; frame_data: frame; heap 4 MiB;
 * max_threads 4). Run under TSan too. */
#include "check.h"

#include <pthread.h>

/* FNV-1a 64 of the name, then of the sequence number's 8 little-endian bytes:
 * the documented id, computed independently. */
static uint64_t expected_id(const char *name, uint64_t sequence)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *c = name; *c != '\0'; c++) {
        h ^= (unsigned char)*c;
        h *= 0x100000001b3ull;
    }
    for (unsigned i = 0; i < 8; i++) {
        h ^= (unsigned char)(sequence >> (8 * i));
        h *= 0x100000001b3ull;
    }
    return h;
}

static void test_retain_release_counts_and_last_release_frees(void)
{
    mk_shared_t *s = mk_shared_new(MK_INTENT_DOCUMENTS, 100, "doc");
    CHECK(s != NULL);
    if (s == NULL)
        return;
    CHECK_EQ(mk_shared_refcount(s), 1);
    CHECK_EQ(mk_shared_size(s), 100);
    CHECK_EQ((uintptr_t)mk_shared_data(s) % MKG_ALIGNMENT, 0);
    CHECK(strcmp(mk_shared_name(s), "doc") == 0);
    CHECK_EQ(mk_shared_live(), 1);
    CHECK(check_intent_stats(MK_INTENT_DOCUMENTS).current >= 100 + sizeof(mk_shared_t));
    CHECK(mk_shared_retain(s) == s);
    CHECK(mk_shared_retain(s) == s);
    CHECK_EQ(mk_shared_refcount(s), 3);
    mk_shared_release(s);
    mk_shared_release(s);
    CHECK_EQ(mk_shared_refcount(s), 1);
    CHECK_EQ(mk_shared_live(), 1);
    CHECK(check_intent_stats(MK_INTENT_DOCUMENTS).current > 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_DOCUMENTS).frees, 0);
    mk_shared_release(s);
    CHECK_EQ(mk_shared_live(), 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_DOCUMENTS).current, 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_DOCUMENTS).frees, 1);
    mk_shared_release(NULL); /* ignored */
}

static void test_refused_requests(void)
{
    CHECK(mk_shared_new(MK_INTENT_FRAME_DATA, 16, "frame") == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(mk_shared_new((mk_intent_t)MKG_INTENT_COUNT, 16, "bad") == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(mk_shared_new(MK_INTENT_DOCUMENTS, SIZE_MAX - 8, "huge") == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(mk_shared_new(MK_INTENT_DOCUMENTS, 8u << 20, "too big") == NULL); /* heap is 4 MiB */
    CHECK_EQ(mk_last_error(), MK_ENOMEM);
    CHECK(mk_shared_make_mut(NULL) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK_EQ(mk_shared_live(), 0);
    mk_shutdown();
    CHECK(mk_shared_new(MK_INTENT_DOCUMENTS, 16, "early") == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
}

/* The tier zeroes the whole freed block, header included, for a zero_on_free
 * intent — except the heap's own free-list links, which it then writes into
 * the first two words. The same bytes survive in an intent without it. */
static void test_zero_on_free_clears_header_and_data(void)
{
    const mk_intent_t intents[2] = {MK_INTENT_DOCUMENTS, MK_INTENT_LOCAL_DOCS};
    for (int k = 0; k < 2; k++) {
        mk_shared_t *s = mk_shared_new(intents[k], 300, "secret");
        CHECK(s != NULL);
        if (s == NULL)
            return;
        memset(mk_shared_data(s), 0xAB, 300);
        unsigned char *from = (unsigned char *)s + 2 * sizeof(void *);
        unsigned char *end = (unsigned char *)mk_shared_data(s) + 300;
        mk_shared_release(mk_shared_retain(s));
        CHECK(end[-1] == 0xAB); /* still held */
        mk_shared_release(s);
        mk_track_open(from, (size_t)(end - from)); /* white box: freed memory (poisoned in ASan builds) */
        size_t nonzero = 0;
        for (unsigned char *b = from; b < end; b++)
            nonzero += *b != 0;
        if (k == 0)
            CHECK_EQ(nonzero, 0);
        else
            CHECK(nonzero >= 300); /* local_docs keeps its bytes: the check above can tell */
    }
}

static void test_make_mut_unique_returns_same_data(void)
{
    mk_shared_t *s = mk_shared_new(MK_INTENT_DOCUMENTS, 64, "unique");
    CHECK(s != NULL);
    if (s == NULL)
        return;
    mk_shared_t *before = s;
    void *data = mk_shared_data(s);
    uint64_t id = mk_shared_id(s);
    CHECK(mk_shared_make_mut(&s) == data);
    CHECK(s == before);
    CHECK_EQ(mk_shared_id(s), id);
    CHECK_EQ(mk_shared_live(), 1);
    CHECK_EQ(check_intent_stats(MK_INTENT_DOCUMENTS).allocations, 1);
    mk_shared_release(s);
}

static void test_make_mut_shared_clones(void)
{
    mk_shared_t *mine = mk_shared_new(MK_INTENT_DOCUMENTS, 500, "cow");
    CHECK(mine != NULL);
    if (mine == NULL)
        return;
    check_fill(mk_shared_data(mine), 500, 3);
    mk_shared_t *theirs = mk_shared_retain(mine);
    void *data = mk_shared_make_mut(&mine);
    CHECK(data != NULL);
    CHECK(mine != theirs);
    CHECK(data != mk_shared_data(theirs));
    CHECK(data == mk_shared_data(mine));
    CHECK(check_intact(data, 500, 3));
    CHECK_EQ(mk_shared_refcount(mine), 1);
    CHECK_EQ(mk_shared_refcount(theirs), 1);
    CHECK_EQ(mk_shared_size(mine), 500);
    CHECK(strcmp(mk_shared_name(mine), "cow") == 0);
    CHECK(mk_shared_id(mine) != mk_shared_id(theirs));
    CHECK_EQ(mk_shared_live(), 2);
    check_fill(data, 500, 9);
    CHECK(check_intact(mk_shared_data(theirs), 500, 3)); /* the other holder's copy is intact */
    mk_shared_release(theirs);
    mk_shared_release(mine);
    CHECK_EQ(mk_shared_live(), 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_DOCUMENTS).current, 0);
}

/* A copy that cannot be allocated leaves *s and every count as they were. */
static void test_make_mut_failure_leaves_buffer(void)
{
    mk_shared_t *s = mk_shared_new(MK_INTENT_DOCUMENTS, 3u << 20, "big"); /* 3 of the heap's 4 MiB */
    CHECK(s != NULL);
    if (s == NULL)
        return;
    mk_shared_t *other = mk_shared_retain(s);
    mk_shared_t *before = s;
    CHECK(mk_shared_make_mut(&s) == NULL);
    CHECK_EQ(mk_last_error(), MK_ENOMEM);
    CHECK(s == before);
    CHECK_EQ(mk_shared_refcount(s), 2);
    CHECK_EQ(mk_shared_live(), 1);
    mk_shared_release(other);
    mk_shared_release(s);
}

static void test_ids_are_deterministic(void)
{
    const char *names[3] = {"alpha", "beta", "alpha"};
    uint64_t first[3], second[3];
    for (int run = 0; run < 2; run++) {
        mk_shared_t *s[3];
        for (int i = 0; i < 3; i++) {
            s[i] = mk_shared_new(MK_INTENT_DOCUMENTS, 32, names[i]);
            CHECK(s[i] != NULL);
            if (s[i] == NULL)
                return;
            (run == 0 ? first : second)[i] = mk_shared_id(s[i]);
        }
        for (int i = 0; i < 3; i++)
            mk_shared_release(s[i]);
        mk_shutdown();
        CHECK_EQ(mk_init(&mkg_config), MK_OK);
    }
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(first[i], second[i]);
        CHECK_EQ(first[i], expected_id(names[i], (uint64_t)i));
    }
    CHECK(first[0] != first[2]); /* same name, later sequence */
    mk_shared_t *b = mk_shared_new(MK_INTENT_DOCUMENTS, 32, "beta"); /* sequence 0 again */
    CHECK(b != NULL);
    CHECK(mk_shared_id(b) != first[0]); /* same sequence, other name */
    CHECK_EQ(mk_shared_id(b), expected_id("beta", 0));
    mk_shared_release(b);
}

static void test_names_are_copied_and_truncated(void)
{
    char name[64];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    mk_shared_t *longer = mk_shared_new(MK_INTENT_DOCUMENTS, 8, name);
    mk_shared_t *unnamed = mk_shared_new(MK_INTENT_DOCUMENTS, 8, NULL);
    CHECK(longer != NULL && unnamed != NULL);
    if (longer == NULL || unnamed == NULL)
        return;
    name[0] = 'X'; /* the buffer has its own copy */
    CHECK_EQ(strlen(mk_shared_name(longer)), MK_SHARED_NAME_MAX - 1);
    CHECK(mk_shared_name(longer)[0] == 'n');
    CHECK(strcmp(mk_shared_name(unnamed), "") == 0);
    CHECK_EQ(mk_shared_id(unnamed), expected_id("", 1));
    mk_shared_release(longer);
    mk_shared_release(unnamed);
}

static void test_dump_lists_live_buffers(void)
{
    mk_shared_t *a = mk_shared_new(MK_INTENT_DOCUMENTS, 10, "alpha_doc");
    mk_shared_t *b = mk_shared_new(MK_INTENT_LOCAL_DOCS, 20, "beta_doc");
    mk_shared_t *c = mk_shared_new(MK_INTENT_OBJECTS, 30, "gamma_doc");
    CHECK(a != NULL && b != NULL && c != NULL);
    if (a == NULL || b == NULL || c == NULL)
        return;
    mk_shared_retain(b);
    mk_shared_release(c);
    CHECK_EQ(mk_shared_live(), 2);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f == NULL)
        return;
    mk_shared_dump(f);
    char text[1024] = {0};
    rewind(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    CHECK(n > 0);
    char *alpha = strstr(text, "name=\"alpha_doc\" intent=documents size=10 refs=1");
    char *beta = strstr(text, "name=\"beta_doc\" intent=local_docs size=20 refs=2");
    CHECK(alpha != NULL);
    CHECK(beta != NULL);
    CHECK(alpha < beta); /* oldest first */
    CHECK(strstr(text, "gamma_doc") == NULL);
    char id[32];
    snprintf(id, sizeof id, "id=0x%016llx", (unsigned long long)mk_shared_id(a));
    CHECK(strstr(text, id) != NULL);
    CHECK(strstr(text, "memkit: 2 live shared buffer(s)") != NULL);
    mk_shared_release(a);
    mk_shared_release(b);
    mk_shared_release(b);
    CHECK_EQ(mk_shared_live(), 0);
}

/* The registry removes from the middle, the head and the tail in O(1) and
 * keeps its links straight (mk_validate walks them). */
static void test_registry_removal_anywhere(void)
{
    mk_shared_t *s[6];
    for (int i = 0; i < 6; i++) {
        s[i] = mk_shared_new(MK_INTENT_LOCAL_DOCS, 16, "r");
        CHECK(s[i] != NULL);
        if (s[i] == NULL)
            return;
    }
    const int order[6] = {2, 0, 5, 3, 1, 4};
    for (int i = 0; i < 6; i++) {
        mk_shared_release(s[order[i]]);
        CHECK_EQ(mk_shared_live(), 5 - i);
        CHECK_EQ(mk_validate(), MK_OK);
    }
    CHECK_EQ(check_intent_stats(MK_INTENT_LOCAL_DOCS).current, 0);
}

/* Plain counts: same behaviour on one thread, no atomics. */
static void test_plain_refcount_intent(void)
{
    mk_shared_t *p = mk_shared_new(MK_INTENT_LOCAL_DOCS, 40, "plain");
    mk_shared_t *a = mk_shared_new(MK_INTENT_DOCUMENTS, 40, "atomic");
    CHECK(p != NULL && a != NULL);
    if (p == NULL || a == NULL)
        return;
    CHECK_EQ(p->plain, 1); /* white box: the intent's flag reached the header */
    CHECK_EQ(a->plain, 0);
    check_fill(mk_shared_data(p), 40, 1);
    mk_shared_t *q = mk_shared_retain(p);
    CHECK_EQ(mk_shared_refcount(p), 2);
    void *data = mk_shared_make_mut(&q);
    CHECK(q != p && data == mk_shared_data(q) && check_intact(data, 40, 1));
    CHECK_EQ(mk_shared_refcount(p), 1);
    CHECK_EQ(mk_shared_refcount(q), 1);
    CHECK(mk_shared_make_mut(&q) == data); /* now unique */
    mk_shared_release(q);
    mk_shared_release(p);
    mk_shared_release(a);
    CHECK_EQ(mk_shared_live(), 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_LOCAL_DOCS).current, 0);
}

static void test_release_too_often_aborts(void)
{
    /* local_docs does not zero freed blocks: the release itself marks the header */
    EXPECT_DEATH(
        {
            mk_shared_t *s = mk_shared_new(MK_INTENT_LOCAL_DOCS, 8, "twice");
            mk_shared_release(s);
            mk_shared_release(s);
        },
        "mk_shared_release: not a live shared buffer");
    EXPECT_DEATH(
        {
            mk_shared_t *s = mk_shared_new(MK_INTENT_DOCUMENTS, 8, "again");
            mk_shared_release(s);
            mk_shared_retain(s);
        },
        "mk_shared_retain: not a live shared buffer");
}

/* ---- copy-on-write under threads ---- */

enum { COW_WORKERS = 3, COW_ROUNDS = 300, COW_SIZE = 256 };

typedef struct cow_worker {
    mk_shared_t *original; /* held by main throughout */
    mk_shared_t *hot;      /* one reference each, main's dropped: the last to look writes in place */
    unsigned seed;
    int bad;
    int in_place;
} cow_worker_t;

/* Lines the workers up before they race for `hot`, so that nothing but the
 * reference count orders one worker's copy before another's write in place
 * (the barrier itself happens before both). */
static pthread_barrier_t cow_barrier;

static void *cow_work(void *arg)
{
    cow_worker_t *w = arg;
    for (unsigned r = 0; r < COW_ROUNDS; r++) {
        mk_shared_t *mine = mk_shared_retain(w->original);
        unsigned char *data = mk_shared_make_mut(&mine);
        if (data == NULL || mine == w->original || !check_intact(data, COW_SIZE, 5)) {
            w->bad++;
        } else {
            check_fill(data, COW_SIZE, w->seed + r);
            if (!check_intact(mk_shared_data(w->original), COW_SIZE, 5) || !check_intact(data, COW_SIZE, w->seed + r))
                w->bad++;
        }
        mk_shared_release(mine);
    }
    pthread_barrier_wait(&cow_barrier);
    mk_shared_t *hot = w->hot;
    unsigned char *data = mk_shared_make_mut(&hot);
    if (data == NULL || !check_intact(data, COW_SIZE, 11)) {
        w->bad++;
    } else {
        w->in_place = hot == w->hot;
        check_fill(data, COW_SIZE, w->seed);
    }
    mk_shared_release(hot);
    return NULL;
}

static void test_copy_on_write_under_threads(void)
{
    mk_shared_t *original = mk_shared_new(MK_INTENT_DOCUMENTS, COW_SIZE, "original");
    mk_shared_t *hot = mk_shared_new(MK_INTENT_DOCUMENTS, COW_SIZE, "hot");
    CHECK(original != NULL && hot != NULL);
    if (original == NULL || hot == NULL)
        return;
    check_fill(mk_shared_data(original), COW_SIZE, 5);
    check_fill(mk_shared_data(hot), COW_SIZE, 11);
    cow_worker_t workers[COW_WORKERS];
    pthread_t threads[COW_WORKERS];
    for (unsigned i = 0; i < COW_WORKERS; i++)
        workers[i] = (cow_worker_t){.original = original, .hot = mk_shared_retain(hot), .seed = 100u * (i + 1)};
    mk_shared_release(hot);
    CHECK(pthread_barrier_init(&cow_barrier, NULL, COW_WORKERS) == 0);
    for (unsigned i = 0; i < COW_WORKERS; i++)
        CHECK(pthread_create(&threads[i], NULL, cow_work, &workers[i]) == 0);
    int in_place = 0;
    for (unsigned i = 0; i < COW_WORKERS; i++) {
        pthread_join(threads[i], NULL);
        CHECK_EQ(workers[i].bad, 0);
        in_place += workers[i].in_place;
    }
    pthread_barrier_destroy(&cow_barrier);
    CHECK(in_place <= 1); /* only a sole holder writes in place */
    CHECK_EQ(mk_shared_refcount(original), 1);
    CHECK(check_intact(mk_shared_data(original), COW_SIZE, 5));
    CHECK_EQ(mk_shared_live(), 1);
    mk_shared_release(original);
    CHECK_EQ(mk_shared_live(), 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_DOCUMENTS).current, 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_DOCUMENTS).allocations, 2u + COW_WORKERS * COW_ROUNDS + COW_WORKERS - (unsigned)in_place);
    CHECK_EQ(mk_validate(), MK_OK);
}

int main(void)
{
    RUN(test_retain_release_counts_and_last_release_frees);
    RUN(test_refused_requests);
    RUN(test_zero_on_free_clears_header_and_data);
    RUN(test_make_mut_unique_returns_same_data);
    RUN(test_make_mut_shared_clones);
    RUN(test_make_mut_failure_leaves_buffer);
    RUN(test_ids_are_deterministic);
    RUN(test_names_are_copied_and_truncated);
    RUN(test_dump_lists_live_buffers);
    RUN(test_registry_removal_anywhere);
    RUN(test_plain_refcount_intent);
    RUN(test_release_too_often_aborts);
    RUN(test_copy_on_write_under_threads);
    return check_finish("test_shared");
}
