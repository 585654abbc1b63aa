/* examples/cpp/main.cpp — memkit from C++ (memkit/memkit.hpp, docs/cpp.md):
 * a few frames of a small game's simulation, with the standard containers on
 * the intents of the demo's config (memkit.toml.example, generated into
 * examples/gen):
 *
 *   entities  memkit::unordered_map<id, entity, MK_INTENT_ENTITIES>: its nodes
 *             in the "small" pool; buckets past the pool's classes in the
 *             heap, still charged to entities
 *   ai        each entity's path, a memkit::vector<waypoint, MK_INTENT_AI>;
 *             the planner searches in frame memory under a memkit::checkpoint
 *             and keeps the search only when it found a path
 *   assets    asset names (memkit::string) and a std::pmr::unordered_map on
 *             memkit::resource(MK_INTENT_ASSETS); a "third-party" loader
 *             that calls mk_alloc_current() under a memkit::intent_scope
 *   physics   contacts in a memkit::frame_vector: gone two frames later
 *   render    draw commands in a std::pmr::vector on the render intent's
 *             resource, frame memory as well
 *
 * Each frame is a memkit::frame_scope with two memkit::phase_scopes. At the
 * end the program checks that every intent's figures moved as they must
 * (exit status 1 otherwise), and prints memkit's per-intent table.
 */
#include <memkit/memkit.hpp>

#include <cstdio>
#include <cstring>
#include <memory_resource>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

struct waypoint {
    float x, y;
};

struct entity {
    float x, y, vx, vy;
    memkit::vector<waypoint, MK_INTENT_AI> path;
};

struct contact {
    int a, b;
    float depth;
};

struct draw {
    unsigned mesh;
    float x, y;
};

using entity_table = memkit::unordered_map<unsigned, entity, MK_INTENT_ENTITIES>;

/* A library that knows nothing of memkit's intents: whatever it allocates
 * goes to the intent its caller made current. */
void *third_party_decode(std::size_t bytes)
{
    void *p = mk_alloc_current(bytes);
    if (p != nullptr)
        std::memset(p, 0x5a, bytes);
    return p;
}

/* Plans a path for `e`: candidates searched in frame memory, thrown away
 * unless a plan comes out of them (memkit::checkpoint). */
bool plan(entity &e, unsigned seed)
{
    memkit::checkpoint search;
    memkit::frame_vector<waypoint> candidates(MK_INTENT_SCRATCH);
    for (unsigned i = 0; i < 64; i++)
        candidates.push_back(waypoint{e.x + static_cast<float>(i % 8), e.y + static_cast<float>(i / 8)});
    if (seed % 3 == 0)
        return false; /* no path: the candidates are rewound with the checkpoint */
    for (unsigned i = 0; i < 4; i++)
        e.path.push_back(candidates[(seed + i) % candidates.size()]);
    search.keep();
    return true;
}

void simulate(entity_table &entities, unsigned frame)
{
    memkit::phase_scope phase("simulate");
    memkit::frame_vector<contact> contacts(MK_INTENT_PHYSICS);
    for (auto &[id, e] : entities) {
        e.x += e.vx;
        e.y += e.vy;
        if (e.path.empty())
            (void)plan(e, id + frame);
        if (static_cast<int>(e.x) % 5 == 0)
            contacts.push_back(contact{static_cast<int>(id), static_cast<int>(frame), 0.25f});
    }
    std::printf("frame %llu: %zu entities, %zu contacts\n", static_cast<unsigned long long>(mk_frame_index()),
                entities.size(), contacts.size());
}

std::size_t render(const entity_table &entities)
{
    memkit::phase_scope phase("render");
    std::pmr::vector<draw> commands(memkit::resource(MK_INTENT_RENDER));
    commands.reserve(entities.size());
    for (const auto &[id, e] : entities)
        commands.push_back(draw{id, e.x, e.y});
    return commands.size();
}

int run()
{
    int failures = 0;
    auto expect = [&failures](bool ok, const char *what) {
        if (!ok) {
            std::fprintf(stderr, "cpp example: %s\n", what);
            failures++;
        }
    };
    auto intent = [](mk_intent_t i) {
        mk_stats_t s;
        mk_stats_get(&s);
        return s.intents[i];
    };

    entity_table entities;
    for (unsigned id = 1; id <= 200; id++)
        entities.emplace(id, entity{static_cast<float>(id), 0.0f, 1.0f, 0.5f, {}});

    std::pmr::unordered_map<std::pmr::string, void *> assets(memkit::resource(MK_INTENT_ASSETS));
    for (const char *name : {"textures/grass.ktx", "textures/rock.ktx", "sounds/step.ogg"}) {
        memkit::intent_scope loading(MK_INTENT_ASSETS);
        assets.emplace(name, third_party_decode(64 * 1024));
    }
    memkit::string<MK_INTENT_ASSETS> level_name("levels/the-long-corridor-of-memory");

    std::size_t drawn = 0;
    for (unsigned frame = 0; frame < 5; frame++) {
        memkit::frame_scope scope;
        simulate(entities, frame);
        drawn += render(entities);
    }

    expect(intent(MK_INTENT_ENTITIES).current >= 200 * sizeof(entity), "entities hold their table");
    expect(intent(MK_INTENT_AI).allocations > 0, "paths are in the ai pool");
    expect(intent(MK_INTENT_ASSETS).current >= 3 * 64 * 1024, "the loader's buffers are charged to assets");
    expect(intent(MK_INTENT_PHYSICS).allocations > 0 && intent(MK_INTENT_RENDER).allocations > 0,
           "contacts and draw commands are frame memory");
    expect(drawn == 5 * entities.size(), "every entity drawn every frame");
    expect(!level_name.empty(), "the level has a name");
    mk_stats_print(stdout);

    for (auto &asset : assets)
        mk_free(asset.second);
    return failures;
}

} // namespace

int main()
{
    if (mk_init(&mkg_config) != MK_OK)
        return 1;
    int failures = run(); /* every container gone before mk_shutdown */
    mk_stats_t s;
    mk_stats_get(&s);
    if (s.intents[MK_INTENT_ENTITIES].current != 0 || s.intents[MK_INTENT_AI].current != 0) {
        std::fprintf(stderr, "cpp example: the containers left memory behind\n");
        failures++;
    }
    mk_shutdown();
    return failures == 0 ? 0 : 1;
}
