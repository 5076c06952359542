/* persist: one storage interface (session snapshots, append-only event log) with four
 * backends (memory, SQLite, Redis, PostgreSQL), and an asynchronous group-committing
 * writer that the event loop uses without ever blocking on the database. */
#ifndef SESSION_CORE_PERSIST_H
#define SESSION_CORE_PERSIST_H

#include <jansson.h>
#include <uv.h>

#include "session_core/base.h"

/* ---------------------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------------------ */

/* How hard a change is pushed to disk before it counts as stored. */
typedef enum sc_persist_durability {
    SC_PERSIST_STRICT = 0,  /* committed before the loop reveals it; SQLite synchronous=FULL */
    SC_PERSIST_BATCHED = 1, /* committed every batch_interval_ms; SQLite synchronous=NORMAL */
    SC_PERSIST_NONE = 2,    /* the writer drops every op; nothing is stored */
} sc_persist_durability;

/* Returns "strict", "batched" or "none"; sc_persist_durability_parse is its inverse
 * (0, or -EINVAL for an unknown name). */
SC_EXPORT const char *sc_persist_durability_name(sc_persist_durability d);
SC_EXPORT int sc_persist_durability_parse(const char *name, sc_persist_durability *out);

typedef struct sc_persist_config {
    sc_persist_durability durability; /* picks SQLite's synchronous level */
    const sc_logger *logger;          /* borrowed, may be NULL; must outlive the handle */
    const sc_clock *clock;            /* borrowed, may be NULL (system clock) */
    bool lazy_connect;                /* network backends: do not connect in open; the first
                                         operation (or the writer) connects */
    unsigned connect_timeout_ms;      /* network backends; 0 = 2000 */
} sc_persist_config;

/* ---------------------------------------------------------------------------------------
 * The synchronous API (tools, recovery, tests). A handle owns one connection; calls on one
 * handle are serialised by a mutex, so a handle may be shared, but each thread that does
 * real work should open its own.
 * ------------------------------------------------------------------------------------ */

typedef struct sc_persist sc_persist;

/* The schema version this build writes. A store with a higher version is refused; an older
 * one is upgraded on open. 2: table texts (sc_persist_save_table); 3: sqlite time index by
 * second; 4: key-value entries (sc_persist_kv_put); 5: the owner index (sc_persist_list_owned);
 * 6: sqlite event numbers without AUTOINCREMENT. */
#define SC_PERSIST_SCHEMA_VERSION 6

/* Opens the store named by url: "memory:", "sqlite:PATH", "redis://[:PASS@]HOST[:PORT][/DB]",
 * "postgresql://..." or "postgres://..." (any libpq URI). Creates or migrates the schema.
 * cfg may be NULL (strict, no logger). On success *out is set. On failure *out is untouched,
 * the result is -EINVAL (bad URL), -ENOTSUP (backend not built), -EPROTO (schema newer than
 * this build), -ECONNREFUSED/-EIO (server unreachable or failing) or -ENOMEM, and if err is
 * not NULL a NUL-terminated message is written into err (err_size bytes). */
SC_EXPORT int sc_persist_open(sc_persist **out, const char *url, const sc_persist_config *cfg, char *err,
                              size_t err_size);

/* Opens a second handle on the same store as p (same URL and config; for "memory:" the
 * same in-process data). Errors as sc_persist_open. */
SC_EXPORT int sc_persist_open_same(sc_persist **out, sc_persist *p, char *err, size_t err_size);

/* Closes the connection and frees p. NULL is a no-op. */
SC_EXPORT void sc_persist_close(sc_persist *p);

/* The message of the last failed call on p ("" if none); borrowed, valid until the next call. */
SC_EXPORT const char *sc_persist_last_error(const sc_persist *p);
/* "memory", "sqlite", "redis" or "postgresql". */
SC_EXPORT const char *sc_persist_backend_name(const sc_persist *p);
/* The URL p was opened with (borrowed). Passwords are kept: do not log it. */
SC_EXPORT const char *sc_persist_url(const sc_persist *p);

/* Snapshot metadata returned by sc_persist_load. */
typedef struct sc_persist_snapshot_info {
    char node_id[64];    /* node that wrote it ("" if none) */
    char table_hash[80]; /* table version it ran under ("" if none) */
    int64_t updated_us;  /* wall-clock time of the save */
} sc_persist_snapshot_info;

/* Stores (insert or replace) the snapshot of session id. snapshot is borrowed. node_id and
 * table_hash may be NULL. node_id is the snapshot's owner; a save by node N of a snapshot
 * that another non-empty node M owns is fenced: ignored (M's snapshot stays), counted
 * (sc_persist_fenced_writes) and 0 is returned. A save with node_id NULL or "" is never
 * fenced and replaces the snapshot (its owner becomes ""). */
SC_EXPORT int sc_persist_save(sc_persist *p, const char *id, const json_t *snapshot, const char *node_id,
                              const char *table_hash);
/* Loads the snapshot of id into *out (a new reference the caller drops with json_decref);
 * info may be NULL. -ENOENT if there is none. */
SC_EXPORT int sc_persist_load(sc_persist *p, const char *id, json_t **out, sc_persist_snapshot_info *info);
/* Removes the snapshot of id (the session is no longer live) whoever owns it; its events
 * stay in the log until sc_persist_prune_events removes them. -ENOENT if there was none. */
SC_EXPORT int sc_persist_delete(sc_persist *p, const char *id);

typedef enum sc_persist_list_mode {
    SC_PERSIST_LIST_LIVE = 0, /* sessions with a snapshot */
    SC_PERSIST_LIST_ALL = 1,  /* also ended sessions known only from the event log */
} sc_persist_list_mode;

/* Called once per session, in id order. snapshot is borrowed for the call and NULL for a
 * session without a snapshot (or when with_data is false). Return 0 to go on, anything
 * else to stop. */
typedef int (*sc_persist_list_cb)(const char *id, const json_t *snapshot, void *ud);
/* Returns 0, a negative error, or the callback's non-zero value that stopped the walk. */
SC_EXPORT int sc_persist_list(sc_persist *p, sc_persist_list_mode mode, bool with_data, sc_persist_list_cb cb,
                              void *ud);

/* One record of the event log. */
typedef struct sc_persist_event {
    const char *session_id; /* borrowed for the callback */
    uint64_t seq;           /* per-session sequence, chosen by the writer of the event */
    int64_t wall_us;        /* wall-clock time of the event */
    uint64_t gseq;          /* global sequence, assigned by the store: increases with every
                               new append across all sessions (resume point of the event bus) */
    const json_t *record;   /* borrowed for the callback */
} sc_persist_event;
typedef int (*sc_persist_event_cb)(const sc_persist_event *ev, void *ud);

/* Appends an event. Idempotent on (id, seq): appending an existing pair again changes
 * nothing and returns 1 (0 for a new event). record is borrowed. If gseq_out is not NULL it
 * receives the new event's global sequence (0 for a duplicate). */
SC_EXPORT int sc_persist_append_event(sc_persist *p, const char *id, uint64_t seq, int64_t wall_us,
                                      const json_t *record, uint64_t *gseq_out);
/* Events of id with seq >= from_seq, in seq order. Return convention as sc_persist_list. */
SC_EXPORT int sc_persist_read_events(sc_persist *p, const char *id, uint64_t from_seq, sc_persist_event_cb cb,
                                     void *ud);
/* Events of all sessions with since_us <= wall_us < until_us, in (wall_us, gseq) order. */
SC_EXPORT int sc_persist_read_events_range(sc_persist *p, int64_t since_us, int64_t until_us, sc_persist_event_cb cb,
                                           void *ud);
/* At most limit events with gseq > after_gseq, in gseq order (limit 0 = no limit). */
SC_EXPORT int sc_persist_read_events_after(sc_persist *p, uint64_t after_gseq, size_t limit, sc_persist_event_cb cb,
                                           void *ud);

/* Removes at most max events (0 = 1000) with wall_us < before_us of sessions that have no
 * snapshot (ended and deleted: sc_persist_delete); events of live sessions and newer ones
 * stay. Oldest first (in (wall_us, gseq) order; SQLite: gseq order), passing over the kept
 * ones, so one call holds the store briefly; a session left with no event and no snapshot is forgotten (not listed
 * any more). *removed (may be NULL) receives the count. Returns 0 when nothing more is due,
 * 1 when the limit was reached (call again: more may be due), or a negative error. Readers
 * of old events (sc_persist_read_events_range/_after) no longer see the removed ones. */
SC_EXPORT int sc_persist_prune_events(sc_persist *p, int64_t before_us, size_t max, size_t *removed);

/* Round trip to the store; *latency_us (may be NULL) receives its duration. Reconnects a
 * network handle that lost its connection. */
SC_EXPORT int sc_persist_ping(sc_persist *p, uint64_t *latency_us);

/* Ownership leases (several nodes sharing one store). Times come from cfg.clock's wall
 * clock, so the nodes' clocks must agree to well within a lease. */
/* Takes or extends the lease on id for node until now + lease_ms. Succeeds if nobody holds
 * it, node holds it, or the holder's lease has expired (takeover). -EBUSY if another node
 * holds an unexpired lease. */
SC_EXPORT int sc_persist_claim(sc_persist *p, const char *id, const char *node, unsigned lease_ms);
/* Extends node's own lease (also after expiry, as long as nobody took over). -EBUSY if
 * another node holds it now. */
SC_EXPORT int sc_persist_renew(sc_persist *p, const char *id, const char *node, unsigned lease_ms);
/* Drops node's lease on id; -ENOENT if node does not hold it. */
SC_EXPORT int sc_persist_release(sc_persist *p, const char *id, const char *node);
/* Leases whose time is up (now >= until_us), in id order: the sessions a surviving node may
 * take over. Return convention as sc_persist_list. */
typedef int (*sc_persist_lease_cb)(const char *id, const char *node, int64_t until_us, void *ud);
SC_EXPORT int sc_persist_list_expired(sc_persist *p, sc_persist_lease_cb cb, void *ud);

/* Ownership in a cluster. Several nodes share one store; each live snapshot has one owner,
 * the node_id of its save (an incarnation name such as "n1/1733571000123456"; "" = none).
 * Saves and deletes are fenced (sc_persist_save, sc_persist_delete_owned): a node cut off
 * from the store whose queued writes arrive after another node took its sessions over
 * cannot take them back. */

/* Removes the snapshot of id if node owns it or nobody does (node NULL or "": whoever owns
 * it, as sc_persist_delete). 0, -ENOENT if there is no snapshot, -EBUSY (fenced: counted in
 * sc_persist_fenced_writes, the snapshot stays) if another node owns it. */
SC_EXPORT int sc_persist_delete_owned(sc_persist *p, const char *id, const char *node);

/* Atomically (compare-and-set) changes the owner of id's live snapshot from from_node to
 * to_node (non-empty; from_node may be "": adopt an unowned snapshot). The snapshot's text is
 * not rewritten. 0 on success; -EBUSY if the stored owner is not from_node (another node
 * moved it first, or it was saved by another node); -ENOENT if id has no live snapshot;
 * -EINVAL for a NULL or empty argument. Of several nodes racing to move one session from
 * the same from_node, exactly one gets 0. */
SC_EXPORT int sc_persist_owner_move(sc_persist *p, const char *id, const char *from_node, const char *to_node);

/* Called once per live snapshot owned by a node, in id order; snapshot as for
 * sc_persist_list_cb (NULL unless with_data). Return 0 to go on, anything else to stop. */
typedef int (*sc_persist_owned_cb)(const char *id, const json_t *snapshot, void *ud);
/* The live snapshots whose owner is node ("" = the unowned ones). Served by an index (SQL)
 * or a set per owner (Redis), never a scan of every snapshot. Return convention as
 * sc_persist_list. */
SC_EXPORT int sc_persist_list_owned(sc_persist *p, const char *node, bool with_data, sc_persist_owned_cb cb, void *ud);

/* Called once per owner (never ""): the number of live snapshots it owns (>= 1). */
typedef int (*sc_persist_owner_cb)(const char *node, size_t sessions, void *ud);
/* Each distinct non-empty owner of live snapshots, in bytewise node order (to find the
 * incarnations that died with sessions). Return convention as sc_persist_list. */
SC_EXPORT int sc_persist_owners(sc_persist *p, sc_persist_owner_cb cb, void *ud);

/* Saves and deletes that this handle's calls (and, for a writer's handle, its ops) had
 * fenced since it was opened. Thread-safe. */
SC_EXPORT uint64_t sc_persist_fenced_writes(const sc_persist *p);

/* Table versions: the text (YAML) of a compiled table, keyed by its content hash
 * (sc_table_hash), so that a session recorded under an old version can be restored under it
 * after a restart. Saving a hash that is stored already changes nothing (same hash, same
 * text). load_table: *text is a malloc'd NUL-terminated copy the caller frees; -ENOENT if
 * the hash is unknown. */
SC_EXPORT int sc_persist_save_table(sc_persist *p, const char *hash, const char *text);
SC_EXPORT int sc_persist_load_table(sc_persist *p, const char *hash, char **text);

/* Key-value entries: small texts that other modules keep in the store (e.g. the
 * registrar's bindings, so they survive a restart and are shared by the nodes on one store),
 * grouped in namespaces. ns and key are NUL-terminated, non-empty, at most
 * SC_PERSIST_KV_NS_MAX / SC_PERSIST_KV_KEY_MAX bytes, and may hold any other byte (UTF-8 is
 * not required; they are compared and ordered bytewise). text is len bytes, at most
 * SC_PERSIST_KV_TEXT_MAX, with no NUL byte (text may be NULL when len is 0); it is stored
 * byte for byte. expires_us is the absolute wall-clock time (cfg.clock, microseconds) from
 * which the entry is gone, 0 = never; the nodes' clocks must agree. Expired entries are
 * never returned; they are removed when read, and by put, delete and list of their
 * namespace (all of its expired entries); sc_persist_wipe removes every entry.
 * Each call returns -EINVAL for an argument out of these bounds. */
#define SC_PERSIST_KV_NS_MAX 64
#define SC_PERSIST_KV_KEY_MAX 512
#define SC_PERSIST_KV_TEXT_MAX 65536

/* Stores (inserts or replaces) the entry ns/key. An expires_us in the past (but not 0)
 * removes the entry instead. */
SC_EXPORT int sc_persist_kv_put(sc_persist *p, const char *ns, const char *key, const char *text, size_t len,
                                int64_t expires_us);
/* *text receives a malloc'd NUL-terminated copy the caller frees. -ENOENT if there is no
 * such entry or it has expired (then *text is untouched). */
SC_EXPORT int sc_persist_kv_get(sc_persist *p, const char *ns, const char *key, char **text);
/* Removes the entry; -ENOENT if there was none (or it had expired). */
SC_EXPORT int sc_persist_kv_delete(sc_persist *p, const char *ns, const char *key);
/* Called once per unexpired entry of a namespace, in bytewise key order; every pointer is
 * borrowed for the call, text is NUL-terminated (len bytes before the NUL). Return 0 to go
 * on, anything else to stop. */
typedef int (*sc_persist_kv_cb)(const char *key, const char *text, size_t len, int64_t expires_us, void *ud);
/* Walks namespace ns (removing its expired entries first). Return convention as
 * sc_persist_list. The callback must not call p (its lock is held): use another handle. */
SC_EXPORT int sc_persist_kv_list(sc_persist *p, const char *ns, sc_persist_kv_cb cb, void *ud);

/* The schema version stored (SC_PERSIST_SCHEMA_VERSION after a successful open). */
SC_EXPORT int sc_persist_schema_version(sc_persist *p, int *version);
/* Administrative and test helpers: overwrite the stored schema version (to test refusal of
 * a newer one), and erase everything this library stored, key-value entries included (then
 * the schema is current). */
SC_EXPORT int sc_persist_set_schema_version(sc_persist *p, int version);
SC_EXPORT int sc_persist_wipe(sc_persist *p);

/* ---------------------------------------------------------------------------------------
 * The asynchronous writer (what the daemon's loop uses). One thread, its own connection,
 * a bounded queue; the loop thread submits without blocking and the writer commits all
 * queued ops in one transaction per batch (group commit).
 * ------------------------------------------------------------------------------------ */

typedef struct sc_persist_writer sc_persist_writer;

typedef struct sc_persist_writer_config {
    size_t queue_cap; /* ops queued or in flight at most; 0 = 65536 */
    size_t batch_max; /* ops per transaction at most; 0 = 1024 */
    sc_persist_durability durability;
    unsigned batch_interval_ms; /* batched mode: commit period; 0 = 5 */
    unsigned retry_initial_ms;  /* reconnect backoff: first wait (0 = 1000), doubled ... */
    unsigned retry_max_ms;      /* ... up to this (0 = 30000) */
    uv_loop_t *loop;            /* borrowed; needed by sc_persist_writer_commit_turn; the
                                      writer must be freed on this loop's thread */
} sc_persist_writer_config;

typedef enum sc_persist_op_kind {
    SC_PERSIST_OP_SAVE = 0,
    SC_PERSIST_OP_APPEND = 1,
    SC_PERSIST_OP_DELETE = 2,
    SC_PERSIST_OP_TABLE = 3,     /* submit_text only: session_id = the table hash, text = its YAML */
    SC_PERSIST_OP_KV_PUT = 4,    /* submit_text only: sc_persist_kv_put(kv_ns, session_id = the key,
                                    text, text_len, expires_us) */
    SC_PERSIST_OP_KV_DELETE = 5, /* submit_text only: sc_persist_kv_delete(kv_ns, session_id = the
                                    key); deleting a missing entry is no error */
    SC_PERSIST_OP_PRUNE = 6,     /* submit_text only: sc_persist_prune_events(wall_us = before_us,
                                    seq = max); session_id unused (may be NULL). Runs as a
                                    transaction of its own; its result goes to the health
                                    (pruned_events, prune_more, prune_failed); a failure is
                                    not retried (the next prune tries again) */
} sc_persist_op_kind;

/* One write. Everything is borrowed: submit serialises doc and copies the strings. */
typedef struct sc_persist_op {
    sc_persist_op_kind kind;
    const char *session_id;
    const json_t *doc;      /* SAVE: the snapshot; APPEND: the event record; DELETE: unused */
    const char *node_id;    /* SAVE; DELETE: only node_id's or an unowned snapshot goes
                               (sc_persist_delete_owned); may be NULL (not fenced) */
    const char *table_hash; /* SAVE, may be NULL */
    uint64_t seq;           /* APPEND */
    int64_t wall_us;        /* APPEND */
} sc_persist_op;

/* Starts a writer on a new connection to the same store as p (p is only read during the
 * call and may be closed afterwards; a "memory:" writer shares p's data). The connection is
 * made by the writer thread, so a store that is down does not make this fail: the writer
 * retries with backoff. Returns 0, -EINVAL or -ENOMEM. */
SC_EXPORT int sc_persist_writer_new(sc_persist_writer **out, sc_persist *p, const sc_persist_writer_config *cfg);

/* Stops the writer: ops already queued are committed if the store is reachable (one try),
 * otherwise dropped; pending commit_turn callbacks are called with -ECANCELED. Call it on
 * the loop thread. NULL is a no-op. */
SC_EXPORT void sc_persist_writer_free(sc_persist_writer *w);

/* Queues op. Never blocks on the store. *ticket (may be NULL) receives the op's ticket:
 * tickets increase by one per accepted op and ops are committed in ticket order.
 * -EAGAIN if the queue is full (the caller sheds load, e.g. 503), -EINVAL for a bad op. */
SC_EXPORT int sc_persist_writer_submit(sc_persist_writer *w, const sc_persist_op *op, uint64_t *ticket);
/* Shorthands for submit. */
SC_EXPORT int sc_persist_writer_save(sc_persist_writer *w, const char *id, const json_t *snapshot, const char *node_id,
                                     const char *table_hash, uint64_t *ticket);
SC_EXPORT int sc_persist_writer_append(sc_persist_writer *w, const char *id, uint64_t seq, int64_t wall_us,
                                       const json_t *record, uint64_t *ticket);
SC_EXPORT int sc_persist_writer_delete(sc_persist_writer *w, const char *id, uint64_t *ticket);
/* A DELETE fenced by node (sc_persist_delete_owned; NULL or "": as sc_persist_writer_delete).
 * A fenced delete is no error for the writer: it is counted (health.fenced_writes). */
SC_EXPORT int sc_persist_writer_delete_owned(sc_persist_writer *w, const char *id, const char *node, uint64_t *ticket);

/* One write whose document is JSON text already (what the recorder builds with a reusable
 * buffer, so the loop thread never builds or dumps json_t). Everything is borrowed: the
 * strings are copied into one allocation. text is text_len bytes (no NUL needed); unused for
 * DELETE. */
typedef struct sc_persist_text_op {
    sc_persist_op_kind kind;
    const char *session_id;
    const char *text;
    size_t text_len;
    const char *node_id;    /* SAVE, DELETE (as in sc_persist_op), may be NULL */
    const char *table_hash; /* SAVE, may be NULL */
    uint64_t seq;           /* APPEND */
    int64_t wall_us;        /* APPEND */
    const char *kv_ns;      /* KV_PUT, KV_DELETE: the namespace */
    int64_t expires_us;     /* KV_PUT: as sc_persist_kv_put */
} sc_persist_text_op;
/* As sc_persist_writer_submit, with the document as text (not checked: it must be one JSON
 * value; KV_PUT's text is any text, empty allowed). -EINVAL also for an empty text on SAVE or
 * APPEND, and for KV ops out of sc_persist_kv_put's bounds (checked here, on submit). */
SC_EXPORT int sc_persist_writer_submit_text(sc_persist_writer *w, const sc_persist_text_op *op, uint64_t *ticket);

/* Shorthands for submit_text with SC_PERSIST_OP_KV_PUT / SC_PERSIST_OP_KV_DELETE: the loop
 * thread's sc_persist_kv_put and sc_persist_kv_delete, committed in ticket order with every
 * other op. */
SC_EXPORT int sc_persist_writer_kv_put(sc_persist_writer *w, const char *ns, const char *key, const char *text,
                                       size_t len, int64_t expires_us, uint64_t *ticket);
SC_EXPORT int sc_persist_writer_kv_delete(sc_persist_writer *w, const char *ns, const char *key, uint64_t *ticket);
/* Shorthand for submit_text with SC_PERSIST_OP_PRUNE: the loop thread's
 * sc_persist_prune_events, never blocking it. */
SC_EXPORT int sc_persist_writer_prune(sc_persist_writer *w, int64_t before_us, size_t max, uint64_t *ticket);

/* Strict mode: commit what was submitted so far as soon as possible, with no callback (the
 * end of a loop turn that holds no message). Submits alone wake the writer only once a
 * batch's worth is queued (batch_max), or it commits them on its own within about 1 ms;
 * commit_turn and flush_wait also start a commit at once. No-op in batched and none modes. */
SC_EXPORT void sc_persist_writer_kick(sc_persist_writer *w);

/* Blocks until every op up to ticket is committed. timeout_ms < 0 waits forever.
 * Returns 0, -ETIMEDOUT, or -ECANCELED if the writer is stopping. Not for the loop thread
 * (use commit_turn there). */
SC_EXPORT int sc_persist_writer_flush_wait(sc_persist_writer *w, uint64_t ticket, int timeout_ms);

/* Strict mode's group commit: everything submitted so far (this loop turn) is committed as
 * soon as possible, and done(status, ud) is then called on the loop thread (via uv_async):
 * status 0 when durable, -ECANCELED if the writer was freed first. Needs cfg.loop.
 * Returns 0, -EINVAL (no loop) or -ENOMEM. */
typedef void (*sc_persist_done_cb)(int status, void *ud);
SC_EXPORT int sc_persist_writer_commit_turn(sc_persist_writer *w, sc_persist_done_cb done, void *ud);

#define SC_PERSIST_OP_KINDS 7        /* SC_PERSIST_OP_SAVE .. SC_PERSIST_OP_PRUNE */
#define SC_PERSIST_LATENCY_BOUNDS 15 /* finite bounds of sc_persist_latency_bounds_us() */

typedef struct sc_persist_health {
    bool connected;           /* the writer's connection is up */
    int last_error;           /* last error code (0 if none since the last success) */
    char last_error_msg[256]; /* its message */
    size_t queue_depth;       /* ops queued or in flight */
    size_t queue_cap;
    uint64_t last_latency_us;   /* duration of the last commit */
    uint64_t committed_ops;     /* ops committed since start */
    uint64_t committed_batches; /* transactions committed since start */
    uint64_t rejected_ops;      /* submits refused with -EAGAIN */
    uint64_t failed_batches;    /* commits that failed (and were retried) */
    uint64_t submitted_ticket;  /* last ticket handed out */
    uint64_t durable_ticket;    /* every ticket up to this one is committed */
    uint64_t pruned_events;     /* events removed by SC_PERSIST_OP_PRUNE since start */
    uint64_t prune_runs;        /* prune ops done (failed ones included) */
    uint64_t prune_failed;      /* prune ops that failed (not retried) */
    bool prune_more;            /* the last prune op reached its limit: more may be due */
    uint64_t fenced_writes;     /* SAVE and DELETE ops fenced (another node owns the snapshot) */
    /* Per op kind (sc_persist_op_kind): ops committed, and ops of batches that failed (each
     * try counts; a failed batch is retried). PRUNE counts runs. */
    uint64_t ops_ok[SC_PERSIST_OP_KINDS];
    uint64_t ops_failed[SC_PERSIST_OP_KINDS];
    /* Transaction times of committed batches and prune runs: per bucket of
     * sc_persist_latency_bounds_us() (non-cumulative; the last slot is above the highest
     * bound), and their sum. */
    uint64_t commit_latency_counts[SC_PERSIST_LATENCY_BOUNDS + 1];
    double commit_latency_sum_s;
    uint64_t prune_latency_counts[SC_PERSIST_LATENCY_BOUNDS + 1];
    double prune_latency_sum_s;
} sc_persist_health;

/* The latency buckets' upper bounds in microseconds (1 ms .. 60 s: the same as the metrics'
 * default seconds buckets); *n is set to SC_PERSIST_LATENCY_BOUNDS. */
SC_EXPORT const uint64_t *sc_persist_latency_bounds_us(uint32_t *n);

/* Fills *out; thread-safe. */
SC_EXPORT void sc_persist_writer_health(sc_persist_writer *w, sc_persist_health *out);

#endif
