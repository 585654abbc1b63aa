/* test_containers.c — the frame containers: vec, map, str, slice (config
 * tests/configs/basic.toml: scratch is a frame intent with a 128 KiB budget,
 * 64 KiB arenas, overflow = "heap"; blob is a heap intent). */
#include "check.h"

#include <stdint.h>

typedef MK_FRAME_VEC(int) int_vec;

static int is_aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

/* Ends the current frame and runs enough empty ones that its slot is reused. */
static void cycle_frames(void)
{
    mk_end_frame();
    for (unsigned f = 0; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        mk_end_frame();
    }
    mk_begin_frame();
}

/* ---- vec -------------------------------------------------------------------- */

static void test_vec_push_10k(void)
{
    mk_begin_frame();
    int_vec v;
    CHECK(mk_frame_vec_init(&v, MK_INTENT_SCRATCH));
    CHECK(v.data == NULL && v.len == 0 && v.cap == 0);
    CHECK(mk_frame_vec_at(&v, 0) == NULL);
    for (int i = 0; i < 10000; i++)
        CHECK(mk_frame_vec_push(&v, i * 3 + 1));
    CHECK_EQ(v.len, 10000u);
    CHECK(v.cap >= 10000u && v.cap < 20000u);
    CHECK(is_aligned(v.data, MKG_ALIGNMENT));
    int bad = 0;
    for (int i = 0; i < 10000; i++)
        bad += v.data[i] != i * 3 + 1;
    CHECK_EQ(bad, 0);
    CHECK(*mk_frame_vec_at(&v, 9999) == 9999 * 3 + 1);
    CHECK(mk_frame_vec_at(&v, 10000) == NULL);
    CHECK(mk_frame_vec_at(&v, -1) == NULL);
    int last = 0;
    CHECK(mk_frame_vec_pop(&v, &last));
    CHECK_EQ(last, 9999 * 3 + 1);
    CHECK_EQ(v.len, 9999u);
    int more[3] = {-1, -2, -3};
    CHECK(mk_frame_vec_append(&v, more, 3));
    CHECK_EQ(v.len, 10002u);
    CHECK(v.data[9998] == 9998 * 3 + 1 && v.data[9999] == -1 && v.data[10001] == -3);
    size_t cap = v.cap;
    mk_frame_vec_clear(&v);
    CHECK(v.len == 0u && v.cap == cap);
    CHECK(!mk_frame_vec_pop(&v, &last));
    CHECK_EQ(last, 9999 * 3 + 1); /* untouched by the failed pop */

    /* appending a vec's own elements, across a move: the source survives it */
    int_vec w;
    mk_frame_vec_init(&w, MK_INTENT_SCRATCH);
    for (int i = 0; i < 16; i++)
        CHECK(mk_frame_vec_push(&w, i));
    CHECK_EQ(w.cap, 16u); /* MK_FRAME_VEC_MIN_BYTES of ints: full */
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 1) != NULL); /* so that the growth moves */
    int *before = w.data;
    CHECK(mk_frame_vec_append(&w, w.data, w.len));
    CHECK(w.data != before && w.len == 32u);
    for (int i = 0; i < 32; i++)
        CHECK_EQ(w.data[i], i % 16);
    mk_end_frame();
}

/* Growth keeps the block while it is the arena's newest allocation, and copies
 * once something else was allocated after it. */
static void test_vec_grows_in_place_when_newest(void)
{
    mk_begin_frame();
    int_vec v;
    mk_frame_vec_init(&v, MK_INTENT_SCRATCH);
    CHECK(mk_frame_vec_push(&v, 0));
    int *first = v.data;
    size_t first_cap = v.cap;
    for (int i = 1; i < 1000; i++)
        CHECK(mk_frame_vec_push(&v, i));
    CHECK(v.cap > first_cap); /* it grew (several times) … */
    CHECK(v.data == first);   /* … without moving */
    CHECK(mk_frame_vec_reserve(&v, 4000));
    CHECK(v.data == first && v.cap >= 4000u);

    void *other = mk_alloc(MK_INTENT_SCRATCH, 16); /* now the vec is not the newest */
    CHECK(other != NULL);
    while (v.len < v.cap)
        CHECK(mk_frame_vec_push(&v, (int)v.len));
    CHECK(mk_frame_vec_push(&v, (int)v.len));
    CHECK(v.data != first);
    CHECK((unsigned char *)v.data >= (unsigned char *)other + 16); /* a new block above the other one */
    int bad = 0;
    for (size_t i = 0; i < v.len; i++)
        bad += v.data[i] != (int)i;
    CHECK_EQ(bad, 0);
    mk_end_frame();
}

/* A growth that does not fit in the arena spills to the heap (overflow =
 * "heap"), contents intact. */
static void test_vec_spills_to_heap_at_arena_end(void)
{
    mk_begin_frame();
    unsigned char *filler = mk_alloc(MK_INTENT_SCRATCH, 60 * 1024);
    CHECK(filler != NULL);
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u);
    int_vec v;
    mk_frame_vec_init(&v, MK_INTENT_SCRATCH);
    for (int i = 0; i < 4000; i++) /* 16 KB: more than the 4 KiB left in the arena */
        CHECK(mk_frame_vec_push(&v, i ^ 0x5a5a));
    CHECK(check_stats().tiers[MK_TIER_HEAP].used >= 4000u * sizeof(int));
    CHECK((unsigned char *)v.data < filler || (unsigned char *)v.data >= filler + 64 * 1024);
    int bad = 0;
    for (int i = 0; i < 4000; i++)
        bad += v.data[i] != (i ^ 0x5a5a);
    CHECK_EQ(bad, 0);
    cycle_frames();
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) != NULL); /* the thread resets lazily */
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u); /* the spilled blocks went with the frame */
    mk_end_frame();
}

/* When the budget runs out, push fails and the vec is exactly as before. */
static void test_vec_budget_exhaustion_keeps_vec_intact(void)
{
    mk_begin_frame();
    int_vec v;
    mk_frame_vec_init(&v, MK_INTENT_SCRATCH);
    int next = 0;
    while (mk_frame_vec_push(&v, next))
        next++;
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    CHECK_EQ(v.len, (size_t)next);
    CHECK(v.len > 8000u); /* the vec got a good share of the 128 KiB */
    CHECK(v.len * sizeof(int) <= 128u * 1024u);
    int *data = v.data;
    size_t len = v.len, cap = v.cap;
    int evaluated = 0;
    CHECK(!mk_frame_vec_push(&v, evaluated++)); /* still full; the value is not evaluated */
    CHECK_EQ(evaluated, 0);
    CHECK(!mk_frame_vec_reserve(&v, cap * 4));
    CHECK(v.data == data && v.len == len && v.cap == cap);
    int bad = 0;
    for (int i = 0; i < next; i++)
        bad += v.data[i] != i;
    CHECK_EQ(bad, 0);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_SCRATCH);
    CHECK(s.current <= s.budget);
    CHECK(s.failures >= 1u);
    mk_end_frame();
}

/* Near the budget, a doubling that does not fit falls back to the exact
 * capacity needed. */
static void test_vec_exact_growth_when_doubling_fails(void)
{
    mk_begin_frame();
    int_vec v;
    mk_frame_vec_init(&v, MK_INTENT_SCRATCH);
    CHECK(mk_frame_vec_reserve(&v, 4096)); /* 16 KiB, the arena's first block */
    for (int i = 0; i < 4096; i++)
        CHECK(mk_frame_vec_push(&v, i));
    CHECK_EQ(v.cap, 4096u);
    /* 100 KiB spilled to the heap (the arena has 48 KiB left): 116 KiB of the
     * 128 KiB budget used, so doubling (16 KiB more) cannot fit but 16 bytes
     * more can */
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 100 * 1024) != NULL);
    int *data = v.data;
    uint64_t failures = check_intent_stats(MK_INTENT_SCRATCH).failures;
    CHECK(mk_frame_vec_push(&v, 4096));
    CHECK_EQ(v.cap, 4097u);
    CHECK(v.data == data); /* still the arena's newest block: in place */
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).failures, failures + 1u); /* the doubling */
    CHECK(v.data[4096] == 4096 && v.data[4095] == 4095);
    mk_end_frame();
}

/* An element type aligned beyond MKG_ALIGNMENT keeps its alignment. */
static void test_vec_over_aligned_elements(void)
{
    typedef struct wide {
        _Alignas(MKG_ALIGNMENT * 4) float lane[4];
    } wide_t;
    MK_FRAME_VEC(wide_t) v;
    mk_frame_vec_init(&v, MK_INTENT_SCRATCH);
    for (int i = 0; i < 300; i++) {
        wide_t w = {{(float)i, 0, 0, (float)-i}};
        CHECK(mk_frame_vec_push(&v, w));
        CHECK(is_aligned(v.data, _Alignof(wide_t)));
    }
    int bad = 0;
    for (int i = 0; i < 300; i++)
        bad += v.data[i].lane[0] != (float)i || v.data[i].lane[3] != (float)-i;
    CHECK_EQ(bad, 0);
}

/* Every container refuses an intent that is not a frame intent. */
static void test_non_frame_intent_is_rejected(void)
{
    int_vec v;
    CHECK(!mk_frame_vec_init(&v, MK_INTENT_BLOB));
    CHECK(!mk_frame_vec_push(&v, 1));
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(v.len == 0 && v.data == NULL);
    CHECK(!mk_frame_vec_init(&v, (mk_intent_t)MKG_INTENT_COUNT));
    CHECK(!mk_frame_vec_reserve(&v, 4));

    mk_frame_str_t s;
    CHECK(!mk_frame_str_init(&s, MK_INTENT_ENTITY));
    CHECK(!mk_frame_str_append(&s, "x"));
    CHECK(!mk_frame_str_appendf(&s, "%d", 1));
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(s.len == 0 && strcmp(mk_frame_str_cstr(&s), "") == 0);
    CHECK(mk_frame_printf(MK_INTENT_BLOB, "%d", 7) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);

    int src[2] = {1, 2};
    mk_frame_slice_t sl = mk_frame_slice_copy(MK_INTENT_PARTICLE, src, 2, sizeof(int));
    CHECK(sl.ptr == NULL && sl.len == 0);
    CHECK_EQ(mk_last_error(), MK_EINVAL);

    mk_frame_map_t m;
    CHECK_EQ(mk_frame_map_init(&m, MK_INTENT_BLOB, MK_FRAME_KEY_U64, sizeof(int), NULL), MK_EINVAL);
    CHECK(mk_frame_map_put_u64(&m, 1, NULL) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(mk_frame_map_get_u64(&m, 1) == NULL);
    CHECK_EQ(mk_frame_map_init(&m, MK_INTENT_SCRATCH, (mk_frame_key_kind_t)7, 0, NULL), MK_EINVAL);
    CHECK(!mk_frame_map_reserve(&m, 10));
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOB).allocations, 0u); /* nothing went to the heap intent */
}

/* ---- map -------------------------------------------------------------------- */

static uint64_t spread(uint32_t i) { return (uint64_t)i * UINT64_C(0x9e3779b97f4a7c15) + 3u; }

static void test_map_5000_integer_keys(void)
{
    mk_begin_frame();
    mk_frame_map_t m;
    CHECK_EQ(mk_frame_map_init(&m, MK_INTENT_SCRATCH, MK_FRAME_KEY_U64, sizeof(uint32_t), NULL), MK_OK);
    /* 8192 slots * 13 bytes fit the 128 KiB budget once; grown from empty, the
     * abandoned smaller tables would not (see docs/containers.md) */
    CHECK(mk_frame_map_reserve(&m, 5000));
    CHECK_EQ(m.cap, 8192u);
    for (uint32_t i = 0; i < 5000; i++) {
        uint32_t *val = mk_frame_map_put_u64(&m, spread(i), &i);
        CHECK(val != NULL && *val == i);
    }
    CHECK_EQ(m.count, 5000u);
    CHECK_EQ(m.cap, 8192u);
    int bad = 0;
    for (uint32_t i = 0; i < 5000; i++) {
        uint32_t *val = mk_frame_map_get_u64(&m, spread(i));
        bad += val == NULL || *val != i;
        bad += mk_frame_map_get_u64(&m, spread(i + 5000)) != NULL;
    }
    CHECK_EQ(bad, 0);
    for (uint32_t i = 0; i < 5000; i += 2)
        CHECK(mk_frame_map_remove_u64(&m, spread(i)));
    CHECK(!mk_frame_map_remove_u64(&m, spread(0)));
    CHECK_EQ(m.count, 2500u);
    for (uint32_t i = 0; i < 5000; i++) {
        uint32_t *val = mk_frame_map_get_u64(&m, spread(i));
        bad += (i % 2 == 0) ? val != NULL : (val == NULL || *val != i);
    }
    CHECK_EQ(bad, 0);
    for (uint32_t i = 0; i < 5000; i += 2) {
        uint32_t twice = 2 * i;
        CHECK(mk_frame_map_put_u64(&m, spread(i), &twice) != NULL);
    }
    uint32_t replaced = 77;
    CHECK(*(uint32_t *)mk_frame_map_put_u64(&m, spread(1), &replaced) == 77u);
    CHECK_EQ(m.count, 5000u);
    for (uint32_t i = 0; i < 5000; i++) {
        uint32_t *val = mk_frame_map_get_u64(&m, spread(i));
        uint32_t want = i == 1 ? 77u : (i % 2 == 0 ? 2 * i : i);
        bad += val == NULL || *val != want;
    }
    CHECK_EQ(bad, 0);
    /* iteration visits every key once */
    size_t it = 0, seen = 0;
    uint64_t key_sum = 0, want_sum = 0;
    mk_frame_map_entry_t e;
    while (mk_frame_map_next(&m, &it, &e)) {
        seen++;
        key_sum += e.key;
        CHECK(e.str == NULL);
        bad += *(uint32_t *)e.value != *(uint32_t *)mk_frame_map_get_u64(&m, e.key);
    }
    for (uint32_t i = 0; i < 5000; i++)
        want_sum += spread(i);
    CHECK_EQ(seen, 5000u);
    CHECK_EQ(key_sum, want_sum);
    CHECK_EQ(bad, 0);
    CHECK(mk_frame_map_put_strn(&m, "k", 1, NULL) == NULL); /* the other key kind */
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    mk_end_frame();
}

/* Growing from empty rehashes; get-or-insert with a NULL value counts. */
static void test_map_grows_and_counts(void)
{
    mk_begin_frame();
    mk_frame_map_t m;
    CHECK_EQ(mk_frame_map_init(&m, MK_INTENT_SCRATCH, MK_FRAME_KEY_U64, sizeof(int), NULL), MK_OK);
    CHECK(m.cap == 0 && mk_frame_map_get_u64(&m, 3) == NULL && !mk_frame_map_remove_u64(&m, 3));
    for (int round = 0; round < 3; round++)
        for (uint64_t k = 0; k < 1000; k++) {
            int *n = mk_frame_map_put_u64(&m, k * 1024u, NULL); /* keys that share their low bits */
            CHECK(n != NULL);
            if (n != NULL)
                ++*n;
        }
    CHECK_EQ(m.count, 1000u);
    CHECK_EQ(m.cap, 2048u);
    int bad = 0;
    for (uint64_t k = 0; k < 1000; k++) {
        int *n = mk_frame_map_get_u64(&m, k * 1024u);
        bad += n == NULL || *n != 3;
    }
    CHECK_EQ(bad, 0);
    mk_end_frame();
}

static void test_map_string_keys(void)
{
    mk_begin_frame();
    mk_frame_map_t m;
    CHECK_EQ(mk_frame_map_init(&m, MK_INTENT_SCRATCH, MK_FRAME_KEY_STR, sizeof(int), NULL), MK_OK);
    char buf[32];
    for (int i = 0; i < 500; i++) {
        snprintf(buf, sizeof buf, "entity/%d", i);
        CHECK(mk_frame_map_put_str(&m, buf, &i) != NULL);
    }
    memset(buf, 'x', sizeof buf); /* the map holds copies */
    CHECK_EQ(m.count, 500u);
    int bad = 0;
    for (int i = 0; i < 500; i++) {
        snprintf(buf, sizeof buf, "entity/%d", i);
        int *val = mk_frame_map_get_str(&m, buf);
        bad += val == NULL || *val != i;
    }
    CHECK_EQ(bad, 0);
    CHECK(mk_frame_map_get_str(&m, "entity/") == NULL);
    CHECK(mk_frame_map_get_str(&m, "entity/5000") == NULL);
    CHECK(*(int *)mk_frame_map_get_strn(&m, "entity/12", 8) == 1); /* a length picks a prefix */
    CHECK(*(int *)mk_frame_map_get_strn(&m, "entity/12", 9) == 12);
    CHECK(mk_frame_map_get_strn(&m, "entity/1x", 9) == NULL);
    CHECK(mk_frame_map_remove_str(&m, "entity/7"));
    CHECK(!mk_frame_map_remove_str(&m, "entity/7"));
    CHECK(mk_frame_map_get_str(&m, "entity/7") == NULL);
    CHECK(*(int *)mk_frame_map_get_str(&m, "entity/70") == 70);
    int zero = 0;
    CHECK(mk_frame_map_put_strn(&m, "", 0, &zero) != NULL); /* the empty key */
    CHECK(mk_frame_map_get_str(&m, "") != NULL);
    CHECK(mk_frame_map_put_u64(&m, 1, NULL) == NULL);
    CHECK(mk_frame_map_get_u64(&m, 1) == NULL);
    size_t it = 0, seen = 0;
    mk_frame_map_entry_t e;
    while (mk_frame_map_next(&m, &it, &e)) {
        seen++;
        CHECK(e.str != NULL && strlen(e.str) == e.len);
        bad += mk_frame_map_get_strn(&m, e.str, e.len) != e.value;
    }
    CHECK_EQ(seen, 500u);
    CHECK_EQ(bad, 0);
    mk_end_frame();
}

static unsigned bad_hash_calls;
static uint64_t bad_hash(const void *key, size_t len, void *user)
{
    (void)key;
    (void)len;
    CHECK(user == &bad_hash_calls);
    bad_hash_calls++;
    return 42; /* every key collides */
}

/* A case-insensitive hash and equality: "Tree" and "TREE" are one key. */
static uint64_t fold_hash(const void *key, size_t len, void *user)
{
    (void)user;
    char folded[64];
    CHECK(len <= sizeof folded);
    for (size_t i = 0; i < len && i < sizeof folded; i++) {
        char c = ((const char *)key)[i];
        folded[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
    }
    return mk_frame_hash_bytes(folded, len < sizeof folded ? len : sizeof folded);
}
static bool fold_equal(const void *a, size_t a_len, const void *b, size_t b_len, void *user)
{
    (void)user;
    if (a_len != b_len)
        return false;
    for (size_t i = 0; i < a_len; i++) {
        char x = ((const char *)a)[i], y = ((const char *)b)[i];
        if ((x | 0x20) != (y | 0x20))
            return false;
    }
    return true;
}

static void test_map_caller_hash_and_collisions(void)
{
    mk_begin_frame();
    mk_frame_map_hooks_t hooks = {bad_hash, NULL, &bad_hash_calls};
    mk_frame_map_t m;
    CHECK_EQ(mk_frame_map_init(&m, MK_INTENT_SCRATCH, MK_FRAME_KEY_U64, sizeof(uint64_t), &hooks), MK_OK);
    bad_hash_calls = 0;
    for (uint64_t k = 0; k < 300; k++) {
        uint64_t v = k * k;
        CHECK(mk_frame_map_put_u64(&m, k, &v) != NULL);
    }
    CHECK(bad_hash_calls >= 300u);
    int bad = 0;
    for (uint64_t k = 0; k < 300; k++) {
        uint64_t *v = mk_frame_map_get_u64(&m, k);
        bad += v == NULL || *v != k * k;
    }
    CHECK(mk_frame_map_get_u64(&m, 300) == NULL);
    for (uint64_t k = 0; k < 300; k += 3) /* holes in the middle of the one cluster */
        CHECK(mk_frame_map_remove_u64(&m, k));
    CHECK_EQ(m.count, 200u);
    for (uint64_t k = 0; k < 300; k++) {
        uint64_t *v = mk_frame_map_get_u64(&m, k);
        bad += k % 3 == 0 ? v != NULL : (v == NULL || *v != k * k);
    }
    for (uint64_t k = 0; k < 300; k += 3) {
        uint64_t v = k + 1;
        CHECK(mk_frame_map_put_u64(&m, k, &v) != NULL);
    }
    CHECK_EQ(m.count, 300u);
    for (uint64_t k = 0; k < 300; k++) {
        uint64_t *v = mk_frame_map_get_u64(&m, k);
        bad += v == NULL || *v != (k % 3 == 0 ? k + 1 : k * k);
    }
    CHECK_EQ(bad, 0);

    mk_frame_map_hooks_t fold = {fold_hash, fold_equal, NULL};
    mk_frame_map_t words;
    CHECK_EQ(mk_frame_map_init(&words, MK_INTENT_SCRATCH, MK_FRAME_KEY_STR, 0, &fold), MK_OK);
    CHECK(mk_frame_map_put_str(&words, "Tree", NULL) != NULL);
    CHECK(mk_frame_map_put_str(&words, "TREE", NULL) != NULL);
    CHECK(mk_frame_map_put_str(&words, "tree", NULL) != NULL);
    CHECK(mk_frame_map_put_str(&words, "trees", NULL) != NULL);
    CHECK_EQ(words.count, 2u);
    CHECK(mk_frame_map_get_str(&words, "tReE") != NULL);
    size_t it = 0;
    mk_frame_map_entry_t e;
    bool first_spelling_kept = false;
    while (mk_frame_map_next(&words, &it, &e))
        first_spelling_kept |= strcmp(e.str, "Tree") == 0;
    CHECK(first_spelling_kept);
    mk_end_frame();
}

/* ---- str --------------------------------------------------------------------- */

static void test_str_appendf_builds_long_string(void)
{
    mk_begin_frame();
    mk_frame_str_t s;
    CHECK(mk_frame_str_init(&s, MK_INTENT_SCRATCH));
    CHECK(s.data == NULL && strcmp(mk_frame_str_cstr(&s), "") == 0);
    char *expect = malloc(64 * 1024);
    CHECK(expect != NULL);
    size_t at = 0;
    for (int i = 0; i < 3000; i++) {
        CHECK(mk_frame_str_appendf(&s, "%d:%s,", i, i % 2 ? "odd" : "even"));
        at += (size_t)snprintf(expect + at, 64 * 1024 - at, "%d:%s,", i, i % 2 ? "odd" : "even");
    }
    CHECK_EQ(s.len, at);
    CHECK_EQ(strlen(s.data), s.len);
    CHECK(strcmp(s.data, expect) == 0);
    CHECK(s.cap > s.len);
    free(expect);

    /* appending part of itself */
    mk_frame_str_clear(&s);
    CHECK(s.len == 0 && s.data[0] == '\0');
    CHECK(mk_frame_str_append(&s, "abc"));
    CHECK(mk_frame_str_appendn(&s, s.data, s.len));
    CHECK(mk_frame_str_appendn(&s, "xyz", 2));
    CHECK(strcmp(mk_frame_str_cstr(&s), "abcabcxy") == 0);
    CHECK(mk_frame_str_appendf(&s, "[%8.3f|%-4s|%x]", 3.14159, "ab", 255u));
    CHECK(strcmp(s.data, "abcabcxy[   3.142|ab  |ff]") == 0);
    mk_end_frame();
}

static void test_printf(void)
{
    mk_begin_frame();
    char *p = mk_frame_printf(MK_INTENT_SCRATCH, "%s-%05d-%.2f-%c", "abc", 42, 2.71828, 'z');
    CHECK(p != NULL && strcmp(p, "abc-00042-2.72-z") == 0);
    CHECK(is_aligned(p, MKG_ALIGNMENT));
    char *empty = mk_frame_printf(MK_INTENT_SCRATCH, "%s", "");
    CHECK(empty != NULL && empty[0] == '\0' && empty != p);
    char *wide = mk_frame_printf(MK_INTENT_SCRATCH, "%5000d", 7);
    CHECK(wide != NULL && strlen(wide) == 5000u && wide[4999] == '7' && wide[0] == ' ');
    CHECK(strcmp(p, "abc-00042-2.72-z") == 0); /* earlier strings untouched */
    mk_end_frame();
}

/* Output beyond the budget fails whole: no truncated string. */
static void test_str_budget_failure_keeps_string(void)
{
    mk_begin_frame();
    mk_frame_str_t s;
    mk_frame_str_init(&s, MK_INTENT_SCRATCH);
    CHECK(mk_frame_str_append(&s, "head"));
    char *data = s.data;
    size_t cap = s.cap;
    CHECK(!mk_frame_str_appendf(&s, "%200000d", 1)); /* 200 KB > the 128 KiB budget */
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    CHECK(s.data == data && s.cap == cap && s.len == 4u);
    CHECK(strcmp(s.data, "head") == 0);
    CHECK(mk_frame_printf(MK_INTENT_SCRATCH, "%200000d", 1) == NULL);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    CHECK(mk_frame_str_appendf(&s, "%s", "-tail")); /* still usable */
    CHECK(strcmp(s.data, "head-tail") == 0);
    mk_end_frame();
}

/* ---- slice ------------------------------------------------------------------- */

static void test_slice_copy_and_bounds(void)
{
    mk_begin_frame();
    int src[10];
    for (int i = 0; i < 10; i++)
        src[i] = i * 10;
    mk_frame_slice_t view = MK_FRAME_SLICE_OF(src);
    CHECK(view.ptr == src && view.len == 10u && view.elem_size == sizeof(int));
    mk_frame_slice_t copy = mk_frame_slice_copy(MK_INTENT_SCRATCH, src, 10, sizeof(int));
    CHECK(copy.ptr != NULL && copy.ptr != (void *)src && copy.len == 10u);
    CHECK(is_aligned(copy.ptr, MKG_ALIGNMENT));
    CHECK(mk_frame_slice_eq(copy, view));
    src[3] = -1; /* the copy does not follow its source */
    CHECK(!mk_frame_slice_eq(copy, view));
    CHECK_EQ(*MK_FRAME_SLICE_AT(copy, int, 3), 30);
    CHECK(MK_FRAME_SLICE_AT(copy, int, 10) == NULL);

    mk_frame_slice_t mid = mk_frame_slice_sub(copy, 2, 5);
    CHECK(mid.len == 3u && *MK_FRAME_SLICE_AT(mid, int, 0) == 20 && *MK_FRAME_SLICE_AT(mid, int, 2) == 40);
    CHECK(MK_FRAME_SLICE_AT(mid, int, 3) == NULL); /* bounded by the subslice, not the parent */
    mk_frame_slice_t tail = mk_frame_slice_sub(copy, 10, 10);
    CHECK(tail.ptr != NULL && tail.len == 0u); /* a valid empty view */
    mk_frame_slice_t out = mk_frame_slice_sub(copy, 4, 11);
    CHECK(out.ptr == NULL && out.len == 0u && out.elem_size == sizeof(int));
    out = mk_frame_slice_sub(copy, 6, 5);
    CHECK(out.ptr == NULL && out.len == 0u);
    out = mk_frame_slice_sub(mid, 0, 4);
    CHECK(out.ptr == NULL);
    CHECK(mk_frame_slice_eq(tail, out)); /* empty equals empty */
    mk_frame_slice_t other_size = mk_frame_slice_make(copy.ptr, 20, sizeof(short));
    CHECK(!mk_frame_slice_eq(copy, other_size));

    mk_frame_slice_t dup = mk_frame_slice_dup(MK_INTENT_SCRATCH, mid);
    CHECK(dup.ptr != mid.ptr && mk_frame_slice_eq(dup, mid));
    mk_frame_slice_t none = mk_frame_slice_copy(MK_INTENT_SCRATCH, NULL, 0, sizeof(int));
    CHECK(none.ptr != NULL && none.len == 0u);
    none = mk_frame_slice_copy(MK_INTENT_SCRATCH, src, SIZE_MAX / 2, sizeof(int));
    CHECK(none.ptr == NULL && mk_last_error() == MK_EINVAL);

    int_vec v;
    mk_frame_vec_init(&v, MK_INTENT_SCRATCH);
    for (int i = 0; i < 4; i++)
        mk_frame_vec_push(&v, i * 10);
    CHECK(mk_frame_slice_eq(mk_frame_vec_slice(&v), mk_frame_slice_sub(copy, 0, 4)));
    mk_end_frame();
}

/* ---- lifetime ------------------------------------------------------------------ */

/* Containers live through frames_in_flight frames and are gone when their
 * slot is reused: a new allocation gets their old address. */
static void test_containers_gone_after_frames_in_flight(void)
{
    mk_begin_frame();
    int_vec v;
    mk_frame_vec_init(&v, MK_INTENT_SCRATCH);
    for (int i = 0; i < 100; i++)
        CHECK(mk_frame_vec_push(&v, i));
    int *old = v.data;
    mk_frame_map_t m;
    mk_frame_map_init(&m, MK_INTENT_SCRATCH, MK_FRAME_KEY_STR, 0, NULL);
    CHECK(mk_frame_map_put_str(&m, "alive", NULL) != NULL);
    char *text = mk_frame_printf(MK_INTENT_SCRATCH, "frame %llu", (unsigned long long)mk_frame_index());
    CHECK(text != NULL);
    mk_end_frame();
    for (unsigned f = 1; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 4096) != NULL); /* other frames' allocations */
        int bad = 0;
        for (int i = 0; i < 100; i++)
            bad += v.data[i] != i;
        CHECK_EQ(bad, 0);
        CHECK(mk_frame_map_get_str(&m, "alive") != NULL);
        CHECK(strcmp(text, "frame 1") == 0);
        mk_end_frame();
    }
    mk_begin_frame();
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) == old); /* the slot was reset */
    /* only the newer frames' bytes are left: the containers' went back to the budget */
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).current, 16u + 4096u * (MKG_FRAMES_IN_FLIGHT - 1u));
    mk_end_frame();
}

int main(void)
{
    RUN(test_vec_push_10k);
    RUN(test_vec_grows_in_place_when_newest);
    RUN(test_vec_spills_to_heap_at_arena_end);
    RUN(test_vec_budget_exhaustion_keeps_vec_intact);
    RUN(test_vec_exact_growth_when_doubling_fails);
    RUN(test_vec_over_aligned_elements);
    RUN(test_non_frame_intent_is_rejected);
    RUN(test_map_5000_integer_keys);
    RUN(test_map_grows_and_counts);
    RUN(test_map_string_keys);
    RUN(test_map_caller_hash_and_collisions);
    RUN(test_str_appendf_builds_long_string);
    RUN(test_printf);
    RUN(test_str_budget_failure_keeps_string);
    RUN(test_slice_copy_and_bounds);
    RUN(test_containers_gone_after_frames_in_flight);
    return check_finish("containers");
}
