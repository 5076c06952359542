/* store: the persistence feature's core: opens the store, runs recovery, attaches the
 * recorder, holds SIP messages in strict mode until the loop turn's changes are durable,
 * refuses new sessions while the writer's queue is full, reports health. It starts with
 * sc_coord_store_open, not with the coordinator. */
#include "coord/compact.h"
#include "coord/recover.h"
#include "coord/store_prune.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define HELD_MAX 65536 /* messages held at most; beyond, sent at once (logged once) */

/* One outgoing message held until its loop turn is committed. */
typedef struct held_msg {
    struct held_msg *next;
    sc_sip_transport tp;
    struct sockaddr_storage dst;
    size_t len;
    char data[];
} held_msg;

/* The messages of one loop turn, waiting for one commit_turn. */
typedef struct held_batch {
    struct held_batch *next;
    struct sc_coord_store *st;
    held_msg *head, *tail;
    size_t count;
    bool durable; /* its commit callback came */
    bool sent;    /* its messages went out (or were dropped) */
} held_batch;

typedef struct sc_coord_store {
    sc_coord *coord;
    sc_persist *p;         /* synchronous handle (recovery) */
    sc_persist_writer *w;  /* the loop's writer */
    sc_coord_persist *rec; /* the recorder */
    sc_coord_prune *prune; /* the event log's retention job (NULL: keep forever) */
    sc_persist_durability durability;
    char node_id[128];
    size_t queue_cap;
    uv_check_t check; /* end of each loop turn: commit and release held messages */
    bool check_open;
    held_batch *building;     /* this turn's held messages (or NULL) */
    held_batch *first, *last; /* batches waiting for their commit, in order */
    size_t waiting;           /* messages held now */
    uint64_t held_total;
    bool sending;   /* re-sending: the hook lets messages through */
    bool restoring; /* restore_table is making the stored table current */
    bool overflow_logged;
} sc_coord_store;

static sc_coord_store *store_of(const sc_coord *coord) { return sc_coord__feat(coord, SC_FEAT_PERSISTENCE); }

/* ---- Strict durability: held messages ------------------------------------------------------ */

/* A batch's messages go out in order, 64 at a time: the UDP ones in one sendmmsg each. */
static void send_batch(sc_coord_store *st, held_batch *b)
{
    enum { CHUNK = 64 };
    sc_sip_outmsg out[CHUNK];
    held_msg *chunk[CHUNK];
    st->sending = true;
    for (held_msg *m = b->head; m;) {
        size_t k = 0;
        for (; m && k < CHUNK; m = m->next, k++) {
            chunk[k] = m;
            out[k] = (sc_sip_outmsg){m->tp, &m->dst, m->data, m->len};
        }
        if (st->coord->sip)
            sc_sip_send_many_unhooked(st->coord->sip, out, k);
        for (size_t i = 0; i < k; i++)
            free(chunk[i]);
    }
    st->sending = false;
    st->waiting -= b->count;
    b->head = b->tail = NULL;
    b->count = 0;
    b->sent = true;
}

/* Send every batch at the head whose commit is done, in order. */
static void release_durable(sc_coord_store *st)
{
    while (st->first && st->first->durable) {
        held_batch *b = st->first;
        st->first = b->next;
        if (!st->first)
            st->last = NULL;
        if (!b->sent)
            send_batch(st, b);
        free(b);
    }
}

static void on_committed(int status, void *ud)
{
    held_batch *b = ud;
    sc_coord_store *st = b->st;
    if (status != 0 && status != -ECANCELED)
        sc_log(st->coord->logger, SC_LOG_WARN, "persist", "commit of a loop turn failed: %s", sc_strerror(status));
    b->durable = true;
    if (!st->w) /* the writer is being freed: sc_coord__store_free frees the batches */
        return;
    release_durable(st);
}

/* End of a loop turn: the held messages of this turn wait for one group commit. */
static void on_check(uv_check_t *h)
{
    sc_coord_store *st = h->data;
    held_batch *b = st->building;
    if (!b) {
        sc_persist_writer_kick(st->w); /* this turn's records: commit now, no callback */
        return;
    }
    st->building = NULL;
    if (st->last)
        st->last->next = b;
    else
        st->first = b;
    st->last = b;
    int rc = sc_persist_writer_commit_turn(st->w, on_committed, b);
    if (rc) { /* cannot wait: send in order once the earlier batches are out */
        sc_log(st->coord->logger, SC_LOG_WARN, "persist", "commit_turn: %s; sending unconfirmed", sc_strerror(rc));
        b->durable = true;
        release_durable(st);
    }
}

/* The value of the header named name (or its compact form) in a message's header block,
 * trimmed, into out; false when absent or too long. */
static bool header_value(const char *data, size_t len, const char *name, const char *compact, char *out, size_t cap)
{
    const char *p = memchr(data, '\n', len), *end = data + len;
    while (p && ++p < end && *p != '\r' && *p != '\n') {
        const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon = memchr(p, ':', (size_t)((eol ? eol : end) - p));
        if (colon) {
            size_t n = (size_t)(colon - p);
            while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
                n--;
            if ((n == strlen(name) && !strncasecmp(p, name, n)) ||
                (n == strlen(compact) && !strncasecmp(p, compact, n))) {
                const char *v = colon + 1, *ve = eol ? eol : end;
                while (v < ve && (*v == ' ' || *v == '\t'))
                    v++;
                while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                    ve--;
                if ((size_t)(ve - v) >= cap)
                    return false;
                memcpy(out, v, (size_t)(ve - v));
                out[ve - v] = '\0';
                return true;
            }
        }
        p = eol;
    }
    return false;
}

/* Whether a message may reveal a change that is not durable yet: anything of a session (its
 * Call-ID is a session's: the change that made an action send it may be recorded later in the
 * same turn), and a 2xx to REGISTER (the registrar's bindings). The rest (answers to OPTIONS,
 * stateless answers, a 503 before any session exists, our REGISTERs as a client) reveals
 * nothing stored, and leaves at once even while the store is down. */
static bool may_reveal(const sc_coord *coord, const char *data, size_t len)
{
    char v[SC_SIP_CALLID_MAX];
    if (header_value(data, len, "Call-ID", "i", v, sizeof v) && sc_store_find(coord->store, SC_KEY_CALL_ID, v))
        return true;
    return len > 12 && !strncmp(data, "SIP/2.0 2", 9) && header_value(data, len, "CSeq", "CSeq", v, sizeof v) &&
           strstr(v, "REGISTER") != NULL;
}

static bool hold_message(sc_coord *coord, sc_sip_transport tp, const struct sockaddr *dst, const char *data, size_t len)
{
    sc_coord_store *st = store_of(coord);
    if (!st || !st->w || st->sending || st->durability != SC_PERSIST_STRICT)
        return false;
    /* Held until the end of this turn's commit, unless nothing in it can reveal a change and no
     * feature asked to hold this turn (hold_turn). */
    if (!st->building && !may_reveal(coord, data, len))
        return false;
    if (st->waiting >= HELD_MAX) {
        if (!st->overflow_logged)
            sc_log(coord->logger, SC_LOG_WARN, "persist", "%d SIP messages held: sending without waiting", HELD_MAX);
        st->overflow_logged = true;
        return false;
    }
    held_msg *m = malloc(sizeof *m + len);
    if (!m)
        return false;
    if (!st->building) {
        st->building = calloc(1, sizeof *st->building);
        if (!st->building) {
            free(m);
            return false;
        }
        st->building->st = st;
    }
    m->next = NULL;
    m->tp = tp;
    memset(&m->dst, 0, sizeof m->dst);
    memcpy(&m->dst, dst, dst->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    m->len = len;
    memcpy(m->data, data, len);
    held_batch *b = st->building;
    if (b->tail)
        b->tail->next = m;
    else
        b->head = m;
    b->tail = m;
    b->count++;
    st->waiting++;
    st->held_total++;
    return true;
}

static void hold_turn(sc_coord *coord)
{
    sc_coord_store *st = store_of(coord);
    if (!st || !st->w || st->durability != SC_PERSIST_STRICT || st->building)
        return;
    st->building = calloc(1, sizeof *st->building); /* on_check commits it, even empty */
    if (st->building)
        st->building->st = st;
}

void sc_coord_store_held(const sc_coord *coord, size_t *waiting, uint64_t *total)
{
    sc_coord_store *st = store_of(coord);
    if (waiting)
        *waiting = st ? st->waiting : 0;
    if (total)
        *total = st ? st->held_total : 0;
}

/* ---- Admission, health, snapshots ------------------------------------------------------------ */

/* New sessions are refused while the writer's queue is (nearly) full, and in strict mode
 * while the store is unreachable: a new call would only wait for a commit that cannot come. */
static int admit(sc_coord *coord, const char **why)
{
    sc_coord_store *st = store_of(coord);
    if (!st || !st->w)
        return 0;
    sc_persist_health h;
    sc_persist_writer_health(st->w, &h);
    if (!h.connected && st->durability == SC_PERSIST_STRICT) {
        *why = "store_unavailable";
        return SC_E_OVERLOAD;
    }
    if (!h.queue_cap || h.queue_depth < h.queue_cap - h.queue_cap / 10)
        return 0;
    *why = "store_queue_full";
    return SC_E_OVERLOAD;
}

int sc_coord_store_health(sc_coord *coord, sc_persist_health *out, const char **backend)
{
    sc_coord_store *st = store_of(coord);
    if (!st || !st->w)
        return -ENOENT;
    sc_persist_writer_health(st->w, out);
    if (backend)
        *backend = sc_persist_backend_name(st->p);
    return 0;
}

/* compact.h: the handle released histories are read back with (SQLite: an indexed read of one
 * session's rows, well under a millisecond; Redis and PostgreSQL: one round trip). */
sc_persist *sc_coord__store_reader(sc_coord *c)
{
    sc_coord_store *st = store_of(c);
    if (!st || !st->p || !strcmp(sc_persist_backend_name(st->p), "memory"))
        return NULL;
    return st->p;
}

void sc_coord__store_snapshot(sc_coord *coord, sc_session *s)
{
    sc_coord_store *st = store_of(coord);
    if (st && st->rec && s)
        sc_coord_persist_snapshot(st->rec, s);
}

sc_persist *sc_coord__store_handle(sc_coord *coord)
{
    sc_coord_store *st = store_of(coord);
    return st ? st->p : NULL;
}

const char *sc_coord__store_node(sc_coord *coord)
{
    sc_coord_store *st = store_of(coord);
    return st ? st->node_id : NULL;
}

void sc_coord__store_mute(sc_coord *coord, bool muted)
{
    sc_coord_store *st = store_of(coord);
    if (st)
        sc_coord__persist_mute(st->rec, muted);
}

int sc_coord__store_let_go(sc_coord *coord, unsigned flush_ms)
{
    sc_coord_store *st = store_of(coord);
    if (!st || !st->w)
        return 0;
    sc_coord_persist_detach(st->rec);
    sc_persist_health h;
    sc_persist_writer_health(st->w, &h);
    return sc_persist_writer_flush_wait(st->w, h.submitted_ticket, flush_ms) == 0 ? 0 : -ETIMEDOUT;
}

/* ---- Open, recover, attach -------------------------------------------------------------------- */

static void default_node(sc_coord *coord, char *buf, size_t cap)
{
    char host[64] = "localhost";
    struct sockaddr_storage ss;
    unsigned port = 5060;
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    if (sc_sip_listener_addr(coord->sip, 0, &ss) == 0)
        port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                              : ((struct sockaddr_in *)&ss)->sin_port);
    snprintf(buf, cap, "%s:%u", host, port);
}

static double mono_s(void) { return (double)sc_clock_mono_us(sc_clock_system()) / 1e6; }

static int start_writer(sc_coord_store *st, const sc_coord_store_config *cfg, char *err, size_t errsz)
{
    sc_persist_writer_config wc = {.queue_cap = cfg->queue_cap, .durability = cfg->durability, .loop = st->coord->loop};
    int rc = sc_persist_writer_new(&st->w, st->p, &wc);
    if (rc) {
        snprintf(err, errsz, "--store: cannot start the writer: %s", sc_strerror(rc));
        return rc;
    }
    rc = sc_coord_persist_attach(st->coord->engine, st->w, st->node_id, cfg->snapshot_every, &st->rec);
    if (rc) {
        snprintf(err, errsz, "--store: cannot attach the recorder: %s", sc_strerror(rc));
        return rc;
    }
    uv_check_init(st->coord->loop, &st->check);
    st->check.data = st;
    st->check_open = true;
    uv_check_start(&st->check, on_check);
    rc = sc_coord__prune_start(&st->prune, st->coord, st->w, cfg->event_log_retention_ms, cfg->prune_interval_ms);
    if (rc)
        snprintf(err, errsz, "--store: cannot start pruning the event log: %s", sc_strerror(rc));
    return rc;
}

static int recover(sc_coord_store *st, sc_coord_recover_ctx *c, char *err, size_t errsz)
{
    size_t n = 0, failed = 0;
    int rc = sc_coord_persist_recover(st->coord->engine, st->p, st->node_id, NULL, sc_coord__recover_rebuild, c, &n,
                                      &failed);
    c->rep->recovered = n;
    c->rep->failed = failed;
    if (rc)
        snprintf(err, errsz, "--store: recovery failed: %s (%s)", sc_strerror(rc), sc_persist_last_error(st->p));
    return rc;
}

static void stop(sc_coord *coord);

/* ---- The table applied by POST /table/reload with a body: kept in the store, current again
 * after a restart (unless the configured table changed meanwhile: then that one wins) ---------- */

#define TABLE_KV_NS "coord"
#define TABLE_KV_KEY "table.current" /* {"hash": the body's table, "base": the table started with} */

static void table_reloaded(sc_coord *c, bool ok, const char *version, const char *error)
{
    (void)version;
    (void)error;
    sc_coord_store *st = store_of(c);
    const sc_table *t = sc_engine_table(c->engine);
    if (!ok || !st || !st->w || st->restoring || !t)
        return;
    sc_persist_text_op op = {.kind = SC_PERSIST_OP_KV_DELETE, .session_id = TABLE_KV_KEY, .kv_ns = TABLE_KV_NS};
    char doc[256];             /* outlives the block: op points into it until submitted */
    if (c->reload_from_body) { /* a file reload needs nothing: the file is the truth at restart */
        size_t len = 0;
        const char *text = sc_table_source(t, &len);
        sc_persist_text_op save = {
            .kind = SC_PERSIST_OP_TABLE, .session_id = sc_table_hash(t), .text = text, .text_len = len};
        int n = snprintf(doc, sizeof doc, "{\"hash\":\"%s\",\"base\":\"%s\"}", sc_table_hash(t),
                         sc_table_hash(c->table));
        if (!text || !len || sc_persist_writer_submit_text(st->w, &save, NULL) != 0) {
            sc_log(c->logger, SC_LOG_WARN, "persist",
                   "the reloaded table could not be stored: a restart will not use it");
            return;
        }
        op = (sc_persist_text_op){.kind = SC_PERSIST_OP_KV_PUT,
                                  .session_id = TABLE_KV_KEY,
                                  .kv_ns = TABLE_KV_NS,
                                  .text = doc,
                                  .text_len = (size_t)n};
    }
    if (sc_persist_writer_submit_text(st->w, &op, NULL) != 0)
        sc_log(c->logger, SC_LOG_WARN, "persist", "the reloaded table's record could not be stored");
}

/* At start, after recovery: the table a POST /table/reload body made current before the
 * restart, when the table configured now is still the one that body replaced. */
static void restore_table(sc_coord_store *st)
{
    sc_coord *c = st->coord;
    char *doc = NULL, *text = NULL;
    if (sc_persist_kv_get(st->p, TABLE_KV_NS, TABLE_KV_KEY, &doc) != 0)
        return;
    json_t *j = json_loads(doc, 0, NULL);
    const char *hash = json_string_value(json_object_get(j, "hash"));
    const char *base = json_string_value(json_object_get(j, "base"));
    const char *now = sc_table_hash(c->table);
    if (!hash || !base) {
        sc_log(c->logger, SC_LOG_WARN, "persist", "stored table record unreadable: ignored");
    } else if (strcmp(base, now) != 0) {
        sc_log(c->logger, SC_LOG_INFO, "persist",
               "the table applied by POST /table/reload (%s) is not restored: the configured table changed since",
               hash);
    } else if (strcmp(hash, now) != 0 && sc_persist_load_table(st->p, hash, &text) == 0) {
        st->restoring = true;
        int rc = sc_coord_table_reload(c, NULL, "POST /table/reload (restored from the store)", text, strlen(text),
                                       NULL);
        st->restoring = false;
        sc_log(c->logger, rc ? SC_LOG_WARN : SC_LOG_INFO, "persist",
               "the table applied by POST /table/reload before the restart (%s): %s", hash,
               rc ? "refused now, the configured table stays" : "current again");
    } else if (strcmp(hash, now) != 0) {
        sc_log(c->logger, SC_LOG_WARN, "persist",
               "the table applied by POST /table/reload (%s) is missing from the store", hash);
    }
    json_decref(j);
    free(text);
    free(doc);
}

int sc_coord_store_open(sc_coord *coord, const sc_coord_store_config *cfg, sc_coord_store_report *rep, char *err,
                        size_t errsz)
{
    sc_coord_store_report dummy;
    char dummy_err[8];
    if (!rep)
        rep = &dummy;
    if (!err)
        err = dummy_err, errsz = sizeof dummy_err;
    memset(rep, 0, sizeof *rep);
    err[0] = '\0';
    if (!coord || !cfg || !cfg->url)
        return -EINVAL;
    if (store_of(coord))
        return -EALREADY;
    if (cfg->node_id && *cfg->node_id)
        snprintf(rep->node_id, sizeof rep->node_id, "%s", cfg->node_id);
    else
        default_node(coord, rep->node_id, sizeof rep->node_id);
    if (cfg->cluster) { /* this run is a new incarnation: the last one's sessions are taken over */
        size_t n = strlen(rep->node_id);
        snprintf(rep->node_id + n, sizeof rep->node_id - n, "/%" PRId64, sc_clock_wall_us(coord->clock));
    }
    if (cfg->durability == SC_PERSIST_NONE)
        return 0;
    sc_coord_store *st = calloc(1, sizeof *st);
    if (!st)
        return -ENOMEM;
    st->coord = coord;
    st->durability = cfg->durability;
    snprintf(st->node_id, sizeof st->node_id, "%s", rep->node_id);
    sc_persist_config pc = {.durability = cfg->durability, .logger = coord->logger, .clock = coord->clock};
    char perr[256] = "";
    int rc = sc_persist_open(&st->p, cfg->url, &pc, perr, sizeof perr);
    if (rc) {
        char shown[512];
        sc_url_redact(cfg->url, shown, sizeof shown); /* never the password */
        snprintf(err, errsz, "--store: %s: %s", shown, perr[0] ? perr : sc_strerror(rc));
        free(st);
        return rc;
    }
    coord->feat[SC_FEAT_PERSISTENCE] = st;
    double t0 = mono_s();
    sc_coord_recover_ctx c = {.coord = coord, .rep = rep};
    rc = cfg->cluster ? 0 : recover(st, &c, err, errsz); /* a cluster: taken over (cluster.c) */
    if (rc == 0)
        rc = start_writer(st, cfg, err, errsz);
    if (rc == 0)
        sc_coord__recover_finish(&c);                      /* recorded: Recovered and the resolutions */
    for (size_t i = 0; rc == 0 && i < SC_FEAT__COUNT; i++) /* the registrar loads its bindings */
        if (coord->started[i] && sc_coord__features[i]->store_opened)
            sc_coord__features[i]->store_opened(coord, st->p, st->w);
    free(c.ids);
    rep->seconds = mono_s() - t0;
    if (rc) {
        stop(coord);
        return rc;
    }
    restore_table(st);
    char shown[512];
    sc_url_redact(cfg->url, shown, sizeof shown);
    sc_log(
        coord->logger, SC_LOG_INFO, "persist",
        "store %s (%s, durability %s, node %s): %zu session(s) recovered, %zu failed, %zu in-flight resolved, in %.3f s",
        sc_persist_backend_name(st->p), shown, sc_persist_durability_name(cfg->durability), st->node_id, rep->recovered,
        rep->failed, rep->resolved, rep->seconds);
    return 0;
}

/* ---- Shutdown ---------------------------------------------------------------------------------- */

static void check_closed(uv_handle_t *h) { free(h->data); }

/* From sc_coord_free, after the sessions are removed and before the SIP agent closes: commit
 * what is queued, send what strict mode held, stop the writer, close the store. */
static void stop(sc_coord *coord)
{
    sc_coord_store *st = store_of(coord);
    if (!st)
        return;
    sc_coord_persist_free(st->rec); /* the sessions' removals are recorded by now */
    st->rec = NULL;
    sc_coord__prune_stop(st->prune); /* before the writer: its turn callback is cancelled */
    st->prune = NULL;
    if (st->w) {
        sc_persist_health h;
        sc_persist_writer_health(st->w, &h);
        sc_persist_writer_flush_wait(st->w, h.submitted_ticket, 3000);
    }
    /* Everything is committed (or the store is unreachable): let the held messages out. */
    if (st->building) {
        if (st->last)
            st->last->next = st->building;
        else
            st->first = st->building;
        st->last = st->building;
        st->building = NULL;
    }
    for (held_batch *b = st->first; b; b = b->next)
        if (!b->sent)
            send_batch(st, b);
    sc_persist_writer *w = st->w;
    st->w = NULL;
    sc_persist_writer_free(w); /* pending commit callbacks run now (-ECANCELED) */
    for (held_batch *b = st->first, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    st->first = st->last = NULL;
    sc_persist_close(st->p);
    coord->feat[SC_FEAT_PERSISTENCE] = NULL;
    if (st->check_open) {
        uv_check_stop(&st->check);
        uv_close((uv_handle_t *)&st->check, check_closed); /* frees st */
    } else {
        free(st);
    }
}

const sc_coord_feature sc_coord__feature_persistence = {
    .name = "persistence",
    .needs = "media", /* recovery reopens streams, music on hold and bridges (media.h) */
    .stop = stop,
    .admit = admit,
    .hold_turn = hold_turn,
    .hold_message = hold_message,
    .table_reloaded = table_reloaded,
};
