/* headers_all.cpp — compiled by check_headers.sh against every golden
 * case's generated memkit_config.h, as C++17 and C++20 with g++ and
 * clang++, to an object at -O2 (some warnings need the optimiser): every
 * public header, memkit.hpp's templates instantiated (its classes whole),
 * and the inline fast paths called, whatever the config (intent 0 exists
 * in all of them). */
#include <memkit/async.h>
#include <memkit/gpu.h>
#include <memkit/memkit.hpp>

namespace {
constexpr mk_intent_t first_intent = static_cast<mk_intent_t>(0);
}

template class memkit::frame_vector<int>;
template class memkit::allocator<long, first_intent>;

struct headers_all_particle {
    float x, y;
};

void headers_all_use(mk_task_t *task, void *block);
void headers_all_use(mk_task_t *task, void *block)
{
    memkit::frame_scope frame;
    memkit::checkpoint mark;
    memkit::phase_scope phase("headers_all");
    memkit::intent_scope scope(first_intent);
    std::pmr::vector<int> numbers(memkit::resource(first_intent));
    numbers.push_back(1);
    memkit::vector<int, first_intent> ints{1, 2};
    memkit::string<first_intent> text("text");
    memkit::unordered_map<int, double, first_intent> map;
    map.emplace(ints[1], 0.5);
    text += "more";
    auto keep = [](mk_intent_t, std::size_t, mk_status_t) { return false; };
    memkit::set_oom_handler(keep);
    memkit::clear_oom_handler();

    void *p = mk_alloc(first_intent, 24);
    mk_free_sized(first_intent, p, 24);
    mk_free(mk_alloc_aligned(first_intent, 100, 64));
    mk_free(MK_NEW(first_intent, headers_all_particle));
    (void)mk_usable_size(block);
    (void)mk_task_alloc(task, 32);
    (void)mk_handle_is_null(MK_HANDLE_NULL);
    {
        MK_FRAME_SCOPE();
        MK_PHASE_SCOPE("headers_all.c_scope");
        MK_INTENT_SCOPE(first_intent);
        mk_with_intent(first_intent)
        {
            mk_free(mk_alloc_current(8));
        }
    }
    typedef MK_FRAME_VEC(headers_all_particle) particle_vec;
    particle_vec v;
    const headers_all_particle one = {1.0f, 2.0f};
    if (mk_frame_vec_init(&v, first_intent))
        (void)mk_frame_vec_push(&v, one);
}
