/* transfer: private interface of the coordinator's call transfer (RFC 3515 REFER with its
 * implicit subscription, RFC 3420 sipfrag NOTIFYs, RFC 3891 Replaces, RFC 3892 Referred-By,
 * RFC 4488 Refer-Sub) in the three roles: transferor, transferee and target. */
#ifndef SC_COORD_TRANSFER_H
#define SC_COORD_TRANSFER_H

#include "coord/coord_int.h"

/* Per-leg transfer state (leg->xfer), created on first use, freed with the leg. */
typedef struct sc_coord_xfer {
    /* transferee: the call a REFER arrived on */
    char *refer_to;      /* Refer-To URI as received (may carry ?Replaces=...) */
    char *referred_by;   /* Referred-By value, or NULL */
    char *target;        /* Refer-To without its headers (the INVITE's Request-URI) */
    char *replaces;      /* unescaped Replaces value from the Refer-To, or NULL */
    bool no_sub;         /* Refer-Sub: false asked (no NOTIFYs, RFC 4488) */
    bool sub_active;     /* an implicit subscription exists and is not terminated */
    bool in_progress;    /* a transfer call runs for this session */
    uint32_t refer_cseq; /* CSeq of the REFER (Event id of later REFERs) */
    bool allowed;        /* the policy accepted the REFER (transfer_policy.c) */
    unsigned nrefer;     /* REFERs accepted in this dialog */
    /* the transfer call (created by a REFER): reports to the session in TRANSFER_ID */
    bool is_xfer_call;
    bool ringing_told; /* a Ringing progress was reported */
    bool answered;     /* reached Active: success reported */
    int last_status;   /* last final status >= 300 of its INVITE */
    /* transferor */
    bool refer_pending; /* our REFER awaits its outcome (NOTIFYs or failure) */
    bool consulting;    /* StartConsultation made the TRANSFER_ID call */
} sc_coord_xfer;

void sc_coord__xfer_free(sc_coord_xfer *x); /* NULL: nothing */

/* ---- transfer_policy.c: who may make us place a call with a REFER --------------------------- */

/* The key of a target URI that refer_allow globs match: "[user@]host:port" with the IP
 * literal host in canonical text (IPv6 in brackets), the port always written (5060 when
 * absent), no password, parameters or headers: "sip:alice@127.0.0.1;transport=tcp" ->
 * "alice@127.0.0.1:5060". Length, or -EINVAL (not a sip: URI with an IP literal host and a
 * port in 1..65535), -ENOSPC. */
int sc_coord__refer_target_key(const char *uri, char *out, size_t cap);

/* Why a peer is trusted. Digest authentication (--users, to come) adds a reason, not a path. */
typedef enum sc_coord_trust {
    SC_COORD_TRUST_NONE = 0,
    SC_COORD_TRUST_NETWORK,       /* its transport source is in a trusted network */
    SC_COORD_TRUST_AUTHENTICATED, /* the dialog's INVITE passed digest authentication (registrar.c) */
} sc_coord_trust;

/* The sender of a request, as the policy sees it. */
typedef struct sc_coord_peer {
    const struct sockaddr_storage *src; /* its transport source (never the Via); NULL: unknown */
    bool authenticated;                 /* the dialog was authenticated (leg->auth_user) */
} sc_coord_peer;

typedef enum sc_coord_refer_verdict {
    SC_COORD_REFER_OK = 0,
    SC_COORD_REFER_DISABLED,  /* --accept-refer no: 603 */
    SC_COORD_REFER_UNTRUSTED, /* the sender is not trusted: 403 */
    SC_COORD_REFER_TARGET,    /* the target is not allowed (or not usable): 403 */
    SC_COORD_REFER__COUNT
} sc_coord_refer_verdict;

typedef struct sc_coord_refer_policy {
    bool disabled;
    sc_coord_net trust[SC_COORD_MAX_TRUST];
    size_t ntrust;
    char *allow[SC_COORD_MAX_REFER_ALLOW]; /* globs on the target key */
    size_t nallow;
    char *route_key[SC_COORD_MAX_ROUTES]; /* target keys of the B2BUA routes' targets */
    size_t nroutes;
} sc_coord_refer_policy;

/* Build the policy from cfg (refuse_refer, trust, refer_allow, route_target). -EINVAL with a
 * one-line reason in err (a bad CIDR or glob), -ENOMEM. p is usable for free either way. */
int sc_coord__refer_policy_init(sc_coord_refer_policy *p, const sc_coord_config *cfg, char *err, size_t errsz);
void sc_coord__refer_policy_free(sc_coord_refer_policy *p);
sc_coord_trust sc_coord__peer_trust(const sc_coord_refer_policy *p, const sc_coord_peer *peer);
/* Whether the target (a Refer-To URI without headers, may be NULL) may be called. */
bool sc_coord__refer_target_allowed(const sc_coord_refer_policy *p, const char *target);
/* The verdict on a REFER from peer to target: disabled, then the sender, then the target. */
sc_coord_refer_verdict sc_coord__refer_judge(const sc_coord_refer_policy *p, const sc_coord_peer *peer,
                                             const char *target);
/* "ok", "disabled", "untrusted", "target": the metric's reason label. */
const char *sc_coord__refer_verdict_name(sc_coord_refer_verdict v);

/* The feature's state (c->feat[SC_FEAT_TRANSFER]). */
typedef struct sc_coord_xfer_state {
    uint32_t timeout_ms; /* a transfer call unanswered by then fails */
    sc_coord_refer_policy policy;
    sc_obs_counter *refused[SC_COORD_REFER__COUNT]; /* sessioncore_refer_refused_total{reason} */
    uint64_t log_window_us;                         /* refusal log lines: start of the window, */
    unsigned log_lines;                             /* lines logged in it, */
    uint64_t log_suppressed;                        /* and lines left out since the last one */
} sc_coord_xfer_state;

/* An incoming REFER on session id from its server transaction stx, to target (its Refer-To
 * URI without headers, NULL when unusable): the verdict; a refusal is counted and logged
 * (one line, at most 5 a second: the others are counted in the next line). */
sc_coord_refer_verdict sc_coord__refer_check(sc_coord *c, const char *id, sc_sip_stx *stx, const char *target);
/* SIP event hook, before the event is dispatched: REFER and NOTIFY parsing, responses to our
 * REFER/NOTIFY turned into transfer events. Returns true when it consumed the event (ctx is
 * then freed or handed on), false to let the caller dispatch it as usual. */
bool sc_coord__xfer_on_event(sc_coord *coord, sc_session *s, sc_coord_leg *leg, const sc_sip_event *ev,
                             sc_coord_evctx *ctx);
/* New INVITE hook, after its session exists and before IncomingCall: Replaces (RFC 3891
 * section 3) and Referred-By. 0 to go on; negative when the INVITE was answered (481, 603,
 * 486, 400) and the session removed. */
int sc_coord__xfer_on_incoming(sc_coord *coord, sc_session *s, sc_coord_leg *leg, const struct osip_message *msg);

/* transfer_sip.c: header helpers */
/* The value of header name (or its compact form, may be NULL) of msg, or NULL. */
const char *sc_coord__xfer_header(const struct osip_message *msg, const char *name, const char *compact);
/* Split a Refer-To value: *uri the URI without brackets or headers, *replaces the unescaped
 * Replaces header it embeds (or NULL). malloc'd; -EINVAL, -ENOMEM. */
int sc_coord__xfer_parse_refer_to(const char *value, char **uri, char **replaces);
/* Status code of an RFC 3420 sipfrag ("SIP/2.0 180 Ringing"), or -1. */
int sc_coord__xfer_sipfrag_status(const char *body, size_t len);
/* Escape a Replaces value for a URI header (RFC 3261 hnv-unreserved kept). -ENOSPC. */
int sc_coord__xfer_escape(const char *in, char *out, size_t cap);

#endif
