// test_override_cpp.cpp — a multi-threaded C++ program for libmemkit_override
// (tests/override/check_override.py runs it with and without LD_PRELOAD and
// compares): std::thread workers (more of them than the test config's
// max_threads, so some take glibc), new/delete in every form, containers,
// over-aligned types, the new_handler loop, a fork whose child keeps
// allocating and freeing, and 20 forks while three threads allocate. Prints
// only figures that do not depend on the allocator; exits 1 on a failed check.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

int failures = 0;

void check(bool ok, const char *what)
{
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        failures++;
    }
}

struct alignas(64) Line {
    std::uint64_t words[8];
};

std::uint64_t worker(unsigned seed)
{
    std::uint64_t sum = 0;
    std::map<int, std::string> names;
    std::unordered_map<std::string, std::vector<int>> index;
    for (int round = 0; round < 20; round++) {
        std::vector<std::unique_ptr<std::string>> owned;
        for (int i = 0; i < 500; i++) {
            owned.push_back(std::make_unique<std::string>(static_cast<std::size_t>(i % 90 + 1), char('a' + i % 26)));
            names[i * 31 % 977] = *owned.back();
            index[owned.back()->substr(0, 3)].push_back(i);
        }
        auto *lines = new Line[16];
        check(reinterpret_cast<std::uintptr_t>(lines) % alignof(Line) == 0, "new Line[] is 64-aligned");
        for (int i = 0; i < 16; i++)
            lines[i].words[0] = static_cast<std::uint64_t>(i) * seed;
        sum += lines[15].words[0];
        delete[] lines;
        int *array = new int[1000 + static_cast<unsigned>(round) * 37]();
        sum += static_cast<std::uint64_t>(array[999]) + 1u;
        delete[] array;
        for (auto &s : owned)
            sum += s->size();
    }
    sum += names.size() + index.size();
    return sum;
}

int new_handler_calls = 0;
void handler()
{
    // the second call gives up: new throws std::bad_alloc
    if (++new_handler_calls >= 2)
        std::set_new_handler(nullptr);
}

} // namespace

int main()
{
    // 10 threads at once: the test config's max_threads is 6 (main included)
    std::vector<std::uint64_t> sums(10);
    std::vector<std::thread> threads;
    std::atomic<unsigned> started{0};
    for (unsigned t = 0; t < sums.size(); t++)
        threads.emplace_back([t, &sums, &started] {
            // every worker allocates before any goes on: all 10 want a slot at once
            auto first = std::make_unique<std::string>(200, 'w');
            started.fetch_add(1);
            while (started.load() < 10)
                std::this_thread::yield();
            sums[t] = worker(t + 1) + first->size();
        });
    for (auto &th : threads)
        th.join();
    std::uint64_t total = 0;
    for (auto s : sums)
        total += s;
    std::printf("threads: %llu\n", static_cast<unsigned long long>(total));

    // nothrow forms, the new_handler loop, bad_alloc
    void *huge = ::operator new(SIZE_MAX / 2, std::nothrow);
    check(huge == nullptr, "nothrow new of SIZE_MAX/2 returns nullptr");
    std::set_new_handler(handler);
    bool threw = false;
    try {
        void *p = ::operator new(SIZE_MAX / 2);
        ::operator delete(p);
    } catch (const std::bad_alloc &) {
        threw = true;
    }
    check(threw && new_handler_calls == 2, "new calls the new_handler until it gives up, then throws bad_alloc");
    auto *aligned = static_cast<char *>(::operator new(100, std::align_val_t(4096)));
    check(reinterpret_cast<std::uintptr_t>(aligned) % 4096 == 0, "aligned new(4096)");
    ::operator delete(aligned, std::align_val_t(4096)); // the sized forms need -fsized-deallocation in clang

    // fork: the child allocates, frees what the parent allocated, and exits
    auto *shared = new std::vector<std::string>(1000, std::string(100, 'p'));
    std::fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        std::thread t([shared] {
            std::vector<std::string> mine(*shared);
            delete shared;
            std::printf("child: %zu\n", mine.size() + static_cast<std::size_t>(worker(3) % 1000));
        });
        t.join();
        std::fflush(stdout);
        _exit(failures == 0 ? 0 : 1);
    }
    int status = 0;
    check(child > 0 && waitpid(child, &status, 0) == child, "fork and wait");
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child exits 0");
    std::printf("parent: %zu\n", shared->size() + shared->back().size());
    delete shared;

    // fork while other threads allocate: memkit's locks are held across fork,
    // so no child starts with a lock some vanished thread held
    std::atomic<bool> stop{false};
    std::vector<std::thread> busy;
    for (int t = 0; t < 3; t++)
        busy.emplace_back([&stop] {
            while (!stop.load()) {
                std::vector<std::string> v;
                for (int i = 0; i < 100; i++)
                    v.emplace_back(static_cast<std::size_t>(i * 3 + 20), 'x');
            }
        });
    int children_ok = 0;
    for (int i = 0; i < 20; i++) {
        pid_t p = fork();
        if (p == 0) {
            std::vector<std::string> v;
            for (int k = 0; k < 1000; k++)
                v.emplace_back(static_cast<std::size_t>(k % 300 + 1), 'c');
            std::thread th([] { std::string big(5000, 'z'); });
            th.join();
            _exit(v.size() == 1000 ? 0 : 1);
        }
        int st = 0;
        children_ok += p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    stop.store(true);
    for (auto &th : busy)
        th.join();
    check(children_ok == 20, "20 children forked while 3 threads allocated all exit 0");
    std::printf("forks: %d\n", children_ok);
    std::printf("%s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
