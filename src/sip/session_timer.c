/* RFC 4028 session timers: Session-Expires / Min-SE negotiation on INVITEs and their 2xx, 422
 * for intervals below our minimum, refresh by UPDATE at half the interval when we are the
 * refresher, and a SessionExpired event to the TU when no refresh arrives in time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sip_int.h"

/* One call's session timer. */
typedef struct sip_st {
    sc_sip_call *call;   /* owner */
    unsigned interval_s; /* negotiated session interval; 0 = no timer */
    bool we_refresh;     /* we are the refresher */
    bool peer_update;    /* the peer accepts UPDATE (its Allow lists it, or it sent none) */
    bool expired;        /* SessionExpired was reported (once) */
    sip_tx *refresh;     /* our pending refresh, or NULL */
    sip_timer t_refresh; /* refresher: half the interval */
    sip_timer t_expire;  /* interval minus min(32 s, interval / 3) */
} sip_st;

static void on_refresh(sip_timer *t);
static void on_expire(sip_timer *t);

bool sip_st_enabled(const sc_sip *sip) { return sip->cfg.session_expires_s > 0; }

static unsigned our_min(const sc_sip *sip) { return sip->cfg.min_se_s ? sip->cfg.min_se_s : 90; }

static sip_st *st_get(sc_sip_call *call)
{
    if (call->st)
        return call->st;
    sip_st *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->call = call;
    sip_timer_init(&st->t_refresh, on_refresh);
    sip_timer_init(&st->t_expire, on_expire);
    call->st = st;
    return st;
}

void sip_st_stop(sc_sip_call *call)
{
    if (!call->st)
        return;
    sip_timer_stop(call->sip, &call->st->t_refresh);
    sip_timer_stop(call->sip, &call->st->t_expire);
}

void sip_st_free(sc_sip_call *call)
{
    sip_st_stop(call);
    free(call->st);
    call->st = NULL;
}

/* ---- header parsing -------------------------------------------------------------------- */

static const char *hdr2(const osip_message_t *m, const char *name, const char *compact)
{
    const char *v = sip_header(m, name);
    return v ? v : (compact ? sip_header(m, compact) : NULL);
}

/* "1800;refresher=uac": the delta-seconds (0 if absent or malformed) and the refresher
 * ("uac", "uas" or "" when not given). */
static unsigned parse_se(const osip_message_t *m, char refresher[4])
{
    refresher[0] = '\0';
    const char *v = hdr2(m, "session-expires", "x");
    if (!v)
        return 0;
    char *end = NULL;
    unsigned long n = strtoul(v, &end, 10);
    if (end == v || n == 0 || n > 86400u * 7)
        return 0;
    const char *r = strcasestr(end, "refresher");
    if (r) {
        r += 9;
        while (*r == ' ' || *r == '=')
            r++;
        if (strncasecmp(r, "uac", 3) == 0)
            memcpy(refresher, "uac", 4);
        else if (strncasecmp(r, "uas", 3) == 0)
            memcpy(refresher, "uas", 4);
    }
    return (unsigned)n;
}

static unsigned parse_min_se(const osip_message_t *m)
{
    const char *v = hdr2(m, "min-se", NULL);
    return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

/* Does a Supported or Require header (all instances) name option? */
bool sip_has_option(const osip_message_t *m, const char *name, const char *compact, const char *option)
{
    const char *names[2] = {name, compact};
    for (int k = 0; k < 2; k++) {
        if (!names[k])
            continue;
        for (int pos = 0;;) {
            osip_header_t *h = NULL;
            int idx = osip_message_header_get_byname(m, names[k], pos, &h);
            if (idx < 0 || !h)
                break;
            char buf[256];
            snprintf(buf, sizeof buf, "%s", h->hvalue ? h->hvalue : "");
            char *save = NULL;
            for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
                if (strcasecmp(tok, option) == 0)
                    return true;
            pos = idx + 1;
        }
    }
    return false;
}

static bool peer_timer(const osip_message_t *m)
{
    return sip_has_option(m, "supported", "k", "timer") || sip_has_option(m, "require", NULL, "timer");
}

/* The peer accepts UPDATE: its Allow lists it, or it sent no Allow at all. */
static bool peer_allows_update(const osip_message_t *m)
{
    int n = osip_list_size(&m->allows);
    if (n <= 0)
        return true;
    for (int i = 0; i < n; i++) {
        osip_allow_t *a = osip_list_get(&m->allows, i);
        if (a && a->value && strcasestr(a->value, "UPDATE"))
            return true;
    }
    return false;
}

/* ---- timers ---------------------------------------------------------------------------- */

static void arm(sip_st *st)
{
    sc_sip *sip = st->call->sip;
    sip_timer_stop(sip, &st->t_refresh);
    sip_timer_stop(sip, &st->t_expire);
    if (!st->interval_s || st->expired)
        return;
    uint64_t ms = (uint64_t)st->interval_s * 1000u;
    uint64_t margin = ms / 3 < 32000u ? ms / 3 : 32000u; /* RFC 4028 section 10 */
    if (st->we_refresh)
        sip_timer_start(sip, &st->t_refresh, ms / 2);
    sip_timer_start(sip, &st->t_expire, ms - margin);
}

static void expire(sip_st *st, const char *why)
{
    sc_sip_call *call = st->call;
    if (st->expired || call->d.phase != SC_SIP_DIALOG_CONFIRMED)
        return;
    st->expired = true;
    sip_timer_stop(call->sip, &st->t_refresh);
    sip_timer_stop(call->sip, &st->t_expire);
    if (st->refresh) { /* the session is over: stop retransmitting our refresh */
        sip_tx *tx = st->refresh;
        st->refresh = NULL;
        sip_tx_terminate(tx);
    }
    sc_log(call->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "call %s: session timer: %s", call->d.call_id, why);
    sc_sip_event ev = {.type = SC_EV_SessionExpired, .method = "UPDATE", .reason = why};
    sip_call_emit_ev(call, &ev);
}

static void on_expire(sip_timer *t)
{
    sip_st *st = SIP_CONTAINER(t, sip_st, t_expire);
    expire(st, "no session refresh before the interval ended");
}

static void se_value(char *buf, size_t cap, unsigned interval, const char *refresher)
{
    snprintf(buf, cap, "%u;refresher=%s", interval, refresher);
}

/* Sends our refresh: an UPDATE without a body. */
static int send_refresh(sip_st *st)
{
    sc_sip_call *call = st->call;
    osip_message_t *req = NULL;
    int rc = sip_build_in_dialog(call, "UPDATE", call->d.local_cseq + 1, &req);
    if (rc != 0)
        return rc;
    char se[48], mse[16];
    se_value(se, sizeof se, st->interval_s, "uac");
    snprintf(mse, sizeof mse, "%u", our_min(call->sip));
    osip_message_set_header(req, "Session-Expires", se);
    osip_message_set_header(req, "Min-SE", mse);
    call->d.local_cseq++;
    sip_tx *tx = NULL;
    rc = sip_call_send_request(call, req, TXP_REFRESH, &tx);
    if (rc == 0)
        st->refresh = tx;
    return rc;
}

static void on_refresh(sip_timer *t)
{
    sip_st *st = SIP_CONTAINER(t, sip_st, t_refresh);
    sc_sip_call *call = st->call;
    if (call->released || call->d.phase != SC_SIP_DIALOG_CONFIRMED || st->expired)
        return;
    if (st->refresh || call->ict || call->ist) { /* something is pending: try again shortly */
        sip_timer_start(call->sip, &st->t_refresh, 1000u < st->interval_s * 250u ? 1000u : st->interval_s * 250u);
        return;
    }
    if (send_refresh(st) != 0)
        expire(st, "the session refresh could not be sent");
}

/* ---- our side as UAC ------------------------------------------------------------------- */

void sip_st_uac_invite(sc_sip_call *call, osip_message_t *req)
{
    sc_sip *sip = call->sip;
    if (!sip_st_enabled(sip))
        return;
    unsigned se = sip->cfg.session_expires_s < our_min(sip) ? our_min(sip) : sip->cfg.session_expires_s;
    char v[16];
    snprintf(v, sizeof v, "%u", se);
    osip_message_set_header(req, "Session-Expires", v);
    snprintf(v, sizeof v, "%u", our_min(sip));
    osip_message_set_header(req, "Min-SE", v);
}

void sip_st_uac_2xx(sc_sip_call *call, const osip_message_t *resp)
{
    sc_sip *sip = call->sip;
    if (!sip_st_enabled(sip))
        return;
    char refresher[4];
    unsigned se = parse_se(resp, refresher);
    bool update = peer_allows_update(resp);
    if (!se && !update)
        return; /* the peer has no session timer and could not take our refresh */
    sip_st *st = st_get(call);
    if (!st)
        return;
    st->peer_update = update;
    if (se) {
        st->interval_s = se;
        st->we_refresh = strcmp(refresher, "uas") != 0; /* absent: the UAC refreshes */
    } else {
        st->interval_s = sip->cfg.session_expires_s < our_min(sip) ? our_min(sip) : sip->cfg.session_expires_s;
        st->we_refresh = true;
    }
    arm(st);
}

/* ---- our side as UAS, and refreshes we receive ----------------------------------------- */

bool sip_st_check_request(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src)
{
    if (!sip_st_enabled(sip) || !MSG_IS_REQUEST(req))
        return false;
    if (strcmp(req->sip_method, "INVITE") != 0 && strcmp(req->sip_method, "UPDATE") != 0)
        return false;
    char refresher[4];
    unsigned se = parse_se(req, refresher);
    if (!se || se >= our_min(sip))
        return false;
    char v[16];
    snprintf(v, sizeof v, "%u", our_min(sip));
    sc_log(sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "%s with Session-Expires %u below our Min-SE %u: 422",
           req->sip_method, se, our_min(sip));
    sip_answer_hdr(sip, req, tp, src, 422, "Session Interval Too Small", "Min-SE", v);
    return true;
}

/* Negotiates from an INVITE or UPDATE we answer 2xx: adds Session-Expires (and Require:
 * timer when the peer supports it) to resp and re-arms. */
static void uas_negotiate(sc_sip_call *call, const osip_message_t *req, osip_message_t *resp)
{
    sc_sip *sip = call->sip;
    char refresher[4];
    unsigned se = parse_se(req, refresher);
    unsigned floor = our_min(sip), req_min = parse_min_se(req);
    if (req_min > floor)
        floor = req_min;
    bool timer = peer_timer(req);
    sip_st *st = st_get(call);
    if (!st)
        return;
    if (strcmp(req->sip_method, "INVITE") == 0)
        st->peer_update = peer_allows_update(req);
    unsigned interval = sip->cfg.session_expires_s;
    if (se && se < interval)
        interval = se; /* we may shorten the interval, never below either minimum */
    if (interval < floor)
        interval = floor;
    if (!refresher[0] || !timer) /* ours to choose; without peer support we must refresh */
        memcpy(refresher, timer && !st->peer_update ? "uac" : "uas", 4);
    st->interval_s = interval;
    st->we_refresh = strcmp(refresher, "uas") == 0;
    st->expired = false;
    char v[48];
    se_value(v, sizeof v, interval, refresher);
    osip_message_set_header(resp, "Session-Expires", v);
    if (timer)
        osip_message_set_header(resp, "Require", "timer");
    arm(st);
}

void sip_st_uas_2xx(sc_sip_call *call, const osip_message_t *req, osip_message_t *resp)
{
    if (!sip_st_enabled(call->sip))
        return;
    uas_negotiate(call, req, resp);
}

bool sip_st_on_update(sc_sip_call *call, sip_tx *tx)
{
    sc_sip *sip = call->sip;
    const char *body = NULL;
    size_t len = 0;
    if (!sip_st_enabled(sip) || !call->st || call->d.phase != SC_SIP_DIALOG_CONFIRMED ||
        (sip_body(tx->req, &body, &len) == 0 && len > 0))
        return false;
    osip_message_t *r = sip_response(sip, tx->req, 200, NULL, call->d.local_tag);
    if (!r)
        return false;
    char contact[128];
    if (sip_contact(sip, tx->tp, SIP_SS(&call->d.remote_addr), contact, sizeof contact) == 0)
        osip_message_set_contact(r, contact);
    uas_negotiate(call, tx->req, r);
    sip_dialog_update_target(call, tx->req);
    if (sip_tx_respond(tx, r) != 0)
        return true; /* the transaction is gone; the refresh is still counted */
    return true;
}

/* ---- results of our refresh ------------------------------------------------------------ */

void sip_st_on_response(sc_sip_call *call, sip_tx *tx, osip_message_t *resp)
{
    sip_st *st = call->st;
    int code = resp->status_code;
    if (!st || code < 200)
        return;
    if (st->refresh == tx)
        st->refresh = NULL;
    if (code < 300) {
        char refresher[4];
        unsigned se = parse_se(resp, refresher);
        if (se)
            st->interval_s = se;
        st->we_refresh = !se || strcmp(refresher, "uas") != 0;
        arm(st);
        return;
    }
    if (code == 422) { /* the peer wants a longer interval: retry with its Min-SE */
        unsigned m = parse_min_se(resp);
        if (m > st->interval_s && m <= 86400u) {
            st->interval_s = m;
            if (send_refresh(st) == 0)
                return;
        }
    }
    if (code == 408 || code == 481) { /* RFC 4028 section 10: the session is over */
        expire(st, code == 408 ? "session refresh timed out (408)" : "session refresh: dialog gone (481)");
        return;
    }
    /* other failures (491, 5xx...): the expiry timer still runs; retry at the next half */
    if (st->we_refresh && !st->expired)
        sip_timer_start(call->sip, &st->t_refresh, (uint64_t)st->interval_s * 250u);
}

void sip_st_on_timeout(sc_sip_call *call, sip_tx *tx)
{
    sip_st *st = call->st;
    if (!st)
        return;
    if (st->refresh == tx)
        st->refresh = NULL;
    expire(st, "session refresh got no answer");
}

/* ---- inspection ------------------------------------------------------------------------ */

int sc_sip_call_session_timer(const sc_sip_call *call, unsigned *interval_s, bool *we_refresh)
{
    if (!call || !call->st || !call->st->interval_s)
        return -ENOENT;
    if (interval_s)
        *interval_s = call->st->interval_s;
    if (we_refresh)
        *we_refresh = call->st->we_refresh;
    return 0;
}
