/* coord: the coordinator's lifecycle (store, engine, SIP agent and the loop handles that drive
 * the engine's timers), its observers (logging, active-call count) and graceful shutdown. */
#include "coord/coord_int.h"
#include "coord/b2bua.h"
#include "coord/transfer.h"
#include "coord/obs.h"
#include "coord/recover.h"
#include "coord/cleanup.h"
#include "coord/resources.h"

#include <arpa/inet.h>
#include <errno.h>
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
    cfg->max_session_age_ms = 86400000u; /* cleanup (cleanup.c) */
    cfg->retention_ms = 300000u;
    cfg->failed_retention_ms = 600000u;
    cfg->session_expires_s = 1800u;
    cfg->min_se_s = 90u;
}

/* ---- Engine timers on the loop ------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
    sc_coord *api = t->data;
    sc_engine_run_timers(api->engine, 256);
}

static void release_calls(sc_coord *api)
{
    for (size_t i = 0; i < api->nrelease; i++)
        sc_sip_call_release(api->release_q[i]);
    api->nrelease = 0;
}

/* A session reached a terminal state: its SIP call is released outside any SIP callback
 * (the agent keeps finishing transactions; later requests of the dialog get 481). */
static void queue_release(sc_coord *api, sc_session *s)
{
    sc_coord_leg *leg = sc_coord__leg(s);
    if (!leg || !leg->call)
        return;
    if (api->nrelease == api->release_cap) {
        size_t cap = api->release_cap ? api->release_cap * 2 : 64;
        sc_sip_call **q = realloc(api->release_q, cap * sizeof *q);
        if (!q)
            return; /* released with the session instead */
        api->release_q = q;
        api->release_cap = cap;
    }
    sc_sip_call_set_user(leg->call, NULL);
    api->release_q[api->nrelease++] = leg->call;
    leg->call = NULL;
}

/* Before each poll: release ended calls, arm the uv timer for the engine's earliest deadline. */
static void on_prepare(uv_prepare_t *p)
{
    sc_coord *api = p->data;
    release_calls(api);
    uint64_t dl = sc_engine_next_deadline(api->engine);
    if (dl == UINT64_MAX) {
        uv_timer_stop(&api->timer);
        return;
    }
    uint64_t now = sc_clock_mono_us(api->clock);
    uint64_t ms = dl > now ? (dl - now + 999) / 1000 : 0;
    uv_timer_start(&api->timer, on_timer, ms, 0);
}

/* ---- Observers ------------------------------------------------------------------------------ */

static bool is_terminal(const sc_session *s, sc_id state)
{
    const sc_state_info *si = sc_table_state(sc_session_table(s), state);
    return si && si->terminal;
}

static void obs_created(void *ud, sc_session *s)
{
    sc_coord *api = ud;
    if (!is_terminal(s, sc_session_state(s)))
        api->active++;
}

static void obs_transition(void *ud, sc_session *s, const sc_history_record *rec, const sc_transition *t)
{
    sc_coord *api = ud;
    const sc_vocab *v = sc_table_vocab(sc_session_table(s));
    const char *ev = sc_vocab_name(v, SC_VOCAB_EVENT, rec->event);
    const sc_state_info *from = sc_table_state(sc_session_table(s), rec->from);
    const sc_state_info *to = sc_table_state(sc_session_table(s), rec->to);
    if (rec->outcome == SC_OUTCOME_TAKEN) {
        sc_log(api->logger, SC_LOG_DEBUG, "engine", "session %s: %s --%s--> %s", sc_session_id(s),
               from ? from->name : "?", ev ? ev : "?", to ? to->name : "?");
    } else {
        sc_log(api->logger, SC_LOG_INFO, "engine", "session %s: %s in state %s: %s", sc_session_id(s),
               ev ? ev : "?", from ? from->name : "?", sc_outcome_name(rec->outcome));
    }
    if (from && to && !from->terminal && to->terminal) {
        if (api->active)
            api->active--;
        const char *outcome = sc_session_outcome(s);
        sc_log(api->logger, SC_LOG_INFO, "api", "call %s ended (%s): state %s, outcome %s",
               sc_session_id(s), sc_role_name(sc_session_role(s)), to->name, outcome ? outcome : "none");
        queue_release(api, s);
        sc_coord__check_shutdown(api);
    }
}

static void obs_removed(void *ud, sc_session *s, const char *reason)
{
    sc_coord *api = ud;
    if (!is_terminal(s, sc_session_state(s)) && api->active)
        api->active--;
    sc_log(api->logger, SC_LOG_DEBUG, "api", "session %s removed (%s)", sc_session_id(s),
           reason ? reason : "-");
    sc_coord__check_shutdown(api);
}

/* ---- Lifecycle ------------------------------------------------------------------------------ */

static void on_handle_closed(uv_handle_t *h)
{
    sc_coord *api = h->data;
    api->closing_handles--;
}

static void on_sip_closed(sc_sip *sip, void *ud)
{
    sc_coord *api = ud;
    api->closing_handles--;
}

/* host of the first listener, for the default From and SDP addresses */
static void local_identity(sc_coord *api)
{
    struct sockaddr_storage ss;
    char host[64] = "127.0.0.1";
    uint16_t port = 5060;
    if (sc_sip_listener_addr(api->sip, 0, &ss) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
            port = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
            port = ntohs(a->sin_port);
        }
    }
    snprintf(api->local_host, sizeof api->local_host, "%s", host);
    if (strchr(host, ':'))
        snprintf(api->default_from, sizeof api->default_from, "sip:sessiond@[%s]:%u", host, port);
    else
        snprintf(api->default_from, sizeof api->default_from, "sip:sessiond@%s:%u", host, port);
}

static int create_parts(sc_coord *api, const sc_coord_config *cfg)
{
    sc_store_config sc = {.clock = api->clock, .history_capacity = cfg->history_capacity,
                          .logger = cfg->logger};
    int rc = sc_store_new(&api->store, &sc);
    if (rc)
        return rc;
    sc_engine_config ec;
    sc_engine_config_default(&ec);
    ec.clock = api->clock;
    ec.logger = cfg->logger;
    ec.terminal_retention_ms = sc_coord__cleanup_engine_retention(cfg); /* cleanup.c */
    rc = sc_engine_new(&api->engine, sc_table_vocab(cfg->table), api->store, &ec);
    if (rc)
        return rc;
    if ((rc = sc_coord__bind_all(api)) != 0)
        return rc;
    if ((rc = sc_coord__xfer_bind(api, cfg)) != 0) /* transfer actions (transfer.c) */
        return rc;
    sc_diags *d = NULL;
    if (sc_diags_new(&d))
        return -ENOMEM;
    rc = sc_engine_set_table(api->engine, cfg->table, d);
    if (rc) {
        for (size_t i = 0; i < sc_diags_count(d); i++) {
            char line[512];
            sc_diag_format(sc_diags_get(d, i), line, sizeof line);
            sc_log(cfg->logger, SC_LOG_ERROR, "api", "%s", line);
        }
        sc_diags_free(d);
        return rc;
    }
    sc_diags_free(d);
    sc_engine_observer obs = {.on_session_created = obs_created, .on_transition = obs_transition,
                              .on_session_removed = obs_removed, .ud = api};
    rc = sc_engine_add_observer(api->engine, &obs);
    if (rc < 0)
        return rc;
    if ((rc = sc_coord__ops_init(api, cfg)) != 0) /* metrics, event bus, limits (obs.c) */
        return rc;
    if ((rc = sc_coord__cleanup_start(api, cfg)) != 0) /* age and retention reaper (cleanup.c) */
        return rc;
    sc_sip_config sipc = {.clock = api->clock, .logger = cfg->logger, .user_agent = cfg->user_agent,
                          .t1_ms = cfg->sip_t1_ms, .on_incoming = sc_coord__on_incoming,
                          .on_event = sc_coord__on_event, .ud = api};
    sipc.send_hook = sc_coord__store_send_hook; /* strict durability (store.c) */
    sipc.session_expires_s = cfg->session_expires_s; /* RFC 4028 (src/sip/session_timer.c) */
    sipc.min_se_s = cfg->min_se_s;
    /* Transactions and released calls linger for Timer J/K (64*T1): at N calls per second
     * about 32*N of each are alive, so the agent's small defaults would cap the call rate. */
    sipc.max_transactions = cfg->sip_max_transactions ? cfg->sip_max_transactions : 65536;
    sipc.max_calls = cfg->sip_max_calls ? cfg->sip_max_calls : 32768;
    rc = sc_sip_new(&api->sip, api->loop, &sipc);
    if (rc)
        return rc;
    for (size_t i = 0; i < (cfg->nlisten ? cfg->nlisten : 1); i++) {
        const char *spec = cfg->nlisten ? cfg->listen[i] : "udp:127.0.0.1:5060";
        rc = sc_sip_listen(api->sip, spec);
        if (rc) {
            sc_log(cfg->logger, SC_LOG_ERROR, "sip", "cannot listen on %s: %s", spec, sc_strerror(rc));
            return rc;
        }
    }
    local_identity(api);
    return sc_coord__media_open(api, cfg); /* RTP, MOH, B2BUA routes */
}

int sc_coord_new(sc_coord **out, const sc_coord_config *cfg)
{
    if (!out || !cfg || !cfg->loop || !cfg->table || cfg->nlisten > SC_COORD_MAX_LISTEN)
        return -EINVAL;
    sc_coord *api = calloc(1, sizeof *api);
    if (!api)
        return -ENOMEM;
    api->loop = cfg->loop;
    api->clock = cfg->clock ? cfg->clock : sc_clock_system();
    api->logger = cfg->logger;
    api->table = sc_table_ref(cfg->table);
    api->auto_answer = cfg->auto_answer;
    api->ring_delay_ms = cfg->ring_delay_ms;
    api->max_sessions = cfg->max_sessions;
    api->port_min = cfg->media_port_min ? cfg->media_port_min : 20000;
    api->port_max = cfg->media_port_max > api->port_min ? cfg->media_port_max : (uint16_t)(api->port_min + 999);
    api->port_min = (uint16_t)((api->port_min + 1) & ~1u);
    api->port_next = api->port_min;
    api->next_sdp_id = (uint64_t)sc_clock_wall_us(api->clock) / 1000000u;
    uv_timer_init(api->loop, &api->timer);
    uv_prepare_init(api->loop, &api->prepare);
    api->timer.data = api->prepare.data = api;
    api->handles_open = true;
    uv_prepare_start(&api->prepare, on_prepare);
    int rc = create_parts(api, cfg);
    if (rc) {
        sc_coord_free(api);
        return rc;
    }
    *out = api;
    return 0;
}

static int remove_one(sc_session *s, void *ud)
{
    sc_coord *api = ud;
    sc_engine_remove_session(api->engine, s, "shutdown");
    return 0;
}

void sc_coord_free(sc_coord *api)
{
    if (!api)
        return;
    api->shutdown_done = NULL;
    /* Sessions first: their legs release SIP calls, which must happen before the agent goes. */
    if (api->engine && api->store)
        sc_store_foreach(api->store, remove_one, api);
    release_calls(api);
    free(api->release_q);
    sc_coord__cleanup_stop(api); /* its timer closes in the loop runs below (cleanup.c) */
    sc_coord__store_free(api); /* commits, sends held messages, closes the store (store.c) */
    sc_coord__media_close(api); /* its handles close in the loop runs below */
    sc_coord__ops_free(api);    /* after the sessions: their observers feed it */
    if (api->sip) {
        api->closing_handles++;
        sc_sip_close(api->sip, on_sip_closed, api);
    }
    if (api->handles_open) {
        api->closing_handles += 2;
        uv_close((uv_handle_t *)&api->timer, on_handle_closed);
        uv_close((uv_handle_t *)&api->prepare, on_handle_closed);
    }
    while (api->closing_handles > 0)
        uv_run(api->loop, UV_RUN_ONCE);
    sc_sip_free(api->sip);
    sc_engine_free(api->engine);
    sc_store_free(api->store);
    uv_run(api->loop, UV_RUN_NOWAIT); /* close callbacks of the media handles */
    sc_table_unref(api->table);
    free(api);
}

/* ---- Shutdown ------------------------------------------------------------------------------- */

void sc_coord__check_shutdown(sc_coord *api)
{
    if (api->shutting_down && api->active == 0 && api->shutdown_done) {
        void (*done)(void *) = api->shutdown_done;
        api->shutdown_done = NULL;
        done(api->shutdown_ud);
    }
}

typedef struct end_ctx {
    sc_coord *api;
    char (*ids)[SC_SESSION_ID_MAX + 1];
    size_t n, cap;
} end_ctx;

static int collect_active(sc_session *s, void *ud)
{
    end_ctx *c = ud;
    if (is_terminal(s, sc_session_state(s)) || c->n == c->cap)
        return 0;
    snprintf(c->ids[c->n++], SC_SESSION_ID_MAX + 1, "%s", sc_session_id(s));
    return 0;
}

void sc_coord_shutdown(sc_coord *api, void (*done)(void *ud), void *ud)
{
    api->shutting_down = true;
    api->shutdown_done = done;
    api->shutdown_ud = ud;
    sc_sip_set_accepting(api->sip, false);
    end_ctx c = {.api = api, .cap = sc_store_count(api->store)};
    c.ids = c.cap ? calloc(c.cap, sizeof *c.ids) : NULL;
    if (c.ids)
        sc_store_foreach(api->store, collect_active, &c);
    sc_log(api->logger, SC_LOG_INFO, "api", "shutdown: ending %zu active call(s)", c.n);
    for (size_t i = 0; i < c.n; i++) {
        sc_session *s = sc_store_get(api->store, c.ids[i]);
        if (!s)
            continue;
        int rc = sc_coord__dispatch(api, s, SC_EV_Shutdown, 0, "shutdown", NULL);
        if (rc == SC_E_NOT_ACCEPTED || rc == SC_E_GUARDS_FAILED) {
            s = sc_store_get(api->store, c.ids[i]);
            if (s)
                rc = sc_coord__dispatch(api, s, SC_EV_HangupCall, 0, "shutdown", NULL);
        }
        if (rc < 0 && rc != SC_E_ACTION_FAILED) {
            s = sc_store_get(api->store, c.ids[i]);
            if (s && !is_terminal(s, sc_session_state(s))) {
                sc_log(api->logger, SC_LOG_WARN, "api", "shutdown: session %s in %s cannot be ended (%s); removing it",
                       c.ids[i], sc_session_state_name(s), sc_strerror(rc));
                sc_engine_remove_session(api->engine, s, "shutdown");
            }
        }
    }
    free(c.ids);
    sc_coord__check_shutdown(api);
}

bool sc_coord_shutting_down(const sc_coord *api) { return api->shutting_down; }

/* ---- Inspection ------------------------------------------------------------------------------ */

const sc_table *sc_coord_table(const sc_coord *api) { return sc_engine_table(api->engine); }
int sc_coord_listener_addr(const sc_coord *api, size_t idx, struct sockaddr_storage *out)
{
    return sc_sip_listener_addr(api->sip, idx, out);
}

size_t sc_coord_session_count(const sc_coord *api) { return sc_store_count(api->store); }
size_t sc_coord_active_count(const sc_coord *api) { return api->active; }

static int add_summary(sc_session *s, void *ud)
{
    json_t *o = NULL;
    if (sc_session_to_json(s, &o))
        return -ENOMEM;
    return json_array_append_new(ud, o) ? -ENOMEM : 0;
}

int sc_coord_sessions(sc_coord *api, json_t **out)
{
    json_t *a = json_array();
    if (!a)
        return -ENOMEM;
    int rc = sc_store_foreach(api->store, add_summary, a);
    if (rc) {
        json_decref(a);
        return rc;
    }
    *out = a;
    return 0;
}

int sc_coord_inspect(sc_coord *api, const char *id, json_t **out)
{
    sc_session *s = id ? sc_store_get(api->store, id) : NULL;
    if (!s)
        return -ENOENT;
    int rc = sc_store_inspect(s, NULL, out);
    if (rc == 0)
        sc_coord__media_inspect(s, *out);
    if (rc == 0)
        sc_coord__resources_inspect(api, s, *out);
    return rc;
}

int sc_coord_history(sc_coord *api, const char *id, json_t **out)
{
    sc_session *s = id ? sc_store_get(api->store, id) : NULL;
    if (!s)
        return -ENOENT;
    return sc_session_history_json(s, 0, out);
}

int sc_coord_history_csv(sc_coord *api, const char *id, char **out)
{
    sc_session *s = id ? sc_store_get(api->store, id) : NULL;
    if (!s)
        return -ENOENT;
    return sc_session_history_csv(s, out, NULL);
}

int sc_coord_table_export(sc_coord *api, sc_graph_format fmt, const char *session_id, char **out)
{
    sc_graph_opts o = {.format = fmt, .role = -1};
    const sc_table *t = sc_engine_table(api->engine);
    uint32_t path[256];
    if (session_id) {
        sc_session *s = sc_store_get(api->store, session_id);
        if (!s)
            return -ENOENT;
        t = sc_session_table(s);
        o.npath = sc_session_history_path(s, path, 256);
        o.path = path;
        o.role = (int)sc_session_role(s);
    }
    return sc_table_export(t, &o, out);
}
