/* persist_int: the internal backend interface (vtable) and the handle shared by persist.c
 * and the four backends. Backends deal in JSON text; persist.c converts to and from json_t. */
#ifndef SC_PERSIST_INT_H
#define SC_PERSIST_INT_H

#include <pthread.h>

#include "session_core/persist.h"

/* An event as a backend hands it up: every pointer is borrowed for the callback. */
typedef struct sc_persist__raw_event {
    const char *session_id;
    uint64_t seq;
    int64_t wall_us;
    uint64_t gseq;
    const char *record; /* JSON text, NUL-terminated */
} sc_persist__raw_event;

typedef int (*sc_persist__raw_event_cb)(const sc_persist__raw_event *ev, void *ud);
/* data is the snapshot's JSON text or NULL. */
typedef int (*sc_persist__raw_list_cb)(const char *id, const char *data, void *ud);

/* json_fast.c: the recorder's JSON text parsed without jansson's lexer when it can be (the
 * plain subset it writes), else NULL; _loads falls back to json_loads(text, JSON_DECODE_ANY),
 * so its result is always json_loads's. */
json_t *sc_persist__json_parse(const char *text);
json_t *sc_persist__json_loads(const char *text);
/* true: _loads always uses json_loads (bench_persist's baseline, set before any store is used). */
extern bool sc_persist__json_fast_off;

/* Every function gets the handle with its mutex held. Errors: negative errno; a message
 * goes to sc_persist__error(). A backend returns one of SC_PERSIST__CONN_ERROR()'s codes
 * when the connection is unusable; persist.c then calls disconnect and the next call
 * connects again. */
typedef struct sc_persist__backend {
    const char *name;
    int (*init)(sc_persist *p, const char *rest);       /* parse the URL, no I/O */
    int (*init_same)(sc_persist *dst, sc_persist *src); /* optional: share src's data (src's handle lock is
                                                           not held: src may be in a list walk) */
    int (*connect)(sc_persist *p);                      /* connect, create/migrate the schema */
    void (*disconnect)(sc_persist *p);
    void (*destroy)(sc_persist *p); /* free p->impl (after disconnect) */

    int (*begin)(sc_persist *p);
    int (*commit)(sc_persist *p);
    void (*rollback)(sc_persist *p);

    /* Fencing: save and del by node N leave alone a snapshot that another non-empty node
     * owns (node "" is never fenced). save returns 0, or 1 when fenced; del returns 0, 1 when
     * fenced, or -ENOENT. Inside a batch a backend that cannot tell returns 0 (and counts
     * the fenced ones itself at commit: sc_persist__note_fenced). */
    int (*save)(sc_persist *p, const char *id, const char *data, const char *node, const char *hash,
                int64_t updated_us);
    int (*load)(sc_persist *p, const char *id, char **data, sc_persist_snapshot_info *info);
    int (*del)(sc_persist *p, const char *id, const char *node);
    /* Ownership: move is a compare-and-set of the owner (0, -EBUSY, -ENOENT); list_owned
     * walks node's live snapshots in id order (data NULL unless with_data); owners walks
     * the non-empty owners with their counts in bytewise order. */
    int (*owner_move)(sc_persist *p, const char *id, const char *from, const char *to);
    int (*list_owned)(sc_persist *p, const char *node, bool with_data, sc_persist__raw_list_cb cb, void *ud);
    int (*owners)(sc_persist *p, sc_persist_owner_cb cb, void *ud);
    int (*list)(sc_persist *p, sc_persist_list_mode mode, bool with_data, sc_persist__raw_list_cb cb, void *ud);
    /* Returns 0 (new, *gseq set unless in a batch where it is unknown: 0) or 1 (duplicate). */
    int (*append)(sc_persist *p, const char *id, uint64_t seq, int64_t wall_us, const char *rec, uint64_t *gseq);
    int (*read_events)(sc_persist *p, const char *id, uint64_t from_seq, sc_persist__raw_event_cb cb, void *ud);
    int (*read_range)(sc_persist *p, int64_t since_us, int64_t until_us, sc_persist__raw_event_cb cb, void *ud);
    int (*read_after)(sc_persist *p, uint64_t after, size_t limit, sc_persist__raw_event_cb cb, void *ud);
    /* Removes at most max (>= 1) events with wall_us < before_us of sessions without a
     * snapshot, oldest first, and forgets sessions left with nothing; *removed = the count.
     * Returns 0 (nothing more due) or 1 (limit reached). Never called inside a batch. */
    int (*prune)(sc_persist *p, int64_t before_us, size_t max, size_t *removed);
    /* Leases: mode 'c' claim (takeover of an expired lease allowed), 'r' renew (only the
     * holder, or nobody). Returns 0 or -EBUSY. */
    int (*claim)(sc_persist *p, const char *id, const char *node, int64_t now_us, int64_t until_us, char mode);
    int (*release)(sc_persist *p, const char *id, const char *node); /* 0 or -ENOENT */
    int (*expired)(sc_persist *p, int64_t now_us, sc_persist_lease_cb cb, void *ud);
    int (*ping)(sc_persist *p);
    /* Table texts by hash: insert unless present; load gives a malloc'd copy or -ENOENT. */
    int (*save_table)(sc_persist *p, const char *hash, const char *text, int64_t saved_us);
    int (*load_table)(sc_persist *p, const char *hash, char **text);
    /* Key-value entries; persist.c has checked the arguments, and put's expires_us is 0 or
     * after now_us (persist.c turns a past one into kv_del). An entry with
     * 0 < expires_us <= now_us is gone: get and del treat it as absent (-ENOENT; del returns
     * 0 inside a batch if it cannot tell); get removes it; put, del and list first remove
     * all of the namespace's expired entries. list walks in bytewise key order. */
    int (*kv_put)(sc_persist *p, const char *ns, const char *key, const char *text, size_t len, int64_t expires_us,
                  int64_t now_us);
    int (*kv_get)(sc_persist *p, const char *ns, const char *key, int64_t now_us, char **text);
    int (*kv_del)(sc_persist *p, const char *ns, const char *key, int64_t now_us);
    int (*kv_list)(sc_persist *p, const char *ns, int64_t now_us, sc_persist_kv_cb cb, void *ud);
    int (*get_version)(sc_persist *p, int *version);
    int (*set_version)(sc_persist *p, int version);
    int (*wipe)(sc_persist *p);
} sc_persist__backend;

struct sc_persist {
    const sc_persist__backend *be; /* static */
    void *impl;                    /* owned by the backend */
    char *url;                     /* owned copy */
    sc_persist_config cfg;         /* copy; logger and clock borrowed */
    bool connected;                /* connect() succeeded and nothing broke since */
    bool in_batch;                 /* between begin and commit/rollback */
    pthread_mutex_t lock;          /* serialises calls on this handle */
    char err[512];                 /* last error message */
    uint64_t fenced;               /* fenced saves and deletes (atomic: read by any thread) */
};

extern const sc_persist__backend sc_persist__memory;
extern const sc_persist__backend sc_persist__sqlite;
extern const sc_persist__backend sc_persist__redis;
extern const sc_persist__backend sc_persist__pg;

/* Formats the handle's error message and returns code (so: return sc_persist__error(...)). */
int sc_persist__error(sc_persist *p, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* True for the codes that mean "the connection is gone". */
bool sc_persist__conn_error(int code);

/* The refusal of a schema newer than this build (same text for every backend). */
int sc_persist__schema_too_new(sc_persist *p, int found);

int64_t sc_persist__now_us(const sc_persist *p);
uint64_t sc_persist__mono_us(const sc_persist *p);

/* Opens a handle with the same URL and config (lazy_connect forced as given). Used by the
 * writer, which connects on its own thread. */
int sc_persist__open_same(sc_persist **out, sc_persist *src, bool lazy, char *err, size_t err_size);

/* Front-end calls for the writer: begin/commit/rollback around raw-text ops. Each takes the
 * lock and connects if needed. */
int sc_persist__begin(sc_persist *p);
int sc_persist__commit(sc_persist *p);
void sc_persist__rollback(sc_persist *p);
int sc_persist__save_text(sc_persist *p, const char *id, const char *data, const char *node, const char *hash,
                          int64_t updated_us);
int sc_persist__append_text(sc_persist *p, const char *id, uint64_t seq, int64_t wall_us, const char *rec);
/* 0, 1 (fenced: counted), or -ENOENT; node "" is never fenced. */
int sc_persist__delete_raw(sc_persist *p, const char *id, const char *node);
/* Adds n to the handle's count of fenced writes. */
void sc_persist__note_fenced(sc_persist *p, uint64_t n);
int sc_persist__save_table_raw(sc_persist *p, const char *hash, const char *text);

/* The bounds of sc_persist_kv_put (shared with the writer's submit checks). */
bool sc_persist__kv_args_ok(const char *ns, const char *key);
bool sc_persist__kv_text_ok(const char *text, size_t len);

/* The memory backend's key-value entries (kv_memory.c); the caller serialises the calls.
 * put/get/del as the backend's kv_put/kv_get/kv_del; copy makes a new map of namespace ns's
 * live entries (after removing its expired ones) that walk then hands to a callback in key
 * order, so the callback runs without the store's lock. */
typedef struct sc_persist__kvmap sc_persist__kvmap;
int sc_persist__kvmap_new(sc_persist__kvmap **out);
void sc_persist__kvmap_free(sc_persist__kvmap *m);
void sc_persist__kvmap_clear(sc_persist__kvmap *m);
int sc_persist__kvmap_put(sc_persist__kvmap *m, const char *ns, const char *key, const char *text, size_t len,
                          int64_t expires_us, int64_t now_us);
int sc_persist__kvmap_get(sc_persist__kvmap *m, const char *ns, const char *key, int64_t now_us, char **text);
int sc_persist__kvmap_del(sc_persist__kvmap *m, const char *ns, const char *key, int64_t now_us);
int sc_persist__kvmap_copy(sc_persist__kvmap *m, const char *ns, int64_t now_us, sc_persist__kvmap **out);
int sc_persist__kvmap_walk(const sc_persist__kvmap *m, sc_persist_kv_cb cb, void *ud);

/* SQLite's WAL checkpoints on a thread of their own (sqlite_ckpt.c), so that the writer's
 * commits never wait for the database file's copy and fsync. One per sqlite handle; attach
 * it to each connection the handle opens. The thread and its connection start at the first
 * commit of an attached connection; if they cannot, the hook checkpoints inline. */
typedef struct sc_persist__ckpt sc_persist__ckpt;
struct sqlite3;
int sc_persist__ckpt_new(sc_persist__ckpt **out, const char *path);
void sc_persist__ckpt_attach(sc_persist__ckpt *c, struct sqlite3 *db);
uint64_t sc_persist__ckpt_runs(sc_persist__ckpt *c);             /* checkpoints the thread has done */
uint64_t sc_persist__ckpt_resets(sc_persist__ckpt *c);           /* WAL resets past the hard bound */
void sc_persist__ckpt_set_hard(sc_persist__ckpt *c, int frames); /* tests: the bound (0: 64 Ki) */
void sc_persist__ckpt_free(sc_persist__ckpt *c);                 /* stops and joins the thread */

/* sqlite_walbuf.c: the name of a VFS (registered once, not the default) that writes a WAL's
 * frames of a commit with one call at the commit's sync; NULL if it could not be registered.
 * Only for connections with synchronous=FULL (see the file's comment). The counts: WAL writes
 * SQLite asked for, and writes made (tests). */
const char *sc_persist__walbuf_vfs(void);
void sc_persist__walbuf_counts(uint64_t *writes, uint64_t *flushes);

#endif
