/* int: the coordinator's private structures shared by its files: the api object, the
 * per-session SIP leg (call, media negotiation state) and the context a SIP event carries
 * into the engine for guards and actions. */
#ifndef SC_COORD_INT_H
#define SC_COORD_INT_H

#include "session_core/coord.h"
#include "session_core/engine.h"
#include "session_core/media.h"
#include "session_core/sip.h"

#define SC_COORD_EVCTX_MAGIC 0x53434556u /* "SCEV": marks event data made by the api */

struct sc_coord {
    uv_loop_t *loop;             /* borrowed */
    const sc_clock *clock;       /* borrowed */
    const sc_logger *logger;     /* borrowed, may be NULL */
    sc_table *table;             /* our reference */
    sc_store *store;             /* owned */
    sc_engine *engine;           /* owned */
    sc_sip *sip;                 /* owned */
    uv_timer_t timer;            /* engine deadlines */
    uv_prepare_t prepare;        /* re-arms timer before each poll */
    int closing_handles;         /* handles whose close callback is pending */
    bool handles_open;
    bool auto_answer;
    uint32_t ring_delay_ms;
    size_t max_sessions;
    uint16_t port_min, port_max, port_next; /* announced RTP ports (no RTP yet) */
    char default_from[SC_SIP_URI_MAX];       /* sip:sessiond@<first listener> */
    char local_host[64];                     /* first listener's address (SDP fallback) */
    size_t active;               /* sessions not in a terminal state */
    bool shutting_down;
    void (*shutdown_done)(void *ud);
    void *shutdown_ud;
    uint64_t next_sdp_id;
    sc_sip_call **release_q;     /* calls of ended sessions, released before the next poll */
    size_t nrelease, release_cap;
    struct sc_coord_mx *mx;        /* media context, MOH, B2BUA routes (b2bua.h) */
    bool refuse_refer;           /* transfer (transfer.c): REFERs declined (603) */
    uint32_t xfer_timeout_ms;    /* transfer (transfer.c): transfer call answer limit */
    struct sc_coord_obs *obs;       /* metrics (obs.h), owned */
    struct sc_coord_events *events; /* event bus bridge (events.h), owned */
    struct sc_coord_limits *limits; /* admission control (limits.h), owned */
    struct sc_coord_store *pstore;  /* persistence and recovery (recover.h), owned */
    struct sc_coord_cleanup *cleanup; /* global age and retention reaper (cleanup.h), owned */
};

/* The SIP side of one session (the SC_ATTACH_SIP attachment). */
typedef struct sc_coord_leg {
    sc_coord *api;
    sc_sip_call *call;                  /* our reference, NULL before SendInvite */
    char id[SC_SESSION_ID_MAX + 1];     /* the session's id */
    char *to, *from;                    /* outgoing calls: target and our URI */
    uint64_t sdp_id, sdp_version;       /* o= line of our SDP */
    uint16_t rtp_port;                  /* announced RTP port */
    char rtp_addr[64];                  /* announced RTP address */
    sc_sdp_direction local_dir;         /* our preference: sendrecv, or sendonly on hold */
    bool pending_offer;                 /* offer holds a remote offer awaiting our answer */
    sc_sdp_info *offer;                 /* allocated while an offer is pending (or NULL) */
    char *early_sdp;                    /* answer sent in a 183, repeated in the 2xx */
    bool offer_sent_in_2xx;             /* late offer: our 2xx carried the offer */
    bool remote_held;                   /* the peer put us on hold */
    bool media_started;
    bool dialog_indexed;                /* the confirmed dialog id is in the store index */
    struct sc_coord_xfer *xfer;           /* transfer state (transfer.h), or NULL; owned */
    struct sc_media_stream *stream;     /* RTP stream, opened with our first SDP (media.c) */
    bool media_stopped;                 /* StopMedia ran: no stream is opened again */
    char *route_target;                 /* B2BUA: the routed target of an incoming call */
} sc_coord_leg;

/* Event data of a SIP event, owned by the engine while queued (sc_coord__evctx_free). */
typedef struct sc_coord_evctx {
    uint32_t magic;        /* SC_COORD_EVCTX_MAGIC */
    char method[16];       /* request concerned */
    int status;            /* response status, 0 for requests */
    sc_sip_stx *stx;       /* incoming non-INVITE request to answer, or NULL */
    bool is_request;       /* the event is an incoming request */
    bool answered;         /* SendResponse answered stx */
    bool has_sdp;          /* the message carried application/sdp */
    bool sdp_ok;           /* sdp parsed */
    sc_sdp_info sdp;
} sc_coord_evctx;

/* sip.c */
void sc_coord__on_incoming(sc_sip *sip, sc_sip_call *call, const struct osip_message *msg, void *ud);
void sc_coord__on_event(sc_sip_call *call, const sc_sip_event *ev, void *ud);
/* Dispatch on the session with id, taking ctx (may be NULL). Returns the engine result. */
int sc_coord__dispatch(sc_coord *api, sc_session *s, sc_id type, int32_t code, const char *text,
                     sc_coord_evctx *ctx);
void sc_coord__evctx_free(void *p);
sc_coord_leg *sc_coord__leg(const sc_session *s);
int sc_coord__leg_new(sc_coord *api, sc_session *s, sc_coord_leg **out);
void sc_coord__sync_dialog(sc_coord_leg *leg, sc_session *s);

/* commands.c: a sip: URI whose host is an IP literal (reachable without DNS). */
bool sc_coord__usable_uri(const char *s);

/* actions.c */
int sc_coord__bind_all(sc_coord *api);

/* media.c */
void sc_coord__media_init(sc_coord_leg *leg);
/* Our offer (direction dir) into buf; length or negative error. */
int sc_coord__media_offer(sc_coord_leg *leg, sc_sdp_direction dir, char *buf, size_t cap);
/* The stream's direction for our negotiated SDP direction: recvonly (the peer holds us) is
 * inactive for the stream, since many phones send nothing while holding (no RTP timeout). */
sc_media_direction sc_coord__stream_direction(sc_sdp_direction ours);
/* Our answer to leg->offer into buf; records the negotiated media on s. */
int sc_coord__media_answer(sc_coord_leg *leg, sc_session *s, char *buf, size_t cap);
/* Keep a copy of a remote offer until we answer it (pending_offer); -ENOMEM. */
int sc_coord__set_offer(sc_coord_leg *leg, const sc_sdp_info *info);
void sc_coord__clear_offer(sc_coord_leg *leg);
/* Record a remote answer to our offer on s. */
void sc_coord__media_remote(sc_coord_leg *leg, sc_session *s, const sc_sdp_info *info);
void sc_coord__media_record(sc_coord_leg *leg, sc_session *s, const char *direction_override);
/* Parse body when it is SDP: fills ctx->has_sdp, ctx->sdp_ok, ctx->sdp. */
void sc_coord__parse_sdp(sc_coord_evctx *ctx, const char *ctype, const char *body, size_t len);

/* api.c */
void sc_coord__check_shutdown(sc_coord *api);

#endif
