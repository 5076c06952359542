/* recover_fields: parses the text fields a recovered session was stored with, for recover.c:
 * addresses ("IP:PORT", SIP URIs with an IP literal host, where our INVITE went), the dialog
 * state and the codec. Pure functions: fuzz/fuzz_store_record.c feeds them stored records. */
#include "coord/recover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void copy(char *dst, size_t cap, const char *src) { snprintf(dst, cap, "%s", src ? src : ""); }

/* "1.2.3.4:5" or "[::1]:5" -> host, port. */
int sc_coord__recover_split_addr(const char *v, char *host, size_t cap, uint16_t *port)
{
    const char *colon;
    size_t n;
    if (!v)
        return -EINVAL;
    if (v[0] == '[') {
        const char *rb = strchr(v, ']');
        if (!rb || rb[1] != ':')
            return -EINVAL;
        n = (size_t)(rb - v - 1);
        v++;
        colon = rb + 1;
    } else {
        colon = strrchr(v, ':');
        if (!colon)
            return -EINVAL;
        n = (size_t)(colon - v);
    }
    if (n == 0 || n >= cap)
        return -EINVAL;
    memcpy(host, v, n);
    host[n] = '\0';
    long p = strtol(colon + 1, NULL, 10);
    if (p <= 0 || p > 65535)
        return -EINVAL;
    *port = (uint16_t)p;
    return 0;
}

/* The host and port of a SIP URI with an IP literal host ("sip:u@[::1]:5070;transport=tcp"). */
int sc_coord__recover_uri_dest(const char *uri, struct sockaddr_storage *out)
{
    if (!uri)
        return -EINVAL;
    const char *p = uri;
    if (!strncasecmp(p, "sips:", 5))
        p += 5;
    else if (!strncasecmp(p, "sip:", 4))
        p += 4;
    else
        return -EINVAL;
    const char *at = strchr(p, '@');
    const char *end = p + strcspn(p, ";>?");
    if (at && at < end)
        p = at + 1;
    char host[64];
    uint16_t port = 5060;
    size_t n;
    if (*p == '[') {
        const char *rb = strchr(p, ']');
        if (!rb || rb > end)
            return -EINVAL;
        n = (size_t)(rb - p - 1);
        if (n >= sizeof host)
            return -EINVAL;
        memcpy(host, p + 1, n);
        host[n] = '\0';
        if (rb[1] == ':')
            port = (uint16_t)strtol(rb + 2, NULL, 10);
    } else {
        n = strcspn(p, ":;>?");
        if (n == 0 || n >= sizeof host)
            return -EINVAL;
        memcpy(host, p, n);
        host[n] = '\0';
        if (p[n] == ':')
            port = (uint16_t)strtol(p + n + 1, NULL, 10);
    }
    memset(out, 0, sizeof *out);
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)out) == 0 ||
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)out) == 0)
        return 0;
    return -EINVAL;
}

/* Where in-dialog requests go: the first Route ("<sip:proxy;lr>, ...") or the remote target. */
int sc_coord__recover_first_hop(const sc_sip_dialog_state *d, struct sockaddr_storage *out)
{
    if (d->route_set[0]) {
        const char *lt = strchr(d->route_set, '<');
        const char *gt = lt ? strchr(lt, '>') : NULL;
        char first[SC_SIP_URI_MAX];
        if (lt && gt && (size_t)(gt - lt - 1) < sizeof first) {
            memcpy(first, lt + 1, (size_t)(gt - lt - 1));
            first[gt - lt - 1] = '\0';
            return sc_coord__recover_uri_dest(first, out);
        }
    }
    return sc_coord__recover_uri_dest(d->remote_target, out);
}

static uint32_t field_u32(const sc_session *s, sc_field f)
{
    const char *v = sc_session_field(s, f);
    return v ? (uint32_t)strtoul(v, NULL, 10) : 0;
}

/* A new dialog state (caller frees) from s's recorded fields: Call-ID, tags, URIs, remote
 * target, route set, CSeqs and transport; NULL on ENOMEM. Fields not recorded stay empty. */
sc_sip_dialog_state *sc_coord__recover_dialog_of(const sc_session *s)
{
    sc_sip_dialog_state *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    copy(d->call_id, sizeof d->call_id, sc_session_field(s, SC_FIELD_CALL_ID));
    copy(d->local_tag, sizeof d->local_tag, sc_session_field(s, SC_FIELD_LOCAL_TAG));
    copy(d->remote_tag, sizeof d->remote_tag, sc_session_field(s, SC_FIELD_REMOTE_TAG));
    copy(d->local_uri, sizeof d->local_uri, sc_session_field(s, SC_FIELD_LOCAL_URI));
    copy(d->remote_uri, sizeof d->remote_uri, sc_session_field(s, SC_FIELD_REMOTE_URI));
    copy(d->remote_target, sizeof d->remote_target, sc_session_field(s, SC_FIELD_REMOTE_TARGET));
    copy(d->route_set, sizeof d->route_set, sc_session_field(s, SC_FIELD_ROUTE_SET));
    d->local_cseq = field_u32(s, SC_FIELD_LOCAL_CSEQ);
    d->remote_cseq = field_u32(s, SC_FIELD_REMOTE_CSEQ);
    const char *tp = sc_session_field(s, SC_FIELD_TRANSPORT);
    d->transport = tp && !strcasecmp(tp, "tcp") ? SC_SIP_TCP : tp && !strcasecmp(tp, "tls") ? SC_SIP_TLS : SC_SIP_UDP;
    d->is_uac = sc_session_role(s) == SC_ROLE_UAC;
    return d;
}

/* The recorded codec: PCMU, PCMA or G722 (static payload types), or Opus with the dynamic
 * payload type recorded beside it (codec_pt, 96..127: *pt); false for another one, or an Opus
 * record without a usable codec_pt (nothing is sent then). A record without the field: PCMU.
 * *pt is -1 for the static ones. */
bool sc_coord__recover_codec(const sc_session *s, sc_media_codec *c, int *pt)
{
    const char *codec = sc_session_field(s, SC_FIELD_CODEC);
    *c = SC_MEDIA_PCMU;
    *pt = -1;
    if (codec && (!strncasecmp(codec, "opus/", 5) || !strcasecmp(codec, "opus"))) {
        const char *v = sc_session_field(s, SC_FIELD_CODEC_PT);
        char *end = NULL;
        long n = v ? strtol(v, &end, 10) : -1;
        if (!v || *end || n < 96 || n > 127)
            return false;
        *c = SC_MEDIA_OPUS;
        *pt = (int)n;
        return true;
    }
    if (!codec || !strncasecmp(codec, "PCMU/", 5) || !strcasecmp(codec, "PCMU"))
        return true;
    if (!strncasecmp(codec, "PCMA/", 5) || !strcasecmp(codec, "PCMA")) {
        *c = SC_MEDIA_PCMA;
        return true;
    }
    if (!strncasecmp(codec, "G722/", 5) || !strcasecmp(codec, "G722")) {
        *c = SC_MEDIA_G722;
        return true;
    }
    return false;
}

/* Where our INVITE went (invite_dest, call.c: "udp:IP:PORT[ <route>, ...]") into d: its address
 * and transport, and its Route headers. Nothing when absent (an older record: the remote URI
 * says) or unreadable. */
void sc_coord__recover_invite_dest(const char *v, sc_sip_dialog_state *d)
{
    if (!v || (strncmp(v, "udp:", 4) && strncmp(v, "tcp:", 4) && strncmp(v, "tls:", 4)))
        return;
    char host[64];
    const char *h = v + 4, *colon;
    if (*h == '[') {
        const char *rb = strchr(h, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - h - 1) >= sizeof host)
            return;
        snprintf(host, sizeof host, "%.*s", (int)(rb - h - 1), h + 1);
        colon = rb + 1;
    } else {
        colon = strchr(h, ':');
        if (!colon || (size_t)(colon - h) >= sizeof host)
            return;
        snprintf(host, sizeof host, "%.*s", (int)(colon - h), h);
    }
    int port = atoi(colon + 1);
    struct sockaddr_storage a;
    memset(&a, 0, sizeof a);
    if (port <= 0 || port > 65535 ||
        (uv_ip4_addr(host, port, (struct sockaddr_in *)&a) != 0 &&
         uv_ip6_addr(host, port, (struct sockaddr_in6 *)&a) != 0))
        return;
    d->remote_addr = a;
    d->transport = v[1] == 'c' ? SC_SIP_TCP : v[1] == 'l' ? SC_SIP_TLS : SC_SIP_UDP;
    const char *sp = strchr(colon, ' ');
    snprintf(d->route_set, sizeof d->route_set, "%s", sp ? sp + 1 : "");
}
