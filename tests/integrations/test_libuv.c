/* test_libuv.c — libuv on memkit through integrations/libuv (config
 * tests/integrations/libuv.toml): one loop runs repeating timers, an idle
 * handle, work requests on the threadpool and a TCP echo on 127.0.0.1 whose
 * client writes 9 buffers at once (libuv copies the buffer array); the echo
 * comes back byte for byte, the work results are right, libuv's blocks are
 * back after uv_loop_close, and a budget makes libuv return UV_ENOMEM
 * (uv_fs_stat with a callback, uv_loop_init).
 */
#define _POSIX_C_SOURCE 200809L
#include "integration_check.h"

#include <stdint.h>

#include "memkit_libuv.h"

#define TIMERS 50
#define TIMER_REPEATS 4
#define WORKS 8
#define ECHO_BUFS 9
#define ECHO_BUF_BYTES 8192
#define ECHO_BYTES (ECHO_BUFS * ECHO_BUF_BYTES)

typedef struct {
    uv_loop_t loop;
    uv_timer_t timers[TIMERS];
    int timer_fires[TIMERS];
    uv_idle_t idle;
    uint64_t idle_runs;
    uv_work_t works[WORKS];
    uint64_t work_results[WORKS];
    int works_done;
    uv_tcp_t server, server_conn, client;
    uv_connect_t connect;
    uv_write_t client_write;
    unsigned char sent[ECHO_BYTES], echoed[ECHO_BYTES];
    size_t echoed_len;
    int server_writes_pending;
    int closed;
} world_t;

static void on_close(uv_handle_t *h)
{
    ((world_t *)h->loop->data)->closed++;
}

static void on_timer(uv_timer_t *t)
{
    world_t *w = t->loop->data;
    int i = (int)(t - w->timers);
    if (++w->timer_fires[i] == TIMER_REPEATS)
        uv_close((uv_handle_t *)t, on_close);
}

static void on_idle(uv_idle_t *h)
{
    world_t *w = h->loop->data;
    w->idle_runs++;
    if (w->works_done == WORKS && w->echoed_len == ECHO_BYTES)
        uv_close((uv_handle_t *)h, on_close);
}

/* On a threadpool thread: memkit is used there like anywhere, and the thread
 * detaches when done, since libuv's threads outlive the test's mk_shutdown. */
static void work(uv_work_t *req)
{
    world_t *w = req->loop->data;
    int k = (int)(req - w->works);
    size_t n = 1000u * (size_t)(k + 1);
    uint64_t *v = mk_alloc(MK_INTENT_WORK, n * sizeof *v);
    uint64_t sum = 0;
    if (v != NULL) {
        for (size_t i = 0; i < n; i++)
            v[i] = (uint64_t)i * i;
        for (size_t i = 0; i < n; i++)
            sum += v[i];
        mk_free(v);
    }
    w->work_results[k] = sum;
    mk_thread_detach();
}

static void after_work(uv_work_t *req, int status)
{
    world_t *w = req->loop->data;
    CHECK_EQ(status, 0);
    w->works_done++;
}

static void alloc_buf(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    char *p = mk_alloc(MK_INTENT_IO_BUFFERS, suggested);
    *buf = uv_buf_init(p, p != NULL ? (unsigned)suggested : 0u);
}

static void on_server_write(uv_write_t *req, int status)
{
    world_t *w = req->handle->loop->data;
    CHECK_EQ(status, 0);
    mk_free(req->data); /* the echoed read buffer */
    mk_free(req);
    w->server_writes_pending--;
}

static void on_server_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    world_t *w = s->loop->data;
    if (n <= 0) {
        mk_free(buf->base);
        if (n == UV_EOF)
            uv_close((uv_handle_t *)s, on_close);
        return;
    }
    uv_write_t *req = mk_alloc(MK_INTENT_IO_BUFFERS, sizeof *req);
    CHECK(req != NULL);
    req->data = buf->base;
    uv_buf_t out = uv_buf_init(buf->base, (unsigned)n);
    w->server_writes_pending++;
    CHECK_EQ(uv_write(req, s, &out, 1, on_server_write), 0);
}

static void on_connection(uv_stream_t *server, int status)
{
    world_t *w = server->loop->data;
    CHECK_EQ(status, 0);
    CHECK_EQ(uv_tcp_init(server->loop, &w->server_conn), 0);
    CHECK_EQ(uv_accept(server, (uv_stream_t *)&w->server_conn), 0);
    CHECK_EQ(uv_read_start((uv_stream_t *)&w->server_conn, alloc_buf, on_server_read), 0);
    uv_close((uv_handle_t *)server, on_close); /* one client */
}

static void on_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    world_t *w = s->loop->data;
    if (n > 0) {
        CHECK(w->echoed_len + (size_t)n <= ECHO_BYTES);
        if (w->echoed_len + (size_t)n <= ECHO_BYTES)
            memcpy(w->echoed + w->echoed_len, buf->base, (size_t)n);
        w->echoed_len += (size_t)n;
        if (w->echoed_len == ECHO_BYTES)
            uv_close((uv_handle_t *)s, on_close); /* the server reads EOF */
    }
    mk_free(buf->base);
}

static void on_client_write(uv_write_t *req, int status)
{
    (void)req;
    CHECK_EQ(status, 0);
}

static void on_connect(uv_connect_t *req, int status)
{
    world_t *w = req->handle->loop->data;
    CHECK_EQ(status, 0);
    uv_buf_t bufs[ECHO_BUFS];
    for (int i = 0; i < ECHO_BUFS; i++)
        bufs[i] = uv_buf_init((char *)w->sent + i * ECHO_BUF_BYTES, ECHO_BUF_BYTES);
    /* more than 4 buffers: libuv keeps a copy of the array, from the intent */
    uint64_t before = check_intent_stats(MK_INTENT_UV).allocations;
    CHECK_EQ(uv_write(&w->client_write, req->handle, bufs, ECHO_BUFS, on_client_write), 0);
    CHECK(check_intent_stats(MK_INTENT_UV).allocations > before);
    CHECK_EQ(uv_read_start(req->handle, alloc_buf, on_client_read), 0);
}

static void test_loop_and_balance(void)
{
    CHECK_EQ(mk_uv_install(MK_INTENT_UV), 0);
    world_t *w = calloc(1, sizeof *w);
    CHECK(w != NULL);
    if (w == NULL)
        return;
    for (size_t i = 0; i < ECHO_BYTES; i++)
        w->sent[i] = (unsigned char)(i * 131u + (i >> 9));
    CHECK_EQ(uv_loop_init(&w->loop), 0);
    w->loop.data = w;
    CHECK(check_intent_stats(MK_INTENT_UV).allocations > 0u); /* the loop's own fields */

    for (int i = 0; i < TIMERS; i++) {
        CHECK_EQ(uv_timer_init(&w->loop, &w->timers[i]), 0);
        CHECK_EQ(uv_timer_start(&w->timers[i], on_timer, (uint64_t)(i % 3), 1), 0);
    }
    CHECK_EQ(uv_idle_init(&w->loop, &w->idle), 0);
    CHECK_EQ(uv_idle_start(&w->idle, on_idle), 0);
    for (int i = 0; i < WORKS; i++)
        CHECK_EQ(uv_queue_work(&w->loop, &w->works[i], work, after_work), 0);

    struct sockaddr_in addr;
    CHECK_EQ(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
    CHECK_EQ(uv_tcp_init(&w->loop, &w->server), 0);
    CHECK_EQ(uv_tcp_bind(&w->server, (const struct sockaddr *)&addr, 0), 0);
    CHECK_EQ(uv_listen((uv_stream_t *)&w->server, 4, on_connection), 0);
    struct sockaddr_storage bound;
    int len = (int)sizeof bound;
    CHECK_EQ(uv_tcp_getsockname(&w->server, (struct sockaddr *)&bound, &len), 0);
    CHECK_EQ(uv_tcp_init(&w->loop, &w->client), 0);
    CHECK_EQ(uv_tcp_connect(&w->connect, &w->client, (const struct sockaddr *)&bound, on_connect), 0);

    CHECK_EQ(uv_run(&w->loop, UV_RUN_DEFAULT), 0);

    for (int i = 0; i < TIMERS; i++)
        CHECK_EQ(w->timer_fires[i], TIMER_REPEATS);
    CHECK(w->idle_runs > 0u);
    CHECK_EQ(w->works_done, WORKS);
    for (int k = 0; k < WORKS; k++) {
        uint64_t n = 1000u * (uint64_t)(k + 1);
        CHECK_EQ(w->work_results[k], (n - 1u) * n * (2u * n - 1u) / 6u); /* sum of i^2, i < n */
    }
    CHECK_EQ(w->echoed_len, (size_t)ECHO_BYTES);
    CHECK(memcmp(w->sent, w->echoed, ECHO_BYTES) == 0);
    CHECK_EQ(w->server_writes_pending, 0);
    CHECK_EQ(w->closed, TIMERS + 4); /* the timers, idle, server, its connection, client */
    CHECK(check_intent_stats(MK_INTENT_UV).current > 0u); /* the loop holds its fields until closed */
    CHECK_EQ(uv_loop_close(&w->loop), 0);
    CHECK_BALANCED(MK_INTENT_UV);
    CHECK_BALANCED(MK_INTENT_IO_BUFFERS);
    CHECK_BALANCED(MK_INTENT_WORK);
    CHECK(check_intent_stats(MK_INTENT_IO_BUFFERS).allocations > 2u);
    CHECK(check_intent_stats(MK_INTENT_WORK).allocations == WORKS);
    free(w);
}

static void on_stat(uv_fs_t *req)
{
    (void)req;
    CHECK(0); /* never queued */
}

static void on_stat_root(uv_fs_t *req)
{
    CHECK_EQ(req->result, 0);
    CHECK(req->statbuf.st_mode != 0u);
    uv_fs_req_cleanup(req);
}

/* The tight intent: an asynchronous fs request cannot copy its 4000-byte path
 * (UV_ENOMEM, and the loop goes on and closes); with the budget spent,
 * uv_loop_init says UV_ENOMEM at its first allocation.
 *
 * Not uv_write with more than 4 buffers, although it says UV_ENOMEM too:
 * libuv 1.44 registers the write request before it allocates the buffer
 * array and leaves it registered when that fails, so the loop never runs
 * empty again (uv_run does not return, uv_loop_close says UV_EBUSY). */
static void test_budget_gives_uv_enomem(void)
{
    CHECK_EQ(mk_uv_install(MK_INTENT_UV_TIGHT), 0);
    CHECK_EQ(mk_uv_intent(), MK_INTENT_UV_TIGHT);
    uv_loop_t loop;
    CHECK_EQ(uv_loop_init(&loop), 0);
    static char path[4000];
    memset(path, 'a', sizeof path - 1);
    uv_fs_t req;
    CHECK_EQ(uv_fs_stat(&loop, &req, path, on_stat), UV_ENOMEM);
    CHECK(check_intent_stats(MK_INTENT_UV_TIGHT).failures >= 1u);
    /* a short path fits: the request runs on the threadpool, and libuv frees its copy */
    CHECK_EQ(uv_fs_stat(&loop, &req, "/", on_stat_root), 0);
    CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    CHECK_EQ(req.result, 0);
    CHECK_EQ(uv_loop_close(&loop), 0);
    CHECK_BALANCED(MK_INTENT_UV_TIGHT);

    /* spend the budget, then start a loop */
    void *held[256];
    int n = 0;
    while (n < 256 && (held[n] = mk_alloc(MK_INTENT_UV_TIGHT, 16)) != NULL)
        n++;
    CHECK(n > 0 && n < 256);
    CHECK_EQ(uv_loop_init(&loop), UV_ENOMEM);
    for (int i = 0; i < n; i++)
        mk_free(held[i]);
    CHECK_BALANCED(MK_INTENT_UV_TIGHT);
    CHECK_EQ(mk_uv_install((mk_intent_t)MKG_INTENT_COUNT), UV_EINVAL);
    CHECK_EQ(mk_uv_intent(), MK_INTENT_UV_TIGHT);
}

int main(void)
{
    RUN(test_loop_and_balance);
    RUN(test_budget_gives_uv_enomem);
    return check_finish("libuv");
}
