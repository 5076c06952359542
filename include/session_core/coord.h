/* coord: the public coordinator of session-core. It owns the SIP stack, the engine and the
 * session store on one libuv loop, binds the table's SIP, media and bookkeeping actions and
 * guards to real operations, turns every SIP event of a call into a table event on its
 * session, and offers the application commands (make_call, accept, reject, hangup, hold,
 * resume, dtmf) and inspection. Every function must be called on the loop's thread. */
#ifndef SESSION_CORE_COORD_H
#define SESSION_CORE_COORD_H

#include <jansson.h>
#include <uv.h>

#include "session_core/base.h"
#include "session_core/engine.h"
#include "session_core/persist.h"
#include "session_core/store.h"
#include "session_core/table.h"

typedef struct sc_coord sc_coord;

#define SC_COORD_MAX_LISTEN 8
#define SC_COORD_MAX_MOH 16
#define SC_COORD_MAX_ROUTES 64
#define SC_COORD_MAX_TRUST 32          /* trusted networks (trust[]) */
#define SC_COORD_MAX_REFER_ALLOW 32    /* REFER target globs (refer_allow[]) */
#define SC_COORD_RTP_PARK_DEFAULT 2048 /* rtp_park: ended calls' RTP pairs kept bound for reuse */

/* A user of the registrar (sc_coord_config.users): a password, or the HA1 (hex of
 * MD5(user:realm:password)) and/or the SHA-256 one. */
typedef struct sc_coord_user {
    const char *user;
    const char *password;   /* or NULL */
    const char *ha1;        /* MD5 HA1, or NULL */
    const char *ha1_sha256; /* SHA-256 HA1, or NULL */
} sc_coord_user;

/* SRTP policy (src/coord/srtp.c, docs/operations.md "SRTP"). */
typedef enum sc_coord_srtp {
    SC_COORD_SRTP_OFF = 0,       /* plain RTP only: an RTP/SAVP offer gets 488 before any provisional */
    SC_COORD_SRTP_OPTIONAL = 1,  /* either: a=crypto answered when offered; our offers carry a=crypto */
    SC_COORD_SRTP_MANDATORY = 2, /* SRTP only: an offer without a usable a=crypto gets 488 before any
                                    provisional; our offers are RTP/SAVP */
} sc_coord_srtp;
/* The default codec preference: G.711 first (every SIP device has it; a B2BUA between two
 * phones then relays without transcoding), then the wideband codecs for offers without G.711. */
#define SC_COORD_CODECS_DEFAULT "pcmu,pcma,opus,g722"

typedef struct sc_coord_config {
    uv_loop_t *loop;                         /* borrowed; must outlive the coord */
    const sc_clock *clock;                   /* borrowed; NULL = sc_clock_system() */
    const sc_logger *logger;                 /* borrowed; may be NULL */
    sc_table *table;                         /* the coord takes its own reference */
    const char *listen[SC_COORD_MAX_LISTEN]; /* "udp:127.0.0.1:5060", "tcp:[::1]:5060" (copied) */
    size_t nlisten;                          /* 0 = udp:127.0.0.1:5060 */
    bool auto_answer;                        /* the AutoAnswer guard's answer */
    uint32_t ring_delay_ms;                  /* ScheduleAutoAnswer's delay when the table gives none */
    uint32_t sip_t1_ms;                      /* RFC 3261 T1; 0 = 500 */
    size_t max_sessions;                     /* 0 = unlimited; above it new INVITEs get 503;
                                    SC_COORD_AUTO_SESSIONS (the default): derived from memory */
    unsigned sip_max_transactions;           /* SIP transactions alive (incl. lingering ones, ~32 s with
                                      T1 500 on UDP); 0 = 4 * max_sessions + 65536, none when
                                      max_sessions is unlimited; above it 503 */
    unsigned sip_max_calls;                  /* SIP call objects alive (released ones linger as long as their
                                 transactions); 0 = 2 * max_sessions + 32768, none when
                                 max_sessions is unlimited */
    unsigned sip_tcp_max;                    /* SIP TCP connections at once; 0 = 1024 (sc_sip_config) */
    unsigned sip_tcp_per_peer;               /* incoming SIP TCP connections from one IP; 0 = 32 */
    unsigned sip_tcp_idle_ms;                /* a quiet SIP TCP connection is closed after; 0 = 300000 */
    unsigned sip_tx_per_source;              /* live SIP server transactions from one source IP; 0 = 8192 */
    uint16_t media_port_min;                 /* RTP port range announced in SDP (0 = 20000..20999) */
    uint16_t media_port_max;
    size_t history_capacity; /* per session; 0 = store default */
    const char *user_agent;  /* NULL = "session-core/<version>" */
    /* transfer (src/coord/transfer.c) */
    bool refuse_refer;            /* hard off: every REFER is declined (603) */
    uint32_t transfer_timeout_ms; /* transferee: a transfer call unanswered by then fails
                                      (NOTIFY 408) and is cancelled; 0 = 60000 */
    /* Who may make us place a call (src/coord/transfer_policy.c, docs/transfer.md "Who may
     * transfer us"). A REFER starts a call only when its transport source is in trust AND its
     * target matches a refer_allow glob or is a route's target; otherwise it gets 403 (counted
     * in sessioncore_refer_refused_total{reason}). Empty trust or no allowed target (the
     * default): every REFER is refused. A bad CIDR or glob makes sc_coord_new fail (-EINVAL). */
    const char *trust[SC_COORD_MAX_TRUST]; /* sources trusted: "10.0.0.0/8", "::1/128", or one
                                              address "127.0.0.1" (/32, /128); copied */
    size_t ntrust;
    const char *refer_allow[SC_COORD_MAX_REFER_ALLOW]; /* fnmatch(3) globs on the target's
                                                          "[user@]host:port" ("*@10.0.0.5:5060",
                                                          "alice@127.0.0.1:*"); copied */
    size_t nrefer_allow;
    /* media and B2BUA (src/coord/media.c, b2bua.c) */
    const char *media_address;               /* RTP bind/announce address; NULL = the first SIP listener's */
    const char *advertise;                   /* what Via, Contact and From carry (listeners without their own
                                    ",advertise="); NULL: the bound address, or with a wildcard bind
                                    the address the route to each peer goes out of */
    const char *media_advertise;             /* the address in our SDP; NULL: the media address, or with a
                                    wildcard one the route's source toward the peer */
    uint32_t rtp_timeout_ms;                 /* RtpTimeout after this silence; 0 = off (default 30000) */
    bool rtp_latch;                          /* symmetric RTP (NAT): sc_media_config.latch; default false */
    uint32_t rtp_park;                       /* ended calls' RTP pairs kept bound for reuse: sc_media_config.park_max
                                                (default SC_COORD_RTP_PARK_DEFAULT; 0 = off) */
    bool media_off;                          /* no RTP at all: our SDP declines media (port 0); signalling only */
    sc_coord_srtp srtp;                      /* SRTP policy (SDES, RFC 4568); default off */
    bool srtp_offer_savp;                    /* optional: our offers are RTP/SAVP (else RTP/AVP + a=crypto) */
    const char *moh_names[SC_COORD_MAX_MOH]; /* music-on-hold classes: name and file (copied); */
    const char *moh_paths[SC_COORD_MAX_MOH]; /* "default" uses the built-in tune unless given */
    size_t nmoh;
    /* audio codecs in order of preference (sc_sdp_local.codecs, e.g. "opus,g722,pcmu,pcma");
     * NULL or "": SC_COORD_CODECS_DEFAULT */
    const char *codecs;
    const char *route_match[SC_COORD_MAX_ROUTES];  /* B2BUA routes: Request-URI user or glob */
    const char *route_target[SC_COORD_MAX_ROUTES]; /* -> SIP URI of the outgoing leg (copied) */
    size_t nroutes;
    /* Who may reach a route: false (the default) only callers from a trust network or, with
     * users, authenticated ones (others get 403 before any call exists); true: any caller. */
    bool route_open[SC_COORD_MAX_ROUTES];
    /* Per route, the SRTP policy of its outgoing leg: 0 the global srtp; else 1 + sc_coord_srtp. */
    int route_srtp[SC_COORD_MAX_ROUTES];
    /* outbound proxy (src/coord/b2bua.c): a sip: URI our INVITEs are sent through with a
     * pre-loaded Route (RFC 3261 8.1.2; ";lr" added when missing); copied */
    const char *outbound_proxy;                   /* default for every call we place; NULL: none */
    const char *route_proxy[SC_COORD_MAX_ROUTES]; /* per route; NULL: outbound_proxy */
    /* DNS servers for RFC 3263 (sc_sip_config.dns_servers): "IP[:PORT],..."; NULL: resolv.conf */
    const char *dns_servers;
    /* operations (src/coord/metrics.c, events.c, limits.c) */
    uint32_t max_cps;        /* new sessions admitted per second (token bucket); 0 = no limit */
    uint64_t max_memory;     /* resident bytes above which new sessions are refused; 0 = none;
                                SC_COORD_AUTO_MEMORY (the default): 3/4 of the memory limit */
    uint32_t retry_after_s;  /* Retry-After of admission 503s; 0 = 5 */
    uint32_t events_ring;    /* events kept in memory for resume; 0 = 4096 */
    uint32_t events_idle_ms; /* queue subscribers idle this long are reaped; 0 = 30000 */
    bool metrics_off;        /* no metrics registry nor metrics observer: sc_coord_metrics()
                                  returns NULL (default false: metrics on). The engine keeps
                                  its own counts either way (sc_engine_metrics_get()). */
    /* cleanup and session timers (src/coord/cleanup.c, src/sip/session_timer.c) */
    uint64_t max_session_age_ms;  /* older sessions get SessionExpired (BYE/CANCEL via the
                                     table); 0 = no limit; default 86400000 (24 h) */
    uint64_t retention_ms;        /* longest stay in a terminal state (terminated, cancelled,
                                     rejected): caps the table's max_ms and applies to terminal
                                     states without one; 0 = table only; default 300000 */
    uint64_t failed_retention_ms; /* the same for failed states; default 600000 */
    uint32_t session_expires_s;   /* RFC 4028 interval we ask for; 0 = off; default 1800 */
    uint32_t min_se_s;            /* our Min-SE (422 below it); 0 = 90; default 90 */
    /* trunks (src/coord/trunks.c): borrowed during sc_coord_new (copied) */
    const struct sc_coord_trunk_config *trunks;
    size_t ntrunks;
    /* Registrar and digest authentication as a server (src/coord/registrar.c). With users:
     * REGISTER for sip:USER@realm is served (RFC 3261 10.3, digest auth), new out-of-dialog
     * requests from sources not in trust are challenged (INVITE 407, others 401), calls to
     * sip:USER@realm go to USER's registered contacts. Without users: none of it (REGISTER
     * gets 405). A realm with a '"' or users without a realm: -EINVAL. */
    const char *realm;          /* our SIP domain and digest realm (copied) */
    const sc_coord_user *users; /* copied (secrets too; never logged) */
    size_t nusers;
    bool users_in_store;            /* users also kept in the store (sc_coord_user_put): the registrar runs
                            with a realm even without configured users */
    uint32_t reg_min_expires_s;     /* shorter registrations get 423; 0 = 60 */
    uint32_t reg_max_expires_s;     /* longer ones are cut to it; 0 = 3600 */
    uint32_t reg_default_expires_s; /* when the REGISTER names none; 0 = 3600 */
    uint32_t auth_max_failures;     /* failures from one source within auth_window_s before it gets
                                         403 for auth_block_s; 0 = 10, 60, 300 */
    uint32_t auth_window_s, auth_block_s;
    uint32_t auth_nonce_ttl_s;   /* 0 = 300 */
    const char *auth_algorithms; /* challenges offered, in order: "SHA-256,MD5" (NULL), "MD5,SHA-256",
                                    "SHA-256", "MD5" (sc_sip_auth_config.algorithms) */
    /* SIP over TLS (sc_sip_config.tls_*; src/sip/tls.c): certificate, key and CA set (paths or
     * PEM text), borrowed during sc_coord_new; tls_no_verify: outgoing TLS accepts any
     * certificate (labs only). A "tls:" listener needs tls_cert and tls_key. */
    const char *tls_cert, *tls_key, *tls_ca;
    bool tls_no_verify;
    uint32_t tls_handshake_ms; /* an unfinished TLS handshake is dropped after; 0 = 10000 */
    uint32_t sip_keepalive_ms; /* RFC 5626 CRLF pings on our TCP/TLS connections carrying a dialog
                                  (sc_sip_config.keepalive_ms); 0 = none */
    /* Embedding (src/coord/embed.c, docs/embedding.md): the host program's own guards and
     * actions, bound after the built-in ones and before the table is checked, so a table that
     * declares and uses its own names (`vocabulary: {actions: [NotifyCRM]}`) loads. Borrowed
     * during sc_coord_new (the ud pointers are kept). */
    const struct sc_coord_binding *bindings;
    size_t nbindings;
    /* voice apps (src/coord/voice.c): PlayFile's relative paths are taken under this directory
     * (copied); NULL: the process's working directory */
    const char *sounds_dir;
} sc_coord_config;

/* max_sessions and max_memory "derive it" (sc_coord_config_default sets them): see
 * sc_coord_limits. 0 stays "no limit". */
#define SC_COORD_AUTO_SESSIONS SIZE_MAX
#define SC_COORD_AUTO_MEMORY UINT64_MAX

/* Fill cfg with defaults (everything zero/NULL but the documented defaults). */
SC_EXPORT void sc_coord_config_default(sc_coord_config *cfg);

/* Create the coordinator and bind the SIP listeners. *out set only on success. Errors:
 * -EINVAL (bad config or listen spec), SC_E_UNBOUND (the table uses a guard or action with no
 * binding), -EADDRINUSE and other socket errors, -ENOMEM. Nothing is left open on failure. */
SC_EXPORT int sc_coord_new(sc_coord **out, const sc_coord_config *cfg);
/* Close every handle (running the loop until they are closed), free every session. NULL ok. */
SC_EXPORT void sc_coord_free(sc_coord *coord);

/* ---- Commands. Each dispatches the matching table event on the session and returns the
 * engine's distinct result: 0 (transition taken), SC_E_NOT_ACCEPTED (the state has no row for
 * the event), SC_E_GUARDS_FAILED (rows exist, all guards failed), SC_E_ACTION_FAILED (an
 * action failed; the table's ActionFailed path ran), -ENOENT (no such session), -EINVAL (bad
 * argument), SC_E_OVERLOAD (shutting down or session limit). ---------------------------- */

/* Outgoing call: creates a uac session and dispatches MakeCall (which sends the INVITE).
 * to is a SIP URI; from may be NULL (sip:sessiond@<first listener>). id receives the new
 * session's id (at least SC_SESSION_ID_MAX + 1 bytes). */
SC_EXPORT int sc_coord_make_call(sc_coord *coord, const char *to, const char *from, char *id, size_t idsize);
/* How one call we place goes out, beyond to and from (borrowed for the call; NULL: defaults). */
typedef struct sc_coord_call_opts {
    const char *proxy;          /* outbound proxy URI for this call; NULL: the configured outbound_proxy */
    const char *const *targets; /* parallel fork: Request-URIs rung at once (To stays to); the first
                                   2xx wins, the others are CANCELled; ntargets 0: to only */
    size_t ntargets;            /* at most SC_COORD_MAX_TARGETS */
    const char *trunk;          /* a trunk to send it through (src/coord/trunks.c: its proxy, credentials,
                                   domain; to may then be "sip:user" or "user"; without from the trunk's
                                   AOR); -ENOENT: no such trunk; not with targets. NULL: none */
    int srtp;                   /* the call's SRTP policy: 0 the global one; else 1 + sc_coord_srtp */
} sc_coord_call_opts;
#define SC_COORD_MAX_TARGETS 16
/* sc_coord_make_call with options (opts may be NULL). -EINVAL also for a proxy or a target
 * that is not a sip: URI, or too many targets. */
SC_EXPORT int sc_coord_make_call_opts(sc_coord *coord, const char *to, const char *from, const sc_coord_call_opts *opts,
                                      char *id, size_t idsize);
SC_EXPORT int sc_coord_accept(sc_coord *coord, const char *id);
SC_EXPORT int sc_coord_reject(sc_coord *coord, const char *id, int code); /* code 0 = 486 */
SC_EXPORT int sc_coord_hangup(sc_coord *coord, const char *id);
/* Dispatch one of the table's own events (declared in its vocabulary: `vocabulary: {events:
 * [...]}`) to the session, with code and text (NULL: "api"), and return the engine's result
 * (0, SC_E_NOT_ACCEPTED, SC_E_GUARDS_FAILED, SC_E_ACTION_FAILED). -ENOENT no session,
 * -ENODATA no event of that name in the session's table, -EPERM a built-in event (SIP,
 * media, timers and commands come from their own paths), -EINVAL. */
SC_EXPORT int sc_coord_send_event(sc_coord *coord, const char *id, const char *event, int32_t code, const char *text);
/* sc_coord_send_event() that first sets nvars session variables (vars: name, value, name,
 * value...). The event is refused (SC_E_NOT_ACCEPTED) before any variable changes when the
 * session's state has no row for it; -EINVAL (a bad name or value) and -E2BIG (too many) are
 * checked before too. While the session waits on a webhook the variables are set at once and
 * the event queues behind the pending run (0). */
SC_EXPORT int sc_coord_send_event_vars(sc_coord *coord, const char *id, const char *event, int32_t code,
                                       const char *text, const char *const *vars, size_t nvars);
/* The operator's way out of a session the table will not end: ends its SIP side at once (BYE
 * when confirmed, CANCEL for our unanswered INVITE, 480 for an unanswered incoming one),
 * records a Killed entry in its history (persisted and published like a transition), logs a
 * warning and removes the session (reason "killed"). state (may be NULL) gets the state it
 * was in. 0, -EINVAL, -ENOENT, -EBUSY (inside its own dispatch). */
SC_EXPORT int sc_coord_kill(sc_coord *coord, const char *id, char *state, size_t state_cap);
SC_EXPORT int sc_coord_hold(sc_coord *coord, const char *id);
SC_EXPORT int sc_coord_resume(sc_coord *coord, const char *id);
/* Hold with the music on hold class moh (NULL: the table's choice): the class is used by the
 * table's PlayMusicOnHold for this hold. -ENODATA when no class has that name, -EINVAL, and
 * the results of sc_coord_hold. */
SC_EXPORT int sc_coord_hold_moh(sc_coord *coord, const char *id, const char *moh);
SC_EXPORT int sc_coord_dtmf(sc_coord *coord, const char *id, const char *digits);
/* Transfer (src/coord/transfer.c). Blind: REFER the peer to target (a sip: URI with a host:
 * an IP literal or a name; -EINVAL otherwise); BlindTransfer. Attended: with consult_id (an answered call of
 * ours, -EINVAL otherwise) REFER with Replaces naming it (CompleteAttendedTransfer); with only
 * target, hold this call and call target for a consultation (StartAttendedTransfer); with
 * neither, complete with the consultation started before. Cancel: end the consultation and
 * resume this call (CancelAttendedTransfer). Results as for the other commands. */
SC_EXPORT int sc_coord_transfer(sc_coord *coord, const char *id, const char *target);
SC_EXPORT int sc_coord_transfer_attended(sc_coord *coord, const char *id, const char *consult_id, const char *target);
SC_EXPORT int sc_coord_transfer_cancel(sc_coord *coord, const char *id);
/* Bridge two active sessions (links them as peers, dispatches BridgeSessions on both: RTP is
 * relayed between them); -EINVAL if a == b, -EBUSY if either is linked to another session. */
SC_EXPORT int sc_coord_bridge(sc_coord *coord, const char *a, const char *b);
/* Split a bridge (UnbridgeSessions on the session and its peer; the link is removed). */
SC_EXPORT int sc_coord_unbridge(sc_coord *coord, const char *id);

/* ---- Conference rooms (src/coord/conference.c; the table's JoinConference) -------------- */

/* Mute (the room stops hearing it) or unmute session id in its conference room: 0, -ENOENT
 * (no such session), -ENOTCONN (the session is in no room). */
SC_EXPORT int sc_coord_conference_mute(sc_coord *coord, const char *id, bool mute);
/* The rooms, by name: [{"room": NAME, "participants": [{"id": ID, "muted": BOOL}, ...]}, ...]
 * (participants in join order); with room non-NULL that one room's object, or -ENOENT. */
SC_EXPORT int sc_coord_conferences(sc_coord *coord, const char *room, json_t **out);

/* ---- Inspection (new references / malloc'd strings the caller releases) ---------------- */

SC_EXPORT int sc_coord_sessions(sc_coord *coord, json_t **out); /* array of summaries */
/* One page of the sessions (summaries, creation order), filtered: state (a state name, NULL:
 * any), role (SC_ROLE_UAC/UAS, or -1: any), live (true: only sessions not in a terminal state);
 * after: the cursor of the previous page (0: the first); limit: at most that many (0: 100,
 * capped at 1000). At most 16 * limit sessions are looked at, so a page's cost follows the
 * page; a filtered page may hold fewer than limit. *next: the next page's cursor, 0 when none
 * follows. */
#define SC_COORD_PAGE_DEFAULT 100
#define SC_COORD_PAGE_MAX 1000
typedef struct sc_coord_list {
    const char *state;
    int role;
    bool live;
    uint64_t after;
    size_t limit;
} sc_coord_list;
SC_EXPORT int sc_coord_sessions_page(sc_coord *coord, const sc_coord_list *q, json_t **out, uint64_t *next);
SC_EXPORT int sc_coord_inspect(sc_coord *coord, const char *id, json_t **out);   /* -ENOENT */
SC_EXPORT int sc_coord_history(sc_coord *coord, const char *id, json_t **out);   /* -ENOENT */
SC_EXPORT int sc_coord_history_csv(sc_coord *coord, const char *id, char **out); /* -ENOENT */
/* The table as JSON, DOT or Mermaid; session_id (may be NULL) highlights that session's path
 * (-ENOENT if it does not exist). */
SC_EXPORT int sc_coord_table_export(sc_coord *coord, sc_graph_format fmt, const char *session_id, char **out);

/* ---- History read off the loop (src/coord/history_reader.c) ---------------------------------
 * sc_coord_history, sc_coord_history_csv and sc_coord_table_export read the history of a
 * compacted or removed session from the store on the calling thread: with Redis or
 * PostgreSQL a round trip that would stall the loop. A server reads it in two halves instead:
 * on the loop, sc_coord_history_read_start takes what is in memory (whether the session
 * exists, the ring's records the store may not have yet, the table and role for a graph); the
 * coordinator's history reader, a thread with a store connection of its own, reads the store
 * (one read at a time, at most SC_COORD_HISTORY_QUEUE waiting), merges as sc_coord_history
 * does and makes the answer (a graph is drawn back on the loop); another thread waits for it
 * with sc_coord_history_read_wait. The answers are those of the synchronous calls. */
#define SC_COORD_HISTORY_QUEUE 16
typedef struct sc_coord_history_read sc_coord_history_read;
typedef enum sc_coord_history_as {
    SC_HISTORY_AS_JSON,  /* sc_coord_history's array as compact JSON (keys in order, no newline) */
    SC_HISTORY_AS_CSV,   /* sc_coord_history_csv's text */
    SC_HISTORY_AS_GRAPH, /* sc_coord_table_export(graph_fmt) of the session's table and path */
} sc_coord_history_as;
/* Loop thread. Starts the read of id's history; *out is a read to wait for or free (ready at
 * once when memory had the answer). -ENOENT: no such session in memory and no durable store
 * to ask (a graph: no such session), SC_E_OVERLOAD: SC_COORD_HISTORY_QUEUE reads wait already,
 * -EINVAL, -ENOMEM, -EAGAIN (the reader thread could not start). */
SC_EXPORT int sc_coord_history_read_start(sc_coord *coord, const char *id, sc_coord_history_as as,
                                          sc_graph_format graph_fmt, sc_coord_history_read **out);
/* Any thread but the loop's (a graph is finished on the loop). Waits at most timeout_ms for
 * the answer and frees r, whatever the result: 0 and *text (malloc'd, the caller frees);
 * -ENOENT (neither memory nor the store knows the session), -ETIMEDOUT (the store did not
 * answer in time: the read goes on and its answer is dropped), -ECANCELED (the coordinator
 * closed before the read was made), the store's error (-ECONNREFUSED, -EIO, ...) or -ENOMEM.
 * msg (may be NULL) receives a readable reason with an error ("" on success). A read may be
 * waited for or freed after sc_coord_free. */
SC_EXPORT int sc_coord_history_read_wait(sc_coord_history_read *r, unsigned timeout_ms, char **text, char *msg,
                                         size_t msgsz);
/* Frees r without waiting (a read under way ends and is dropped). NULL is fine; any thread. */
SC_EXPORT void sc_coord_history_read_free(sc_coord_history_read *r);
SC_EXPORT const sc_table *sc_coord_table(const sc_coord *coord);
/* The bound address of SIP listener idx (in config order); -ENOENT if none. */
SC_EXPORT int sc_coord_listener_addr(const sc_coord *coord, size_t idx, struct sockaddr_storage *out);
SC_EXPORT size_t sc_coord_session_count(const sc_coord *coord);
/* Sessions not in a terminal state. */
SC_EXPORT size_t sc_coord_active_count(const sc_coord *coord);
/* Resources held by every session in the store (resources.c; loop thread only):
 * bytes = records, strings, history rings, queued events and SIP leg attachments; timers =
 * armed engine timers; rtp_sockets = RTP + RTCP sockets of open media streams. */
typedef struct sc_coord_resources {
    uint64_t sessions, bytes, history_entries, timers, rtp_sockets;
} sc_coord_resources;
SC_EXPORT int sc_coord_resources_total(sc_coord *coord, sc_coord_resources *out); /* 0, -EINVAL */
/* The same total a part at a time, so that a loop holding a million sessions is not stopped
 * for the whole walk: adds at most max sessions (creation order, from those after *cursor, 0
 * = the first) to *acc and moves *cursor on. Returns 1 when the walk is complete (*cursor is
 * then 0 and *acc the total), 0 when more follow, -EINVAL. Sessions created or removed while
 * a walk goes on are counted or not as the cursor finds them. */
SC_EXPORT int sc_coord_resources_walk(sc_coord *coord, uint64_t *cursor, size_t max, sc_coord_resources *acc);

/* ---- Admission limits (src/coord/admission.c) -----------------------------------------------
 * The caps in force, as given or derived at sc_coord_new (docs/operations.md, "Admission
 * limits"). memory_basis is the memory the automatic values come from: the cgroup's limit
 * (v2 memory.max, v1 memory.limit_in_bytes) when below the physical memory, else the physical
 * memory. Automatic max_sessions: half of it at SC_COORD_SESSION_BUDGET bytes a session;
 * automatic max_memory: 3/4 of it. media_pairs: the RTP/RTCP pairs admission hands out, the
 * range's, fewer when RLIMIT_NOFILE cannot hold two sockets per pair besides a reserve of a
 * quarter of the descriptors (at least 64); a new session needs one pair for each leg it
 * brings (2 for an INVITE a B2BUA route forwards), counting every active session as holding
 * one: without room it is refused ("media_ports") before any provisional response. */
#define SC_COORD_SESSION_BUDGET (64u * 1024u) /* bytes a session may cost (measured: ~23 kB) */
typedef struct sc_coord_limits {
    size_t max_sessions;         /* 0 = none */
    uint64_t max_memory;         /* resident bytes; 0 = none */
    uint32_t max_cps;            /* 0 = none */
    uint32_t media_pairs;        /* pairs admission hands out (0: no media) */
    uint32_t media_pairs_range;  /* pairs in the RTP port range */
    uint32_t media_pairs_used;   /* pairs open streams hold now */
    uint32_t media_pairs_parked; /* pairs kept bound after their calls, for reuse (rtp_park) */
    bool sessions_auto, memory_auto;
    uint64_t memory_basis; /* bytes (0: unknown) */
    uint64_t fd_limit;     /* RLIMIT_NOFILE soft limit (0: unknown or unlimited) */
} sc_coord_limits;
SC_EXPORT int sc_coord_admission_limits(const sc_coord *coord, sc_coord_limits *out); /* 0, -EINVAL */
/* The reason of the latest admission refusal ("max_sessions", "media_ports", ...; static), or
 * NULL when nothing was refused yet: what a SC_E_OVERLOAD from a command was about. */
SC_EXPORT const char *sc_coord_admission_refusal(const sc_coord *coord);

/* Credentials that answer a digest challenge (401/407) to our calls' INVITEs (realm NULL: any
 * realm; sc_sip_add_credentials). Copied, never logged. 0, -EINVAL, -ENOMEM. */
SC_EXPORT int sc_coord_add_credentials(sc_coord *coord, const char *realm, const char *user, const char *password);

/* ---- Trunks (src/coord/trunks.c) ------------------------------------------------------------
 * A trunk is a SIP account at a carrier or PBX: calls sent through it go to its proxy (or its
 * uri) with its credentials; with do_register its binding is kept up by REGISTER from start to
 * stop (an un-REGISTER at stop). A B2BUA route target "trunk:NAME" sends the routed call
 * through it (the Request-URI user at the trunk's domain). */
typedef struct sc_coord_trunk_config {
    const char *name;                    /* [A-Za-z0-9_.-]{1,63}, unique */
    const char *uri;                     /* the registrar / domain: "sip:carrier.example.test[:port]" */
    const char *proxy;                   /* outbound proxy URI, or NULL (calls then go to uri) */
    const char *username;                /* account: the AOR is sip:username@<uri's host> */
    const char *password;                /* for 401/407 (NULL: none); copied, never logged */
    bool do_register;                    /* keep a registration */
    unsigned expires_s;                  /* expiry asked for; 0 = 3600 */
    unsigned retry_min_ms, retry_max_ms; /* backoff after a failed REGISTER; 0 = 30000, 600000 */
    int srtp;                            /* calls through it: 0 the global SRTP policy; else 1 + sc_coord_srtp */
} sc_coord_trunk_config;
#define SC_COORD_MAX_TRUNKS 64

/* The trunks and their registration: a new JSON array of {name, uri, proxy, username,
 * register, state ("unregistered" without register), last_status, last_reason, last_outcome,
 * expires, expires_left, failures, next_attempt_ms, attempts}. */
SC_EXPORT int sc_coord_trunks(sc_coord *coord, json_t **out);
/* One trunk as in sc_coord_trunks; -ENOENT. */
SC_EXPORT int sc_coord_trunk(sc_coord *coord, const char *name, json_t **out);

/* Shutdown: un-REGISTER every registering trunk now (Expires 0, challenges answered, no more
 * refreshes); done(ud) runs on the loop once every answer is in (or at once when there is
 * nothing to wait for). Bound the wait yourself: a registrar that does not answer takes 64*T1. */
SC_EXPORT void sc_coord_trunks_unregister(sc_coord *coord, void (*done)(void *ud), void *ud);
/* Registrar (src/coord/registrar.c): the bindings now, a new JSON array of
 * {"aor", "contacts": [{"uri", "expires" (seconds left), "q", "instance", "reg_id", "source",
 * "user_agent", "call_id", "cseq"}]}. -ENOENT when the registrar is off (no users). */
SC_EXPORT int sc_coord_registrations(sc_coord *coord, json_t **out);
/* Registrar users kept in the store (users_in_store; src/coord/registrar_users.c): adds or
 * replaces user ([A-Za-z0-9._+-]{1,64}) with a password (its MD5 and SHA-256 HA1s for the realm
 * are stored, never the password) or with both HA1s (hex). Loaded back at start; another node
 * on the store sees it at its next start. 0 added, 1 replaced, -EINVAL (bad name or secret),
 * -EEXIST (a configured user of that name), -ENOENT (no registrar), -ENOTSUP (no store). */
SC_EXPORT int sc_coord_user_put(sc_coord *coord, const char *user, const char *password, const char *ha1,
                                const char *ha1_sha256);
/* Removes a stored user: 0, -ENOENT (no such user, or no registrar), -EPERM (a configured
 * user), -ENOTSUP (no store). */
SC_EXPORT int sc_coord_user_delete(sc_coord *coord, const char *user);
/* The users, a new JSON array of {"user", "source": "file" | "store"} (no secrets); -ENOENT
 * when the registrar is off. */
SC_EXPORT int sc_coord_users(sc_coord *coord, json_t **out);

/* ---- Shutdown ---------------------------------------------------------------------------- */

/* Stop taking new calls (new INVITEs get 503, make_call SC_E_OVERLOAD) and end every active
 * call by dispatching Shutdown (or HangupCall where Shutdown is not accepted). done(ud) is
 * called on the loop once no session is active (possibly before this returns). */
SC_EXPORT void sc_coord_shutdown(sc_coord *coord, void (*done)(void *ud), void *ud);
/* Drain: stop taking new calls as sc_coord_shutdown does, but let the active calls go on until
 * they end by themselves; done(ud) is called on the loop once no session is active (possibly
 * before this returns). sc_coord_shutdown may follow to end the calls still up. */
SC_EXPORT void sc_coord_drain(sc_coord *coord, void (*done)(void *ud), void *ud);
SC_EXPORT bool sc_coord_shutting_down(const sc_coord *coord);

/* ---- Operations: metrics, events, table reload (obs.c, events.c, reload.c) ---- */

struct sc_obs_registry;
struct sc_events_bus;
struct sc_events_sub;
struct sc_events_sub_cfg;

/* The coordinator's metrics registry (borrowed; render it with sc_obs_render on the loop);
 * NULL when the coord was made with metrics_off. */
SC_EXPORT struct sc_obs_registry *sc_coord_metrics(sc_coord *coord);
/* The event bus (borrowed): session events as in docs/events.md. */
SC_EXPORT struct sc_events_bus *sc_coord_events_bus(sc_coord *coord);
/* Subscribe to session events (events.h); since NULL = from now on, else replay seq > *since
 * first (ring, then a Gap event). *out only on success; release with sc_coord_unsubscribe so the
 * subscription's drop counts stay in the metrics. */
SC_EXPORT int sc_coord_subscribe(sc_coord *coord, const struct sc_events_sub_cfg *cfg, const uint64_t *since,
                                 struct sc_events_sub **out);
/* Resume from a point (epoch, last_seq) a consumer kept (sc_events_subscribe_resume): another
 * run's point gets a StreamReset event, then this run's events from its first. */
SC_EXPORT int sc_coord_subscribe_resume(sc_coord *coord, const struct sc_events_sub_cfg *cfg, uint64_t epoch,
                                        uint64_t last_seq, struct sc_events_sub **out);
SC_EXPORT void sc_coord_unsubscribe(sc_coord *coord, struct sc_events_sub *sub);
/* Reload the table from path, or from buf/len when buf is non-NULL (name labels diagnostics).
 * Validated in full first; running sessions keep their version. report: the engine's reload
 * report (a new reference, may be NULL). Publishes TableReloaded. 0, SC_E_INVALID_TABLE,
 * SC_E_UNBOUND, -ENOENT/-EIO (file), -ENOMEM. */
SC_EXPORT int sc_coord_table_reload(sc_coord *coord, const char *path, const char *name, const char *buf, size_t len,
                                    json_t **report);
/* Check a candidate without applying it (report as sc_engine_validate_buffer). */
SC_EXPORT int sc_coord_table_validate(sc_coord *coord, const char *name, const char *buf, size_t len, json_t **report);
/* The live table versions (sc_engine_table_versions): a new JSON array. */
SC_EXPORT int sc_coord_table_versions(sc_coord *coord, json_t **out);

/* ---- Persistence and crash recovery (src/coord/store.c, recover.c) ---------------------- */

typedef struct sc_coord_store_config {
    const char *url;                  /* "memory:", "sqlite:PATH", "redis://...", "postgresql://..." */
    sc_persist_durability durability; /* strict (default), batched, none (nothing stored) */
    const char *node_id;              /* owner of the snapshots; NULL: "<hostname>:<first SIP port>" */
    unsigned snapshot_every;          /* a snapshot every N event records; 0 = 16 */
    size_t queue_cap;                 /* writer queue; 0 = 65536; full: new calls get 503 */
    /* Event log retention: every prune_interval_ms (0 = 60000) the events older than this of
     * sessions no longer in the store (ended and reaped) are removed through the writer, in
     * rounds of at most 250; counted in sessioncore_store_events_pruned_total. 0 = keep
     * them forever. */
    uint64_t event_log_retention_ms;
    unsigned prune_interval_ms;
    /* A node of a cluster (sc_coord_cluster_start follows): the store's node id is this run's
     * incarnation, "<node_id>/<start time in µs>", and nothing is recovered here: the sessions
     * of earlier incarnations are taken over once their node lease expires. */
    bool cluster;
} sc_coord_store_config;

typedef struct sc_coord_store_report {
    char node_id[128];  /* the node id in use */
    size_t recovered;   /* sessions restored from the store */
    size_t failed;      /* snapshots that could not be restored (skipped) */
    size_t resolved;    /* recovered sessions whose in-flight transaction was resolved */
    size_t media_moved; /* streams that could not get their old RTP port back */
    double seconds;     /* time spent in recovery */
} sc_coord_store_report;

/* Open the store (cfg->url), recover its live sessions of this node, then start recording
 * through an asynchronous writer. Call once, after sc_coord_new and before the loop runs.
 * rep (may be NULL) receives what recovery did. err gets a one-line message on failure.
 * 0, -EINVAL (bad URL / config), -EALREADY, a store error (-ECONNREFUSED, -EIO, -EPROTO),
 * -ENOMEM. With durability none nothing is opened and 0 is returned. */
SC_EXPORT int sc_coord_store_open(sc_coord *coord, const sc_coord_store_config *cfg, sc_coord_store_report *rep,
                                  char *err, size_t errsz);

/* The writer's health (thread-safe snapshot). -ENOENT when no store is open (durability
 * none or sc_coord_store_open not called). backend (may be NULL) receives "sqlite"... */
SC_EXPORT int sc_coord_store_health(sc_coord *coord, sc_persist_health *out, const char **backend);

/* Messages held by strict durability: now waiting, and in total since start. */
SC_EXPORT void sc_coord_store_held(const sc_coord *coord, size_t *waiting, uint64_t *total);

/* ---- A cluster of nodes on one shared store (src/coord/cluster.c, docs/scale-out.md) -------
 * After sc_coord_store_open with .cluster set, on a shared store (Redis or PostgreSQL; SQLite
 * for nodes on one machine). The nodes' wall clocks must agree to well within lease_ms / 4. */

typedef struct sc_coord_cluster_config {
    unsigned lease_ms;    /* the node lease; 0 = 2000; renewed every lease_ms / 4 */
    const char *http_url; /* this node's HTTP API ("http://127.0.0.2:8080"): where the others send
                             a client asking for one of our sessions; may be NULL */
    const char *sip_uri;  /* this node's SIP address, shown to the others; may be NULL */
    /* The node lost its lease (the store did not confirm it within lease_ms * 3/4, or another
     * node took it): it has stopped acting on its sessions (let go without a word on the wire,
     * recording stopped, new calls refused) and is no longer part of the cluster; the host
     * should exit so that it comes back as a new incarnation. Called once, on the loop. */
    void (*on_fenced)(void *ud, const char *why);
    void *ud;
} sc_coord_cluster_config;

/* Join the cluster: take this incarnation's node lease (synchronously: a node that cannot
 * does not start) and start the thread that renews it and takes over the sessions of
 * incarnations whose lease expired. 0, -EINVAL (no shared store, bad lease; err says which),
 * -EALREADY, a store error. */
SC_EXPORT int sc_coord_cluster_start(sc_coord *coord, const sc_coord_cluster_config *cfg, char *err, size_t errsz);
/* Hand every session to the other nodes (a drain's end): recording stops, what was queued is
 * committed (at most flush_ms), the sessions go from here without a word on the wire, and the
 * node lease ends now, so the other nodes take them at their next scan (lease_ms / 4).
 * 0, -ENOENT (not in a cluster), -ESTALE (fenced already), -ETIMEDOUT (not all committed),
 * a store error (the lease could not be ended: the sessions are taken when it expires). */
SC_EXPORT int sc_coord_cluster_handover(sc_coord *coord, unsigned flush_ms);
/* Where a session lives, from any thread with its own handle p on the shared store: the
 * owning incarnation (node, may be NULL) and its HTTP API's URL (url). 0; -ENOENT: no live
 * session of that id in the store, or its owner is not alive (being taken over); -ENODATA:
 * the owner gave no URL. */
SC_EXPORT int sc_coord_cluster_locate(sc_persist *p, const char *session_id, char *node, size_t node_cap, char *url,
                                      size_t url_cap);
/* This node's incarnation (borrowed; "" when not in a cluster). */
SC_EXPORT const char *sc_coord_cluster_incarnation(const sc_coord *coord);
/* The live incarnations, a new JSON array of {"incarnation", "http", "sip", "self"}, from the
 * store (p: the caller's own handle; self_inc may be NULL). */
SC_EXPORT int sc_coord_cluster_nodes(sc_persist *p, const char *self_inc, json_t **out);

/* ---- The recorder and recovery on a bare engine (src/coord/recorder.c) -------------------
 * What sc_coord_store_open uses; also usable without a coordinator (sessionctl simulate). */

typedef struct sc_coord_persist sc_coord_persist;

typedef struct sc_coord_persist_stats {
    uint64_t events;    /* event records submitted (creation records included) */
    uint64_t snapshots; /* snapshots submitted */
    uint64_t deletes;   /* snapshot deletions submitted (sessions removed) */
    uint64_t rejected;  /* submits refused by the writer (-EAGAIN: queue full) */
    uint64_t errors;    /* records that could not be built (-ENOMEM) or other submit errors */
    uint64_t tables;    /* table versions whose text was submitted (sc_persist_save_table) */
} sc_coord_persist_stats;

#define SC_COORD_PERSIST_DEFAULT_EVERY 16

/* Attach a recorder to e writing through w (both borrowed; they must outlive the recorder).
 * For every session: on creation the creation record (seq 0) and a snapshot; on every
 * dispatch run the event record (seq = history seq), and a snapshot when seq is a multiple of
 * snapshot_every (0 = SC_COORD_PERSIST_DEFAULT_EVERY) or the run entered a terminal state; on
 * removal the snapshot is deleted (the events stay). Snapshots carry "node": node_id (copied,
 * may be NULL) and are saved with node_id and the table hash. *out set only on success:
 * -EINVAL, -ENOMEM, -ENOSPC (the engine has no observer slot left). */
SC_EXPORT int sc_coord_persist_attach(sc_engine *e, sc_persist_writer *w, const char *node_id, unsigned snapshot_every,
                                      sc_coord_persist **out);
/* Stop recording (the observer is removed); the recorder stays readable. Idempotent. */
SC_EXPORT void sc_coord_persist_detach(sc_coord_persist *r);
/* Detach, then free. NULL is fine. */
SC_EXPORT void sc_coord_persist_free(sc_coord_persist *r);
SC_EXPORT void sc_coord_persist_get_stats(const sc_coord_persist *r, sc_coord_persist_stats *out);
/* Submit a snapshot of s now (e.g. after the coord filled its dialog fields outside a dispatch).
 * 0, -EAGAIN (queue full), -ENOMEM. */
SC_EXPORT int sc_coord_persist_snapshot(sc_coord_persist *r, sc_session *s);

/* Called for each recovered session, after its record is rebuilt and before anything else
 * happens to it: rebuild the SIP dialog and media from its fields, then dispatch Recovered. */
typedef void (*sc_coord_recovered_fn)(sc_session *s, void *ud);

/* Recovery at start, BEFORE sc_coord_persist_attach (so that rebuilding is not recorded again):
 * for every live snapshot in p (only those written by node_id when it is not NULL; snapshots
 * without a node are taken by any node) restore the session on table, or with table NULL on
 * its own version: the current table when the snapshot's table_hash is current, else the
 * version rebuilt from the text the recorder stored (sc_persist_load_table; the current
 * table if there is none), applying the event records logged after the snapshot, then call on_recovered(s, ud) (may be NULL). A session whose id is
 * already in the store is skipped; a snapshot that cannot be restored is skipped and counted
 * in *failed (may be NULL). *recovered (may be NULL) receives
 * how many were restored. Returns 0 or the store's error (sessions restored before it stay). */
SC_EXPORT int sc_coord_persist_recover(sc_engine *e, sc_persist *p, const char *node_id, sc_table *table,
                                       sc_coord_recovered_fn on_recovered, void *ud, size_t *recovered, size_t *failed);

/* ---- Embedding: a host program drives the coordinator (src/coord/embed.c) ----------------
 * docs/embedding.md. Everything runs on the thread of the loop given in sc_coord_config.loop:
 * the host calls these functions and the commands above there, and its guards, actions,
 * engine observers and bus callbacks are called there. */

/* One host guard or action (sc_coord_config.bindings): name is a guard or action of the
 * table's vocabulary (its `vocabulary:` section, or one the host added with sc_vocab_add
 * before loading the table); fn receives ud as x->ud. A guard returns its verdict; an action
 * 0 or a negative error (the table's ActionFailed path). */
typedef struct sc_coord_binding {
    sc_vocab_kind kind;  /* SC_VOCAB_GUARD or SC_VOCAB_ACTION */
    const char *name;    /* borrowed during sc_coord_new */
    sc_guard_fn guard;   /* kind SC_VOCAB_GUARD */
    sc_action_fn action; /* kind SC_VOCAB_ACTION */
    void *ud;
} sc_coord_binding;

/* The coordinator's engine (borrowed, lives as long as the coord): for sc_engine_add_observer
 * (the coord uses up to 4 of its SC_ENGINE_MAX_OBSERVERS slots), sc_engine_store to read a
 * session's fields and history, and binding names after sc_coord_new (for a later reload).
 * Do not remove its sessions or set its table directly: use sc_coord_kill and
 * sc_coord_table_reload. NULL when coord is NULL. */
SC_EXPORT sc_engine *sc_coord_engine(sc_coord *coord);
/* The session of that id (borrowed: valid on the loop thread until the next dispatch or loop
 * turn may remove it), or NULL. */
SC_EXPORT sc_session *sc_coord_session(sc_coord *coord, const char *id);
/* Bind one more host guard or action after sc_coord_new (as sc_engine_bind_guard/_action: a
 * name is bound once). 0, -EEXIST, -ENOENT (not in the vocabulary), -EINVAL. */
SC_EXPORT int sc_coord_bind(sc_coord *coord, const sc_coord_binding *b);

/* ---- Watching a file (src/coord/watch.c): behind `sessiond --watch` ---------------------- */

typedef struct sc_coord_watch sc_coord_watch;

/* Start watching path (its directory must exist; the file need not yet). on_change(ud) runs
 * on loop once per burst of events naming the file (create, write, rename onto it, delete,
 * attribute change), debounce_ms (0 = 200) after the last one. If the directory watch fails
 * (e.g. the directory was replaced) it is re-armed on the next debounce tick. path is copied.
 * *out set only on success; -EINVAL, -ENOMEM, or a libuv error (negative errno). */
SC_EXPORT int sc_coord_watch_start(uv_loop_t *loop, const char *path, unsigned debounce_ms, void (*on_change)(void *ud),
                                   void *ud, sc_coord_watch **out);
/* Stop: no callback after this returns. The memory is freed once libuv has closed the
 * handles (the loop must run once more). NULL is fine. */
SC_EXPORT void sc_coord_watch_stop(sc_coord_watch *w);
/* How many callbacks have run (for tests and metrics). */
SC_EXPORT unsigned long sc_coord_watch_fired(const sc_coord_watch *w);

#endif
