/* main: sessiond's entry point: reads the config, loads the table, starts the coordinator
 * (SIP) and the HTTP API on one libuv loop, and shuts down gracefully on SIGTERM/SIGINT
 * within a hard deadline. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "config_cleanup.h"
#include "config_trunks.h"
#include "credentials.h"
#include "config_registrar.h"
#include "users.h"
#include "config_http.h"
#include "config_store.h"
#include "config_tls.h"
#include "http.h"
#include "log.h"
#include "routes.h"
#include "signals.h"
#include "ops_routes.h"
#include "cluster_setup.h"
#include "store_setup.h"
#include "cluster_sse.h"
#include "systemd.h"
#include "session_core/coord.h"
#include "sessiond/embedded_table.h"

#define HEARTBEAT_MS 250

typedef struct sd_app {
    sd_config cfg;
    sc_logger logger;
    uv_loop_t loop;
    sc_vocab *vocab;
    sc_table *table;
    sc_coord *api;
    sd_http *http;
    int http_fd; /* the bound HTTP socket until sd_http_new takes it; -1 none */
    sd_routes routes;
    sd_ops *ops;         /* metrics, health, events, reload triggers (ops_routes.c) */
    sd_store *store;     /* persistence health timer (store_setup.c) */
    sd_cluster *cluster; /* --cluster: the node's part of a cluster (cluster_setup.c), or NULL */
    uv_timer_t handover; /* a drain in a cluster: when the calls go to the other nodes */
    sd_csse *csse;       /* GET /events/cluster: the store's event log (cluster_sse.c) */
    sd_signals *signals; /* SIGTERM/SIGINT thread and the hard deadline (signals.c) */
    sd_systemd *systemd; /* READY/STATUS/WATCHDOG/STOPPING under systemd (systemd.c), or NULL */
    uv_timer_t heartbeat, deadline;
    enum { SD_RUNNING, SD_DRAINING, SD_HANGING_UP } phase; /* what SIGTERM did so far */
    int exit_code;
} sd_app;

static void on_heartbeat(uv_timer_t *t)
{
    sd_app *app = t->data;
    sd_http_heartbeat(app->http);
}

static void finish(sd_app *app) { uv_stop(&app->loop); }

static void on_unregistered(void *ud) { finish(ud); }
static void on_unregister_deadline(uv_timer_t *t) { finish(t->data); }

static void on_drained(void *ud)
{
    sd_app *app = ud;
    sc_log(&app->logger, SC_LOG_INFO, "sessiond", "all calls ended; exiting");
    /* trunks: un-REGISTER (challenges answered) for at most 2 s more (src/coord/trunks.c) */
    uv_timer_start(&app->deadline, on_unregister_deadline, 2000, 0);
    sc_coord_trunks_unregister(app->api, on_unregistered, app);
}

static void on_deadline(uv_timer_t *t)
{
    sd_app *app = t->data;
    sc_log(&app->logger, SC_LOG_WARN, "sessiond", "shutdown deadline reached with %zu call(s) active; exiting",
           sc_coord_active_count(app->api));
    finish(app);
}

#define SD_CHECK_ACCEPTING "accepting_calls"

/* Not ready any more: a load balancer stops sending calls. */
static void not_ready(sd_app *app, const char *why)
{
    sc_obs_health *h = sd_ops_health(app->ops);
    if (h)
        sc_obs_health_set(h, SD_CHECK_ACCEPTING, false, why);
}

/* End every active call through the table, within --shutdown-timeout-ms. */
static void hang_up(sd_app *app, const char *why)
{
    app->phase = SD_HANGING_UP;
    not_ready(app, "shutting down");
    sd_systemd_stopping(app->systemd, "shutting down");
    sc_log(&app->logger, SC_LOG_INFO, "sessiond", "%s: refusing new calls, ending %zu active call(s)", why,
           sc_coord_active_count(app->api));
    uv_timer_start(&app->deadline, on_deadline, app->cfg.shutdown_timeout_ms, 0);
    sc_coord_shutdown(app->api, on_drained, app);
}

static void on_drain_deadline(uv_timer_t *t)
{
    sd_app *app = t->data;
    hang_up(app, "drain timeout");
}

/* A drain in a cluster: the calls still up go to the other nodes (they take them over as from a
 * node that died, at once), then the node exits as after the last call. */
static void on_handover(uv_timer_t *t)
{
    sd_app *app = t->data;
    if (app->phase != SD_DRAINING)
        return;
    sc_log(&app->logger, SC_LOG_INFO, "sessiond", "drain: handing %zu active call(s) to the other nodes",
           sc_coord_active_count(app->api));
    sc_coord_cluster_handover(app->api, 3000); /* the last call "ends" here: on_drained follows */
}

/* Refuse new calls, let the active ones go on (at most --drain-timeout-ms), exit after the last. */
static void drain(sd_app *app, const char *sig)
{
    app->phase = SD_DRAINING;
    not_ready(app, "draining");
    sd_systemd_stopping(app->systemd, "draining");
    sc_log(&app->logger, SC_LOG_INFO, "sessiond",
           "%s received: draining (no new calls; %zu active call(s) go on for at most %u ms)", sig,
           sc_coord_active_count(app->api), app->cfg.drain_timeout_ms);
    uv_timer_start(&app->deadline, on_drain_deadline, app->cfg.drain_timeout_ms, 0);
    if (app->cluster && app->cfg.drain_handover) /* after the front saw us not ready (OPTIONS 503) */
        uv_timer_start(&app->handover, on_handover, app->cfg.lease_ms ? app->cfg.lease_ms : 2000, 0);
    sc_coord_drain(app->api, on_drained, app);
}

/* On the loop, for each SIGTERM/SIGINT the signal thread took: the first drains (or hangs up
 * with --on-sigterm hangup), the next hangs up, the one after exits at once. */
static void on_signal(void *ud, int signum, int count)
{
    sd_app *app = ud;
    const char *sig = signum == SIGTERM ? "SIGTERM" : "SIGINT";
    switch (app->phase) {
    case SD_RUNNING:
        if (app->cfg.sigterm_hangup || app->cfg.drain_timeout_ms == 0)
            hang_up(app, sig);
        else
            drain(app, sig);
        break;
    case SD_DRAINING:
        uv_timer_stop(&app->deadline);
        hang_up(app, "second signal");
        break;
    case SD_HANGING_UP:
        sc_log(&app->logger, SC_LOG_WARN, "sessiond", "another signal: exiting now");
        finish(app);
        break;
    }
}

/* POST /drain (ops_routes.c): the first SIGTERM's work, asked over the API; a later call
 * changes nothing. */
static const char *api_drain(void *ud)
{
    sd_app *app = ud;
    if (app->phase == SD_RUNNING) {
        if (app->cfg.sigterm_hangup || app->cfg.drain_timeout_ms == 0)
            hang_up(app, "POST /drain");
        else
            drain(app, "POST /drain");
    }
    return app->phase == SD_DRAINING ? "draining" : "shutting down";
}

/* Load the table; on failure print the first error as file:line:col and return -1. */
static int load_table(sd_app *app)
{
    sc_diags *d = NULL;
    int rc = sc_vocab_new(&app->vocab);
    if (rc == 0)
        rc = sc_diags_new(&d);
    if (rc) {
        fprintf(stderr, "sessiond: out of memory\n");
        return -1;
    }
    if (app->cfg.table)
        rc = sc_table_load_file(&app->table, app->cfg.table, app->vocab, d);
    else
        rc = sc_table_load_buffer(&app->table, "default.yaml (built in)", sd_default_table, sd_default_table_len,
                                  app->vocab, d);
    if (rc) {
        char line[512];
        bool shown = false;
        for (size_t i = 0; i < sc_diags_count(d) && !shown; i++) {
            const sc_diag *dg = sc_diags_get(d, i);
            if (dg->severity == SC_SEV_ERROR) {
                sc_diag_format(dg, line, sizeof line);
                fprintf(stderr, "sessiond: %s\n", line);
                shown = true;
            }
        }
        if (!shown)
            fprintf(stderr, "sessiond: --table: %s: %s\n", app->cfg.table ? app->cfg.table : "built-in table",
                    rc == -ENOENT ? "no such file" : sc_strerror(rc));
        sc_diags_free(d);
        return -1;
    }
    sc_diags_free(d);
    sc_log(&app->logger, SC_LOG_INFO, "sessiond", "table %s version %s (%s) loaded from %s",
           sc_table_name(app->table) ? sc_table_name(app->table) : "?",
           sc_table_version(app->table) ? sc_table_version(app->table) : "?", sc_table_hash(app->table),
           app->cfg.table ? app->cfg.table : "the built-in default");
    return 0;
}

static int start_api(sd_app *app)
{
    sc_coord_config c;
    sc_coord_config_default(&c);
    c.loop = &app->loop;
    c.logger = &app->logger;
    c.table = app->table;
    for (size_t i = 0; i < app->cfg.nsip; i++)
        c.listen[i] = app->cfg.sip[i];
    c.nlisten = app->cfg.nsip;
    c.auto_answer = app->cfg.answer_auto;
    c.ring_delay_ms = app->cfg.ring_delay_ms;
    c.history_capacity = app->cfg.history_size;
    c.refuse_refer = app->cfg.refuse_refer;               /* transfer */
    c.transfer_timeout_ms = app->cfg.transfer_timeout_ms; /* transfer */
    for (size_t i = 0; i < app->cfg.ntrust; i++)
        c.trust[i] = app->cfg.trust[i];
    c.ntrust = app->cfg.ntrust;
    for (size_t i = 0; i < app->cfg.nrefer_allow; i++)
        c.refer_allow[i] = app->cfg.refer_allow[i];
    c.nrefer_allow = app->cfg.nrefer_allow;
    c.sip_t1_ms = app->cfg.sip_t1_ms;
    c.sip_tcp_max = app->cfg.sip_tcp_max;
    c.sip_tcp_per_peer = app->cfg.sip_tcp_per_peer;
    c.sip_tx_per_source = app->cfg.sip_tx_per_source;
    c.sip_tcp_idle_ms = app->cfg.sip_tcp_idle_ms;
    c.max_sessions = app->cfg.max_sessions == UINT32_MAX ? SC_COORD_AUTO_SESSIONS : app->cfg.max_sessions;
    c.media_port_min = app->cfg.media_min;
    c.media_port_max = app->cfg.media_max;
    c.media_address = app->cfg.media_address;
    c.advertise = app->cfg.advertise;
    c.media_advertise = app->cfg.media_advertise;
    c.rtp_timeout_ms = app->cfg.rtp_timeout_ms;
    c.rtp_park = app->cfg.rtp_park;
    c.rtp_latch = app->cfg.rtp_latch;
    c.media_off = app->cfg.media_off;
    c.srtp = (sc_coord_srtp)app->cfg.srtp;
    c.srtp_offer_savp = app->cfg.srtp_offer_savp;
    c.codecs = app->cfg.codecs;
    for (size_t i = 0; i < app->cfg.nmoh; i++) {
        c.moh_names[i] = app->cfg.moh_name[i];
        c.moh_paths[i] = app->cfg.moh_path[i];
    }
    c.nmoh = app->cfg.nmoh;
    c.sounds_dir = app->cfg.sounds_dir;
    for (size_t i = 0; i < app->cfg.nroutes; i++) {
        c.route_match[i] = app->cfg.route_match[i];
        c.route_target[i] = app->cfg.route_target[i];
        c.route_proxy[i] = app->cfg.route_proxy[i];
        c.route_open[i] = app->cfg.route_open[i];
        c.route_srtp[i] = app->cfg.route_srtp[i];
    }
    c.nroutes = app->cfg.nroutes;
    c.outbound_proxy = app->cfg.outbound_proxy;
    c.dns_servers = app->cfg.dns_servers;
    c.max_cps = app->cfg.max_cps;       /* operations (config_ops.c) */
    c.max_memory = app->cfg.max_memory; /* UINT64_MAX = SC_COORD_AUTO_MEMORY */
    c.events_idle_ms = app->cfg.events_idle_ms;
    c.events_ring = app->cfg.events_ring;
    c.metrics_off = app->cfg.metrics_off;
    sd_cleanup_apply(&app->cfg, &c); /* cleanup, session timers (config_cleanup.c) */
    sc_coord_trunk_config trunks[SC_COORD_MAX_TRUNKS];
    sd_config_trunks_apply(&app->cfg, &c, trunks, &app->logger); /* trunks: (config_trunks.c) */
    sd_registrar_apply(&app->cfg, &c);                           /* registrar (config_registrar.c, users.c) */
    sd_config_tls_apply(&app->cfg, &c);                          /* SIP over TLS (config_tls.c) */
    sd_users users = {0};
    char uerr[512];
    if (app->cfg.users && sd_users_load(&users, app->cfg.users, &app->logger, uerr, sizeof uerr) != 0) {
        fprintf(stderr, "sessiond: %s\n", uerr);
        return 2;
    }
    c.users = users.list;
    c.nusers = users.n;
    int rc = sc_coord_new(&app->api, &c);
    sd_users_free(&users); /* the coordinator keeps its own copy */
    if (rc == SC_E_UNBOUND) {
        fprintf(stderr, "sessiond: --table: the table uses a guard or action sessiond cannot bind (see the log)\n");
        return 2;
    }
    if (rc) {
        fprintf(stderr, "sessiond: cannot start SIP: %s\n", sc_strerror(rc));
        return 1;
    }
    char err[512];
    if (app->cfg.credentials && sd_credentials_load(app->api, app->cfg.credentials, &app->logger, err, sizeof err)) {
        fprintf(stderr, "sessiond: %s\n", err);
        return 2;
    }
    const char *hooks = getenv("SESSIOND_TEST_HOOKS");
    sd_ops_config oc = {.loop = &app->loop,
                        .api = app->api,
                        .logger = &app->logger,
                        .table_path = app->cfg.table,
                        .watch = app->cfg.watch,
                        .statsd = app->cfg.statsd,
                        .statsd_interval_ms = app->cfg.statsd_interval_ms,
                        .test_hooks = hooks && !strcmp(hooks, "1"),
                        .drain = api_drain,
                        .drain_ud = app};
    if ((rc = sd_ops_start(&app->ops, &oc)) != 0) {
        fprintf(stderr, "sessiond: --statsd: %s: %s\n", app->cfg.statsd ? app->cfg.statsd : "", sc_strerror(rc));
        return 2;
    }
    /* readiness also says whether new calls are taken (false from the first SIGTERM on) */
    sc_obs_health *h = sd_ops_health(app->ops);
    if (h && (sc_obs_health_add_check(h, SD_CHECK_ACCEPTING, true) != 0 ||
              sc_obs_health_set(h, SD_CHECK_ACCEPTING, true, "taking calls") != 0))
        return 2;
    return 0;
}

static int start_http(sd_app *app)
{
    if (!strcmp(app->cfg.http, "off"))
        return 0;
    app->routes.api = app->api;
    app->routes.logger = &app->logger;
    app->routes.ops = app->ops;
    sd_http_config hc = {.loop = &app->loop,
                         .addr = app->cfg.http,
                         .listen_fd = app->http_fd,
                         .token = app->cfg.http_token,
                         .metrics_public = app->cfg.metrics_public,
                         .hosts = (const char *const *)app->cfg.http_hosts,
                         .nhosts = app->cfg.nhttp_hosts,
                         .limits = {.max_connections = app->cfg.http_max_connections,
                                    .max_per_client = app->cfg.http_max_per_client,
                                    .max_streams = app->cfg.http_max_streams,
                                    .read_timeout_ms = app->cfg.http_read_timeout_ms},
                         .timeout_ms = app->cfg.http_timeout_ms,
                         .queue_max = 256,
                         .handler = sd_routes_handle,
                         .ud = &app->routes,
                         .logger = &app->logger};
    hc.direct = sd_ops_direct; /* /readyz, /healthz, GET /events on the HTTP thread */
    hc.direct_ud = app->ops;
    if (app->cluster) { /* a session of another node: 307 there; GET /cluster */
        hc.redirect = sd_cluster_redirect;
        hc.nodes = sd_cluster_nodes;
        hc.cluster_ud = app->cluster;
    }
    sd_csse_chain(app->csse, &hc.direct, &hc.direct_ud); /* GET /events/cluster first */
    int rc = sd_http_new(&app->http, &hc);
    app->http_fd = -1; /* the server's now */
    if (rc) {
        fprintf(stderr, "sessiond: --http: cannot serve on %s: %s\n", app->cfg.http, sc_strerror(rc));
        return 1;
    }
    sc_log(&app->logger, SC_LOG_INFO, "http", "listening on http://%s", app->cfg.http);
    return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int main(int argc, char **argv)
{
    static sd_app app; /* zeroed; lives for the whole process */
    char err[512];
    sd_config_init(&app.cfg);
    if (sd_config_parse(&app.cfg, argc, argv, err, sizeof err) || sd_config_check(&app.cfg, err, sizeof err)) {
        fprintf(stderr, "sessiond: %s\n", err);
        sd_config_free(&app.cfg);
        return 2;
    }
    if (app.cfg.help || app.cfg.version) {
        if (app.cfg.help)
            sd_config_usage();
        else
            printf("sessiond %s\n", SC_VERSION);
        sd_config_free(&app.cfg);
        return 0;
    }
    sd_logger_init(&app.logger, app.cfg.log_level, app.cfg.log_json, app.cfg.log_target);
    /* The HTTP address first, exclusively: a second sessiond on it stops here, before it opens
     * the store (and recovers its sessions) or binds SIP. */
    app.http_fd = -1;
    int hrc = 0;
    if (strcmp(app.cfg.http, "off") != 0 && (hrc = sd_http_listen(app.cfg.http, !app.cfg.http_token, &app.http_fd))) {
        fprintf(stderr, "sessiond: --http: cannot listen on %s: %s\n", app.cfg.http,
                hrc == -EADDRINUSE      ? "address already in use (another sessiond?)"
                : hrc == -EPERM         ? "it no longer resolves to a loopback address and no token is set"
                : hrc == -EADDRNOTAVAIL ? "cannot resolve it or not a local address"
                                        : strerror(-hrc));
        sd_config_free(&app.cfg);
        return 1;
    }
    sd_config_http_warn(&app.cfg, &app.logger); /* a token on the command line, a readable token file */
    sd_config_store_warn(&app.cfg, &app.logger);
    signal(SIGPIPE, SIG_IGN);
    sd_signals_block(); /* before any thread exists: only the signal thread takes TERM/INT */
    int code = 0;
    if (load_table(&app)) {
        code = 2;
        goto out_table;
    }
    uv_loop_init(&app.loop);
    if ((code = start_api(&app)) != 0 ||
        (code = sd_store_start(&app.store, &app.loop, app.api, &app.cfg, sd_ops_health(app.ops), &app.logger)) != 0 ||
        (code = sd_cluster_start(&app.cluster, app.api, &app.cfg, &app.logger)) != 0 ||
        (code = sd_csse_new(&app.csse, &app.cfg, sc_coord_metrics(app.api), &app.logger) ? 1 : 0) != 0 ||
        (code = start_http(&app)) != 0)
        goto out_loop;
    uv_timer_init(&app.loop, &app.heartbeat);
    uv_timer_init(&app.loop, &app.deadline);
    uv_timer_init(&app.loop, &app.handover);
    app.heartbeat.data = app.deadline.data = app.handover.data = &app;
    /* hard deadline: the graceful bound plus time for the cleanup after the loop */
    uint32_t drain_ms = app.cfg.sigterm_hangup ? 0 : app.cfg.drain_timeout_ms;
    if (sd_signals_start(&app.signals, &app.loop, drain_ms + app.cfg.shutdown_timeout_ms + 3000, app.cfg.log_json,
                         on_signal, &app) != 0) {
        fprintf(stderr, "sessiond: cannot start the signal thread\n");
        code = 1;
        goto out_loop;
    }
    uv_timer_start(&app.heartbeat, on_heartbeat, 0, HEARTBEAT_MS);
    char store_shown[512];
    sc_url_redact(app.cfg.store, store_shown, sizeof store_shown); /* never its password */
    sc_log(&app.logger, SC_LOG_INFO, "sessiond", "sessiond %s ready (answer %s, store %s)", SC_VERSION,
           app.cfg.answer_auto ? "auto" : "manual", store_shown);
    if (sd_systemd_ready(&app.systemd, &app.loop, app.api) != 0)
        sc_log(&app.logger, SC_LOG_WARN, "sessiond", "cannot notify systemd: out of memory");
    uv_run(&app.loop, UV_RUN_DEFAULT);
    sd_systemd_close(app.systemd);
    app.systemd = NULL;
    sd_signals_close(app.signals);
    uv_close((uv_handle_t *)&app.heartbeat, NULL);
    uv_close((uv_handle_t *)&app.deadline, NULL);
    uv_close((uv_handle_t *)&app.handover, NULL);
out_loop:
    sd_store_stop(app.store); /* persistence health timer (store_setup.c) */
    app.store = NULL;
    sd_ops_stop(app.ops); /* ends the SSE streams before the HTTP threads are joined */
    app.ops = NULL;
    sd_csse_stop(app.csse); /* the cluster stream's too (cluster_sse.c) */
    sd_http_free(app.http);
    app.http = NULL;
    sd_cluster_free(app.cluster); /* the HTTP threads' store handle (after they are joined) */
    app.cluster = NULL;
    sd_csse_free(app.csse);
    app.csse = NULL;
    sc_coord_free(app.api);
    app.api = NULL;
    uv_walk(&app.loop, close_walk, NULL);
    uv_run(&app.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&app.loop) != 0)
        sc_log(&app.logger, SC_LOG_WARN, "sessiond", "event loop closed with handles still open");
    sd_signals_free(app.signals); /* the hard deadline covered the cleanup above */
    app.signals = NULL;
    sc_log(&app.logger, SC_LOG_INFO, "sessiond", "stopped");
out_table:
    if (app.http_fd >= 0) /* bound, never served */
        close(app.http_fd);
    sc_table_unref(app.table);
    sc_vocab_free(app.vocab);
    sd_config_free(&app.cfg);
    return code;
}
