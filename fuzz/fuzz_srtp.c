/* fuzz_srtp: feeds arbitrary datagrams to the receive path of a stream with SRTP keys, as if
 * they came from the SDP's address: SRTP/SRTCP authentication (and its failure and replay
 * counts) before anything else, then, for what authenticates, RTP parsing, the RFC 3550 checks,
 * DTMF, the bridge relay to a second stream (which protects again with its own keys) and RTCP.
 * The input is a list of datagrams: [kind byte: bit 0 = RTCP, bit 1 = protect it first with the
 * peer's key (so that it authenticates)][length: 2 bytes][bytes], repeated. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <srtp2/srtp.h>

#include "media/media_int.h"
#include "session_core/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fx {
    uv_loop_t loop;
    sc_media *m;
    sc_media_stream *a, *b;
    srtp_t peer_tx; /* the peer's sending context: its key is a's receive key */
    struct sockaddr_in peer;
} fx;

static sc_media_srtp fixed_key(uint8_t fill)
{
    sc_media_srtp k = {.suite = SC_MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, .key_len = 30};
    memset(k.key, fill, sizeof k.key);
    return k;
}

static fx *setup(void)
{
    static fx f;
    static bool ready;
    if (ready)
        return &f;
    uv_loop_init(&f.loop);
    sc_media_config cfg = {.port_min = 42000, .port_max = 42999};
    if (sc_media_new(&f.m, &f.loop, &cfg) || sc_media_stream_open(f.m, &f.a, NULL) ||
        sc_media_stream_open(f.m, &f.b, NULL))
        abort();
    sc_media_srtp ka_tx = fixed_key(1), ka_rx = fixed_key(2), kb_tx = fixed_key(3), kb_rx = fixed_key(4);
    /* the peers: a port nothing listens on (what is sent goes nowhere) */
    if (sc_media_stream_set_remote(f.a, "127.0.0.1", 9, SC_MEDIA_PCMU, 101, SC_MEDIA_SENDRECV) ||
        sc_media_stream_set_remote(f.b, "127.0.0.1", 11, SC_MEDIA_PCMA, 101, SC_MEDIA_SENDRECV) ||
        sc_media_stream_set_srtp(f.a, &ka_tx, &ka_rx) || sc_media_stream_set_srtp(f.b, &kb_tx, &kb_rx) ||
        sc_media_bridge(f.a, f.b))
        abort();
    srtp_policy_t p;
    memset(&p, 0, sizeof p);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    p.key = ka_rx.key;
    p.ssrc.type = ssrc_any_outbound;
    p.allow_repeat_tx = 1;
    if (srtp_create(&f.peer_tx, &p) != srtp_err_status_ok)
        abort();
    f.peer.sin_family = AF_INET;
    f.peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ready = true;
    return &f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fx *f = setup();
    static uint8_t pkt[SC_MEDIA_MAX_PKT + SC_MEDIA_SRTP_TRAILER];
    while (size >= 3) {
        bool rtcp = data[0] & 1, seal = data[0] & 2;
        size_t n = (size_t)data[1] << 8 | data[2];
        data += 3;
        size -= 3;
        if (n > size)
            n = size;
        size_t len = n > SC_MEDIA_MAX_PKT ? SC_MEDIA_MAX_PKT : n;
        memcpy(pkt, data, len);
        if (seal && len >= (rtcp ? 8u : 12u)) {
            int l = (int)len;
            if ((rtcp ? srtp_protect_rtcp(f->peer_tx, pkt, &l) : srtp_protect(f->peer_tx, pkt, &l)) ==
                srtp_err_status_ok)
                len = (size_t)l;
        }
        f->peer.sin_port = htons(rtcp ? 10 : 9);
        sc_media__receive(f->a, rtcp, pkt, len, (const struct sockaddr *)&f->peer);
        data += n;
        size -= n;
    }
    uv_run(&f->loop, UV_RUN_NOWAIT); /* sends complete */
    return 0;
}
