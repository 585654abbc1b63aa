/* game_loop.c — memkit's demo: a small game's frame loop on several threads.
 *
 * Every allocation names what the memory is for (an intent of
 * memkit.toml.example); memkit routes it to a tier and charges its budget:
 *
 *   entities, ai       pool "small"  entities spawned by the main thread,
 *                                    simulated and despawned by the workers
 *                                    (freed on another thread than allocated);
 *                                    AI path nodes rebuilt now and then
 *   physics, render,   frame         contact lists, draw commands, sort keys and
 *   scratch, ui                      HUD strings: allocated inside the frame,
 *                                    never freed, gone two frames later
 *   audio, network     pool "large"  mixer voices; packets received by a worker
 *                                    and consumed (freed) by the main thread
 *   assets             heap          textures of 64 KiB to 1 MiB, streamed in and out
 *   session_keys       heap          secrets, cleared by memkit when freed
 *
 * The main thread drives mk_begin_frame()/mk_end_frame() and meets the workers
 * at two barriers per frame. Draw lists built in frame N are submitted (read)
 * by the main thread during frame N + 1: frames_in_flight = 2 keeps them valid.
 * Some frames are deliberately too heavy (a particle burst, a packet flood):
 * the allocations that do not fit in their budgets fail and are counted, and
 * the game carries on.
 *
 * At the end every block still held is freed and the run is checked: entity
 * data intact, memkit's per-intent counters equal to the demo's own tally, and
 * nothing left in use in the pool and heap intents. Exit status 0 if so.
 *
 *   game_loop [--frames N] [--workers N]
 */
#define _POSIX_C_SOURCE 200809L

#include <memkit/memkit.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the game's data ------------------------------------------------------- */

#define MAX_ENTITIES 8192u
#define MAX_WORKERS (MKG_MAX_THREADS - 1) /* the main thread takes a slot too */
#define MAX_ASSETS 12u
#define MAX_KEYS 4u
#define MAX_VOICES 24u
#define INBOX_CAPACITY 512u
#define ASSET_ALIGN 256u /* what a GPU upload wants */

typedef struct path_node { /* 24 bytes: pool "small", class 32 */
    int32_t x, y;
    uint32_t owner; /* entity id */
    uint32_t seal;
    struct path_node *next;
} path_node_t;

typedef struct entity { /* 48 bytes: pool "small", class 48 */
    uint32_t id;
    uint32_t lifetime; /* frames to live */
    uint32_t updates;  /* frames simulated so far */
    uint32_t seal;     /* hash of id and lifetime */
    int32_t pos[3];    /* fixed point: origin(id) + vel * updates */
    int32_t vel[3];
    path_node_t *path;
} entity_t;

typedef struct contact { /* physics, frame memory */
    uint32_t a, b;
    int32_t depth;
    uint32_t pad;
} contact_t;

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

typedef struct asset {
    uint32_t *texels;
    size_t bytes;
    uint32_t id;
} asset_t;

/* What one thread did, counted by the demo itself and compared at the end with
 * memkit's statistics. Each thread writes its own. */
typedef struct tally {
    uint64_t allocs[MKG_INTENT_COUNT];
    uint64_t frees[MKG_INTENT_COUNT];
    uint64_t failures[MKG_INTENT_COUNT];
    uint64_t corrupt; /* data found damaged */
    uint64_t despawned;
    uint64_t contacts;
    uint64_t draws;
    uint64_t mixed;
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
    /* network worker: packets received this frame, drained by the main thread */
    packet_t *inbox[INBOX_CAPACITY];
    uint32_t inbox_count, next_seq;
} worker_t;

static struct game {
    unsigned workers;
    unsigned frames;
    unsigned frame; /* set by the main thread before the start barrier */
    int quit;
    barrier_t start, end;
    entity_t *entities[MAX_ENTITIES]; /* slot s belongs to worker s % workers during a frame */
    worker_t worker[MAX_WORKERS];
    asset_t assets[MAX_ASSETS];
    uint32_t asset_count, next_asset;
    void *keys[MAX_KEYS];
    uint32_t key_count;
    uint32_t next_entity;
    uint64_t spawned;
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

/* ---- entities and AI paths (pool "small") -------------------------------------- */

static int32_t origin(uint32_t id, unsigned axis) { return (int32_t)(mix32(id * 3u + axis) % 2000001u) - 1000000; }
static int32_t velocity(uint32_t id, unsigned axis) { return (int32_t)(mix32(id ^ (0x9e3779b9u + axis)) % 2001u) - 1000; }
static uint32_t entity_seal(const entity_t *e) { return mix32(e->id ^ mix32(e->lifetime)); }
static uint32_t node_seal(uint32_t owner, int32_t x, int32_t y) { return mix32(owner ^ mix32((uint32_t)x ^ ((uint32_t)y << 7))); }

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

/* A new path of 1 to 6 nodes; a node the ai pool cannot give ends it early. */
static void plan_path(tally_t *t, uint64_t *rng, entity_t *e)
{
    free_path(t, e);
    uint32_t nodes = rng_range(rng, 1u, 6u);
    for (uint32_t i = 0; i < nodes; i++) {
        path_node_t *n = counted(t, MK_INTENT_AI, MK_NEW(MK_INTENT_AI, path_node_t));
        if (n == NULL)
            break;
        n->x = e->pos[0] + (int32_t)rng_range(rng, 0u, 2000u) - 1000;
        n->y = e->pos[1] + (int32_t)rng_range(rng, 0u, 2000u) - 1000;
        n->owner = e->id;
        n->seal = node_seal(e->id, n->x, n->y);
        n->next = e->path;
        e->path = n;
    }
}

static void despawn(tally_t *t, uint32_t slot)
{
    entity_t *e = game.entities[slot];
    if (!entity_intact(e))
        t->corrupt++;
    free_path(t, e);
    /* the size is known here: mk_free_sized skips the address lookup */
    mk_free_sized(MK_INTENT_ENTITIES, e, sizeof *e);
    t->frees[MK_INTENT_ENTITIES]++;
    t->despawned++;
    game.entities[slot] = NULL;
}

/* Main thread, between frames' work: new entities (20 to 29 a frame). */
static void spawn_entities(uint64_t *rng)
{
    uint32_t want = rng_range(rng, 20u, 29u);
    for (uint32_t slot = rng_next(rng) % MAX_ENTITIES, seen = 0; want > 0 && seen < MAX_ENTITIES;
         slot = (slot + 1u) % MAX_ENTITIES, seen++) {
        if (game.entities[slot] != NULL)
            continue;
        entity_t *e = counted(&game.tally, MK_INTENT_ENTITIES, MK_NEW(MK_INTENT_ENTITIES, entity_t));
        if (e == NULL)
            return; /* entities have on_exhausted = "fail": no room, no spawn */
        e->id = ++game.next_entity;
        e->lifetime = rng_range(rng, 30u, 200u);
        e->updates = 0;
        e->seal = entity_seal(e);
        for (unsigned axis = 0; axis < 3; axis++) {
            e->pos[axis] = origin(e->id, axis);
            e->vel[axis] = velocity(e->id, axis);
        }
        e->path = NULL;
        game.entities[slot] = e;
        game.spawned++;
        want--;
    }
}

/* ---- a worker's frame ------------------------------------------------------------ */

/* Entities of this worker's partition: check, step, maybe re-plan, despawn
 * the expired ones (mostly blocks the main thread allocated). Returns how many
 * remain. */
static uint32_t simulate(worker_t *w)
{
    uint32_t alive = 0;
    for (uint32_t slot = w->index; slot < MAX_ENTITIES; slot += game.workers) {
        entity_t *e = game.entities[slot];
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
        if (e->path == NULL || rng_next(&w->rng) % 100u < 3u)
            plan_path(&w->tally, &w->rng, e);
        alive++;
    }
    return alive;
}

/* Broad phase: a contact list in frame memory, checked and dropped with the frame. */
static void physics(worker_t *w, uint32_t alive)
{
    uint32_t n = alive / 2u + rng_range(&w->rng, 1u, 8u);
    contact_t *contacts = counted(&w->tally, MK_INTENT_PHYSICS, MK_NEW_ARRAY(MK_INTENT_PHYSICS, contact_t, n));
    if (contacts == NULL)
        return;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        contacts[i] = (contact_t){.a = i, .b = mix32(i), .depth = (int32_t)(mix32(i) & 0xffu)};
        sum += (uint64_t)contacts[i].depth;
    }
    uint64_t check = 0;
    for (uint32_t i = 0; i < n; i++)
        check += (uint64_t)contacts[i].depth;
    if (check != sum)
        w->tally.corrupt++;
    w->tally.contacts += n;
}

/* Draw commands for the partition, sorted through scratch keys, kept for the
 * main thread to submit next frame. A particle burst every 50 frames asks the
 * render budget for more than it has: those batches are refused. */
static void render(worker_t *w, uint32_t alive, unsigned frame)
{
    draw_list_t *list = &w->draws[frame % 2u];
    *list = (draw_list_t){0};
    uint32_t *keys = counted(&w->tally, MK_INTENT_SCRATCH, mk_alloc(MK_INTENT_SCRATCH, ((size_t)alive + 1u) * sizeof *keys));
    draw_cmd_t *cmds = counted(&w->tally, MK_INTENT_RENDER, mk_alloc(MK_INTENT_RENDER, ((size_t)alive + 1u) * sizeof *cmds));
    if (cmds != NULL) {
        uint32_t n = 0;
        for (uint32_t slot = w->index; slot < MAX_ENTITIES && n < alive; slot += game.workers) {
            const entity_t *e = game.entities[slot];
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

/* Receives 0 to 4 packets a frame, and a flood of 320 every 75 frames: the
 * network budget (256 KiB) drops what does not fit. The main thread frees them. */
static void network(worker_t *w, unsigned frame)
{
    uint32_t count = frame % 75u == 74u ? 320u : rng_range(&w->rng, 0u, 4u);
    for (uint32_t k = 0; k < count && w->inbox_count < INBOX_CAPACITY; k++) {
        uint32_t len = count > 4u ? rng_range(&w->rng, 800u, 1400u) : rng_range(&w->rng, 32u, 1400u);
        packet_t *p = counted(&w->tally, MK_INTENT_NETWORK, mk_alloc(MK_INTENT_NETWORK, sizeof *p + len));
        if (p == NULL)
            continue; /* dropped: the peer resends */
        p->seq = ++w->next_seq;
        p->len = len;
        p->seal = mix32(p->seq ^ len);
        unsigned char *payload = (unsigned char *)(p + 1);
        for (uint32_t i = 0; i < len; i++)
            payload[i] = payload_byte(p->seq, i);
        w->inbox[w->inbox_count++] = p;
    }
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
    const char *fmt = "frame %u  entities %" PRIu64 "  assets %u";
    int len = snprintf(NULL, 0, fmt, frame, live, game.asset_count);
    char *line = counted(&game.tally, MK_INTENT_UI, mk_alloc(MK_INTENT_UI, (size_t)len + 1u));
    if (line != NULL && snprintf(line, (size_t)len + 1u, fmt, frame, live, game.asset_count) != len)
        game.tally.corrupt++;
}

static void drain_network(void)
{
    for (unsigned i = 0; i < game.workers; i++) {
        worker_t *w = &game.worker[i];
        for (uint32_t k = 0; k < w->inbox_count; k++) {
            packet_t *p = w->inbox[k];
            const unsigned char *payload = (const unsigned char *)(p + 1);
            int ok = p->seal == mix32(p->seq ^ p->len);
            for (uint32_t b = 0; ok && b < p->len; b++)
                ok = payload[b] == payload_byte(p->seq, b);
            if (!ok)
                game.tally.corrupt++;
            release(&game.tally, MK_INTENT_NETWORK, p);
        }
        w->inbox_count = 0;
    }
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

/* Every 8 frames a texture streams in (64 KiB to 1 MiB, 256-aligned); the
 * oldest goes when 12 are loaded. */
static void stream_assets(uint64_t *rng, unsigned frame)
{
    if (frame % 8u != 0u)
        return;
    if (game.asset_count == MAX_ASSETS)
        unload_asset(0);
    size_t bytes = (size_t)rng_range(rng, 16u, 256u) * 4096u;
    uint32_t *texels = counted(&game.tally, MK_INTENT_ASSETS, mk_alloc_aligned(MK_INTENT_ASSETS, bytes, ASSET_ALIGN));
    if (texels == NULL)
        return;
    if ((uintptr_t)texels % ASSET_ALIGN != 0u)
        game.tally.corrupt++;
    asset_t *a = &game.assets[game.asset_count++];
    *a = (asset_t){.texels = texels, .bytes = bytes, .id = ++game.next_asset};
    for (size_t i = 0; i < bytes / sizeof(uint32_t); i++)
        texels[i] = mix32(a->id ^ (uint32_t)i);
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
 * with paths the workers built. */
static void unload_section(unsigned frame)
{
    if (frame % 100u != 99u)
        return;
    for (uint32_t slot = 0; slot < MAX_ENTITIES; slot++)
        if (game.entities[slot] != NULL && game.entities[slot]->id % 4u == 0u)
            despawn(&game.tally, slot);
}

/* ---- the end: free everything, compare, report ------------------------------------ */

static int check_run(void)
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
    printf("\nentities: %" PRIu64 " spawned and despawned intact; %" PRIu64 " contacts, %" PRIu64
           " draw commands submitted, %" PRIu64 " voice-frames mixed; %" PRIu64
           " allocations refused and handled\n",
           game.spawned, sum.contacts, sum.draws, sum.mixed, failures);
    printf("%s\n", ok ? "consistent: memkit's counters match the demo's, nothing left in use"
                      : "INCONSISTENT (see above)");
    return ok;
}

static void usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [--frames N] [--workers N (1..%d)]\n", argv0, MAX_WORKERS);
}

int main(int argc, char **argv)
{
    game.frames = 300;
    game.workers = 3;
    for (int i = 1; i < argc; i += 2) {
        char *end = NULL;
        long value = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : -1;
        int valid = end != NULL && end != argv[i + 1] && *end == '\0';
        if (strcmp(argv[i], "--frames") == 0 && valid && value >= 1 && value <= 1000000) {
            game.frames = (unsigned)value;
        } else if (strcmp(argv[i], "--workers") == 0 && valid && value >= 1 && value <= MAX_WORKERS) {
            game.workers = (unsigned)value;
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
    printf("memkit game loop: %u frames, %u threads (main + %u workers), config %s sha256 %.12s\n", game.frames,
           game.workers + 1u, game.workers, mkg_config.source_name, mkg_config.source_sha256);

    barrier_init(&game.start, game.workers + 1u);
    barrier_init(&game.end, game.workers + 1u);
    for (unsigned i = 0; i < game.workers; i++) {
        worker_t *w = &game.worker[i];
        w->index = i;
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
        unload_section(frame);
        spawn_entities(&rng);
        uint64_t live = live_entities();
        game.frame = frame;
        barrier_wait(&game.start); /* the workers simulate, collide, build draw lists */
        submit_draws(frame);       /* meanwhile: last frame's draw lists go to the GPU */
        hud(frame, live);
        barrier_wait(&game.end);
        drain_network();
        stream_assets(&rng, frame);
        rotate_keys(&rng, frame);
        mk_end_frame();
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);

    game.quit = 1;
    barrier_wait(&game.start);
    for (unsigned i = 0; i < game.workers; i++)
        pthread_join(game.worker[i].thread, NULL);
    barrier_destroy(&game.start);
    barrier_destroy(&game.end);

    /* Free what is still held: entities and their paths, packets, assets, keys. */
    for (uint32_t slot = 0; slot < MAX_ENTITIES; slot++)
        if (game.entities[slot] != NULL)
            despawn(&game.tally, slot);
    drain_network();
    while (game.asset_count > 0)
        unload_asset(game.asset_count - 1u);
    while (game.key_count > 0)
        release(&game.tally, MK_INTENT_SESSION_KEYS, game.keys[--game.key_count]);
    mk_thread_detach(); /* hand the main thread's pool caches back too */

    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("%u frames in %.1f ms (%.3f ms a frame)\n\n", game.frames, ms, ms / game.frames);
    mk_stats_print(stdout);
    int ok = check_run();
    mk_shutdown();
    return ok ? 0 : 1;
}
