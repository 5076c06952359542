/* webhooks: the feature that binds the guards and actions a table ties to a URL (its
 * vocabulary's mapping form, sc_table_webhook) and calls them over HTTP without blocking the
 * loop: the call POSTs the session as JSON (webhook_json.c) through libcurl on the loop
 * (curl_uv.c) and suspends the session's run; the answer resumes it. An action's 2xx answer
 * may set session variables and raise one of the table's own events; anything else is the
 * action's failure (ActionFailed), after its retries. A guard's answer is its verdict (no
 * answer: false), cached per session or per row when the table asks. */
#include "coord/coord_int.h"
#include "coord/curl_uv.h"
#include "coord/webhooks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD "webhooks"
#define SECRET_MAX 4096 /* bytes of a token or key file's first line */
#define CACHE_MAX 16    /* cached guard answers per session */
#define NO_ROW UINT32_MAX
#define RETRY_STEP_MS 100 /* an action's retry n waits n times this (at most 1 s) */

typedef struct secret { /* a token or key file's first line, read once per table version */
    struct secret *next;
    char *path, *value;
    size_t len;
} secret;

typedef struct hook_call hook_call;

typedef struct hooks {
    sc_coord *c;
    sc_http *http;
    secret *secrets;
    hook_call *calls; /* in flight, doubly linked */
    sc_obs_metric *m_requests, *m_duration, *m_hits;
} hooks;

struct hook_call {
    hooks *h;
    hook_call *prev, *next;
    char sid[SC_SESSION_ID_MAX + 1];
    char name[72];
    bool guard;
    const sc_webhook_spec *w; /* in the session's table, which lives as long as the session */
    uint32_t row;             /* cache key: the row (cache: transition) or NO_ROW */
    sc_id id;                 /* the guard's id */
    uint64_t token;
    unsigned attempt; /* 1 for the first */
    uint64_t started; /* mono us of the first attempt */
    sc_http_req *req;
    uv_timer_t *retry; /* the wait before a retry (its own memory: it closes after the call goes) */
    char *body;
    size_t len;
    char *hdr[6]; /* header lines, NULL-terminated */
};

/* A session's cached guard answers (its leg's hook_cache). */
struct sc_coord_whc {
    size_t n;
    struct {
        sc_id guard;
        uint32_t row; /* NO_ROW: for the whole session */
        bool value;
    } e[CACHE_MAX];
};

static hooks *state_of(const sc_exec *x) { return sc_coord__feat(x->ud, SC_FEAT_WEBHOOKS); }

/* ---- Secrets ------------------------------------------------------------------------------ */

/* The first line of path into buf (NUL-terminated); its length, or a negative errno. */
static int read_first_line(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    size_t n = fread(buf, 1, cap - 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return -EIO;
    buf[n] = '\0';
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    return n ? (int)n : -ENODATA;
}

static const secret *secret_get(hooks *h, const char *path, int *err)
{
    for (secret *s = h->secrets; s; s = s->next)
        if (!strcmp(s->path, path))
            return s;
    char buf[SECRET_MAX + 1];
    int n = read_first_line(path, buf, sizeof buf);
    if (n < 0) {
        *err = n;
        return NULL;
    }
    secret *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path)) || !(s->value = strdup(buf))) {
        if (s)
            free(s->path);
        free(s);
        *err = -ENOMEM;
        return NULL;
    }
    s->len = (size_t)n;
    s->next = h->secrets;
    h->secrets = s;
    return s;
}

static void secrets_clear(hooks *h)
{
    while (h->secrets) {
        secret *s = h->secrets;
        h->secrets = s->next;
        memset(s->value, 0, s->len);
        free(s->value);
        free(s->path);
        free(s);
    }
}

/* ---- Metrics ------------------------------------------------------------------------------ */

static void count(hooks *h, const char *name, const char *result, uint64_t us)
{
    sc_obs_counter *n = h->m_requests ? sc_obs_counter_with(h->m_requests, name, result) : NULL;
    if (n)
        sc_obs_counter_inc(n);
    sc_obs_histogram *d = h->m_duration && us ? sc_obs_histogram_with(h->m_duration, name) : NULL;
    if (d)
        sc_obs_histogram_observe(d, (double)us / 1e6);
}

static void count_hit(hooks *h, const char *name)
{
    sc_obs_counter *n = h->m_hits ? sc_obs_counter_with(h->m_hits, name) : NULL;
    if (n)
        sc_obs_counter_inc(n);
}

/* ---- Guard cache -------------------------------------------------------------------------- */

static uint32_t cache_row(const sc_exec *x, const sc_webhook_spec *w)
{
    return w->cache == SC_WEBHOOK_CACHE_TRANSITION && x->transition ? x->transition->index : NO_ROW;
}

static int cache_get(const sc_session *s, sc_id guard, uint32_t row)
{
    sc_coord_leg *leg = sc_coord__leg(s);
    struct sc_coord_whc *wc = leg ? leg->hook_cache : NULL;
    for (size_t i = 0; wc && i < wc->n; i++)
        if (wc->e[i].guard == guard && wc->e[i].row == row)
            return wc->e[i].value;
    return -1;
}

static void cache_put(sc_session *s, sc_id guard, uint32_t row, bool value)
{
    sc_coord_leg *leg = sc_coord__leg(s);
    if (!leg || (!leg->hook_cache && !(leg->hook_cache = calloc(1, sizeof *leg->hook_cache))))
        return;
    struct sc_coord_whc *wc = leg->hook_cache;
    if (wc->n == CACHE_MAX)
        return; /* bounded: later answers are not cached */
    wc->e[wc->n].guard = guard;
    wc->e[wc->n].row = row;
    wc->e[wc->n].value = value;
    wc->n++;
}

static void leg_free(sc_coord_leg *leg)
{
    free(leg->hook_cache);
    leg->hook_cache = NULL;
}

static void leg_usage(const sc_coord_leg *leg, size_t *bytes, unsigned *sockets)
{
    if (leg->hook_cache)
        *bytes += sizeof *leg->hook_cache;
}

/* ---- Calls -------------------------------------------------------------------------------- */

static void timer_closed(uv_handle_t *t) { free(t); }

static void call_free(hook_call *k)
{
    if (!k)
        return;
    hooks *h = k->h;
    if (k->prev)
        k->prev->next = k->next;
    else if (h->calls == k)
        h->calls = k->next;
    if (k->next)
        k->next->prev = k->prev;
    if (k->req)
        sc_http_cancel(k->req);
    if (k->retry) {
        uv_timer_stop(k->retry);
        k->retry->data = NULL;
        uv_close((uv_handle_t *)k->retry, timer_closed);
    }
    free(k->body);
    for (size_t i = 0; k->hdr[i]; i++)
        free(k->hdr[i]);
    free(k);
}

static char *line(const char *fmt, const char *a)
{
    size_t n = strlen(fmt) + strlen(a) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, fmt, a);
    return s;
}

/* The call's body and header lines (token and signature when the webhook has them). */
static int call_prepare(hook_call *k, const sc_exec *x)
{
    hooks *h = k->h;
    if (!(k->body = sc_coord__hook_payload(x, k->name, k->guard, &k->len)))
        return -ENOMEM;
    size_t n = 0;
    if (!(k->hdr[n++] = strdup("Content-Type: application/json")) || !(k->hdr[n++] = strdup("Expect:")) ||
        !(k->hdr[n++] = strdup("User-Agent: session-core/" SC_VERSION)))
        return -ENOMEM;
    int err = 0;
    if (k->w->token_file) {
        const secret *t = secret_get(h, k->w->token_file, &err);
        if (!t || !(k->hdr[n++] = line("Authorization: Bearer %s", t->value)))
            return t ? -ENOMEM : err;
    }
    if (k->w->hmac_key_file) {
        const secret *key = secret_get(h, k->w->hmac_key_file, &err);
        char sig[128];
        if (!key)
            return err;
        if (sc_coord__hook_signature(key->value, key->len, k->body, k->len, sig, sizeof sig) < 0)
            return -EIO;
        if (!(k->hdr[n++] = strdup(sig)))
            return -ENOMEM;
    }
    return 0;
}

static void on_done(void *ud, int status, int err, const char *why, const char *body, size_t len, uint64_t us);

static int call_send(hook_call *k)
{
    return sc_http_post(k->h->http, k->w->url, (const char *const *)k->hdr, k->body, k->len, k->w->timeout_ms, on_done,
                        k, &k->req);
}

/* A new call of x's guard or action w, in flight (not yet suspended). */
static int call_start(hooks *h, const sc_exec *x, const sc_webhook_spec *w, bool guard, hook_call **out)
{
    hook_call *k = calloc(1, sizeof *k);
    if (!k)
        return -ENOMEM;
    k->h = h;
    k->guard = guard;
    k->w = w;
    k->id = x->call->id;
    k->row = guard ? cache_row(x, w) : NO_ROW;
    k->attempt = 1;
    k->started = sc_clock_mono_us(h->c->clock);
    snprintf(k->sid, sizeof k->sid, "%s", sc_session_id(x->session));
    snprintf(k->name, sizeof k->name, "%s", w->name);
    k->next = h->calls;
    if (h->calls)
        h->calls->prev = k;
    h->calls = k;
    int rc = call_prepare(k, x);
    if (rc == 0)
        rc = call_send(k);
    if (rc) {
        sc_log(h->c->logger, SC_LOG_WARN, MOD, "session %s: webhook %s not sent: %s", k->sid, k->name, sc_strerror(rc));
        count(h, k->name, "error", 0);
        call_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

/* The engine removed the session while its call was waiting. */
static void on_cancel(void *ud)
{
    hook_call *k = ud;
    count(k->h, k->name, "cancelled", 0);
    call_free(k);
}

/* Suspend x's run on k; 0, or the error (k is then freed). */
static int call_suspend(hook_call *k, const sc_exec *x)
{
    k->token = sc_exec_suspend(x, on_cancel, k);
    if (k->token)
        return 0;
    call_free(k);
    return -EBUSY;
}

static bool hook_guard(const sc_exec *x)
{
    hooks *h = state_of(x);
    const sc_webhook_spec *w = sc_table_webhook(sc_session_table(x->session), SC_VOCAB_GUARD, x->call->id);
    if (!h || !w) {
        sc_log(x->ud ? ((sc_coord *)x->ud)->logger : NULL, SC_LOG_WARN, MOD,
               "session %s: guard %s has no webhook in this table version: false", sc_session_id(x->session),
               sc_vocab_name(sc_table_vocab(sc_session_table(x->session)), SC_VOCAB_GUARD, x->call->id));
        return false;
    }
    if (w->cache != SC_WEBHOOK_CACHE_NONE) {
        int v = cache_get(x->session, x->call->id, cache_row(x, w));
        if (v >= 0) {
            sc_exec_mark_cached(x);
            count_hit(h, w->name);
            return v;
        }
    }
    hook_call *k = NULL;
    if (call_start(h, x, w, true, &k) == 0)
        call_suspend(k, x);
    return false; /* ignored once suspended */
}

static int hook_action(const sc_exec *x)
{
    hooks *h = state_of(x);
    const sc_webhook_spec *w = sc_table_webhook(sc_session_table(x->session), SC_VOCAB_ACTION, x->call->id);
    if (!h || !w) {
        sc_log(x->ud ? ((sc_coord *)x->ud)->logger : NULL, SC_LOG_WARN, MOD,
               "session %s: action %s has no webhook in this table version", sc_session_id(x->session),
               sc_vocab_name(sc_table_vocab(sc_session_table(x->session)), SC_VOCAB_ACTION, x->call->id));
        return -ENOSYS;
    }
    hook_call *k = NULL;
    int rc = call_start(h, x, w, false, &k);
    return rc ? rc : call_suspend(k, x);
}

/* ---- Answers ------------------------------------------------------------------------------ */

/* Apply an action's checked answer to s: variables, then the event (queued behind the run).
 * 0, or the error with why. */
static int apply(hooks *h, sc_session *s, const hook_call *k, const sc_coord_hook_answer *a, char *why, size_t cap)
{
    for (size_t i = 0; i < a->nset; i++) {
        int rc = sc_session_var_set(s, a->set[i].name, a->set[i].value);
        if (rc) {
            snprintf(why, cap, "variable '%s' not set: %s", a->set[i].name, sc_strerror(rc));
            return rc;
        }
    }
    if (!a->event)
        return 0;
    int ev = sc_vocab_lookup(sc_table_vocab(sc_session_table(s)), SC_VOCAB_EVENT, a->event);
    if (ev < SC_EV__BUILTIN_COUNT) {
        snprintf(why, cap, "event '%.64s' is not one the table declares", a->event);
        return -ENOENT;
    }
    int rc = sc_engine_dispatch_simple(h->c->engine, s, (sc_id)ev, 0, k->name);
    if (rc < 0) {
        snprintf(why, cap, "event '%.64s' not queued: %s", a->event, sc_strerror(rc));
        return rc;
    }
    return 0;
}

static const char *failure_label(int status, int err)
{
    if (status)
        return "http_error";
    return err == -ETIMEDOUT ? "timeout" : err == -ECONNREFUSED ? "refused" : "error";
}

/* The result to resume with, from a transport's or server's end; counted and logged. */
static int failed(hooks *h, hook_call *k, int status, int err, const char *why, uint64_t us)
{
    count(h, k->name, failure_label(status, err), us);
    if (status)
        sc_log(h->c->logger, SC_LOG_WARN, MOD, "session %s: %s %s answered HTTP %d (attempt %u)", k->sid,
               k->guard ? "guard" : "action", k->name, status, k->attempt);
    else
        sc_log(h->c->logger, SC_LOG_WARN, MOD, "session %s: %s %s: %s (%s, attempt %u)", k->sid,
               k->guard ? "guard" : "action", k->name, sc_strerror(err), why, k->attempt);
    return status ? -EPROTO : err;
}

/* The call's end: resume the run with result (the call is gone first). */
static void finish(hook_call *k, int result)
{
    hooks *h = k->h;
    uint64_t token = k->token;
    call_free(k);
    int rc = sc_engine_resume(h->c->engine, token, result);
    if (rc)
        sc_log(h->c->logger, SC_LOG_DEBUG, MOD, "resume %llu: %s", (unsigned long long)token, sc_strerror(rc));
}

static void on_retry(uv_timer_t *t)
{
    hook_call *k = t->data;
    if (!k)
        return;
    int rc = call_send(k);
    if (rc) {
        count(k->h, k->name, "error", 0);
        finish(k, rc);
    }
}

/* An action's next attempt after RETRY_STEP_MS times the attempts so far; false if none. */
static bool retry_later(hook_call *k)
{
    if (k->guard || k->attempt > k->w->retries)
        return false;
    if (!k->retry) {
        if (!(k->retry = malloc(sizeof *k->retry)))
            return false;
        uv_timer_init(k->h->c->loop, k->retry);
    }
    k->retry->data = k;
    uint64_t ms = (uint64_t)RETRY_STEP_MS * k->attempt;
    k->attempt++;
    uv_timer_start(k->retry, on_retry, ms < 1000 ? ms : 1000, 0);
    return true;
}

/* The result of a 2xx answer (the session's variables and event applied, a guard's cache). */
static int answered(hooks *h, hook_call *k, sc_session *s, const char *body, size_t len, uint64_t us)
{
    sc_coord_hook_answer a;
    char reason[SC_HOOK_WHY_MAX];
    int result = sc_coord__hook_answer_parse(body, len, k->guard, &a, reason, sizeof reason);
    if (result == 0 && k->guard) {
        result = a.result;
        if (k->w->cache != SC_WEBHOOK_CACHE_NONE)
            cache_put(s, k->id, k->row, a.result);
    } else if (result == 0) {
        result = apply(h, s, k, &a, reason, sizeof reason);
    }
    sc_coord__hook_answer_free(&a);
    count(h, k->name, result < 0 ? "bad_answer" : "ok", us);
    if (result < 0)
        sc_log(h->c->logger, SC_LOG_WARN, MOD, "session %s: %s %s: the answer is refused: %s", k->sid,
               k->guard ? "guard" : "action", k->name, reason);
    return result;
}

static void on_done(void *ud, int status, int err, const char *why, const char *body, size_t len, uint64_t us)
{
    hook_call *k = ud;
    hooks *h = k->h;
    k->req = NULL;
    sc_session *s = sc_store_get(h->c->store, k->sid);
    if (!s) { /* cannot be: its removal cancels the call */
        finish(k, -ENOENT);
        return;
    }
    if (err || status < 200 || status > 299) {
        int result = failed(h, k, status, err, why, us);
        if (!retry_later(k))
            finish(k, result);
        return;
    }
    finish(k, answered(h, k, s, body, len, us));
}

/* ---- Binding, start, stop ----------------------------------------------------------------- */

/* Bind every webhook of t not bound yet. At start (first is true) a name another binding took
 * is an error; later (a reload's candidate) bound names are left as they are. */
static int bind_table(sc_coord *c, const sc_table *t)
{
    bool first = !sc_coord__feat(c, SC_FEAT_WEBHOOKS) && !c->started[SC_FEAT_WEBHOOKS];
    for (size_t i = 0; i < sc_table_webhook_count(t); i++) {
        const sc_webhook_spec *w = sc_table_webhook_at(t, i);
        bool guard = w->kind == SC_VOCAB_GUARD;
        int id = sc_vocab_lookup(sc_engine_vocab(c->engine), w->kind, w->name);
        if (id < 0)
            continue; /* a name the engine lacks: the reload refuses it by name */
        if (guard ? sc_engine_guard_bound(c->engine, (sc_id)id) : sc_engine_action_bound(c->engine, (sc_id)id)) {
            if (!first)
                continue;
            sc_log(c->logger, SC_LOG_ERROR, MOD, "%s %s has a webhook in the table but is bound already",
                   guard ? "guard" : "action", w->name);
            return -EEXIST;
        }
        for (const char *path = w->token_file; first && path; path = path == w->token_file ? w->hmac_key_file : NULL) {
            char buf[SECRET_MAX + 1];
            int rc = read_first_line(path, buf, sizeof buf);
            memset(buf, 0, sizeof buf);
            if (rc < 0) {
                sc_log(c->logger, SC_LOG_ERROR, MOD, "%s %s: %s: %s", guard ? "guard" : "action", w->name, path,
                       rc == -ENODATA ? "empty first line" : sc_strerror(rc));
                return rc;
            }
        }
        int rc = guard ? sc_engine_bind_guard(c->engine, w->name, hook_guard, c)
                       : sc_engine_bind_action(c->engine, w->name, hook_action, c);
        if (rc)
            return rc;
        char url[SC_WEBHOOK_URL_MAX + 8];
        sc_url_redact(w->url, url, sizeof url);
        sc_log(c->logger, SC_LOG_INFO, MOD, "%s %s -> %s (timeout %u ms%s%s)", guard ? "guard" : "action", w->name, url,
               w->timeout_ms, guard ? ", cache " : "", guard ? sc_webhook_cache_name(w->cache) : "");
    }
    return 0;
}

static int metrics(sc_coord *c, hooks *h)
{
    if (!c->reg)
        return 0;
    sc_obs_desc r = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_webhook_requests_total",
                     .help = "Webhook calls by guard or action name and result (ok, http_error, timeout, refused, "
                             "bad_answer, error, cancelled); each retry counts",
                     .labels = {"name", "result"}};
    sc_obs_desc d = {.type = SC_OBS_HISTOGRAM,
                     .name = "sessioncore_webhook_duration_seconds",
                     .help = "Time from a webhook's request to its answer (answered calls and HTTP errors)",
                     .labels = {"name"}};
    sc_obs_desc g = {.type = SC_OBS_COUNTER,
                     .name = "sessioncore_guard_cache_hits_total",
                     .help = "Guard evaluations answered from the guard's cache instead of its webhook",
                     .labels = {"name"}};
    int rc = sc_obs_register(c->reg, &r, &h->m_requests);
    if (rc == 0)
        rc = sc_obs_register(c->reg, &d, &h->m_duration);
    if (rc == 0)
        rc = sc_obs_register(c->reg, &g, &h->m_hits);
    return rc;
}

static int start(sc_coord *c, const sc_coord_config *cfg)
{
    hooks *h = calloc(1, sizeof *h);
    if (!h)
        return -ENOMEM;
    h->c = c;
    c->feat[SC_FEAT_WEBHOOKS] = h;
    int rc = metrics(c, h);
    if (rc)
        return rc;
    return sc_http_new(&h->http, c->loop);
}

static void stop(sc_coord *c)
{
    hooks *h = c->feat[SC_FEAT_WEBHOOKS];
    if (!h)
        return;
    while (h->calls)
        call_free(h->calls); /* sessions are gone: nothing waits for these */
    sc_http_free(h->http);
    secrets_clear(h);
    free(h);
    c->feat[SC_FEAT_WEBHOOKS] = NULL;
}

/* GET /sessions/{id}: the webhook the session waits on, if any. */
static void inspect(sc_coord *c, const sc_session *s, json_t *out)
{
    hooks *h = c->feat[SC_FEAT_WEBHOOKS];
    const char *id = sc_session_id(s);
    for (hook_call *k = h ? h->calls : NULL; k; k = k->next) {
        if (strcmp(k->sid, id) != 0 || !k->token)
            continue;
        uint64_t now = sc_clock_mono_us(c->clock);
        char url[SC_WEBHOOK_URL_MAX + 8];
        sc_url_redact(k->w->url, url, sizeof url);
        json_object_set_new(out, "webhook",
                            json_pack("{sssssssisI}", "name", k->name, "kind", k->guard ? "guard" : "action", "url",
                                      url, "attempt", (int)k->attempt, "waiting_ms",
                                      (json_int_t)((now > k->started ? now - k->started : 0) / 1000)));
        return;
    }
}

/* A new table version: token and key files are read again when next used. */
static void table_reloaded(sc_coord *c, bool ok, const char *version, const char *error)
{
    hooks *h = c->feat[SC_FEAT_WEBHOOKS];
    if (h && ok)
        secrets_clear(h);
}

const sc_coord_feature sc_coord__feature_webhooks = {
    .name = "webhooks",
    .start = start,
    .stop = stop,
    .bind_table = bind_table,
    .leg_free = leg_free,
    .leg_usage = leg_usage,
    .inspect = inspect,
    .table_reloaded = table_reloaded,
};
