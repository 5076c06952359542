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
