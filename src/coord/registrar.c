/* registrar: the registrar feature (RFC 3261 section 10.3, RFC 5626 instances): digest
 * authentication as a server against the configured users (src/sip/auth_server.c), REGISTER
 * for sip:USER@realm with its bindings kept in the store (key-value namespace "registrar",
 * written through the persistence writer, loaded when the store opens and read again on a
 * miss), the screen that challenges new requests from untrusted sources (INVITE 407, others
 * 401), the user an INVITE authenticated as (inspection, REFER policy), and the dial hook
 * that forks a call to sip:USER@realm to the user's contacts. */
#include "coord/registrar.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <osipparser2/osip_parser.h>

#define REG_HDRS_MAX 8192 /* the extra header lines of a 200 (REG_MAX_CONTACTS Contacts) */

static sc_coord_registrar *reg_of(const sc_coord *c) { return sc_coord__feat(c, SC_FEAT_REGISTRAR); }

static int64_t now_s(const sc_coord_registrar *r) { return sc_clock_wall_us(r->coord->clock) / 1000000; }

/* ---- helpers ---------------------------------------------------------------------------------- */

static bool trusted(const sc_coord_registrar *r, const struct sockaddr_storage *src)
{
    for (size_t i = 0; src && i < r->ntrust; i++)
        if (sc_coord__net_contains(&r->trust[i], src))
            return true;
    return false;
}

static void addr_text(const struct sockaddr_storage *a, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (a && a->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, host, sizeof host);
        port = ntohs(((const struct sockaddr_in *)a)->sin_port);
        snprintf(out, cap, "%s:%u", host, port);
    } else if (a && a->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, host, sizeof host);
        port = ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
        snprintf(out, cap, "[%s]:%u", host, port);
    } else {
        snprintf(out, cap, "unknown");
    }
}

/* user of a sip:USER@realm URI (ours) into out; false for anything else. */
static bool our_user(const sc_coord_registrar *r, const osip_uri_t *u, char *out, size_t cap)
{
    if (!u || !u->scheme || strcasecmp(u->scheme, "sip") || !u->host || strcasecmp(u->host, r->realm) || !u->username ||
        !*u->username || strlen(u->username) >= cap)
        return false;
    snprintf(out, cap, "%s", u->username);
    return true;
}

static void count(sc_obs_metric *m, const char *label)
{
    sc_obs_counter *n = m ? sc_obs_counter_with(m, label) : NULL;
    if (n)
        sc_obs_counter_inc(n);
}

/* A verdict that is not OK: counted in the failure metric when it is one. */
static void count_verdict(sc_coord_registrar *r, const sc_sip_auth_verdict *v)
{
    if (v->result == SC_SIP_AUTH_FAILED || v->result == SC_SIP_AUTH_BAD_REQUEST || v->result == SC_SIP_AUTH_BLOCKED)
        count(r->m_failures, v->reason);
}

/* ---- the store ------------------------------------------------------------------------------ */

static void store_aor(sc_coord_registrar *r, const reg_aor *a, const char *user)
{
    if (!r->w)
        return;
    int rc;
    if (!a || !a->n) {
        rc = sc_persist_writer_kv_delete(r->w, REG_KV_NS, user, NULL);
    } else {
        json_t *j = reg_aor_json(a);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        rc = text ? sc_persist_writer_kv_put(r->w, REG_KV_NS, user, text, strlen(text), reg_aor_latest(a) * 1000000,
                                             NULL)
                  : -ENOMEM;
        free(text);
    }
    if (rc) {
        r->store_errors++;
        sc_log(r->coord->logger, SC_LOG_WARN, "registrar", "bindings of %s not stored: %s", user, sc_strerror(rc));
    }
    sc_coord__hold_turn(r->coord); /* strict durability: the 200 leaves once they are committed */
}

static int load_one(const char *key, const char *text, size_t len, int64_t expires_us, void *ud)
{
    (void)len;
    (void)expires_us;
    sc_coord_registrar *r = ud;
    if (reg_aor_load(&r->table, text, now_s(r)) != 0)
        sc_log(r->coord->logger, SC_LOG_WARN, "registrar", "stored bindings of '%.64s' unreadable: skipped", key);
    return 0;
}

static void store_opened(sc_coord *c, sc_persist *p, sc_persist_writer *w)
{
    sc_coord_registrar *r = reg_of(c);
    if (!r)
        return;
    r->p = p;
    r->w = w;
    reg_users_load_store(r);
    int rc = sc_persist_kv_list(p, REG_KV_NS, load_one, r);
    if (rc < 0) {
        sc_log(c->logger, SC_LOG_WARN, "registrar", "bindings not loaded from the store: %s", sc_strerror(rc));
        return;
    }
    sc_log(c->logger, SC_LOG_INFO, "registrar", "%zu binding(s) loaded from the store", r->table.contacts);
}

/* Bindings another node may have written: read on a miss (a synchronous read). */
static reg_aor *load_miss(sc_coord_registrar *r, const char *user)
{
    char *text = NULL;
    if (!r->p || sc_persist_kv_get(r->p, REG_KV_NS, user, &text) != 0)
        return NULL;
    reg_aor_load(&r->table, text, now_s(r));
    free(text);
    return reg_find(&r->table, user);
}

/* ---- expiry ---------------------------------------------------------------------------------- */

static void aor_changed(void *ud, reg_aor *a)
{
    sc_coord_registrar *r = ud;
    if (!a->n) /* the stored entry expires with its last binding */
        reg_remove_aor(&r->table, a);
}

static void on_sweep(uv_timer_t *t)
{
    sc_coord_registrar *r = t->data;
    reg_expire(&r->table, now_s(r), aor_changed, r);
}

/* ---- REGISTER (RFC 3261 10.3) ----------------------------------------------------------------- */

/* One Contact of a REGISTER, parsed. */
typedef struct reg_in {
    char *uri; /* osip_malloc'd */
    long expires;
    int q;
    const char *instance; /* the +sip.instance value without its quotes, in inst, or NULL */
    char inst[260];
    unsigned reg_id;
    long idx; /* its binding now, -1: new */
} reg_in;

static const char *param(const osip_contact_t *c, const char *name)
{
    osip_generic_param_t *p = NULL;
    if (osip_contact_param_get_byname((osip_contact_t *)c, (char *)name, &p) != 0 || !p)
        return NULL;
    return p->gvalue ? p->gvalue : "";
}

static bool number(const char *s, long max, long *out)
{
    if (!s || !*s || strlen(s) > 10)
        return false;
    long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *out = v > max ? max : v;
    return true;
}

/* q-value "0".."1" with up to 3 decimals, x 1000. */
static bool qvalue(const char *s, int *out)
{
    if (!s) {
        *out = 1000;
        return true;
    }
    if ((s[0] != '0' && s[0] != '1') || (s[1] && s[1] != '.'))
        return false;
    int v = (s[0] - '0') * 1000, scale = 100;
    for (const char *p = s[1] ? s + 2 : s + 1; *p; p++, scale /= 10) {
        if (*p < '0' || *p > '9' || scale == 0)
            return false;
        v += (*p - '0') * scale;
    }
    if (v > 1000)
        return false;
    *out = v;
    return true;
}

static const char *header(const osip_message_t *m, const char *name)
{
    osip_header_t *h = NULL;
    return osip_message_header_get_byname(m, name, 0, &h) >= 0 && h ? h->hvalue : NULL;
}

static const char *reason_of(int code)
{
    switch (code) {
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 423: return "Interval Too Brief";
    default: return NULL;
    }
}

static void respond(sc_coord_registrar *r, sc_sip_stx *stx, int code, const char *reason, const char *hdrs,
                    const char *outcome)
{
    count(r->m_register, outcome);
    if (!reason)
        reason = reason_of(code);
    sc_sip_respond_ex(r->coord->sip, stx, code, reason, hdrs, NULL, NULL);
}

/* The 200's header lines: every binding with its expiry, and Date. */
static void ok_headers(const sc_coord_registrar *r, const reg_aor *a, char *out, size_t cap)
{
    size_t n = 0;
    int64_t now = now_s(r);
    for (size_t i = 0; a && i < a->n && n < cap; i++) {
        const reg_contact *c = &a->c[i];
        int w = snprintf(out + n, cap - n, "Contact: <%s>;expires=%lld", c->uri,
                         (long long)(c->expires_at > now ? c->expires_at - now : 0));
        if (w > 0 && (size_t)w < cap - n && c->q != 1000)
            w += snprintf(out + n + w, cap - n - (size_t)w, ";q=%d.%03d", c->q / 1000, c->q % 1000);
        if (w > 0 && (size_t)w < cap - n && c->instance)
            w += snprintf(out + n + w, cap - n - (size_t)w, ";+sip.instance=\"%s\"", c->instance);
        if (w > 0 && (size_t)w < cap - n && c->reg_id)
            w += snprintf(out + n + w, cap - n - (size_t)w, ";reg-id=%u", c->reg_id);
        if (w > 0 && (size_t)w < cap - n)
            w += snprintf(out + n + w, cap - n - (size_t)w, "\r\n");
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (n < cap)
        strftime(out + n, cap - n, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
}

static long find_binding(const reg_aor *a, const reg_in *in)
{
    for (size_t i = 0; a && i < a->n; i++) {
        const reg_contact *c = &a->c[i];
        if (in->instance ? (c->instance && !strcmp(c->instance, in->instance) && c->reg_id == in->reg_id)
                         : (!c->instance && !strcasecmp(c->uri, in->uri)))
            return (long)i;
    }
    return -1;
}

/* Call-ID/CSeq ordering (RFC 3261 10.3 step 7): a binding refreshed by the same Call-ID needs
 * a higher CSeq. */
static bool out_of_order(const reg_contact *c, const char *call_id, uint32_t cseq)
{
    return c->call_id && !strcmp(c->call_id, call_id) && cseq <= c->cseq;
}

typedef struct reg_req {
    const osip_message_t *msg;
    sc_sip_stx *stx;
    char user[128];
    char call_id[SC_SIP_CALLID_MAX];
    uint32_t cseq;
    char source[64];
    const char *user_agent;
    long hdr_expires; /* -1: no Expires header */
} reg_req;

/* Contact: * with Expires: 0 removes every binding. */
static void remove_all(sc_coord_registrar *r, reg_req *q)
{
    reg_aor *a = reg_find(&r->table, q->user);
    for (size_t i = 0; a && i < a->n; i++)
        if (out_of_order(&a->c[i], q->call_id, q->cseq)) {
            respond(r, q->stx, 500, "Out Of Order", NULL, "error");
            return;
        }
    size_t n = a ? a->n : 0;
    if (a)
        reg_remove_aor(&r->table, a);
    store_aor(r, NULL, q->user);
    sc_log(r->coord->logger, SC_LOG_INFO, "registrar", "sip:%s@%s: %zu binding(s) removed (Contact: *) from %s",
           q->user, r->realm, n, q->source);
    char hdrs[256];
    ok_headers(r, NULL, hdrs, sizeof hdrs);
    respond(r, q->stx, 200, NULL, hdrs, "ok");
}

static void apply(sc_coord_registrar *r, reg_req *q, reg_in *in, size_t nin)
{
    reg_aor *a = reg_get(&r->table, q->user);
    if (!a) {
        respond(r, q->stx, 500, NULL, NULL, "error");
        return;
    }
    int64_t now = now_s(r);
    for (size_t i = 0; i < nin; i++) {
        long idx = find_binding(a, &in[i]);
        if (in[i].expires == 0) {
            if (idx >= 0)
                reg_remove_contact(&r->table, a, (size_t)idx);
            continue;
        }
        reg_contact *c;
        if (idx >= 0) {
            c = &a->c[idx];
            reg_contact_clear(c);
        } else if (a->n >= REG_MAX_CONTACTS) {
            continue; /* checked before (403); kept as a bound */
        } else {
            c = &a->c[a->n++];
            r->table.contacts++;
        }
        c->uri = strdup(in[i].uri);
        c->expires_at = now + in[i].expires;
        c->q = in[i].q;
        c->instance = in[i].instance ? strdup(in[i].instance) : NULL;
        c->reg_id = in[i].reg_id;
        c->call_id = strdup(q->call_id);
        c->cseq = q->cseq;
        snprintf(c->source, sizeof c->source, "%s", q->source);
        c->user_agent = q->user_agent ? strndup(q->user_agent, 256) : NULL;
        if (!c->uri || !c->call_id) { /* out of memory: drop this binding */
            reg_remove_contact(&r->table, a, (size_t)(c - a->c));
        }
    }
    store_aor(r, a, q->user);
    sc_log(r->coord->logger, SC_LOG_INFO, "registrar", "sip:%s@%s: %zu binding(s) after REGISTER from %s", q->user,
           r->realm, a->n, q->source);
    char *hdrs = malloc(REG_HDRS_MAX);
    if (hdrs)
        ok_headers(r, a, hdrs, REG_HDRS_MAX);
    respond(r, q->stx, 200, NULL, hdrs, "ok");
    free(hdrs);
    if (!a->n)
        reg_remove_aor(&r->table, a);
}

/* Parses and checks every Contact before anything changes: 400, 423, 500 (order), 403 (too many). */
static void bindings(sc_coord_registrar *r, reg_req *q)
{
    const osip_message_t *m = q->msg;
    int ncontacts = osip_list_size(&m->contacts);
    reg_in in[REG_MAX_CONTACTS + 1];
    size_t nin = 0;
    reg_aor *a = reg_find(&r->table, q->user);
    size_t adds = 0;
    const char *fail = NULL, *outcome = "bad_request";
    int code = 400;
    for (int i = 0; i < ncontacts && !fail; i++) {
        const osip_contact_t *ct = osip_list_get(&m->contacts, i);
        if (!ct || !ct->url) {
            fail = ct && ct->displayname && !strcmp(ct->displayname, "*") ? "Contact * With Others" : "Bad Contact";
            break;
        }
        if (nin >= REG_MAX_CONTACTS) {
            fail = "Too Many Contacts", code = 403, outcome = "forbidden";
            break;
        }
        reg_in *x = &in[nin];
        memset(x, 0, sizeof *x);
        long reg_id = 0;
        const char *e = param(ct, "expires"), *rid = param(ct, "reg-id");
        if (osip_uri_to_str(ct->url, &x->uri) != 0 || !x->uri || strlen(x->uri) >= SC_SIP_URI_MAX ||
            strpbrk(x->uri, "<>\"\r\n ") || !qvalue(param(ct, "q"), &x->q) ||
            (e && !number(e, 0x7fffffff, &x->expires)) || (rid && !number(rid, 0xffff, &reg_id))) {
            fail = "Bad Contact";
            osip_free(x->uri);
            break;
        }
        nin++;
        if (!e)
            x->expires = q->hdr_expires >= 0 ? q->hdr_expires : (long)r->default_expires;
        if (x->expires > (long)r->max_expires)
            x->expires = (long)r->max_expires;
        const char *iv = param(ct, "+sip.instance");
        size_t il = iv ? strlen(iv) : 0;
        if (il >= 2 && iv[0] == '"' && iv[il - 1] == '"') {
            iv++;
            il -= 2;
        }
        x->instance = NULL;
        if (iv && il > 0 && il < sizeof x->inst && !memchr(iv, '"', il)) {
            memcpy(x->inst, iv, il);
            x->inst[il] = '\0';
            x->instance = x->inst;
        }
        x->reg_id = x->instance ? (unsigned)reg_id : 0;
        if (x->expires > 0 && x->expires < (long)r->min_expires) {
            fail = "Interval Too Brief", code = 423, outcome = "interval_too_brief";
            break;
        }
        x->idx = find_binding(a, x);
        if (x->idx >= 0 && out_of_order(&a->c[x->idx], q->call_id, q->cseq)) {
            fail = "Out Of Order", code = 500, outcome = "error";
            break;
        }
        if (x->idx == -1 && x->expires > 0)
            adds++;
    }
    if (!fail && (a ? a->n : 0) + adds > REG_MAX_CONTACTS)
        fail = "Too Many Contacts", code = 403, outcome = "forbidden";
    if (fail) {
        char hdrs[64] = "";
        if (code == 423)
            snprintf(hdrs, sizeof hdrs, "Min-Expires: %u\r\n", r->min_expires);
        respond(r, q->stx, code, fail, hdrs, outcome);
    } else if (nin == 0) {
        char *hdrs = malloc(REG_HDRS_MAX); /* a query: the bindings as they are */
        if (hdrs)
            ok_headers(r, a, hdrs, REG_HDRS_MAX);
        respond(r, q->stx, 200, NULL, hdrs, "ok");
        free(hdrs);
    } else {
        apply(r, q, in, nin);
    }
    for (size_t i = 0; i < nin; i++)
        osip_free(in[i].uri);
}

static bool on_request(sc_coord *c, sc_sip_stx *stx, const struct osip_message *msg)
{
    sc_coord_registrar *r = reg_of(c);
    if (!r)
        return false;
    const osip_message_t *m = msg;
    reg_req q = {.msg = m, .stx = stx, .hdr_expires = -1};
    struct sockaddr_storage src;
    bool known = sc_sip_stx_source(stx, &src) == 0;
    addr_text(known ? &src : NULL, q.source, sizeof q.source);
    if (!m->to || !our_user(r, m->to->url, q.user, sizeof q.user)) {
        respond(r, stx, 404, "Not Found", NULL, "not_found"); /* not an AOR of our domain */
        return true;
    }
    if (!known || !trusted(r, &src)) {
        sc_sip_auth_verdict v;
        sc_sip_auth_check(r->auth, m, known ? &src : NULL, false, &v);
        if (v.result != SC_SIP_AUTH_OK) {
            count_verdict(r, &v);
            static const char *const outcomes[] = {"ok", "challenge", "stale", "failed", "bad_request", "blocked"};
            if (v.result == SC_SIP_AUTH_FAILED || v.result == SC_SIP_AUTH_BLOCKED)
                sc_log(c->logger, SC_LOG_INFO, "registrar", "REGISTER for sip:%s@%s from %s: %s (%d)", q.user, r->realm,
                       q.source, v.reason, v.status);
            respond(r, stx, v.status, v.status == 400 ? "Bad Authorization" : NULL, v.headers, outcomes[v.result]);
            return true;
        }
        if (strcmp(v.user, q.user) != 0) { /* bob may register bob only */
            respond(r, stx, 403, "Forbidden", NULL, "forbidden");
            return true;
        }
    }
    if (!reg_user_find(r, q.user)) {
        respond(r, stx, 404, "Not Found", NULL, "not_found");
        return true;
    }
    snprintf(q.call_id, sizeof q.call_id, "%s%s%s", m->call_id->number, m->call_id->host ? "@" : "",
             m->call_id->host ? m->call_id->host : "");
    q.cseq = (uint32_t)strtoul(m->cseq->number, NULL, 10);
    q.user_agent = header(m, "user-agent");
    const char *exp = header(m, "expires");
    if (exp && !number(exp, 0x7fffffff, &q.hdr_expires)) {
        respond(r, stx, 400, "Bad Expires", NULL, "bad_request");
        return true;
    }
    const osip_contact_t *first = osip_list_get(&m->contacts, 0);
    if (first && !first->url && first->displayname && !strcmp(first->displayname, "*")) {
        if (osip_list_size(&m->contacts) != 1 || q.hdr_expires != 0)
            respond(r, stx, 400, "Contact * Needs Expires 0", NULL, "bad_request");
        else
            remove_all(r, &q);
        return true;
    }
    bindings(r, &q);
    return true;
}

/* ---- the screen: new requests from untrusted sources ---------------------------------------------- */

static int screen(sc_coord *c, const struct osip_message *msg, const struct sockaddr_storage *src, char *hdrs,
                  size_t cap)
{
    sc_coord_registrar *r = reg_of(c);
    if (!r || trusted(r, src))
        return 0;
    const osip_message_t *m = msg;
    bool invite = !strcmp(m->sip_method, "INVITE");
    sc_sip_auth_verdict v;
    sc_sip_auth_check(r->auth, m, src, invite, &v);
    if (v.result == SC_SIP_AUTH_OK) {
        r->auth_msg = msg;
        snprintf(r->auth_call_id, sizeof r->auth_call_id, "%s", m->call_id->number);
        snprintf(r->auth_user, sizeof r->auth_user, "%s", v.user);
        return 0;
    }
    count_verdict(r, &v);
    snprintf(hdrs, cap, "%s", v.headers);
    return v.status;
}

static int on_incoming(sc_coord *c, sc_session *s, sc_coord_leg *leg, const struct osip_message *msg)
{
    (void)s;
    sc_coord_registrar *r = reg_of(c);
    const osip_message_t *m = msg;
    if (!r || !r->auth_msg)
        return 0;
    if (r->auth_msg == msg && m->call_id && m->call_id->number && !strcmp(m->call_id->number, r->auth_call_id)) {
        free(leg->auth_user);
        leg->auth_user = strdup(r->auth_user);
        sc_log(c->logger, SC_LOG_INFO, "registrar", "call %s: authenticated as %s", leg->id, r->auth_user);
    }
    r->auth_msg = NULL;
    return 0;
}

static void inspect(sc_coord *c, const sc_session *s, json_t *out)
{
    (void)c;
    sc_coord_leg *leg = sc_coord__leg(s);
    if (leg && leg->auth_user)
        json_object_set_new(out, "auth_user", json_string(leg->auth_user));
}

static void leg_free(sc_coord_leg *leg)
{
    free(leg->auth_user);
    leg->auth_user = NULL;
}

/* ---- calls to registered users ------------------------------------------------------------------ */

static void clear_targets(sc_coord_registrar *r)
{
    for (size_t i = 0; i < r->ntargets; i++)
        free(r->targets[i]);
    r->ntargets = 0;
}

static int dial(sc_coord *c, sc_coord_leg *leg, sc_sip_invite_opts *opts)
{
    sc_coord_registrar *r = reg_of(c);
    if (!r || !leg->to || opts->ntargets || leg->ntargets) /* targets given (a feature's, the call's) win */
        return 0;
    osip_uri_t *u = NULL;
    char user[128];
    bool ours = osip_uri_init(&u) == 0 && osip_uri_parse(u, leg->to) == 0 && our_user(r, u, user, sizeof user);
    osip_uri_free(u);
    if (!ours)
        return 0;
    reg_aor *a = reg_find(&r->table, user);
    if (!a)
        a = load_miss(r, user);
    clear_targets(r);
    int64_t now = now_s(r);
    for (int q = 1000; a && q >= 0; q--) /* highest q first */
        for (size_t i = 0; i < a->n && r->ntargets < REG_MAX_CONTACTS; i++)
            if (a->c[i].q == q && a->c[i].expires_at > now && (r->targets[r->ntargets] = strdup(a->c[i].uri)))
                r->ntargets++;
    if (!r->ntargets) {
        sc_log(c->logger, SC_LOG_INFO, "registrar", "call %s: %s has no registered contact (480)", leg->id, leg->to);
        return SC_E_NOT_REGISTERED;
    }
    opts->targets = (const char *const *)r->targets;
    opts->ntargets = r->ntargets;
    sc_log(c->logger, SC_LOG_INFO, "registrar", "call %s: %s -> %zu contact(s), first %s", leg->id, leg->to,
           r->ntargets, r->targets[0]);
    return 0;
}

static bool routes(sc_coord *c, const char *uri)
{
    sc_coord_registrar *r = reg_of(c);
    osip_uri_t *u = NULL;
    char user[128];
    bool ours = r && uri && osip_uri_init(&u) == 0 && osip_uri_parse(u, uri) == 0 && our_user(r, u, user, sizeof user);
    osip_uri_free(u);
    return ours;
}

/* ---- the API ------------------------------------------------------------------------------------- */

int sc_coord_registrations(sc_coord *coord, json_t **out)
{
    sc_coord_registrar *r = reg_of(coord);
    if (!out)
        return -EINVAL;
    if (!r)
        return -ENOENT;
    json_t *arr = json_array();
    if (!arr)
        return -ENOMEM;
    int64_t now = now_s(r);
    for (size_t b = 0; b < REG_AOR_BUCKETS; b++)
        for (const reg_aor *a = r->table.buckets[b]; a; a = a->next)
            if (a->n)
                json_array_append_new(arr, reg_aor_view(a, r->realm, now));
    *out = arr;
    return 0;
}

/* ---- metrics, start and stop ----------------------------------------------------------------------- */

static void collect(void *ud, sc_obs_registry *reg)
{
    (void)reg;
    sc_coord_registrar *r = ud;
    sc_sip_auth_stats st;
    sc_sip_auth_get_stats(r->auth, &st);
    sc_obs_gauge *g = r->m_bindings ? sc_obs_gauge_with(r->m_bindings) : NULL;
    if (g)
        sc_obs_gauge_set(g, (double)r->table.contacts);
    g = r->m_blocked ? sc_obs_gauge_with(r->m_blocked) : NULL;
    if (g)
        sc_obs_gauge_set(g, (double)st.blocked_sources);
}

static sc_obs_metric *metric(sc_obs_registry *reg, sc_obs_type type, const char *name, const char *help,
                             const char *label)
{
    sc_obs_desc d = {.type = type, .name = name, .help = help, .labels = {label}};
    sc_obs_metric *m = NULL;
    if (sc_obs_register(reg, &d, &m) != 0)
        m = sc_obs_registry_find(reg, name);
    return m;
}

static void free_state(sc_coord_registrar *r)
{
    reg_users_free(r);
    clear_targets(r);
    reg_table_free(&r->table);
    sc_sip_auth_free(r->auth);
    free(r->realm);
    free(r);
}

static int start(sc_coord *c, const sc_coord_config *cfg)
{
    if (!cfg->nusers && !cfg->users_in_store)
        return 0;
    if ((cfg->nusers && !cfg->users) || !cfg->realm || !*cfg->realm || strpbrk(cfg->realm, "\" \t\r\n") ||
        cfg->ntrust > SC_COORD_MAX_TRUST)
        return -EINVAL;
    sc_coord_registrar *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    r->coord = c;
    r->realm = strdup(cfg->realm);
    int rc = r->realm ? reg_users_copy(r, cfg) : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < cfg->ntrust; i++)
        rc = sc_coord__net_parse(cfg->trust[i], &r->trust[r->ntrust++]);
    sc_sip_auth_config ac = {.realm = cfg->realm,
                             .clock = c->clock,
                             .nonce_ttl_s = cfg->auth_nonce_ttl_s,
                             .max_failures = cfg->auth_max_failures,
                             .window_s = cfg->auth_window_s,
                             .block_s = cfg->auth_block_s,
                             .lookup = reg_users_lookup,
                             .ud = r,
                             .algorithms = cfg->auth_algorithms};
    if (rc == 0)
        rc = sc_sip_auth_new(&r->auth, &ac);
    if (rc) {
        free_state(r);
        return rc;
    }
    r->min_expires = cfg->reg_min_expires_s ? cfg->reg_min_expires_s : 60;
    r->max_expires = cfg->reg_max_expires_s ? cfg->reg_max_expires_s : 3600;
    if (r->max_expires < r->min_expires)
        r->max_expires = r->min_expires;
    r->default_expires = cfg->reg_default_expires_s ? cfg->reg_default_expires_s : 3600;
    if (r->default_expires > r->max_expires)
        r->default_expires = r->max_expires;
    if (r->default_expires < r->min_expires)
        r->default_expires = r->min_expires;
    if (c->reg) {
        r->m_register = metric(c->reg, SC_OBS_COUNTER, "sessioncore_register_total",
                               "REGISTER requests answered by the registrar, by outcome", "outcome");
        r->m_failures = metric(c->reg, SC_OBS_COUNTER, "sessioncore_auth_failures_total",
                               "Digest authentication failures (REGISTER and challenged requests), by reason",
                               "reason");
        r->m_bindings = metric(c->reg, SC_OBS_GAUGE, "sessioncore_registrations", "Registered contacts (bindings)",
                               NULL);
        r->m_blocked = metric(c->reg, SC_OBS_GAUGE, "sessioncore_auth_blocked_sources",
                              "Sources answered 403 after too many authentication failures", NULL);
        sc_obs_registry_add_collector(c->reg, collect, r);
    }
    uv_timer_init(c->loop, &r->timer);
    r->timer.data = r;
    uv_timer_start(&r->timer, on_sweep, 1000, 1000);
    c->feat[SC_FEAT_REGISTRAR] = r;
    sc_sip_allow_register(c->sip); /* Allow: ..., REGISTER */
    sc_log(c->logger, SC_LOG_INFO, "registrar", "registrar for %s: %zu user(s), %zu trusted network(s)", r->realm,
           r->nusers, r->ntrust);
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    sc_coord_registrar *r = h->data;
    r->coord->closing_handles--;
    free_state(r);
}

static void stop(sc_coord *c)
{
    sc_coord_registrar *r = reg_of(c);
    if (!r)
        return;
    c->feat[SC_FEAT_REGISTRAR] = NULL;
    if (c->reg)
        sc_obs_registry_remove_collector(c->reg, collect, r);
    c->closing_handles++;
    uv_close((uv_handle_t *)&r->timer, on_closed);
}

const sc_coord_feature sc_coord__feature_registrar = {
    .name = "registrar",
    .needs = "transfer (its network parser)",
    .start = start,
    .stop = stop,
    .on_incoming = on_incoming,
    .dial = dial,
    .inspect = inspect,
    .leg_free = leg_free,
    .screen = screen,
    .on_request = on_request,
    .store_opened = store_opened,
    .routes = routes,
};
