/* ML201: frame memory reaching a global, a static or a new thread without a transfer.
 * Checked with --config memkit.toml (scratch is a frame intent there). */
#include <memkit/memkit.h>
#include <pthread.h>
#include <threads.h>

typedef MK_FRAME_VEC(int) int_vec;

static char *g_label;
void *g_buffer;
struct { int *items; size_t count; } g_state;

struct job {
    float *samples;
    size_t count;
};

static void *worker(void *arg) { return arg; }
static int worker_c11(void *arg) { return arg != NULL; }

void keep_label(int n)
{
    g_label = mk_frame_printf(MK_INTENT_SCRATCH, "frame %d", n);  /* expect ML201 */
}

void keep_buffer(void)
{
    char *p = mk_alloc(MK_INTENT_SCRATCH, 256);
    g_buffer = p;                                                /* expect ML201 */
}

void cache_in_static(void)
{
    static void *cache;
    unsigned char *p = mk_calloc(MK_INTENT_SCRATCH, 4, 16);
    cache = p + 8;                                               /* expect ML201 */
}

void keep_vec(void)
{
    int_vec v;
    mk_frame_vec_init(&v, MK_INTENT_SCRATCH);
    (void)mk_frame_vec_push(&v, 7);
    g_state.items = v.data;                                      /* expect ML201 */
}

void start_worker(pthread_t *t)
{
    float *samples = mk_alloc(MK_INTENT_SCRATCH, 64 * sizeof(float));
    pthread_create(t, NULL, worker, samples);                    /* expect ML201 */
}

void start_worker_with_job(pthread_t *t)
{
    struct job local;
    local.samples = mk_frame_grow(MK_INTENT_SCRATCH, NULL, 0, 64);
    local.count = 16;
    pthread_create(t, NULL, worker, &local);                     /* expect ML201 */
}

void start_c11_worker(thrd_t *t)
{
    mk_frame_str_t s;
    mk_frame_str_init(&s, MK_INTENT_SCRATCH);
    (void)mk_frame_str_append(&s, "hello");
    thrd_create(t, worker_c11, (void *)mk_frame_str_cstr(&s));   /* expect ML201 */
}

void start_with_string(thrd_t *t, mk_frame_str_t *name)
{
    thrd_create(t, worker_c11, name->data);                    /* expect ML201 */
}
