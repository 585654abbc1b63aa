/* test_validate.c — mk_validate: quiet on a healthy runtime after activity on
 * every tier and feature; MK_ECORRUPT with a report naming the problem when a
 * shared header, the shared registry's links, a pool free list or the heap's
 * accounting is damaged (white box; each damage is undone afterwards).
 * Config: tests/configs/longlived.toml. */
#include "check.h"

#include "internal.h" /* white box: pool class states, the heap */

/* Runs mk_validate_report into a buffer; returns the status. */
static mk_status_t validate_into(char *text, size_t size)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f == NULL)
        return MK_ESYSTEM;
    mk_status_t status = mk_validate_report(f);
    rewind(f);
    size_t n = fread(text, 1, size - 1, f);
    text[n] = '\0';
    fclose(f);
    return status;
}

/* Leaves blocks on a pool class's global list: more frees than a thread cache
 * keeps (16 per class) flush half of it. */
static void churn_pool(void)
{
    void *blocks[100];
    for (int i = 0; i < 100; i++)
        blocks[i] = mk_alloc(MK_INTENT_OBJECTS, 48);
    for (int i = 0; i < 100; i++)
        mk_free(blocks[i]);
}

static void test_healthy_runtime_validates(void)
{
    char text[1024];
    CHECK_EQ(validate_into(text, sizeof text), MK_OK); /* fresh */
    CHECK_EQ(strlen(text), 0);
    churn_pool();
    mk_shared_t *a = mk_shared_new(MK_INTENT_DOCUMENTS, 100, "a");
    mk_shared_t *b = mk_shared_new(MK_INTENT_OBJECTS, 100, "b");
    mk_shared_t *c = mk_shared_new(MK_INTENT_LOCAL_DOCS, 1000, "c");
    mk_shared_retain(b);
    mk_shared_release(a);
    void *blob = mk_alloc(MK_INTENT_GPU_UPLOADS, 5000);
    mk_scratch_release(mk_scratch_acquire(3000));
    mk_scratch_release(mk_scratch_acquire(300));
    mk_group_t *g = mk_group_create(MK_INTENT_OBJECTS);
    for (int i = 0; i < 20; i++)
        mk_group_alloc(g, 30);
    mk_begin_frame();
    CHECK(mk_alloc(MK_INTENT_FRAME_DATA, 1000) != NULL);
    mk_end_frame();
    int found_free_block = 0;
    for (unsigned cls = 0; cls < MKG_CLASS_COUNT; cls++)
        found_free_block |= mk__rt.classes[cls].free_count > 0u;
    CHECK(found_free_block); /* the pool check has something to walk */
    CHECK_EQ(validate_into(text, sizeof text), MK_OK);
    CHECK_EQ(strlen(text), 0);
    CHECK_EQ(mk_validate(), MK_OK);
    mk_group_destroy(g);
    mk_free(blob);
    mk_shared_release(b);
    mk_shared_release(b);
    mk_shared_release(c);
    CHECK_EQ(mk_validate(), MK_OK);
}

static void test_damaged_shared_header(void)
{
    mk_shared_t *first = mk_shared_new(MK_INTENT_DOCUMENTS, 64, "first");
    mk_shared_t *s = mk_shared_new(MK_INTENT_DOCUMENTS, 64, "victim");
    CHECK(first != NULL && s != NULL);
    if (first == NULL || s == NULL)
        return;
    /* the header sits right before the data, padded to the alignment */
    size_t header_bytes = (sizeof(mk_shared_t) + MKG_ALIGNMENT - 1) / MKG_ALIGNMENT * MKG_ALIGNMENT;
    mk_shared_t *header = (mk_shared_t *)((unsigned char *)mk_shared_data(s) - header_bytes);
    CHECK(header == s);
    char text[1024];

    uint32_t magic = header->magic;
    header->magic ^= 0x5a5a5a5au;
    CHECK_EQ(mk_validate(), MK_ECORRUPT);
    CHECK_EQ(validate_into(text, sizeof text), MK_ECORRUPT);
    CHECK(strstr(text, "shared registry entry 1") != NULL);
    CHECK(strstr(text, "bad magic") != NULL);
    header->magic = magic;
    CHECK_EQ(mk_validate(), MK_OK);

    MK__STORE(header->refs, 0u);
    CHECK_EQ(validate_into(text, sizeof text), MK_ECORRUPT);
    CHECK(strstr(text, "reference count is 0") != NULL);
    MK__STORE(header->refs, 1u);

    mk_shared_t *prev = header->prev;
    header->prev = header;
    CHECK_EQ(validate_into(text, sizeof text), MK_ECORRUPT);
    CHECK(strstr(text, "back link") != NULL);
    header->prev = prev;

    mk_shared_t *next = first->next;
    first->next = NULL; /* the registry loses its tail */
    CHECK_EQ(validate_into(text, sizeof text), MK_ECORRUPT);
    CHECK(strstr(text, "holds 1 entries, live count says 2") != NULL);
    first->next = next;

    CHECK_EQ(validate_into(text, sizeof text), MK_OK);
    CHECK_EQ(strlen(text), 0);
    mk_shared_release(s);
    mk_shared_release(first);
}

static void test_damaged_pool_bitmap(void)
{
    churn_pool();
    unsigned cls = MKG_CLASS_COUNT;
    for (unsigned c = 0; c < MKG_CLASS_COUNT && cls == MKG_CLASS_COUNT; c++)
        if (mk__rt.classes[c].free_count > 0u)
            cls = c;
    CHECK(cls < MKG_CLASS_COUNT);
    if (cls == MKG_CLASS_COUNT)
        return;
    mk__class_state_t *cs = &mk__rt.classes[cls];
    char text[1024];

    cs->free_count++; /* one more free block counted than marked */
    CHECK_EQ(mk_validate(), MK_ECORRUPT);
    CHECK_EQ(validate_into(text, sizeof text), MK_ECORRUPT);
    CHECK(strstr(text, "pool class") != NULL);
    CHECK(strstr(text, "do not add up") != NULL);
    cs->free_count--;
    CHECK_EQ(mk_validate(), MK_OK);

    uint32_t w = 0;
    while (cs->bits[w] == 0u)
        w++;
    uint64_t summary = cs->summary[w / 64u];
    cs->summary[w / 64u] &= ~((uint64_t)1 << (w % 64u)); /* a word with free blocks, unsummarised */
    CHECK_EQ(validate_into(text, sizeof text), MK_ECORRUPT);
    CHECK(strstr(text, "summary disagrees") != NULL);
    cs->summary[w / 64u] = summary;
    CHECK_EQ(mk_validate(), MK_OK);
}

static void test_damaged_heap_accounting(void)
{
    void *p = mk_alloc(MK_INTENT_DOCUMENTS, 1000);
    CHECK(p != NULL);
    char text[1024];
    mk__rt.heap.used += 16;
    CHECK_EQ(validate_into(text, sizeof text), MK_ECORRUPT);
    CHECK(strstr(text, "heap") != NULL);
    mk__rt.heap.used -= 16;
    CHECK_EQ(mk_validate(), MK_OK);
    mk_free(p);
}

static void test_validate_needs_init(void)
{
    mk_shutdown();
    CHECK_EQ(mk_validate(), MK_ESTATE);
    CHECK_EQ(mk_validate_report(stderr), MK_ESTATE);
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
    CHECK_EQ(mk_validate(), MK_OK);
}


/* Issue 7 item 20: memkit's test builds run the runtime's internal
 * assertions at their expensive level; a failed one aborts with its
 * condition and place. A class count damaged behind memkit's back is caught
 * by the next refill (a cheap assertion). */
_Static_assert(MK_ASSERT_LEVEL == 2, "make test builds run every internal assertion");

static void fail_an_assertion(void)
{
    MK__ASSERT(mk__rt.initialised == false);
}

static void damage_a_class_then_refill(void)
{
    void *p = mk_alloc(MK_INTENT_OBJECTS, 16);
    unsigned cls = MKG_CLASS_COUNT, intent = 0;
    CHECK(mk__pool_find(p, &cls, &intent));
    mk__rt.classes[cls].free_count += 1000u; /* counted free, marked nowhere */
    for (int i = 0; i < 4096; i++)
        CHECK(mk_alloc(MK_INTENT_OBJECTS, 16) != NULL); /* a refill scans for them: asserts */
}

static void test_internal_assertions(void)
{
    EXPECT_DEATH(fail_an_assertion(), "internal assertion failed: mk__rt.initialised == false");
    EXPECT_DEATH(damage_a_class_then_refill(), "internal assertion failed");
}

int main(void)
{
    RUN(test_healthy_runtime_validates);
    RUN(test_damaged_shared_header);
    RUN(test_damaged_pool_bitmap);
    RUN(test_damaged_heap_accounting);
    RUN(test_validate_needs_init);
    RUN(test_internal_assertions);
    return check_finish("test_validate");
}
