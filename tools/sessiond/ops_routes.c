/* ops_routes: metrics, health, table reload and test-hook endpoints of sessiond, and the loop
 * side of operations: the lag probe and heartbeat timer, SIGHUP, --watch and StatsD. */
#include "ops_routes.h"
#include "trunk_routes.h"

#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "session_core/coord.h"
#include "ops_sse.h"
#include "bodies.h"

#define PROBE_MS 100        /* lag probe and heartbeat period */
#define LIVE_MAX_US 2000000 /* /healthz: the loop is live if it beat within 2 s */

struct sd_ops {
    uv_loop_t *loop;
    sc_coord *api;
    const sc_logger *logger;
    char *table_path;
    bool test_hooks;
    const char *(*drain)(void *ud); /* POST /drain (main.c) */
    void *drain_ud;
    sc_obs_health *health;
    sc_obs_heartbeat hb;
    sc_obs_loop_probe probe;
    uv_timer_t probe_timer;
    uv_signal_t sighup;
    sc_coord_watch *watch;
    sc_obs_statsd *statsd;
    uv_timer_t statsd_timer;
    bool statsd_on;
    sd_sse *sse;
    int open_handles;
    unsigned ticks;
    /* the resources' total, walked a part a tick (res_walk), and the last complete one */
    sc_coord_resources res, res_total;
    uint64_t res_cursor;
    bool res_walking;
    uint64_t heap_next_ns; /* uv_hrtime() from which the heap may be sampled again */
};

sc_obs_health *sd_ops_health(sd_ops *ops) { return ops ? ops->health : NULL; }

/* ---- Loop side --------------------------------------------------------------------------- */

/* Sessions whose resources one probe tick (100 ms) adds up: a walk of a million retained
 * sessions takes 10 s in 100 bounded steps instead of stopping the loop for all of it every
 * second. */
#define RES_WALK_STEP 10000

static void publish_resources(sd_ops *o, const sc_coord_resources *res)
{
    sc_obs_health_set_detail(o->health, "session_bytes", (double)res->bytes);
    sc_obs_health_set_detail(o->health, "history_entries", (double)res->history_entries);
    sc_obs_health_set_detail(o->health, "timers", (double)res->timers);
    sc_obs_health_set_detail(o->health, "rtp_sockets", (double)res->rtp_sockets);
}

/* One step of the walk over the sessions' resources (started by refresh_details); the
 * details change when a walk completes. */
static void res_walk(sd_ops *o)
{
    if (!o->res_walking)
        return;
    int rc = sc_coord_resources_walk(o->api, &o->res_cursor, RES_WALK_STEP, &o->res);
    if (rc != 0)
        o->res_walking = false;
    if (rc == 1) {
        o->res_total = o->res;
        publish_resources(o, &o->res_total);
    }
}

/* Bytes in use in the main heap arena: the loop thread's (sessions, SIP, store records); other
 * threads' arenas and allocator caching are left out, so a churn can compare it. mallinfo2
 * walks every free chunk of the arena with its lock held: ~0.1 ms on a young heap, ~340 ms on
 * one of 300 MB cut into a million holes, so it is taken again only after 100 times the CPU
 * time it last took (at most 1 % of the loop's time; each second while it is fast). */
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sample_heap(sd_ops *o)
{
    uint64_t now = uv_hrtime();
    if (now < o->heap_next_ns)
        return;
    uint64_t c0 = thread_cpu_ns(); /* its CPU time: a preempted walk is not a slow one */
    struct mallinfo2 mi = mallinfo2();
    o->heap_next_ns = now + (thread_cpu_ns() - c0) * 100;
    sc_obs_health_set_detail(o->health, "heap_in_use_bytes", (double)(mi.uordblks + mi.hblkhd));
}

/* The details of /healthz (sessions, resources, loop lag, memory, fds): at start, then once a
 * second from the probe timer (the resources' when their walk completes: each second while
 * it fits in one step). */
static void refresh_details(sd_ops *o)
{
    sc_obs_health_set_detail(o->health, "sessions", (double)sc_coord_session_count(o->api));
    sc_obs_health_set_detail(o->health, "sessions_active", (double)sc_coord_active_count(o->api));
    publish_resources(o, &o->res_total);
    if (!o->res_walking) {
        memset(&o->res, 0, sizeof o->res);
        o->res_cursor = 0;
        o->res_walking = true;
    }
    sc_obs_health_set_detail(o->health, "loop_lag_seconds", (double)o->probe.last_lag_us / 1e6);
    sc_obs_health_set_detail(o->health, "loop_lag_max_seconds", (double)o->probe.max_lag_us / 1e6);
    sc_obs_process_stats ps;
    if (sc_obs_process_sample(&ps) == 0) {
        sc_obs_health_set_detail(o->health, "resident_memory_bytes", (double)ps.resident_bytes);
        sc_obs_health_set_detail(o->health, "open_fds", (double)ps.open_fds);
    }
    sample_heap(o);
    sc_coord_limits lim; /* admission caps in force (src/coord/admission.c); 0 = none */
    if (sc_coord_admission_limits(o->api, &lim) == 0) {
        sc_obs_health_set_detail(o->health, "admission_max_sessions", (double)lim.max_sessions);
        sc_obs_health_set_detail(o->health, "admission_max_memory_bytes", (double)lim.max_memory);
        sc_obs_health_set_detail(o->health, "admission_max_cps", (double)lim.max_cps);
        sc_obs_health_set_detail(o->health, "admission_media_pairs", (double)lim.media_pairs);
        sc_obs_health_set_detail(o->health, "media_pairs_used", (double)lim.media_pairs_used);
        sc_obs_health_set_detail(o->health, "media_pairs_parked", (double)lim.media_pairs_parked);
    }
    sd_trunk_health(o->api, o->health); /* trunks: checks that do not gate readiness (trunk_routes.c) */
}

static void on_probe(uv_timer_t *t)
{
    sd_ops *o = t->data;
    sc_obs_loop_probe_fire(&o->probe);
    sc_obs_heartbeat_beat(&o->hb);
    if (++o->ticks % 10 == 0)
        refresh_details(o);
    res_walk(o);
}

static void reload_file(sd_ops *o, const char *why)
{
    if (!o->table_path) {
        sc_log(o->logger, SC_LOG_WARN, "sessiond", "%s: no --table file to reload (built-in table)", why);
        return;
    }
    sc_log(o->logger, SC_LOG_INFO, "sessiond", "%s: reloading %s", why, o->table_path);
    sc_coord_table_reload(o->api, o->table_path, NULL, NULL, 0, NULL);
}

static void on_sighup(uv_signal_t *s, int signum) { reload_file(s->data, "SIGHUP"); }

static void on_watch(void *ud) { reload_file(ud, "--watch: table file changed"); }

static void on_statsd(uv_timer_t *t)
{
    sd_ops *o = t->data;
    int rc = sc_obs_statsd_flush(o->statsd);
    if (rc < 0)
        sc_log(o->logger, SC_LOG_DEBUG, "obs", "statsd push: %s", sc_strerror(rc));
}

static int health_init(sd_ops *o, const sc_clock *clock)
{
    int rc = sc_obs_health_new(&o->health, clock);
    if (rc)
        return rc;
    sc_obs_health_set(o->health, SC_OBS_CHECK_SIP_SOCKETS, true, "bound");
    sc_obs_health_set(o->health, SC_OBS_CHECK_TABLE, true, "loaded");
    sc_obs_health_set(o->health, SC_OBS_CHECK_STORE, true, "memory store");
    sc_obs_health_set(o->health, SC_OBS_CHECK_RECOVERY, true, "nothing to recover");
    sc_obs_health_set(o->health, SC_OBS_CHECK_LOOP, true, "turning");
    return 0;
}

int sd_ops_start(sd_ops **out, const sd_ops_config *cfg)
{
    sd_ops *o = calloc(1, sizeof *o);
    if (!o)
        return -ENOMEM;
    o->loop = cfg->loop;
    o->api = cfg->api;
    o->logger = cfg->logger;
    o->test_hooks = cfg->test_hooks;
    o->drain = cfg->drain;
    o->drain_ud = cfg->drain_ud;
    if (cfg->table_path && !(o->table_path = realpath(cfg->table_path, NULL)))
        o->table_path = strdup(cfg->table_path);
    const sc_clock *clock = sc_clock_system();
    int rc = health_init(o, clock);
    if (rc == 0)
        rc = sd_sse_new(&o->sse, o->loop, o->api, o->logger);
    if (rc == 0 && cfg->statsd)
        rc = sc_obs_statsd_new(&o->statsd, sc_coord_metrics(o->api), cfg->statsd,
                               cfg->statsd_interval_ms ? cfg->statsd_interval_ms : 10000);
    if (rc) {
        sd_sse_free(o->sse); /* its handles close on the next loop run */
        sc_obs_health_free(o->health);
        free(o->table_path);
        free(o);
        return rc;
    }
    sc_obs_heartbeat_init(&o->hb, clock);
    sc_obs_heartbeat_beat(&o->hb);
    sc_obs_metric *lag = sc_obs_registry_find(sc_coord_metrics(o->api), "sessioncore_event_loop_lag_seconds");
    sc_obs_loop_probe_init(&o->probe, clock, lag ? sc_obs_histogram_with(lag) : NULL, PROBE_MS * 1000u);
    uv_timer_init(o->loop, &o->probe_timer);
    uv_signal_init(o->loop, &o->sighup);
    o->probe_timer.data = o->sighup.data = o;
    o->open_handles = 2;
    sc_obs_loop_probe_arm(&o->probe);
    uv_timer_start(&o->probe_timer, on_probe, PROBE_MS, PROBE_MS);
    sc_coord_resources_total(o->api, &o->res_total); /* whole, once: the recovered sessions' */
    refresh_details(o); /* /healthz has its details from the first request on, sessions first */
    uv_signal_start(&o->sighup, on_sighup, SIGHUP);
    if (o->statsd) {
        uv_timer_init(o->loop, &o->statsd_timer);
        o->statsd_timer.data = o;
        o->statsd_on = true;
        o->open_handles++;
        uv_timer_start(&o->statsd_timer, on_statsd, sc_obs_statsd_interval_ms(o->statsd),
                       sc_obs_statsd_interval_ms(o->statsd));
    }
    if (cfg->watch && o->table_path) {
        rc = sc_coord_watch_start(o->loop, o->table_path, 0, on_watch, o, &o->watch);
        if (rc)
            sc_log(o->logger, SC_LOG_WARN, "sessiond", "--watch %s: %s", o->table_path, sc_strerror(rc));
        else
            sc_log(o->logger, SC_LOG_INFO, "sessiond", "watching %s for changes", o->table_path);
    }
    *out = o;
    return 0;
}

static void on_closed(uv_handle_t *h)
{
    sd_ops *o = h->data;
    if (--o->open_handles == 0) {
        sc_obs_statsd_free(o->statsd);
        sc_obs_health_free(o->health);
        free(o->table_path);
        free(o);
    }
}

void sd_ops_stop(sd_ops *o)
{
    if (!o)
        return;
    sd_sse_free(o->sse);
    o->sse = NULL;
    sc_coord_watch_stop(o->watch);
    o->watch = NULL;
    /* readiness goes down first: the health object lives until the handles are closed */
    sc_obs_health_set(o->health, SC_OBS_CHECK_SIP_SOCKETS, false, "shutting down");
    uv_close((uv_handle_t *)&o->probe_timer, on_closed);
    uv_close((uv_handle_t *)&o->sighup, on_closed);
    if (o->statsd_on)
        uv_close((uv_handle_t *)&o->statsd_timer, on_closed);
}

/* ---- HTTP thread ------------------------------------------------------------------------------ */

static int respond_str(struct MHD_Connection *c, int status, char *body, const char *ctype)
{
    if (!body)
        return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    int ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

bool sd_ops_direct(void *ud, struct MHD_Connection *c, const char *url, const char *method, bool authorized, int *ret)
{
    sd_ops *o = ud;
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (!strcmp(url, "/readyz")) {
        char reasons[512];
        bool ok = sc_obs_health_ready(o->health, reasons, sizeof reasons);
        json_t *j = json_pack("{s:s,s:s}", "status", ok ? "ready" : "not_ready", "reasons", ok ? "" : reasons);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        char *b = NULL;
        if (s && asprintf(&b, "%s\n", s) < 0)
            b = NULL;
        free(s);
        *ret = respond_str(c, ok ? 200 : 503, b, SD_HTTP_CT_JSON);
        return true;
    }
    if (!strcmp(url, "/healthz")) {
        char *b = sc_obs_health_json(o->health, &o->hb, LIVE_MAX_US);
        json_t *j = b ? json_loads(b, JSON_PRESERVE_ORDER, NULL) : NULL;
        const char *st = json_string_value(json_object_get(j, "status"));
        bool ok = st && !strcmp(st, "ok");
        if (!authorized && j) { /* a token is configured and absent: the checks, not the details */
            json_object_del(j, "details");
            char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
            free(b);
            b = NULL;
            if (s && asprintf(&b, "%s\n", s) < 0)
                b = NULL;
            free(s);
        }
        json_decref(j);
        *ret = respond_str(c, ok ? 200 : 503, b, SD_HTTP_CT_JSON);
        return true;
    }
    if (!strcmp(url, "/events")) {
        if (!get) {
            *ret = respond_str(c, 405, strdup("{\"error\":\"use GET /events\"}\n"), SD_HTTP_CT_JSON);
            return true;
        }
        return sd_sse_start(o->sse, c, ret);
    }
    return false;
}

/* ---- Loop thread: routes ----------------------------------------------------------------------- */

static void get_metrics(sd_ops *o, sd_http_req *r)
{
    if (!sc_coord_metrics(o->api)) {
        sd_http_reply_error(r, 404, "metrics are off (sessiond --metrics off)");
        return;
    }
    sc_obs_format f = sc_obs_format_from_accept(r->h_accept);
    char *text = NULL;
    int rc = sc_obs_render(sc_coord_metrics(o->api), f, &text, NULL);
    if (rc) {
        sd_http_reply_error(r, 500, sc_strerror(rc));
        return;
    }
    r->status = 200;
    r->resp = text;
    r->content_type = sc_obs_content_type(f);
}

/* 200 with the report, or 422 with it when refused (errors: [{file,line,column,message}]). */
static void reload_result(sd_http_req *r, int rc, json_t *report)
{
    if (!report)
        report = json_pack("{s:s,s:[{s:s,s:i,s:i,s:s}]}", "result", "refused", "errors", "file", "", "line", 0,
                           "column", 0, "message", sc_strerror(rc));
    sd_http_reply_json(r, rc == 0 ? 200 : rc == -ENOMEM ? 500 : 422, report);
}

static void post_reload(sd_ops *o, sd_http_req *r)
{
    json_t *report = NULL;
    int rc;
    if (r->body_len) {
        rc = sc_coord_table_reload(o->api, NULL, "POST /table/reload", r->body, r->body_len, &report);
    } else if (o->table_path) {
        rc = sc_coord_table_reload(o->api, o->table_path, NULL, NULL, 0, &report);
    } else {
        sd_http_reply_error(r, 400, "no --table file to reload (built-in table): send the YAML as the body");
        return;
    }
    reload_result(r, rc, report);
}

static void post_validate(sd_ops *o, sd_http_req *r)
{
    if (!r->body_len) {
        sd_http_reply_error(r, 400, "send the candidate table's YAML as the body");
        return;
    }
    json_t *report = NULL;
    int rc = sc_coord_table_validate(o->api, "POST /table/validate", r->body, r->body_len, &report);
    reload_result(r, rc, report);
}

/* GET /table: the table export (JSON) with the live versions added. */
static void get_table(sd_ops *o, sd_http_req *r)
{
    char *out = NULL;
    json_t *versions = NULL;
    int rc = sc_coord_table_export(o->api, SC_GRAPH_JSON, NULL, &out);
    if (rc == 0)
        rc = sc_coord_table_versions(o->api, &versions);
    json_t *j = out ? json_loads(out, 0, NULL) : NULL;
    free(out);
    if (rc || !json_is_object(j)) {
        json_decref(j);
        json_decref(versions);
        sd_http_reply_error(r, 500, rc ? sc_strerror(rc) : "table export is not a JSON object");
        return;
    }
    json_object_set_new(j, "versions", versions);
    sd_http_reply_json(r, 200, j);
}

static void debug_route(sd_ops *o, sd_http_req *r)
{
    if (!o->test_hooks) {
        sd_http_reply_error(r, 404, "test hooks are off (SESSIOND_TEST_HOOKS=1 enables them)");
        return;
    }
    if (!strcmp(r->path, "/debug/block-loop")) {
        long ms = r->q_ms ? strtol(r->q_ms, NULL, 10) : 3000;
        if (ms < 0 || ms > 30000) {
            sd_http_reply_error(r, 400, "ms: 0..30000");
            return;
        }
        sc_log(o->logger, SC_LOG_WARN, "sessiond", "test hook: blocking the loop for %ld ms", ms);
        usleep((useconds_t)ms * 1000);
        sd_http_reply_json(r, 200, json_pack("{s:i}", "blocked_ms", (int)ms));
    } else if (!strcmp(r->path, "/debug/health")) {
        json_t *b = json_loadb(r->body, r->body_len, 0, NULL);
        sd_health_body hb;
        const char *err = NULL;
        int rc = sd_health_body_parse(b, &hb, &err) == 0 ? sc_obs_health_set(o->health, hb.check, hb.ok, hb.reason)
                                                         : -EINVAL; /* bodies.c */
        json_decref(b);
        if (rc)
            sd_http_reply_error(r, 400, "body: {\"check\": NAME, \"ok\": bool, \"reason\": TEXT}");
        else
            sd_http_reply_json(r, 200, json_pack("{s:s}", "result", "ok"));
    } else {
        sd_http_reply_error(r, 404, "no such test hook (block-loop, health)");
    }
}

bool sd_ops_handle(sd_ops *o, sd_http_req *r)
{
    if (!o)
        return false;
    bool get = !strcmp(r->method, "GET"), post = !strcmp(r->method, "POST");
    const char *p = r->path;
    if (!strcmp(p, "/metrics")) {
        get ? get_metrics(o, r) : sd_http_reply_error(r, 405, "use GET /metrics");
    } else if (!strcmp(p, "/table/reload")) {
        post ? post_reload(o, r) : sd_http_reply_error(r, 405, "use POST /table/reload");
    } else if (!strcmp(p, "/table/validate")) {
        post ? post_validate(o, r) : sd_http_reply_error(r, 405, "use POST /table/validate");
    } else if (!strcmp(p, "/table/versions")) {
        json_t *v = NULL;
        int rc = get ? sc_coord_table_versions(o->api, &v) : -EPERM;
        if (!get)
            sd_http_reply_error(r, 405, "use GET");
        else if (rc)
            sd_http_reply_error(r, 500, sc_strerror(rc));
        else
            sd_http_reply_json(r, 200, json_pack("{s:o}", "versions", v));
    } else if ((!strcmp(p, "/table") || !strcmp(p, "/table.json")) && get && !r->q_session) {
        get_table(o, r);
    } else if (!strcmp(p, "/drain") && o->drain) {
        if (!post) {
            sd_http_reply_error(r, 405, "use POST /drain");
        } else {
            const char *phase = o->drain(o->drain_ud);
            sd_http_reply_json(r, 202,
                               json_pack("{s:s,s:I}", "phase", phase, "active_calls",
                                         (json_int_t)sc_coord_active_count(o->api)));
        }
    } else if (!strncmp(p, "/debug/", 7)) {
        post ? debug_route(o, r) : sd_http_reply_error(r, 405, "use POST");
    } else {
        return false;
    }
    return true;
}
