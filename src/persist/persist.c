/* persist: the synchronous front end: URL dispatch to a backend, locking, reconnect on the
 * next call after a broken connection, and the json_t <-> text conversion. */
#include "persist/persist_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sc_persist_durability_name(sc_persist_durability d)
{
    switch (d) {
    case SC_PERSIST_STRICT: return "strict";
    case SC_PERSIST_BATCHED: return "batched";
    case SC_PERSIST_NONE: return "none";
    }
    return "?";
}

int sc_persist_durability_parse(const char *name, sc_persist_durability *out)
{
    static const sc_persist_durability all[] = {SC_PERSIST_STRICT, SC_PERSIST_BATCHED, SC_PERSIST_NONE};
    for (size_t i = 0; name && i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, sc_persist_durability_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return -EINVAL;
}

int sc_persist__error(sc_persist *p, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    sc_log(p->cfg.logger, SC_LOG_DEBUG, "persist", "%s: %s", p->be ? p->be->name : "?", p->err);
    return code;
}

bool sc_persist__conn_error(int code)
{
    return code == -EIO || code == -ECONNREFUSED || code == -ECONNRESET || code == -EPIPE || code == -ETIMEDOUT ||
           code == -ENOTCONN || code == -EHOSTUNREACH;
}

int sc_persist__schema_too_new(sc_persist *p, int found)
{
    return sc_persist__error(p, -EPROTO,
                             "store schema version %d is newer than this build's version %d: "
                             "upgrade session-core or use another store",
                             found, SC_PERSIST_SCHEMA_VERSION);
}

int64_t sc_persist__now_us(const sc_persist *p)
{
    return sc_clock_wall_us(p->cfg.clock ? p->cfg.clock : sc_clock_system());
}

uint64_t sc_persist__mono_us(const sc_persist *p)
{
    return sc_clock_mono_us(p->cfg.clock ? p->cfg.clock : sc_clock_system());
}

static void set_err(char *err, size_t err_size, const char *msg)
{
    if (err && err_size)
        snprintf(err, err_size, "%s", msg);
}

static const sc_persist__backend *pick_backend(const char *url, const char **rest)
{
    static const struct {
        const char *prefix;
        const sc_persist__backend *be;
        bool keep_prefix;
    } map[] = {
        {"memory:", &sc_persist__memory, false}, {"sqlite:", &sc_persist__sqlite, false},
        {"redis://", &sc_persist__redis, false}, {"postgresql://", &sc_persist__pg, true},
        {"postgres://", &sc_persist__pg, true},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t n = strlen(map[i].prefix);
        if (strncmp(url, map[i].prefix, n) == 0) {
            *rest = map[i].keep_prefix ? url : url + n;
            return map[i].be;
        }
    }
    return NULL;
}

static int handle_new(sc_persist **out, const sc_persist__backend *be, const char *url, const sc_persist_config *cfg)
{
    sc_persist *p = calloc(1, sizeof *p);
    if (!p)
        return -ENOMEM;
    p->url = strdup(url);
    if (!p->url) {
        free(p);
        return -ENOMEM;
    }
    p->be = be;
    if (cfg)
        p->cfg = *cfg;
    if (!p->cfg.connect_timeout_ms)
        p->cfg.connect_timeout_ms = 2000;
    pthread_mutex_init(&p->lock, NULL);
    *out = p;
    return 0;
}

static void handle_free(sc_persist *p)
{
    if (p->connected)
        p->be->disconnect(p);
    if (p->impl)
        p->be->destroy(p);
    pthread_mutex_destroy(&p->lock);
    free(p->url);
    free(p);
}

/* Connects p if needed; lock held. */
static int ensure(sc_persist *p)
{
    if (p->connected)
        return 0;
    p->err[0] = '\0';
    int rc = p->be->connect(p);
    if (rc == 0)
        p->connected = true;
    return rc;
}

/* After a failed call: drop a broken connection so that the next call reconnects. */
static int after(sc_persist *p, int rc)
{
    if (rc < 0 && sc_persist__conn_error(rc) && p->connected) {
        p->be->disconnect(p);
        p->connected = false;
        p->in_batch = false;
    }
    return rc;
}

static int finish_open(sc_persist *p, bool lazy, char *err, size_t err_size)
{
    if (lazy)
        return 0;
    int rc = ensure(p);
    if (rc < 0)
        set_err(err, err_size, p->err);
    return rc;
}

int sc_persist_open(sc_persist **out, const char *url, const sc_persist_config *cfg, char *err, size_t err_size)
{
    set_err(err, err_size, "");
    if (!out || !url) {
        set_err(err, err_size, "no store URL");
        return -EINVAL;
    }
    const char *rest = NULL;
    const sc_persist__backend *be = pick_backend(url, &rest);
    if (!be) {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "unknown store URL '%.200s' (expected memory:, sqlite:PATH, redis://HOST:PORT/DB, "
                 "postgresql://...)",
                 url);
        set_err(err, err_size, msg);
        return -EINVAL;
    }
    sc_persist *p = NULL;
    int rc = handle_new(&p, be, url, cfg);
    if (rc < 0) {
        set_err(err, err_size, "out of memory");
        return rc;
    }
    rc = be->init(p, rest);
    if (rc == 0)
        rc = finish_open(p, p->cfg.lazy_connect, err, err_size);
    else
        set_err(err, err_size, p->err);
    if (rc < 0) {
        handle_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int sc_persist__open_same(sc_persist **out, sc_persist *src, bool lazy, char *err, size_t err_size)
{
    set_err(err, err_size, "");
    sc_persist *p = NULL;
    sc_persist_config cfg = src->cfg;
    cfg.lazy_connect = lazy;
    int rc = handle_new(&p, src->be, src->url, &cfg);
    if (rc < 0)
        return rc;
    if (src->be->init_same) {
        /* not under src->lock: a second handle may be opened while src is in use by this
         * thread (recovery opens one for table texts inside sc_persist_list's walk); the
         * backend guards what it shares itself */
        rc = src->be->init_same(p, src);
    } else {
        const char *rest = NULL;
        pick_backend(src->url, &rest);
        rc = src->be->init(p, rest);
    }
    if (rc == 0)
        rc = finish_open(p, lazy, err, err_size);
    else
        set_err(err, err_size, p->err);
    if (rc < 0) {
        handle_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int sc_persist_open_same(sc_persist **out, sc_persist *p, char *err, size_t err_size)
{
    if (!out || !p)
        return -EINVAL;
    return sc_persist__open_same(out, p, false, err, err_size);
}

void sc_persist_close(sc_persist *p)
{
    if (p)
        handle_free(p);
}

const char *sc_persist_last_error(const sc_persist *p) { return p ? p->err : "no store"; }
const char *sc_persist_backend_name(const sc_persist *p) { return p->be->name; }
const char *sc_persist_url(const sc_persist *p) { return p->url; }

static char *dump(const json_t *doc) { return json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY); }

/* Runs an op with the lock held and the connection up; WITH_CONN_RC stores the result
 * in out instead of returning it. */
#define WITH_CONN_RC(p, out, expr)        \
    do {                                  \
        pthread_mutex_lock(&(p)->lock);   \
        (p)->err[0] = '\0';               \
        int rc_ = ensure(p);              \
        if (rc_ == 0)                     \
            rc_ = (expr);                 \
        rc_ = after((p), rc_);            \
        pthread_mutex_unlock(&(p)->lock); \
        (out) = rc_;                      \
    } while (0)
#define WITH_CONN(p, expr)           \
    do {                             \
        int r_;                      \
        WITH_CONN_RC((p), r_, expr); \
        return r_;                   \
    } while (0)

static int bad_arg(sc_persist *p, const char *what)
{
    pthread_mutex_lock(&p->lock);
    int rc = sc_persist__error(p, -EINVAL, "%s", what);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void sc_persist__note_fenced(sc_persist *p, uint64_t n)
{
    if (n)
        __atomic_fetch_add(&p->fenced, n, __ATOMIC_RELAXED);
}

uint64_t sc_persist_fenced_writes(const sc_persist *p) { return p ? __atomic_load_n(&p->fenced, __ATOMIC_RELAXED) : 0; }

int sc_persist__save_text(sc_persist *p, const char *id, const char *data, const char *node, const char *hash,
                          int64_t updated_us)
{
    int rc;
    WITH_CONN_RC(p, rc, p->be->save(p, id, data, node ? node : "", hash ? hash : "", updated_us));
    if (rc == 1) /* fenced: another node owns the snapshot; not an error */
        sc_persist__note_fenced(p, 1);
    return rc == 1 ? 0 : rc;
}

int sc_persist_save(sc_persist *p, const char *id, const json_t *snapshot, const char *node_id, const char *table_hash)
{
    if (!p || !id || !*id || !snapshot)
        return p ? bad_arg(p, "save needs a session id and a snapshot") : -EINVAL;
    char *text = dump(snapshot);
    if (!text)
        return -ENOMEM;
    int rc = sc_persist__save_text(p, id, text, node_id, table_hash, sc_persist__now_us(p));
    free(text);
    return rc;
}

static int load_locked(sc_persist *p, const char *id, char **text, sc_persist_snapshot_info *info)
{
    WITH_CONN(p, p->be->load(p, id, text, info));
}

int sc_persist_load(sc_persist *p, const char *id, json_t **out, sc_persist_snapshot_info *info)
{
    if (!p || !id || !out)
        return -EINVAL;
    sc_persist_snapshot_info tmp;
    memset(&tmp, 0, sizeof tmp);
    char *text = NULL;
    int rc = load_locked(p, id, &text, &tmp);
    if (rc < 0)
        return rc;
    json_t *doc = sc_persist__json_loads(text);
    free(text);
    if (!doc)
        return bad_arg(p, "stored snapshot is not valid JSON");
    if (info)
        *info = tmp;
    *out = doc;
    return 0;
}

int sc_persist__save_table_raw(sc_persist *p, const char *hash, const char *text)
{
    WITH_CONN(p, p->be->save_table(p, hash, text, sc_persist__now_us(p)));
}

int sc_persist_save_table(sc_persist *p, const char *hash, const char *text)
{
    if (!p || !hash || !*hash || !text)
        return -EINVAL;
    return sc_persist__save_table_raw(p, hash, text);
}

static int load_table_locked(sc_persist *p, const char *hash, char **text)
{
    WITH_CONN(p, p->be->load_table(p, hash, text));
}

int sc_persist_load_table(sc_persist *p, const char *hash, char **text)
{
    if (!p || !hash || !text)
        return -EINVAL;
    *text = NULL;
    return load_table_locked(p, hash, text);
}

struct list_ctx {
    sc_persist_list_cb cb;
    void *ud;
};

static int list_tramp(const char *id, const char *data, void *ud)
{
    struct list_ctx *c = ud;
    json_t *doc = data ? sc_persist__json_loads(data) : NULL;
    int rc = c->cb(id, doc, c->ud);
    json_decref(doc);
    return rc;
}

int sc_persist__delete_raw(sc_persist *p, const char *id, const char *node)
{
    int rc;
    WITH_CONN_RC(p, rc, p->be->del(p, id, node ? node : ""));
    if (rc == 1)
        sc_persist__note_fenced(p, 1);
    return rc;
}

int sc_persist_delete(sc_persist *p, const char *id)
{
    if (!p || !id)
        return -EINVAL;
    return sc_persist__delete_raw(p, id, "");
}

int sc_persist_delete_owned(sc_persist *p, const char *id, const char *node)
{
    if (!p || !id)
        return -EINVAL;
    int rc = sc_persist__delete_raw(p, id, node);
    return rc == 1 ? -EBUSY : rc;
}

/* ---- ownership ---- */

int sc_persist_owner_move(sc_persist *p, const char *id, const char *from_node, const char *to_node)
{
    if (!p || !id || !*id || !from_node || !to_node || !*to_node)
        return p ? bad_arg(p, "owner move needs a session id, the current owner and a new one") : -EINVAL;
    WITH_CONN(p, p->be->owner_move(p, id, from_node, to_node));
}

int sc_persist_list_owned(sc_persist *p, const char *node, bool with_data, sc_persist_owned_cb cb, void *ud)
{
    if (!p || !node || !cb)
        return -EINVAL;
    struct list_ctx c = {cb, ud};
    WITH_CONN(p, p->be->list_owned(p, node, with_data, list_tramp, &c));
}

int sc_persist_owners(sc_persist *p, sc_persist_owner_cb cb, void *ud)
{
    if (!p || !cb)
        return -EINVAL;
    WITH_CONN(p, p->be->owners(p, cb, ud));
}

int sc_persist_list(sc_persist *p, sc_persist_list_mode mode, bool with_data, sc_persist_list_cb cb, void *ud)
{
    if (!p || !cb)
        return -EINVAL;
    struct list_ctx c = {cb, ud};
    WITH_CONN(p, p->be->list(p, mode, with_data, list_tramp, &c));
}

int sc_persist__append_text(sc_persist *p, const char *id, uint64_t seq, int64_t wall_us, const char *rec)
{
    uint64_t g = 0;
    WITH_CONN(p, p->be->append(p, id, seq, wall_us, rec, &g));
}

static int append_locked(sc_persist *p, const char *id, uint64_t seq, int64_t wall_us, const char *rec, uint64_t *gseq)
{
    WITH_CONN(p, p->be->append(p, id, seq, wall_us, rec, gseq));
}

int sc_persist_append_event(sc_persist *p, const char *id, uint64_t seq, int64_t wall_us, const json_t *record,
                            uint64_t *gseq_out)
{
    if (!p || !id || !*id || !record)
        return p ? bad_arg(p, "append needs a session id and a record") : -EINVAL;
    char *text = dump(record);
    if (!text)
        return -ENOMEM;
    uint64_t g = 0;
    int rc = append_locked(p, id, seq, wall_us, text, &g);
    free(text);
    if (gseq_out)
        *gseq_out = rc == 0 ? g : 0;
    return rc;
}

struct ev_ctx {
    sc_persist_event_cb cb;
    void *ud;
};

static int ev_tramp(const sc_persist__raw_event *raw, void *ud)
{
    struct ev_ctx *c = ud;
    json_t *rec = sc_persist__json_loads(raw->record);
    if (!rec)
        rec = json_string(raw->record); /* never hide a record: hand it up as text */
    sc_persist_event ev = {raw->session_id, raw->seq, raw->wall_us, raw->gseq, rec};
    int rc = c->cb(&ev, c->ud);
    json_decref(rec);
    return rc;
}

int sc_persist_read_events(sc_persist *p, const char *id, uint64_t from_seq, sc_persist_event_cb cb, void *ud)
{
    if (!p || !id || !cb)
        return -EINVAL;
    struct ev_ctx c = {cb, ud};
    WITH_CONN(p, p->be->read_events(p, id, from_seq, ev_tramp, &c));
}

int sc_persist_read_events_range(sc_persist *p, int64_t since_us, int64_t until_us, sc_persist_event_cb cb, void *ud)
{
    if (!p || !cb)
        return -EINVAL;
    struct ev_ctx c = {cb, ud};
    WITH_CONN(p, p->be->read_range(p, since_us, until_us, ev_tramp, &c));
}

int sc_persist_read_events_after(sc_persist *p, uint64_t after_gseq, size_t limit, sc_persist_event_cb cb, void *ud)
{
    if (!p || !cb)
        return -EINVAL;
    struct ev_ctx c = {cb, ud};
    WITH_CONN(p, p->be->read_after(p, after_gseq, limit, ev_tramp, &c));
}

#define PRUNE_DEFAULT_MAX 1000

int sc_persist_prune_events(sc_persist *p, int64_t before_us, size_t max, size_t *removed)
{
    size_t n = 0;
    if (removed)
        *removed = 0;
    if (!p)
        return -EINVAL;
    int rc;
    WITH_CONN_RC(p, rc, p->be->prune(p, before_us, max ? max : PRUNE_DEFAULT_MAX, &n));
    if (removed && rc >= 0)
        *removed = n;
    return rc;
}

static int ping_locked(sc_persist *p) { WITH_CONN(p, p->be->ping(p)); }

int sc_persist_ping(sc_persist *p, uint64_t *latency_us)
{
    if (!p)
        return -EINVAL;
    uint64_t t0 = sc_persist__mono_us(p);
    int rc = ping_locked(p);
    if (latency_us)
        *latency_us = sc_persist__mono_us(p) - t0;
    return rc;
}

int sc_persist_schema_version(sc_persist *p, int *version)
{
    if (!p || !version)
        return -EINVAL;
    WITH_CONN(p, p->be->get_version(p, version));
}

int sc_persist_set_schema_version(sc_persist *p, int version)
{
    if (!p || version < 1)
        return -EINVAL;
    WITH_CONN(p, p->be->set_version(p, version));
}

int sc_persist_wipe(sc_persist *p)
{
    if (!p)
        return -EINVAL;
    WITH_CONN(p, p->be->wipe(p));
}

static int begin_locked(sc_persist *p)
{
    int rc = p->be->begin(p);
    if (rc == 0)
        p->in_batch = true;
    return rc;
}

int sc_persist__begin(sc_persist *p) { WITH_CONN(p, begin_locked(p)); }

static int commit_locked(sc_persist *p)
{
    if (!p->in_batch)
        return sc_persist__error(p, -EIO, "the batch was lost with the connection");
    p->in_batch = false;
    return p->be->commit(p);
}

int sc_persist__commit(sc_persist *p) { WITH_CONN(p, commit_locked(p)); }

void sc_persist__rollback(sc_persist *p)
{
    pthread_mutex_lock(&p->lock);
    if (p->connected && p->in_batch)
        p->be->rollback(p);
    p->in_batch = false;
    pthread_mutex_unlock(&p->lock);
}

static int claim_locked(sc_persist *p, const char *id, const char *node, unsigned lease_ms, char mode)
{
    int64_t now = sc_persist__now_us(p);
    WITH_CONN(p, p->be->claim(p, id, node, now, now + (int64_t)lease_ms * 1000, mode));
}

int sc_persist_claim(sc_persist *p, const char *id, const char *node, unsigned lease_ms)
{
    if (!p || !id || !*id || !node || !*node)
        return -EINVAL;
    return claim_locked(p, id, node, lease_ms, 'c');
}

int sc_persist_renew(sc_persist *p, const char *id, const char *node, unsigned lease_ms)
{
    if (!p || !id || !*id || !node || !*node)
        return -EINVAL;
    return claim_locked(p, id, node, lease_ms, 'r');
}

int sc_persist_release(sc_persist *p, const char *id, const char *node)
{
    if (!p || !id || !node)
        return -EINVAL;
    WITH_CONN(p, p->be->release(p, id, node));
}

int sc_persist_list_expired(sc_persist *p, sc_persist_lease_cb cb, void *ud)
{
    if (!p || !cb)
        return -EINVAL;
    int64_t now = sc_persist__now_us(p);
    WITH_CONN(p, p->be->expired(p, now, cb, ud));
}

/* ---- key-value entries ---- */

static bool name_ok(const char *s, size_t max) { return s && *s && strnlen(s, max + 1) <= max; }

bool sc_persist__kv_args_ok(const char *ns, const char *key)
{
    return name_ok(ns, SC_PERSIST_KV_NS_MAX) && name_ok(key, SC_PERSIST_KV_KEY_MAX);
}

bool sc_persist__kv_text_ok(const char *text, size_t len)
{
    return len <= SC_PERSIST_KV_TEXT_MAX && (len == 0 || (text && !memchr(text, '\0', len)));
}

static int kv_bad(sc_persist *p)
{
    pthread_mutex_lock(&p->lock);
    int rc = sc_persist__error(p, -EINVAL,
                               "key-value entry out of bounds: namespace 1..%d bytes, key 1..%d bytes, "
                               "text at most %d bytes without NUL, expiry >= 0",
                               SC_PERSIST_KV_NS_MAX, SC_PERSIST_KV_KEY_MAX, SC_PERSIST_KV_TEXT_MAX);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static int kv_put_locked(sc_persist *p, const char *ns, const char *key, const char *text, size_t len,
                         int64_t expires_us)
{
    int64_t now = sc_persist__now_us(p);
    if (expires_us != 0 && expires_us <= now) {
        int rc;
        WITH_CONN_RC(p, rc, p->be->kv_del(p, ns, key, now));
        return rc == -ENOENT ? 0 : rc;
    }
    WITH_CONN(p, p->be->kv_put(p, ns, key, text ? text : "", len, expires_us, now));
}

int sc_persist_kv_put(sc_persist *p, const char *ns, const char *key, const char *text, size_t len, int64_t expires_us)
{
    if (!p)
        return -EINVAL;
    if (!sc_persist__kv_args_ok(ns, key) || !sc_persist__kv_text_ok(text, len) || expires_us < 0)
        return kv_bad(p);
    return kv_put_locked(p, ns, key, text, len, expires_us);
}

static int kv_get_locked(sc_persist *p, const char *ns, const char *key, char **text)
{
    WITH_CONN(p, p->be->kv_get(p, ns, key, sc_persist__now_us(p), text));
}

int sc_persist_kv_get(sc_persist *p, const char *ns, const char *key, char **text)
{
    if (!p || !text)
        return -EINVAL;
    if (!sc_persist__kv_args_ok(ns, key))
        return kv_bad(p);
    char *out = NULL;
    int rc = kv_get_locked(p, ns, key, &out);
    if (rc == 0)
        *text = out;
    return rc;
}

int sc_persist_kv_delete(sc_persist *p, const char *ns, const char *key)
{
    if (!p)
        return -EINVAL;
    if (!sc_persist__kv_args_ok(ns, key))
        return kv_bad(p);
    WITH_CONN(p, p->be->kv_del(p, ns, key, sc_persist__now_us(p)));
}

int sc_persist_kv_list(sc_persist *p, const char *ns, sc_persist_kv_cb cb, void *ud)
{
    if (!p || !cb)
        return -EINVAL;
    if (!name_ok(ns, SC_PERSIST_KV_NS_MAX))
        return kv_bad(p);
    WITH_CONN(p, p->be->kv_list(p, ns, sc_persist__now_us(p), cb, ud));
}
