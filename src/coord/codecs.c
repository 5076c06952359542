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
    if (info->dtmf_pt >= 96 && info->dtmf_pt <= 127 && info->dtmf_pt != codec->pt) {
        fmt->dtmf_pt = info->dtmf_pt;
        for (size_t i = 0; i < info->codec_count; i++)
            if (info->codecs[i].pt == info->dtmf_pt) {
                int r = info->codecs[i].rate;
                fmt->dtmf_clock = r == 16000 || r == 48000 ? (unsigned)r : 8000;
            }
    }
    return 0;
}
