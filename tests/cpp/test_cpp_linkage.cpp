/* test_cpp_linkage.cpp — one C++ translation unit that includes every public
 * header and calls into each part of the C API, linked against the C
 * runtime: a declaration without C linkage would not link (its mangled name
 * is in no object of the runtime). Also the C API's inline fast paths and
 * macros as C++ code sees them (tests/configs/cpp.toml). */
#include <memkit/async.h>
#include <memkit/gpu.h>
#include <memkit/memkit.hpp>
#if __has_include(<uv.h>)
#include <memkit/adapters/libuv.h>
#endif

#include "check.h"

#include <cstring>

struct particle {
    float x, y, vx, vy;
};

/* memkit.h: the inline fast paths and the typed helpers. */
static void test_fast_paths_from_cpp(void)
{
    void *p = mk_alloc(MK_INTENT_NODES, 40);
    CHECK(p != nullptr);
    CHECK(mk_usable_size(p) >= 40u);
    mk_free_sized(MK_INTENT_NODES, p, 40);
    particle *q = MK_NEW(MK_INTENT_WORDS, particle);
    CHECK(q != nullptr);
    mk_free(q);
    void *r = mk_realloc(MK_INTENT_GENERAL, nullptr, 300);
    CHECK(r != nullptr);
    mk_free(r);
    CHECK_EQ(check_intent_stats(MK_INTENT_NODES).current, 0u);
    CHECK(std::strcmp(mk_intent_name(MK_INTENT_ASSETS), "assets") == 0);
    CHECK(std::strstr(mk_status_str(MK_EBUDGET), "MK_EBUDGET") != nullptr);
}

/* lifecycle.h and containers.h, macros included. */
static void test_lifecycle_and_containers(void)
{
    mk_begin_frame();
    mk_frame_mark_t mark = mk_frame_mark();
    typedef MK_FRAME_VEC(particle) particle_vec;
    particle_vec v;
    CHECK(mk_frame_vec_init(&v, MK_INTENT_PER_FRAME));
    particle one = {1, 2, 3, 4};
    CHECK(mk_frame_vec_push(&v, one));
    CHECK_EQ(v.len, 1u);
    mk_frame_str_t s;
    CHECK(mk_frame_str_init(&s, MK_INTENT_PER_FRAME));
    CHECK(mk_frame_str_appendf(&s, "%d-%s", 42, "x"));
    CHECK(std::strcmp(mk_frame_str_cstr(&s), "42-x") == 0);
    mk_frame_map_t m;
    CHECK_EQ(mk_frame_map_init(&m, MK_INTENT_PER_FRAME, MK_FRAME_KEY_U64, sizeof(int), nullptr), MK_OK);
    int seven = 7;
    CHECK(mk_frame_map_put_u64(&m, 99, &seven) != nullptr);
    CHECK_EQ(*static_cast<int *>(mk_frame_map_get_u64(&m, 99)), 7);
    CHECK_EQ(mk_frame_rewind(&mark), MK_OK);
    mk_frame_mark_release(&mark);
    CHECK_EQ(check_intent_stats(MK_INTENT_PER_FRAME).current, 0u);
    mk_with_intent(MK_INTENT_WORDS)
    {
        mk_free(mk_alloc_current(16));
    }
    CHECK_EQ(check_intent_stats(MK_INTENT_WORDS).allocations, 1u);
    mk_end_frame();
}

/* handles.h, shared.h, report.h, async.h, gpu.h. */
static void test_other_headers(void)
{
    mk_handle_t h = mk_handle_alloc(MK_HANDLES_THINGS);
    CHECK(!mk_handle_is_null(h));
    CHECK(mk_handle_get(h) != nullptr);
    CHECK_EQ(mk_handle_free(h), MK_OK);
    CHECK(mk_handle_eq(MK_HANDLE_NULL, mk_handle_t{0u, 0u}));

    mk_shared_t *shared = mk_shared_new(MK_INTENT_GENERAL, 64, "cpp");
    CHECK(shared != nullptr);
    CHECK(std::strcmp(mk_shared_name(shared), "cpp") == 0);
    mk_shared_release(shared);
    CHECK_EQ(mk_free_deferred(nullptr, 1), MK_OK);
    CHECK_EQ(mk_validate(), MK_OK);

    CHECK(std::strcmp(mk_severity_name(MK_SEVERITY_ERROR), "error") == 0);
    CHECK(mk_async_now() > 0u);
    mk_gpu_stats_t gpu;
    CHECK_EQ(mk_gpu_stats_get(&gpu), MK_ESTATE); /* no GPU tier started */
    mk_stats_t stats;
    CHECK_EQ(mk_stats_get(&stats), MK_OK);
    CHECK_EQ(stats.intents[MK_INTENT_GENERAL].budget, 1024u * 1024u);
}

int main()
{
    CHECK_EQ(mkg_config.abi, MK_RUNTIME_ABI);
    RUN(test_fast_paths_from_cpp);
    RUN(test_lifecycle_and_containers);
    RUN(test_other_headers);
    return check_finish("test_cpp_linkage");
}
