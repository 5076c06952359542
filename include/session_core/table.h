/* table: the YAML state-table format. Declares the vocabulary (events, guards, actions,
 * conditions), loads and validates a table (file:line:column diagnostics), compiles it to
 * dense arrays for O(1) lookup of (role, state, event), and exports it as DOT, Mermaid or
 * JSON. Knows nothing of SIP or I/O. */
#ifndef SESSION_CORE_TABLE_H
#define SESSION_CORE_TABLE_H

#include "session_core/base.h"

typedef uint16_t sc_id;
#define SC_ID_NONE ((sc_id)0xFFFF)

typedef enum sc_role {
    SC_ROLE_UAC = 0, /* we sent the initial INVITE */
    SC_ROLE_UAS = 1, /* we received it */
    SC_ROLE_ANY = 2, /* table rows only: applies to both; an exact-role row is tried first */
} sc_role;
#define SC_ROLE_COUNT 2 /* roles a session can have */

SC_EXPORT const char *sc_role_name(sc_role role);            /* "uac", "uas", "any" */
SC_EXPORT int sc_role_parse(const char *name, sc_role *out); /* 0 or -EINVAL */

/* ---- The built-in vocabulary ------------------------------------------------------------
 * Declared here, in one place, so every module, log line, metric and export uses the same
 * names; the built-in ids are the enum values below (an application's own names get ids
 * after them). Modules bind implementations to the names they own; a table that uses a
 * declared but unbound guard or action is refused by the engine, naming it.
 * Parameter specs: "name:type" separated by commas, type int|string|bool, "!" = required. */

#define SC_BUILTIN_EVENTS(X)                                                \
    /* application commands (API, HTTP, sessionctl) */                      \
    X(MakeCall)                                                             \
    X(IncomingCall)                                                         \
    X(AcceptCall)                                                           \
    X(RejectCall)                                                           \
    X(HangupCall)                                                           \
    X(HoldCall)                                                             \
    X(ResumeCall)                                                           \
    X(SendDTMF)                                                             \
    X(BridgeSessions)                                                       \
    X(UnbridgeSessions)                                                     \
    X(BlindTransfer)                                                        \
    X(StartAttendedTransfer)                                                \
    X(CompleteAttendedTransfer)                                             \
    X(CancelAttendedTransfer)                                               \
    /* SIP dialog events */                                                 \
    X(Dialog100Trying)                                                      \
    X(Dialog180Ringing)                                                     \
    X(Dialog183SessionProgress)                                             \
    X(Dialog200OK)                                                          \
    X(DialogACK)                                                            \
    X(DialogBYE)                                                            \
    X(DialogCANCEL)                                                         \
    X(DialogReINVITE)                                                       \
    X(DialogReINVITEAccepted)                                               \
    X(DialogReINVITERejected)                                               \
    X(DialogREFER)                                                          \
    X(DialogNOTIFY)                                                         \
    X(DialogINFO)                                                           \
    X(DialogUPDATE)                                                         \
    X(Dialog3xx)                                                            \
    X(Dialog4xx)                                                            \
    X(Dialog5xx)                                                            \
    X(Dialog6xx)                                                            \
    X(Dialog487RequestTerminated)                                           \
    X(DialogTimeout)                                                        \
    X(DialogError)                                                          \
    /* media */                                                             \
    X(MediaReady)                                                           \
    X(MediaError)                                                           \
    X(DtmfReceived)                                                         \
    X(RtpTimeout)                                                           \
    /* transfer */                                                          \
    X(TransferRequested)                                                    \
    X(TransferAccepted)                                                     \
    X(TransferProgress)                                                     \
    X(TransferSucceeded)                                                    \
    X(TransferFailed)                                                       \
    X(ReplacesReceived)                                                     \
    /* bridge partner (B2BUA) */                                            \
    X(PeerAnswered)                                                         \
    X(PeerRejected)                                                         \
    X(PeerHangup)                                                           \
    X(PeerHold)                                                             \
    X(PeerResume)                                                           \
    /* internal */                                                          \
    X(StateTimer)                                                           \
    X(SessionExpired)                                                       \
    X(ActionFailed)                                                         \
    X(CheckConditions)                                                      \
    X(Recovered)                                                            \
    X(Shutdown)                                                             \
    /* history only: a reload moved the session to a new table version */   \
    X(Migrated)                                                             \
    /* B2BUA: the peer leg got early media (183 with SDP) */                \
    X(PeerEarlyMedia)                                                       \
    /* history only: the operator removed the session (DELETE /sessions) */ \
    X(Killed)                                                               \
    /* voice apps (coord/voice.c): announcements, digits, recording */      \
    X(PlaybackDone)                                                         \
    X(DigitsCollected)                                                      \
    X(DigitsTimeout)                                                        \
    X(RecordingFailed)

typedef enum sc_builtin_event {
#define SC_EVENT_ENUM(name) SC_EV_##name,
    /* clang-format off */
    SC_BUILTIN_EVENTS(SC_EVENT_ENUM)
#undef SC_EVENT_ENUM
    SC_EV__BUILTIN_COUNT
    /* clang-format on */
} sc_builtin_event;

#define SC_BUILTIN_GUARDS(X)                                                                  \
    X(HasSdp, "")                             /* the event carries an SDP body */             \
    X(IsHoldOffer, "")                        /* re-INVITE offer puts us on hold */           \
    X(IsResumeOffer, "")                      /* re-INVITE offer resumes */                   \
    X(AutoAnswer, "")                         /* sessiond answers incoming calls */           \
    X(IsBridged, "")                          /* the session has a bridge partner */          \
    X(HasPeer, "")                            /* a linked B2BUA/transfer leg exists */        \
    X(CodeIs, "code:int!")                    /* event's SIP status == code */                \
    X(CodeInRange, "min:int!,max:int!")       /* min <= status <= max */                      \
    X(ConditionIs, "name:string!,value:bool") /* session condition == value */                \
    X(ReferSubscription, "")                  /* REFER wants NOTIFYs (no Refer-Sub: false) */ \
    X(IsTransferTarget, "")                   /* session was created by a REFER */            \
    X(HasReplaces, "")                        /* INVITE carries a Replaces header */          \
    X(AcceptRefer, "")                        /* policy allows REFER from this peer */        \
    X(FailedActionIs, "name:string!")         /* ActionFailed: that action failed */          \
    X(VarEquals, "name:string!,value:string") /* session variable == value (unset: "") */     \
    /* conference (coord/conference.c) */                                                     \
    X(InConference, "") /* the session's stream is in a conference room */

typedef enum sc_builtin_guard {
#define SC_GUARD_ENUM(name, params) SC_GUARD_##name,
    /* clang-format off */
    SC_BUILTIN_GUARDS(SC_GUARD_ENUM)
#undef SC_GUARD_ENUM
    SC_GUARD__BUILTIN_COUNT
    /* clang-format on */
} sc_builtin_guard;

#define SC_BUILTIN_ACTIONS(X)                                                                        \
    /* SIP (src/sip via api) */                                                                      \
    X(SendInvite, "")                          /* initial INVITE with our SDP offer */               \
    X(SendResponse, "code:int!,reason:string") /* to the pending request (2xx INVITE: SDP answer) */ \
    X(SendAck, "")                             /* ACK for a 2xx */                                   \
    X(SendBye, "")                                                                                   \
    X(SendCancel, "")                                                                                \
    X(SendReInvite, "direction:string!") /* sendrecv|sendonly|recvonly|inactive */                   \
    X(SendRefer, "")                     /* REFER to the transfer target in the event */             \
    X(SendNotify, "")                    /* sipfrag NOTIFY with the event's status */                \
    X(SendOptions, "")                                                                               \
    X(ScheduleAutoAnswer, "delay_ms:int") /* raise AcceptCall after the ring delay */                \
    /* media (src/media) */                                                                          \
    X(StartMedia, "")                                                                                \
    X(StopMedia, "")                                                                                 \
    X(UpdateMedia, "")                                                                               \
    X(PlayMusicOnHold, "class:string")                                                               \
    X(StopMusicOnHold, "")                                                                           \
    X(SendDtmf, "")                                                                                  \
    X(BridgeMedia, "")                                                                               \
    X(UnbridgeMedia, "")                                                                             \
    /* B2BUA and transfer */                                                                         \
    X(CreateOutgoingLeg, "")       /* B2BUA: call the routed target */                               \
    X(HangupPeer, "")              /* end the linked leg */                                          \
    X(NotifyPeer, "event:string!") /* raise a Peer* event on the linked leg */                       \
    X(StartTransferCall, "")       /* transferee: call the Refer-To target */                        \
    X(StartConsultation, "")       /* transferor: call the consult target */                         \
    X(ReplaceDialog, "")           /* target: take over the replaced dialog */                       \
    /* bookkeeping */                                                                                \
    X(SetOutcome, "outcome:string!") /* normal|rejected|cancelled|failed|timeout|transferred */      \
    X(Log, "message:string!")                                                                        \
    X(SetVar, "name:string!,value:string") /* session variable (no value: removed) */                \
    /* early media (coord/early_media.c): 183 with our answer, relay with the peer */                \
    X(BridgeEarlyMedia, "")                                                                          \
    /* conference (coord/conference.c): an N-party mixer room; no room: the Request-URI's user */    \
    X(JoinConference, "room:string")                                                                 \
    X(LeaveConference, "")                                                                           \
    X(MuteConference, "mute:bool") /* mute: true (default) or false */                               \
    /* voice apps (coord/voice.c): announcements, recording, digit collection */                     \
    X(PlayFile, "file:string,class:string,loop:bool,barge_in:bool")                                  \
    X(StopPlayback, "")                                                                              \
    X(RecordCall, "path:string!,mode:string,format:string")                                          \
    X(StopRecording, "")                                                                             \
    X(CollectDigits, "max:int,terminator:string,first_digit_timeout_ms:int,inter_digit_timeout_ms:int,var:string")

typedef enum sc_builtin_action {
#define SC_ACTION_ENUM(name, params) SC_ACTION_##name,
    /* clang-format off */
    SC_BUILTIN_ACTIONS(SC_ACTION_ENUM)
#undef SC_ACTION_ENUM
    SC_ACTION__BUILTIN_COUNT
    /* clang-format on */
} sc_builtin_action;

#define SC_BUILTIN_CONDITIONS(X) \
    X(DialogEstablished)         \
    X(SdpNegotiated)             \
    X(MediaReady)

typedef enum sc_builtin_condition {
#define SC_COND_ENUM(name) SC_COND_##name,
    /* clang-format off */
    SC_BUILTIN_CONDITIONS(SC_COND_ENUM)
#undef SC_COND_ENUM
    SC_COND__BUILTIN_COUNT
    /* clang-format on */
} sc_builtin_condition;

/* ---- Vocabulary ---------------------------------------------------------------------- */

typedef enum sc_vocab_kind {
    SC_VOCAB_EVENT = 0,
    SC_VOCAB_GUARD = 1,
    SC_VOCAB_ACTION = 2,
    SC_VOCAB_CONDITION = 3,
} sc_vocab_kind;
#define SC_VOCAB_KIND_COUNT 4

typedef enum sc_param_type { SC_PARAM_INT, SC_PARAM_STRING, SC_PARAM_BOOL } sc_param_type;

typedef struct sc_param_spec {
    const char *name;   /* parameter name */
    sc_param_type type; /* its type */
    bool required;      /* a use without it is a load error */
} sc_param_spec;

typedef struct sc_vocab sc_vocab;

/* A vocabulary holding every built-in name; *out set only on success (-ENOMEM). */
SC_EXPORT int sc_vocab_new(sc_vocab **out);
SC_EXPORT void sc_vocab_free(sc_vocab *v);
/* Declare an application name (copied); params only for guards and actions, may be NULL.
 * Returns the new id (>= 0), -EEXIST if the name exists in that kind, -EINVAL on a bad name. */
SC_EXPORT int sc_vocab_add(sc_vocab *v, sc_vocab_kind kind, const char *name, const sc_param_spec *params,
                           size_t nparams);
/* The id of name in kind (>= 0) or -ENOENT. */
SC_EXPORT int sc_vocab_lookup(const sc_vocab *v, sc_vocab_kind kind, const char *name);
SC_EXPORT const char *sc_vocab_name(const sc_vocab *v, sc_vocab_kind kind, sc_id id); /* NULL if none */
SC_EXPORT size_t sc_vocab_count(const sc_vocab *v, sc_vocab_kind kind);
SC_EXPORT const sc_param_spec *sc_vocab_params(const sc_vocab *v, sc_vocab_kind kind, sc_id id, size_t *n);

/* ---- Diagnostics --------------------------------------------------------------------- */

typedef enum sc_severity { SC_SEV_ERROR = 0, SC_SEV_WARNING = 1 } sc_severity;

typedef struct sc_diag {
    const char *file; /* the table's path or buffer name */
    uint32_t line;    /* 1-based */
    uint32_t column;  /* 1-based */
    sc_severity severity;
    const char *message; /* one line, no trailing newline */
} sc_diag;

typedef struct sc_diags sc_diags;
SC_EXPORT int sc_diags_new(sc_diags **out);
SC_EXPORT void sc_diags_free(sc_diags *d);
SC_EXPORT size_t sc_diags_count(const sc_diags *d);
SC_EXPORT size_t sc_diags_errors(const sc_diags *d); /* how many are errors */
SC_EXPORT const sc_diag *sc_diags_get(const sc_diags *d, size_t i);
/* "file:line:column: error: message" into buf (always terminated); returns the length. */
SC_EXPORT size_t sc_diag_format(const sc_diag *diag, char *buf, size_t size);
/* Add a diagnostic (strings copied); used by the loader and by the engine (unbound names). */
SC_EXPORT int sc_diags_add(sc_diags *d, sc_severity sev, const char *file, uint32_t line, uint32_t column,
                           const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---- The compiled table -------------------------------------------------------------- */

typedef struct sc_param_value {
    const char *name; /* the spec's name */
    sc_param_type type;
    int64_t i;     /* SC_PARAM_INT */
    const char *s; /* SC_PARAM_STRING */
    bool b;        /* SC_PARAM_BOOL */
} sc_param_value;

typedef struct sc_call { /* one use of a guard or action in a transition */
    sc_id id;            /* vocabulary id */
    uint16_t nparams;
    const sc_param_value *params;
    bool negate; /* guards only: written "!Name" in the table */
} sc_call;

typedef struct sc_cond_update {
    sc_id cond; /* condition id */
    bool value;
} sc_cond_update;

typedef enum sc_priority { SC_PRIO_LOW = 0, SC_PRIO_NORMAL = 1, SC_PRIO_CRITICAL = 2 } sc_priority;

typedef struct sc_publish {
    const char *name; /* application event name */
    int priority;     /* sc_priority, or -1 for the default */
} sc_publish;

typedef struct sc_transition {
    uint32_t index; /* position among the table's transitions (file order) */
    sc_role role;   /* as written: uac, uas or any */
    sc_id from;     /* state id (a row with a list of states compiles to one per state) */
    sc_id event;    /* event id */
    sc_id to;       /* next state, SC_ID_NONE = stay */
    uint16_t nguards, nactions, nset, npublish;
    const sc_call *guards;
    const sc_call *actions;
    const sc_cond_update *set;
    const sc_publish *publish;
    bool failure;          /* leads to a failure state or handles a failure event (styling) */
    uint32_t line, column; /* where the row starts in the file */
    const char *description;
} sc_transition;

typedef struct sc_state_info {
    const char *name;
    bool terminal;
    uint32_t timer_ms; /* 0 = no state timer */
    sc_id timer_event; /* event raised when the timer fires (default StateTimer) */
    uint64_t max_ms;   /* 0 = no limit; non-terminal: idle limit (SessionExpired),
                              terminal: retention before the session is removed */
    const char *description;
    uint32_t line, column;
} sc_state_info;

typedef struct sc_table sc_table;

/* Load, validate and compile. The vocabulary is borrowed and must outlive the table.
 * Every problem goes to diags (may be NULL) as file:line:column. Returns 0 and sets *out,
 * or SC_E_INVALID_TABLE (diags say why), -ENOENT/-EIO for the file, -ENOMEM. Warnings alone
 * do not fail the load. The table starts with one reference. */
SC_EXPORT int sc_table_load_file(sc_table **out, const char *path, const sc_vocab *vocab, sc_diags *diags);
SC_EXPORT int sc_table_load_buffer(sc_table **out, const char *name, const char *buf, size_t len, const sc_vocab *vocab,
                                   sc_diags *diags);
SC_EXPORT sc_table *sc_table_ref(sc_table *t);
SC_EXPORT void sc_table_unref(sc_table *t); /* frees on the last reference; NULL is fine */

SC_EXPORT const sc_vocab *sc_table_vocab(const sc_table *t);
SC_EXPORT const char *sc_table_name(const sc_table *t);                /* `name:` */
SC_EXPORT const char *sc_table_version(const sc_table *t);             /* `version:` as written */
SC_EXPORT const char *sc_table_hash(const sc_table *t);                /* hex content hash of the source */
SC_EXPORT const char *sc_table_source(const sc_table *t, size_t *len); /* the YAML text */
SC_EXPORT const char *sc_table_path(const sc_table *t);

SC_EXPORT size_t sc_table_state_count(const sc_table *t);
SC_EXPORT const sc_state_info *sc_table_state(const sc_table *t, sc_id state); /* NULL if out of range */
SC_EXPORT int sc_table_state_id(const sc_table *t, const char *name);          /* id or -ENOENT */
SC_EXPORT sc_id sc_table_initial_state(const sc_table *t);                     /* `initial:` (default Idle) */
/* The `migrate:` map (docs/reload.md): which live sessions a reload moves to this table.
 * Entries in file order; `from` is a state name of the table the session runs on (it need
 * not exist in this one), `to` a non-terminal state of this table. */
typedef struct sc_migrate_entry {
    const char *from;      /* old state name, as written */
    sc_id to;              /* state of this table */
    uint32_t line, column; /* where the entry's key is written */
} sc_migrate_entry;
SC_EXPORT size_t sc_table_migrate_count(const sc_table *t);
SC_EXPORT const sc_migrate_entry *sc_table_migrate_entry(const sc_table *t, size_t i); /* NULL if out of range */
/* The target state for a session in state old_name, or -ENOENT when the map does not name it. */
SC_EXPORT int sc_table_migrate_target(const sc_table *t, const char *old_name);
/* Conditions that together mean "established": when all become true the engine raises
 * CheckConditions once per session. From `established_when:`; may be empty. */
SC_EXPORT const sc_id *sc_table_established_conditions(const sc_table *t, size_t *n);

SC_EXPORT size_t sc_table_transition_count(const sc_table *t);
SC_EXPORT const sc_transition *sc_table_transition(const sc_table *t, size_t index);

/* O(1): the transitions for (role, state, event) in the order they are tried: the rows for
 * the exact role in file order, then the `any` rows. role is SC_ROLE_UAC or SC_ROLE_UAS.
 * Returns NULL with *n = 0 when the state does not accept the event. */
SC_EXPORT const sc_transition *const *sc_table_lookup(const sc_table *t, sc_role role, sc_id state, sc_id event,
                                                      size_t *n);
/* The events (ids, ascending) that state accepts for role; writes at most cap, returns how many. */
SC_EXPORT size_t sc_table_accepted_events(const sc_table *t, sc_role role, sc_id state, sc_id *out, size_t cap);

/* ---- Webhooks: guards and actions the table binds to a URL (src/table/webhook.c) ---------
 * In `vocabulary:`, `actions:` and `guards:` take, besides a list of names, a mapping
 * `Name: {webhook: URL, timeout_ms, retries (actions), cache (guards), token_file,
 * hmac_key_file}` (a null value declares the name alone). The table only checks and keeps
 * the spec; the coordinator's webhooks feature binds the names and calls the URLs. */
typedef enum sc_webhook_cache {
    SC_WEBHOOK_CACHE_NONE = 0,       /* every evaluation asks */
    SC_WEBHOOK_CACHE_TRANSITION = 1, /* one answer per session and table row */
    SC_WEBHOOK_CACHE_SESSION = 2,    /* one answer per session */
} sc_webhook_cache;

#define SC_WEBHOOK_URL_MAX 2048
#define SC_WEBHOOK_TIMEOUT_DEFAULT_MS 2000
#define SC_WEBHOOK_TIMEOUT_MAX_MS 600000
#define SC_WEBHOOK_RETRIES_MAX 10

typedef struct sc_webhook_spec {
    const char *name;          /* the guard's or action's name */
    sc_vocab_kind kind;        /* SC_VOCAB_GUARD or SC_VOCAB_ACTION */
    sc_id id;                  /* its id in the table's vocabulary */
    const char *url;           /* http:// or https://, with a host */
    uint32_t timeout_ms;       /* per attempt, 1..SC_WEBHOOK_TIMEOUT_MAX_MS (default 2000) */
    uint32_t retries;          /* actions: further attempts after a failure (0..10); guards: 0 */
    sc_webhook_cache cache;    /* guards: how long an answer holds; actions: NONE */
    const char *token_file;    /* file whose first line is the bearer token, or NULL */
    const char *hmac_key_file; /* file whose first line is the HMAC-SHA256 key, or NULL */
    uint32_t line, column;     /* where the name is written */
} sc_webhook_spec;

/* The table's webhooks, in file order (guards' then actions' as written). */
SC_EXPORT size_t sc_table_webhook_count(const sc_table *t);
SC_EXPORT const sc_webhook_spec *sc_table_webhook_at(const sc_table *t, size_t i); /* NULL if out of range */
/* The webhook of guard or action id in t, or NULL when t binds it to none. */
SC_EXPORT const sc_webhook_spec *sc_table_webhook(const sc_table *t, sc_vocab_kind kind, sc_id id);
SC_EXPORT const char *sc_webhook_cache_name(sc_webhook_cache c); /* "none", "transition", "session" */

/* ---- Export -------------------------------------------------------------------------- */

typedef enum sc_graph_format { SC_GRAPH_DOT, SC_GRAPH_MERMAID, SC_GRAPH_JSON } sc_graph_format;

typedef struct sc_graph_opts {
    sc_graph_format format;
    int role;             /* SC_ROLE_UAC, SC_ROLE_UAS, or -1 for the whole table */
    const uint32_t *path; /* transition indices a session took, highlighted; may be NULL */
    size_t npath;
} sc_graph_opts;

/* The graph as a malloc'd NUL-terminated string in *out (caller frees). -ENOMEM, -EINVAL. */
SC_EXPORT int sc_table_export(const sc_table *t, const sc_graph_opts *opts, char **out);

/* ---- Diff and diagnostics as JSON (src/table/diff.c) ------------------------------------ */

#include <jansson.h>

/* Compare old table a with new table b, by name (each table's own vocabulary), so tables
 * loaded separately compare. Transitions are keyed by (role as written, from state, event,
 * guards as a set); for a key in both, `to`, `actions` (in order, with parameters), `set` and
 * `publish` are compared. States are compared by name on terminal, timer_ms, timer_event and
 * max_ms; the initial state and established_when are compared too. Descriptions, names,
 * versions and line numbers are not differences. *out receives a new JSON object (caller
 * json_decref()s it):
 *   {"old": {name, version, path, hash}, "new": {...}, "identical": bool, "differences": n,
 *    "initial": {old, new} (only if changed), "established_when": {old, new} (only if changed),
 *    "states": {"added": [S], "removed": [S], "changed": [{state, changes: {field: {old, new}},
 *               old_line, new_line}]},
 *    "transitions": {"added": [T], "removed": [T], "changed": [{role, from, event, guards,
 *                    changes: {field: {old, new}}, old_line, new_line}]},
 *    "migrate": {"old": [M], "new": [M + known]} (only if the maps differ, one difference),
 *    "webhooks": {"old": [W], "new": [W]} (only if the vocabularies' webhooks differ, one difference)}
 * with S = {state, terminal, timer_ms, timer_event, max_ms, line, column} and
 * T = {role, from, event, guards: ["!Name(p=v)"], to (null = stay), actions: ["Name(p=v)"],
 *      set: ["Cond=true"], publish: ["Name[:priority]"], line, column},
 * W = {kind, name, url, timeout_ms, line, retries (actions) or cache (guards), token_file, hmac_key_file},
 * M = {from, to, line, column} and known = whether a has the state `from` (a reload from a to
 * b moves the live sessions in the states of "new" that are known).
 * Removed entries come in a's file order, added and changed ones in b's. Returns the number
 * of differences (0 = same behaviour), -EINVAL or -ENOMEM (nothing in *out). */
SC_EXPORT int sc_table_diff(const sc_table *a, const sc_table *b, json_t **out);

/* The diagnostics as a new JSON array of {file, line, column, severity, message} (only the
 * errors when errors_only); d may be NULL (empty array). NULL on ENOMEM. Caller decrefs. */
SC_EXPORT json_t *sc_diags_json(const sc_diags *d, bool errors_only);

#endif
