/* sip_int: the SIP layer's private structures and the interfaces between its files
 * (transport, messages, transactions, calls, timers). */
#ifndef SC_SIP_INT_H
#define SC_SIP_INT_H

#include <errno.h>
#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "session_core/sip.h"
#include "sip/index.h"
#include "sip/stream.h"

#define SIP_MODULE "sip"
#define SIP_MAX_LISTENERS 8
#define SIP_TCP_QUEUE_MAX (256u * 1024u) /* bytes queued on a connecting TCP connection */
#define SIP_UDP_RCVBUF (4 * 1024 * 1024) /* SO_RCVBUF asked for on UDP listeners */
#define SIP_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO, UPDATE, PRACK"
#define SIP_SUPPORTED "replaces, 100rel"

/* ---- intrusive lists ------------------------------------------------------------------- */
typedef struct sip_link {
    struct sip_link *prev, *next;
} sip_link;

static inline void sip_list_init(sip_link *h) { h->prev = h->next = h; }
static inline bool sip_list_empty(const sip_link *h) { return h->next == h; }
static inline void sip_list_add(sip_link *h, sip_link *n)
{
    n->prev = h->prev;
    n->next = h;
    h->prev->next = n;
    h->prev = n;
}
static inline void sip_list_del(sip_link *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}
#define SIP_CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ---- timers: one uv_timer drives a min-heap of these ----------------------------------- */
typedef struct sip_timer sip_timer;
typedef void (*sip_timer_cb)(sip_timer *t);
struct sip_timer {
    uint64_t due;    /* loop time (ms) it fires at */
    size_t idx;      /* heap slot, SIZE_MAX when not armed */
    sip_timer_cb cb; /* called once when due */
};
void sip_timer_init(sip_timer *t, sip_timer_cb cb);
int sip_timer_start(sc_sip *sip, sip_timer *t, uint64_t ms);
void sip_timer_stop(sc_sip *sip, sip_timer *t);
void sip_timer_shrink(sc_sip *sip); /* the heap's array down to what its timers need (reclaim.c) */
static inline bool sip_timer_armed(const sip_timer *t) { return t->idx != SIZE_MAX; }

/* ---- transport ------------------------------------------------------------------------- */
typedef struct sip_listener {
    sc_sip *sip;
    sc_sip_transport tp;
    union {
        uv_handle_t handle;
        uv_udp_t udp;
        uv_tcp_t tcp;
    } h;
    struct sockaddr_storage addr; /* bound address */
    char host[64];                /* for Via/Contact (advertised, contact_host or the bound IP) */
    bool route_host;              /* wildcard bind, nothing advertised: the host is the address
                                     the route to each peer goes out of (sip_host_for) */
    uint16_t port;
    char *rbuf; /* UDP receive buffer, max_message_size + 1 */
} sip_listener;

typedef struct sip_tls sip_tls;         /* one connection's TLS state (tls.c) */
typedef struct sip_tls_ctx sip_tls_ctx; /* the agent's TLS context (tls.c) */

typedef struct sip_conn {
    sip_link link; /* in sip->conns */
    sc_sip *sip;
    sc_sip_transport tp; /* SC_SIP_TCP or SC_SIP_TLS */
    sip_tls *tls;        /* TLS: the SSL state (tls.c); connected once its handshake is done */
    bool outbound;       /* we made it (a failure before it carried anything tells the transactions) */
    bool tls_failed;     /* a TLS failure was counted for it */
    sip_timer t_hs;      /* TLS: the handshake deadline */
    uv_tcp_t h;
    uv_connect_t creq;
    struct sockaddr_storage peer;
    bool connected, closing;
    sip_stream in;        /* received bytes not yet framed (stream.c) */
    sip_link wq;          /* writes waiting for the connection */
    size_t queued;        /* their bytes */
    uint64_t last_active; /* loop time (ms) of the last read or write */
} sip_conn;

/* ---- transactions ---------------------------------------------------------------------- */
typedef enum tx_kind { TX_ICT, TX_NICT, TX_IST, TX_NIST } tx_kind;
typedef enum tx_purpose {
    TXP_NONE = 0, /* no TU interest (out of dialog, forking cleanup) */
    TXP_INVITE,   /* the call's initial INVITE (client or server) */
    TXP_REINVITE, /* a re-INVITE */
    TXP_BYE,      /* our BYE */
    TXP_CANCEL,   /* our CANCEL */
    TXP_REQUEST,  /* other in-dialog request (ours, or theirs awaiting the TU) */
    TXP_REFRESH,  /* our RFC 4028 session refresh (session_timer.c); never reported to the TU */
} tx_purpose;

typedef struct sc_sip_stx sip_tx;
struct sc_sip_stx {
    sip_link link;   /* in sip->txs, or sip->grave once dead */
    sip_hnode hnode; /* in sip->tx_index under key while live */
    sip_link clink;  /* in call->txs while call is set */
    sip_link slink;  /* in sip->spent from its final answer (sent or, 2xx to an INVITE or
                      * any to another request, received) until req is freed */
    sc_sip *sip;
    tx_kind kind;
    int state;           /* per-kind enum in tx.c */
    char *key;           /* matching key (see tx.c) */
    char method[24];     /* request method (INVITE for ACK matching) */
    osip_message_t *req; /* the request (sent or received), owned */
    char *out;           /* client: serialized request; server: last response */
    size_t out_len;
    char *ack; /* ICT: ACK for a non-2xx final response */
    size_t ack_len;
    int last_status; /* server: status of the last response sent */
    sc_sip_transport tp;
    struct sockaddr_storage peer; /* client: destination; server: where responses go */
    struct sockaddr_storage src;  /* server: the transport source of the request (has_src) */
    bool has_src;                 /* false for a client, and for a server rebuilt by recovery */
    struct sip_source *source;    /* server: the count of its source (source_limit.c), or NULL */
    unsigned interval;            /* current retransmit interval, ms */
    sip_timer t_retx;             /* A, E, G */
    sip_timer t_end;              /* B, D, F, H, I, J, K, L, M */
    sc_sip_call *call;            /* holds a reference, or NULL */
    tx_purpose purpose;
    bool dead;
    /* A client transaction outside any call (register.c): its final response (or NULL on a
     * timeout or transport error) goes to on_final, once. */
    void (*on_final)(sip_tx *tx, osip_message_t *resp, void *owner);
    void *owner;
};

/* ---- a call's dialog state (dlg.c) ----------------------------------------------------- */
/* sc_sip_dialog_state as a call keeps it: the strings at their exact size, in two blocks
 * (str) repacked when one of theirs changes, so that a live call costs what its values need
 * rather than the limits. The identity (Call-ID, our tag, both URIs) is set once when the call
 * is made and its block never moves after: pointers to it (sc_sip_call_id...) stay valid for
 * the call's life; the peer's tag, the remote target and the route set, which the dialog
 * changes, are in the other. The string fields are never NULL ("" until set) and are read
 * directly; they are changed only through sip_dlg_set/sip_dlg_setv. The limits of the public
 * struct (SC_SIP_CALLID_MAX, ...) stay as validation limits: a longer value is refused. */
typedef enum sip_dlg_field {
    SIP_DF_CALL_ID,
    SIP_DF_LOCAL_TAG,
    SIP_DF_REMOTE_TAG,
    SIP_DF_LOCAL_URI,
    SIP_DF_REMOTE_URI,
    SIP_DF_REMOTE_TARGET,
    SIP_DF_ROUTE_SET,
    SIP_DF__COUNT
} sip_dlg_field;

/* An IPv4 or IPv6 socket address in 28 bytes, where a call keeps one for its whole life (a
 * sockaddr_storage is 128). The functions that take a sockaddr_storage get a copy: SIP_SS. */
typedef union sip_addr {
    struct sockaddr sa; /* sa_family: AF_UNSPEC (none), AF_INET or AF_INET6 */
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
} sip_addr;
void sip_addr_set(sip_addr *a, const struct sockaddr_storage *ss);                     /* another family: AF_UNSPEC */
struct sockaddr_storage *sip_addr_ss(const sip_addr *a, struct sockaddr_storage *buf); /* buf, filled */
/* a's copy as a sockaddr_storage living until the end of the enclosing block */
#define SIP_SS(a) sip_addr_ss((a), &(struct sockaddr_storage){0})

typedef struct sip_dialog {
    const char *call_id;       /* Call-ID */
    const char *local_tag;     /* our tag (From tag as UAC, To tag as UAS) */
    const char *remote_tag;    /* the peer's tag ("" until known) */
    const char *local_uri;     /* our address-of-record URI */
    const char *remote_uri;    /* the peer's address-of-record URI */
    const char *remote_target; /* the peer's Contact URI (request target) */
    const char *route_set;     /* Route values in sending order, ", "-joined */
    char *str[2];              /* the blocks the fields point into (identity, the rest), owned;
                                * NULL while all of theirs are "" */
    uint32_t local_cseq;
    uint32_t remote_cseq;
    sc_sip_transport transport;
    sip_addr local_addr;  /* our listener address */
    sip_addr remote_addr; /* where in-dialog requests go (first hop) */
    bool secure;
    bool is_uac;
    sc_sip_dialog_phase phase;
} sip_dialog;

void sip_dlg_init(sip_dialog *d); /* every string "", nothing else touched */
void sip_dlg_free(sip_dialog *d); /* the strings; d is empty ("") after */
/* One field set to v (NULL: ""): -ENAMETOOLONG when v is at or past the field's limit
 * (SC_SIP_CALLID_MAX...: the same limits as sc_sip_dialog_state), -ENOMEM; d unchanged then.
 * A value no longer than the current one (a tag cleared...) never fails. */
int sip_dlg_set(sip_dialog *d, sip_dlg_field f, const char *v);
/* Several fields at once (v[f] NULL: kept), one repack; errors as sip_dlg_set, none changed. */
int sip_dlg_setv(sip_dialog *d, const char *const v[SIP_DF__COUNT]);
int sip_dlg_copy(sip_dialog *dst, const sip_dialog *src); /* dst (initialised) a deep copy; -ENOMEM */
/* From the public plain-data form (persisted state): the strings taken up to their buffer's
 * size - 1 as sc_sip_call_restore always did; -ENOMEM. */
int sip_dlg_from_state(sip_dialog *d, const sc_sip_dialog_state *st);
void sip_dlg_to_state(const sip_dialog *d, sc_sip_dialog_state *out); /* the public form, whole */

/* ---- calls ----------------------------------------------------------------------------- */
/* Our 2xx to an INVITE or re-INVITE while it waits for its ACK (RFC 3261 13.3.1.4): allocated
 * with it, freed at the ACK or 64*T1 (sip_call_start_ok, sip_call_stop_ok). */
struct sip_ok {
    sc_sip_call *call;
    uint32_t cseq;     /* of the INVITE it answers */
    unsigned interval; /* current retransmission interval, ms */
    sip_timer t_retx;  /* retransmission (UDP) */
    sip_timer t_end;   /* ACK timeout (64*T1) */
    sc_sip_transport tp;
    sip_addr peer;
    size_t len;
    char out[]; /* the 2xx as sent */
};

struct sc_sip_call {
    sip_link link;   /* in sip->calls (matching) or detached after release */
    sip_hnode hnode; /* in sip->call_index under d.call_id while listed */
    sip_link txs;    /* transactions holding this call (their clink) */
    sc_sip *sip;
    unsigned refs;       /* application + transactions */
    bool released;       /* the application let go: no more events */
    bool listed;         /* in sip->calls */
    bool counted_dialog; /* counted in active_dialogs */
    void *user;
    sip_dialog d; /* the dialog state (dlg.c) */
    /* UAC */
    sip_tx *ict;          /* our pending INVITE / re-INVITE client transaction */
    uint32_t invite_cseq; /* CSeq of our last INVITE */
    bool got_provisional, cancel_pending, cancel_sent, got_final;
    unsigned auth_tries;   /* INVITEs sent again with credentials (auth.c) */
    struct sip_cred *cred; /* this call's own credentials (sc_sip_invite_opts), owned; NULL: the agent's */
    osip_message_t *ok;    /* first 2xx of our INVITE, awaiting sc_sip_call_ack */
    char *ack;             /* ACK sent for it, re-sent on 2xx retransmissions (64*T1, t_ack_end) */
    size_t ack_len;
    uint32_t ack_cseq;
    char *reinvite_sdp;  /* kept for a 491 retry */
    sip_timer t_cancel;  /* no final response after CANCEL */
    sip_timer t_retry;   /* 491 retry */
    sip_timer t_ack_end; /* the kept ACK dropped: no 2xx retransmission comes after 64*T1 */
    /* UAS */
    sip_tx *ist;                       /* pending incoming INVITE / re-INVITE */
    struct sip_ok *ok_wait;            /* our 2xx retransmitted until its ACK (call.c), or NULL */
    struct sip_st *st;                 /* RFC 4028 session timer (session_timer.c), or NULL; owned */
    struct sip_fork *fork;             /* our INVITE forked to several targets (fork.c), or NULL; owned */
    struct sip_uac *uac;               /* our initial INVITE's contents and first hop (uac.c), or NULL; owned */
    struct sip_resolve *target_lookup; /* a host name in the route set or remote target, or NULL */
    bool ok_waits_target;              /* the 2xx (ok) is reported once target_lookup answered */
    /* UAS: the source of the last request of the dialog (its ACK first); the remote target is
     * unconfirmed until one comes from its IP, and requests to it go once (dialog.c) */
    sip_addr heard_from;
    struct sip_rel *rel;   /* RFC 3262 reliable provisionals both ways (prack.c), or NULL; owned */
    uint32_t peer_allow;   /* methods the peer's Allow listed (bit per sc_sip_method, prack.c) */
    bool peer_allow_known; /* it sent an Allow */
};

/* ---- digest authentication as a client (auth.c) ------------------------------------------- */
/* A list of credentials: the agent's (sc_sip_add_credentials) or one call's (a trunk's). */
struct sip_cred {
    struct sip_cred *next;
    char *realm; /* NULL: any realm */
    char *user;
    char *password;
};
int sip_cred_add(struct sip_cred **list, const char *realm, const char *user, const char *password);
void sip_cred_free(struct sip_cred *list); /* the whole list; NULL: nothing */
void sip_auth_free(sc_sip *sip);
/* hex of algorithm ("MD5", "SHA-256") over text; -ENOTSUP for another algorithm. */
int sip_digest_hex(const char *algorithm, const char *text, char *out, size_t cap);
/* The RFC 7616 response (qop "auth" or NULL for the RFC 2069 form) as hex into out. */
int sip_digest_response(const char *algorithm, const char *user, const char *realm, const char *password,
                        const char *method, const char *uri, const char *nonce, const char *qop, const char *nc,
                        const char *cnonce, char *out, size_t cap);
/* The Authorization (401) or Proxy-Authorization (407) answering resp for method and uri:
 * *hname and hvalue; *stale when the challenge says stale=true. -ENOENT (nothing we can answer:
 * no Digest challenge with MD5/SHA-256 for a realm we have credentials for), -ENOTSUP. */
int sip_auth_answer(const struct sip_cred *creds, const osip_message_t *resp, const char *method, const char *uri,
                    const char **hname, char *hvalue, size_t cap, bool *stale);

/* ---- server location (resolve.c with c-ares; its pure parts in dns.c) ---------------------- */
#define SIP_MAX_TARGETS 16
typedef struct sip_target {
    sc_sip_transport tp;
    struct sockaddr_storage addr; /* with the port */
} sip_target;
typedef struct sip_resolved {
    sip_target t[SIP_MAX_TARGETS]; /* in the order to try them (RFC 3263 4.3) */
    size_t n;
    char why[256]; /* n 0: what failed ("DNS: pbx.example.test: no such name") */
} sip_resolved;
typedef struct sip_resolve sip_resolve;
typedef void (*sip_resolve_cb)(void *ud, const sip_resolved *res);
/* Where requests to uri go: 1 when known at once (an IP literal, everything cached, or a failure
 * to start: *now filled, n 0 with why), 0 when cb(ud) gets it later (*out cancels it; out NULL:
 * nobody waits, the answers in flight still fill the cache), or
 * -EINVAL (not a sip: URI with a host and a transport we speak), -ENOMEM. */
int sip_resolve_uri(sc_sip *sip, const char *uri, sip_resolved *now, sip_resolve_cb cb, void *ud, sip_resolve **out);
void sip_resolve_cancel(sip_resolve *r); /* cb is not called; NULL: nothing */
void sip_resolve_close(sc_sip *sip);     /* sc_sip_close: every lookup cancelled, handles closed */
void sip_resolve_free(sc_sip *sip);      /* the last of it, once the handles are closed */

/* A first hop being located and tried (uac.c): the targets, the next one to try. */
typedef struct sip_hop {
    sip_resolved res;
    size_t next;
    sip_resolve *pending; /* the lookup in flight, or NULL */
    char uri[SC_SIP_URI_MAX];
} sip_hop;
/* Starts locating uri (sip_resolve_uri): 1 known now (h->res), 0 cb later, <0 bad URI. */
int sip_hop_start(sc_sip *sip, sip_hop *h, const char *uri, sip_resolve_cb cb, void *ud);
void sip_hop_cancel(sip_hop *h);

/* ---- the agent ------------------------------------------------------------------------- */
struct sc_sip {
    uv_loop_t *loop;
    sc_sip_config cfg; /* strings below are owned copies */
    char *user_agent, *contact_host;
    bool allow_register;    /* REGISTER is served (sc_sip_allow_register): listed in Allow */
    struct sip_cred *creds; /* digest credentials (auth.c) */
    char *dns_servers;      /* cfg.dns_servers copied, or NULL: resolv.conf */
    struct sip_dns *dns;    /* the resolver (resolve.c), made at the first name looked up */
    unsigned t1, t2, t4;
    sip_listener *listeners[SIP_MAX_LISTENERS];
    size_t nlisteners;
    sip_tls_ctx *tls;           /* TLS context (tls.c), or NULL until needed */
    sip_link txs, conns, grave; /* live transactions, TCP connections, dead transactions */
    unsigned nconns;            /* in conns */
    sip_timer t_tcp_idle;       /* sweeps quiet TCP connections (transport.c) */
    sip_timer t_keepalive;      /* RFC 5626 pings on quiet connections that carry a dialog */
    sip_link calls;             /* calls in dialog matching */
    sip_link detached;          /* released calls still used by a transaction */
    sip_link dead_calls;        /* calls with no reference left, freed at sip_leave */
    sip_link spent;             /* transactions answered: their requests freed at sip_leave */
    sip_index tx_index;         /* live transactions by key (tx.c) */
    sip_index call_index;       /* listed calls by Call-ID (dialog.c) */
    sip_index source_index;     /* source IPs with live server transactions (source_limit.c) */
    uv_timer_t reclaim_timer;   /* gives memory back after a burst (reclaim.c) */
    bool reclaim_on;            /* reclaim_timer initialised */
    uint32_t reclaim_high;      /* most transactions + calls alive since the last reclaim */
    sip_timer **heap;
    size_t nheap, capheap;
    uv_timer_t uvt;
    bool uvt_init;
    unsigned depth;
    bool closing, free_requested, accepting;
    unsigned open_handles;
    void (*close_cb)(sc_sip *sip, void *ud);
    void *close_ud;
    sc_sip_stats stats;
};

/* Every entry point brackets its work: objects that die meanwhile are freed at the end. */
void sip_enter(sc_sip *sip);
void sip_leave(sc_sip *sip);
uint64_t sip_now(const sc_sip *sip);
void sip_handle_released(sc_sip *sip); /* a handle counted in open_handles finished closing */

/* source_limit.c: live server transactions per source IP (max_tx_per_source) */
#define SIP_E_SOURCE_LIMIT (-EDQUOT) /* sip_tx_server: the source is at its limit */
typedef struct sip_source sip_source;
/* Counts one more server transaction from src (*out: the count, for the release);
 * SIP_E_SOURCE_LIMIT when the source is at max_tx_per_source, -ENOMEM. */
int sip_source_acquire(sc_sip *sip, const struct sockaddr_storage *src, sip_source **out);
void sip_source_release(sc_sip *sip, sip_source *s); /* one less; NULL: nothing */
void sip_source_fini(sc_sip *sip);                   /* frees every count (teardown) */
/* core.c: a request that could not get a server transaction (rc from sip_tx_server) gets a
 * stateless 503 with Retry-After (limits) or 500, counted; takes req. */
void sip_tx_refused(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src, int rc);

/* reclaim.c: after a burst (transactions + calls fell from their peak: sip_reclaim_due),
 * a low-frequency timer shrinks the indexes and the timer heap and gives freed heap back to
 * the system (malloc_trim on glibc). */
int sip_reclaim_init(sc_sip *sip);   /* from sc_sip_new; the timer is unreferenced */
void sip_reclaim_close(sc_sip *sip); /* from sc_sip_close (counted in open_handles) */
void sip_reclaim_now(sc_sip *sip);   /* the shrink and trim, at once */
/* Whether alive transactions + calls `now` are far enough below their peak `high` for a
 * reclaim: by SIP_RECLAIM_DROP and by a quarter of the peak (not a busy node's swings). */
bool sip_reclaim_due(uint32_t high, uint32_t now);

/* transport.c */
void sip_transport_init(sc_sip *sip); /* from sc_sip_new */
int sip_transport_listen(sc_sip *sip, const char *spec);
int sip_send(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *dst, const char *data, size_t len);
/* The host our Via/Contact/Call-ID carry toward peer (may be NULL): the listener's advertised or
 * bound address, or with a wildcard bind the local address of the route to peer. */
void sip_host_for(const sip_listener *l, const struct sockaddr_storage *peer, char *host, size_t cap);
sip_listener *sip_listener_for(sc_sip *sip, sc_sip_transport tp, int family);
void sip_transport_close(sc_sip *sip);
/* Frames one message at the head of a stream buffer: >0 its length, 0 need more, <0 garbage. */
long sip_frame(const char *buf, size_t len, size_t max);

/* msg.c */
sc_sip_method sip_method_of(const char *m);
const char *sip_reason(int code);
int sip_msg_str(osip_message_t *msg, char **out, size_t *len);
/* osip's allocators: the C library's, but for the big buffer of sip_msg_str (msg.c); set once. */
void sip_msg_allocators(void);
/* The calling thread's reusable block of sip_msg_str freed (sc_sip_free). */
void sip_msg_thread_free(void);
const char *sip_to_tag(const osip_message_t *msg);
const char *sip_from_tag(const osip_message_t *msg);
const char *sip_branch(const osip_message_t *msg);
const char *sip_header(const osip_message_t *msg, const char *name);
int sip_uri_dest(const char *uri, sc_sip_transport *tp, struct sockaddr_storage *out);
int sip_addr_str(const struct sockaddr_storage *ss, char *host, size_t cap, uint16_t *port);
bool sip_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b); /* family, address, port */
int sip_via_dest(const osip_message_t *req, struct sockaddr_storage *out);
osip_message_t *sip_response(sc_sip *sip, const osip_message_t *req, int code, const char *reason, const char *to_tag);
int sip_set_body(osip_message_t *msg, const char *content_type, const char *body);
void sip_add_common(sc_sip *sip, osip_message_t *msg);
int sip_contact(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *peer, char *out, size_t cap);
/* sip_contact for a dialog: a sips: one (RFC 5630 3.1.3) when d->secure on TLS. */
int sip_contact_for(sc_sip *sip, const sip_dialog *d, sc_sip_transport tp, char *out, size_t cap);
osip_message_t *sip_request(sc_sip *sip, const sip_dialog *d, const char *method, uint32_t cseq, const char *branch);
int sip_body(const osip_message_t *msg, const char **body, size_t *len);
const char *sip_content_type(const osip_message_t *msg, char *buf, size_t cap);
void sip_count_out(sc_sip *sip, const osip_message_t *msg);

/* tx.c */
int sip_tx_client(sc_sip *sip, sip_tx **out, osip_message_t *req, sc_sip_transport tp,
                  const struct sockaddr_storage *dst, sc_sip_call *call, tx_purpose purpose);
/* Crash recovery: an INVITE client transaction rebuilt in the Proceeding state for req (our
 * INVITE as sent before the crash, same top Via); nothing is sent and no timer runs (the TU
 * CANCELs it: the call's 64*T1 cancel timer ends it if no final response comes). */
int sip_tx_client_resume(sc_sip *sip, sip_tx **out, osip_message_t *req, sc_sip_transport tp,
                         const struct sockaddr_storage *dst, sc_sip_call *call, tx_purpose purpose);
int sip_tx_server(sc_sip *sip, sip_tx **out, osip_message_t *req, sc_sip_transport tp,
                  const struct sockaddr_storage *src, sc_sip_call *call, tx_purpose purpose);
/* Crash recovery: an INVITE server transaction rebuilt in the Proceeding state for req (the
 * INVITE as received before the crash, its Vias as they were); nothing is sent. */
int sip_tx_server_resume(sc_sip *sip, sip_tx **out, osip_message_t *req, sc_sip_transport tp,
                         const struct sockaddr_storage *src, sc_sip_call *call, tx_purpose purpose);
/* method NULL: the request's own (INVITE for ACK); "INVITE" finds what a CANCEL cancels */
sip_tx *sip_tx_match_server(sc_sip *sip, const osip_message_t *req, const char *method);
sip_tx *sip_tx_match_client(sc_sip *sip, const osip_message_t *resp);
void sip_tx_on_request(sip_tx *tx, osip_message_t *req); /* retransmission or ACK */
void sip_tx_on_response(sip_tx *tx, osip_message_t *resp);
int sip_tx_respond(sip_tx *tx, osip_message_t *resp);              /* takes resp */
int sip_tx_respond_code(sip_tx *tx, int code, const char *reason); /* quick answer */
bool sip_tx_final_sent(const sip_tx *tx);
void sip_tx_terminate(sip_tx *tx);
/* A connection to peer failed (TCP refused, unreachable): client transactions waiting for their
 * first answer from it end with a transport error (their TU tries the next target). */
void sip_tx_transport_error(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *peer);
void sip_tx_free(sip_tx *tx);
void sip_call_ref(sc_sip_call *call);
void sip_call_unref(sc_sip_call *call);

/* core.c: answers req (taken) statelessly: no transaction, a retransmission is answered the same */
void sip_answer(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src, int code,
                const char *reason);

/* call.c / dialog.c: the TU side of transactions */
void sip_call_on_response(sc_sip_call *call, sip_tx *tx, osip_message_t *resp);
void sip_call_on_timeout(sc_sip_call *call, sip_tx *tx, bool transport_error);
void sip_call_emit(sc_sip_call *call, sc_builtin_event type, int status, const char *method, const osip_message_t *msg,
                   sip_tx *stx);
void sip_call_emit_ev(sc_sip_call *call, sc_sip_event *ev);
int sip_dialog_update_target(sc_sip_call *call, const osip_message_t *msg);
int sip_dialog_route_set(sc_sip_call *call, const osip_message_t *msg, bool reverse);
void sip_call_stop_ok(sc_sip_call *call); /* the 2xx waiting for its ACK forgotten */
/* tx's 2xx (just sent) kept and retransmitted until its ACK; -ENOMEM. */
int sip_call_start_ok(sc_sip_call *call, const sip_tx *tx);
sc_sip_call *sip_call_match(sc_sip *sip, const osip_message_t *req);
void sip_call_index(sc_sip_call *call); /* (re)indexes a listed call under d.call_id; after setting it */
void sip_call_unindex(sc_sip_call *call);
void sip_dialog_request(sc_sip *sip, sc_sip_call *call, osip_message_t *req, sc_sip_transport tp,
                        const struct sockaddr_storage *src);
void sip_incoming_invite(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src);
void sip_call_free(sc_sip_call *call);
void sip_dialog_set_phase(sc_sip_call *call, sc_sip_dialog_phase p);
int sip_call_send_request(sc_sip_call *call, osip_message_t *req, tx_purpose purpose, sip_tx **out);
/* True for a UAS dialog whose remote target (first hop) no request of the dialog came from. */
bool sip_call_target_unconfirmed(const sc_sip_call *call);
int sip_build_in_dialog(sc_sip_call *call, const char *method, uint32_t cseq, osip_message_t **out);
int sip_call_new(sc_sip *sip, sc_sip_call **out, void *user);
/* An outbound proxy URI as the URI to send to and its Route value "<sip:...;lr>" (call.c). */
int sip_proxy_route(const char *proxy, char *uri, size_t ucap, char *route, size_t rcap);
/* call.c helpers shared with fork.c */
void sip_uri_text(char *dst, size_t cap, const char *uri); /* a URI without <> */
int sip_add_headers(osip_message_t *m, const char *extra); /* "Name: value\r\n..." lines */
int sip_send_cancel_tx(sc_sip_call *call, sip_tx *ict);    /* a CANCEL for ict's INVITE */
sc_builtin_event sip_final_event(int code);                /* Dialog200OK..Dialog6xx */

/* uac.c: our initial INVITE's way out (RFC 3263 location, failover, DNS failures) */
int sip_uac_new(sc_sip_call *c, const char *ruri, const char *proxy_route, const char *extra, const char *sdp,
                sc_sip_invite_sent_cb on_sent);
/* Locates hop_uri and sends the INVITE now or once known. -EINVAL (bad URI), -ENOTCONN, a send error. */
int sip_uac_start(sc_sip_call *c, const char *hop_uri);
/* Builds the INVITE to ruri and sends it to hop's next target we have a listener for (the
 * call's dialog fields set for it; notify: the on_sent callback). -ENOENT: no target left. */
int sip_uac_send(sc_sip_call *c, sip_hop *hop, const char *ruri, bool notify, sip_tx **out);
/* A 503, no answer or a transport error (why) on the call's INVITE tx: sent to the next target
 * (true). */
bool sip_uac_failover(sc_sip_call *c, const sip_tx *tx, const char *why);
bool sip_uac_cancel_unsent(sc_sip_call *c); /* CANCEL before it left: 487 reported (true) */
const char *sip_uac_ruri(const sc_sip_call *c);
void sip_uac_stop(sc_sip_call *c); /* lookups and timers stop (unref) */
void sip_uac_free(sc_sip_call *c);
/* The initial INVITE's 2xx came (no failover, no CANCEL any more): its contents and first hop
 * (~3 KB) are dropped for the rest of the call. A forked INVITE keeps them (its branches). */
void sip_uac_done(sc_sip_call *c);

/* fork.c: our initial INVITE forked to several Request-URIs (sc_sip_invite_opts.targets) */
/* One INVITE per target (through proxy when not NULL), each sent once its first hop is located
 * (uac.c's contents). -EINVAL (a target is not a sip: URI). */
int sip_fork_start(sc_sip_call *call, const char *const *targets, size_t n, const char *proxy);
void sip_fork_stop(sc_sip_call *call); /* lookups and timers stop (unref) */
void sip_fork_free(sc_sip_call *call);
void sip_fork_tx_gone(sc_sip_call *call, const sip_tx *tx);     /* tx ended (tx.c) */
void sip_fork_provisional(sc_sip_call *call, const sip_tx *tx); /* a 1xx on tx's branch */
void sip_fork_won(sc_sip_call *call, const sip_tx *tx);         /* a first 2xx: CANCEL the others */
int sip_fork_cancel(sc_sip_call *call);                         /* sc_sip_call_cancel */
void sip_fork_terminate(sc_sip_call *call);                     /* every branch's transaction ends */
/* tx's branch failed (status; resp NULL for a timeout or, error, a transport error): true when
 * every branch has failed and none answered (then report with sip_fork_report). */
bool sip_fork_failed(sc_sip_call *call, const sip_tx *tx, int status, const osip_message_t *resp, bool error);
void sip_fork_report(sc_sip_call *call); /* the best final response of the branches */

/* core.c: sip_answer with one extra header line (hname may be NULL) */
void sip_answer_hdr(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src, int code,
                    const char *reason, const char *hname, const char *hvalue);

/* ood.c: out-of-dialog requests offered to the application (cfg.on_screen, cfg.on_request) */
bool sip_ood_wanted(const sc_sip *sip, const osip_message_t *m); /* a REGISTER the TU takes */
/* Screens req or hands it to the TU: true when it was taken (answered or handed over). */
bool sip_ood_request(sc_sip *sip, osip_message_t *m, sc_sip_transport tp, const struct sockaddr_storage *src);

/* session_timer.c: RFC 4028 session timers (active when cfg.session_expires_s > 0) */
bool sip_st_enabled(const sc_sip *sip);
/* Our initial INVITE: Session-Expires and Min-SE. */
void sip_st_uac_invite(sc_sip_call *call, osip_message_t *req);
/* The 2xx of our initial INVITE: interval and refresher from it; timers armed. */
void sip_st_uac_2xx(sc_sip_call *call, const osip_message_t *resp);
/* An INVITE or UPDATE whose Session-Expires is below our Min-SE: answered 422 (req taken),
 * returns true; else false and nothing happens. */
bool sip_st_check_request(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src);
/* Our 2xx to an INVITE or re-INVITE (req): negotiates, adds the headers to resp, arms. */
void sip_st_uas_2xx(sc_sip_call *call, const osip_message_t *req, osip_message_t *resp);
/* An UPDATE without a body in a confirmed dialog while a session timer runs: a refresh,
 * answered here (200 with Session-Expires); returns true when it was handled. */
bool sip_st_on_update(sc_sip_call *call, sip_tx *tx);
void sip_st_on_response(sc_sip_call *call, sip_tx *tx, osip_message_t *resp); /* TXP_REFRESH */
void sip_st_on_timeout(sc_sip_call *call, sip_tx *tx);                        /* TXP_REFRESH */
void sip_st_stop(sc_sip_call *call);                                          /* stops the timers (release, unref) */
void sip_st_free(sc_sip_call *call);                                          /* frees the state (sip_call_free) */
bool sip_has_option(const osip_message_t *m, const char *name, const char *compact, const char *option);

/* prack.c: RFC 3262 reliable provisional responses (100rel), and the peer's Allow */
typedef struct sip_rel sip_rel;
/* Our answer code (sdp or NULL) to the pending initial INVITE goes reliably. */
bool sip_rel_wanted(const sc_sip_call *c, int code, const char *sdp);
/* Before an answer to the pending INVITE: 1 when it was queued behind a reliable provisional
 * awaiting its PRACK (sent when it comes), 0 to send it now, -EBUSY/-ENOMEM. */
int sip_rel_hold(sc_sip_call *c, int code, const char *reason, const char *sdp);
int sip_rel_mark(sc_sip_call *c, osip_message_t *resp);        /* Require: 100rel and the next RSeq */
void sip_rel_sent(sc_sip_call *c, const sip_tx *tx, bool sdp); /* the marked 1xx left on tx */
void sip_rel_final(sc_sip_call *c);                            /* a final answer left */
/* An incoming PRACK in the call's dialog (req taken): matched by RAck, 200 or 481. */
void sip_rel_on_prack(sc_sip *sip, sc_sip_call *c, osip_message_t *req, sc_sip_transport tp,
                      const struct sockaddr_storage *src);
/* A provisional to our INVITE: PRACKed when reliable; false for a retransmission (absorbed). */
bool sip_rel_provisional(sc_sip_call *c, const osip_message_t *resp);
void sip_rel_stop(sc_sip_call *c); /* timers stop (unref, release) */
void sip_rel_free(sc_sip_call *c);
void sip_allow_note(sc_sip_call *c, const osip_message_t *m); /* the peer's Allow, if it sent one */
/* dialog.c: answers the pending INVITE (sc_sip_call_respond without the checks) */
int sip_dialog_respond(sc_sip_call *c, int code, const char *reason, const char *sdp);

#endif
