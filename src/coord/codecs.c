/* codecs: the coordinator's codec settings: the preference list taken from the configuration,
 * and the media format (codec, payload types, telephone-event clock, Opus parameters) a
 * stream gets from what an SDP negotiated. */
#include "coord/coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int sc_coord__codecs_config(sc_coord *c, const sc_coord_config *cfg)
{
    const char *list = cfg->codecs && *cfg->codecs ? cfg->codecs : SC_COORD_CODECS_DEFAULT;
    const char *bad = NULL;
    if (strlen(list) >= sizeof c->codecs || sc_sdp_codecs_check(list, &bad) < 0) {
        sc_log(c->logger, SC_LOG_ERROR, "media", "codecs '%s': unknown or repeated codec at '%s' (known: %s)", list,
               bad ? bad : "", SC_SDP_CODEC_NAMES);
        return -EINVAL;
    }
    snprintf(c->codecs, sizeof c->codecs, "%s", list);
    return 0;
}

int sc_coord__media_format(const sc_sdp_info *info, const sc_sdp_codec *codec, sc_media_format *fmt)
{
    memset(fmt, 0, sizeof *fmt);
    fmt->codec = SC_MEDIA_PCMU;
    fmt->pt = -1;
    fmt->dtmf_pt = -1;
    if (!codec || sc_media_codec_parse(codec->name, &fmt->codec) < 0) {
        /* a static G.711 payload type without rtpmap */
        if (!codec || (codec->pt != 0 && codec->pt != 8))
            return -ENOTSUP;
        fmt->codec = codec->pt == 8 ? SC_MEDIA_PCMA : SC_MEDIA_PCMU;
    }
    if (codec->rate && (unsigned)codec->rate != sc_media_codec_clock(fmt->codec))
        return -ENOTSUP;
    fmt->pt = codec->pt;
    if (fmt->codec == SC_MEDIA_OPUS)
        sc_sdp_opus_params(codec->fmtp, &fmt->opus_fec, &fmt->opus_stereo, &fmt->opus_maxrate);
    /* the telephone-event at the codec's clock when the SDP has several (RFC 4733 2.1), else
     * the one the SDP parse kept */
    unsigned clock = sc_media_codec_clock(fmt->codec);
    int best = -1; /* rank of the one taken: 2 at the codec's clock, 1 the parse's, 0 another */
    for (size_t i = 0; i < info->codec_count; i++) {
        const sc_sdp_codec *t = &info->codecs[i];
        if (strcasecmp(t->name, "telephone-event") || t->pt < 96 || t->pt > 127 || t->pt == codec->pt)
            continue;
        unsigned rate = t->rate == 16000 || t->rate == 48000 ? (unsigned)t->rate : 8000;
        int rank = rate == clock ? 2 : t->pt == info->dtmf_pt ? 1 : 0;
        if (rank > best) {
            best = rank;
            fmt->dtmf_pt = t->pt;
            fmt->dtmf_clock = rate;
        }
    }
    return 0;
}
