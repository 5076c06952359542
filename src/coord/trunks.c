/* trunks: accounts at carriers and PBXs. Each trunk may keep a registration (a sip/
 * REGISTER client from start to stop, an un-REGISTER at stop), reported by sc_coord_trunks and
 * in sessioncore_trunk_registered{trunk} and sessioncore_trunk_register_total{trunk,outcome};
 * a call whose leg names a trunk (POST /calls "trunk", a B2BUA route "trunk:NAME") leaves
 * through the trunk's proxy (or its uri) with its credentials, its To completed with the
 * trunk's domain and, when no From was given, the trunk's AOR as From (the dial hook). */
#include "coord/coord_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

typedef struct trunk {
    struct trunks_state *ts;
    char *name, *uri, *proxy, *username, *password;
    char *aor;      /* sip:username@host */
    char *hostport; /* the uri's host[:port]: completes a To without a host */
    bool do_register;
    unsigned expires_s, retry_min_ms, retry_max_ms;
    int srtp; /* calls through it: 0 the global SRTP policy; else 1 + sc_coord_srtp */
    sc_sip_reg *reg;
    bool unregistering; /* counted in ts->unregistering */
    sc_obs_gauge *registered;
} trunk;

typedef struct trunks_state {
    sc_coord *c;
    trunk *t;
    size_t n;
    sc_obs_metric *m_registered, *m_total;
    size_t unregistering;           /* un-REGISTERs awaited (sc_coord_trunks_unregister) */
    void (*unregistered)(void *ud); /* called once they are all done */
    void *unregistered_ud;
} trunks_state;

static trunks_state *state_of(const sc_coord *c) { return sc_coord__feat(c, SC_FEAT_TRUNKS); }

static trunk *find(const trunks_state *ts, const char *name)
{
    for (size_t i = 0; ts && name && i < ts->n; i++)
        if (!strcmp(ts->t[i].name, name))
            return &ts->t[i];
    return NULL;
}

/* ---- configuration -------------------------------------------------------------------------- */

static bool name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= 63 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

static char *dup_opt(const char *s, bool *oom)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *oom = true;
    return d;
}

/* AOR and host[:port] from the trunk's uri; -EINVAL for something that is not a sip: URI. */
static int parse_uri(trunk *t)
{
    osip_uri_t *u = NULL;
    int rc = -EINVAL;
    if (osip_uri_init(&u) == 0 && osip_uri_parse(u, t->uri) == 0 && u->scheme && !strcasecmp(u->scheme, "sip") &&
        u->host && *u->host) {
        char buf[SC_SIP_URI_MAX];
        bool v6 = strchr(u->host, ':') && u->host[0] != '[';
        snprintf(buf, sizeof buf, "%s%s%s%s%s", v6 ? "[" : "", u->host, v6 ? "]" : "", u->port ? ":" : "",
                 u->port ? u->port : "");
        t->hostport = strdup(buf);
        snprintf(buf, sizeof buf, "sip:%s@%s%s%s", t->username, v6 ? "[" : "", u->host, v6 ? "]" : "");
        t->aor = strdup(buf);
        rc = t->hostport && t->aor ? 0 : -ENOMEM;
    }
    osip_uri_free(u);
    return rc;
}

static int copy_trunk(sc_coord *c, trunk *t, const sc_coord_trunk_config *in)
{
    bool oom = false;
    if (!name_ok(in->name) || !in->uri || !in->username || !*in->username || strpbrk(in->username, "@:;<> \t")) {
        sc_log(c->logger, SC_LOG_ERROR, "trunks", "trunk '%s': needs a name ([A-Za-z0-9_.-]) a uri and a username",
               in->name ? in->name : "");
        return -EINVAL;
    }
    t->name = dup_opt(in->name, &oom);
    t->uri = dup_opt(in->uri, &oom);
    t->proxy = dup_opt(in->proxy, &oom);
    t->username = dup_opt(in->username, &oom);
    t->password = dup_opt(in->password, &oom);
    t->do_register = in->do_register;
    t->expires_s = in->expires_s;
    t->retry_min_ms = in->retry_min_ms;
    t->retry_max_ms = in->retry_max_ms;
    t->srtp = in->srtp >= 1 && in->srtp <= 3 ? in->srtp : 0;
    if (oom)
        return -ENOMEM;
    int rc = parse_uri(t);
    if (rc == -EINVAL)
        sc_log(c->logger, SC_LOG_ERROR, "trunks", "trunk '%s': uri '%s' is not a sip: URI", t->name, t->uri);
    return rc;
}

/* Every B2BUA route "trunk:NAME" names a trunk. */
static int check_routes(sc_coord *c, const trunks_state *ts, const sc_coord_config *cfg)
{
    for (size_t i = 0; i < cfg->nroutes; i++) {
        const char *tg = cfg->route_target[i];
        if (tg && !strncmp(tg, "trunk:", 6) && !find(ts, tg + 6)) {
            sc_log(c->logger, SC_LOG_ERROR, "trunks", "route %s: no trunk named '%s'", cfg->route_match[i], tg + 6);
            return -EINVAL;
        }
    }
    return 0;
}

/* ---- registration --------------------------------------------------------------------------- */

static void on_reg(sc_sip_reg *reg, const sc_sip_reg_info *info, void *ud)
{
    trunk *t = ud;
    (void)reg;
    trunks_state *ts = t->ts;
    if (t->registered)
        sc_obs_gauge_set(t->registered, info->state == SC_SIP_REG_REGISTERED ? 1 : 0);
    if (ts->m_total && info->last_outcome[0]) {
        sc_obs_counter *n = sc_obs_counter_with(ts->m_total, t->name, info->last_outcome);
        if (n)
            sc_obs_counter_inc(n);
    }
    sc_log(ts->c->logger, SC_LOG_INFO, "trunks", "trunk %s: %s (%s, %d %s)", t->name,
           sc_sip_reg_state_name(info->state), info->last_outcome, info->last_status, info->last_reason);
    if (info->state == SC_SIP_REG_UNREGISTERED && t->unregistering) {
        t->unregistering = false;
        if (ts->unregistering && --ts->unregistering == 0 && ts->unregistered) {
            void (*done)(void *) = ts->unregistered;
            ts->unregistered = NULL;
            done(ts->unregistered_ud);
        }
    }
}

static int start_registration(sc_coord *c, trunk *t)
{
    sc_sip_reg_config rc = {.registrar = t->uri,
                            .aor = t->aor,
                            .contact_user = t->username,
                            .proxy = t->proxy,
                            .auth_user = t->password ? t->username : NULL,
                            .auth_password = t->password,
                            .expires_s = t->expires_s,
                            .retry_min_ms = t->retry_min_ms,
                            .retry_max_ms = t->retry_max_ms,
                            .on_change = on_reg,
                            .ud = t};
    int r = sc_sip_reg_new(c->sip, &t->reg, &rc);
    if (r != 0)
        sc_log(c->logger, SC_LOG_ERROR, "trunks", "trunk %s: cannot register at %s%s: %s", t->name,
               t->proxy ? t->proxy : t->uri, t->proxy ? " (proxy)" : "", sc_strerror(r));
    return r;
}

static int metrics_new(trunks_state *ts, sc_coord *c)
{
    if (!c->reg)
        return 0;
    sc_obs_desc g = {.type = SC_OBS_GAUGE,
                     .name = "sessioncore_trunk_registered",
                     .help = "1 while the trunk's registration is up, else 0",
                     .labels = {"trunk"}};
    sc_obs_desc n = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_trunk_register_total",
                     .help = "REGISTER outcomes of each trunk (registered, rejected, auth_failed, timeout, error, "
                             "unregistered)",
                     .labels = {"trunk", "outcome"}};
    int rc = sc_obs_register(c->reg, &g, &ts->m_registered);
    if (rc == 0)
        rc = sc_obs_register(c->reg, &n, &ts->m_total);
    return rc;
}

static void stop(sc_coord *c);

static int start(sc_coord *c, const sc_coord_config *cfg)
{
    if (cfg->ntrunks > SC_COORD_MAX_TRUNKS || (cfg->ntrunks && !cfg->trunks))
        return -EINVAL;
    trunks_state *ts = calloc(1, sizeof *ts);
    if (!ts)
        return -ENOMEM;
    c->feat[SC_FEAT_TRUNKS] = ts;
    ts->c = c;
    ts->t = cfg->ntrunks ? calloc(cfg->ntrunks, sizeof *ts->t) : NULL;
    if (cfg->ntrunks && !ts->t)
        return -ENOMEM;
    for (size_t i = 0; i < cfg->ntrunks; i++) {
        trunk *t = &ts->t[ts->n++];
        t->ts = ts;
        int rc = copy_trunk(c, t, &cfg->trunks[i]);
        if (rc)
            return rc;
        if (find(ts, t->name) != t) {
            sc_log(c->logger, SC_LOG_ERROR, "trunks", "trunk '%s' is defined twice", t->name);
            return -EINVAL;
        }
    }
    int rc = check_routes(c, ts, cfg);
    if (rc == 0)
        rc = metrics_new(ts, c);
    for (size_t i = 0; rc == 0 && i < ts->n; i++) {
        trunk *t = &ts->t[i];
        if (ts->m_registered && (t->registered = sc_obs_gauge_with(ts->m_registered, t->name)) != NULL)
            sc_obs_gauge_set(t->registered, 0);
        if (t->do_register)
            rc = start_registration(c, t);
    }
    return rc;
}

static void trunk_free(trunk *t)
{
    if (t->reg) {
        sc_sip_reg_unregister(t->reg); /* Expires 0 leaves now; its answer is not awaited */
        sc_sip_reg_free(t->reg);
    }
    free(t->name);
    free(t->uri);
    free(t->proxy);
    free(t->username);
    if (t->password)
        memset(t->password, 0, strlen(t->password));
    free(t->password);
    free(t->aor);
    free(t->hostport);
}

static void stop(sc_coord *c)
{
    trunks_state *ts = state_of(c);
    if (!ts)
        return;
    for (size_t i = 0; i < ts->n; i++)
        trunk_free(&ts->t[i]);
    free(ts->t);
    free(ts);
    c->feat[SC_FEAT_TRUNKS] = NULL;
}

/* ---- calls through a trunk ------------------------------------------------------------------ */

static int replace(char **slot, const char *v)
{
    char *d = strdup(v);
    if (!d)
        return -ENOMEM;
    free(*slot);
    *slot = d;
    return 0;
}

/* "sip:user" or "user" (no host): sip:user@<trunk host[:port]>. */
static int complete_to(sc_coord_leg *leg, const trunk *t, sc_session *s)
{
    if (strchr(leg->to, '@'))
        return 0;
    const char *user = strncmp(leg->to, "sip:", 4) ? leg->to : leg->to + 4;
    char to[SC_SIP_URI_MAX];
    if (!*user || snprintf(to, sizeof to, "sip:%s@%s", user, t->hostport) >= (int)sizeof to)
        return -EINVAL;
    int rc = replace(&leg->to, to);
    if (rc == 0 && s)
        sc_session_set_field(s, SC_FIELD_REMOTE_URI, to);
    return rc;
}

static int dial(sc_coord *c, sc_coord_leg *leg, sc_sip_invite_opts *opts)
{
    if (!leg->trunk)
        return 0;
    trunk *t = find(state_of(c), leg->trunk);
    if (!t) {
        sc_log(c->logger, SC_LOG_WARN, "trunks", "call %s: no trunk named '%s'", leg->id, leg->trunk);
        return -ENOENT;
    }
    sc_session *s = sc_store_get(c->store, leg->id);
    int rc = complete_to(leg, t, s);
    if (rc == 0 && leg->trunk_from && (rc = replace(&leg->from, t->aor)) == 0 && s)
        sc_session_set_field(s, SC_FIELD_LOCAL_URI, t->aor);
    if (rc)
        return rc;
    opts->proxy = t->proxy ? t->proxy : t->uri;
    if (t->password) {
        opts->auth_user = t->username;
        opts->auth_password = t->password;
    }
    sc_log(c->logger, SC_LOG_INFO, "trunks", "call %s to %s through trunk %s (%s)", leg->id, leg->to, t->name,
           opts->proxy);
    return 0;
}

static void leg_free(sc_coord_leg *leg)
{
    free(leg->trunk);
    leg->trunk = NULL;
}

static void leg_usage(const sc_coord_leg *leg, size_t *bytes, unsigned *sockets)
{
    (void)sockets;
    if (leg->trunk)
        *bytes += strlen(leg->trunk) + 1;
}

static void inspect(sc_coord *c, const sc_session *s, json_t *out)
{
    (void)c;
    sc_coord_leg *leg = sc_coord__leg(s);
    if (leg && leg->trunk)
        json_object_set_new(out, "trunk", json_string(leg->trunk));
}

/* ---- the public view -------------------------------------------------------------------------- */

static json_t *trunk_json(const trunk *t)
{
    sc_sip_reg_info info = {.state = SC_SIP_REG_UNREGISTERED, .last_outcome = ""};
    if (t->reg)
        sc_sip_reg_get_info(t->reg, &info);
    json_t *j = json_pack("{s:s,s:s,s:o,s:s,s:b,s:s}", "name", t->name, "uri", t->uri, "proxy",
                          t->proxy ? json_string(t->proxy) : json_null(), "username", t->username, "register",
                          t->do_register, "state", t->reg ? sc_sip_reg_state_name(info.state) : "unregistered");
    if (!j)
        return NULL;
    static const char *const srtp[] = {NULL, "off", "optional", "mandatory"};
    json_object_set_new(j, "srtp", t->srtp ? json_string(srtp[t->srtp]) : json_null());
    json_object_set_new(j, "last_status", info.last_status ? json_integer(info.last_status) : json_null());
    json_object_set_new(j, "last_reason", json_string(info.last_reason));
    json_object_set_new(j, "last_outcome", json_string(info.last_outcome ? info.last_outcome : ""));
    json_object_set_new(j, "expires", json_integer(info.expires_s));
    json_object_set_new(j, "expires_left", json_integer(info.expires_left_s));
    json_object_set_new(j, "failures", json_integer(info.failures));
    json_object_set_new(j, "next_attempt_ms",
                        info.next_attempt_ms ? json_integer((json_int_t)info.next_attempt_ms) : json_null());
    json_object_set_new(j, "attempts", json_integer((json_int_t)info.attempts));
    return j;
}

void sc_coord_trunks_unregister(sc_coord *c, void (*done)(void *ud), void *ud)
{
    trunks_state *ts = state_of(c);
    for (size_t i = 0; ts && i < ts->n; i++) {
        trunk *t = &ts->t[i];
        if (t->reg && !t->unregistering && sc_sip_reg_unregister(t->reg) == 0) {
            sc_sip_reg_info info;
            sc_sip_reg_get_info(t->reg, &info);
            if (info.state == SC_SIP_REG_UNREGISTERING) { /* else it failed to leave at once */
                t->unregistering = true;
                ts->unregistering++;
            }
        }
    }
    if (ts && ts->unregistering) {
        ts->unregistered = done;
        ts->unregistered_ud = ud;
    } else if (done) {
        done(ud);
    }
}

int sc_coord_trunks(sc_coord *c, json_t **out)
{
    if (!c || !out)
        return -EINVAL;
    trunks_state *ts = state_of(c);
    json_t *a = json_array();
    if (!a)
        return -ENOMEM;
    for (size_t i = 0; ts && i < ts->n; i++) {
        json_t *j = trunk_json(&ts->t[i]);
        if (!j || json_array_append_new(a, j) != 0) {
            json_decref(a);
            return -ENOMEM;
        }
    }
    *out = a;
    return 0;
}

int sc_coord_trunk(sc_coord *c, const char *name, json_t **out)
{
    if (!c || !name || !out)
        return -EINVAL;
    trunk *t = find(state_of(c), name);
    if (!t)
        return -ENOENT;
    *out = trunk_json(t);
    return *out ? 0 : -ENOMEM;
}

const sc_coord_feature sc_coord__feature_trunks = {
    .name = "trunks",
    .start = start,
    .stop = stop,
    .dial = dial,
    .leg_free = leg_free,
    .leg_usage = leg_usage,
    .inspect = inspect,
};
