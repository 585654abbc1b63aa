/* bench_bullet.cpp — Bullet Physics on memkit vs glibc, mimalloc and jemalloc
 * (integrations/bullet/memkit_bullet.h; the config is
 * tests/integrations/bullet.toml's).
 *
 *   bench_bullet [ROUNDS 1..1000]     (default 7; also MK_BENCH_ROUNDS)
 *
 * The workload: build a world, drop 500 boxes in a pile onto the ground (so
 * contacts come and go: manifolds and pair-cache entries are allocated and
 * freed while it settles), step it 300 times at 60 Hz, delete it — timed as
 * a whole. Bullet's hooks are process-global: each run installs its
 * allocator's hooks before building and the defaults back after deleting.
 * Every allocator must leave the pile in the same place (the simulation does
 * not depend on block addresses), and memkit's intent must be empty after
 * each run; either failing ends the bench with status 1.
 */
#include <memkit_bullet.h>

#include "bench_cpp.h"

#include <btBulletDynamicsCommon.h>

#include <cmath>

namespace {

constexpr int side = 10, layers = 5, steps = 300;

const bench::allocator *current; /* the peer the hooks below call */

void *peer_aligned(size_t size, int alignment)
{
    return bench::peer_block(*current, size, alignment > 16 ? static_cast<size_t>(alignment) : 16);
}
void *peer_alloc(size_t size)
{
    return peer_aligned(size, 16);
}
void peer_free(void *p)
{
    current->free(p);
}

/* Builds, steps and deletes the pile; returns the sum of the bodies' final
 * heights (the check that every allocator ran the same simulation). */
double simulate(void)
{
    auto *config = new btDefaultCollisionConfiguration();
    auto *dispatcher = new btCollisionDispatcher(config);
    auto *broadphase = new btDbvtBroadphase();
    auto *solver = new btSequentialImpulseConstraintSolver();
    auto *world = new btDiscreteDynamicsWorld(dispatcher, broadphase, solver, config);
    world->setGravity(btVector3(0, -9.81f, 0));
    auto *ground = new btBoxShape(btVector3(50, 1, 50));
    auto *box = new btBoxShape(btVector3(0.5f, 0.5f, 0.5f));
    auto add = [&](btCollisionShape *shape, const btVector3 &at, float mass) {
        btVector3 inertia(0, 0, 0);
        if (mass > 0)
            shape->calculateLocalInertia(mass, inertia);
        auto *motion = new btDefaultMotionState(btTransform(btQuaternion::getIdentity(), at));
        world->addRigidBody(new btRigidBody(btRigidBody::btRigidBodyConstructionInfo(mass, motion, shape, inertia)));
    };
    add(ground, btVector3(0, -1, 0), 0);
    for (int y = 0; y < layers; y++)
        for (int x = 0; x < side; x++)
            for (int z = 0; z < side; z++) /* staggered layers: the pile slumps and spreads */
                add(box, btVector3(static_cast<float>(x) * 1.1f + static_cast<float>(y % 2) * 0.5f,
                                   2 + static_cast<float>(y) * 1.5f, static_cast<float>(z) * 1.1f),
                    1);
    for (int i = 0; i < steps; i++)
        world->stepSimulation(1.0f / 60, 1, 1.0f / 60);
    double heights = 0;
    for (int i = world->getNumCollisionObjects() - 1; i >= 0; i--) {
        btCollisionObject *object = world->getCollisionObjectArray()[i];
        btRigidBody *body = btRigidBody::upcast(object);
        heights += static_cast<double>(body->getWorldTransform().getOrigin().getY());
        world->removeCollisionObject(object);
        delete body->getMotionState();
        delete body;
    }
    delete box;
    delete ground;
    delete world;
    delete solver;
    delete broadphase;
    delete dispatcher;
    delete config;
    return heights;
}

double reference = NAN;

uint64_t run(const bench::allocator &a)
{
    if (a.memkit) {
        mk_bullet_install(MK_INTENT_PHYSICS);
    } else {
        current = &a;
        btAlignedAllocSetCustom(peer_alloc, peer_free);
        btAlignedAllocSetCustomAligned(peer_aligned, peer_free);
    }
    const uint64_t t0 = now_ns();
    const double heights = simulate();
    const uint64_t ns = now_ns() - t0;
    mk_bullet_uninstall(); /* Bullet's defaults, for memkit and peers alike */
    if (std::isnan(reference))
        reference = heights;
    if (heights != reference) {
        std::fprintf(stderr, "bench_bullet: %s ended the simulation at %.6f, not %.6f\n", a.name, heights, reference);
        std::exit(1);
    }
    if (a.memkit)
        bench::memkit_run_done("bench_bullet", MK_INTENT_PHYSICS);
    return ns;
}

} // namespace

int main(int argc, char **argv)
{
    const int rounds = count_arg(argc, argv, "MK_BENCH_ROUNDS", 7, 1000, "bench_bullet", "ROUNDS");
    if (rounds < 0)
        return 2;
    const mk_status_t status = mk_init(&mkg_config);
    if (status != MK_OK) {
        std::fprintf(stderr, "bench_bullet: mk_init: %s\n", mk_status_str(status));
        return 1;
    }
    const std::vector<bench::allocator> all = bench::allocators("bench_bullet");
    bench::measure("bullet", "500-box pile, 300 steps", rounds, all, run);
    mk_shutdown();
    return 0;
}
