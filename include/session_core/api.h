/* api: the public coordinator of session-core. It owns the SIP stack, the engine and the
 * session store on one libuv loop, binds the table's SIP, media and bookkeeping actions and
 * guards to real operations, turns every SIP event of a call into a table event on its
 * session, and offers the application commands (make_call, accept, reject, hangup, hold,
 * resume, dtmf) and inspection. Every function must be called on the loop's thread. */
#ifndef SESSION_CORE_API_H
#define SESSION_CORE_API_H

#include <jansson.h>
#include <uv.h>

#include "session_core/base.h"
#include "session_core/store.h"
#include "session_core/table.h"

typedef struct sc_api sc_api;

#define SC_API_MAX_LISTEN 8

typedef struct sc_api_config {
    uv_loop_t *loop;          /* borrowed; must outlive the api */
    const sc_clock *clock;    /* borrowed; NULL = sc_clock_system() */
    const sc_logger *logger;  /* borrowed; may be NULL */
    sc_table *table;          /* the api takes its own reference */
    const char *listen[SC_API_MAX_LISTEN]; /* "udp:127.0.0.1:5060", "tcp:[::1]:5060" (copied) */
    size_t nlisten;           /* 0 = udp:127.0.0.1:5060 */
    bool auto_answer;         /* the AutoAnswer guard's answer */
    uint32_t ring_delay_ms;   /* ScheduleAutoAnswer's delay when the table gives none */
    uint32_t sip_t1_ms;       /* RFC 3261 T1; 0 = 500 */
    size_t max_sessions;      /* 0 = unlimited; above it new INVITEs get 503 */
    unsigned sip_max_transactions; /* SIP transactions alive (incl. lingering ones, ~32 s with
                                      T1 500 on UDP); 0 = 65536; above it 503 */
    unsigned sip_max_calls;   /* SIP call objects alive (released ones linger as long as their
                                 transactions); 0 = 32768, or derived from max_sessions */
    uint16_t media_port_min;  /* RTP port range announced in SDP (0 = 20000..20999) */
    uint16_t media_port_max;
    size_t history_capacity;  /* per session; 0 = store default */
    const char *user_agent;   /* NULL = "session-core/<version>" */
} sc_api_config;

/* Fill cfg with defaults (everything zero/NULL but the documented defaults). */
SC_API void sc_api_config_default(sc_api_config *cfg);

/* Create the coordinator and bind the SIP listeners. *out set only on success. Errors:
 * -EINVAL (bad config or listen spec), SC_E_UNBOUND (the table uses a guard or action with no
 * binding), -EADDRINUSE and other socket errors, -ENOMEM. Nothing is left open on failure. */
SC_API int sc_api_new(sc_api **out, const sc_api_config *cfg);
/* Close every handle (running the loop until they are closed), free every session. NULL ok. */
SC_API void sc_api_free(sc_api *api);

/* ---- Commands. Each dispatches the matching table event on the session and returns the
 * engine's distinct result: 0 (transition taken), SC_E_NOT_ACCEPTED (the state has no row for
 * the event), SC_E_GUARDS_FAILED (rows exist, all guards failed), SC_E_ACTION_FAILED (an
 * action failed; the table's ActionFailed path ran), -ENOENT (no such session), -EINVAL (bad
 * argument), SC_E_OVERLOAD (shutting down or session limit). ---------------------------- */

/* Outgoing call: creates a uac session and dispatches MakeCall (which sends the INVITE).
 * to is a SIP URI; from may be NULL (sip:sessiond@<first listener>). id receives the new
 * session's id (at least SC_SESSION_ID_MAX + 1 bytes). */
SC_API int sc_api_make_call(sc_api *api, const char *to, const char *from, char *id, size_t idsize);
SC_API int sc_api_accept(sc_api *api, const char *id);
SC_API int sc_api_reject(sc_api *api, const char *id, int code); /* code 0 = 486 */
SC_API int sc_api_hangup(sc_api *api, const char *id);
SC_API int sc_api_hold(sc_api *api, const char *id);
SC_API int sc_api_resume(sc_api *api, const char *id);
SC_API int sc_api_dtmf(sc_api *api, const char *id, const char *digits);

/* ---- Inspection (new references / malloc'd strings the caller releases) ---------------- */

SC_API int sc_api_sessions(sc_api *api, json_t **out);                 /* array of summaries */
SC_API int sc_api_inspect(sc_api *api, const char *id, json_t **out);  /* -ENOENT */
SC_API int sc_api_history(sc_api *api, const char *id, json_t **out);  /* -ENOENT */
SC_API int sc_api_history_csv(sc_api *api, const char *id, char **out); /* -ENOENT */
/* The table as JSON, DOT or Mermaid; session_id (may be NULL) highlights that session's path
 * (-ENOENT if it does not exist). */
SC_API int sc_api_table_export(sc_api *api, sc_graph_format fmt, const char *session_id, char **out);
SC_API const sc_table *sc_api_table(const sc_api *api);
/* The bound address of SIP listener idx (in config order); -ENOENT if none. */
SC_API int sc_api_listener_addr(const sc_api *api, size_t idx, struct sockaddr_storage *out);
SC_API size_t sc_api_session_count(const sc_api *api);
/* Sessions not in a terminal state. */
SC_API size_t sc_api_active_count(const sc_api *api);

/* ---- Shutdown ---------------------------------------------------------------------------- */

/* Stop taking new calls (new INVITEs get 503, make_call SC_E_OVERLOAD) and end every active
 * call by dispatching Shutdown (or HangupCall where Shutdown is not accepted). done(ud) is
 * called on the loop once no session is active (possibly before this returns). */
SC_API void sc_api_shutdown(sc_api *api, void (*done)(void *ud), void *ud);
SC_API bool sc_api_shutting_down(const sc_api *api);

#endif
