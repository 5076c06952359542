/* store: session records in memory (indexed by session id and by secondary keys such as the
 * SIP Call-ID or dialog id), the bounded per-session history ring, history export (JSON, CSV)
 * and inspection (record, conditions, possible events, health verdict). Single-threaded: the
 * loop that owns the store is the only caller. Knows nothing of SIP or I/O. */
#ifndef SESSION_CORE_STORE_H
#define SESSION_CORE_STORE_H

#include <jansson.h>

#include "session_core/base.h"
#include "session_core/table.h"

typedef struct sc_store sc_store;
typedef struct sc_session sc_session;

/* ---- Store ----------------------------------------------------------------------------- */

#define SC_HISTORY_DEFAULT_CAPACITY 64
#define SC_SESSION_ID_MAX 64 /* longest session id, without the NUL */

typedef struct sc_store_config {
    const sc_clock *clock;   /* borrowed, must outlive the store; NULL = sc_clock_system() */
    size_t history_capacity; /* records kept per session; 0 = SC_HISTORY_DEFAULT_CAPACITY */
    const sc_logger *logger; /* borrowed; may be NULL */
} sc_store_config;

/* A new empty store; cfg may be NULL (defaults). *out set only on success; -ENOMEM. */
SC_EXPORT int sc_store_new(sc_store **out, const sc_store_config *cfg);
/* Removes (as sc_store_remove) every session still held, then frees the store. NULL is fine. */
SC_EXPORT void sc_store_free(sc_store *st);
SC_EXPORT const sc_clock *sc_store_clock(const sc_store *st);
/* Change the ring capacity for rings grown from now on (existing full rings keep theirs).
 * 0 = default. Returns -EINVAL above 65536. */
SC_EXPORT int sc_store_set_history_capacity(sc_store *st, size_t capacity);
SC_EXPORT size_t sc_store_history_capacity(const sc_store *st);

/* Create a session in table's initial state. The store takes its own reference on table
 * (dropped at removal). id: NULL = generate one (16 lowercase hex chars), else copied
 * (1..SC_SESSION_ID_MAX chars of [A-Za-z0-9._~:@+-]). *out set only on success; the session
 * belongs to the store. Errors: -EINVAL (bad id, role or NULL table), -EEXIST (id in use),
 * -ENOMEM. Normally called through sc_engine_create_session(), which also arms timers and
 * tells observers. */
SC_EXPORT int sc_store_create(sc_store *st, sc_table *table, sc_role role, const char *id, sc_session **out);
/* The session with id, or NULL. Borrowed: valid until it is removed. */
SC_EXPORT sc_session *sc_store_get(const sc_store *st, const char *id);
/* Remove the session: drops EVERY secondary index entry it holds, frees its attachments
 * (their free_fn), its history and fields, and releases its table reference. The pointer is
 * invalid afterwards. NULL is fine. Engine users call sc_engine_remove_session() instead,
 * which also cancels timers and tells observers. */
SC_EXPORT void sc_store_remove(sc_store *st, sc_session *s);
SC_EXPORT size_t sc_store_count(const sc_store *st);
/* Sessions whose current state is named state_name (names resolved through each session's
 * own table, so sessions on different table versions are counted together). O(sessions). */
SC_EXPORT size_t sc_store_count_in_state(const sc_store *st, const char *state_name);

/* Call fn for each session, oldest first. fn may remove the session it is given (and only
 * that one). A non-zero return from fn stops the walk and is returned; otherwise 0. */
typedef int (*sc_store_iter_fn)(sc_session *s, void *ud);
SC_EXPORT int sc_store_foreach(sc_store *st, sc_store_iter_fn fn, void *ud);

/* A page of sessions in creation order (the order of sc_store_foreach), for listing by cursor:
 * those created after the session whose sc_session_order() is `after` (0: from the first),
 * that match (NULL: all), at most limit of them into out. At most scan_max sessions are looked
 * at (0: no bound), so a page's cost follows the page even when few match; it may then hold
 * fewer than limit. *next: the cursor for the next page (the last session looked at), 0 when
 * nothing follows. A cursor stays valid when its session is removed. Returns how many. */
typedef bool (*sc_store_match_fn)(const sc_session *s, void *ud);
SC_EXPORT size_t sc_store_page(const sc_store *st, uint64_t after, sc_store_match_fn match, void *ud, size_t limit,
                               size_t scan_max, sc_session **out, uint64_t *next);
/* The session's place in the creation order (> 0; 0 for NULL). */
SC_EXPORT uint64_t sc_session_order(const sc_session *s);

/* ---- Secondary indexes ------------------------------------------------------------------ */

typedef enum sc_key_kind {
    SC_KEY_CALL_ID = 0, /* the SIP Call-ID */
    SC_KEY_DIALOG = 1,  /* a dialog id; build it with sc_store_dialog_key() */
} sc_key_kind;
#define SC_KEY_KIND_COUNT 2

/* Map key (copied) to s in index kind. A session may hold several keys of one kind.
 * 0, or -EEXIST if key already maps to another session (adding the same pair twice is 0),
 * -EINVAL, -ENOMEM. */
SC_EXPORT int sc_store_index_add(sc_store *st, sc_key_kind kind, const char *key, sc_session *s);
/* Drop key from index kind (whatever session it maps to). 0 or -ENOENT. */
SC_EXPORT int sc_store_index_remove(sc_store *st, sc_key_kind kind, const char *key);
/* The session key maps to, or NULL. O(1) average. */
SC_EXPORT sc_session *sc_store_find(const sc_store *st, sc_key_kind kind, const char *key);
/* "call_id;local_tag;remote_tag" into buf (always terminated); returns the full length
 * (>= size means truncated). NULL parts are written as empty strings. */
SC_EXPORT size_t sc_store_dialog_key(char *buf, size_t size, const char *call_id, const char *local_tag,
                                     const char *remote_tag);

/* ---- The session record ----------------------------------------------------------------- */

/* String fields, persisted and shown by inspection under these names. */
#define SC_SESSION_FIELDS(X)                                                                                    \
    X(CALL_ID, call_id) /* SIP Call-ID */                                                                       \
    X(LOCAL_TAG, local_tag)                                                                                     \
    X(REMOTE_TAG, remote_tag)                                                                                   \
    X(LOCAL_URI, local_uri) /* our From (uac) / To (uas) URI */                                                 \
    X(REMOTE_URI, remote_uri)                                                                                   \
    X(REMOTE_TARGET, remote_target) /* the peer's Contact */                                                    \
    X(ROUTE_SET, route_set)         /* comma-separated Record-Route set */                                      \
    X(LOCAL_CSEQ, local_cseq)       /* decimal */                                                               \
    X(REMOTE_CSEQ, remote_cseq)     /* decimal */                                                               \
    X(TRANSPORT, transport)         /* udp|tcp */                                                               \
    X(LOCAL_RTP, local_rtp)         /* "addr:port" */                                                           \
    X(REMOTE_RTP, remote_rtp)                                                                                   \
    X(CODEC, codec)                     /* e.g. PCMU/8000 */                                                    \
    X(MEDIA_DIRECTION, media_direction) /* sendrecv|sendonly|recvonly|inactive */                               \
    X(PEER_ID, peer_id)                 /* bridge / B2BUA partner session id */                                 \
    X(TRANSFER_ID, transfer_id)         /* linked transfer session id */                                        \
    X(REPLACES_ID, replaces_id)         /* session this one replaces */                                         \
    X(REFER_TO, refer_to)                                                                                       \
    X(REFERRED_BY, referred_by)                                                                                 \
    X(TABLE_HASH, table_hash)     /* set at creation from the table */                                          \
    X(OWNER_NODE, owner_node)     /* persistence: node holding the lease */                                     \
    X(SDP_ORIGIN, sdp_origin)     /* our last SDP's o= "sess-id version" */                                     \
    X(DTMF_PT, dtmf_pt)           /* negotiated telephone-event pt, or none */                                  \
    X(INVITE_VIA, invite_via)     /* top Via of our initial INVITE (CANCEL on recovery) */                      \
    X(INVITE_VIAS, invite_vias)   /* all Vias of an incoming INVITE (answer on recovery) */                     \
    X(INVITE_OFFER, invite_offer) /* that INVITE's SDP offer (answered on recovery) */                          \
    X(INVITE_DEST, invite_dest)   /* where our INVITE went: "udp:IP:PORT[ <route>]" */                          \
    X(SRTP, srtp)         /* SRTP in force: "TAG SUITE tx=inline:KEY rx=inline:KEY" (keys masked when shown) */ \
    X(CODEC_PT, codec_pt) /* the codec's RTP payload type (recovery needs Opus's dynamic one) */                \
    X(VARS, vars)         /* the session variables: a JSON object of strings (sc_session_var_*) */

typedef enum sc_field {
#define SC_FIELD_ENUM(name, json) SC_FIELD_##name,
    /* clang-format off */
    SC_SESSION_FIELDS(SC_FIELD_ENUM)
#undef SC_FIELD_ENUM
    SC_FIELD__COUNT
    /* clang-format on */
} sc_field;
/* The store tracks changed fields in a 32-bit mask (dirty_fields): one bit per field. */
#ifndef __cplusplus
_Static_assert(SC_FIELD__COUNT <= 32, "sc_field no longer fits the 32-bit dirty-field mask");
#endif

SC_EXPORT const char *sc_field_name(sc_field f);               /* "call_id", ...; NULL if bad */
SC_EXPORT int sc_field_parse(const char *name, sc_field *out); /* 0 or -ENOENT */

SC_EXPORT const char *sc_session_id(const sc_session *s);
SC_EXPORT sc_role sc_session_role(const sc_session *s);
SC_EXPORT sc_store *sc_session_store(const sc_session *s);
/* The table this session runs on (borrowed; lives as long as the session). */
SC_EXPORT const sc_table *sc_session_table(const sc_session *s);
SC_EXPORT sc_id sc_session_state(const sc_session *s);
SC_EXPORT const char *sc_session_state_name(const sc_session *s);
/* Set the current state (the engine does this; also recovery). Updates state-entered and
 * updated times. -EINVAL if state is not in the session's table. Does not touch timers:
 * use the engine for that. */
SC_EXPORT int sc_session_set_state(sc_session *s, sc_id state);

/* Conditions: up to 64, ids from the vocabulary. Unknown ids read false; setting one
 * returns -EINVAL. */
SC_EXPORT bool sc_session_condition(const sc_session *s, sc_id cond);
SC_EXPORT int sc_session_set_condition(sc_session *s, sc_id cond, bool value);
SC_EXPORT uint64_t sc_session_condition_bits(const sc_session *s);
SC_EXPORT void sc_session_set_condition_bits(sc_session *s, uint64_t bits); /* recovery */
/* Whether CheckConditions has been raised for this session (once per session). */
SC_EXPORT bool sc_session_established_fired(const sc_session *s);
SC_EXPORT void sc_session_set_established_fired(sc_session *s, bool fired);

/* Times, microseconds, from the store's clock. */
SC_EXPORT int64_t sc_session_created_wall_us(const sc_session *s);
SC_EXPORT uint64_t sc_session_created_mono_us(const sc_session *s);
SC_EXPORT int64_t sc_session_updated_wall_us(const sc_session *s);
SC_EXPORT uint64_t sc_session_updated_mono_us(const sc_session *s);
SC_EXPORT int64_t sc_session_state_entered_wall_us(const sc_session *s);
SC_EXPORT uint64_t sc_session_state_entered_mono_us(const sc_session *s);
/* Mark the record updated now (field setters and the engine do this). */
SC_EXPORT void sc_session_touch(sc_session *s);

/* The outcome string (normal|rejected|cancelled|failed|timeout|transferred...), or NULL. */
SC_EXPORT const char *sc_session_outcome(const sc_session *s);
SC_EXPORT int sc_session_set_outcome(sc_session *s, const char *outcome); /* copied; NULL clears */

/* String fields: get returns NULL when unset (borrowed, valid until the next set of that
 * field or removal). set copies value (NULL clears). -EINVAL on a bad field, -ENOMEM. */
SC_EXPORT const char *sc_session_field(const sc_session *s, sc_field f);
SC_EXPORT int sc_session_set_field(sc_session *s, sc_field f, const char *value);

/* Session variables: application data by name (1..64 bytes of [A-Za-z0-9_.-]), string values of
 * up to 1024 bytes, up to 32 per session. They live in the field SC_FIELD_VARS (a JSON object of
 * strings, its text NULL when there is none), so they are persisted and recovered like any
 * field; inspection shows them as "variables". */
#define SC_VAR_NAME_MAX 64
#define SC_VAR_VALUE_MAX 1024
#define SC_VARS_MAX 32
/* Set (copied) or, with value NULL, remove one. 0, -EINVAL (bad name, value too long),
 * -E2BIG (a 33rd variable), -ENOMEM. */
SC_EXPORT int sc_session_var_set(sc_session *s, const char *name, const char *value);
/* Copy one into buf (NUL-terminated): its length, -ENOENT (unset), -ENOSPC (buf too small),
 * -EINVAL. */
SC_EXPORT int sc_session_var_get(const sc_session *s, const char *name, char *buf, size_t cap);
/* Whether name is a valid variable name. */
SC_EXPORT bool sc_var_name_valid(const char *name);

/* Attachments: one opaque pointer per owner module. The store calls free_fn(ptr) when the
 * session is removed or when the slot is replaced by another set (free_fn may be NULL). */
typedef enum sc_attach_slot { SC_ATTACH_SIP = 0, SC_ATTACH_MEDIA = 1, SC_ATTACH_APP = 2 } sc_attach_slot;
#define SC_ATTACH_COUNT 3
SC_EXPORT int sc_session_set_attachment(sc_session *s, sc_attach_slot slot, void *ptr, void (*free_fn)(void *));
SC_EXPORT void *sc_session_get_attachment(const sc_session *s, sc_attach_slot slot);
/* Take the pointer back without freeing it (slot becomes empty); NULL if none. */
SC_EXPORT void *sc_session_take_attachment(sc_session *s, sc_attach_slot slot);

/* Failed transitions (not accepted, guards failed, action failed) of this session. */
SC_EXPORT uint32_t sc_session_failed_transitions(const sc_session *s);
SC_EXPORT void sc_session_count_failure(sc_session *s); /* the engine calls this */
/* Bytes held by the record: struct, strings, index keys, history ring, queued events. */
SC_EXPORT size_t sc_session_bytes(const sc_session *s);

/* ---- History ---------------------------------------------------------------------------- */

typedef enum sc_outcome {
    SC_OUTCOME_TAKEN = 0,
    SC_OUTCOME_NOT_ACCEPTED = 1,  /* no row for (role, state, event) */
    SC_OUTCOME_GUARDS_FAILED = 2, /* rows exist, every one's guards failed */
    SC_OUTCOME_ACTION_FAILED = 3, /* an action failed: stayed in `from` */
} sc_outcome;
SC_EXPORT const char *sc_outcome_name(sc_outcome o); /* "taken", "not_accepted", ... */

#define SC_HISTORY_TEXT_MAX 48    /* event text bytes kept, including the NUL */
#define SC_HISTORY_MAX_GUARDS 8   /* guard evaluations kept per record */
#define SC_HISTORY_MAX_ACTIONS 12 /* actions kept per record */

typedef struct sc_history_guard {
    sc_id id;    /* guard vocabulary id */
    bool negate; /* written "!Name" */
    bool passed; /* result after negation */
    bool cached; /* the guard answered from its cache (sc_exec_mark_cached) */
} sc_history_guard;

typedef struct sc_history_action {
    sc_id id;             /* action vocabulary id */
    int32_t result;       /* 0 or the action's negative error */
    uint32_t duration_us; /* µs, rounded down (docs/architecture.md, "Action durations") */
} sc_history_action;

/* (The members up to outcome are stored in the ring as they are: keep them first.) */
typedef struct sc_history_record {
    uint64_t seq;    /* per session, from 1 */
    int64_t wall_us; /* when the event was dispatched */
    uint64_t mono_us;
    int32_t event_code;                   /* e.g. SIP status; 0 if none */
    uint32_t transition;                  /* index of the transition taken/failed, UINT32_MAX if none */
    sc_id from;                           /* state before */
    sc_id to;                             /* state after (== from unless taken with a `to`) */
    sc_id event;                          /* event id */
    uint8_t nguards;                      /* entries used in guards[] */
    uint8_t nactions;                     /* entries used in actions[] */
    sc_outcome outcome;                   /* (stored as one byte) */
    char event_text[SC_HISTORY_TEXT_MAX]; /* copied, truncated */
    sc_history_guard guards[SC_HISTORY_MAX_GUARDS];
    sc_history_action actions[SC_HISTORY_MAX_ACTIONS];
} sc_history_record;

/* Records held (<= capacity), oldest at index 0. */
SC_EXPORT size_t sc_session_history_count(const sc_session *s);
/* A copy of record i (0 = the oldest) in *out: 0, or -ENOENT when i >= the count (-EINVAL on
 * NULL). The ring keeps each record packed at its used size (guards, actions and text as
 * many as it has); the copy is unpacked, its unused guard and action entries zero. */
SC_EXPORT int sc_session_history_get(const sc_session *s, size_t i, sc_history_record *out);
/* Records that fell off the ring (or could not be stored for lack of memory). */
SC_EXPORT uint64_t sc_session_history_dropped(const sc_session *s);
SC_EXPORT uint64_t sc_session_history_next_seq(const sc_session *s);
/* A record to fill on the caller's side (the engine: on its stack) before
 * sc_session_history_commit: seq, times, ids, code, counts 0, text empty, transition
 * UINT32_MAX, outcome taken. The entries past nguards/nactions and the text past its NUL are
 * left as they are (never read). */
static inline void sc_history_record_init(sc_history_record *r)
{
    r->seq = 0;
    r->wall_us = 0;
    r->mono_us = 0;
    r->from = r->to = r->event = 0;
    r->event_code = 0;
    r->event_text[0] = '\0';
    r->transition = UINT32_MAX;
    r->nguards = r->nactions = 0;
    r->outcome = SC_OUTCOME_TAKEN;
}
/* Store r as the session's newest record: r->seq is set to the next seq (so observers told
 * afterwards see it), then r is packed into the ring (grown lazily, first for 4 records; when
 * it holds its capacity the oldest record is dropped and counted). nguards/nactions above the
 * SC_HISTORY_MAX_* bounds are cut to them. 0, or -ENOMEM: not stored, counted as dropped (its
 * seq is used all the same). */
SC_EXPORT int sc_session_history_commit(sc_session *s, sc_history_record *r);
/* Frees the history ring of an ended session whose records a durable store holds (memory:
 * the compact record of docs/architecture.md, "Ended sessions"). The sequence numbers go on;
 * a later record starts a new ring. sc_session_history_released says it happened, so readers
 * take the released records from the store. */
SC_EXPORT void sc_session_history_release(sc_session *s);
SC_EXPORT bool sc_session_history_released(const sc_session *s);
/* A history as sc_session_history_json gives it (an array of record objects) as the CSV of
 * sc_session_history_csv. malloc'd text in *out; -EINVAL (not an array), -ENOMEM. */
SC_EXPORT int sc_history_json_to_csv(const json_t *records, char **out, size_t *len);
/* Moves the strings of an ended session (fields, outcome, index keys) into one block kept
 * apart from the malloc heap, so that the record pins no page of the heap where its call's
 * short-lived parts were (docs/architecture.md, "Ended sessions"). The fields whose bit
 * (1 << sc_field) is in drop are cleared instead (what only a live call needs, e.g. the
 * INVITE kept for recovery), without marking them dirty or touching the session. Strings set
 * later are allocated as before. 0, -EINVAL, -ENOMEM (nothing changed). */
SC_EXPORT int sc_session_pack(sc_session *s, uint32_t drop);
/* Transition indices of TAKEN records, oldest first (for graph highlighting). Writes at most
 * cap, returns how many were written. */
SC_EXPORT size_t sc_session_history_path(const sc_session *s, uint32_t *out, size_t cap);

/* "2026-11-27T12:00:00.123456Z" into buf (>= 28 bytes); returns buf. The same as
 * sc_time_format_iso8601(buf, size, wall_us, 6) (base.h), which also says whether it fit. */
SC_EXPORT char *sc_time_format_iso(int64_t wall_us, char *buf, size_t size);

/* One record as JSON: {"seq","time","mono_us","from","event","event_code","event_text",
 * "transition","guards":[{"name","negate","passed"}],"actions":[{"name","result",
 * "duration_us"}],"to","outcome"}; names resolved through the session's table. New
 * reference in *out, NULL on -ENOMEM. */
SC_EXPORT int sc_history_record_to_json(const sc_session *s, const sc_history_record *r, json_t **out);
/* The last `last` records (0 = all), oldest first, as a JSON array (new reference). */
SC_EXPORT int sc_session_history_json(const sc_session *s, size_t last, json_t **out);
/* The whole ring as CSV with a header row:
 * seq,time,mono_us,from,event,event_code,event_text,transition,guards,actions,to,outcome
 * guards as "Name=1;!Other=0", actions as "Name:result:duration_us;...". Fields quoted when
 * they contain , " or newlines. malloc'd NUL-terminated text in *out (caller frees), length
 * in *len (may be NULL). -ENOMEM. */
SC_EXPORT int sc_session_history_csv(const sc_session *s, char **out, size_t *len);

/* ---- Inspection ------------------------------------------------------------------------- */

typedef enum sc_health {
    SC_HEALTH_OK = 0,
    SC_HEALTH_STUCK = 1,       /* in a non-terminal state longer than stuck_after_ms */
    SC_HEALTH_ERROR_PRONE = 2, /* failed transitions >= error_threshold */
    SC_HEALTH_STALE = 3,       /* no update for stale_after_ms */
} sc_health;
SC_EXPORT const char *sc_health_name(sc_health h); /* "ok", "stuck", "error_prone", "stale" */

typedef struct sc_inspect_opts {
    size_t history_last;      /* history records included (0 = none) */
    uint64_t stuck_after_ms;  /* 0 = never stuck */
    uint32_t error_threshold; /* 0 = never error-prone */
    uint64_t stale_after_ms;  /* 0 = never stale */
} sc_inspect_opts;

/* Defaults: history_last 64, stuck 300000 ms, errors 5, stale 3600000 ms. */
SC_EXPORT void sc_inspect_opts_default(sc_inspect_opts *opts);

/* The worst verdict (stuck > error_prone > stale > ok); reasons, if not NULL, receives a
 * JSON array (new reference) of one line each. opts NULL = defaults. */
SC_EXPORT sc_health sc_session_health(const sc_session *s, const sc_inspect_opts *opts, json_t **reasons);

/* The summary record used by GET /sessions: {"id","role","state","call_id","local_uri",
 * "remote_uri","created_at","updated_at","outcome"} (absent strings are null). New
 * reference in *out; -ENOMEM. */
SC_EXPORT int sc_session_to_json(const sc_session *s, json_t **out);

/* Full inspection (GET /sessions/{id}): the summary plus "table_hash", "fields" (every set
 * field), "links" ({"peer","transfer","replaces"}), "conditions" (name -> bool, every
 * condition of the vocabulary), "time_in_state_ms", "failed_transitions", "history" (last
 * opts->history_last records), "history_dropped", "possible_events" (names, from
 * sc_table_accepted_events for the session's role and state), "health" ({"verdict",
 * "reasons"}) and "resources" ({"bytes","history_entries","history_capacity"}).
 * opts NULL = defaults. New reference in *out; -ENOMEM. */
SC_EXPORT int sc_store_inspect(const sc_session *s, const sc_inspect_opts *opts, json_t **out);

/* ---- Persistence support: snapshots, event records, replay (src/store/snapshot.c) ------
 * Formats are documented in docs/persistence.md. Times are wall-clock µs; monotonic times of
 * the session (created/updated/entered) are not persisted: they are reset on recovery. */

/* Fields (bit 1 << sc_field) set since the last event record: the engine clears them after
 * telling observers of a creation or a dispatch run, keeping bits set by observers. */
SC_EXPORT uint32_t sc_session_dirty_fields(const sc_session *s);
SC_EXPORT void sc_session_clear_dirty_fields(sc_session *s);
/* Recovery setters: wall times (µs) and the failed-transition counter. */
SC_EXPORT void sc_session_set_times(sc_session *s, int64_t created_wall_us, int64_t updated_wall_us,
                                    int64_t entered_wall_us);
SC_EXPORT void sc_session_set_failed_transitions(sc_session *s, uint32_t n);
/* Append a copy of r keeping its seq (recovery, replay). r->seq must be >= next_seq: the
 * seqs skipped are counted as dropped; next_seq becomes r->seq + 1. -EINVAL (seq too
 * small), -ENOMEM (nothing changes). */
SC_EXPORT int sc_session_history_append_raw(sc_session *s, const sc_history_record *r);
/* Move next_seq forward to next_seq (skipped seqs count as dropped); -EINVAL if backwards. */
SC_EXPORT int sc_session_history_skip_to(sc_session *s, uint64_t next_seq);
/* Inverse of sc_history_record_to_json (names resolved through s's table and vocabulary).
 * -EINVAL on a malformed record or an unknown name. */
SC_EXPORT int sc_history_record_from_json(const sc_session *s, const json_t *j, sc_history_record *out);

/* The snapshot: everything needed to rebuild the record after a crash:
 * {"v":1,"id","role","state","table_hash","conditions":{name:bool},"established_fired",
 *  "outcome","fields":{name:value (set ones)},"created_us","updated_us","state_entered_us",
 *  "failed_transitions","last_seq","history":[sc_history_record_to_json...]}.
 * New reference in *out; -ENOMEM. */
SC_EXPORT int sc_session_snapshot_json(const sc_session *s, json_t **out);
/* Load a snapshot into s (fresh: no history yet; same id): state (without touching timers),
 * conditions, flags, outcome, fields, times, failure count, history. The table_hash field
 * keeps s's table hash. -EINVAL (malformed, other id, unknown name; s may be partly
 * loaded), -ENOMEM. */
SC_EXPORT int sc_session_load_snapshot_json(sc_session *s, const json_t *snap);

/* Event records (one per history seq; what the recorder appends to the log):
 *  - seq 0, "kind":"created": session_id, role, table_hash, state_after, conditions_after
 *    (bits), established_fired, session_outcome, failed_transitions, created_us, updated_us,
 *    entered_us, fields (every set field);
 *  - seq >= 1, "kind":"transition": sc_history_record_to_json(rec) plus the same keys
 *    (without created_us), fields = only those changed since the previous record (null =
 *    cleared). New reference in *out; -ENOMEM. */
SC_EXPORT int sc_session_created_json(const sc_session *s, json_t **out);
SC_EXPORT int sc_session_event_json(const sc_session *s, const sc_history_record *rec, json_t **out);
/* Apply one event record to s (no guards, actions or timers run): state, conditions, flags,
 * outcome, changed fields, times, failure count and the history record. Returns 0, 1 when
 * the record is older than s (seq < next_seq: ignored), -EINVAL (malformed, other session,
 * unknown name), -ENOMEM. */
SC_EXPORT int sc_session_apply_event_json(sc_session *s, const json_t *rec);

/* Recovery through the engine (src/engine/restore.c): sc_engine_restore_session() in the
 * snapshot's state on table (NULL = the engine's current table), then
 * sc_session_load_snapshot_json(). Observers see on_session_created before the load. On
 * failure the half-built session is removed without telling observers of the removal.
 * -EINVAL (malformed snapshot, state not in table), -EEXIST, -ENOMEM. */
typedef struct sc_engine sc_engine;
SC_EXPORT int sc_session_restore_json(sc_engine *e, const json_t *snap, sc_table *table, sc_session **out);
/* The same, then apply the event records of events (a JSON array, may be NULL) newer than
 * the snapshot; if that moves the session to another state, its timers are re-armed for
 * that state. Dirty fields are cleared at the end. */
SC_EXPORT int sc_session_restore_replay_json(sc_engine *e, const json_t *snap, const json_t *events, sc_table *table,
                                             sc_session **out);

/* ---- The persisted documents as text (src/store/record_text.c) ---------------------------
 * A session's snapshot, creation and transition event records written straight to compact
 * JSON text in a reusable buffer, for the recorder's hot path. Same documents as
 * sc_session_snapshot_json / _created_json / _event_json. */

/* They render into a growable text buffer (sc_buf, base.h): zero-initialise it, reuse it,
 * free it with sc_buf_free. */

/* Each replaces b's content with the document and returns 0 or -ENOMEM. */
/* The snapshot (keys of sc_session_snapshot_json), plus "node" when node is not NULL. */
SC_EXPORT int sc_session_snapshot_text(const sc_session *s, const char *node, sc_buf *b);
/* The creation record (seq 0). */
SC_EXPORT int sc_session_created_text(const sc_session *s, sc_buf *b);
/* The record of history entry rec (fields: the dirty ones, null when cleared). */
SC_EXPORT int sc_session_event_text(const sc_session *s, const sc_history_record *rec, sc_buf *b);

#endif
