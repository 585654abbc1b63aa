/* bench/integrations/bench_cpp.h — what bench_bullet.cpp and bench_imgui.cpp
 * share: the four allocators (memkit through the adapter; glibc, mimalloc
 * and jemalloc through hooks of the same shape that call their malloc and
 * free, the peers loaded with bench/peers.h), the rounds, and the ROW lines
 *
 *   ROW<TAB>lib<TAB>workload<TAB>allocator<TAB>median_ns<TAB>min_ns<TAB>max_ns
 *
 * The allocators take turns within each round (memkit, glibc, mimalloc,
 * jemalloc, then again), so that a slow moment of a shared machine lands on
 * all of them. A peer that cannot be loaded is reported on stderr and left
 * out (jemalloc needs GLIBC_TUNABLES=glibc.rtld.optional_static_tls=65536
 * to be dlopen'ed, as bench/common.sh sets). One translation unit per
 * benchmark: static functions.
 */
#ifndef MK_BENCH_CPP_H
#define MK_BENCH_CPP_H

#include <memkit/memkit.h>
#include <peers.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace bench {

struct allocator {
    const char *name;
    bool memkit;                      /* through the adapter; else malloc/free below */
    void *(*malloc)(size_t) = nullptr;
    void (*free)(void *) = nullptr;
};

/* memkit, glibc, and the peers that load. */
static std::vector<allocator> allocators(const char *prog)
{
    std::vector<allocator> all;
    all.push_back({"memkit", true});
    all.push_back({"glibc", false, std::malloc, std::free});
    for (const char *peer : {"mimalloc", "jemalloc"}) {
        allocator a{peer, false};
        char why[256];
        if (peer_skipped(peer, why, sizeof why) || peer_load(peer, &a.malloc, &a.free, why, sizeof why) != nullptr) {
            std::fprintf(stderr, "%s: %s left out: %s\n", prog, peer, why);
            continue;
        }
        all.push_back(a);
    }
    return all;
}

/* A peer's block for a hook that promises `align` (a power of two): the
 * size rounded up to it, which the peers' size classes align to at 16 bytes
 * (mimalloc gives an 8-byte request 8-byte alignment only), all Bullet and
 * ImGui ask; a block that is not aligned is a bench bug, said plainly. */
static void *peer_block(const allocator &a, size_t size, size_t align)
{
    void *p = a.malloc((size + align - 1) & ~(align - 1));
    if (p == nullptr || (reinterpret_cast<uintptr_t>(p) & (align - 1)) != 0) {
        std::fprintf(stderr, "bench: %s returned %p for %zu bytes aligned to %zu\n", a.name, p, size, align);
        std::abort();
    }
    return p;
}

/* After a run on memkit: says once, on stderr (not a row), what the
 * workload asks of an allocator, and stops the bench when the run left
 * anything in `intent`. */
static void memkit_run_done(const char *prog, mk_intent_t intent)
{
    mk_stats_t s;
    mk_stats_get(&s);
    static bool told;
    if (!told) {
        told = true;
        std::fprintf(stderr, "%s: one run makes %llu allocations, %llu bytes at peak\n", prog,
                     static_cast<unsigned long long>(s.intents[intent].allocations),
                     static_cast<unsigned long long>(s.intents[intent].peak));
    }
    if (s.intents[intent].current != 0) {
        std::fprintf(stderr, "%s: %llu bytes left in the intent\n", prog,
                     static_cast<unsigned long long>(s.intents[intent].current));
        std::exit(1);
    }
}

/* Runs `workload(allocator)` `rounds` times per allocator, in turns, and
 * prints a ROW line per allocator. `workload` returns the ns it measured. */
template <typename Workload>
static void measure(const char *lib, const char *what, int rounds, const std::vector<allocator> &all,
                    Workload workload)
{
    std::vector<std::vector<double>> samples(all.size());
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < all.size(); i++)
            samples[i].push_back(static_cast<double>(workload(all[i])));
    for (size_t i = 0; i < all.size(); i++) {
        std::vector<double> &v = samples[i];
        const double med = median(v.data(), static_cast<int>(v.size()));
        std::printf("ROW\t%s\t%s\t%s\t%.0f\t%.0f\t%.0f\n", lib, what, all[i].name, med, v.front(), v.back());
        std::fflush(stdout);
    }
}

} // namespace bench

#endif /* MK_BENCH_CPP_H */
