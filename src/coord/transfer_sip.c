/* transfer_sip: the wire side of call transfer: reading Refer-To, Referred-By, Refer-Sub,
 * Event and sipfrag bodies, turning the outcome of our REFER and the transferee's NOTIFYs into
 * TransferAccepted/Progress/Succeeded/Failed, and matching an incoming INVITE's Replaces
 * header against our dialogs (RFC 3891 section 3). */
#include "coord/transfer.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

/* ---- Header helpers ----------------------------------------------------------------------- */

const char *sc_coord__xfer_header(const struct osip_message *msg, const char *name, const char *compact)
{
    osip_message_t *m = (osip_message_t *)msg;
    osip_header_t *h = NULL;
    if (!m)
        return NULL;
    if (osip_message_header_get_byname(m, name, 0, &h) >= 0 && h && h->hvalue)
        return h->hvalue;
    h = NULL;
    if (compact && osip_message_header_get_byname(m, compact, 0, &h) >= 0 && h && h->hvalue)
        return h->hvalue;
    return NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        int hi, lo;
        if (r[0] == '%' && (hi = hexval((unsigned char)r[1])) >= 0 && (lo = hexval((unsigned char)r[2])) >= 0) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

int sc_coord__xfer_parse_refer_to(const char *value, char **uri, char **replaces)
{
    *uri = *replaces = NULL;
    if (!value)
        return -EINVAL;
    while (*value == ' ' || *value == '\t')
        value++;
    const char *lt = strchr(value, '<');
    const char *start = lt ? lt + 1 : value;
    const char *end = lt ? strchr(start, '>') : start + strcspn(start, " ;\t");
    if (!end || end == start || (size_t)(end - start) >= SC_SIP_URI_MAX * 2)
        return -EINVAL;
    char *u = strndup(start, (size_t)(end - start));
    if (!u)
        return -ENOMEM;
    char *q = strchr(u, '?');
    if (q) {
        *q++ = '\0';
        char *save = NULL;
        for (char *h = strtok_r(q, "&", &save); h; h = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(h, '=');
            if (!eq)
                continue;
            *eq = '\0';
            if (strcasecmp(h, "Replaces") == 0 && !*replaces) {
                unescape(eq + 1);
                *replaces = strdup(eq + 1);
                if (!*replaces) {
                    free(u);
                    return -ENOMEM;
                }
            }
        }
    }
    *uri = u;
    return 0;
}

int sc_coord__xfer_sipfrag_status(const char *body, size_t len)
{
    if (!body)
        return -1;
    while (len && (*body == ' ' || *body == '\r' || *body == '\n' || *body == '\t')) {
        body++;
        len--;
    }
    if (len < 12 || strncasecmp(body, "SIP/2.0 ", 8) != 0)
        return -1;
    const char *p = body + 8;
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
        (len > 11 && isdigit((unsigned char)p[3])))
        return -1;
    int code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    return code >= 100 && code <= 699 ? code : -1;
}

int sc_coord__xfer_escape(const char *in, char *out, size_t cap)
{
    static const char keep[] = "-_.!~*'()[]/?:+$"; /* unreserved marks and hnv-unreserved */
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        if (isalnum(*p) || strchr(keep, *p)) {
            if (n + 1 >= cap)
                return -ENOSPC;
            out[n++] = (char)*p;
        } else {
            if (n + 3 >= cap)
                return -ENOSPC;
            snprintf(out + n, cap - n, "%%%02X", *p);
            n += 3;
        }
    }
    if (n >= cap)
        return -ENOSPC;
    out[n] = '\0';
    return (int)n;
}

/* ---- Transferee: the REFER -------------------------------------------------------------- */

static sc_coord_xfer *xfer_get(sc_coord_leg *leg)
{
    if (!leg->xfer)
        leg->xfer = calloc(1, sizeof(sc_coord_xfer));
    return leg->xfer;
}

/* An incoming REFER: judge it (transfer_policy.c: trusted sender, allowed target), keep what it
 * asks for on the leg unless a transfer already runs, and dispatch DialogREFER with the status a
 * refusal gets as its code (0 accepted, 403 policy, 603 --accept-refer no) for the table:
 * AcceptRefer -> StartTransferCall; {CodeIs: 403} -> 403 Forbidden; else 603 Decline. */
static void on_refer(sc_coord *coord, sc_session *s, sc_coord_leg *leg, const sc_sip_event *ev, sc_coord_evctx *ctx)
{
    const char *rt = sc_coord__xfer_header(ev->msg, "refer-to", "r");
    char *target = NULL, *replaces = NULL;
    if (rt && sc_coord__xfer_parse_refer_to(rt, &target, &replaces) != 0)
        target = replaces = NULL;
    sc_coord_refer_verdict v = sc_coord__refer_check(coord, leg->id, ev->stx, target);
    sc_coord_xfer *x = xfer_get(leg);
    if (x && !x->in_progress) { /* a second REFER while one runs: AcceptRefer refuses it */
        free(x->refer_to);
        free(x->referred_by);
        free(x->target);
        free(x->replaces);
        const char *rb = sc_coord__xfer_header(ev->msg, "referred-by", "b");
        const char *sub = sc_coord__xfer_header(ev->msg, "refer-sub", NULL);
        osip_message_t *m = (osip_message_t *)ev->msg;
        x->refer_cseq = m && m->cseq && m->cseq->number ? (uint32_t)strtoul(m->cseq->number, NULL, 10) : 0;
        x->no_sub = sub && strncasecmp(sub, "false", 5) == 0;
        x->refer_to = rt ? strdup(rt) : NULL;
        x->referred_by = rb ? strdup(rb) : NULL;
        x->target = target;
        x->replaces = replaces;
        x->allowed = v == SC_COORD_REFER_OK;
        target = replaces = NULL;
        if (x->allowed)
            sc_log(coord->logger, SC_LOG_INFO, "transfer", "session %s: REFER to %s%s%s", leg->id, x->target,
                   x->replaces ? " replacing " : "", x->replaces ? x->replaces : "");
    }
    free(target);
    free(replaces);
    int code = v == SC_COORD_REFER_OK ? 0 : v == SC_COORD_REFER_DISABLED ? 603 : 403;
    sc_coord__dispatch(coord, s, SC_EV_DialogREFER, code, ev->reason, ctx);
}

/* ---- Transferor: NOTIFYs and the REFER's own outcome ----------------------------------- */

static const char *progress_text(int code)
{
    if (code == 100)
        return "Trying";
    if (code == 180 || code == 183)
        return "Ringing";
    if (code < 200)
        return "Progress";
    return code < 300 ? "Success" : "Failed";
}

static int progress_percent(int code)
{
    if (code < 180)
        return 25;
    if (code < 200)
        return 50;
    return 100;
}

static void on_notify(sc_coord *coord, sc_session *s, sc_coord_leg *leg, const sc_sip_event *ev, sc_coord_evctx *ctx)
{
    char id[SC_SESSION_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", leg->id);
    const char *event = sc_coord__xfer_header(ev->msg, "event", "o");
    const char *state = sc_coord__xfer_header(ev->msg, "subscription-state", NULL);
    bool refer = event && strncasecmp(event, "refer", 5) == 0 &&
                 (event[5] == '\0' || event[5] == ';' || event[5] == ' ');
    int code = refer ? sc_coord__xfer_sipfrag_status(ev->body, ev->body_len) : -1;
    sc_coord__dispatch(coord, s, SC_EV_DialogNOTIFY, 0, ev->reason, ctx); /* the table answers it */
    s = sc_store_get(coord->store, id);
    leg = sc_coord__leg(s);
    sc_coord_xfer *x = leg ? leg->xfer : NULL;
    if (!x || !x->refer_pending || code < 0)
        return;
    sc_log(coord->logger, SC_LOG_INFO, "transfer", "session %s: NOTIFY %d (%s, %d%%), %s", id, code,
           progress_text(code), progress_percent(code), state ? state : "no Subscription-State");
    sc_id type = SC_EV_TransferProgress;
    if (code >= 200) {
        x->refer_pending = false;
        type = code < 300 ? SC_EV_TransferSucceeded : SC_EV_TransferFailed;
    }
    sc_coord__dispatch(coord, s, type, code, progress_text(code), NULL);
}

static void on_refer_outcome(sc_coord *coord, sc_session *s, sc_coord_leg *leg, const sc_sip_event *ev)
{
    sc_coord_xfer *x = leg->xfer;
    if (ev->type == SC_EV_Dialog200OK) {
        sc_log(coord->logger, SC_LOG_INFO, "transfer", "session %s: REFER accepted (%d)", leg->id, ev->status);
        sc_coord__dispatch(coord, s, SC_EV_TransferAccepted, ev->status, ev->reason, NULL);
        return;
    }
    int code = ev->status >= 300 ? ev->status : ev->type == SC_EV_DialogTimeout ? 408 : 503;
    sc_log(coord->logger, SC_LOG_INFO, "transfer", "session %s: REFER failed (%d %s)", leg->id, code, ev->reason);
    if (x)
        x->refer_pending = false;
    sc_coord__dispatch(coord, s, SC_EV_TransferFailed, code, "Failed", NULL);
}

bool sc_coord__xfer_on_event(sc_coord *coord, sc_session *s, sc_coord_leg *leg, const sc_sip_event *ev,
                             sc_coord_evctx *ctx)
{
    bool incoming = ev->stx != NULL;
    if (ev->type == SC_EV_DialogREFER && incoming) {
        on_refer(coord, s, leg, ev, ctx);
        return true;
    }
    if (ev->type == SC_EV_DialogNOTIFY && incoming) {
        on_notify(coord, s, leg, ev, ctx);
        return true;
    }
    if (!incoming && !strcasecmp(ev->method, "REFER")) {
        sc_coord__evctx_free(ctx);
        if (ev->status < 200 && ev->type != SC_EV_DialogTimeout && ev->type != SC_EV_DialogError)
            return true;
        on_refer_outcome(coord, s, leg, ev);
        return true;
    }
    if (!incoming && !strcasecmp(ev->method, "NOTIFY")) { /* answers to our NOTIFYs */
        if (ev->status >= 300 || ev->type == SC_EV_DialogTimeout)
            sc_log(coord->logger, SC_LOG_INFO, "transfer", "session %s: NOTIFY answered %d %s", leg->id, ev->status,
                   ev->reason);
        sc_coord__evctx_free(ctx);
        return true;
    }
    if (leg->xfer && leg->xfer->is_xfer_call && !strcasecmp(ev->method, "INVITE") && ev->status >= 300)
        leg->xfer->last_status = ev->status;
    return false;
}

/* ---- Target: an INVITE with Replaces ------------------------------------------------------- */

typedef struct replaces_hdr {
    char call_id[SC_SIP_CALLID_MAX];
    char to_tag[SC_SIP_TAG_MAX];
    char from_tag[SC_SIP_TAG_MAX];
    bool early_only;
} replaces_hdr;

static int parse_replaces(const char *v, replaces_hdr *r)
{
    memset(r, 0, sizeof *r);
    char buf[SC_SIP_CALLID_MAX + 2 * SC_SIP_TAG_MAX + 64];
    if (strlen(v) >= sizeof buf)
        return -EINVAL;
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    char *cid = strtok_r(buf, ";", &save);
    if (!cid)
        return -EINVAL;
    while (*cid == ' ' || *cid == '\t')
        cid++;
    size_t n = strcspn(cid, " \t");
    if (n == 0 || n >= sizeof r->call_id)
        return -EINVAL;
    memcpy(r->call_id, cid, n);
    for (char *p = strtok_r(NULL, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
        while (*p == ' ' || *p == '\t')
            p++;
        char *eq = strchr(p, '=');
        size_t kl = eq ? (size_t)(eq - p) : strlen(p);
        while (kl && (p[kl - 1] == ' ' || p[kl - 1] == '\t'))
            kl--;
        const char *val = eq ? eq + 1 : "";
        while (*val == ' ')
            val++;
        size_t vl = strcspn(val, " \t");
        if (kl == 6 && !strncasecmp(p, "to-tag", 6) && vl < sizeof r->to_tag)
            memcpy(r->to_tag, val, vl);
        else if (kl == 8 && !strncasecmp(p, "from-tag", 8) && vl < sizeof r->from_tag)
            memcpy(r->from_tag, val, vl);
        else if (kl == 10 && !strncasecmp(p, "early-only", 10))
            r->early_only = true;
    }
    return r->to_tag[0] && r->from_tag[0] ? 0 : -EINVAL;
}

static bool state_terminal(const sc_session *s)
{
    const sc_state_info *si = sc_table_state(sc_session_table(s), sc_session_state(s));
    return si && si->terminal;
}

/* RFC 3891 section 3: 0 when r names a dialog we may replace (*out), else the status. */
static int match_replaces(sc_coord *coord, const replaces_hdr *r, sc_session **out)
{
    sc_session *old = sc_store_find(coord->store, SC_KEY_CALL_ID, r->call_id);
    if (!old)
        return 481;
    const char *lt = sc_session_field(old, SC_FIELD_LOCAL_TAG);
    const char *rt = sc_session_field(old, SC_FIELD_REMOTE_TAG);
    if (!lt || !rt || strcmp(lt, r->to_tag) != 0 || strcmp(rt, r->from_tag) != 0)
        return 481;
    sc_coord_leg *leg = sc_coord__leg(old);
    if (state_terminal(old) || !leg || !leg->call)
        return 603;
    sc_sip_dialog_state *d = malloc(sizeof *d);
    if (!d)
        return 500;
    sc_sip_call_dialog(leg->call, d);
    sc_sip_dialog_phase ph = d->phase;
    bool uac = d->is_uac;
    free(d);
    if (ph == SC_SIP_DIALOG_TERMINATED)
        return 603;
    if (ph != SC_SIP_DIALOG_CONFIRMED && !uac) /* early (or none) and not initiated by us */
        return 481;
    if (ph == SC_SIP_DIALOG_CONFIRMED && r->early_only)
        return 486;
    *out = old;
    return 0;
}

int sc_coord__xfer_on_incoming(sc_coord *coord, sc_session *s, sc_coord_leg *leg, const struct osip_message *msg)
{
    const char *rb = sc_coord__xfer_header(msg, "referred-by", "b");
    if (rb)
        sc_session_set_field(s, SC_FIELD_REFERRED_BY, rb);
    const char *rp = sc_coord__xfer_header(msg, "replaces", NULL);
    if (!rp)
        return 0;
    replaces_hdr r;
    sc_session *old = NULL;
    int code = parse_replaces(rp, &r) == 0 ? match_replaces(coord, &r, &old) : 400;
    if (code == 0) {
        sc_session_set_field(s, SC_FIELD_REPLACES_ID, sc_session_id(old));
        sc_log(coord->logger, SC_LOG_INFO, "transfer", "call %s replaces %s (Replaces: %s)", leg->id,
               sc_session_id(old), rp);
        return 0;
    }
    const char *reason = code == 481   ? "Call/Transaction Does Not Exist"
                         : code == 603 ? "Decline"
                         : code == 486 ? "Busy Here"
                         : code == 400 ? "Bad Replaces Header"
                                       : "Server Internal Error";
    sc_log(coord->logger, SC_LOG_INFO, "transfer", "call %s: Replaces %s matches no replaceable dialog: %d", leg->id,
           rp, code);
    if (leg->call)
        sc_sip_call_respond(leg->call, code, reason, NULL);
    sc_engine_remove_session(coord->engine, s, "replaces");
    return -ENOENT;
}
