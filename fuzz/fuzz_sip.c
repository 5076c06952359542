/* libFuzzer target for the SIP receive path: the input goes through sc_sip_feed (parse,
 * validate, transaction and dialog matching, the TU answering calls and requests) as a datagram,
 * again as a retransmission, and framed as a TCP stream; SDP bodies go through the SDP parser
 * and answerer. Whatever the agent sends is discarded by the send hook. The input parsed by osip,
 * and a response to it as the agent builds one, must be written by our own writer (msg_write.c)
 * byte for byte as osip_message_to_str writes them (abort otherwise). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session_core/sip.h"
#include "sip/msg_write.h"
#include "sip/sip_int.h"

#define FUZZ_MAX_CALLS 16

typedef struct fuzz_ctx {
    sc_sip_call *calls[FUZZ_MAX_CALLS];
    size_t ncalls;
} fuzz_ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool discard(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *d, size_t len)
{
    (void)ud;
    (void)tp;
    (void)dst;
    (void)d;
    (void)len;
    return true;
}

static void try_sdp(const char *body, size_t len)
{
    sc_sdp_info offer;
    char answer[2048];
    sc_sdp_local local = {.addr = "127.0.0.1", .port = 20000, .session_id = 1, .session_version = 1};
    if (body && sc_sdp_parse(body, len, &offer) == 0)
        sc_sdp_build_answer(&offer, &local, answer, sizeof answer, NULL);
}

static void on_incoming(sc_sip *sip, sc_sip_call *call, const struct osip_message *msg, void *ud)
{
    fuzz_ctx *f = ud;
    (void)sip;
    const char *body = NULL;
    size_t len = 0;
    sip_body(msg, &body, &len);
    try_sdp(body, len);
    if (f->ncalls >= FUZZ_MAX_CALLS) {
        sc_sip_call_respond(call, 486, NULL, NULL);
        sc_sip_call_release(call);
        return;
    }
    f->calls[f->ncalls++] = call;
    sc_sip_call_respond(call, 180, NULL, NULL);
    sc_sip_call_respond(call, 200, NULL, "v=0\r\n");
}

static void on_event(sc_sip_call *call, const sc_sip_event *ev, void *ud)
{
    (void)ud;
    try_sdp(ev->body, ev->body_len);
    if (ev->type == SC_EV_DialogReINVITE)
        sc_sip_call_respond(call, 200, NULL, "v=0\r\n");
    else if (ev->stx)
        sc_sip_respond(sc_sip_call_agent(call), ev->stx, 200, NULL, NULL, NULL);
}

/* Our writer against osip's on m: the same bytes whenever ours writes it (it may leave it to
 * osip); osip's text is taken last, as it caches it in m. */
static void same_as_osip(osip_message_t *m)
{
    static char ours[65536];
    size_t n = 0;
    int rc = sip_msg_write(m, ours, sizeof ours, &n);
    char *ref = NULL;
    size_t ref_len = 0;
    int orc = osip_message_to_str(m, &ref, &ref_len);
    if (rc == 0 && (orc != 0 || !ref || ref_len != n || memcmp(ref, ours, n) != 0))
        abort();
    osip_free(ref);
}

/* Parsed from a copy with "multipart" defused, as the receive path does (core.c: osip's MIME
 * parser leaks on some malformed multipart bodies). */
static void differential(sc_sip *sip, const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    osip_message_t *m = NULL;
    if (!text || osip_message_init(&m) != 0) {
        free(text);
        return;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    for (size_t i = 0; i + 9 <= size; i++)
        if (strncasecmp(text + i, "multipart", 9) == 0)
            text[i] = 'x';
    if (osip_message_parse(m, text, size) == 0) {
        osip_message_t *r = m->sip_method ? sip_response(sip, m, 200, NULL, "fz") : NULL;
        if (r) {
            sip_set_body(r, NULL, "v=0\r\n");
            same_as_osip(r);
            osip_message_free(r);
        }
        same_as_osip(m);
    }
    osip_message_free(m);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0)
        return 0;
    fuzz_ctx f = {.ncalls = 0};
    sc_sip_config cfg = {
        .send_hook = discard, .on_incoming = on_incoming, .on_event = on_event, .ud = &f, .t1_ms = 1, .max_calls = 8};
    sc_sip *sip = NULL;
    if (sc_sip_new(&sip, &loop, &cfg) != 0) {
        uv_loop_close(&loop);
        return 0;
    }
    struct sockaddr_in src;
    uv_ip4_addr("127.0.0.1", 5062, &src);
    const char *p = (const char *)data;
    sc_sip_feed(sip, SC_SIP_UDP, (const struct sockaddr *)&src, p, size);
    sc_sip_feed(sip, SC_SIP_UDP, (const struct sockaddr *)&src, p, size); /* a retransmission */
    size_t off = 0;
    while (off < size) { /* the same bytes as a TCP stream */
        while (off < size && (p[off] == '\r' || p[off] == '\n'))
            off++;
        long n = sip_frame(p + off, size - off, 65535);
        if (n <= 0)
            break;
        sc_sip_feed(sip, SC_SIP_TCP, (const struct sockaddr *)&src, p + off, (size_t)n);
        off += (size_t)n;
    }
    try_sdp(p, size);
    differential(sip, data, size);
    uv_run(&loop, UV_RUN_NOWAIT);
    for (size_t i = 0; i < f.ncalls; i++)
        sc_sip_call_release(f.calls[i]);
    sc_sip_free(sip);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}
