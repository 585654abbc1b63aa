/* test_handles.c — generational handle tables: allocation, stale handles,
 * full tables, tables kept apart, pinning, defragmentation with contents
 * following their handles, slot retirement, and threads allocating and
 * freeing at once (run under TSan too).
 * Config: tests/configs/longlived.toml (entities: 256 × 64 B, meshes: 32 × 1 KiB). */
#include "check.h"

#include <pthread.h>

#include "internal.h" /* white box: the generated table layouts */

/* mk__handles_validate's findings, on stderr */
static void stderr_sink(const char *line, void *user)
{
    (void)user;
    fprintf(stderr, "%s\n", line);
}
static const mk__out_t to_stderr = {stderr_sink, NULL};

#define ENTITIES_CAPACITY 256u
#define ENTITY_BYTES 64u
#define MESHES_CAPACITY 32u

static const mk_handle_table_layout_t *layout_of(mk_handle_table_id_t table)
{
    return &mkg_config.handle_tables[table];
}

/* Block index of a live handle, from its address. */
static size_t block_index(mk_handle_t h)
{
    const mk_handle_table_layout_t *layout = layout_of((mk_handle_table_id_t)(h.index >> 24));
    return (size_t)((unsigned char *)mk_handle_get(h) - layout->blocks) / layout->block_size;
}

static int zeroed(const void *p, size_t size)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < size; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

static void test_alloc_get_free(void)
{
    mk_handle_t h = mk_handle_alloc(MK_HANDLES_ENTITIES);
    CHECK(!mk_handle_is_null(h));
    unsigned char *p = mk_handle_get(h);
    CHECK(p != NULL);
    CHECK((uintptr_t)p % MKG_ALIGNMENT == 0u);
    CHECK(zeroed(p, ENTITY_BYTES));
    CHECK_EQ(mk_handles_live(MK_HANDLES_ENTITIES), 1u);
    check_fill(p, ENTITY_BYTES, 1);
    CHECK(mk_handle_get(h) == p);
    CHECK_EQ(mk_handle_free(h), MK_OK);
    CHECK_EQ(mk_handles_live(MK_HANDLES_ENTITIES), 0u);
    CHECK(mk_handle_get(MK_HANDLE_NULL) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    /* a reused block comes back zeroed */
    mk_handle_t again = mk_handle_alloc(MK_HANDLES_ENTITIES);
    CHECK(zeroed(mk_handle_get(again), ENTITY_BYTES));
    CHECK_EQ(mk_handle_free(again), MK_OK);
    CHECK(mk__handles_validate(&to_stderr));
}

static void test_stale_handles(void)
{
    mk_handle_t old = mk_handle_alloc(MK_HANDLES_ENTITIES);
    CHECK_EQ(mk_handle_free(old), MK_OK);
    CHECK(mk_handle_get(old) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK_EQ(mk_handle_free(old), MK_EINVAL); /* double free detected */
    CHECK(mk_handle_pin(old) == NULL);
    CHECK_EQ(mk_handle_unpin(old), MK_EINVAL);
    /* the slot is reused with a new generation; the old handle stays stale */
    mk_handle_t fresh = mk_handle_alloc(MK_HANDLES_ENTITIES);
    CHECK_EQ(fresh.index, old.index);
    CHECK(fresh.generation != old.generation);
    CHECK(mk_handle_get(fresh) != NULL);
    CHECK(mk_handle_get(old) == NULL);
    CHECK_EQ(mk_handle_free(old), MK_EINVAL);
    CHECK(mk_handle_get(fresh) != NULL); /* the failed free did not touch it */
    CHECK_EQ(mk_handles_live(MK_HANDLES_ENTITIES), 1u);
    /* made-up handles: generation 0, a slot or table out of range */
    mk_handle_t forged = { fresh.index, 0u };
    CHECK(mk_handle_get(forged) == NULL);
    mk_handle_t beyond = { ENTITIES_CAPACITY, 1u };
    CHECK(mk_handle_get(beyond) == NULL);
    mk_handle_t no_table = { (uint32_t)MKG_HANDLE_TABLE_COUNT << 24, 1u };
    CHECK(mk_handle_get(no_table) == NULL);
    CHECK_EQ(mk_handle_free(fresh), MK_OK);
}

/* Handles from before mk_shutdown are stale after the next mk_init. */
static mk_handle_t survivor;
static void test_stale_across_init_part1(void)
{
    survivor = mk_handle_alloc(MK_HANDLES_MESHES);
    CHECK(mk_handle_get(survivor) != NULL);
}
static void test_stale_across_init_part2(void)
{
    CHECK(mk_handle_get(survivor) == NULL);
    CHECK_EQ(mk_handles_live(MK_HANDLES_MESHES), 0u);
    mk_handle_t h = mk_handle_alloc(MK_HANDLES_MESHES);
    CHECK_EQ(h.index, survivor.index);
    CHECK(h.generation != survivor.generation);
}

static void test_table_full(void)
{
    mk_handle_t h[MESHES_CAPACITY];
    for (unsigned i = 0; i < MESHES_CAPACITY; i++) {
        h[i] = mk_handle_alloc(MK_HANDLES_MESHES);
        CHECK(!mk_handle_is_null(h[i]));
    }
    mk_handle_t extra = mk_handle_alloc(MK_HANDLES_MESHES);
    CHECK(mk_handle_is_null(extra));
    CHECK_EQ(mk_last_error(), MK_EFULL);
    CHECK_EQ(mk_handles_live(MK_HANDLES_MESHES), MESHES_CAPACITY);
    /* the other table is unaffected */
    CHECK(!mk_handle_is_null(mk_handle_alloc(MK_HANDLES_ENTITIES)));
    CHECK_EQ(mk_handle_free(h[5]), MK_OK);
    CHECK(!mk_handle_is_null(mk_handle_alloc(MK_HANDLES_MESHES)));
    CHECK(mk_handle_is_null(mk_handle_alloc(MK_HANDLES_MESHES)));
    mk_handle_t bad = mk_handle_alloc((mk_handle_table_id_t)MKG_HANDLE_TABLE_COUNT);
    CHECK(mk_handle_is_null(bad));
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(mk__handles_validate(&to_stderr));
}

/* The index carries the table: the same slot number in two tables names two
 * blocks, and freeing one leaves the other. */
static void test_tables_kept_apart(void)
{
    mk_handle_t e = mk_handle_alloc(MK_HANDLES_ENTITIES);
    mk_handle_t m = mk_handle_alloc(MK_HANDLES_MESHES);
    CHECK_EQ(e.index & 0xFFFFFFu, m.index & 0xFFFFFFu);
    CHECK(e.index != m.index);
    unsigned char *pe = mk_handle_get(e), *pm = mk_handle_get(m);
    CHECK(pe >= layout_of(MK_HANDLES_ENTITIES)->blocks &&
          pe < layout_of(MK_HANDLES_ENTITIES)->blocks + ENTITIES_CAPACITY * ENTITY_BYTES);
    CHECK(pm >= layout_of(MK_HANDLES_MESHES)->blocks &&
          pm < layout_of(MK_HANDLES_MESHES)->blocks + MESHES_CAPACITY * 1024u);
    CHECK_EQ(mk_handle_free(m), MK_OK);
    CHECK(mk_handle_get(e) == pe);
    CHECK_EQ(mk_handle_free(m), MK_EINVAL);
    CHECK_EQ(mk_handles_live(MK_HANDLES_ENTITIES), 1u);
    CHECK_EQ(mk_handles_live(MK_HANDLES_MESHES), 0u);
}

static void test_pin(void)
{
    mk_handle_t h = mk_handle_alloc(MK_HANDLES_ENTITIES);
    void *p = mk_handle_pin(h);
    CHECK(p != NULL && p == mk_handle_get(h));
    CHECK(mk_handle_pin(h) == p); /* pins nest */
    CHECK_EQ(mk_handle_free(h), MK_ESTATE);
    CHECK(mk_handle_get(h) == p);
    CHECK_EQ(mk_handle_unpin(h), MK_OK);
    CHECK_EQ(mk_handle_free(h), MK_ESTATE); /* still pinned once */
    CHECK_EQ(mk_handle_unpin(h), MK_OK);
    CHECK_EQ(mk_handle_unpin(h), MK_ESTATE);
    CHECK_EQ(mk_handle_free(h), MK_OK);
}

/* 200 blocks with patterns; every other one freed; defragment: the 100 left
 * occupy blocks 0..99 (lowest first), exactly the ones above 99 moved, and
 * each handle still reads its own pattern. */
static void test_defragment_moves_contents(void)
{
    enum { N = 200 };
    mk_handle_t h[N];
    for (unsigned i = 0; i < N; i++) {
        h[i] = mk_handle_alloc(MK_HANDLES_ENTITIES);
        CHECK_EQ(block_index(h[i]), i);
        check_fill(mk_handle_get(h[i]), ENTITY_BYTES, i);
    }
    for (unsigned i = 0; i < N; i += 2)
        CHECK_EQ(mk_handle_free(h[i]), MK_OK);
    size_t expected_moves = 0; /* live blocks at index >= N/2 */
    for (unsigned i = 1; i < N; i += 2)
        expected_moves += i >= N / 2;
    CHECK_EQ(mk_handles_defragment(MK_HANDLES_ENTITIES), expected_moves);
    bool used[ENTITIES_CAPACITY] = { false };
    for (unsigned i = 1; i < N; i += 2) {
        CHECK(check_intact(mk_handle_get(h[i]), ENTITY_BYTES, i));
        size_t b = block_index(h[i]);
        CHECK(b < N / 2);
        CHECK(!used[b]);
        used[b] = true;
    }
    for (unsigned i = 0; i < N; i += 2)
        CHECK(mk_handle_get(h[i]) == NULL);
    CHECK(mk__handles_validate(&to_stderr));
    CHECK_EQ(mk_handles_defragment(MK_HANDLES_ENTITIES), 0u); /* already compact */
    /* new blocks come from the lowest free index */
    mk_handle_t next = mk_handle_alloc(MK_HANDLES_ENTITIES);
    CHECK_EQ(block_index(next), N / 2);
    CHECK(zeroed(mk_handle_get(next), ENTITY_BYTES));
}

/* A pinned block keeps its address; the others pack around it. */
static void test_pin_prevents_move(void)
{
    enum { N = 10 };
    mk_handle_t h[N];
    for (unsigned i = 0; i < N; i++) {
        h[i] = mk_handle_alloc(MK_HANDLES_MESHES);
        check_fill(mk_handle_get(h[i]), 1024, i);
    }
    for (unsigned i = 0; i < 5; i++)
        CHECK_EQ(mk_handle_free(h[i]), MK_OK); /* blocks 0..4 free */
    unsigned char *pinned = mk_handle_pin(h[9]);
    CHECK(pinned != NULL);
    /* movable: 5..8; 9 stays; 5,6,7,8 move down to 0,1,2,3 */
    CHECK_EQ(mk_handles_defragment(MK_HANDLES_MESHES), 4u);
    CHECK(mk_handle_get(h[9]) == pinned);
    CHECK(check_intact(pinned, 1024, 9));
    for (unsigned i = 5; i < 9; i++) {
        CHECK(block_index(h[i]) < 4u);
        CHECK(check_intact(mk_handle_get(h[i]), 1024, i));
    }
    CHECK_EQ(block_index(h[9]), 9u);
    CHECK_EQ(mk_handle_unpin(h[9]), MK_OK);
    /* unpinned, it moves to the lowest free block */
    CHECK_EQ(mk_handles_defragment(MK_HANDLES_MESHES), 1u);
    CHECK_EQ(block_index(h[9]), 4u);
    CHECK(check_intact(mk_handle_get(h[9]), 1024, 9));
    CHECK(mk__handles_validate(&to_stderr));
}

/* A slot whose generation would wrap is retired: its last handle stays stale
 * and the slot is never handed out again. */
static void test_generation_retires(void)
{
    mk_handle_t h = mk_handle_alloc(MK_HANDLES_MESHES);
    uint32_t slot = h.index & 0xFFFFFFu;
    CHECK_EQ(mk_handle_free(h), MK_OK);
    /* white box: age the (free) slot to its last generation */
    layout_of(MK_HANDLES_MESHES)->slots[slot].generation = UINT32_MAX - 1u;
    mk_handle_t last = mk_handle_alloc(MK_HANDLES_MESHES);
    CHECK_EQ(last.index, h.index);
    CHECK_EQ(last.generation, UINT32_MAX - 1u);
    CHECK_EQ(mk_handle_free(last), MK_OK);
    CHECK(mk_handle_get(last) == NULL);
    for (unsigned i = 0; i < MESHES_CAPACITY - 1u; i++) {
        mk_handle_t other = mk_handle_alloc(MK_HANDLES_MESHES);
        CHECK(!mk_handle_is_null(other));
        CHECK(other.index != last.index);
    }
    CHECK(mk_handle_is_null(mk_handle_alloc(MK_HANDLES_MESHES))); /* one slot short for good */
    CHECK(mk__handles_validate(&to_stderr));
}

/* mk_validate's check sees a broken reverse map. */
static void test_validate_detects_damage(void)
{
    mk_handle_t a = mk_handle_alloc(MK_HANDLES_ENTITIES);
    mk_handle_t b = mk_handle_alloc(MK_HANDLES_ENTITIES);
    CHECK(mk__handles_validate(NULL));
    uint32_t *owner = layout_of(MK_HANDLES_ENTITIES)->block_owner;
    uint32_t saved = owner[0];
    owner[0] = owner[1];
    FILE *sink = tmpfile();
    const mk__out_t to_sink = {mk__file_sink, sink};
    CHECK(!mk__handles_validate(&to_sink));
    if (sink != NULL)
        fclose(sink);
    owner[0] = saved;
    CHECK(mk__handles_validate(NULL));
    CHECK_EQ(mk_handle_free(a), MK_OK);
    CHECK_EQ(mk_handle_free(b), MK_OK);
}

/* Four threads allocate, check and free their own handles while one thread
 * defragments: handles stay valid, contents follow, nothing is lost. */
enum { WORKERS = 3, ROUNDS = 2000, HELD = 40 };
static atomic_int workers_done;
static atomic_int worker_bad;

static void *worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    mk_handle_t held[HELD];
    for (unsigned i = 0; i < HELD; i++)
        held[i] = MK_HANDLE_NULL;
    for (unsigned r = 0; r < ROUNDS; r++) {
        unsigned k = (r * 7u + seed) % HELD;
        if (!mk_handle_is_null(held[k])) {
            /* pinned, the block cannot move while we read it */
            const unsigned char *p = mk_handle_pin(held[k]);
            if (p == NULL || !check_intact(p, ENTITY_BYTES, seed * 100u + k))
                atomic_fetch_add(&worker_bad, 1);
            if (mk_handle_unpin(held[k]) != MK_OK || mk_handle_free(held[k]) != MK_OK)
                atomic_fetch_add(&worker_bad, 1);
            if (mk_handle_get(held[k]) != NULL)
                atomic_fetch_add(&worker_bad, 1);
        }
        held[k] = mk_handle_alloc(MK_HANDLES_ENTITIES);
        unsigned char *p = mk_handle_pin(held[k]);
        if (p == NULL)
            atomic_fetch_add(&worker_bad, 1);
        else
            check_fill(p, ENTITY_BYTES, seed * 100u + k);
        mk_handle_unpin(held[k]);
    }
    for (unsigned i = 0; i < HELD; i++)
        if (mk_handle_free(held[i]) != MK_OK)
            atomic_fetch_add(&worker_bad, 1);
    atomic_fetch_add(&workers_done, 1);
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[WORKERS];
    atomic_store(&workers_done, 0);
    atomic_store(&worker_bad, 0);
    for (unsigned i = 0; i < WORKERS; i++)
        CHECK(pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i + 1u)) == 0);
    size_t moved = 0;
    while (atomic_load(&workers_done) < WORKERS)
        moved += mk_handles_defragment(MK_HANDLES_ENTITIES);
    for (unsigned i = 0; i < WORKERS; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    (void)moved; /* how much moved depends on the interleaving */
    CHECK_EQ(atomic_load(&worker_bad), 0);
    CHECK_EQ(mk_handles_live(MK_HANDLES_ENTITIES), 0u);
    CHECK(mk__handles_validate(&to_stderr));
}

int main(void)
{
    RUN(test_alloc_get_free);
    RUN(test_stale_handles);
    RUN(test_stale_across_init_part1);
    RUN(test_stale_across_init_part2);
    RUN(test_table_full);
    RUN(test_tables_kept_apart);
    RUN(test_pin);
    RUN(test_defragment_moves_contents);
    RUN(test_pin_prevents_move);
    RUN(test_generation_retires);
    RUN(test_validate_detects_damage);
    RUN(test_threads);
    /* before mk_init: refused */
    CHECK(mk_handle_is_null(mk_handle_alloc(MK_HANDLES_ENTITIES)));
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    return check_finish("test_handles");
}
