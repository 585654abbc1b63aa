/* ML201 must not fire: heap memory kept or shared, frame memory handed over with a transfer,
 * frame memory used on its own thread. Checked with --config memkit.toml. */
#include <memkit/memkit.h>
#include <pthread.h>
#include <string.h>

static char *g_name;
static int g_count;

struct job {
    mk_transfer_t transfer;   /* the receiver calls mk_transfer_accept */
    size_t count;
};

static void *worker(void *arg) { return arg; }

void keep_heap(void)
{
    g_name = mk_alloc(MK_INTENT_BLOB, 32);      /* heap: outlives the frame */
}

void reassigned_before_store(void)
{
    char *p = mk_alloc(MK_INTENT_SCRATCH, 32);
    memset(p, 0, 32);                           /* frame memory used on its own thread */
    p = mk_alloc(MK_INTENT_BLOB, 32);
    g_name = p;                                 /* p is heap memory by now */
}

void count_only(void)
{
    int *v = mk_alloc(MK_INTENT_SCRATCH, 4 * sizeof(int));
    v[0] = 1;
    g_count = v[0];                             /* a value read from frame memory, not a pointer */
}

void start_with_transfer(pthread_t *t, struct job *job)
{
    float *samples = mk_alloc(MK_INTENT_SCRATCH, 64 * sizeof(float));
    if (mk_transfer_init(&job->transfer, samples, 64 * sizeof(float)) != MK_OK)
        return;
    job->count = 64;
    pthread_create(t, NULL, worker, job);       /* the frame memory travels as a transfer */
}

void start_with_heap(pthread_t *t)
{
    void *data = mk_alloc(MK_INTENT_BLOB, 128);
    pthread_create(t, NULL, worker, data);
}
