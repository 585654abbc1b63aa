/* test_bullet.cpp — Bullet Physics on memkit (integrations/bullet/memkit_bullet.h,
 * tests/integrations/bullet.toml).
 *
 * A rigid-body world (broadphase, dispatcher, solver, a static ground, a grid
 * of falling boxes, a grid of falling spheres and a tower of boxes) steps 300
 * times at 60 Hz; every body must come to rest on what is below it at the
 * height geometry says, and every byte Bullet held must come back to the
 * intent when the world is deleted. A budget too small for the world ends the
 * program through the adapter's failure handler — the OOM handler having run
 * first — with a message and exit status 1, never a segfault; an OOM handler
 * that frees a reserve lets Bullet go on; and the headroom check tells
 * beforehand that the world will not fit.
 */
#include <memkit_bullet.h>

#include "integration_check.h"

#include <btBulletDynamicsCommon.h>

#include <cmath>
#include <cstring>

namespace {

constexpr int grid = 10;          /* grid × grid boxes and as many spheres */
constexpr int tower = 5;          /* boxes stacked on each other */
constexpr float half = 0.5f;      /* box half extent and sphere radius */
constexpr int steps = 300;        /* 5 s at 60 Hz */
constexpr float tolerance = 0.05f;

struct body_spec {
    btVector3 start;
    float rest_y; /* where its centre must come to rest */
    bool sphere;
};

/* A world and everything it owns, deleted in reverse order of creation. */
class scene {
  public:
    scene()
    {
        dispatcher_ = new btCollisionDispatcher(&config_);
        world_ = new btDiscreteDynamicsWorld(dispatcher_, &broadphase_, &solver_, &config_);
        world_->setGravity(btVector3(0, -9.81f, 0));
        ground_shape_ = new btBoxShape(btVector3(50, 1, 50)); /* top face at y = 0 */
        box_shape_ = new btBoxShape(btVector3(half, half, half));
        sphere_shape_ = new btSphereShape(half);
        add(ground_shape_, btVector3(0, -1, 0), 0);
        for (int x = 0; x < grid; x++) {
            for (int z = 0; z < grid; z++) {
                /* 3 m apart: the grids never touch each other */
                const float px = static_cast<float>(x) * 3 - 15, pz = static_cast<float>(z) * 3 - 15;
                const float drop = 2 + static_cast<float>((x + z) % 4);
                specs_.push_back({btVector3(px, drop, pz), half, false});
                specs_.push_back({btVector3(px + 1.5f, drop + 1, pz + 1.5f), half, true});
            }
        }
        for (int k = 0; k < tower; k++) /* 5 cm gaps: each box falls onto the one below */
            specs_.push_back({btVector3(20, half + static_cast<float>(k) * (2 * half + 0.05f) + 0.05f, 20),
                              half + static_cast<float>(k) * 2 * half, false});
        for (int i = 0; i < specs_.size(); i++)
            bodies_.push_back(add(specs_[i].sphere ? sphere_shape_ : box_shape_, specs_[i].start, 1));
    }

    ~scene()
    {
        for (int i = world_->getNumCollisionObjects() - 1; i >= 0; i--) {
            btCollisionObject *object = world_->getCollisionObjectArray()[i];
            btRigidBody *body = btRigidBody::upcast(object);
            world_->removeCollisionObject(object);
            delete body->getMotionState();
            delete body;
        }
        delete sphere_shape_;
        delete box_shape_;
        delete ground_shape_;
        delete world_;
        delete dispatcher_;
    }

    scene(const scene &) = delete;
    scene &operator=(const scene &) = delete;

    void run(int n)
    {
        for (int i = 0; i < n; i++)
            world_->stepSimulation(1.0f / 60, 1, 1.0f / 60);
    }

    /* How many bodies rest where they should (centre height within
     * tolerance, still, upright for boxes). */
    int resting() const
    {
        int ok = 0;
        for (int i = 0; i < specs_.size(); i++) {
            const btRigidBody *body = bodies_[i];
            const btTransform &t = body->getWorldTransform();
            const float y = t.getOrigin().getY();
            const bool still = body->getLinearVelocity().length() < 0.05f;
            const bool level = std::fabs(t.getOrigin().getX() - specs_[i].start.getX()) < tolerance &&
                               std::fabs(t.getOrigin().getZ() - specs_[i].start.getZ()) < tolerance;
            if (std::fabs(y - specs_[i].rest_y) < tolerance && still && level)
                ok++;
            else
                std::fprintf(stderr, "body %d (%s) at y %.3f, expected %.3f, speed %.3f\n", i,
                             specs_[i].sphere ? "sphere" : "box", static_cast<double>(y),
                             static_cast<double>(specs_[i].rest_y),
                             static_cast<double>(body->getLinearVelocity().length()));
        }
        return ok;
    }

    int count() const { return specs_.size(); }
    const btRigidBody *first_body() const { return bodies_[0]; }

  private:
    btRigidBody *add(btCollisionShape *shape, const btVector3 &at, float mass)
    {
        btVector3 inertia(0, 0, 0);
        if (mass > 0)
            shape->calculateLocalInertia(mass, inertia);
        auto *motion = new btDefaultMotionState(btTransform(btQuaternion::getIdentity(), at));
        auto *body = new btRigidBody(btRigidBody::btRigidBodyConstructionInfo(mass, motion, shape, inertia));
        world_->addRigidBody(body);
        return body;
    }

    /* members Bullet builds in place allocate through the hooks too (their arrays, pools) */
    btDefaultCollisionConfiguration config_;
    btDbvtBroadphase broadphase_;
    btSequentialImpulseConstraintSolver solver_;
    btCollisionDispatcher *dispatcher_ = nullptr;
    btDiscreteDynamicsWorld *world_ = nullptr;
    btCollisionShape *ground_shape_ = nullptr, *box_shape_ = nullptr, *sphere_shape_ = nullptr;
    btAlignedObjectArray<body_spec> specs_;
    btAlignedObjectArray<btRigidBody *> bodies_;
};

/* The bytes the test's scene holds at its peak: measured once on the roomy
 * intent, then compared with the tight intent's headroom. */
uint64_t scene_peak;

void test_simulation_rests_and_balances(void)
{
    mk_bullet_install(MK_INTENT_PHYSICS);
    const mk_intent_stats_t before = check_intent_stats(MK_INTENT_PHYSICS);
    CHECK_EQ(before.current, 0);
    {
        scene s;
        const mk_intent_stats_t built = check_intent_stats(MK_INTENT_PHYSICS);
        CHECK(built.allocations > static_cast<uint64_t>(s.count())); /* a body and a motion state each, at least */
        CHECK(built.current > 100 * 1024);
        /* a body is a memkit block of the intent: the adapter, not malloc */
        CHECK(mk_owns(s.first_body()) && mk_usable_size(s.first_body()) >= sizeof(btRigidBody));

        s.run(steps);
        CHECK_EQ(s.resting(), s.count());
        CHECK_EQ(check_intent_stats(MK_INTENT_PHYSICS).failures, 0);
    }
    const mk_intent_stats_t after = check_intent_stats(MK_INTENT_PHYSICS);
    CHECK_EQ(after.current, 0);
    CHECK(after.allocations > 0);
    CHECK_EQ(after.allocations, after.frees);
    CHECK_EQ(check_intent_stats(MK_INTENT_PHYSICS_TIGHT).allocations, 0); /* nothing strayed */
    scene_peak = after.peak;
    mk_bullet_uninstall();
}

/* Headroom: what the budget still allows, down by exactly what Bullet holds. */
void test_headroom_says_the_world_will_not_fit(void)
{
    mk_bullet_install(MK_INTENT_PHYSICS_TIGHT);
    const uint64_t budget = check_intent_stats(MK_INTENT_PHYSICS_TIGHT).budget;
    CHECK_EQ(mk_bullet_headroom(), budget);
    CHECK(scene_peak > budget); /* the measured world exceeds the tight budget... */
    CHECK(mk_bullet_headroom() < scene_peak); /* ...which the check says before building it */
    {
        btBoxShape *shape = new btBoxShape(btVector3(1, 1, 1)); /* something small fits */
        const mk_intent_stats_t held = check_intent_stats(MK_INTENT_PHYSICS_TIGHT);
        CHECK(held.current >= sizeof(btBoxShape));
        CHECK_EQ(mk_bullet_headroom(), budget - held.current - held.leased);
        delete shape;
    }
    CHECK_EQ(check_intent_stats(MK_INTENT_PHYSICS_TIGHT).current, 0);
    mk_bullet_uninstall();
}

void *reserve; /* an emergency reserve in the tight intent, for the OOM handler to give back */

int release_reserve(mk_intent_t intent, size_t size, mk_status_t reason, void *user)
{
    (void)intent, (void)size, (void)reason, (void)user;
    if (reserve == nullptr)
        return 0;
    mk_free(reserve);
    reserve = nullptr;
    return 1; /* memory released: memkit retries the request once */
}

/* on_exhausted = "callback" is where a program can recover: the OOM handler
 * frees a reserve and the request Bullet made is retried and served, so
 * Bullet never sees the shortage. */
void test_oom_handler_reserve_lets_bullet_go_on(void)
{
    mk_bullet_install(MK_INTENT_PHYSICS_TIGHT);
    const uint64_t budget = check_intent_stats(MK_INTENT_PHYSICS_TIGHT).budget;
    reserve = mk_alloc(MK_INTENT_PHYSICS_TIGHT, budget - 1024);
    CHECK(reserve != nullptr);
    mk_set_oom_handler(release_reserve, nullptr);
    {
        btAlignedObjectArray<btVector3> points;
        points.resize(256, btVector3(0, 0, 0)); /* 4 KiB: more than the budget has left */
        CHECK(reserve == nullptr);             /* the handler gave the reserve back */
        CHECK_EQ(points.size(), 256);
        for (int i = 0; i < points.size(); i++)
            points[i] = btVector3(static_cast<float>(i), 1, 2);
        CHECK(points[255].getX() == 255.0f && points[17].getZ() == 2.0f);
        CHECK(mk_owns(&points[0]) && mk_usable_size(&points[0]) >= 256 * sizeof(btVector3));
    }
    mk_set_oom_handler(nullptr, nullptr);
    mk_free(reserve); /* NULL when the handler ran */
    CHECK_EQ(check_intent_stats(MK_INTENT_PHYSICS_TIGHT).current, 0);
    mk_bullet_uninstall();
}

/* Builds the test's world on the tight intent anyway, in a child: memkit's
 * OOM handler runs, then the adapter ends the child with a message. */
[[noreturn]] void build_on_tight_budget(void)
{
    mk_set_oom_handler(check_oom_says_once, nullptr);
    mk_bullet_install(MK_INTENT_PHYSICS_TIGHT);
    scene s;
    s.run(steps);
    std::fprintf(stderr, "the world was built: the budget did not bind\n");
    std::_Exit(0);
}

void test_budget_ends_the_program_not_in_a_segfault(void)
{
    check_adapter_exits(build_on_tight_budget, "memkit-bullet", "Bullet", "physics_tight", "the world was built");
}

/* A failure handler of one's own runs instead of the default; returning from
 * it is a contract breach the adapter turns into abort(). */
void leave_quietly(const char *library, mk_intent_t intent, size_t size, mk_status_t why, void *user)
{
    std::fprintf(stderr, "own handler: %s %s %zu %s %s\n", library, mk_intent_name(intent), size,
                 mk_status_str(why), static_cast<const char *>(user));
}

void allocate_past_budget_with_own_handler(void)
{
    static char tag[] = "tagged";
    mk_bullet_install(MK_INTENT_PHYSICS_TIGHT);
    mk_bullet_set_failure_handler(leave_quietly, tag);
    void *p = btAlignedAlloc(1 << 20, 16);
    std::fprintf(stderr, "got %p\n", p);
}

void test_own_failure_handler(void)
{
    EXPECT_DEATH(allocate_past_budget_with_own_handler(), "own handler: bullet physics_tight 1048576 MK_EBUDGET");
    EXPECT_DEATH(allocate_past_budget_with_own_handler(), "the failure handler returned; Bullet cannot take a NULL");
}

} // namespace

int main(void)
{
    RUN(test_simulation_rests_and_balances);
    RUN(test_headroom_says_the_world_will_not_fit);
    RUN(test_oom_handler_reserve_lets_bullet_go_on);
    RUN(test_budget_ends_the_program_not_in_a_segfault);
    RUN(test_own_failure_handler);
    return check_finish("test_bullet");
}
