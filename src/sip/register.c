/* register: registration as a client (RFC 3261 section 10.2): one binding of ours at a
 * registrar, kept alive by REGISTER refreshes before the granted expiry, with digest answers to
 * 401/407, 423 Min-Expires, a doubling backoff after failures and an un-REGISTER (Expires 0).
 * Call-ID and From tag stay the same for the registration's life and the CSeq grows
 * (10.2.4). Each REGISTER is a non-INVITE client transaction outside any call whose final
 * response comes back through the transaction's on_final callback (tx.c). The first hop (the
 * proxy, else the registrar) is located by RFC 3263 at each attempt (resolve.c, cached by TTL),
 * and a timeout, a 503 or a transport error moves the attempt to the next target. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sip_int.h"

#define REG_DEFAULT_EXPIRES 3600u
#define REG_RETRY_MIN_MS 30000u
#define REG_RETRY_MAX_MS 600000u
#define REG_AUTH_MAX 3 /* answered challenges in one attempt (a stale=true one counts too) */

struct sc_sip_reg {
    sc_sip *sip;
    char *registrar, *aor, *contact_user, *proxy;
    struct sip_cred *cred; /* NULL: a challenge fails the attempt */
    unsigned want_expires; /* asked for (raised by a 423's Min-Expires) */
    unsigned retry_min, retry_max;
    sc_sip_reg_cb cb;
    void *ud;
    sip_dialog d;     /* Call-ID, From tag, URIs, route set, first hop, CSeq (dlg.c) */
    sip_hop hop;      /* the first hop's targets, the next to try (and a lookup in flight) */
    sip_tx *tx;       /* the REGISTER in flight, or NULL */
    sip_timer t_next; /* the next refresh or retry */
    sc_sip_reg_state state;
    bool removing;          /* the transaction in flight is an un-REGISTER */
    unsigned auth_answered; /* challenges answered in this attempt */
    bool answered_nonstale; /* one of them was not stale: a new non-stale one fails */
    int last_status;
    char last_reason[128];
    const char *last_outcome;
    unsigned granted;     /* expiry of the binding, s */
    uint64_t bound_until; /* loop time (ms) it lapses at */
    unsigned failures;
    uint64_t attempts;
};

static const char *const state_names[] = {"registering", "registered", "failed", "unregistering", "unregistered"};

const char *sc_sip_reg_state_name(sc_sip_reg_state st)
{
    return (unsigned)st < sizeof state_names / sizeof *state_names ? state_names[st] : "?";
}

static void on_next(sip_timer *t);
static void on_final(sip_tx *tx, osip_message_t *resp, void *owner);
static int send_register(sc_sip_reg *r, const char *hname, const char *hvalue);
static bool try_next_target(sc_sip_reg *r, const char *why);

/* The first hop of our REGISTERs: the outbound proxy when there is one, else the registrar
 * (RFC 3261 8.1.2). */
static const char *hop_uri(const sc_sip_reg *r) { return r->proxy ? r->proxy : r->registrar; }

/* ---- reporting ------------------------------------------------------------------------------ */

static void report(sc_sip_reg *r)
{
    if (!r->cb)
        return;
    sc_sip_reg_info info;
    sc_sip_reg_get_info(r, &info);
    r->cb(r, &info, r->ud);
}

static void set_last(sc_sip_reg *r, int status, const char *reason, const char *outcome)
{
    r->last_status = status;
    snprintf(r->last_reason, sizeof r->last_reason, "%s", reason ? reason : "");
    r->last_outcome = outcome;
}

/* ---- timers and outcomes -------------------------------------------------------------------- */

static uint64_t backoff_ms(const sc_sip_reg *r)
{
    uint64_t ms = r->retry_min;
    for (unsigned i = 1; i < r->failures && ms < r->retry_max; i++)
        ms *= 2;
    return ms < r->retry_max ? ms : r->retry_max;
}

static void failed(sc_sip_reg *r, int status, const char *reason, const char *outcome)
{
    set_last(r, status, reason, outcome);
    r->tx = NULL;
    if (r->removing) {
        r->state = SC_SIP_REG_UNREGISTERED;
        r->granted = 0;
        report(r);
        return;
    }
    r->failures++;
    r->state = SC_SIP_REG_FAILED;
    if (sip_now(r->sip) >= r->bound_until)
        r->granted = 0; /* an earlier binding may still be there until it lapses */
    uint64_t ms = backoff_ms(r);
    sip_timer_start(r->sip, &r->t_next, ms);
    sc_log(r->sip->cfg.logger, SC_LOG_WARN, SIP_MODULE, "registration %s: %s (%d %s), next attempt in %" PRIu64 " s",
           r->aor, outcome, status, r->last_reason, ms / 1000);
    report(r);
}

/* When to refresh a binding granted for s seconds: a minute early, or half-way for short ones. */
static uint64_t refresh_ms(unsigned s)
{
    uint64_t ms = s > 120 ? (uint64_t)(s - 60) * 1000 : (uint64_t)s * 500;
    return ms ? ms : 500;
}

/* The expiry the 2xx grants to our Contact: its expires parameter, else the Expires header,
 * else what we asked for (RFC 3261 10.2.4). */
static unsigned granted_expiry(const sc_sip_reg *r, const osip_message_t *resp)
{
    char host[64];
    uint16_t port = 0;
    sip_addr_str(SIP_SS(&r->d.local_addr), host, sizeof host, &port);
    for (int i = 0; i < osip_list_size(&resp->contacts); i++) { /* ours: our user and port */
        osip_contact_t *c = osip_list_get(&resp->contacts, i);
        osip_generic_param_t *p = NULL;
        if (!c || !c->url || !c->url->username || strcmp(c->url->username, r->contact_user) != 0 ||
            (unsigned)(c->url->port ? atoi(c->url->port) : 5060) != port)
            continue;
        if (osip_contact_param_get_byname(c, "expires", &p) == 0 && p && p->gvalue)
            return (unsigned)strtoul(p->gvalue, NULL, 10);
    }
    const char *e = sip_header(resp, "expires");
    if (e && *e)
        return (unsigned)strtoul(e, NULL, 10);
    return r->want_expires;
}

static void registered(sc_sip_reg *r, const osip_message_t *resp)
{
    r->tx = NULL;
    set_last(r, resp->status_code, resp->reason_phrase, r->removing ? "unregistered" : "registered");
    if (r->removing) {
        r->state = SC_SIP_REG_UNREGISTERED;
        r->granted = 0;
        report(r);
        return;
    }
    unsigned s = granted_expiry(r, resp);
    if (s == 0) { /* the registrar kept nothing for our Contact */
        failed(r, resp->status_code, "no binding in the 2xx", "rejected");
        return;
    }
    r->granted = s;
    r->bound_until = sip_now(r->sip) + (uint64_t)s * 1000;
    r->failures = 0;
    r->state = SC_SIP_REG_REGISTERED;
    sip_timer_start(r->sip, &r->t_next, refresh_ms(s));
    sc_log(r->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "registration %s: registered for %u s", r->aor, s);
    report(r);
}

/* 401/407: the REGISTER again with our answer; a second non-stale challenge fails. */
static void challenged(sc_sip_reg *r, sip_tx *tx, const osip_message_t *resp)
{
    const char *hname = NULL;
    char hvalue[2048];
    bool stale = false;
    int rc = r->cred ? sip_auth_answer(r->cred, resp, "REGISTER", r->registrar, &hname, hvalue, sizeof hvalue, &stale)
                     : -ENOENT;
    (void)tx;
    if (rc == 0 && ((r->answered_nonstale && !stale) || r->auth_answered >= REG_AUTH_MAX))
        rc = -EACCES;
    if (rc != 0) {
        failed(r, resp->status_code, resp->reason_phrase, "auth_failed");
        return;
    }
    r->auth_answered++;
    r->answered_nonstale |= !stale;
    r->tx = NULL;
    if (send_register(r, hname, hvalue) != 0)
        failed(r, 0, "cannot send", "error");
}

/* 423: ask again for at least Min-Expires (once it grows; a registrar asking for less fails). */
static void too_brief(sc_sip_reg *r, const osip_message_t *resp)
{
    const char *me = sip_header(resp, "min-expires");
    unsigned min = me ? (unsigned)strtoul(me, NULL, 10) : 0;
    if (r->removing || min <= r->want_expires) {
        failed(r, resp->status_code, resp->reason_phrase, "rejected");
        return;
    }
    r->want_expires = min;
    r->tx = NULL;
    if (send_register(r, NULL, NULL) != 0)
        failed(r, 0, "cannot send", "error");
}

static void on_final(sip_tx *tx, osip_message_t *resp, void *owner)
{
    sc_sip_reg *r = owner;
    if (r->tx != tx)
        return;
    if ((!resp || resp->status_code == 503) && try_next_target(r, resp ? "503" : "no answer"))
        return;
    if (!resp) {
        failed(r, 0, "timeout", "timeout");
        return;
    }
    int code = resp->status_code;
    if (code >= 200 && code < 300)
        registered(r, resp);
    else if (code == 401 || code == 407)
        challenged(r, tx, resp);
    else if (code == 423)
        too_brief(r, resp);
    else
        failed(r, code, resp->reason_phrase, "rejected");
}

/* ---- sending -------------------------------------------------------------------------------- */

/* Our Contact: <sip:USER@host:port[;transport=tcp]> toward the first hop. */
static int contact_of(sc_sip_reg *r, char *out, size_t cap)
{
    char base[SC_SIP_URI_MAX];
    int rc = sip_contact(r->sip, r->d.transport, SIP_SS(&r->d.remote_addr), base, sizeof base);
    if (rc != 0)
        return rc;
    int n = snprintf(out, cap, "<sip:%s@%s", r->contact_user, base + 5); /* after "<sip:" */
    return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

/* The REGISTER (with a challenge's answer when hname is set) to the target chosen for this
 * attempt (r->d: transport, remote and local address). */
static int send_register(sc_sip_reg *r, const char *hname, const char *hvalue)
{
    sc_sip_transport tp = r->d.transport;
    struct sockaddr_storage dst;
    sip_addr_ss(&r->d.remote_addr, &dst);
    r->d.local_cseq++;
    char branch[40] = "z9hG4bK", contact[SC_SIP_URI_MAX + 80], expires[16];
    sc_random_hex(branch + 7, 20);
    osip_message_t *m = sip_request(r->sip, &r->d, "REGISTER", r->d.local_cseq, branch);
    if (!m)
        return -ENOMEM;
    osip_list_special_free(&m->contacts, (void (*)(void *))osip_contact_free);
    snprintf(expires, sizeof expires, "%u", r->removing ? 0u : r->want_expires);
    int rc = contact_of(r, contact, sizeof contact);
    if (rc == 0 && (osip_message_set_contact(m, contact) != 0 || osip_message_set_expires(m, expires) != 0))
        rc = -ENOMEM;
    if (rc == 0 && hname && osip_message_set_header(m, hname, hvalue) != 0)
        rc = -ENOMEM;
    if (rc != 0) {
        osip_message_free(m);
        return rc;
    }
    sip_tx *tx = NULL;
    rc = sip_tx_client(r->sip, &tx, m, tp, &dst, NULL, TXP_NONE);
    if (rc != 0) {
        osip_message_free(m);
        return rc;
    }
    tx->on_final = on_final;
    tx->owner = r;
    r->tx = tx;
    r->attempts++;
    return 0;
}

/* The REGISTER to the hop's next target we have a listener for; false when none is left. */
static bool send_to_next(sc_sip_reg *r)
{
    sip_hop *h = &r->hop;
    while (h->next < h->res.n) {
        const sip_target *t = &h->res.t[h->next++];
        sip_listener *l = sip_listener_for(r->sip, t->tp, t->addr.ss_family);
        if (!l || l->addr.ss_family != t->addr.ss_family)
            continue;
        r->d.transport = t->tp;
        sip_addr_set(&r->d.remote_addr, &t->addr);
        sip_addr_set(&r->d.local_addr, &l->addr);
        if (send_register(r, NULL, NULL) == 0)
            return true;
    }
    return false;
}

/* The attempt's first target, once located: a DNS failure or no usable target fails it. */
static void send_located(sc_sip_reg *r)
{
    if (send_to_next(r))
        return;
    const char *why = r->hop.res.n        ? "no listener for its transport or address family"
                      : r->hop.res.why[0] ? r->hop.res.why
                                          : "DNS: no target";
    failed(r, 0, why, "error");
}

/* RFC 3263 4.3: a timeout, a 503 or a transport error: the same REGISTER to the next target. */
static bool try_next_target(sc_sip_reg *r, const char *why)
{
    if (r->hop.next >= r->hop.res.n)
        return false;
    r->tx = NULL;
    r->auth_answered = 0;
    r->answered_nonstale = false;
    if (!send_to_next(r))
        return false;
    sc_log(r->sip->cfg.logger, SC_LOG_INFO, SIP_MODULE, "registration %s: %s: REGISTER sent to the next target", r->aor,
           why);
    return true;
}

static void on_located(void *ud, const sip_resolved *res)
{
    sc_sip_reg *r = ud;
    sip_enter(r->sip);
    r->hop.pending = NULL;
    r->hop.res = *res;
    r->hop.next = 0;
    send_located(r);
    sip_leave(r->sip);
}

/* A new attempt (first, refresh or retry), the challenge count starting again. A refresh or
 * un-REGISTER goes to the registrar that holds our binding; otherwise the first hop is located
 * again (the cache answers while the records live). */
static void attempt(sc_sip_reg *r)
{
    r->auth_answered = 0;
    r->answered_nonstale = false;
    if (r->state != SC_SIP_REG_REGISTERED)
        r->state = r->removing ? SC_SIP_REG_UNREGISTERING : SC_SIP_REG_REGISTERING;
    if (r->granted && r->hop.res.n && send_register(r, NULL, NULL) == 0)
        return;
    sip_hop_cancel(&r->hop);
    int rc = sip_hop_start(r->sip, &r->hop, hop_uri(r), on_located, r);
    if (rc < 0)
        failed(r, 0, "not a usable SIP URI", "error");
    else if (rc == 1)
        send_located(r);
}

static void on_next(sip_timer *t)
{
    sc_sip_reg *r = SIP_CONTAINER(t, sc_sip_reg, t_next);
    if (!r->tx && !r->removing)
        attempt(r);
}

/* ---- the public side ------------------------------------------------------------------------ */

static char *user_of(const char *aor)
{
    osip_uri_t *u = NULL;
    char *user = NULL;
    if (osip_uri_init(&u) == 0 && osip_uri_parse(u, aor) == 0 && u->username && *u->username)
        user = strdup(u->username);
    osip_uri_free(u);
    return user;
}

static bool sip_uri_ok(const char *s)
{
    osip_uri_t *u = NULL;
    bool ok = s && strlen(s) < SC_SIP_URI_MAX - 8 && osip_uri_init(&u) == 0 && osip_uri_parse(u, s) == 0 && u->scheme &&
              !strcasecmp(u->scheme, "sip") && u->host && *u->host;
    osip_uri_free(u);
    return ok;
}

static void reg_release(sc_sip_reg *r)
{
    free(r->registrar);
    free(r->aor);
    free(r->contact_user);
    free(r->proxy);
    sip_cred_free(r->cred);
    sip_dlg_free(&r->d);
    free(r);
}

int sc_sip_reg_new(sc_sip *sip, sc_sip_reg **out, const sc_sip_reg_config *cfg)
{
    if (!sip || !out || !cfg || !sip_uri_ok(cfg->registrar) || !sip_uri_ok(cfg->aor) ||
        (cfg->proxy && !sip_uri_ok(cfg->proxy)) || (cfg->auth_user && !cfg->auth_password) || sip->closing)
        return -EINVAL;
    sc_sip_reg *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    r->sip = sip;
    sip_dlg_init(&r->d);
    r->registrar = strdup(cfg->registrar);
    r->aor = strdup(cfg->aor);
    r->contact_user = cfg->contact_user && *cfg->contact_user ? strdup(cfg->contact_user) : user_of(cfg->aor);
    r->proxy = cfg->proxy ? strdup(cfg->proxy) : NULL;
    if (!r->registrar || !r->aor || !r->contact_user || (cfg->proxy && !r->proxy) ||
        (cfg->auth_user && sip_cred_add(&r->cred, NULL, cfg->auth_user, cfg->auth_password) != 0)) {
        int rc = r->contact_user ? -ENOMEM : -EINVAL; /* an AOR without a user part */
        reg_release(r);
        return rc;
    }
    r->want_expires = cfg->expires_s ? cfg->expires_s : REG_DEFAULT_EXPIRES;
    r->retry_min = cfg->retry_min_ms ? cfg->retry_min_ms : REG_RETRY_MIN_MS;
    r->retry_max = cfg->retry_max_ms >= r->retry_min ? cfg->retry_max_ms : REG_RETRY_MAX_MS;
    if (r->retry_max < r->retry_min)
        r->retry_max = r->retry_min;
    r->cb = cfg->on_change;
    r->ud = cfg->ud;
    r->last_outcome = "";
    sip_timer_init(&r->t_next, on_next);
    sip_dialog *d = &r->d;
    sc_sip_transport tp;
    struct sockaddr_storage dst;
    if (sip_uri_dest(hop_uri(r), &tp, &dst) == 0 && !sip_listener_for(sip, tp, dst.ss_family)) {
        reg_release(r); /* an address we could never send to; a name is located at each attempt */
        return -ENOTCONN;
    }
    char cid[33], tag[17], route[SC_SIP_URI_MAX + 8] = "";
    sc_random_hex(cid, 32); /* unique without a host part (RFC 3261 8.1.1.4) */
    sc_random_hex(tag, 16);
    if (r->proxy) /* sip_uri_ok: shorter than SC_SIP_URI_MAX - 8 */
        snprintf(route, sizeof route, strstr(r->proxy, ";lr") ? "<%s>" : "<%s;lr>", r->proxy);
    const char *v[SIP_DF__COUNT] = {[SIP_DF_CALL_ID] = cid,
                                    [SIP_DF_LOCAL_TAG] = tag,
                                    [SIP_DF_LOCAL_URI] = r->aor,
                                    [SIP_DF_REMOTE_URI] = r->aor,
                                    [SIP_DF_REMOTE_TARGET] = r->registrar,
                                    [SIP_DF_ROUTE_SET] = route};
    int vrc = sip_dlg_setv(d, v);
    if (vrc != 0) {
        reg_release(r);
        return vrc;
    }
    d->is_uac = true;
    d->local_cseq = 0;
    sip_enter(sip);
    attempt(r);
    sip_leave(sip);
    *out = r;
    return 0;
}

int sc_sip_reg_get_info(const sc_sip_reg *r, sc_sip_reg_info *out)
{
    if (!r || !out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    uint64_t now = sip_now(r->sip);
    out->state = r->state;
    out->last_status = r->last_status;
    snprintf(out->last_reason, sizeof out->last_reason, "%s", r->last_reason);
    out->last_outcome = r->last_outcome ? r->last_outcome : "";
    out->expires_s = r->granted;
    out->expires_left_s = r->granted && r->bound_until > now ? (unsigned)((r->bound_until - now + 999) / 1000) : 0;
    out->failures = r->failures;
    out->next_attempt_ms = sip_timer_armed(&r->t_next) && r->t_next.due > now ? r->t_next.due - now : 0;
    out->attempts = r->attempts;
    out->cseq = r->d.local_cseq;
    snprintf(out->call_id, sizeof out->call_id, "%s", r->d.call_id);
    return 0;
}

int sc_sip_reg_unregister(sc_sip_reg *r)
{
    if (!r)
        return -EINVAL;
    if (r->removing)
        return -EALREADY;
    sc_sip *sip = r->sip;
    sip_enter(sip);
    sip_timer_stop(sip, &r->t_next);
    if (r->tx) { /* the REGISTER in flight finishes unseen */
        r->tx->on_final = NULL;
        r->tx = NULL;
    }
    r->removing = true;
    r->state = SC_SIP_REG_UNREGISTERING;
    attempt(r);
    sip_leave(sip);
    return 0;
}

void sc_sip_reg_free(sc_sip_reg *r)
{
    if (!r)
        return;
    sip_timer_stop(r->sip, &r->t_next);
    sip_hop_cancel(&r->hop);
    if (r->tx)
        r->tx->on_final = NULL;
    reg_release(r);
}
