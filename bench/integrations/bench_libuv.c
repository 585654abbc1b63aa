/* bench_libuv.c — a libuv loop per round: 2000 timers (handles allocated and
 * freed around them), and 2000 writes of 8 buffers (libuv copies each
 * write's buffer array) over a socketpair into a reader whose alloc_cb takes
 * 64 KiB buffers; with libuv's allocator (uv_replace_allocator) on memkit
 * (integrations/libuv), glibc, mimalloc and jemalloc, and the program's own
 * handles, requests and buffers from the same allocator (an intent of its
 * own on memkit). bench/integrations/bench_hooks.h runs and prints the rows. */
#define _POSIX_C_SOURCE 200809L
#include <memkit/memkit.h>

#include <sys/socket.h>

#include "bench_hooks.h"
#include "memkit_libuv.h"

#define TIMERS 2000
#define WRITES 2000
#define BUFS 8
#define BUF_BYTES 256

static unsigned char payload[BUFS][BUF_BYTES];
static uv_pipe_t reader, writer;
static size_t received, expected;
static uint64_t checksum;
static int timer_fires;

static void *app_alloc(size_t n) { return bench_a.memkit ? mk_alloc(MK_INTENT_IO, n) : bench_malloc(n); }
static void app_free(void *p)
{
    if (bench_a.memkit)
        mk_free(p);
    else
        bench_free(p);
}

static int install(const bench_alloc_t *a)
{
    for (int i = 0; i < BUFS; i++)
        for (int j = 0; j < BUF_BYTES; j++)
            payload[i][j] = (unsigned char)(i * 31 + j);
    return a->memkit ? mk_uv_install(MK_INTENT_UV)
                     : uv_replace_allocator(bench_malloc, bench_realloc, bench_calloc, bench_free);
}

static void on_handle_close(uv_handle_t *h) { app_free(h); }

static void on_timer(uv_timer_t *t)
{
    timer_fires++;
    uv_close((uv_handle_t *)t, on_handle_close);
}

static void on_write(uv_write_t *req, int status)
{
    (void)status;
    app_free(req);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    char *p = app_alloc(suggested);
    *buf = uv_buf_init(p, p != NULL ? (unsigned)suggested : 0u);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    (void)s;
    if (n > 0) {
        for (ssize_t i = 0; i < n; i += 61)
            checksum += (unsigned char)buf->base[i] + (uint64_t)(received + (size_t)i);
        received += (size_t)n;
        if (received == expected) {
            uv_close((uv_handle_t *)&reader, NULL);
            uv_close((uv_handle_t *)&writer, NULL);
        }
    }
    app_free(buf->base);
}

static uint64_t round_once(void)
{
    uv_loop_t loop;
    int fds[2];
    if (uv_loop_init(&loop) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0)
        return 0;
    received = 0;
    checksum = 0;
    timer_fires = 0;
    expected = (size_t)WRITES * BUFS * BUF_BYTES;
    uv_pipe_init(&loop, &reader, 0);
    uv_pipe_init(&loop, &writer, 0);
    uv_pipe_open(&reader, fds[0]);
    uv_pipe_open(&writer, fds[1]);
    uv_read_start((uv_stream_t *)&reader, on_alloc, on_read);
    for (int i = 0; i < TIMERS; i++) {
        uv_timer_t *t = app_alloc(sizeof *t);
        uv_timer_init(&loop, t);
        uv_timer_start(t, on_timer, 0, 0);
    }
    uv_buf_t bufs[BUFS];
    for (int i = 0; i < BUFS; i++)
        bufs[i] = uv_buf_init((char *)payload[i], BUF_BYTES);
    for (int w = 0; w < WRITES; w++) {
        uv_write_t *req = app_alloc(sizeof *req);
        uv_write(req, (uv_stream_t *)&writer, bufs, BUFS, on_write);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return received == expected && timer_fires == TIMERS ? checksum : 0;
}

int main(int argc, char **argv)
{
    static const bench_spec_t spec = {"libuv", "loop: 2000 timers, 2000 8-buffer writes over a socketpair", install,
                                      round_once};
    return bench_main(argc, argv, &spec);
}
