/* coord: the coordinator's core: its lifecycle (store, engine, metrics registry, SIP agent,
 * the loop handles that drive the engine's timers), the features' registration in the order
 * of features.c (bindings, one engine observer that forwards to them, start and stop),
 * admission, and graceful shutdown. It calls features only through their struct. */
#include "coord/admission.h"
#include "coord/compact.h"
#include "coord/coord_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sc_coord_config_default(sc_coord_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->auto_answer = true;
    cfg->sip_t1_ms = 500;
    cfg->media_port_min = SC_MEDIA_PORT_MIN_DEFAULT;
    cfg->media_port_max = SC_MEDIA_PORT_MAX_DEFAULT;
    cfg->rtp_timeout_ms = 30000;
    cfg->rtp_park = SC_COORD_RTP_PARK_DEFAULT;
    cfg->max_session_age_ms = 86400000u; /* the cleanup feature (cleanup.c) */
    cfg->retention_ms = 300000u;
    cfg->failed_retention_ms = 600000u;
    cfg->session_expires_s = 1800u;
    cfg->min_se_s = 90u;
    cfg->max_sessions = SC_COORD_AUTO_SESSIONS; /* admission.c derives them */
    cfg->max_memory = SC_COORD_AUTO_MEMORY;
}

/* ---- Engine timers on the loop ------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
    sc_coord *coord = t->data;
    sc_engine_run_timers(coord->engine, 256);
}

static void release_calls(sc_coord *coord)
{
    for (size_t i = 0; i < coord->nrelease; i++)
        sc_sip_call_release(coord->release_q[i]);
    coord->nrelease = 0;
}

/* A session reached a terminal state: its SIP call is released outside any SIP callback
 * (the agent keeps finishing transactions; later requests of the dialog get 481). */
static void queue_release(sc_coord *coord, sc_session *s)
{
    sc_coord_leg *leg = sc_coord__leg(s);
    if (!leg || !leg->call)
        return;
    if (coord->nrelease == coord->release_cap) {
        size_t cap = coord->release_cap ? coord->release_cap * 2 : 64;
        sc_sip_call **q = realloc(coord->release_q, cap * sizeof *q);
        if (!q)
            return; /* released with the session instead */
        coord->release_q = q;
        coord->release_cap = cap;
    }
    sc_sip_call_set_user(leg->call, NULL);
    coord->release_q[coord->nrelease++] = leg->call;
    leg->call = NULL;
}

/* Before each poll: release ended calls, arm the uv timer for the engine's earliest deadline. */
static void on_prepare(uv_prepare_t *p)
{
    sc_coord *coord = p->data;
    release_calls(coord);
    bool compacting = sc_coord__compact_run(coord); /* compact.c: ended sessions shrink */
    uint64_t dl = sc_engine_next_deadline(coord->engine);
    if (dl == UINT64_MAX && !compacting) {
        uv_timer_stop(&coord->timer);
        return;
    }
    uint64_t now = sc_clock_mono_us(coord->clock);
    uint64_t ms = dl > now ? (dl - now + 999) / 1000 : 0;
    if (compacting && ms > 20)
        ms = 20; /* come back for the sessions whose records the store has not committed yet */
    uv_timer_start(&coord->timer, on_timer, ms, 0);
}

/* ---- The core's engine observer: bookkeeping around the features' hooks ---------------------- */

#define EACH_FEATURE(f)                                                 \
    for (const sc_coord_feature *const *f##_p = sc_coord__features, *f; \
         f##_p < sc_coord__features + SC_FEAT__COUNT && (f = *f##_p) != NULL; f##_p++)

static void obs_created(void *ud, sc_session *s)
{
    sc_coord *c = ud;
    if (!sc_coord__is_terminal(s))
        c->active++;
    EACH_FEATURE(f)
        if (f->on_created)
            f->on_created(c, s);
    if (sc_coord__is_terminal(s))
        sc_coord__compact_note(c, s); /* recovered after its end: compact.c */
}

static void log_transition(sc_coord *c, sc_session *s, const sc_history_record *rec)
{
    const sc_vocab *v = sc_table_vocab(sc_session_table(s));
    const char *ev = sc_vocab_name(v, SC_VOCAB_EVENT, rec->event);
    const sc_state_info *from = sc_table_state(sc_session_table(s), rec->from);
    const sc_state_info *to = sc_table_state(sc_session_table(s), rec->to);
    if (rec->outcome == SC_OUTCOME_TAKEN) {
        sc_log(c->logger, SC_LOG_DEBUG, "engine", "session %s: %s --%s--> %s", sc_session_id(s),
               from ? from->name : "?", ev ? ev : "?", to ? to->name : "?");
    } else {
        sc_log(c->logger, SC_LOG_INFO, "engine", "session %s: %s in state %s: %s", sc_session_id(s), ev ? ev : "?",
               from ? from->name : "?", sc_outcome_name(rec->outcome));
    }
}

static void obs_transition(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    sc_coord *c = ud;
    log_transition(c, s, rec);
    char id[SC_SESSION_ID_MAX + 1];
    snprintf(id, sizeof id, "%s", sc_session_id(s));
    EACH_FEATURE(f)
        if (f->on_transition)
            f->on_transition(c, s, rec, t);
    if (!sc_coord__entered_terminal(s, rec))
        return;
    if (c->active)
        c->active--;
    const char *outcome = sc_session_outcome(s);
    sc_log(c->logger, SC_LOG_INFO, "coord", "call %s ended (%s): state %s, outcome %s", id,
           sc_role_name(sc_session_role(s)), sc_session_state_name(s), outcome ? outcome : "none");
    queue_release(c, s);
    sc_coord__compact_note(c, s);
    sc_coord__check_shutdown(c);
}

static void obs_publish(void *ud, sc_session *s, const char *name, int priority)
{
    sc_coord *c = ud;
    EACH_FEATURE(f)
        if (f->on_publish)
            f->on_publish(c, s, name, priority);
}

static void obs_ended(void *ud, sc_session *s)
{
    sc_coord *c = ud;
    EACH_FEATURE(f)
        if (f->on_ended)
            f->on_ended(c, s);
}

static void obs_removed(void *ud, sc_session *s, const char *reason)
{
    sc_coord *c = ud;
    EACH_FEATURE(f)
        if (f->on_removed)
            f->on_removed(c, s, reason);
    if (!sc_coord__is_terminal(s) && c->active)
        c->active--;
    sc_log(c->logger, SC_LOG_DEBUG, "coord", "session %s removed (%s)", sc_session_id(s), reason ? reason : "-");
    sc_coord__check_shutdown(c);
}

/* ---- Services to the features ------------------------------------------------------------------- */

int sc_coord__admit(sc_coord *c, const char *source, const char **why) { return sc_coord__admit_n(c, source, 1, why); }

int sc_coord__admit_n(sc_coord *c, const char *source, unsigned need, const char **why)
{
    const char *reason = NULL;
    c->admit_need = need ? need : 1;
    if (c->shutting_down)
        reason = "shutdown";
    else if (c->max_sessions && c->active + c->admit_need > c->max_sessions)
        reason = "max_sessions";
    else {
        EACH_FEATURE(f)
            if (f->admit && f->admit(c, &reason) != 0)
                break;
    }
    c->admit_need = 1;
    if (!reason)
        return 0;
    c->refusal = reason;
    if (why)
        *why = reason;
    sc_obs_counter *n = c->admission ? sc_obs_counter_with(c->admission, reason, source) : NULL;
    if (n)
        sc_obs_counter_inc(n);
    return SC_E_OVERLOAD;
}

int sc_coord__dial(sc_coord *c, sc_coord_leg *leg, sc_sip_invite_opts *opts)
{
    EACH_FEATURE(f) {
        int rc = f->dial ? f->dial(c, leg, opts) : 0;
        if (rc != 0)
            return rc;
    }
    return 0;
}

bool sc_coord__routed(sc_coord *c, const char *uri)
{
    if (!c)
        return false;
    EACH_FEATURE(f)
        if (c->started[f_p - sc_coord__features] && f->routes && f->routes(c, uri))
            return true;
    return false;
}

/* The SIP agent's send hook: a feature may hold a message back (strict durability). */
static bool send_hook(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data, size_t len)
{
    sc_coord *c = ud;
    EACH_FEATURE(f)
        if (f->hold_message && f->hold_message(c, tp, dst, data, len))
            return true;
    return false;
}

void sc_coord__hold_turn(sc_coord *c)
{
    EACH_FEATURE(f)
        if (f->hold_turn)
            f->hold_turn(c);
}

/* ---- Lifecycle ------------------------------------------------------------------------------ */

static void on_handle_closed(uv_handle_t *h)
{
    sc_coord *c = h->data;
    c->closing_handles--;
}

static void on_sip_closed(sc_sip *sip, void *ud)
{
    sc_coord *c = ud;
    c->closing_handles--;
}

static bool wildcard_addr(const char *a) { return !strcmp(a, "0.0.0.0") || !strcmp(a, "::"); }

/* What we bind and what we announce: From host (advertise, else the first listener's address),
 * RTP bind address (media_address, else the listener's), the address in our SDP
 * (media_advertise, else media_address, else advertise, else the bind address); a wildcard that
 * is announced becomes, per call, the address the route to the peer goes out of. */
static void local_identity(sc_coord *c, const sc_coord_config *cfg)
{
    struct sockaddr_storage ss;
    char bound[64] = "127.0.0.1";
    uint16_t port = 5060;
    if (sc_sip_listener_addr(c->sip, 0, &ss) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, bound, sizeof bound);
            port = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, bound, sizeof bound);
            port = ntohs(a->sin_port);
        }
    }
    const char *adv = cfg->advertise && *cfg->advertise ? cfg->advertise : NULL;
    const char *media = cfg->media_address && *cfg->media_address ? cfg->media_address : NULL;
    const char *host = adv ? adv : bound;
    snprintf(c->local_host, sizeof c->local_host, "%s", host);
    c->from_route = wildcard_addr(host);
    snprintf(c->media_addr, sizeof c->media_addr, "%s", media ? media : bound);
    const char *announce = cfg->media_advertise && *cfg->media_advertise ? cfg->media_advertise
                           : media                                       ? media
                           : adv                                         ? adv
                                                                         : bound;
    c->media_route = wildcard_addr(announce);
    snprintf(c->media_announce, sizeof c->media_announce, "%s", c->media_route ? "" : announce);
    if (strchr(host, ':'))
        snprintf(c->default_from, sizeof c->default_from, "sip:sessiond@[%s]:%u", host, port);
    else
        snprintf(c->default_from, sizeof c->default_from, "sip:sessiond@%s:%u", host, port);
}

/* The engine's terminal retention for cfg: the longer of the two retention caps. */
static uint64_t engine_retention(const sc_coord_config *cfg)
{
    return cfg->retention_ms > cfg->failed_retention_ms ? cfg->retention_ms : cfg->failed_retention_ms;
}

/* The registry, the standard families and the core's admission counter (none with metrics_off). */
static int metrics_new(sc_coord *c, const sc_coord_config *cfg)
{
    if (cfg->metrics_off)
        return 0;
    int rc = sc_obs_registry_new(&c->reg);
    if (rc == 0)
        rc = sc_obs_std_metrics_new(c->reg, &c->std);
    if (rc)
        return rc;
    sc_obs_desc d = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_admission_rejected_total",
                     .help = "New sessions refused by admission control, by limit and source (sip, api)",
                     .labels = {"reason", "source"}};
    rc = sc_obs_register(c->reg, &d, &c->admission);
    return rc ? rc : sc_coord__admission_metrics(c); /* admission.c: sessioncore_admission_limit */
}

/* Every feature's guards and actions, in feature order; a name bound twice is an error. */
static int bind_features(sc_coord *c)
{
    EACH_FEATURE(f) {
        for (const sc_coord_guard_def *g = f->guards; g && g->name; g++) {
            int rc = sc_engine_bind_guard(c->engine, g->name, g->fn, c);
            if (rc) {
                sc_log(c->logger, SC_LOG_ERROR, "coord", "feature %s: guard %s: %s", f->name, g->name, sc_strerror(rc));
                return rc;
            }
        }
        for (const sc_coord_action_def *a = f->actions; a && a->name; a++) {
            int rc = sc_engine_bind_action(c->engine, a->name, a->fn, c);
            if (rc) {
                sc_log(c->logger, SC_LOG_ERROR, "coord", "feature %s: action %s: %s", f->name, a->name,
                       sc_strerror(rc));
                return rc;
            }
        }
    }
    return 0;
}

/* The names the table itself binds (webhooks), after the features' lists and the host's
 * bindings: a name bound twice is refused by the feature that comes last, naming it. */
static int bind_table(sc_coord *c)
{
    EACH_FEATURE(f) {
        int rc = f->bind_table ? f->bind_table(c, c->table) : 0;
        if (rc)
            return rc;
    }
    return 0;
}

static int set_table(sc_coord *c, sc_table *table)
{
    sc_diags *d = NULL;
    if (sc_diags_new(&d))
        return -ENOMEM;
    int rc = sc_engine_set_table(c->engine, table, d);
    for (size_t i = 0; rc && i < sc_diags_count(d); i++) {
        char line[512];
        sc_diag_format(sc_diags_get(d, i), line, sizeof line);
        sc_log(c->logger, SC_LOG_ERROR, "coord", "%s", line);
    }
    sc_diags_free(d);
    return rc;
}

static int open_sip(sc_coord *c, const sc_coord_config *cfg)
{
    sc_sip_config sipc = {.clock = c->clock,
                          .logger = cfg->logger,
                          .user_agent = cfg->user_agent,
                          .t1_ms = cfg->sip_t1_ms,
                          .on_incoming = sc_coord__on_incoming,
                          .on_event = sc_coord__on_event,
                          .on_screen = sc_coord__on_screen,   /* sip_ood.c: the registrar's challenges */
                          .on_request = sc_coord__on_request, /* sip_ood.c: REGISTER */
                          .ud = c};
    sipc.send_hook = send_hook;
    sipc.contact_host = cfg->advertise && *cfg->advertise ? cfg->advertise : NULL;
    sipc.session_expires_s = cfg->session_expires_s; /* RFC 4028 (src/sip/session_timer.c) */
    sipc.min_se_s = cfg->min_se_s;
    sipc.dns_servers = cfg->dns_servers; /* RFC 3263 lookups (src/sip/resolve.c) */
    sipc.max_transactions = sc_coord__sip_cap(cfg->sip_max_transactions, c->max_sessions, 4, 65536);
    sipc.max_calls = sc_coord__sip_cap(cfg->sip_max_calls, c->max_sessions, 2, 32768);
    sipc.max_tcp_connections = cfg->sip_tcp_max;
    sipc.max_tcp_per_peer = cfg->sip_tcp_per_peer;
    sipc.tcp_idle_ms = cfg->sip_tcp_idle_ms;
    sipc.max_tx_per_source = cfg->sip_tx_per_source; /* one source's flood meets its own limit */
    sipc.tls_cert = cfg->tls_cert;                   /* SIP over TLS (src/sip/tls.c) */
    sipc.tls_key = cfg->tls_key;
    sipc.tls_ca = cfg->tls_ca;
    sipc.tls_insecure_no_verify = cfg->tls_no_verify;
    sipc.tls_handshake_ms = cfg->tls_handshake_ms;
    sipc.keepalive_ms = cfg->sip_keepalive_ms;
    int rc = sc_sip_new(&c->sip, c->loop, &sipc);
    if (rc)
        return rc;
    for (size_t i = 0; i < (cfg->nlisten ? cfg->nlisten : 1); i++) {
        const char *spec = cfg->nlisten ? cfg->listen[i] : "udp:127.0.0.1:5060";
        rc = sc_sip_listen(c->sip, spec);
        if (rc) {
            sc_log(cfg->logger, SC_LOG_ERROR, "sip", "cannot listen on %s: %s", spec, sc_strerror(rc));
            return rc;
        }
    }
    local_identity(c, cfg);
    return 0;
}

static int create_parts(sc_coord *c, const sc_coord_config *cfg)
{
    sc_store_config sc = {.clock = c->clock, .history_capacity = cfg->history_capacity, .logger = cfg->logger};
    int rc = sc_store_new(&c->store, &sc);
    if (rc)
        return rc;
    sc_engine_config ec;
    sc_engine_config_default(&ec);
    ec.clock = c->clock;
    ec.logger = cfg->logger;
    ec.terminal_retention_ms = engine_retention(cfg);
    if ((rc = sc_engine_new(&c->engine, sc_table_vocab(cfg->table), c->store, &ec)) != 0)
        return rc;
    if ((rc = metrics_new(c, cfg)) != 0 || (rc = bind_features(c)) != 0 || (rc = sc_coord__bind_host(c, cfg)) != 0 ||
        (rc = bind_table(c)) != 0 || (rc = set_table(c, cfg->table)) != 0)
        return rc;
    sc_engine_observer obs = {.on_session_created = obs_created,
                              .on_transition = obs_transition,
                              .on_publish = obs_publish,
                              .on_session_ended = obs_ended,
                              .on_session_removed = obs_removed,
                              .ud = c};
    if ((rc = sc_engine_add_observer(c->engine, &obs)) < 0)
        return rc;
    c->observer = rc;
    if ((rc = open_sip(c, cfg)) != 0)
        return rc;
    EACH_FEATURE(f) {
        c->started[f_p - sc_coord__features] = true;
        if (f->start && (rc = f->start(c, cfg)) != 0) {
            sc_log(c->logger, SC_LOG_ERROR, "coord", "feature %s not started: %s", f->name, sc_strerror(rc));
            return rc;
        }
    }
    return 0;
}

int sc_coord_new(sc_coord **out, const sc_coord_config *cfg)
{
    if (!out || !cfg || !cfg->loop || !cfg->table || cfg->nlisten > SC_COORD_MAX_LISTEN)
        return -EINVAL;
    sc_coord *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->loop = cfg->loop;
    c->clock = cfg->clock ? cfg->clock : sc_clock_system();
    c->logger = cfg->logger;
    c->table = sc_table_ref(cfg->table);
    c->auto_answer = cfg->auto_answer;
    c->ring_delay_ms = cfg->ring_delay_ms;
    c->retry_after_s = cfg->retry_after_s ? cfg->retry_after_s : 5;
    c->observer = -1;
    c->port_min = cfg->media_port_min ? cfg->media_port_min : 20000;
    c->port_max = cfg->media_port_max > c->port_min ? cfg->media_port_max : (uint16_t)(c->port_min + 999);
    c->port_min = (uint16_t)((c->port_min + 1) & ~1u);
    sc_coord__limits_init(c, cfg); /* admission.c: the caps, given or derived (c->max_sessions) */
    c->next_sdp_id = (uint64_t)sc_clock_wall_us(c->clock) / 1000000u;
    uv_timer_init(c->loop, &c->timer);
    uv_prepare_init(c->loop, &c->prepare);
    c->timer.data = c->prepare.data = c;
    c->handles_open = true;
    uv_prepare_start(&c->prepare, on_prepare);
    int rc = create_parts(c, cfg);
    if (rc) {
        sc_coord_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static int remove_one(sc_session *s, void *ud)
{
    sc_coord *c = ud;
    sc_engine_remove_session(c->engine, s, "shutdown");
    return 0;
}

void sc_coord_free(sc_coord *c)
{
    if (!c)
        return;
    c->shutdown_done = NULL;
    /* Sessions first: their legs release SIP calls (and features their parts of the legs),
     * which must happen while the features and the agent are still there. */
    if (c->engine && c->store)
        sc_store_foreach(c->store, remove_one, c);
    release_calls(c);
    free(c->release_q);
    sc_coord__compact_free(c);
    for (size_t i = SC_FEAT__COUNT; i-- > 0;)
        if (c->started[i] && sc_coord__features[i]->stop)
            sc_coord__features[i]->stop(c); /* their handles close in the loop runs below */
    if (c->engine && c->observer >= 0)
        sc_engine_remove_observer(c->engine, c->observer);
    if (c->sip) {
        c->closing_handles++;
        sc_sip_close(c->sip, on_sip_closed, c);
    }
    if (c->handles_open) {
        c->closing_handles += 2;
        uv_close((uv_handle_t *)&c->timer, on_handle_closed);
        uv_close((uv_handle_t *)&c->prepare, on_handle_closed);
    }
    while (c->closing_handles > 0)
        uv_run(c->loop, UV_RUN_ONCE);
    sc_sip_free(c->sip);
    sc_engine_free(c->engine);
    sc_store_free(c->store);
    sc_obs_registry_free(c->reg);
    uv_run(c->loop, UV_RUN_NOWAIT); /* close callbacks of the media handles */
    sc_table_unref(c->table);
    free(c->dlg_scratch);
    free(c->sdp_scratch);
    while (c->nsdp_spare) /* after the engine: its queued events gave theirs back */
        free(c->sdp_spare[--c->nsdp_spare]);
    free(c);
}

/* ---- Shutdown ------------------------------------------------------------------------------- */

void sc_coord__check_shutdown(sc_coord *coord)
{
    if (coord->shutting_down && coord->active == 0 && coord->shutdown_done) {
        void (*done)(void *) = coord->shutdown_done;
        coord->shutdown_done = NULL;
        done(coord->shutdown_ud);
    }
}

typedef struct end_ctx {
    sc_coord *coord;
    char (*ids)[SC_SESSION_ID_MAX + 1];
    size_t n, cap;
} end_ctx;

static int collect_active(sc_session *s, void *ud)
{
    end_ctx *c = ud;
    if (sc_coord__is_terminal(s) || c->n == c->cap)
        return 0;
    snprintf(c->ids[c->n++], SC_SESSION_ID_MAX + 1, "%s", sc_session_id(s));
    return 0;
}

void sc_coord_drain(sc_coord *coord, void (*done)(void *ud), void *ud)
{
    coord->shutting_down = true; /* admission refuses new sessions ("shutdown") */
    coord->shutdown_done = done;
    coord->shutdown_ud = ud;
    sc_sip_set_accepting(coord->sip, false); /* new INVITEs: 503 */
    sc_log(coord->logger, SC_LOG_INFO, "coord", "draining: no new calls, %zu active call(s) go on", coord->active);
    sc_coord__check_shutdown(coord);
}

void sc_coord_shutdown(sc_coord *coord, void (*done)(void *ud), void *ud)
{
    coord->shutting_down = true;
    coord->shutdown_done = done;
    coord->shutdown_ud = ud;
    sc_sip_set_accepting(coord->sip, false);
    end_ctx c = {.coord = coord, .cap = sc_store_count(coord->store)};
    c.ids = c.cap ? calloc(c.cap, sizeof *c.ids) : NULL;
    if (c.ids)
        sc_store_foreach(coord->store, collect_active, &c);
    sc_log(coord->logger, SC_LOG_INFO, "coord", "shutdown: ending %zu active call(s)", c.n);
    for (size_t i = 0; i < c.n; i++) {
        sc_session *s = sc_store_get(coord->store, c.ids[i]);
        if (!s)
            continue;
        int rc = sc_coord__dispatch(coord, s, SC_EV_Shutdown, 0, "shutdown", NULL);
        if (rc == SC_E_NOT_ACCEPTED || rc == SC_E_GUARDS_FAILED) {
            s = sc_store_get(coord->store, c.ids[i]);
            if (s)
                rc = sc_coord__dispatch(coord, s, SC_EV_HangupCall, 0, "shutdown", NULL);
        }
        if (rc < 0 && rc != SC_E_ACTION_FAILED) {
            s = sc_store_get(coord->store, c.ids[i]);
            if (s && !sc_coord__is_terminal(s)) {
                sc_log(coord->logger, SC_LOG_WARN, "coord",
                       "shutdown: session %s in %s cannot be ended (%s); removing it", c.ids[i],
                       sc_session_state_name(s), sc_strerror(rc));
                sc_engine_remove_session(coord->engine, s, "shutdown");
            }
        }
    }
    free(c.ids);
    sc_coord__check_shutdown(coord);
}

bool sc_coord_shutting_down(const sc_coord *coord) { return coord->shutting_down; }
