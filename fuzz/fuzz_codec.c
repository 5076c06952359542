/* fuzz_codec: payloads from the network through the codec decoders, the way the transcoding
 * bridge meets them: the first byte picks a leg pair (Opus -> PCMU, G.722 -> PCMA, Opus ->
 * G.722, G.722 -> Opus), the rest is a list of payloads [len: 2 bytes][bytes], each sent
 * into the first leg in an RTP packet (sequence and timestamp running on, as from the SDP's
 * address) and so decoded, resampled and re-encoded for the other leg; each payload is also
 * decoded directly by the Opus decoder at 8, 16 and 48 kHz and the G.722 decoder at 8 and
 * 16 kHz, whose output must fit the buffer they were given. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "media/media_int.h"
#include "session_core/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAIRS 4

typedef struct fx {
    uv_loop_t loop;
    sc_media *m;
    sc_media_stream *in[PAIRS], *out[PAIRS];
    uint8_t in_pt[PAIRS];
    uint32_t ts_step[PAIRS];
    uint16_t seq[PAIRS];
    uint32_t ts[PAIRS];
    sc_codec *dec[5];
    struct sockaddr_in peer;
} fx;

static void leg(fx *f, sc_media_stream **st, sc_media_codec c, int pt, uint16_t port)
{
    sc_media_format fmt = {.codec = c, .pt = pt, .dtmf_pt = 101};
    if (sc_media_stream_open(f->m, st, NULL) ||
        sc_media_stream_set_remote_format(*st, "127.0.0.1", port, &fmt, SC_MEDIA_SENDRECV))
        abort();
}

static fx *setup(void)
{
    static fx f;
    static bool ready;
    if (ready)
        return &f;
    uv_loop_init(&f.loop);
    sc_media_config cfg = {.port_min = 42000, .port_max = 42999};
    if (sc_media_new(&f.m, &f.loop, &cfg))
        abort();
    static const sc_media_codec from[PAIRS] = {SC_MEDIA_OPUS, SC_MEDIA_G722, SC_MEDIA_OPUS, SC_MEDIA_G722};
    static const sc_media_codec to[PAIRS] = {SC_MEDIA_PCMU, SC_MEDIA_PCMA, SC_MEDIA_G722, SC_MEDIA_OPUS};
    for (int i = 0; i < PAIRS; i++) {
        f.in_pt[i] = from[i] == SC_MEDIA_OPUS ? 111 : 9;
        f.ts_step[i] = from[i] == SC_MEDIA_OPUS ? 960 : 160;
        /* the sender: 127.0.0.1:9; what the bridge sends goes to a port nothing listens on */
        leg(&f, &f.in[i], from[i], f.in_pt[i], 9);
        leg(&f, &f.out[i], to[i], to[i] == SC_MEDIA_OPUS ? 96 : -1, 11);
        if (sc_media_bridge(f.in[i], f.out[i]))
            abort();
    }
    static const unsigned rates[5] = {8000, 16000, 48000, 8000, 16000};
    for (int i = 0; i < 5; i++)
        if (sc_codec__new(&f.dec[i], i < 3 ? SC_MEDIA_OPUS : SC_MEDIA_G722, false, rates[i], NULL))
            abort();
    f.peer.sin_family = AF_INET;
    f.peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f.peer.sin_port = htons(9);
    ready = true;
    return &f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fx *f = setup();
    static uint8_t pkt[12 + 1500];
    static int16_t pcm[SC_CODEC_MAX_PCM];
    if (size < 1)
        return 0;
    int k = data[0] % PAIRS;
    data++;
    size--;
    while (size >= 2) {
        size_t n = (size_t)data[0] << 8 | data[1];
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        if (n > 1500)
            n = 1500;
        for (int i = 0; i < 5; i++) {
            int got = sc_codec__decode(f->dec[i], data, n, pcm, SC_CODEC_MAX_PCM);
            if (got > SC_CODEC_MAX_PCM)
                abort();
        }
        sc_rtp__write_header(pkt, f->in_pt[k], false, f->seq[k]++, f->ts[k], 0x5EED);
        f->ts[k] += f->ts_step[k];
        memcpy(pkt + 12, data, n);
        sc_media__receive(f->in[k], false, pkt, 12 + n, (const struct sockaddr *)&f->peer);
        data += n;
        size -= n;
    }
    uv_run(&f->loop, UV_RUN_NOWAIT);
    return 0;
}
