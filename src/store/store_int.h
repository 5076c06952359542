/* store_int: the session record and store layouts shared between src/store and src/engine
 * (the engine keeps its per-session scheduling fields in the record to stay allocation-free). */
#ifndef SC_STORE_INT_H
#define SC_STORE_INT_H

#include "session_core/store.h"

/* ---- String-keyed open-addressing hash map (linear probing, backward-shift delete) ------- */

typedef struct sc_map_slot {
    uint64_t hash;   /* full hash of key */
    const char *key; /* borrowed from the value's owner; NULL = empty slot */
    void *val;       /* the mapped pointer */
} sc_map_slot;

typedef struct sc_map {
    sc_map_slot *slots; /* cap slots, cap a power of two (or 0) */
    size_t cap;         /* slot count */
    size_t count;       /* used slots */
} sc_map;

uint64_t sc_map__hash(const char *key);
void sc_map__free(sc_map *m);
void *sc_map__get(const sc_map *m, const char *key);
/* 0, -EEXIST (key present; nothing changes), -ENOMEM. key must live while mapped. */
int sc_map__put(sc_map *m, const char *key, void *val);
/* The removed value, or NULL if key was absent. */
void *sc_map__del(sc_map *m, const char *key);

/* ---- Session timers (armed by the engine, kept in the engine's heap) -------------------- */

typedef struct sc_session_timer {
    uint64_t deadline;   /* mono µs */
    uint64_t order;      /* arming order: FIFO among equal deadlines */
    uint32_t heap_index; /* position in the engine heap, UINT32_MAX when not armed */
    uint8_t kind;        /* engine timer kind */
    bool cancel_on_exit; /* scheduled events: cancelled when the state changes */
    sc_id event;         /* event raised (state timer) */
    sc_session *session; /* owner */
} sc_session_timer;

/* ---- Names for exports (history.c) --------------------------------------------------------- */

/* The name of a vocabulary id / state of s's table, or "#<id>" written into tmp when unknown. */
const char *sc_store__vocab_name(const sc_session *s, sc_vocab_kind kind, sc_id id, char *tmp, size_t n);
const char *sc_store__state_name(const sc_session *s, sc_id id, char *tmp, size_t n);

/* ---- Foreign states and rebasing (rebase.c) ----------------------------------------------
 * After a migration (docs/reload.md) the history ring may name states the session's new table
 * does not have (the state it left, states of earlier records). Such a name is kept in the
 * session as a "foreign state" whose id counts down from SC_XSTATE_FIRST; history exports
 * name it, history imports (snapshots) resolve it; it is never a session's current state. */
#define SC_XSTATE_FIRST ((sc_id)(SC_ID_NONE - 1))
#define SC_XSTATE_MAX 1024 /* foreign names per session */

/* The foreign name of id, or NULL when id is not one of s's foreign states. */
const char *sc_store__xstate_name(const sc_session *s, sc_id id);
/* A history state name: a state of s's table, else one of its foreign names; -EINVAL if neither. */
int sc_store__history_state_id(const sc_session *s, const char *name, sc_id *out);
/* The foreign id of name, added if new (name must not be a state of s's table): 0, -ENOSPC
 * (SC_XSTATE_MAX reached or the id range meets the table's states), -ENOMEM. */
int sc_store__xstate_add(sc_session *s, const char *name, sc_id *out);
/* Move s onto table in state `state` (a state of table): every history record's from/to is
 * re-resolved by name (names table lacks become foreign states) and its transition index
 * cleared (it indexed the old table), the table reference and the table_hash field are
 * swapped. *from_out (may be NULL) receives the id, in the new naming, of the state s was in.
 * Times, timers and history length are not touched. 0, -EINVAL, -ENOSPC, -ENOMEM (then
 * nothing changed). */
int sc_store__rebase(sc_session *s, sc_table *table, sc_id state, sc_id *from_out);

/* ---- The history ring (history.c) -------------------------------------------------------
 * One malloc'd block per session: the ring's header, then nslots record offsets (a ring of
 * their own, from first), then size bytes of records packed at their used size (a header,
 * nguards guard and nactions action entries, the text's bytes) in a circular byte buffer:
 * records never straddle its end; [lo, hi) is the bytes held, wrapped when hi <= lo. */
typedef struct sc_hist {
    uint32_t count;  /* records held */
    uint32_t first;  /* the oldest's slot in off[] */
    uint32_t nslots; /* slots in off[]: the ring's capacity in records (grows 4 -> capacity) */
    uint32_t size;   /* bytes for records after off[] */
    uint32_t lo, hi; /* the oldest record's offset; the end of the newest */
    uint32_t off[];  /* each record's offset, then the records */
} sc_hist;

/* The bytes of s's ring (0 when it has none). */
size_t sc_store__history_bytes(const sc_session *s);
/* Pack r as the newest record, keeping its seq (sc_session_history_append_raw). 0 or -ENOMEM
 * (nothing changed). */
int sc_store__history_put_raw(sc_session *s, const sc_history_record *r);
/* Whether s's snapshot leaves its history to the event log ("history_in_log": true, no
 * "history"): s is in a terminal state. Its records are all in the log by then, and an ended
 * session is never resumed from its snapshot, only listed and read (snapshot.c). */
bool sc_store__history_in_log(const sc_session *s);
/* Rewrite record i's states and transition index (rebase.c); i < the count. */
void sc_store__history_set_states(sc_session *s, size_t i, sc_id from, sc_id to, uint32_t transition);

/* ---- The session record ---------------------------------------------------------------- */

typedef struct sc_index_entry {
    struct sc_index_entry *next; /* the session's other keys */
    sc_key_kind kind;            /* which index */
    char key[];                  /* the key; the index map borrows this string */
} sc_index_entry;

struct sc_session {                 /* (members ordered so that no padding is left between them) */
    char id[SC_SESSION_ID_MAX + 1]; /* the session id, also the id map's key */
    bool established_fired;         /* CheckConditions raised already */
    sc_id state;                    /* current state id in table */
    sc_role role;                   /* uac or uas */
    sc_store *store;                /* owner */
    sc_table *table;                /* reference held by the record */
    uint64_t conditions;            /* condition bits by vocab id */
    int64_t created_wall_us, updated_wall_us, entered_wall_us;  /* wall clock */
    uint64_t created_mono_us, updated_mono_us, entered_mono_us; /* monotonic clock */
    char *outcome;                                              /* malloc'd or NULL */
    char *fields[SC_FIELD__COUNT];                              /* malloc'd strings or NULL */
    void *attach[SC_ATTACH_COUNT];                              /* attachments */
    void (*attach_free[SC_ATTACH_COUNT])(void *);               /* their free functions */
    sc_index_entry *keys;                                       /* secondary keys held */
    uint32_t failed;                                            /* failed transitions */
    uint32_t dirty_fields;                                      /* bit per sc_field set since the last event record */
    uint32_t dirty_late;                                        /* bits set while observers are being told (engine) */
    uint32_t packed_len;                                        /* the size of packed */
    size_t strings_bytes;                                       /* bytes of malloc'd strings and keys */
    struct sc_session *prev, *next;                             /* creation-order list for iteration */
    uint64_t order_seq;                                         /* creation sequence (order.c), 0 once removed */
    char **xstates;        /* foreign state names (rebase.c), malloc'd each, or NULL */
    uint16_t nxstates;     /* entries in xstates */
    bool history_released; /* the ring was freed (sc_session_history_release): the store has it */
    bool busy;             /* engine: inside a dispatch */
    bool removing;         /* engine: removal requested; completes when not busy */

    /* history ring */
    sc_hist *hist;     /* the packed records (history.c), NULL until the first record */
    uint64_t next_seq; /* seq of the next record, from 1 */
    uint64_t dropped;  /* records that fell off or could not be stored */
    char *packed;      /* sc_session_pack: one block (slab.c) holding the strings, or NULL */

    /* engine scheduling state (owned by src/engine; also busy and removing above) */
    void *pending;                /* a suspended run (engine's sc_engine__pending), or NULL */
    uint32_t qlen;                /* queued events */
    uint32_t nsched;              /* scheduled events */
    void *qhead, *qtail;          /* engine's queued events (FIFO) */
    size_t qbytes;                /* bytes held by queued events */
    sc_session_timer state_timer; /* the state's timer_ms timer */
    sc_session_timer limit_timer; /* max_ms: SessionExpired or retention removal */
    void *sched;                  /* engine's scheduled events (list) */
};

/* One entry of the creation order (order.c): session NULL once removed. */
typedef struct sc_order_entry {
    uint64_t seq;
    sc_session *s;
} sc_order_entry;

int sc_store__order_add(sc_store *st, sc_session *s); /* sets s->order_seq; -ENOMEM */
void sc_store__order_del(sc_store *st, sc_session *s);
void sc_store__order_free(sc_store *st);

struct sc_store {
    const sc_clock *clock;           /* borrowed */
    const sc_logger *logger;         /* borrowed, may be NULL */
    size_t history_capacity;         /* per-session ring capacity */
    sc_map by_id;                    /* id -> session */
    sc_map index[SC_KEY_KIND_COUNT]; /* secondary keys -> session */
    sc_session *head, *tail;         /* creation-order list */
    size_t count;                    /* sessions */
    uint64_t id_counter;             /* for generated ids */
    uint64_t id_seed;                /* random per store */
    sc_order_entry *order;           /* creation order, sorted by seq, with holes (order.c) */
    size_t order_len, order_cap;     /* entries used / allocated */
    size_t order_dead;               /* holes among them */
    uint64_t order_next;             /* the last sequence given */
    void *slab_avail;                /* slab.c: record chunks with a free slot */
    size_t slab_chunks;              /* slab.c: record chunks mapped */
    void *pack_cur;                  /* slab.c: the packing arena's current chunk */
};

/* ---- Memory apart from the heap (slab.c) --------------------------------------------------
 * Session records in slots of their own chunks; the strings of ended sessions packed into one
 * block of a bump arena. */
sc_session *sc_store__session_alloc(sc_store *st); /* zeroed, or NULL */
void sc_store__session_free(sc_store *st, sc_session *s);
void *sc_store__pack_alloc(sc_store *st, size_t n); /* NULL when too big or no memory */
void sc_store__pack_free(sc_store *st, void *p);
void sc_store__slab_free_all(sc_store *st); /* sc_store_free, after the last session */
/* Frees a string of s unless it lives in s's packed block. */
void sc_store__free_string(const sc_session *s, void *p);

#endif
