/* examples/async_tcp — a libuv TCP server whose request buffers come from an
 * async pool with backpressure = "wait" (memkit.toml: 8 blocks of 4 KiB).
 *
 * The server (main thread, its own uv loop, the only thread that calls
 * memkit) serves newline-terminated lines. A connection that wants to read
 * first acquires a block; only while it holds one does it read, straight into
 * the block (the alloc callback cannot wait, so it is never asked to). When a
 * whole line is in, the server uppercases it in place and writes the block
 * itself back; the write callback releases the block, which hands it to the
 * oldest waiting connection (its callback runs from mk_async_dispatch through
 * the adapter's uv_async_t), and queues the connection for its next block.
 *
 * The clients (a second thread with a loop of its own, which never calls
 * memkit) open --clients connections at once, each sending --requests lines
 * one at a time and checking every response byte against its own copy. With
 * more clients than blocks, most connections wait: the run checks that the
 * pool never handed out more than its count, that backpressure engaged, that
 * every request was answered, and that everything closes: uv_loop_close
 * returns 0 on both loops and mk_shutdown reports no leak. Exit 0 on success.
 *
 *     async_tcp [--clients N] [--requests M] [--timeout-ms T]
 */
#define _POSIX_C_SOURCE 200809L

#include <memkit/memkit.h>
#include <memkit/async.h>
#include <memkit/adapters/libuv.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define DEFAULT_CLIENTS 64u
#define DEFAULT_REQUESTS 50u
#define DEFAULT_TIMEOUT_MS 60000u
#define CLIENT_READ_BUFFER 65536u

static void report(const char *side, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "async_tcp: %s: ", side);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- the protocol: what client `id` sends as its request `seq` ----------------------- */

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* Fills `line` with request (id, seq): printable bytes and a final '\n', at
 * most `max` bytes (a block). Every 8th request fills a block exactly, every
 * 8th an empty line; returns the length. */
static size_t make_request(unsigned char *line, size_t max, unsigned id, unsigned seq)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789 ,.-_ABCXYZ";
    uint64_t r = mix(((uint64_t)id << 32) | seq);
    size_t len;
    switch (seq % 8u) {
    case 0:
        len = max;
        break;
    case 1:
        len = 1;
        break;
    default:
        len = 1u + (size_t)(r % max);
        break;
    }
    for (size_t i = 0; i + 1u < len; i++) {
        r = mix(r);
        line[i] = (unsigned char)alphabet[r % (sizeof alphabet - 1u)];
    }
    line[len - 1u] = '\n';
    return len;
}

/* The service: ASCII lowercase letters become uppercase, in place. */
static void serve_line(unsigned char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] >= 'a' && line[i] <= 'z')
            line[i] = (unsigned char)(line[i] - 'a' + 'A');
}

/* ---- the server: the main thread's loop, the only memkit user --------------------------- */

enum { CONN_IDLE, CONN_WAITING, CONN_READING, CONN_WRITING, CONN_CLOSING, CONN_CLOSED };

typedef struct server server_t;

typedef struct server_conn {
    uv_tcp_t tcp;
    uv_write_t write;
    mk_async_waiter_t waiter; /* queued while the pool is empty */
    server_t *srv;
    unsigned char *block;     /* the pool block this connection holds, or NULL */
    size_t filled;            /* bytes of the current line in the block */
    int state;
} server_conn_t;

struct server {
    uv_loop_t loop;
    mk_uv_loop_t memloop; /* the async tier's loop on `loop` */
    uv_tcp_t listener;
    uv_timer_t watchdog;
    server_conn_t *conns; /* one per expected client, in accept order */
    unsigned expected, accepted, open;
    size_t block_size;
    uint64_t capacity;
    int finishing;
    /* what the run counts */
    uint64_t answered;        /* responses whose write completed */
    uint64_t immediate;       /* acquires served at once */
    uint64_t waits;           /* acquires that queued (MK_PENDING) */
    uint64_t granted;         /* of those, granted later through dispatch */
    uint64_t waiting, waiting_peak;
    uint64_t stats_waiters_peak; /* the largest `waiters` mk_stats_get reported */
    uint64_t held, held_peak;
    uint64_t errors;
};

static void server_fail(server_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("async_tcp: server: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    s->errors++;
}

static void server_maybe_finish(server_t *s)
{
    if (s->finishing || s->accepted < s->expected || s->open != 0u)
        return;
    /* every connection is closed: no waiter is queued on memloop any more */
    s->finishing = 1;
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_close((uv_handle_t *)&s->watchdog, NULL);
    mk_uv_loop_close(&s->memloop, NULL);
}

static void conn_on_closed(uv_handle_t *handle)
{
    server_conn_t *c = handle->data;
    c->state = CONN_CLOSED;
    c->srv->open--;
    server_maybe_finish(c->srv);
}

static void conn_release(server_conn_t *c)
{
    server_t *s = c->srv;
    mk_async_release(c->block); /* to the oldest waiting connection, if any */
    c->block = NULL;
    c->filled = 0;
    s->held--;
}

/* Closes a connection in any state: a queued waiter is withdrawn, a held
 * block given back (a pending write's block is released by its callback,
 * which libuv runs with UV_ECANCELED). */
static void conn_close(server_conn_t *c)
{
    server_t *s = c->srv;
    if (c->state == CONN_CLOSING || c->state == CONN_CLOSED)
        return;
    if (c->state == CONN_WAITING) {
        if (mk_async_cancel(&c->waiter) != MK_OK)
            server_fail(s, "mk_async_cancel of a waiting connection did not withdraw it");
        s->waiting--;
    } else if (c->state == CONN_READING) {
        conn_release(c);
    }
    c->state = CONN_CLOSING;
    uv_close((uv_handle_t *)&c->tcp, conn_on_closed);
}

static void conn_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    server_conn_t *c = handle->data;
    (void)suggested;
    /* only a connection that holds a block reads: hand out the rest of it */
    if (c->block == NULL)
        *buf = uv_buf_init(NULL, 0);
    else
        *buf = uv_buf_init((char *)c->block + c->filled, (unsigned)(c->srv->block_size - c->filled));
}

static void conn_want_block(server_conn_t *c);

static void conn_on_written(uv_write_t *req, int status)
{
    server_conn_t *c = req->data;
    server_t *s = c->srv;
    conn_release(c); /* the write is done with the block */
    if (c->state == CONN_CLOSING)
        return;
    if (status < 0) {
        server_fail(s, "write: %s", uv_strerror(status));
        conn_close(c);
        return;
    }
    s->answered++;
    conn_want_block(c); /* queue for the next request's block */
}

static void conn_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    server_conn_t *c = stream->data;
    server_t *s = c->srv;
    (void)buf;
    if (nread == 0)
        return;
    if (nread < 0) {
        if (nread != UV_EOF)
            server_fail(s, "read: %s", uv_strerror((int)nread));
        else if (c->filled != 0u)
            server_fail(s, "a client closed in the middle of a request (%zu bytes in)", c->filled);
        conn_close(c); /* EOF between requests: the client is done */
        return;
    }
    unsigned char *fresh = c->block + c->filled;
    size_t n = (size_t)nread;
    unsigned char *nl = memchr(fresh, '\n', n);
    c->filled += n;
    if (nl == NULL) {
        if (c->filled == s->block_size) {
            server_fail(s, "a request longer than a block (%zu bytes)", s->block_size);
            conn_close(c);
        }
        return;
    }
    if (nl != fresh + n - 1u) { /* clients send one line and wait for its answer */
        server_fail(s, "bytes after a request's newline");
        conn_close(c);
        return;
    }
    uv_read_stop(stream);
    serve_line(c->block, c->filled);
    c->state = CONN_WRITING;
    uv_buf_t out = uv_buf_init((char *)c->block, (unsigned)c->filled); /* the answer is the block */
    int rc = uv_write(&c->write, stream, &out, 1, conn_on_written);
    if (rc != 0) {
        server_fail(s, "uv_write: %s", uv_strerror(rc));
        c->state = CONN_READING; /* no callback will come: conn_close releases */
        conn_close(c);
    }
}

static void conn_got_block(server_conn_t *c, void *block)
{
    server_t *s = c->srv;
    c->block = block;
    c->filled = 0;
    if (++s->held > s->held_peak)
        s->held_peak = s->held;
    if (s->held > s->capacity)
        server_fail(s, "%" PRIu64 " blocks held at once, the pool has %" PRIu64, s->held, s->capacity);
    c->state = CONN_READING;
    int rc = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_on_read);
    if (rc != 0) {
        server_fail(s, "uv_read_start: %s", uv_strerror(rc));
        conn_close(c);
    }
}

/* A block was granted to a waiting connection: runs in mk_async_dispatch,
 * which the adapter's uv_async_t callback calls on this loop's thread. */
static void conn_on_block(mk_async_waiter_t *waiter, mk_status_t status, mk_msg_t result)
{
    server_conn_t *c = waiter->user;
    server_t *s = c->srv;
    s->waiting--;
    if (status != MK_OK) {
        server_fail(s, "a queued acquire completed with %s", mk_status_str(status));
        c->state = CONN_IDLE;
        conn_close(c);
        return;
    }
    if (result.len != s->block_size)
        server_fail(s, "granted a block of %zu bytes, expected %zu", result.len, s->block_size);
    s->granted++;
    conn_got_block(c, result.ptr);
}

static void conn_want_block(server_conn_t *c)
{
    server_t *s = c->srv;
    void *block = NULL;
    mk_status_t st = mk_async_acquire(MK_ASYNC_POOL_REQUESTS, &block, &s->memloop.loop, &c->waiter, conn_on_block, c);
    if (st == MK_OK) {
        s->immediate++;
        conn_got_block(c, block);
        return;
    }
    if (st != MK_PENDING) {
        server_fail(s, "mk_async_acquire: %s", mk_status_str(st));
        c->state = CONN_IDLE;
        conn_close(c);
        return;
    }
    c->state = CONN_WAITING;
    s->waits++;
    if (++s->waiting > s->waiting_peak) {
        /* a new high-water mark of queued connections: ask memkit how many it sees */
        s->waiting_peak = s->waiting;
        mk_stats_t st_now;
        if (mk_stats_get(&st_now) == MK_OK) {
            uint64_t w = st_now.async[MK_ASYNC_POOL_REQUESTS].waiters;
            /* memkit counts the queued ones; a connection whose block is
             * granted but whose callback has not run yet waits here only */
            if (w > s->waiting || w + s->capacity < s->waiting)
                server_fail(s, "mk_stats_get reports %" PRIu64 " waiters, %" PRIu64 " connections wait", w, s->waiting);
            if (w > s->stats_waiters_peak)
                s->stats_waiters_peak = w;
        }
    }
}

static void server_on_connection(uv_stream_t *listener, int status)
{
    server_t *s = listener->data;
    if (status < 0) {
        server_fail(s, "listen: %s", uv_strerror(status));
        return;
    }
    if (s->accepted == s->expected) {
        server_fail(s, "more connections than the %u clients", s->expected);
        return;
    }
    server_conn_t *c = &s->conns[s->accepted++];
    c->srv = s;
    c->state = CONN_IDLE;
    uv_tcp_init(&s->loop, &c->tcp);
    c->tcp.data = c;
    c->write.data = c;
    s->open++;
    int rc = uv_accept(listener, (uv_stream_t *)&c->tcp);
    if (rc != 0) {
        server_fail(s, "uv_accept: %s", uv_strerror(rc));
        conn_close(c);
        return;
    }
    conn_want_block(c);
}

static void server_on_watchdog(uv_timer_t *timer)
{
    server_t *s = timer->data;
    server_fail(s, "timed out: %u of %u clients connected, %u connections open, %" PRIu64 " answered", s->accepted,
                s->expected, s->open, s->answered);
    s->expected = s->accepted; /* no more will come: finish once these close */
    for (unsigned i = 0; i < s->accepted; i++)
        conn_close(&s->conns[i]);
    server_maybe_finish(s);
}

/* ---- the clients: a second thread, its own loop, no memkit ------------------------------ */

typedef struct clients clients_t;

typedef struct client_conn {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    clients_t *cs;
    unsigned id, seq;
    unsigned char *request, *expect; /* the request in flight and its expected answer */
    size_t len, got;                 /* its length; answer bytes received and checked */
    int written, closing;
} client_conn_t;

struct clients {
    uv_loop_t loop;
    uv_timer_t watchdog;
    struct sockaddr_in addr;
    unsigned count, requests, open;
    uint64_t timeout_ms;
    size_t max_line;
    client_conn_t *conns;
    unsigned char *lines;                    /* 2 * max_line bytes per connection */
    unsigned char read_buf[CLIENT_READ_BUFFER]; /* one read at a time on this loop */
    uint64_t verified, bytes, errors;
    int loop_close_rc;
};

static void client_fail(client_conn_t *cc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "async_tcp: client %u, request %u: ", cc->id, cc->seq);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    cc->cs->errors++;
}

static void client_on_closed(uv_handle_t *handle)
{
    client_conn_t *cc = handle->data;
    clients_t *cs = cc->cs;
    if (--cs->open == 0u)
        uv_close((uv_handle_t *)&cs->watchdog, NULL);
}

static void client_close(client_conn_t *cc)
{
    if (cc->closing)
        return;
    cc->closing = 1;
    uv_close((uv_handle_t *)&cc->tcp, client_on_closed);
}

static void client_on_written(uv_write_t *req, int status);

static void client_send(client_conn_t *cc)
{
    clients_t *cs = cc->cs;
    cc->len = make_request(cc->request, cs->max_line, cc->id, cc->seq);
    memcpy(cc->expect, cc->request, cc->len);
    serve_line(cc->expect, cc->len);
    cc->got = 0;
    cc->written = 0;
    uv_buf_t buf = uv_buf_init((char *)cc->request, (unsigned)cc->len);
    int rc = uv_write(&cc->write, (uv_stream_t *)&cc->tcp, &buf, 1, client_on_written);
    if (rc != 0) {
        client_fail(cc, "uv_write: %s", uv_strerror(rc));
        client_close(cc);
    }
}

/* The request is out and its whole answer checked: the next one, or done. */
static void client_maybe_next(client_conn_t *cc)
{
    if (!cc->written || cc->got != cc->len || cc->closing)
        return;
    cc->cs->verified++;
    cc->cs->bytes += cc->len;
    if (++cc->seq == cc->cs->requests)
        client_close(cc); /* the server reads EOF and gives its block back */
    else
        client_send(cc);
}

static void client_on_written(uv_write_t *req, int status)
{
    client_conn_t *cc = req->data;
    if (status < 0) {
        if (!cc->closing)
            client_fail(cc, "write: %s", uv_strerror(status));
        client_close(cc);
        return;
    }
    cc->written = 1;
    client_maybe_next(cc);
}

static void client_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    client_conn_t *cc = handle->data;
    (void)suggested;
    *buf = uv_buf_init((char *)cc->cs->read_buf, CLIENT_READ_BUFFER);
}

static void client_on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    client_conn_t *cc = stream->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        client_fail(cc, "read: %s", nread == UV_EOF ? "the server closed the connection" : uv_strerror((int)nread));
        client_close(cc);
        return;
    }
    size_t n = (size_t)nread;
    if (cc->seq >= cc->cs->requests || n > cc->len - cc->got) {
        client_fail(cc, "%zu bytes received, the answer has %zu left", n, cc->len - cc->got);
        client_close(cc);
        return;
    }
    if (memcmp(buf->base, cc->expect + cc->got, n) != 0) {
        size_t at = 0;
        while (at < n && (unsigned char)buf->base[at] == cc->expect[cc->got + at])
            at++;
        client_fail(cc, "answer differs at byte %zu of %zu", cc->got + at, cc->len);
        client_close(cc);
        return;
    }
    cc->got += n;
    client_maybe_next(cc);
}

static void client_on_connect(uv_connect_t *req, int status)
{
    client_conn_t *cc = req->data;
    if (status < 0) {
        client_fail(cc, "connect: %s", uv_strerror(status));
        client_close(cc);
        return;
    }
    int rc = uv_read_start((uv_stream_t *)&cc->tcp, client_alloc, client_on_read);
    if (rc != 0) {
        client_fail(cc, "uv_read_start: %s", uv_strerror(rc));
        client_close(cc);
        return;
    }
    client_send(cc);
}

static void clients_on_watchdog(uv_timer_t *timer)
{
    clients_t *cs = timer->data;
    fprintf(stderr, "async_tcp: clients: timed out with %u connections open\n", cs->open);
    cs->errors++;
    for (unsigned i = 0; i < cs->count; i++)
        client_close(&cs->conns[i]);
}

static void clients_thread(void *arg)
{
    clients_t *cs = arg;
    int rc = uv_loop_init(&cs->loop);
    if (rc != 0) {
        fprintf(stderr, "async_tcp: clients: uv_loop_init: %s\n", uv_strerror(rc));
        cs->errors++;
        cs->loop_close_rc = rc;
        return;
    }
    uv_timer_init(&cs->loop, &cs->watchdog);
    cs->watchdog.data = cs;
    uv_timer_start(&cs->watchdog, clients_on_watchdog, cs->timeout_ms, 0);
    cs->open = cs->count;
    for (unsigned i = 0; i < cs->count; i++) {
        client_conn_t *cc = &cs->conns[i];
        cc->cs = cs;
        cc->id = i;
        cc->request = cs->lines + (size_t)i * 2u * cs->max_line;
        cc->expect = cc->request + cs->max_line;
        uv_tcp_init(&cs->loop, &cc->tcp);
        cc->tcp.data = cc;
        cc->connect.data = cc;
        cc->write.data = cc;
        rc = uv_tcp_connect(&cc->connect, &cc->tcp, (const struct sockaddr *)&cs->addr, client_on_connect);
        if (rc != 0) {
            client_fail(cc, "uv_tcp_connect: %s", uv_strerror(rc));
            client_close(cc);
        }
    }
    uv_run(&cs->loop, UV_RUN_DEFAULT);
    cs->loop_close_rc = uv_loop_close(&cs->loop);
}

/* ---- main ------------------------------------------------------------------------------------ */

static int parse_uint(const char *flag, const char *text, unsigned min, unsigned max, unsigned *out)
{
    char *end = NULL;
    unsigned long v = strtoul(text != NULL ? text : "", &end, 10);
    if (text == NULL || *text == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "async_tcp: %s wants an integer in %u..%u\n", flag, min, max);
        return 0;
    }
    *out = (unsigned)v;
    return 1;
}

int main(int argc, char **argv)
{
    unsigned clients_n = DEFAULT_CLIENTS, requests_n = DEFAULT_REQUESTS, timeout_ms = DEFAULT_TIMEOUT_MS;
    for (int i = 1; i < argc; i += 2) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int ok;
        if (strcmp(argv[i], "--clients") == 0)
            ok = parse_uint("--clients", value, 1u, 10000u, &clients_n);
        else if (strcmp(argv[i], "--requests") == 0)
            ok = parse_uint("--requests", value, 1u, 1000000u, &requests_n);
        else if (strcmp(argv[i], "--timeout-ms") == 0)
            ok = parse_uint("--timeout-ms", value, 1u, 3600000u, &timeout_ms);
        else {
            fprintf(stderr, "usage: %s [--clients N] [--requests M] [--timeout-ms T]\n", argv[0]);
            return 2;
        }
        if (!ok)
            return 2;
    }

    mk_status_t init = mk_init(&mkg_config);
    if (init != MK_OK) {
        report("memkit", "mk_init: %s", mk_status_str(init));
        return 1;
    }

    static server_t s; /* large (the conns array aside): keep it off the stack */
    memset(&s, 0, sizeof s);
    s.expected = clients_n;
    s.block_size = mk_async_block_size(MK_ASYNC_POOL_REQUESTS);
    s.conns = calloc(clients_n, sizeof *s.conns);
    static clients_t cs;
    memset(&cs, 0, sizeof cs);
    cs.count = clients_n;
    cs.requests = requests_n;
    cs.timeout_ms = timeout_ms;
    cs.max_line = s.block_size;
    cs.conns = calloc(clients_n, sizeof *cs.conns);
    cs.lines = malloc((size_t)clients_n * 2u * s.block_size);
    if (s.conns == NULL || cs.conns == NULL || cs.lines == NULL) {
        report("setup", "out of memory");
        return 1;
    }
    {
        mk_stats_t st;
        mk_stats_get(&st);
        s.capacity = st.async[MK_ASYNC_POOL_REQUESTS].capacity;
    }

    /* the server: its loop, the async tier on it, a listener on an ephemeral port */
    int rc = uv_loop_init(&s.loop);
    if (rc == 0)
        rc = mk_uv_loop_init(&s.memloop, &s.loop);
    if (rc != 0) {
        report("server", "loop setup: %s", uv_strerror(rc));
        return 1;
    }
    uv_tcp_init(&s.loop, &s.listener);
    s.listener.data = &s;
    uv_timer_init(&s.loop, &s.watchdog);
    s.watchdog.data = &s;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", 0, &addr);
    rc = uv_tcp_bind(&s.listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s.listener, clients_n < 128u ? 128 : (int)clients_n, server_on_connection);
    int namelen = (int)sizeof cs.addr;
    if (rc == 0)
        rc = uv_tcp_getsockname(&s.listener, (struct sockaddr *)&cs.addr, &namelen);
    if (rc != 0) {
        report("server", "listen on 127.0.0.1: %s", uv_strerror(rc));
        s.expected = 0; /* close what is open, then fail below */
        s.errors++;
        server_maybe_finish(&s);
    } else {
        uv_timer_start(&s.watchdog, server_on_watchdog, timeout_ms, 0);
    }

    uint64_t start = uv_hrtime();
    uv_thread_t clients_tid;
    int clients_started = 0;
    if (rc == 0) {
        rc = uv_thread_create(&clients_tid, clients_thread, &cs);
        if (rc != 0) {
            report("clients", "uv_thread_create: %s", uv_strerror(rc));
            s.expected = 0;
            s.errors++;
            server_maybe_finish(&s);
        } else {
            clients_started = 1;
        }
    }
    uv_run(&s.loop, UV_RUN_DEFAULT); /* until every connection, the listener and the adapter closed */
    if (clients_started)
        uv_thread_join(&clients_tid);
    double seconds = (double)(uv_hrtime() - start) / 1e9;
    int server_close_rc = uv_loop_close(&s.loop);

    /* ---- the checks -------------------------------------------------------------------- */
    unsigned failures = 0;
#define EXPECT(cond, ...)                                                                                              \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            report("check failed", __VA_ARGS__);                                                                       \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)
    mk_stats_t st;
    EXPECT(mk_stats_get(&st) == MK_OK, "mk_stats_get");
    const mk_async_stats_t *pool = &st.async[MK_ASYNC_POOL_REQUESTS];
    uint64_t total = (uint64_t)clients_n * requests_n;

    EXPECT(s.errors == 0, "%" PRIu64 " server errors", s.errors);
    EXPECT(cs.errors == 0, "%" PRIu64 " client errors", cs.errors);
    EXPECT(s.answered == total, "%" PRIu64 " of %" PRIu64 " requests answered", s.answered, total);
    EXPECT(cs.verified == total, "%" PRIu64 " of %" PRIu64 " answers verified", cs.verified, total);
    EXPECT(s.accepted == clients_n, "%u of %u clients accepted", s.accepted, clients_n);
    EXPECT(server_close_rc == 0, "server uv_loop_close: %s", uv_strerror(server_close_rc));
    EXPECT(cs.loop_close_rc == 0, "clients uv_loop_close: %s", uv_strerror(cs.loop_close_rc));
    EXPECT(strcmp(pool->name, "requests") == 0 && pool->kind == MK_ASYNC_KIND_POOL, "async entry 0 is pool 'requests'");
    EXPECT(pool->peak <= pool->capacity, "pool peak %" PRIu64 " > capacity %" PRIu64, pool->peak, pool->capacity);
    EXPECT(pool->peak == s.held_peak, "pool peak %" PRIu64 ", the server counted %" PRIu64, pool->peak, s.held_peak);
    EXPECT(pool->in_use == 0 && pool->waiters == 0, "pool not idle at the end: %" PRIu64 " in use, %" PRIu64 " waiting",
           pool->in_use, pool->waiters);
    EXPECT(pool->grants == s.immediate + s.granted && pool->grants == pool->releases,
           "grants %" PRIu64 ", releases %" PRIu64 ", acquires %" PRIu64 " at once + %" PRIu64 " after a wait",
           pool->grants, pool->releases, s.immediate, s.granted);
    EXPECT(s.granted == s.waits, "%" PRIu64 " waits, %" PRIu64 " granted", s.waits, s.granted);
    EXPECT(pool->timeouts == 0 && pool->failures == 0 && pool->cancels == 0 && pool->evictions == 0,
           "timeouts %" PRIu64 ", failures %" PRIu64 ", cancels %" PRIu64 ", evictions %" PRIu64, pool->timeouts,
           pool->failures, pool->cancels, pool->evictions);
    EXPECT(st.intents[MK_INTENT_NET].current == 0, "intent net still holds %" PRIu64 " bytes",
           st.intents[MK_INTENT_NET].current);
    EXPECT(st.intents[MK_INTENT_NET].peak <= st.intents[MK_INTENT_NET].budget, "intent net peaked over its budget");
    EXPECT(st.threads_attached <= 1u, "%u threads attached to memkit; only the server's should", st.threads_attached);
    if (clients_n > pool->capacity) {
        /* more connections than blocks: the pool must have made some wait */
        EXPECT(s.waits > 0 && s.stats_waiters_peak > 0, "backpressure never engaged (no acquire queued)");
        EXPECT(pool->longest_wait_ns > 0, "longest_wait_ns is 0 although requests queued");
        EXPECT(pool->peak == pool->capacity, "pool peak %" PRIu64 " never reached its %" PRIu64 " blocks", pool->peak,
               pool->capacity);
    }

    printf("async_tcp: %u clients x %u requests = %" PRIu64 " answered (%" PRIu64 " verified, %" PRIu64
           " bytes each way) in %.3f s; pool '%s' peak %" PRIu64 "/%" PRIu64 " blocks; %" PRIu64
           " acquires waited (up to %" PRIu64 " queued at once), longest wait %.3f ms\n",
           clients_n, requests_n, s.answered, cs.verified, cs.bytes, seconds, pool->name, pool->peak, pool->capacity,
           s.waits, s.stats_waiters_peak, (double)pool->longest_wait_ns / 1e6);
    mk_stats_print(stdout);
    fflush(stdout);

    free(s.conns);
    free(cs.conns);
    free(cs.lines);
    size_t leaks = mk_shutdown();
    EXPECT(leaks == 0, "mk_shutdown: %zu blocks leaked", leaks);
#undef EXPECT
    if (failures != 0) {
        fprintf(stderr, "async_tcp: FAILED (%u checks)\n", failures);
        return 1;
    }
    return 0;
}
