/* coord_int: the coordinator's core, shared by its files: the coordinator object, the
 * per-session SIP leg, the context a SIP event carries into the engine, the feature struct
 * every feature registers through (features.c lists them in order), and the core services
 * features call. Features talk to the core, not to each other (a feature that truly needs
 * another says so in its `needs`). */
#ifndef SC_COORD_INT_H
#define SC_COORD_INT_H

#include "session_core/coord.h"
#include "session_core/engine.h"
#include "session_core/media.h"
#include "session_core/obs.h"
#include "session_core/sip.h"

#define SC_COORD_EVCTX_MAGIC 0x53434556u /* "SCEV": marks event data made by the coordinator */
#define SC_COORD_SDP_MAX 2048            /* an SDP body we build */

struct osip_message;
typedef struct sc_coord_leg sc_coord_leg;
typedef struct sc_coord_evctx sc_coord_evctx;

/* The features, in registration order (features.c): guards and actions are bound, hooks run
 * and features start in this order, and stop in the reverse one. */
typedef enum sc_coord_feature_id {
    SC_FEAT_CALL,        /* call.c: the SIP call's own actions and guards */
    SC_FEAT_LIMITS,      /* limits.c: admission control */
    SC_FEAT_METRICS,     /* metrics.c, metrics_engine.c: the standard metric set's collectors */
    SC_FEAT_EVENTS,      /* events.c: engine observations -> the event bus */
    SC_FEAT_TRANSFER,    /* transfer.c, transfer_sip.c: REFER, NOTIFY, Replaces */
    SC_FEAT_MEDIA,       /* media.c: RTP streams, music on hold, DTMF, bridge */
    SC_FEAT_SRTP,        /* srtp.c: SRTP policy, SDES keys of each leg, SRTP metrics */
    SC_FEAT_B2BUA,       /* b2bua.c: routes, outgoing legs, peers, bridge commands */
    SC_FEAT_CLEANUP,     /* cleanup.c: the age and retention reaper's timer */
    SC_FEAT_PERSISTENCE, /* store.c, recorder.c, recover.c: store, durability, recovery */
    SC_FEAT_TRUNKS,      /* trunks.c: accounts at carriers: registration, calls through them */
    SC_FEAT_REGISTRAR,   /* registrar.c, registrar_bind.c: digest auth as a server, REGISTER, calls to users */
    SC_FEAT_EARLY_MEDIA, /* early_media.c: BridgeEarlyMedia, offers in UPDATE and PRACK */
    SC_FEAT_DTMF_INFO,   /* dtmf_info.c: DTMF by SIP INFO, both ways */
    SC_FEAT_CONFERENCE,  /* conference.c: JoinConference, LeaveConference, MuteConference */
    SC_FEAT_WEBHOOKS,    /* webhooks.c, curl_uv.c: guards and actions the table binds to a URL */
    SC_FEAT_VOICE,       /* voice.c: announcements, recording, digit collection */
    SC_FEAT_CLUSTER,     /* cluster.c: node lease, takeover of dead nodes' sessions, fencing, handover */
    SC_FEAT__COUNT
} sc_coord_feature_id;

typedef struct sc_coord_guard_def {
    const char *name;
    sc_guard_fn fn;
} sc_coord_guard_def;

typedef struct sc_coord_action_def {
    const char *name;
    sc_action_fn fn;
} sc_coord_action_def;

/* What a feature plugs into the core. Every member is optional. Guards and actions are bound
 * with the coordinator as their ud; a name bound by two features is an error at start. */
typedef struct sc_coord_feature {
    const char *name;
    const char *needs;                  /* features whose functions it calls directly ("media"), or NULL */
    const sc_coord_guard_def *guards;   /* ends with {NULL, NULL} */
    const sc_coord_action_def *actions; /* ends with {NULL, NULL} */
    /* After the table is set and the SIP listeners exist: make the feature's state
     * (c->feat[id]). A failure stops sc_coord_new; stop is called even then. */
    int (*start)(sc_coord *c, const sc_coord_config *cfg);
    /* After every session is gone (reverse order); must tolerate a failed or missing start. */
    void (*stop)(sc_coord *c);
    /* Engine observations, forwarded by the core's one observer in feature order. */
    void (*on_created)(sc_coord *c, sc_session *s);
    void (*on_transition)(sc_coord *c, sc_session *s, const sc_history_record *rec, const sc_transition *t);
    void (*on_publish)(sc_coord *c, sc_session *s, const char *name, int priority);
    void (*on_ended)(sc_coord *c, sc_session *s);
    void (*on_removed)(sc_coord *c, sc_session *s, const char *reason);
    /* May a new session start? 0, or SC_E_OVERLOAD with *why (a static reason). It asks room
     * for c->admit_need sessions (2: an INVITE a B2BUA route forwards). */
    int (*admit)(sc_coord *c, const char **why);
    /* A new INVITE, before admission: the sessions it will bring besides its own (a B2BUA
     * route's outgoing leg: 1). */
    unsigned (*extra_legs)(sc_coord *c, const struct osip_message *msg);
    /* A new INVITE's session and leg exist, before IncomingCall: 0 to go on, negative when the
     * feature answered the INVITE and removed the session. */
    int (*on_incoming)(sc_coord *c, sc_session *s, sc_coord_leg *leg, const struct osip_message *msg);
    /* A SIP event of an existing call, before it is dispatched: true when consumed (ctx is
     * then the feature's). */
    bool (*on_sip_event)(sc_coord *c, sc_session *s, sc_coord_leg *leg, const sc_sip_event *ev, sc_coord_evctx *ctx);
    /* An outgoing INVITE is about to leave for leg->to: fill opts for the destination the
     * feature owns (a trunk's proxy and credentials, a registered user's contacts). Called in
     * feature order, each seeing what earlier ones set; 0 to go on, negative fails the call. */
    int (*dial)(sc_coord *c, sc_coord_leg *leg, sc_sip_invite_opts *opts);
    /* Strict durability: hold what is sent for the rest of this loop turn. */
    void (*hold_turn)(sc_coord *c);
    /* Every outgoing SIP message before the wire: true when the feature took it (to send it
     * later with sc_sip_send_unhooked). */
    bool (*hold_message)(sc_coord *c, sc_sip_transport tp, const struct sockaddr *dst, const char *data, size_t len);
    /* The leg is freed: release the feature's part of it. */
    void (*leg_free)(sc_coord_leg *leg);
    /* Bytes the feature's part of the leg holds and sockets it keeps open. */
    void (*leg_usage)(const sc_coord_leg *leg, size_t *bytes, unsigned *sockets);
    /* Add the feature's view of s to an inspection. */
    void (*inspect)(sc_coord *c, const sc_session *s, json_t *out);
    /* A table reload was applied (ok) or refused. */
    void (*table_reloaded)(sc_coord *c, bool ok, const char *version, const char *error);
    /* The media provider (one feature): open the leg's RTP stream unless it has one (sets
     * leg->rtp_port), and point it at what the SDP negotiated. */
    int (*media_open)(sc_coord_leg *leg);
    void (*media_apply)(sc_coord_leg *leg, const sc_sdp_info *info, const sc_sdp_codec *codec, sc_sdp_direction ours);
    /* A new out-of-dialog request but ACK, CANCEL, OPTIONS and REGISTER, from its transport
     * source (sc_sip_config.on_screen): 0 to go on, or the status to answer it with (header
     * lines written into hdrs). The first feature that answers decides. */
    int (*screen)(sc_coord *c, const struct osip_message *msg, const struct sockaddr_storage *src, char *hdrs,
                  size_t cap);
    /* An out-of-dialog REGISTER (sc_sip_config.on_request): true when the feature took stx
     * (it answers it); nobody: 405. */
    bool (*on_request)(sc_coord *c, sc_sip_stx *stx, const struct osip_message *msg);
    /* The store is open (sc_coord_store_open): p the loop's synchronous handle, w the writer;
     * both live until the persistence feature stops (after the features after it). */
    void (*store_opened)(sc_coord *c, sc_persist *p, sc_persist_writer *w);
    /* The feature's dial hook gives calls to uri their destination (the registrar: sip:USER@
     * our realm), so uri needs no IP literal host. */
    bool (*routes)(sc_coord *c, const char *uri);
    /* Bind the guards and actions table t ties to the feature itself (webhooks): at start
     * after every feature's lists and the host's bindings, before t is set (an error stops
     * sc_coord_new), and for a reload's or validation's candidate before it is checked. */
    int (*bind_table)(sc_coord *c, const sc_table *t);
} sc_coord_feature;

/* features.c: the features in sc_coord_feature_id order; each defined in its own file. */
extern const sc_coord_feature *const sc_coord__features[SC_FEAT__COUNT];
extern const sc_coord_feature sc_coord__feature_call, sc_coord__feature_limits, sc_coord__feature_metrics,
    sc_coord__feature_events, sc_coord__feature_media, sc_coord__feature_b2bua, sc_coord__feature_transfer,
    sc_coord__feature_cleanup, sc_coord__feature_persistence;
extern const sc_coord_feature sc_coord__feature_trunks;
extern const sc_coord_feature sc_coord__feature_registrar;
extern const sc_coord_feature sc_coord__feature_early_media, sc_coord__feature_dtmf_info;
extern const sc_coord_feature sc_coord__feature_srtp;
extern const sc_coord_feature sc_coord__feature_conference;
extern const sc_coord_feature sc_coord__feature_webhooks;
extern const sc_coord_feature sc_coord__feature_voice;
extern const sc_coord_feature sc_coord__feature_cluster;

struct sc_coord {
    uv_loop_t *loop;         /* borrowed */
    const sc_clock *clock;   /* borrowed */
    const sc_logger *logger; /* borrowed, may be NULL */
    sc_table *table;         /* our reference */
    sc_store *store;         /* owned */
    sc_engine *engine;       /* owned */
    sc_sip *sip;             /* owned */
    sc_obs_registry *reg;    /* metrics registry, owned; NULL with metrics_off */
    sc_obs_std_metrics std;  /* the standard families (owned by reg; zero without it) */
    uv_timer_t timer;        /* engine deadlines */
    uv_prepare_t prepare;    /* re-arms timer before each poll */
    /* Scratch blocks of the loop thread, made on first use (~3-4 KB each: a malloc of that size
     * per call made glibc consolidate its fast bins; see docs/benchmarks.md) */
    struct sc_sip_dialog_state *dlg_scratch; /* sc_coord__sync_dialog */
    struct sc_sdp_info *sdp_scratch;         /* sc_coord__sdp_acceptable */
    struct sc_sdp_info *sdp_spare[16];       /* parsed-SDP blocks kept for reuse (sc_coord__sdp_get) */
    unsigned nsdp_spare;
    int closing_handles; /* handles whose close callback is pending */
    bool handles_open;
    bool auto_answer;
    uint32_t ring_delay_ms;
    size_t max_sessions;
    unsigned retry_after_s;            /* Retry-After of admission 503s */
    sc_obs_metric *admission;          /* sessioncore_admission_rejected_total{reason,source} */
    sc_coord_limits limits;            /* admission.c: the caps in force (given or derived) */
    unsigned admit_need;               /* admission.c: sessions the admission being decided brings */
    const char *refusal;               /* admission.c: the latest refusal's reason, or NULL */
    const void *admitted_invite;       /* admission.c: the INVITE admitted at its screen, */
    char admitted_call_id[128];        /* and its Call-ID (on_incoming then skips admission) */
    uint16_t port_min, port_max;       /* RTP port range */
    char default_from[SC_SIP_URI_MAX]; /* sip:sessiond@<first listener> */
    char local_host[64];               /* advertise, else the first listener's address */
    char media_addr[64];               /* RTP bind address: media_address, else the listener's */
    char media_announce[64];           /* the address in our SDP (empty: by route, media_route) */
    char codecs[64];                   /* codec preference of our SDP (sc_sdp_local.codecs) */
    char codec_hint[16];               /* while a B2BUA dials: the caller's codec, first in the offer */
    bool media_route;                  /* wildcard media, nothing advertised: our SDP carries the
                                          route's source toward the peer (sdp.c) */
    bool from_route;                   /* wildcard SIP, nothing advertised: default From by route */
    size_t active;                     /* sessions not in a terminal state */
    bool shutting_down;
    bool reload_from_body; /* the reload being reported came as a body (POST /table/reload), not a file */
    void (*shutdown_done)(void *ud);
    void *shutdown_ud;
    uint64_t next_sdp_id;
    sc_sip_call **release_q; /* calls of ended sessions, released before the next poll */
    size_t nrelease, release_cap;
    struct sc_coord_compact *compact; /* compact.c: ended sessions waiting to shrink */
    struct sc_coord_hreader *hreader; /* history_reader.c: released histories read off the loop */
    int observer;                     /* the core's engine observer, or -1 */
    bool started[SC_FEAT__COUNT];
    void *feat[SC_FEAT__COUNT]; /* each feature's state, owned by the feature */
};

/* The SIP side of one session (the SC_ATTACH_SIP attachment). The core owns the call and
 * the SDP negotiation; the fields marked with a feature are that feature's (freed by its
 * leg_free hook). */
struct sc_coord_leg {
    sc_coord *c;
    sc_sip_call *call;              /* our reference, NULL before SendInvite */
    char id[SC_SESSION_ID_MAX + 1]; /* the session's id */
    char *to, *from;                /* outgoing calls: target and our URI */
    char *invite_headers;           /* extra header lines of our INVITE (a transfer's) */
    uint64_t sdp_id, sdp_version;   /* o= line of our SDP */
    uint16_t rtp_port;              /* announced RTP port (set by the media provider) */
    char rtp_addr[64];              /* announced RTP address */
    char codec_pref[64];            /* our codec list for this leg's SDP (sdp.c: the peer's codec first) */
    int opus_pt;                    /* Opus's negotiated payload type (kept in our re-offers), 0: none */
    sc_sdp_direction local_dir;     /* our preference: sendrecv, or sendonly on hold */
    bool pending_offer;             /* offer holds a remote offer awaiting our answer */
    sc_sdp_info *offer;             /* allocated while an offer is pending (or NULL) */
    char *early_sdp;                /* answer sent in a 183, repeated in the 2xx */
    bool offer_sent_in_2xx;         /* late offer: our 2xx carried the offer */
    bool remote_held;               /* the peer put us on hold */
    bool dialog_indexed;            /* the confirmed dialog id is in the store index */
    bool media_started;             /* media: StartMedia ran */
    bool media_stopped;             /* media: StopMedia ran, no stream is opened again */
    uint8_t bus_told;               /* events: what the bus was told (media started, bridged) */
    struct sc_media_stream *stream; /* media: the RTP stream, opened with our first SDP */
    struct sc_coord_srtp_leg *srtp; /* srtp: the leg's SDES keys, or NULL */
    int srtp_policy;                /* srtp: this leg's policy: 0 the global one; else 1 + sc_coord_srtp */
    int route_srtp;                 /* b2bua: the route's srtp_policy for its outgoing leg */
    char *route_target;             /* b2bua: the routed target of an incoming call */
    char *route_proxy;              /* b2bua: that route's outbound proxy, or NULL */
    char *proxy;                    /* our INVITE's outbound proxy (per call or default), or NULL */
    char **targets;                 /* our INVITE's fork targets (sc_coord_call_opts), or NULL */
    size_t ntargets;
    struct sc_coord_xfer *xfer;      /* transfer: its state, or NULL */
    char *trunk;                     /* trunks: the trunk this call goes through, or NULL */
    bool trunk_from;                 /* trunks: no From was given: the trunk's AOR is the From */
    char *auth_user;                 /* registrar: the user the INVITE authenticated as, or NULL */
    char moh_class[64];              /* media: the class the last hold command chose ("": the table's) */
    struct sc_coord_dq *dtmf_q;      /* dtmf_info: digits going out as SIP INFO, or NULL */
    char *conf_user;                 /* conference: the INVITE's Request-URI user (the default room), or NULL */
    struct sc_coord_whc *hook_cache; /* webhooks: cached guard answers, or NULL */
    /* voice: playback, recording and digit collection (voice.c), or NULL */
    struct sc_coord_voice *voice;
};

/* Event data of a SIP event, owned by the engine while queued (sc_coord__evctx_free). */
struct sc_coord_evctx {
    uint32_t magic;   /* SC_COORD_EVCTX_MAGIC */
    char method[16];  /* request concerned */
    int status;       /* response status, 0 for requests */
    sc_sip_stx *stx;  /* incoming non-INVITE request to answer, or NULL */
    bool is_request;  /* the event is an incoming request */
    bool answered;    /* SendResponse answered stx */
    bool has_sdp;     /* the message carried application/sdp */
    bool sdp_ok;      /* sdp parsed */
    int sdp_rc;       /* sc_sdp_parse's result (sc_sdp_error_status tells the answer) */
    sc_sdp_info *sdp; /* made only for a message with SDP (sc_coord__sdp_get: not with every event) */
    sc_coord *c;      /* whose spare SDP blocks sdp returns to */
};

/* ---- Core services (leg.c) ---------------------------------------------------------------- */

sc_coord_leg *sc_coord__leg(const sc_session *s);
int sc_coord__leg_new(sc_coord *c, sc_session *s, sc_coord_leg **out);
/* Copy the dialog's identity onto the session record (and index its dialog id). */
void sc_coord__sync_dialog(sc_coord_leg *leg, sc_session *s);
/* Dispatch on s, taking ctx (may be NULL). Returns the engine result. */
int sc_coord__dispatch(sc_coord *c, sc_session *s, sc_id type, int32_t code, const char *text, sc_coord_evctx *ctx);
/* The same, for a command: SC_ENGINE_QUEUED counts as 0. */
int sc_coord__command(sc_coord *c, sc_session *s, sc_id type, int32_t code, const char *text);
sc_coord_evctx *sc_coord__evctx_new(sc_coord *c, const char *method, int status);
void sc_coord__evctx_free(void *p);
/* The SIP event context of an engine run, or NULL. */
sc_coord_evctx *sc_coord__evctx_of(const sc_exec *x);
/* The session whose id is in s's field f (PEER_ID, TRANSFER_ID, ...), or NULL. */
sc_session *sc_coord__linked(sc_coord *c, const sc_session *s, sc_field f);
/* The B2BUA or bridge peer (PEER_ID), or NULL. */
sc_session *sc_coord__peer(sc_coord *c, const sc_session *s);
bool sc_coord__is_terminal(const sc_session *s);
/* The run of rec moved s from a non-terminal state into a terminal one. */
bool sc_coord__entered_terminal(const sc_session *s, const sc_history_record *rec);
/* A new uac session to `to` from `from` (NULL: our default URI), not yet dispatched, after
 * admission (source: "api" or "sip"). SC_E_OVERLOAD, -ENOMEM, an engine error. */
int sc_coord__call_new(sc_coord *c, const char *to, const char *from, const char *source, sc_session **out,
                       sc_coord_leg **leg_out);
/* The configured default outbound proxy (b2bua.c), or NULL. */
const char *sc_coord__default_proxy(const sc_coord *c);
/* A sip: or sips: (TLS) URI with a host: an IP literal, or a name the SIP layer locates (RFC 3263). */
bool sc_coord__usable_uri(const char *s);
/* The host of such a URI as an address (port 5060, sips: 5061, unless given); -EINVAL. */
int sc_coord__uri_addr(const char *uri, struct sockaddr_storage *out);

/* ---- Core services (coord.c) --------------------------------------------------------------- */

/* Admission of one new session: shutdown and the session cap, then every feature's admit
 * hook; a refusal is counted in sessioncore_admission_rejected_total{reason, source}.
 * 0, or SC_E_OVERLOAD with *why (may be NULL) set to a static reason. */
int sc_coord__admit(sc_coord *c, const char *source, const char **why);
/* The same for a new session that brings need sessions in all (c->admit_need meanwhile). */
int sc_coord__admit_n(sc_coord *c, const char *source, unsigned need, const char **why);
/* How leg's INVITE goes out: opts filled by the features' dial hooks. 0 or their error. */
int sc_coord__dial(sc_coord *c, sc_coord_leg *leg, sc_sip_invite_opts *opts);
/* A feature routes calls to uri (its routes hook): make_call takes it without an IP host. */
bool sc_coord__routed(sc_coord *c, const char *uri);
/* Strict durability: hold what is sent for the rest of this loop turn (hold_turn hooks). */
void sc_coord__hold_turn(sc_coord *c);
void sc_coord__check_shutdown(sc_coord *c);
/* A feature's state (NULL before its start). */
static inline void *sc_coord__feat(const sc_coord *c, sc_coord_feature_id id) { return c ? c->feat[id] : NULL; }

/* embed.c: bind the host program's guards and actions (sc_coord_config.bindings) after the
 * features' and before the table is set. 0 or the first binding's error (logged). */
int sc_coord__bind_host(sc_coord *c, const sc_coord_config *cfg);

/* ---- SDP negotiation of a leg (sdp.c) ------------------------------------------------------ */

void sc_coord__sdp_init(sc_coord_leg *leg);
/* Our offer (direction dir) into buf; length or negative error. */
int sc_coord__sdp_offer(sc_coord_leg *leg, sc_sdp_direction dir, char *buf, size_t cap);
/* A re-INVITE on the leg's call with our offer in direction dir (our preference from now on). */
int sc_coord__reinvite(sc_coord_leg *leg, sc_sdp_direction dir);
/* Our answer to leg->offer into buf; records the negotiated media on s. */
int sc_coord__sdp_answer(sc_coord_leg *leg, sc_session *s, char *buf, size_t cap);
/* Keep a copy of a remote offer until we answer it (pending_offer); -ENOMEM. */
int sc_coord__set_offer(sc_coord_leg *leg, const sc_sdp_info *info);
/* Codecs (sdp.c): our codec list for leg's SDP (the B2BUA partner's codec first). A new
 * INVITE's offer without a codec of ours is refused by sc_coord__sdp_acceptable. */
const char *sc_coord__codec_pref(sc_coord_leg *leg);
/* While a B2BUA dials for from (NULL: after), the offer puts from's codec first: the one our
 * answer to its pending offer will carry. */
void sc_coord__codec_hint(sc_coord *c, const sc_coord_leg *from);
/* codecs.c: the preference list of the configuration into c->codecs (-EINVAL when bad), and
 * the stream format of a negotiated codec (-ENOTSUP for one the media module lacks). */
int sc_coord__codecs_config(sc_coord *c, const sc_coord_config *cfg);
int sc_coord__media_format(const sc_sdp_info *info, const sc_sdp_codec *codec, sc_media_format *fmt);
void sc_coord__clear_offer(sc_coord_leg *leg);
/* Record a remote answer to our offer on s. */
void sc_coord__sdp_remote(sc_coord_leg *leg, sc_session *s, const sc_sdp_info *info);
/* A new INVITE at its screen: 0 when its SDP offer (if any) can be answered, else the status to
 * refuse it with before any provisional (488: the SRTP policy, or no codec of ours). */
int sc_coord__sdp_acceptable(sc_coord *c, const struct osip_message *msg);
/* Parse body when it is SDP: fills ctx->has_sdp, ctx->sdp_ok, ctx->sdp. */
void sc_coord__parse_sdp(sc_coord_evctx *ctx, const char *ctype, const char *body, size_t len);
/* A block for a parsed SDP (3.8 KB; an event's, a leg's offer): one of c's spares, else malloc'd;
 * _put keeps it for the next (up to 16) or frees it. A malloc of that size per call made glibc
 * consolidate the loop thread's fast bins. _put(NULL) is a no-op. */
sc_sdp_info *sc_coord__sdp_get(sc_coord *c);
void sc_coord__sdp_put(sc_coord *c, sc_sdp_info *p);
/* The stream's direction for our negotiated SDP direction: recvonly (the peer holds us) is
 * inactive for the stream, since many phones send nothing while holding (no RTP timeout). */
sc_media_direction sc_coord__stream_direction(sc_sdp_direction ours);

/* ---- Inspection (resources.c) ---------------------------------------------------------------- */

/* Replace the "resources" object of an inspection (out, from sc_store_inspect) with the
 * session's full usage: bytes (record + strings + history ring + queued events + the SIP leg
 * attachment), record_bytes, attachment_bytes, history_entries, history_capacity, timers
 * (armed engine timers) and sockets (2 while an RTP/RTCP stream is open, else 0). */
void sc_coord__resources_inspect(sc_coord *c, const sc_session *s, json_t *out);

/* ---- The SIP agent's callbacks (sip_in.c) -------------------------------------------------- */

void sc_coord__on_incoming(sc_sip *sip, sc_sip_call *call, const struct osip_message *msg, void *ud);
void sc_coord__on_event(sc_sip_call *call, const sc_sip_event *ev, void *ud);
/* net.c: trusted networks (--trust), shared by the features that judge a request's source */
/* A network: family AF_INET or AF_INET6, the address (network byte order) and prefix length. */
typedef struct sc_coord_net {
    int family;
    uint8_t addr[16];
    unsigned bits;
} sc_coord_net;

/* "ADDR/LEN" or "ADDR" (the whole address: /32, /128), IPv4 or IPv6. -EINVAL for anything
 * else, also when ADDR has bits set beyond LEN ("10.0.0.1/8"). */
int sc_coord__net_parse(const char *s, sc_coord_net *out);
/* a (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts as IPv4) is in n. */
bool sc_coord__net_contains(const sc_coord_net *n, const struct sockaddr_storage *a);

/* sip_ood.c: new out-of-dialog requests offered to the features' screen and on_request hooks */
int sc_coord__on_screen(sc_sip *sip, const struct osip_message *msg, const struct sockaddr_storage *src, char *hdrs,
                        size_t cap, void *ud);
void sc_coord__on_request(sc_sip *sip, sc_sip_stx *stx, const struct osip_message *msg, void *ud);

#endif
