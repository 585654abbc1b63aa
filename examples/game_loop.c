/* game_loop.c — memkit's demo: a small game's frame loop on several threads.
 *
 * Every allocation names what the memory is for (an intent of
 * memkit.toml.example); memkit routes it to a tier and charges its budget:
 *
 *   entities           handle table  entity records behind generational handles
 *                      "entities"    (spawned by the main thread, simulated and
 *                                    despawned by the workers); a despawned
 *                                    entity's handle must resolve to NULL ever
 *                                    after, and every one is checked
 *                      pool "small"  each entity's stats component (the intent
 *                                    "entities": freed on another thread than
 *                                    allocated)
 *   ai                 pool "small"  path nodes, chosen by speculative planning
 *                                    in frame memory that is rewound afterwards
 *   physics, render,   frame         contact vectors (MK_FRAME_VEC, grown per
 *   scratch, ui                      frame), draw commands, sort keys, planner
 *                                    candidates and HUD strings: never freed,
 *                                    gone two frames later
 *   audio              pool "large"  mixer voices
 *   network            async pool    packets received by a worker into 4 KiB
 *                      "requests"    request blocks and moved, never copied,
 *                      channel       through the channel to the main thread,
 *                      "decoded"     which releases them; in a packet flood
 *                                    the pool runs out and the worker's
 *                                    requests wait (FIFO) on its async loop
 *                                    until the main thread's releases grant
 *                                    them (backpressure "wait"), instead of
 *                                    failing
 *   jobs               task arena    the main thread's per-frame decode job:
 *                      "jobs"        records in its own task's chunks, handed
 *                                    off zero-copy to the "updates" task,
 *                                    applied and freed a frame later
 *   assets             heap          textures of 64 KiB to 1 MiB, decoded by a
 *                                    "third-party" decoder under mk_with_intent
 *                                    from a scratch buffer; mesh upload buffers
 *                                    freed with mk_free_deferred while the "GPU"
 *                                    still reads them; a texture atlas shared by
 *                                    many entities (mk_shared_*), repainted once
 *                                    copy-on-write; the network reassembly buffer
 *   meshes             handle table  mesh descriptors
 *   session_keys       heap          secrets, cleared by memkit when freed
 *
 * and on the GPU (game_loop_gpu.c; memkit/gpu.h, the [gpu] sections), on
 * lavapipe when a Vulkan driver loads, else on a simulated discrete GPU:
 *   meshes             GPU heap      the level's geometry, streamed in over the
 *                      "meshes"      first frames, and each streamed mesh's
 *                                    vertex data, all through the staging ring;
 *                                    unloaded meshes go when the GPU is done
 *   uniforms           GPU heap      camera and per-object constants written in
 *                      "frame_       place every frame, gone with the frame's
 *                      uniforms"     fence
 *
 * The main thread drives mk_begin_frame()/mk_end_frame() and meets the workers
 * at two barriers per frame. Each system runs in a named phase, so
 * mk_stats_print shows where the bytes went (and the GPU heaps). Draw lists built in frame N are
 * submitted (read) by the main thread during frame N + 1: frames_in_flight = 2
 * keeps them valid. Some frames are deliberately too heavy (a particle burst, a
 * packet flood): the allocations that do not fit in their budgets fail and are
 * counted, and the game carries on.
 *
 * At the end every block still held is freed, the pending deferred frees are
 * drained, and the run is checked: entity, mesh, texture and upload data
 * intact, every stale handle refused, memkit's per-intent counters equal to the
 * demo's own tally, nothing left in use in the pool and heap intents, no handle,
 * shared buffer or deferred free left, and mk_validate() == MK_OK; on the GPU,
 * the tier's counters equal to the demo's, every buffer and staging byte back,
 * device memory back to what mk_gpu_init allocated, no leak (and, with
 * --validate, no Vulkan validation error). Exit status 0 if so.
 *
 *   game_loop [--frames N] [--workers N] [--gpu auto|vulkan|mock] [--validate] [--record PATH]
 *
 * --record PATH (or the environment's MEMKIT_RECORDING) saves the recording of
 * [record] frames for memkit-lens there (docs/recording.md).
 * --gpu vulkan exits 77 without a Vulkan driver; --validate turns on the
 * Vulkan validation layers and synchronization validation.
 */
#define _POSIX_C_SOURCE 200809L

#include <memkit/async.h>

#include "game_loop_gpu.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* MK_PHASE_SCOPE needs gcc or clang (a cleanup attribute); elsewhere the
 * scoped phases are left out and the phase table shows the explicit pairs only. */
#ifndef MK_PHASE_SCOPE
#define MK_PHASE_SCOPE(name) ((void)0)
#endif

/* ---- the game's data ------------------------------------------------------- */

#define ENTITY_SLOTS 4096u /* [handles.entities] capacity in memkit.toml.example */
#define ENTITY_BLOCK 128u  /* [handles.entities] block_size */
#define MESH_BLOCK 256u    /* [handles.meshes] block_size */
#define MAX_WORKERS (MKG_MAX_THREADS - 1) /* the main thread takes a slot too */
#define MAX_ASSETS 12u
#define MAX_MESHES 48u
#define MAX_UPLOADS 16u
#define MAX_KEYS 4u
#define MAX_VOICES 24u
#define NET_REQUESTS 32u /* packets a network worker may have waiting for a block */
#define ASSET_ALIGN 256u /* what a GPU upload wants */
#define ATLAS_WORDS 16384u /* a 64 KiB texture atlas, shared */
#define UPLOAD_FRAMES 2u   /* the "GPU" reads an upload buffer for 2 more frames */
#define PLAN_CANDIDATES 3u

typedef struct path_node { /* 24 bytes: pool "small", class 32 */
    int32_t x, y;
    uint32_t owner; /* entity id */
    uint32_t seal;
    struct path_node *next;
} path_node_t;

typedef struct waypoint { /* a planner candidate's step, frame memory (scratch) */
    int32_t x, y;
} waypoint_t;

typedef struct stats_component { /* 64 bytes: pool "small", intent entities */
    uint32_t owner;
    uint32_t seal;
    uint32_t hp, armor;
    uint32_t pad[12];
} stats_component_t;

typedef struct entity { /* a block of the "entities" handle table */
    uint32_t id;
    uint32_t lifetime; /* frames to live */
    uint32_t updates;  /* frames simulated so far */
    uint32_t seal;     /* hash of id and lifetime */
    int32_t pos[3];    /* fixed point: origin(id) + vel * updates */
    int32_t vel[3];
    path_node_t *path;
    stats_component_t *stats;
    mk_shared_t *atlas;   /* a reference to the shared atlas, or NULL */
    uint32_t atlas_seed;  /* the atlas version it saw */
} entity_t;
_Static_assert(sizeof(entity_t) <= ENTITY_BLOCK, "an entity fits a block of the entities handle table");

typedef struct mesh { /* a block of the "meshes" handle table */
    uint32_t id;
    uint32_t vertices;
    uint32_t checksum; /* of the vertex data uploaded */
    uint32_t seal;
    uint64_t gpu_buffer; /* its vertex buffer on the GPU (game_loop_gpu.c), 0 if refused */
} mesh_t;
_Static_assert(sizeof(mesh_t) <= MESH_BLOCK, "a mesh fits a block of the meshes handle table");

typedef struct contact { /* physics, frame memory */
    uint32_t a, b;
    int32_t depth;
    uint32_t pad;
} contact_t;

typedef MK_FRAME_VEC(contact_t) contact_vec_t;

typedef struct draw_cmd { /* render, frame memory */
    uint32_t entity;
    uint32_t material;
    int32_t x, y, z;
    uint32_t sort_key;
    uint32_t pad[2];
} draw_cmd_t;

typedef struct draw_list { /* a worker's draw commands of one frame */
    const draw_cmd_t *cmds;
    uint32_t count;
    uint32_t sum;
} draw_list_t;

#define VOICE_SAMPLES 2040u
typedef struct voice { /* 4096 bytes: pool "large", class 4096 */
    uint32_t id;
    uint32_t frames_left;
    uint32_t seal;
    uint32_t pad;
    int16_t samples[VOICE_SAMPLES];
} voice_t;

typedef struct packet { /* header of a network packet; payload follows */
    uint32_t seq;
    uint32_t len; /* payload bytes */
    uint32_t seal;
    uint32_t pad;
} packet_t;

typedef struct net_request { /* a packet waiting for a request block */
    mk_async_waiter_t waiter;
    struct worker *worker;
    uint32_t seq, len;
} net_request_t;

typedef struct update { /* what the decode job records of a packet, in its task arena */
    struct update *next;
    uint32_t seq, len, sum, pad;
} update_t;

typedef struct asset {
    uint32_t *texels;
    size_t bytes;
    uint32_t id;
} asset_t;

typedef struct upload { /* a mesh's vertex data, freed deferred, still read by the "GPU" */
    const uint32_t *data;
    size_t words;
    size_t charged;    /* bytes the assets intent is charged for it (usable size) */
    uint32_t checksum;
    uint64_t due;      /* released inside this mk_end_frame (counted from 1) */
} upload_t;

/* What one thread did, counted by the demo itself and compared at the end with
 * memkit's statistics. Each thread writes its own. */
typedef struct tally {
    uint64_t allocs[MKG_INTENT_COUNT];
    uint64_t frees[MKG_INTENT_COUNT];
    uint64_t failures[MKG_INTENT_COUNT];
    uint64_t corrupt; /* data found damaged, or memkit's figures not as expected */
    uint64_t despawned;
    uint64_t contacts;
    uint64_t draws;
    uint64_t mixed;
    uint64_t plans;   /* speculative plans, each rewound */
    uint64_t handle_full;
} tally_t;

typedef struct barrier { /* a reusable barrier (pthread_barrier_t is optional in POSIX) */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned count, waiting, generation;
} barrier_t;

typedef struct worker {
    pthread_t thread;
    unsigned index;
    uint64_t rng;
    tally_t tally;
    draw_list_t draws[2]; /* by frame parity: written in frame N, read in N + 1 */
    /* audio worker */
    voice_t *voices[MAX_VOICES];
    uint32_t voice_count, next_voice;
    /* network worker: its async loop, polled once a frame, and the packets
     * waiting there for a request block */
    mk_async_loop_t net_loop;
    net_request_t requests[NET_REQUESTS];
    uint32_t requests_busy; /* bit i: requests[i] waits */
    uint32_t next_seq;
    uint64_t net_waited, net_dropped;
} worker_t;

static struct game {
    unsigned workers;
    unsigned frames;
    unsigned frame; /* set by the main thread before the start barrier */
    int quit;
    barrier_t start, end;
    /* slot s belongs to worker s % workers during a frame; a despawned
     * entity's handle moves to dead[s] until the slot is reused */
    mk_handle_t entities[ENTITY_SLOTS];
    mk_handle_t dead[ENTITY_SLOTS];
    worker_t worker[MAX_WORKERS];
    asset_t assets[MAX_ASSETS];
    uint32_t asset_count, next_asset;
    mk_handle_t meshes[MAX_MESHES]; /* oldest first */
    uint32_t mesh_count, next_mesh;
    upload_t uploads[MAX_UPLOADS];
    uint32_t upload_count;
    uint64_t uploads_released, frames_ended;
    mk_shared_t *atlas; /* the main thread's reference */
    uint32_t atlas_seed;
    uint64_t atlas_versions, atlas_refs_at_repaint;
    size_t scratch_kept; /* scratch buffers memkit keeps for reuse, as the demo counts them */
    uint64_t scratch_reused;
    uint64_t decodes;
    size_t defragment_moves;
    uint64_t stale_checked, stale_resolved;
    void *keys[MAX_KEYS];
    uint32_t key_count;
    uint32_t next_entity;
    uint64_t spawned;
    mk_task_t updates;        /* the decode job's records, applied next frame */
    const struct update *updates_list;
    tally_t tally; /* the main thread's */
} game;

static atomic_uint oom_calls;

/* ---- small helpers ----------------------------------------------------------- */

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

static uint32_t rng_next(uint64_t *state) /* xorshift64* */
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t rng_range(uint64_t *state, uint32_t lo, uint32_t hi) /* [lo, hi] */
{
    return lo + rng_next(state) % (hi - lo + 1u);
}

/* Counts the outcome of an allocation for `intent` in the thread's tally. */
static void *counted(tally_t *t, mk_intent_t intent, void *p)
{
    if (p != NULL)
        t->allocs[intent]++;
    else
        t->failures[intent]++;
    return p;
}

static void release(tally_t *t, mk_intent_t intent, void *p)
{
    mk_free(p);
    t->frees[intent]++;
}

/* Bytes the intent holds now (pool and heap intents: exact while no other
 * thread allocates for it). */
static uint64_t intent_current(mk_intent_t intent)
{
    mk_stats_t s;
    return mk_stats_get(&s) == MK_OK ? s.intents[intent].current : UINT64_MAX;
}

static void barrier_init(barrier_t *b, unsigned count)
{
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cond, NULL);
    b->count = count;
    b->waiting = 0;
    b->generation = 0;
}

static void barrier_wait(barrier_t *b)
{
    pthread_mutex_lock(&b->lock);
    unsigned generation = b->generation;
    if (++b->waiting == b->count) {
        b->waiting = 0;
        b->generation++;
        pthread_cond_broadcast(&b->cond);
    } else {
        while (generation == b->generation)
            pthread_cond_wait(&b->cond, &b->lock);
    }
    pthread_mutex_unlock(&b->lock);
}

static void barrier_destroy(barrier_t *b)
{
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->lock);
}

/* The render intent has on_exhausted = "callback": memkit calls this when a
 * draw list does not fit. Nothing can be released mid-frame, so it declines
 * (returns 0) and the allocation fails; the caller drops that batch. */
static int on_out_of_memory(mk_intent_t intent, size_t size, mk_status_t reason, void *user)
{
    (void)user;
    if (atomic_fetch_add(&oom_calls, 1u) == 0u)
        printf("oom handler: intent '%s' refused %zu bytes (%s); dropping such batches, counting the rest\n",
               mk_intent_name(intent), size, mk_status_str(reason));
    return 0;
}

/* Registered with mk_on_frame_end: runs inside every mk_end_frame, on the
 * main thread, with the index of the frame ending. */
static void on_frame_end(uint64_t frame, void *user)
{
    struct game *g = user;
    if (frame != mk_frame_index())
        g->tally.corrupt++;
    g->frames_ended++;
}

/* ---- scratch buffers (intent assets), tallied --------------------------------------
 * memkit keeps released scratch buffers for reuse (up to [scratch] cap), so an
 * acquire allocates only when no kept buffer is large enough, and a release
 * frees only when keeping would pass the cap; the kept bytes tell which. */

static void *scratch_acquire(size_t size)
{
    size_t kept = mk_scratch_kept_bytes();
    void *buf = mk_scratch_acquire(size);
    if (buf == NULL) { /* the intent refused: memkit trimmed the kept buffers and tried again */
        game.tally.failures[MKG_SCRATCH_INTENT] += kept > 0 ? 2u : 1u;
        game.tally.frees[MKG_SCRATCH_INTENT] += game.scratch_kept;
        game.scratch_kept = 0;
    } else if (mk_scratch_kept_bytes() < kept) {
        game.scratch_kept--;
        game.scratch_reused++;
    } else {
        game.tally.allocs[MKG_SCRATCH_INTENT]++;
    }
    return buf;
}

static void scratch_release(void *buf)
{
    if (buf == NULL)
        return;
    size_t kept = mk_scratch_kept_bytes();
    mk_scratch_release(buf);
    if (mk_scratch_kept_bytes() > kept)
        game.scratch_kept++;
    else
        game.tally.frees[MKG_SCRATCH_INTENT]++;
}

/* ---- entities and AI paths ------------------------------------------------------ */

static int32_t origin(uint32_t id, unsigned axis) { return (int32_t)(mix32(id * 3u + axis) % 2000001u) - 1000000; }
static int32_t velocity(uint32_t id, unsigned axis) { return (int32_t)(mix32(id ^ (0x9e3779b9u + axis)) % 2001u) - 1000; }
static uint32_t entity_seal(const entity_t *e) { return mix32(e->id ^ mix32(e->lifetime)); }
static uint32_t node_seal(uint32_t owner, int32_t x, int32_t y) { return mix32(owner ^ mix32((uint32_t)x ^ ((uint32_t)y << 7))); }
static uint32_t atlas_texel(uint32_t seed, uint32_t i) { return mix32(seed ^ (i * 0x9e3779b1u)); }

/* Is the entity what its id says it must be after `updates` steps? */
static int entity_intact(const entity_t *e)
{
    if (e->seal != entity_seal(e))
        return 0;
    for (unsigned axis = 0; axis < 3; axis++) {
        int64_t expect = (int64_t)origin(e->id, axis) + (int64_t)velocity(e->id, axis) * (int64_t)e->updates;
        if (e->vel[axis] != velocity(e->id, axis) || e->pos[axis] != expect)
            return 0;
    }
    for (const path_node_t *n = e->path; n != NULL; n = n->next)
        if (n->owner != e->id || n->seal != node_seal(n->owner, n->x, n->y))
            return 0;
    if (e->stats != NULL && (e->stats->owner != e->id || e->stats->seal != mix32(e->id ^ e->stats->hp)))
        return 0;
    if (e->atlas != NULL) { /* the version this entity saw, whatever was repainted since */
        const uint32_t *texels = mk_shared_data(e->atlas);
        uint32_t i = e->id % ATLAS_WORDS;
        if (texels[i] != atlas_texel(e->atlas_seed, i))
            return 0;
    }
    return 1;
}

static void free_path(tally_t *t, entity_t *e)
{
    path_node_t *n = e->path;
    while (n != NULL) {
        path_node_t *next = n->next;
        release(t, MK_INTENT_AI, n);
        n = next;
    }
    e->path = NULL;
}

/* Speculative planning: a few candidate routes are built in frame memory
 * (intent scratch), the cheapest is kept as pool path nodes (intent ai), and
 * the candidates are dropped at once by rewinding the thread's arena to a
 * mark. A node the ai pool cannot give ends the path early. */
static void plan_path(tally_t *t, uint64_t *rng, entity_t *e)
{
    free_path(t, e);
    mk_frame_mark_t mark = mk_frame_mark();
    const waypoint_t *best = NULL;
    uint32_t best_n = 0;
    int64_t best_cost = INT64_MAX;
    for (uint32_t c = 0; c < PLAN_CANDIDATES; c++) {
        uint32_t n = rng_range(rng, 1u, 6u);
        waypoint_t *route = counted(t, MK_INTENT_SCRATCH, mk_alloc(MK_INTENT_SCRATCH, n * sizeof *route));
        if (route == NULL)
            continue;
        int64_t cost = 0;
        int32_t x = e->pos[0], y = e->pos[1];
        for (uint32_t i = 0; i < n; i++) {
            route[i].x = e->pos[0] + (int32_t)rng_range(rng, 0u, 2000u) - 1000;
            route[i].y = e->pos[1] + (int32_t)rng_range(rng, 0u, 2000u) - 1000;
            cost += llabs((long long)route[i].x - x) + llabs((long long)route[i].y - y);
            x = route[i].x;
            y = route[i].y;
        }
        if (cost < best_cost) {
            best = route;
            best_n = n;
            best_cost = cost;
        }
    }
    for (uint32_t i = best_n; i-- > 0;) {
        path_node_t *n = counted(t, MK_INTENT_AI, MK_NEW(MK_INTENT_AI, path_node_t));
        if (n == NULL)
            break;
        n->x = best[i].x;
        n->y = best[i].y;
        n->owner = e->id;
        n->seal = node_seal(e->id, n->x, n->y);
        n->next = e->path;
        e->path = n;
    }
    /* the candidates are no longer needed: their bytes go back to the budget */
    if (mk_frame_rewind(&mark) != MK_OK)
        t->corrupt++;
    t->plans++;
}

/* Frees everything the entity owns and the entity itself. Its handle is
 * stale from here on: kept in game.dead[slot], checked when the slot is reused. */
static void despawn(tally_t *t, uint32_t slot)
{
    mk_handle_t h = game.entities[slot];
    entity_t *e = mk_handle_get(h);
    if (e == NULL || !entity_intact(e)) {
        t->corrupt++;
        return;
    }
    free_path(t, e);
    if (e->stats != NULL) {
        /* the size is known here: mk_free_sized skips the address lookup */
        mk_free_sized(MK_INTENT_ENTITIES, e->stats, sizeof *e->stats);
        t->frees[MK_INTENT_ENTITIES]++;
    }
    mk_shared_release(e->atlas); /* NULL is ignored */
    if (mk_handle_free(h) != MK_OK)
        t->corrupt++;
    t->despawned++;
    game.dead[slot] = h;
    game.entities[slot] = MK_HANDLE_NULL;
}

/* A despawned entity's handle, however many entities came since, is refused. */
static void check_stale(uint32_t slot)
{
    if (mk_handle_is_null(game.dead[slot]))
        return;
    game.stale_checked++;
    if (mk_handle_get(game.dead[slot]) != NULL)
        game.stale_resolved++;
    game.dead[slot] = MK_HANDLE_NULL;
}

/* Main thread, between frames' work: new entities (20 to 29 a frame). */
static void spawn_entities(uint64_t *rng)
{
    uint32_t want = rng_range(rng, 20u, 29u);
    for (uint32_t slot = rng_next(rng) % ENTITY_SLOTS, seen = 0; want > 0 && seen < ENTITY_SLOTS;
         slot = (slot + 1u) % ENTITY_SLOTS, seen++) {
        if (!mk_handle_is_null(game.entities[slot]))
            continue;
        check_stale(slot);
        mk_handle_t h = mk_handle_alloc(MK_HANDLES_ENTITIES);
        if (mk_handle_is_null(h)) { /* MK_EFULL: no room, no spawn */
            game.tally.handle_full++;
            return;
        }
        entity_t *e = mk_handle_get(h); /* zeroed */
        e->id = ++game.next_entity;
        e->lifetime = rng_range(rng, 30u, 200u);
        e->seal = entity_seal(e);
        for (unsigned axis = 0; axis < 3; axis++) {
            e->pos[axis] = origin(e->id, axis);
            e->vel[axis] = velocity(e->id, axis);
        }
        /* entities have on_exhausted = "fail": an entity without stats is still an entity */
        e->stats = counted(&game.tally, MK_INTENT_ENTITIES, MK_NEW(MK_INTENT_ENTITIES, stats_component_t));
        if (e->stats != NULL) {
            *e->stats = (stats_component_t){.owner = e->id, .hp = 100u + e->id % 50u, .armor = e->id % 7u};
            e->stats->seal = mix32(e->id ^ e->stats->hp);
        }
        if (e->id % 4u == 1u) { /* props share the atlas texture */
            e->atlas = mk_shared_retain(game.atlas);
            e->atlas_seed = game.atlas_seed;
        }
        game.entities[slot] = h;
        game.spawned++;
        want--;
    }
}

/* ---- a worker's frame ------------------------------------------------------------ */

/* Entities of this worker's partition: check, step, maybe re-plan, despawn
 * the expired ones (mostly entities the main thread allocated). Returns how
 * many remain. */
static uint32_t simulate(worker_t *w)
{
    MK_PHASE_SCOPE("simulate");
    uint32_t alive = 0;
    for (uint32_t slot = w->index; slot < ENTITY_SLOTS; slot += game.workers) {
        entity_t *e = mk_handle_get(game.entities[slot]);
        if (e == NULL)
            continue;
        if (!entity_intact(e))
            w->tally.corrupt++;
        for (unsigned axis = 0; axis < 3; axis++)
            e->pos[axis] += e->vel[axis];
        e->updates++;
        if (e->updates >= e->lifetime) {
            despawn(&w->tally, slot);
            continue;
        }
        if (e->path == NULL || rng_next(&w->rng) % 100u < 3u) {
            /* nested in "simulate": the explicit pair, for compilers without MK_PHASE_SCOPE */
            mk_status_t opened = mk_phase_begin("ai");
            plan_path(&w->tally, &w->rng, e);
            if (opened == MK_OK || opened == MK_EFULL)
                mk_phase_end();
        }
        alive++;
    }
    return alive;
}

/* Pushes one contact, tallying what memkit counts: growth allocates a new
 * block (one allocation) unless the vector's block is the thread's newest
 * frame allocation and grows in place (none); a refused doubling is retried
 * at the exact size (one more failure). */
static bool contact_push(tally_t *t, contact_vec_t *v, contact_t c)
{
    if (v->len < v->cap)
        return mk_frame_vec_push(v, c);
    const contact_t *before = v->data;
    size_t least = (MK_FRAME_VEC_MIN_BYTES + sizeof c - 1u) / sizeof c;
    size_t want = v->cap * 2u > least ? v->cap * 2u : least;
    if (!mk_frame_vec_push(v, c)) {
        t->failures[MK_INTENT_PHYSICS] += want > v->len + 1u ? 2u : 1u;
        return false;
    }
    if (v->cap != want)
        t->failures[MK_INTENT_PHYSICS]++;
    if (v->data != before)
        t->allocs[MK_INTENT_PHYSICS]++;
    return true;
}

/* Broad phase: a contact vector in frame memory, grown one contact at a time,
 * checked and dropped with the frame. */
static void physics(worker_t *w, uint32_t alive)
{
    MK_PHASE_SCOPE("physics");
    contact_vec_t contacts;
    mk_frame_vec_init(&contacts, MK_INTENT_PHYSICS);
    uint32_t n = alive / 2u + rng_range(&w->rng, 1u, 8u);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        contact_t c = {.a = i, .b = mix32(i), .depth = (int32_t)(mix32(i) & 0xffu)};
        if (!contact_push(&w->tally, &contacts, c))
            break; /* the physics budget is spent: fewer contacts this frame */
        sum += (uint64_t)c.depth;
    }
    uint64_t check = 0;
    for (size_t i = 0; i < contacts.len; i++)
        check += (uint64_t)mk_frame_vec_at(&contacts, i)->depth;
    if (check != sum)
        w->tally.corrupt++;
    w->tally.contacts += contacts.len;
}

/* Draw commands for the partition, sorted through scratch keys, kept for the
 * main thread to submit next frame. A particle burst every 50 frames asks the
 * render budget for more than it has: those batches are refused. */
static void render(worker_t *w, uint32_t alive, unsigned frame)
{
    MK_PHASE_SCOPE("render");
    draw_list_t *list = &w->draws[frame % 2u];
    *list = (draw_list_t){0};
    uint32_t *keys = counted(&w->tally, MK_INTENT_SCRATCH, mk_alloc(MK_INTENT_SCRATCH, ((size_t)alive + 1u) * sizeof *keys));
    draw_cmd_t *cmds = counted(&w->tally, MK_INTENT_RENDER, mk_alloc(MK_INTENT_RENDER, ((size_t)alive + 1u) * sizeof *cmds));
    if (cmds != NULL) {
        uint32_t n = 0;
        for (uint32_t slot = w->index; slot < ENTITY_SLOTS && n < alive; slot += game.workers) {
            const entity_t *e = mk_handle_get(game.entities[slot]);
            if (e == NULL)
                continue;
            uint32_t key = mix32(e->id) & 0xffffu;
            if (keys != NULL)
                keys[n] = key;
            cmds[n] = (draw_cmd_t){.entity = e->id, .material = e->id % 7u, .x = e->pos[0], .y = e->pos[1],
                                   .z = e->pos[2], .sort_key = key};
            list->sum += mix32(e->id ^ frame);
            n++;
        }
        list->cmds = cmds;
        list->count = n;
    }
    if (frame % 50u == 49u) {
        for (unsigned batch = 0; batch < 4u; batch++) {
            draw_cmd_t *particles = counted(&w->tally, MK_INTENT_RENDER, mk_alloc(MK_INTENT_RENDER, 96u * 1024u));
            if (particles != NULL)
                memset(particles, 0, 96u * 1024u);
        }
    }
}

static uint32_t voice_seal(const voice_t *v) { return mix32(v->id * 2654435761u); }

static int voice_intact(const voice_t *v)
{
    if (v->seal != voice_seal(v))
        return 0;
    for (uint32_t i = 0; i < VOICE_SAMPLES; i += 97u)
        if (v->samples[i] != (int16_t)(mix32(v->id + i) & 0x7fffu))
            return 0;
    return 1;
}

/* The mixer: voices live 10 to 60 frames. audio has on_exhausted = "panic", so
 * the demo keeps it far inside its budget (24 voices of 4 KiB). */
static void audio(worker_t *w)
{
    MK_PHASE_SCOPE("audio");
    for (uint32_t i = 0; i < w->voice_count;) {
        voice_t *v = w->voices[i];
        if (!voice_intact(v))
            w->tally.corrupt++;
        w->tally.mixed++;
        if (--v->frames_left == 0) {
            release(&w->tally, MK_INTENT_AUDIO, v);
            w->voices[i] = w->voices[--w->voice_count];
            continue;
        }
        i++;
    }
    if (w->voice_count < MAX_VOICES && rng_next(&w->rng) % 100u < 40u) {
        voice_t *v = counted(&w->tally, MK_INTENT_AUDIO, MK_NEW(MK_INTENT_AUDIO, voice_t));
        if (v == NULL)
            return;
        v->id = ++w->next_voice;
        v->frames_left = rng_range(&w->rng, 10u, 60u);
        v->seal = voice_seal(v);
        for (uint32_t i = 0; i < VOICE_SAMPLES; i++)
            v->samples[i] = (int16_t)(mix32(v->id + i) & 0x7fffu);
        w->voices[w->voice_count++] = v;
    }
}

static uint8_t payload_byte(uint32_t seq, uint32_t i) { return (uint8_t)(seq * 7u + i); }

/* Fills a request block with packet `seq` and moves it to the main thread. */
static void deliver_packet(worker_t *w, void *block, uint32_t seq, uint32_t len)
{
    w->tally.allocs[MK_INTENT_NETWORK]++;
    packet_t *p = block;
    p->seq = seq;
    p->len = len;
    p->seal = mix32(seq ^ len);
    unsigned char *payload = (unsigned char *)(p + 1);
    for (uint32_t i = 0; i < len; i++)
        payload[i] = payload_byte(seq, i);
    /* never full: each message holds one of the pool's blocks, and the
     * channel has a slot for each */
    if (mk_channel_try_send(MK_ASYNC_CHANNEL_DECODED, p, sizeof *p + len) != MK_OK)
        w->tally.corrupt++;
}

/* A waiting packet got its block (from mk_async_dispatch on the worker's loop). */
static void on_request_block(mk_async_waiter_t *waiter, mk_status_t status, mk_msg_t block)
{
    net_request_t *r = waiter->user;
    worker_t *w = r->worker;
    w->requests_busy &= ~(1u << (r - w->requests));
    if (status == MK_OK)
        deliver_packet(w, block.ptr, r->seq, r->len);
    else
        w->tally.corrupt++; /* a wait pool never times out */
}

/* Receives 0 to 4 packets a frame, and a flood of 320 every 75 frames. Each
 * takes a 4 KiB block of the async pool "requests" (64 of them): in a flood
 * the pool runs dry, and up to NET_REQUESTS packets wait on the worker's loop
 * for the blocks the main thread releases; the rest are dropped (the peer
 * resends). */
static void network(worker_t *w, unsigned frame)
{
    MK_PHASE_SCOPE("network");
    mk_async_dispatch(&w->net_loop, mk_async_now()); /* last frame's waiting packets */
    uint32_t count = frame % 75u == 74u ? 320u : rng_range(&w->rng, 0u, 4u);
    for (uint32_t k = 0; k < count; k++) {
        uint32_t len = count > 4u ? rng_range(&w->rng, 800u, 1400u) : rng_range(&w->rng, 32u, 1400u);
        uint32_t seq = ++w->next_seq;
        if (w->requests_busy == ~0u) {
            w->net_dropped++;
            continue;
        }
        unsigned i = (unsigned)__builtin_ctz(~w->requests_busy);
        net_request_t *r = &w->requests[i];
        *r = (net_request_t){.worker = w, .seq = seq, .len = len};
        void *block = NULL;
        mk_status_t status = mk_async_acquire(MK_ASYNC_POOL_REQUESTS, &block, &w->net_loop, &r->waiter,
                                              on_request_block, r);
        if (status == MK_OK) {
            deliver_packet(w, block, seq, len);
        } else if (status == MK_PENDING) {
            w->requests_busy |= 1u << i;
            w->net_waited++;
        } else {
            w->tally.failures[MK_INTENT_NETWORK]++; /* MK_EBUDGET */
        }
    }
}

/* After the workers stopped: withdraws the packets still waiting for a block. */
static void network_stop(worker_t *w)
{
    for (unsigned i = 0; i < NET_REQUESTS; i++)
        if ((w->requests_busy & (1u << i)) != 0u && mk_async_cancel(&w->requests[i].waiter) != MK_OK)
            w->tally.corrupt++; /* only the worker's dispatch completes them, and it stopped */
    w->requests_busy = 0;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    for (;;) {
        barrier_wait(&game.start);
        if (game.quit)
            break;
        unsigned frame = game.frame;
        uint32_t alive = simulate(w);
        physics(w, alive);
        render(w, alive, frame);
        if (w->index == 1u % game.workers)
            audio(w);
        if (w->index == 2u % game.workers)
            network(w, frame);
        barrier_wait(&game.end);
    }
    while (w->voice_count > 0)
        release(&w->tally, MK_INTENT_AUDIO, w->voices[--w->voice_count]);
    return NULL; /* memkit flushes this thread's caches as it exits */
}

/* ---- the main thread's share ------------------------------------------------------ */

/* Submits last frame's draw lists (built by the workers in frame - 1, still
 * valid: frames_in_flight = 2). */
static void submit_draws(unsigned frame)
{
    if (frame == 0)
        return;
    for (unsigned i = 0; i < game.workers; i++) {
        const draw_list_t *list = &game.worker[i].draws[(frame - 1u) % 2u];
        uint32_t sum = 0;
        for (uint32_t c = 0; c < list->count; c++)
            sum += mix32(list->cmds[c].entity ^ (frame - 1u));
        if (sum != list->sum)
            game.tally.corrupt++;
        game.tally.draws += list->count;
    }
}

/* Live entities, counted between frames (the workers' tallies are theirs during one). */
static uint64_t live_entities(void)
{
    uint64_t live = game.spawned - game.tally.despawned;
    for (unsigned i = 0; i < game.workers; i++)
        live -= game.worker[i].tally.despawned;
    return live;
}

/* A HUD line in frame memory (ui): built, drawn, never freed. */
static void hud(unsigned frame, uint64_t live)
{
    MK_PHASE_SCOPE("ui");
    char *line = counted(&game.tally, MK_INTENT_UI,
                         mk_frame_printf(MK_INTENT_UI, "frame %u  entities %" PRIu64 "  assets %u  meshes %u", frame,
                                         live, game.asset_count, game.mesh_count));
    if (line != NULL && strncmp(line, "frame ", 6u) != 0)
        game.tally.corrupt++;
}

/* Applies and frees what last frame's decode job recorded (the "updates" task). */
static void apply_updates(void)
{
    for (const update_t *u = game.updates_list; u != NULL; u = u->next)
        if (u->sum != mix32(u->seq ^ u->len))
            game.tally.corrupt++;
    game.tally.frees[MK_INTENT_JOBS] += mk_task_chunks(&game.updates);
    mk_task_end(&game.updates);
    game.updates_list = NULL;
}

/* Receives the packets the network worker moved through the channel, checks
 * them, copies their payloads into one reassembly buffer (a large per-frame
 * temporary from memkit's scratch buffers, allocated once and reused) and
 * releases their blocks, which grants the worker's waiting packets. A decode
 * job records each packet in its task arena; its chunks are handed off,
 * zero-copy, to the "updates" task, applied a frame later. */
static void drain_network(void)
{
    MK_PHASE_SCOPE("network");
    packet_t *got[64]; /* the pool's 64 blocks: no more can be in the channel */
    uint32_t n = 0;
    size_t total = 0;
    mk_msg_t msg;
    while (n < 64u && mk_channel_try_recv(MK_ASYNC_CHANNEL_DECODED, &msg) == MK_OK) {
        got[n] = msg.ptr;
        if (msg.len != sizeof(packet_t) + got[n]->len)
            game.tally.corrupt++;
        total += got[n++]->len;
    }
    unsigned char *stream = total != 0 ? scratch_acquire(total) : NULL;
    mk_task_t job;
    if (mk_task_begin(&job, MK_ASYNC_ARENA_JOBS, NULL) != MK_OK)
        game.tally.corrupt++;
    update_t *list = NULL;
    size_t at = 0;
    for (uint32_t k = 0; k < n; k++) {
        packet_t *p = got[k];
        const unsigned char *payload = (const unsigned char *)(p + 1);
        int ok = p->seal == mix32(p->seq ^ p->len);
        for (uint32_t b = 0; ok && b < p->len; b++)
            ok = payload[b] == payload_byte(p->seq, b);
        if (!ok)
            game.tally.corrupt++;
        if (stream != NULL) {
            memcpy(stream + at, payload, p->len);
            if (stream[at + p->len - 1u] != payload_byte(p->seq, p->len - 1u))
                game.tally.corrupt++;
            at += p->len;
        }
        update_t *u = mk_task_alloc(&job, sizeof *u);
        if (u != NULL) {
            *u = (update_t){list, p->seq, p->len, mix32(p->seq ^ p->len), 0};
            list = u;
        } else {
            game.tally.corrupt++; /* 64 records fit one chunk */
        }
        mk_async_release(p);
        game.tally.frees[MK_INTENT_NETWORK]++;
    }
    scratch_release(stream);
    game.tally.allocs[MK_INTENT_JOBS] += mk_task_chunks(&job);
    apply_updates();
    if (mk_task_begin(&game.updates, MK_ASYNC_ARENA_JOBS, NULL) != MK_OK || mk_task_handoff(&job, &game.updates) != MK_OK)
        game.tally.corrupt++;
    game.updates_list = list;
    mk_task_end(&job); /* empty now: its chunks are the updates task's */
}

/* A "third-party" texture decoder: it knows nothing of intents and allocates
 * its 16 KiB work table with mk_alloc_current, freeing it before it returns.
 * The caller decides what that memory is for (mk_with_intent). Returns 0 when
 * the table cannot be had. */
#define DECODER_TABLE_WORDS 4096u
static int third_party_decode(const uint32_t *packed, size_t words, uint32_t *out)
{
    uint32_t *table = mk_alloc_current(DECODER_TABLE_WORDS * sizeof *table);
    if (table == NULL)
        return 0;
    for (size_t base = 0; base < words; base += DECODER_TABLE_WORDS) {
        size_t n = words - base < DECODER_TABLE_WORDS ? words - base : DECODER_TABLE_WORDS;
        for (size_t i = 0; i < n; i++)
            table[i] = mix32(packed[base + i]);
        memcpy(out + base, table, n * sizeof *table);
    }
    mk_free(table);
    return 1;
}

static int asset_intact(const asset_t *a)
{
    for (size_t i = 0; i < a->bytes / sizeof(uint32_t); i++)
        if (a->texels[i] != mix32(a->id ^ (uint32_t)i))
            return 0;
    return 1;
}

static void unload_asset(uint32_t index)
{
    asset_t *a = &game.assets[index];
    if (!asset_intact(a))
        game.tally.corrupt++;
    release(&game.tally, MK_INTENT_ASSETS, a->texels);
    game.assets[index] = game.assets[--game.asset_count];
}

/* Every 8 frames a texture streams in (64 KiB to 1 MiB, 256-aligned): its
 * packed form lands in a scratch buffer, the decoder expands it into the
 * texture under the assets intent. The oldest goes when 12 are loaded. */
static void stream_texture(uint64_t *rng, unsigned frame)
{
    if (frame % 8u != 0u)
        return;
    if (game.asset_count == MAX_ASSETS)
        unload_asset(0);
    size_t bytes = (size_t)rng_range(rng, 16u, 256u) * 4096u;
    size_t words = bytes / sizeof(uint32_t);
    uint32_t *texels = counted(&game.tally, MK_INTENT_ASSETS, mk_alloc_aligned(MK_INTENT_ASSETS, bytes, ASSET_ALIGN));
    if (texels == NULL)
        return;
    if ((uintptr_t)texels % ASSET_ALIGN != 0u)
        game.tally.corrupt++;
    uint32_t id = ++game.next_asset;
    uint32_t *packed = scratch_acquire(bytes);
    int decoded = 0;
    if (packed != NULL) {
        for (size_t i = 0; i < words; i++)
            packed[i] = id ^ (uint32_t)i;
        mk_with_intent(MK_INTENT_ASSETS) decoded = third_party_decode(packed, words, texels);
        scratch_release(packed);
        /* the decoder's table: one allocation and one free of the current intent, or one failure */
        if (decoded) {
            game.tally.allocs[MK_INTENT_ASSETS]++;
            game.tally.frees[MK_INTENT_ASSETS]++;
            game.decodes++;
        } else {
            game.tally.failures[MK_INTENT_ASSETS]++;
        }
    }
    if (!decoded) {
        release(&game.tally, MK_INTENT_ASSETS, texels);
        return;
    }
    game.assets[game.asset_count++] = (asset_t){.texels = texels, .bytes = bytes, .id = id};
}

static uint32_t mesh_seal(const mesh_t *m) { return mix32(m->id ^ mix32(m->vertices ^ m->checksum)); }

static void unload_mesh(uint32_t index)
{
    mk_handle_t h = game.meshes[index];
    const mesh_t *m = mk_handle_get(h);
    if (m == NULL || m->seal != mesh_seal(m))
        game.tally.corrupt++;
    if (m != NULL)
        demo_gpu_mesh_release(m->gpu_buffer);
    if (mk_handle_free(h) != MK_OK)
        game.tally.corrupt++;
    memmove(&game.meshes[index], &game.meshes[index + 1u], (game.mesh_count - index - 1u) * sizeof game.meshes[0]);
    game.mesh_count--;
}

/* Half the frames a mesh streams in: a descriptor behind a handle of the
 * meshes table and its vertex data in an upload buffer (assets). The upload
 * is handed to the "GPU", which reads it for two more frames, so it is freed
 * with mk_free_deferred: memkit keeps it allocated, and charged to assets,
 * until the second mk_end_frame from now. */
static void stream_mesh(uint64_t *rng)
{
    if (rng_next(rng) % 2u != 0u || game.upload_count == MAX_UPLOADS)
        return;
    if (game.mesh_count == MAX_MESHES)
        unload_mesh(0);
    mk_handle_t h = mk_handle_alloc(MK_HANDLES_MESHES);
    if (mk_handle_is_null(h)) {
        game.tally.handle_full++;
        return;
    }
    uint32_t vertices = rng_range(rng, 256u, 2048u);
    size_t words = (size_t)vertices * 8u; /* 32 bytes a vertex */
    uint32_t *data = counted(&game.tally, MK_INTENT_ASSETS, mk_alloc(MK_INTENT_ASSETS, words * sizeof *data));
    if (data == NULL) {
        mk_handle_free(h);
        return;
    }
    mesh_t *m = mk_handle_get(h);
    m->id = ++game.next_mesh;
    m->vertices = vertices;
    for (size_t i = 0; i < words; i++) {
        data[i] = mix32(m->id * 31u + (uint32_t)i);
        m->checksum += data[i];
    }
    m->seal = mesh_seal(m);
    m->gpu_buffer = demo_gpu_mesh_upload(data, words * sizeof *data); /* through the staging ring */
    game.meshes[game.mesh_count++] = h;

    uint64_t before = intent_current(MK_INTENT_ASSETS);
    if (mk_free_deferred(data, UPLOAD_FRAMES) != MK_OK) {
        release(&game.tally, MK_INTENT_ASSETS, data); /* still ours: free it now */
        return;
    }
    game.tally.frees[MK_INTENT_ASSETS]++; /* counted by memkit when released */
    if (intent_current(MK_INTENT_ASSETS) != before) /* deferred: still allocated, still charged */
        game.tally.corrupt++;
    game.uploads[game.upload_count++] = (upload_t){.data = data, .words = words, .charged = mk_usable_size(data),
                                                   .checksum = m->checksum,
                                                   .due = game.frames_ended + UPLOAD_FRAMES};
}

/* The "GPU" reads the upload buffers still in flight: memkit has not freed them. */
static void gpu_read_uploads(void)
{
    for (uint32_t i = 0; i < game.upload_count; i++) {
        const upload_t *u = &game.uploads[i];
        uint32_t sum = 0;
        for (size_t k = 0; k < u->words; k++)
            sum += u->data[k];
        if (sum != u->checksum)
            game.tally.corrupt++;
    }
}

/* Ends the frame and checks what the deferred frees did: the uploads due now
 * were released inside mk_end_frame (the assets intent dropped by exactly their
 * bytes), the others are still pending. Called while no worker runs. */
static void end_frame(void)
{
    uint64_t before = intent_current(MK_INTENT_ASSETS);
    mk_end_frame();
    uint64_t due_bytes = 0;
    for (uint32_t i = 0; i < game.upload_count;) {
        if (game.uploads[i].due <= game.frames_ended) {
            due_bytes += game.uploads[i].charged;
            game.uploads[i] = game.uploads[--game.upload_count];
            game.uploads_released++;
            continue;
        }
        i++;
    }
    if (before - intent_current(MK_INTENT_ASSETS) != due_bytes || mk_deferred_pending() != game.upload_count)
        game.tally.corrupt++;
}

/* Halfway through, the atlas is repainted. Entities still hold the old
 * version: mk_shared_make_mut copies it (their copy stays intact) and the main
 * thread paints the new one, which later entities share. */
static void repaint_atlas(unsigned frame)
{
    if (frame != game.frames / 2u)
        return;
    mk_shared_t *old = game.atlas;
    const void *old_data = mk_shared_data(old);
    game.atlas_refs_at_repaint = mk_shared_refcount(old);
    uint32_t *texels = mk_shared_make_mut(&game.atlas);
    if (texels == NULL) {
        game.tally.failures[MK_INTENT_ASSETS]++;
        return;
    }
    if (game.atlas_refs_at_repaint > 1u) { /* shared: a copy, one allocation */
        game.tally.allocs[MK_INTENT_ASSETS]++;
        game.atlas_versions++;
        if (game.atlas == old || (const void *)texels == old_data || mk_shared_refcount(game.atlas) != 1u)
            game.tally.corrupt++;
    }
    game.atlas_seed = mix32(game.atlas_seed + 1u);
    for (uint32_t i = 0; i < ATLAS_WORDS; i++)
        texels[i] = atlas_texel(game.atlas_seed, i);
}

/* A fresh session key every 50 frames; the oldest of 4 is retired (memkit
 * clears it: session_keys has zero_on_free = true). */
static void rotate_keys(uint64_t *rng, unsigned frame)
{
    if (frame % 50u != 0u)
        return;
    if (game.key_count == MAX_KEYS) {
        release(&game.tally, MK_INTENT_SESSION_KEYS, game.keys[0]);
        memmove(&game.keys[0], &game.keys[1], (MAX_KEYS - 1u) * sizeof game.keys[0]);
        game.key_count--;
    }
    unsigned char *key = counted(&game.tally, MK_INTENT_SESSION_KEYS, mk_alloc(MK_INTENT_SESSION_KEYS, 32u));
    if (key == NULL)
        return;
    for (unsigned i = 0; i < 32u; i++)
        key[i] = (unsigned char)rng_next(rng);
    game.keys[game.key_count++] = key;
}

/* Every 100 frames a level section unloads: a quarter of the entities go,
 * with paths the workers built; the entity table is compacted (handles keep
 * working, blocks move) and memkit's structures are checked. */
static void unload_section(unsigned frame)
{
    if (frame % 100u != 99u)
        return;
    for (uint32_t slot = 0; slot < ENTITY_SLOTS; slot++) {
        const entity_t *e = mk_handle_get(game.entities[slot]);
        if (e != NULL && e->id % 4u == 0u)
            despawn(&game.tally, slot);
    }
    game.defragment_moves += mk_handles_defragment(MK_HANDLES_ENTITIES);
    if (mk_validate_report(stderr) != MK_OK)
        game.tally.corrupt++;
}

/* ---- the end: free everything, compare, report ------------------------------------ */

static int check_run(int gpu_ok, const char *gpu_line)
{
    int ok = 1;
    tally_t sum = game.tally;
    for (unsigned i = 0; i < game.workers; i++) {
        const tally_t *t = &game.worker[i].tally;
        for (unsigned k = 0; k < MKG_INTENT_COUNT; k++) {
            sum.allocs[k] += t->allocs[k];
            sum.frees[k] += t->frees[k];
            sum.failures[k] += t->failures[k];
        }
        sum.corrupt += t->corrupt;
        sum.despawned += t->despawned;
        sum.contacts += t->contacts;
        sum.mixed += t->mixed;
        sum.plans += t->plans;
    }
    mk_stats_t s;
    if (mk_stats_get(&s) != MK_OK) {
        fprintf(stderr, "game_loop: mk_stats_get failed\n");
        return 0;
    }
    uint64_t failures = 0;
    for (unsigned k = 0; k < MKG_INTENT_COUNT; k++) {
        const mk_intent_stats_t *is = &s.intents[k];
        int frame_tier = is->tier == MK_TIER_FRAME;
        failures += sum.failures[k];
        if (is->allocations != sum.allocs[k] || is->failures != sum.failures[k] ||
            (!frame_tier && is->frees != sum.frees[k])) {
            fprintf(stderr,
                    "game_loop: intent %s: memkit counted %" PRIu64 " allocations, %" PRIu64 " frees, %" PRIu64
                    " failures; the demo %" PRIu64 ", %" PRIu64 ", %" PRIu64 "\n",
                    is->name, is->allocations, is->frees, is->failures, sum.allocs[k], sum.frees[k],
                    sum.failures[k]);
            ok = 0;
        }
        if (!frame_tier && is->current != 0) {
            fprintf(stderr, "game_loop: intent %s still holds %" PRIu64 " bytes after everything was freed\n",
                    is->name, is->current);
            ok = 0;
        }
    }
    if (s.tiers[MK_TIER_POOL].used != 0) {
        fprintf(stderr, "game_loop: %" PRIu64 " pool bytes not back on the global lists\n", s.tiers[MK_TIER_POOL].used);
        ok = 0;
    }
    if (sum.failures[MK_INTENT_RENDER] != atomic_load(&oom_calls)) {
        fprintf(stderr, "game_loop: %u oom handler calls for %" PRIu64 " render failures\n", atomic_load(&oom_calls),
                sum.failures[MK_INTENT_RENDER]);
        ok = 0;
    }
    if (sum.despawned != game.spawned || sum.corrupt != 0) {
        fprintf(stderr, "game_loop: %" PRIu64 " entities spawned, %" PRIu64 " despawned, %" PRIu64 " corrupt\n",
                game.spawned, sum.despawned, sum.corrupt);
        ok = 0;
    }
    if (game.stale_checked != sum.despawned || game.stale_resolved != 0) {
        fprintf(stderr, "game_loop: %" PRIu64 " stale handles checked for %" PRIu64 " despawned, %" PRIu64
                " resolved\n", game.stale_checked, sum.despawned, game.stale_resolved);
        ok = 0;
    }
    size_t live_entities_left = mk_handles_live(MK_HANDLES_ENTITIES), live_meshes_left = mk_handles_live(MK_HANDLES_MESHES);
    size_t shared_left = mk_shared_live(), deferred_left = mk_deferred_pending();
    if (live_entities_left != 0 || live_meshes_left != 0 || shared_left != 0 || deferred_left != 0 ||
        game.upload_count != 0) {
        fprintf(stderr, "game_loop: left at the end: %zu entity handles, %zu mesh handles, %zu shared buffers, %zu "
                "deferred frees\n", live_entities_left, live_meshes_left, shared_left, deferred_left);
        ok = 0;
    }
    if (game.frames_ended != mk_frame_index()) {
        fprintf(stderr, "game_loop: the frame-end callback ran %" PRIu64 " times for %" PRIu64 " frames\n",
                game.frames_ended, mk_frame_index());
        ok = 0;
    }
    mk_status_t valid = mk_validate_report(stderr);
    if (valid != MK_OK) {
        fprintf(stderr, "game_loop: mk_validate: %s\n", mk_status_str(valid));
        ok = 0;
    }
    printf("\nentities: %" PRIu64 " spawned and despawned intact, every stale handle refused (%" PRIu64
           " checked), %zu blocks moved by compaction\n",
           game.spawned, game.stale_checked, game.defragment_moves);
    printf("frames: %" PRIu64 " contacts, %" PRIu64 " draw commands submitted, %" PRIu64 " voice-frames mixed, %" PRIu64
           " speculative plans rewound\n",
           sum.contacts, sum.draws, sum.mixed, sum.plans);
    printf("assets: %" PRIu64 " textures decoded, %" PRIu64 " mesh uploads freed deferred (%u frames) and drained, "
           "scratch reused %" PRIu64 " times, atlas shared by %" PRIu64 " holders when repainted\n",
           game.decodes, game.uploads_released, UPLOAD_FRAMES, game.scratch_reused, game.atlas_refs_at_repaint);
    uint64_t waited = 0, dropped = 0;
    for (unsigned i = 0; i < game.workers; i++) {
        waited += game.worker[i].net_waited;
        dropped += game.worker[i].net_dropped;
    }
    printf("network: %" PRIu64 " packets moved zero-copy to the main thread, %" PRIu64 " of them waited for a request "
           "block (backpressure \"wait\"), %" PRIu64 " dropped; decode jobs handed off %" PRIu64 " task-arena chunks\n",
           sum.allocs[MK_INTENT_NETWORK], waited, dropped, sum.allocs[MK_INTENT_JOBS]);
    printf("%s\n", gpu_line);
    if (!gpu_ok)
        ok = 0;
    printf("%" PRIu64 " allocations refused and handled; %" PRIu64 " frame-end callbacks; mk_validate: %s\n", failures,
           game.frames_ended, mk_status_str(valid));
    printf("%s\n", ok ? "consistent: memkit's counters match the demo's, nothing left in use"
                      : "INCONSISTENT (see above)");
    return ok;
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--frames N] [--workers N (1..%d)] [--gpu auto|vulkan|mock] [--validate] [--record PATH]\n"
            "  --record PATH  save the recording for memkit-lens there (default: $MEMKIT_RECORDING, if set)\n",
            argv0, MAX_WORKERS);
}

int main(int argc, char **argv)
{
    game.frames = 300;
    game.workers = 3;
    demo_gpu_mode_t gpu_mode = DEMO_GPU_AUTO;
    bool validate = false;
    const char *record_path = getenv("MEMKIT_RECORDING");
    for (int i = 1; i < argc; i += 2) {
        if (strcmp(argv[i], "--validate") == 0) {
            validate = true;
            i--; /* no value */
            continue;
        }
        const char *text = i + 1 < argc ? argv[i + 1] : "";
        char *end = NULL;
        long value = i + 1 < argc ? strtol(text, &end, 10) : -1;
        int valid = end != NULL && end != text && *end == '\0';
        if (strcmp(argv[i], "--frames") == 0 && valid && value >= 1 && value <= 1000000) {
            game.frames = (unsigned)value;
        } else if (strcmp(argv[i], "--workers") == 0 && valid && value >= 1 && value <= MAX_WORKERS) {
            game.workers = (unsigned)value;
        } else if (strcmp(argv[i], "--gpu") == 0 && strcmp(text, "auto") == 0) {
            gpu_mode = DEMO_GPU_AUTO;
        } else if (strcmp(argv[i], "--gpu") == 0 && strcmp(text, "vulkan") == 0) {
            gpu_mode = DEMO_GPU_VULKAN;
        } else if (strcmp(argv[i], "--gpu") == 0 && strcmp(text, "mock") == 0) {
            gpu_mode = DEMO_GPU_MOCK;
        } else if (strcmp(argv[i], "--record") == 0 && i + 1 < argc && *text != '\0') {
            record_path = text;
        } else {
            usage(argv[0]);
            return 2;
        }
    }

    mk_status_t status = mk_init(&mkg_config);
    if (status != MK_OK) {
        fprintf(stderr, "game_loop: mk_init: %s\n", mk_status_str(status));
        return 1;
    }
    mk_set_oom_handler(on_out_of_memory, NULL);
    if (mk_on_frame_end(on_frame_end, &game) != MK_OK) {
        fprintf(stderr, "game_loop: mk_on_frame_end refused\n");
        return 1;
    }
    printf("memkit game loop: %u frames, %u threads (main + %u workers), config %s sha256 %.12s\n", game.frames,
           game.workers + 1u, game.workers, mkg_config.source_name, mkg_config.source_sha256);
    int gpu_rc = demo_gpu_start(gpu_mode, validate);
    if (gpu_rc != 0)
        return gpu_rc; /* 77: --gpu vulkan without a driver */

    /* The atlas: one texture that many entities hold a reference to. */
    game.atlas = counted(&game.tally, MK_INTENT_ASSETS,
                         mk_shared_new(MK_INTENT_ASSETS, ATLAS_WORDS * sizeof(uint32_t), "atlas"));
    if (game.atlas == NULL) {
        fprintf(stderr, "game_loop: no atlas: %s\n", mk_status_str(mk_last_error()));
        return 1;
    }
    game.atlas_versions = 1;
    game.atlas_seed = 0x5eed0001u;
    uint32_t *atlas = mk_shared_data(game.atlas);
    for (uint32_t i = 0; i < ATLAS_WORDS; i++)
        atlas[i] = atlas_texel(game.atlas_seed, i);

    barrier_init(&game.start, game.workers + 1u);
    barrier_init(&game.end, game.workers + 1u);
    for (unsigned i = 0; i < game.workers; i++) {
        worker_t *w = &game.worker[i];
        w->index = i;
        mk_async_loop_init(&w->net_loop, NULL); /* no hooks: the worker polls it once a frame */
        w->rng = 0x9e3779b97f4a7c15ull * (i + 2u);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            fprintf(stderr, "game_loop: cannot start worker %u\n", i);
            return 1;
        }
    }

    uint64_t rng = 0x2545f4914f6cdd1dull;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (unsigned frame = 0; frame < game.frames; frame++) {
        mk_begin_frame();
        demo_gpu_begin_frame(); /* the GPU's frame runs alongside the CPU's */
        {
            MK_PHASE_SCOPE("spawn");
            unload_section(frame);
            spawn_entities(&rng);
        }
        uint64_t live = live_entities();
        if (mk_handles_live(MK_HANDLES_ENTITIES) != live)
            game.tally.corrupt++;
        game.frame = frame;
        barrier_wait(&game.start); /* the workers simulate, collide, build draw lists */
        submit_draws(frame);       /* meanwhile: last frame's draw lists go to the GPU */
        hud(frame, live);
        barrier_wait(&game.end);
        drain_network();
        {
            MK_PHASE_SCOPE("assets");
            repaint_atlas(frame);
            stream_texture(&rng, frame);
            stream_mesh(&rng);
            gpu_read_uploads();
        }
        rotate_keys(&rng, frame);
        demo_gpu_end_frame(live);
        end_frame();
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    game.quit = 1;
    barrier_wait(&game.start);
    for (unsigned i = 0; i < game.workers; i++)
        pthread_join(game.worker[i].thread, NULL);
    for (unsigned i = 0; i < game.workers; i++)
        network_stop(&game.worker[i]);
    barrier_destroy(&game.start);
    barrier_destroy(&game.end);

    /* Free what is still held: entities and their paths, packets, textures,
     * meshes, keys, the atlas, the kept scratch buffers. */
    for (uint32_t slot = 0; slot < ENTITY_SLOTS; slot++)
        if (!mk_handle_is_null(game.entities[slot]))
            despawn(&game.tally, slot);
    for (uint32_t slot = 0; slot < ENTITY_SLOTS; slot++)
        check_stale(slot);
    drain_network();
    apply_updates();
    while (game.asset_count > 0)
        unload_asset(game.asset_count - 1u);
    while (game.mesh_count > 0)
        unload_mesh(game.mesh_count - 1u);
    while (game.key_count > 0)
        release(&game.tally, MK_INTENT_SESSION_KEYS, game.keys[--game.key_count]);
    mk_shared_release(game.atlas); /* the last reference to every version: all freed now */
    game.atlas = NULL;
    if (mk_shared_live() == 0)
        game.tally.frees[MK_INTENT_ASSETS] += game.atlas_versions;
    mk_scratch_trim();
    game.tally.frees[MKG_SCRATCH_INTENT] += game.scratch_kept;
    game.scratch_kept = 0;
    /* The "GPU" finishes: a few empty frames until the deferred frees are released. */
    for (unsigned extra = 0; extra < UPLOAD_FRAMES && mk_deferred_pending() > 0; extra++) {
        mk_begin_frame();
        demo_gpu_begin_frame();
        gpu_read_uploads();
        demo_gpu_end_frame(0);
        end_frame();
    }
    mk_thread_detach(); /* hand the main thread's pool caches back too */

    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("%u frames in %.1f ms (%.3f ms a frame)\n\n", game.frames, ms, ms / game.frames);
    mk_stats_print(stdout); /* the GPU heaps too: the tier is still up */
    if (record_path != NULL && *record_path != '\0') {
        mk_status_t saved = mk_record_save(record_path);
        if (saved == MK_OK)
            printf("\nrecording for memkit-lens (the last %u frames at most): %s\n", (unsigned)MKG_RECORD_FRAMES,
                   record_path);
        else
            fprintf(stderr, "game_loop: mk_record_save(%s): %s\n", record_path, mk_status_str(saved));
    }
    char gpu_line[512];
    int gpu_ok = demo_gpu_finish(gpu_line, sizeof gpu_line);
    int ok = check_run(gpu_ok, gpu_line);
    mk_shutdown();
    return ok ? 0 : 1;
}
