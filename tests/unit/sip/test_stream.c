/* SIP over TCP stream framing (src/sip/stream.c): messages come out intact however the bytes
 * are cut (one at a time, odd chunks, cuts inside CRLFCRLF and inside Content-Length), the
 * framer's work is linear (bytes examined, a counter, never a timing), garbage is refused, and
 * the same through a real TCP connection into an agent (sc_sip_get_stats). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sip/sip_int.h"
#include "sip_test_util.h"

#define FRAME_MAX 65535

/* An OPTIONS of about size bytes: half extra header lines (so the CRLFCRLF search has work),
 * half body. */
static char *make_msg(size_t size, unsigned n)
{
    size_t half = size / 2;
    char *hdrs = malloc(half + 64), *body = malloc(half + 1);
    size_t h = 0;
    for (unsigned i = 0; h + 40 < half; i++)
        h += (size_t)sprintf(hdrs + h, "X-Filler-%05u: %020u\r\n", i, i * n);
    for (size_t i = 0; i < half; i++)
        body[i] = (char)('a' + (i + n) % 26);
    body[half] = '\0';
    char *m = tu_fmt("OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
                     "Via: SIP/2.0/TCP 127.0.0.1:5062;branch=z9hG4bKs%u\r\n"
                     "From: <sip:alice@127.0.0.1>;tag=a%u\r\nTo: <sip:bob@127.0.0.1>\r\n"
                     "Call-ID: s%u@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n%.*s"
                     "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
                     n, n, n, (int)h, hdrs, half, body);
    free(hdrs);
    free(body);
    return m;
}

typedef struct out {
    char *msg[16];
    size_t len[16], n;
} out;

/* Pushes data in chunks (sizes from chunks[], cycled) and collects every framed message. */
static long feed_chunks(sip_stream *s, const char *data, size_t len, const size_t *chunks, size_t nchunks, out *o)
{
    size_t off = 0, k = 0;
    while (off < len) {
        size_t c = chunks[k++ % nchunks];
        if (c > len - off)
            c = len - off;
        assert_int_equal(sip_stream_push(s, data + off, c), 0);
        off += c;
        const char *m;
        long n;
        while ((n = sip_stream_next(s, &m)) > 0) {
            assert_true(o->n < 16);
            o->msg[o->n] = malloc((size_t)n);
            memcpy(o->msg[o->n], m, (size_t)n);
            o->len[o->n++] = (size_t)n;
        }
        if (n < 0)
            return n;
        sip_stream_compact(s);
    }
    return 0;
}

static void out_free(out *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->msg[i]);
    o->n = 0;
}

static void assert_msg(const out *o, size_t i, const char *want)
{
    assert_true(i < o->n);
    assert_int_equal(o->len[i], strlen(want));
    assert_memory_equal(o->msg[i], want, o->len[i]);
}

/* 60 KB (30 KB of headers) fed one byte at a time: one message, intact, and every byte looked
 * at no more than twice (the quadratic framer looked at ~n^2/2 = 10^9 bytes). */
static void test_drip_fed_is_linear(void **state)
{
    (void)state;
    char *m = make_msg(60000, 1);
    size_t len = strlen(m), one = 1;
    assert_true(len > 59000);
    sip_stream s = {.max = FRAME_MAX};
    out o = {0};
    assert_int_equal(feed_chunks(&s, m, len, &one, 1, &o), 0);
    assert_int_equal(o.n, 1);
    assert_msg(&o, 0, m);
    assert_int_equal(s.len, 0);
    printf("drip-fed %zu bytes: %llu examined\n", len, (unsigned long long)s.examined);
    assert_true(s.examined < 4 * len);
    assert_true(s.examined <= 2 * len);
    /* the same message whole costs the same */
    uint64_t drip = s.examined;
    sip_stream w = {.max = FRAME_MAX};
    assert_int_equal(feed_chunks(&w, m, len, &len, 1, &o), 0);
    assert_int_equal(o.n, 2);
    assert_msg(&o, 1, m);
    assert_int_equal(w.examined, drip);
    out_free(&o);
    sip_stream_free(&s);
    sip_stream_free(&w);
    free(m);
}

/* Pipelined messages with keep-alive CRLFs between them, cut in odd chunk sizes. */
static void test_pipelined_odd_chunks(void **state)
{
    (void)state;
    char *msgs[5];
    size_t sizes[5] = {300, 9000, 41, 20000, 1500};
    char *stream = NULL;
    size_t total = 0;
    for (unsigned i = 0; i < 5; i++) {
        msgs[i] = make_msg(sizes[i], i);
        const char *ka = i % 2 ? "\r\n\r\n" : "";
        char *next = tu_fmt("%s%s%s", stream ? stream : "", ka, msgs[i]);
        free(stream);
        stream = next;
    }
    total = strlen(stream);
    const size_t chunk_sets[][4] = {{1, 1, 1, 1}, {3, 7, 11, 13}, {4096, 17, 1, 8191}, {65535, 65535, 65535, 65535}};
    for (size_t k = 0; k < 4; k++) {
        sip_stream s = {.max = FRAME_MAX};
        out o = {0};
        assert_int_equal(feed_chunks(&s, stream, total, chunk_sets[k], 4, &o), 0);
        assert_int_equal(o.n, 5);
        for (size_t i = 0; i < 5; i++)
            assert_msg(&o, i, msgs[i]);
        assert_true(s.examined < 4 * total);
        out_free(&o);
        sip_stream_free(&s);
    }
    for (unsigned i = 0; i < 5; i++)
        free(msgs[i]);
    free(stream);
}

/* Two messages sent as two pieces, cut at every offset around the first message's CRLFCRLF and
 * inside its Content-Length value (and header name). */
static void test_cut_everywhere(void **state)
{
    (void)state;
    const char *m1 = "MESSAGE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKc1\r\n"
                     "Content-Length: 12345\r\n\r\n";
    char *a = malloc(strlen(m1) + 12345 + 1);
    strcpy(a, m1);
    memset(a + strlen(m1), 'b', 12345);
    a[strlen(m1) + 12345] = '\0';
    const char *b = "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nl: 3\r\n\r\nxyz";
    char *both = tu_fmt("%s%s", a, b);
    size_t total = strlen(both), hend = strlen(m1), cl = (size_t)(strstr(both, "12345") - both);
    size_t cuts[64], ncuts = 0;
    for (size_t i = hend - 6; i <= hend + 1; i++)
        cuts[ncuts++] = i; /* around and inside CRLFCRLF */
    for (size_t i = cl - 16; i <= cl + 5; i++)
        cuts[ncuts++] = i;          /* inside "Content-Length: 12345" */
    cuts[ncuts++] = strlen(a) + 40; /* inside the second message's "\r\n\r\n" */
    for (size_t i = 0; i < ncuts; i++) {
        sip_stream s = {.max = FRAME_MAX};
        out o = {0};
        size_t chunks[2] = {cuts[i], total};
        assert_int_equal(feed_chunks(&s, both, total, chunks, 2, &o), 0);
        assert_int_equal(o.n, 2);
        assert_msg(&o, 0, a);
        assert_msg(&o, 1, b);
        out_free(&o);
        sip_stream_free(&s);
    }
    free(both);
    free(a);
}

static long frame_all(const char *data, size_t max)
{
    sip_stream s = {.max = max};
    out o = {0};
    size_t len = strlen(data);
    long rc = feed_chunks(&s, data, len, &len, 1, &o);
    rc = rc < 0 ? rc : (long)o.n;
    out_free(&o);
    sip_stream_free(&s);
    return rc;
}

/* Unframeable streams are refused; an incomplete one just waits. */
static void test_garbage(void **state)
{
    (void)state;
    assert_int_equal(frame_all("OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n", FRAME_MAX), SIP_STREAM_GARBAGE); /* no CL */
    assert_int_equal(frame_all("OPTIONS sip:x SIP/2.0\r\nContent-Length: abc\r\n\r\n", FRAME_MAX), SIP_STREAM_GARBAGE);
    assert_int_equal(frame_all("OPTIONS sip:x SIP/2.0\r\nContent-Length: 70000\r\n\r\n", FRAME_MAX),
                     SIP_STREAM_GARBAGE);
    assert_int_equal(frame_all("OPTIONS sip:x SIP/2.0\r\nContent-Length: 5\r\n\r\nab", FRAME_MAX), 0); /* waits */
    assert_int_equal(frame_all("OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n", FRAME_MAX), 1);
    char *big = malloc(FRAME_MAX + 10); /* no end of headers within max */
    memset(big, 'A', FRAME_MAX + 9);
    big[FRAME_MAX + 9] = '\0';
    assert_int_equal(frame_all(big, FRAME_MAX), SIP_STREAM_GARBAGE);
    big[200] = '\0';
    assert_int_equal(frame_all(big, FRAME_MAX), 0);
    /* the same refusal dripped: it comes as soon as max bytes have no CRLFCRLF */
    sip_stream s = {.max = 1000};
    const char *m;
    long n = 0;
    size_t fed = 0;
    while (n == 0 && fed < 1500) {
        assert_int_equal(sip_stream_push(&s, "A", 1), 0);
        fed++;
        n = sip_stream_next(&s, &m);
        sip_stream_compact(&s);
    }
    assert_int_equal(n, SIP_STREAM_GARBAGE);
    assert_int_equal(fed, 1000);
    sip_stream_free(&s);
    free(big);
}

/* ---- through an agent: a real TCP connection ----------------------------------------- */

typedef struct tcp_fx {
    uv_loop_t loop;
    sc_sip *sip;
    tu_msgs sent;
    int fd;
} tcp_fx;

static void tcp_open(tcp_fx *f)
{
    memset(f, 0, sizeof *f);
    uv_loop_init(&f->loop);
    sc_sip_config cfg = {.send_hook = tu_capture_hook, .ud = &f->sent, .t1_ms = 50};
    assert_int_equal(sc_sip_new(&f->sip, &f->loop, &cfg), 0);
    assert_int_equal(sc_sip_listen(f->sip, "tcp:127.0.0.1:0"), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(tu_port(f->sip, 0))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->fd >= 0);
    int one = 1;
    setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    assert_int_equal(connect(f->fd, (struct sockaddr *)&a, sizeof a), 0);
}

static void tcp_close(tcp_fx *f)
{
    close(f->fd);
    tu_free_sip(&f->loop, f->sip);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    tu_msgs_clear(&f->sent);
}

static sc_sip_stats tcp_stats(tcp_fx *f)
{
    sc_sip_stats s;
    sc_sip_get_stats(f->sip, &s);
    return s;
}

typedef struct wait_in {
    tcp_fx *f;
    uint64_t want;
} wait_in;

static bool read_all(void *arg)
{
    wait_in *w = arg;
    return tcp_stats(w->f).tcp_bytes_in >= w->want;
}

/* Writes data in pieces of chunk bytes, each read by the agent before the next is written (so
 * every read is one piece). */
static void tcp_drip(tcp_fx *f, const char *data, size_t len, size_t chunk)
{
    uint64_t base = tcp_stats(f).tcp_bytes_in;
    for (size_t off = 0; off < len; off += chunk) {
        size_t c = len - off < chunk ? len - off : chunk;
        assert_int_equal(write(f->fd, data + off, c), (ssize_t)c);
        wait_in w = {f, base + off + c};
        assert_true(tu_run_until(&f->loop, read_all, &w, 5000));
    }
}

/* 30 KB of headers and 30 KB of body dripped 16 bytes a read, then two small OPTIONS in one
 * write: all three answered, and tcp_bytes_examined stays under twice tcp_bytes_in. */
static void test_agent_tcp_drip(void **state)
{
    (void)state;
    tcp_fx f;
    tcp_open(&f);
    char *m = make_msg(60000, 7), *small = make_msg(200, 8), *small2 = make_msg(300, 9);
    tcp_drip(&f, m, strlen(m), 16);
    char *two = tu_fmt("%s\r\n%s", small, small2);
    tcp_drip(&f, two, strlen(two), strlen(two));
    sc_sip_stats s = tcp_stats(&f);
    assert_int_equal(s.requests_in[SC_SIP_M_OPTIONS], 3);
    assert_int_equal(tu_msgs_count(&f.sent, "SIP/2.0 200"), 3);
    assert_int_equal(s.tcp_bytes_in, strlen(m) + strlen(two));
    printf("agent: %llu bytes in, %llu examined\n", (unsigned long long)s.tcp_bytes_in,
           (unsigned long long)s.tcp_bytes_examined);
    assert_true(s.tcp_bytes_examined > 0);
    assert_true(s.tcp_bytes_examined < 2 * s.tcp_bytes_in);
    assert_int_equal(s.rejected[SC_SIP_REJ_STREAM_GARBAGE], 0);
    free(two);
    free(m);
    free(small);
    free(small2);
    tcp_close(&f);
}

/* A stream without a Content-Length is garbage: counted, the connection dropped. */
static void test_agent_tcp_garbage(void **state)
{
    (void)state;
    tcp_fx f;
    tcp_open(&f);
    const char *bad = "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1\r\n\r\n";
    tcp_drip(&f, bad, strlen(bad), 5);
    assert_int_equal(tcp_stats(&f).rejected[SC_SIP_REJ_STREAM_GARBAGE], 1);
    char c;
    tu_run(&f.loop, NULL, 50);
    assert_int_equal(read(f.fd, &c, 1), 0); /* closed by the agent */
    tcp_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drip_fed_is_linear), cmocka_unit_test(test_pipelined_odd_chunks),
        cmocka_unit_test(test_cut_everywhere),     cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_agent_tcp_drip),     cmocka_unit_test(test_agent_tcp_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
