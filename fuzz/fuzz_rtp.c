/* fuzz_rtp: feeds arbitrary datagrams to a media stream's receive path as if they came from the
 * SDP's address: RTP header parsing, RFC 3550 sequence/probation/SSRC checks, RFC 4733 DTMF
 * events, the bridge relay to a second stream, and RTCP report parsing. The input is a list of
 * datagrams: [kind byte: bit 0 = RTCP][length: 2 bytes][bytes], repeated. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "media/media_int.h"
#include "session_core/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fx {
    uv_loop_t loop;
    sc_media *m;
    sc_media_stream *a, *b;
    struct sockaddr_in peer;
} fx;

static void on_dtmf(sc_media_stream *st, char digit, unsigned ms, void *ud)
{
    (void)st;
    (void)ud;
    if (!strchr("0123456789*#ABCD", digit) || ms > 10000000)
        abort(); /* a digit we could not have decoded */
}

static fx *setup(void)
{
    static fx f;
    static bool ready;
    if (ready)
        return &f;
    uv_loop_init(&f.loop);
    sc_media_config cfg = {.port_min = 41000, .port_max = 41999, .cb = {.on_dtmf = on_dtmf}};
    if (sc_media_new(&f.m, &f.loop, &cfg) || sc_media_stream_open(f.m, &f.a, NULL) ||
        sc_media_stream_open(f.m, &f.b, NULL))
        abort();
    /* the peers: a port nothing listens on (what the bridge relays goes nowhere) */
    if (sc_media_stream_set_remote(f.a, "127.0.0.1", 9, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV) ||
        sc_media_stream_set_remote(f.b, "127.0.0.1", 11, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV) ||
        sc_media_bridge(f.a, f.b))
        abort();
    f.peer.sin_family = AF_INET;
    f.peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ready = true;
    return &f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fx *f = setup();
    static uint8_t pkt[65536];
    while (size >= 3) {
        bool rtcp = data[0] & 1;
        size_t n = (size_t)data[1] << 8 | data[2];
        data += 3;
        size -= 3;
        if (n > size)
            n = size;
        memcpy(pkt, data, n); /* the receive path may rewrite the packet (relay) */
        f->peer.sin_port = htons(rtcp ? 10 : 9);
        sc_media__receive(f->a, rtcp, pkt, n, (const struct sockaddr *)&f->peer);
        data += n;
        size -= n;
    }
    uv_run(&f->loop, UV_RUN_NOWAIT); /* sends complete */
    return 0;
}
