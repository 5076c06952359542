/* sip: a self-contained SIP user agent on libuv (UDP, TCP and TLS transport, RFC 3261 transactions,
 * dialogs, INVITE sessions) and SDP offer/answer helpers; it reports typed events upward and
 * knows nothing of the state table or the session store. */
#ifndef SESSION_CORE_SIP_H
#define SESSION_CORE_SIP_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include "session_core/base.h"
#include "session_core/table.h" /* only for sc_builtin_event (SC_EV_Dialog200OK, ...) */

struct osip_message; /* libosip2's osip_message_t */

typedef struct sc_sip sc_sip;           /* one user agent: listeners, transactions, calls */
typedef struct sc_sip_call sc_sip_call; /* one INVITE session and its dialog */
typedef struct sc_sip_stx sc_sip_stx;   /* a server transaction awaiting the TU's answer */

typedef enum sc_sip_transport {
    SC_SIP_UDP = 0,
    SC_SIP_TCP = 1,
    SC_SIP_TLS = 2, /* TLS over TCP (RFC 3261 26, src/sip/tls.c) */
} sc_sip_transport;

/* ---- Statistics ------------------------------------------------------------------------- */

#define SC_SIP_METHODS(X) \
    X(INVITE)             \
    X(ACK)                \
    X(BYE)                \
    X(CANCEL)             \
    X(OPTIONS)            \
    X(REFER)              \
    X(NOTIFY)             \
    X(INFO)               \
    X(UPDATE)             \
    X(PRACK)              \
    X(OTHER)

typedef enum sc_sip_method {
#define SC_SIP_METHOD_ENUM(name) SC_SIP_M_##name,
    /* clang-format off */
    SC_SIP_METHODS(SC_SIP_METHOD_ENUM)
#undef SC_SIP_METHOD_ENUM
    SC_SIP_M__COUNT
    /* clang-format on */
} sc_sip_method;

/* Why an incoming message was rejected or dropped (each counted in sc_sip_stats.rejected). */
#define SC_SIP_REJECTS(X)                                                            \
    X(TOO_LARGE, "message larger than max_message_size")                             \
    X(UNPARSABLE, "the parser refused the message")                                  \
    X(MISSING_HEADER, "a mandatory header is missing or malformed (400)")            \
    X(BAD_VERSION, "SIP version is not SIP/2.0 (505)")                               \
    X(CSEQ_METHOD, "CSeq method differs from the request method (400)")              \
    X(BAD_CONTENT_LENGTH, "Content-Length larger than the body (400)")               \
    X(TOO_MANY_HOPS, "Max-Forwards reached 0 (483)")                                 \
    X(METHOD_NOT_ALLOWED, "a standard method we do not offer (405)")                 \
    X(NOT_IMPLEMENTED, "a method we do not know (501)")                              \
    X(BAD_EXTENSION, "Require names an option we do not support (420)")              \
    X(BAD_URI_SCHEME, "Request-URI of a scheme other than sip/sips (416)")           \
    X(UNSUPPORTED_MEDIA, "a body we cannot read (415), an Accept without SDP (406)") \
    X(NO_DIALOG, "request for an unknown dialog or transaction (481)")               \
    X(CSEQ_ORDER, "in-dialog CSeq lower than the last one (500)")                    \
    X(GLARE, "re-INVITE while one of ours is pending (491)")                         \
    X(PENDING, "INVITE while another is pending in the dialog (500)")                \
    X(LOOP, "merged request (482)")                                                  \
    X(OVERLOAD, "transaction, call or shutdown limit (503)")                         \
    X(STRAY_RESPONSE, "response matching no client transaction")                     \
    X(STRAY_ACK, "ACK matching no transaction or dialog")                            \
    X(STREAM_GARBAGE, "TCP stream not framed by Content-Length; connection dropped") \
    X(SOURCE_LIMIT, "one source IP at max_tx_per_source server transactions (503)")

typedef enum sc_sip_reject {
#define SC_SIP_REJECT_ENUM(name, text) SC_SIP_REJ_##name,
    /* clang-format off */
    SC_SIP_REJECTS(SC_SIP_REJECT_ENUM)
#undef SC_SIP_REJECT_ENUM
    SC_SIP_REJ__COUNT
    /* clang-format on */
} sc_sip_reject;

SC_EXPORT const char *sc_sip_method_name(sc_sip_method m); /* "INVITE", ..., "OTHER" */
SC_EXPORT const char *sc_sip_reject_name(sc_sip_reject r); /* "TOO_LARGE", ... */

/* Why a TLS connection was closed before or while carrying SIP (sc_sip_stats.tls_failures). */
#define SC_SIP_TLS_FAILURES(X)                                                        \
    X(HANDSHAKE, "handshake failed (protocol error, no common cipher or version)")    \
    X(CERTIFICATE, "the peer's certificate did not verify (CA set, host name or IP)") \
    X(PLAINTEXT, "plaintext (not a TLS record) on a TLS connection")                  \
    X(TRUNCATED, "the peer closed the connection in the middle of a TLS record")      \
    X(TIMEOUT, "the handshake did not finish within tls_handshake_ms")                \
    X(PROTOCOL, "a TLS error after the handshake (bad record, alert from the peer)")

typedef enum sc_sip_tls_failure {
#define SC_SIP_TLS_FAIL_ENUM(name, text) SC_SIP_TLS_FAIL_##name,
    /* clang-format off */
    SC_SIP_TLS_FAILURES(SC_SIP_TLS_FAIL_ENUM)
#undef SC_SIP_TLS_FAIL_ENUM
    SC_SIP_TLS_FAIL__COUNT
    /* clang-format on */
} sc_sip_tls_failure;

SC_EXPORT const char *sc_sip_tls_failure_name(sc_sip_tls_failure f); /* "handshake", ... */

typedef struct sc_sip_stats {
    uint64_t requests_in[SC_SIP_M__COUNT];  /* requests received, by method */
    uint64_t requests_out[SC_SIP_M__COUNT]; /* requests sent (first sends, not retransmissions) */
    uint64_t responses_in[7];               /* responses received by class: [1]=1xx .. [6]=6xx */
    uint64_t responses_out[7];              /* responses sent by class (first sends) */
    uint64_t retransmissions_sent;          /* requests and responses sent again by a timer */
    uint64_t retransmissions_absorbed;      /* duplicates received and absorbed */
    uint64_t rejected[SC_SIP_REJ__COUNT];   /* incoming messages rejected, by reason */
    uint64_t send_errors;                   /* sends that failed at the transport */
    uint64_t tcp_refused;                   /* TCP connections closed at accept: over a limit */
    uint64_t tcp_idle_closed;               /* TCP connections closed after tcp_idle_ms quiet */
    uint64_t tcp_bytes_in;                  /* bytes read from SIP TCP connections */
    uint64_t tcp_bytes_examined;            /* of them, bytes looked at by the stream framer: at most
                                             * about twice tcp_bytes_in however the bytes are cut */
    uint64_t unconfirmed_sends;             /* requests sent once, unretransmitted, to a UAS dialog's
                                             * unconfirmed remote target (no ACK came from it) */
    uint32_t active_transactions;           /* live transactions */
    uint32_t active_dialogs;                /* calls whose dialog is early or confirmed */
    uint32_t active_calls;                  /* call objects alive (not yet freed) */
    /* Flood hardening (src/sip/source_limit.c, src/sip/reclaim.c) */
    uint32_t tx_sources; /* source IPs with live server transactions */
    uint64_t reclaims;   /* times the agent shrank its tables and gave freed heap back (a burst ended) */
    /* TLS (src/sip/tls.c) */
    uint64_t tls_handshakes;                       /* TLS handshakes completed, both ways */
    uint64_t tls_failures[SC_SIP_TLS_FAIL__COUNT]; /* TLS connections closed on an error, by reason */
    uint64_t keepalive_pings;                      /* RFC 5626 CRLFCRLF pings we sent (keepalive_ms) */
    uint64_t keepalive_pongs;                      /* CRLF pongs we sent answering a peer's pings */
} sc_sip_stats;

/* ---- Dialog state: plain data, so it can be persisted and restored --------------------- */

typedef enum sc_sip_dialog_phase {
    SC_SIP_DIALOG_NONE = 0,       /* no dialog yet (INVITE sent or received, no tag) */
    SC_SIP_DIALOG_EARLY = 1,      /* 1xx with a to-tag */
    SC_SIP_DIALOG_CONFIRMED = 2,  /* 2xx */
    SC_SIP_DIALOG_TERMINATED = 3, /* BYE, final non-2xx, or timeout */
} sc_sip_dialog_phase;

/* The limits of a dialog's values (each shorter than its limit: a longer one from the network
 * is refused with a 400 "Value Too Long", never truncated). A call keeps its values at their
 * exact size; this struct, with buffers at the limits, is the plain-data form for copies
 * (sc_sip_call_dialog), persistence and restore. */
#define SC_SIP_CALLID_MAX 256
#define SC_SIP_TAG_MAX 128
#define SC_SIP_URI_MAX 512
#define SC_SIP_ROUTESET_MAX 2048

typedef struct sc_sip_dialog_state {
    char call_id[SC_SIP_CALLID_MAX];     /* Call-ID */
    char local_tag[SC_SIP_TAG_MAX];      /* our tag (From tag as UAC, To tag as UAS) */
    char remote_tag[SC_SIP_TAG_MAX];     /* the peer's tag ("" until known) */
    char local_uri[SC_SIP_URI_MAX];      /* our address-of-record URI */
    char remote_uri[SC_SIP_URI_MAX];     /* the peer's address-of-record URI */
    char remote_target[SC_SIP_URI_MAX];  /* the peer's Contact URI (request target) */
    char route_set[SC_SIP_ROUTESET_MAX]; /* Route values in sending order, ", "-joined */
    uint32_t local_cseq;                 /* CSeq of our last request */
    uint32_t remote_cseq;                /* CSeq of the peer's last request (0: none yet) */
    sc_sip_transport transport;          /* transport of the dialog */
    struct sockaddr_storage local_addr;  /* our listener address */
    struct sockaddr_storage remote_addr; /* where in-dialog requests go (first hop) */
    bool secure;                         /* a sips: dialog (RFC 5630): our Contact is sips: */
    bool is_uac;                         /* we sent the initial INVITE */
    sc_sip_dialog_phase phase;           /* early/confirmed/terminated */
} sc_sip_dialog_state;

/* ---- Events ---------------------------------------------------------------------------- */

/* What a call reports. Everything it points to is borrowed for the duration of the callback.
 * type is one of the SC_EV_Dialog* values:
 *  UAC INVITE: Dialog100Trying, Dialog180Ringing (also 181/182), Dialog183SessionProgress,
 *    Dialog200OK (answer the call with sc_sip_call_ack), Dialog3xx..Dialog6xx,
 *    Dialog487RequestTerminated, DialogTimeout (timer B, or no final answer 64*T1 after CANCEL),
 *    DialogError (transport failure).
 *  UAS: DialogACK (ACK for our 2xx), DialogTimeout (no ACK for our 2xx in 64*T1),
 *    DialogCANCEL (the 200 for the CANCEL is already sent; answer the INVITE 487),
 *    DialogBYE, DialogREFER, DialogNOTIFY, DialogINFO, DialogUPDATE, DialogReINVITE (stx set:
 *    answer the re-INVITE with sc_sip_call_respond, the others with sc_sip_respond).
 *  Our in-dialog requests (BYE, REFER, NOTIFY, INFO, UPDATE, OPTIONS) report their final
 *    response as Dialog200OK (2xx) or Dialog3xx..6xx, or DialogTimeout, with method naming the
 *    request; re-INVITE: DialogReINVITEAccepted (the ACK is sent automatically) or
 *    DialogReINVITERejected (a 491 also sets retry_ms: the re-INVITE is re-sent after it). */
typedef struct sc_sip_event {
    sc_builtin_event type;          /* SC_EV_Dialog* */
    int status;                     /* SIP status of the response (0 for requests, timeouts) */
    const char *reason;             /* reason phrase or a short description; never NULL */
    const char *method;             /* method of the request concerned; never NULL */
    const struct osip_message *msg; /* the message, NULL for timers */
    const char *body;               /* message body (NUL-terminated) or NULL */
    size_t body_len;                /* its length */
    const char *content_type;       /* "application/sdp" etc., or NULL */
    sc_sip_stx *stx;                /* incoming request to answer (sc_sip_respond), or NULL */
    unsigned retry_ms;              /* 491 on our re-INVITE: re-sent after this delay */
} sc_sip_event;

/* ---- Configuration --------------------------------------------------------------------- */

/* A new INVITE out of dialog. The call is a new reference owned by the application (release
 * with sc_sip_call_release); a 100 Trying has been sent. Answer with sc_sip_call_respond,
 * right away or later. */
typedef void (*sc_sip_incoming_cb)(sc_sip *sip, sc_sip_call *call, const struct osip_message *msg, void *ud);
typedef void (*sc_sip_event_cb)(sc_sip_call *call, const sc_sip_event *ev, void *ud);
/* Sees every outgoing message before the wire; return true to swallow it (tests, fuzzing). */
typedef bool (*sc_sip_send_hook)(void *ud, sc_sip_transport tp, const struct sockaddr *dst, const char *data,
                                 size_t len);
/* A new out-of-dialog request from src (its transport source), before the agent acts on it:
 * 0 to go on, or a final status (400..699) to answer it with, after writing the header lines
 * to add ("Name: value\r\n...", e.g. a digest challenge) into hdrs (cap bytes, starts empty). */
typedef int (*sc_sip_screen_cb)(sc_sip *sip, const struct osip_message *msg, const struct sockaddr_storage *src,
                                char *hdrs, size_t cap, void *ud);
/* An out-of-dialog request the agent hands to the application (REGISTER): answer stx with
 * sc_sip_respond_ex, now or later, always. */
typedef void (*sc_sip_request_cb)(sc_sip *sip, sc_sip_stx *stx, const struct osip_message *msg, void *ud);

typedef struct sc_sip_config {
    const sc_clock *clock;          /* NULL: system clock */
    const sc_logger *logger;        /* NULL: silent */
    const char *user_agent;         /* User-Agent value; NULL: "session-core/<version>" */
    unsigned t1_ms, t2_ms, t4_ms;   /* RFC 3261 timers; 0: 500, 4000, 5000 */
    size_t max_message_size;        /* 0: 65535 bytes */
    unsigned max_transactions;      /* 0: 8192; beyond: 503 with Retry-After */
    unsigned max_calls;             /* 0: 4096; beyond: 503 with Retry-After */
    unsigned retry_after_s;         /* Retry-After of those 503s; 0: 5 */
    unsigned max_tx_per_source;     /* live server transactions from one source IP; 0: 8192; beyond:
                                       503 with Retry-After, sent statelessly (SOURCE_LIMIT) */
    unsigned max_tcp_connections;   /* TCP connections at once, both ways; 0: 1024; beyond: refused */
    unsigned max_tcp_per_peer;      /* incoming TCP connections from one IP; 0: 32; beyond: refused */
    unsigned tcp_idle_ms;           /* a TCP connection quiet this long (nothing read or written,
                                       nothing queued) is closed; 0: 300000 (5 min) */
    const char *contact_host;       /* host for Via/Contact; NULL: the listener's address */
    sc_sip_incoming_cb on_incoming; /* NULL: incoming INVITEs get 480 */
    sc_sip_event_cb on_event;       /* call events */
    sc_sip_send_hook send_hook;     /* NULL: none */
    void *ud;                       /* passed to the callbacks */
    /* RFC 4028 session timers (src/sip/session_timer.c). 0: off (Require: timer gets 420).
     * On: "Supported: timer" on every message; our INVITEs carry Session-Expires and Min-SE;
     * our 2xx carry Session-Expires (and Require: timer when the peer supports it); requests
     * below min_se get 422 with Min-SE; the refresher (we prefer it, unless the peer cannot
     * take UPDATE) refreshes with a bodyless UPDATE at half the interval; a bodyless UPDATE
     * from the peer is a refresh answered by the agent (not reported); when no refresh comes
     * by the interval minus min(32 s, interval/3), or our refresh gets 408/481/no answer,
     * the call reports SC_EV_SessionExpired (the TU sends BYE). */
    unsigned session_expires_s; /* our preferred interval (seconds), 0 = session timers off */
    unsigned min_se_s;          /* our Min-SE; 0: 90 (RFC 4028 minimum; below is for tests) */
    /* RFC 3263 server location (src/sip/resolve.c, c-ares): the DNS servers asked, "IP[:PORT],..."
     * ("127.0.0.1:5353,[::1]"); NULL: those of /etc/resolv.conf. A bad list: sc_sip_new -EINVAL. */
    const char *dns_servers;
    /* Out-of-dialog requests (src/sip/ood.c): on_screen judges every one but ACK, CANCEL,
     * OPTIONS and REGISTER (a registrar: digest challenges, 403); on_request takes REGISTER
     * (NULL: 405 as for any method we do not offer). */
    sc_sip_screen_cb on_screen;   /* NULL: nothing screened */
    sc_sip_request_cb on_request; /* NULL: REGISTER gets 405 */
    /* TLS (RFC 3261 26; src/sip/tls.c). Each of cert, key and ca is a file path or the PEM text
     * itself (starting with "-----BEGIN"). cert and key: what we present (a "tls:" listener needs
     * them; outgoing connections present them too when set). ca: the CA set peer certificates
     * are verified against (NULL: the system's default set). Outgoing TLS verifies the server's
     * certificate chain and its name (the URI's host name, sent as SNI, or for an IP literal an
     * IP SAN) unless tls_insecure_no_verify; incoming connections do not ask for a client
     * certificate. */
    const char *tls_cert, *tls_key, *tls_ca;
    bool tls_insecure_no_verify; /* outgoing TLS accepts any certificate (labs only) */
    unsigned tls_handshake_ms;   /* a handshake not finished by then closes the connection; 0: 10000 */
    /* RFC 5626 4.4.1 keep-alive on TCP and TLS: a connection we opened that carries an early or
     * confirmed dialog and was quiet keepalive_ms gets a CRLFCRLF ping (so it stays open through
     * NATs and tcp_idle_ms); a peer's ping is always answered with CRLF. 0: no pings. */
    unsigned keepalive_ms;
} sc_sip_config;

/* ---- The user agent -------------------------------------------------------------------- */

/* Creates a user agent on loop (borrowed, must outlive it). cfg is copied (strings too).
 * Errors: -EINVAL, -ENOMEM. */
SC_EXPORT int sc_sip_new(sc_sip **out, uv_loop_t *loop, const sc_sip_config *cfg);
/* Checks cfg's TLS settings by loading them (cert, key, their match, ca): 0, or a negative error
 * with one line saying what is wrong in err. Nothing set: 0. */
SC_EXPORT int sc_sip_tls_check(const sc_sip_config *cfg, char *err, size_t cap);
/* Adds a listener: "udp:127.0.0.1:5060", "tcp:127.0.0.1:5060", "udp:[::1]:5060" (port 0
 * picks one), optionally ",advertise=ADDR": what Via and Contact carry for it. The bind is
 * exclusive (a second agent on the same address fails with -EADDRINUSE). Bound to a wildcard
 * address with nothing advertised (here or contact_host), Via/Contact carry the address of the
 * interface the route to each peer goes out of, never 0.0.0.0 or ::. Errors: -EINVAL (bad
 * spec), a uv error (-EADDRINUSE...). "tls:HOST:PORT" listens for SIP over TLS; it needs
 * cfg.tls_cert and tls_key (-ENOKEY without them). */
SC_EXPORT int sc_sip_listen(sc_sip *sip, const char *spec);
/* Credentials for digest authentication (RFC 3261 22, RFC 7616, RFC 8760): a 401 or 407 to our
 * INVITE is answered once with them (MD5 or SHA-256) when its realm matches (realm NULL: any
 * realm); a second challenge that is not stale ends the call with the challenge's status.
 * Copied; never logged. 0, -EINVAL, -ENOMEM. */
SC_EXPORT int sc_sip_add_credentials(sc_sip *sip, const char *realm, const char *user, const char *password);
/* The application serves REGISTER (a registrar behind on_request): the Allow header of our
 * messages lists it from now on. */
SC_EXPORT void sc_sip_allow_register(sc_sip *sip);
/* The local address the route to peer goes out of (no packet is sent), as text into host.
 * 0, -EINVAL, or the socket error (-ENETUNREACH). */
SC_EXPORT int sc_sip_route_source(const struct sockaddr_storage *peer, char *host, size_t cap);
/* Send a complete message (a request or response already built, e.g. one a send hook held
 * back) on transport tp to dst, without passing it to the send hook again. 0 or a negative
 * error (-ECANCELED once the agent is closing). */
SC_EXPORT int sc_sip_send_unhooked(sc_sip *sip, sc_sip_transport tp, const struct sockaddr_storage *dst,
                                   const char *data, size_t len);
/* One message of sc_sip_send_many_unhooked. */
typedef struct sc_sip_outmsg {
    sc_sip_transport tp;
    const struct sockaddr_storage *dst;
    const char *data;
    size_t len;
} sc_sip_outmsg;
/* Sends n messages in order as sc_sip_send_unhooked does each, the UDP ones that follow each
 * other on one listener in one sendmmsg system call (up to 64), e.g. the answers a commit
 * releases together. A message that fails is counted and skipped as alone. Returns how many
 * could not be sent (0 when all left). */
SC_EXPORT size_t sc_sip_send_many_unhooked(sc_sip *sip, const sc_sip_outmsg *m, size_t n);
/* The bound address of listener idx (in order of sc_sip_listen). -ENOENT if none. */
SC_EXPORT int sc_sip_listener_addr(const sc_sip *sip, size_t idx, struct sockaddr_storage *out);
/* Stops everything: closes sockets and timers; cb (may be NULL) runs once all uv handles are
 * closed, then sc_sip_free may be called. Events are no longer delivered. */
SC_EXPORT void sc_sip_close(sc_sip *sip, void (*cb)(sc_sip *sip, void *ud), void *ud);
/* Frees the agent and every call (call pointers become invalid). If sc_sip_close has not
 * completed, it closes the handles and the memory goes once the loop has run them closed.
 * NULL: nothing. */
SC_EXPORT void sc_sip_free(sc_sip *sip);
/* When false, new INVITEs get 503 with Retry-After (shutdown). Default true. */
SC_EXPORT void sc_sip_set_accepting(sc_sip *sip, bool accepting);
SC_EXPORT void sc_sip_get_stats(const sc_sip *sip, sc_sip_stats *out);

/* The receive path: one whole message (datagram or framed stream message) from src. Used by
 * the transports and by the fuzz target; responses go out through the normal send path. */
SC_EXPORT void sc_sip_feed(sc_sip *sip, sc_sip_transport tp, const struct sockaddr *src, const char *data, size_t len);

/* Answers an incoming request given in an event (stx). code 100..699; body and content_type
 * may be NULL. A final answer consumes stx. Errors: -EINVAL (bad code, stx already answered),
 * -ENOMEM. Answer an INVITE or re-INVITE with sc_sip_call_respond instead. */
SC_EXPORT int sc_sip_respond(sc_sip *sip, sc_sip_stx *stx, int code, const char *reason, const char *content_type,
                             const char *body);

/* The transport source of the incoming request stx: the address its datagram came from, or
 * the peer of the TCP connection it arrived on; never its Via (which the sender writes). For
 * policy decisions about the sender (sessiond's --trust). -EINVAL (NULL, or not an incoming
 * request), -ENOENT (an INVITE rebuilt by crash recovery: the source is not known). */
SC_EXPORT int sc_sip_stx_source(const sc_sip_stx *stx, struct sockaddr_storage *out);

/* sc_sip_respond with extra header lines (e.g. "Refer-Sub: false\r\n" on a 202) or NULL;
 * non-INVITE requests only (-EINVAL otherwise, or for malformed headers). */
SC_EXPORT int sc_sip_respond_ex(sc_sip *sip, sc_sip_stx *stx, int code, const char *reason, const char *extra_headers,
                                const char *content_type, const char *body);

/* ---- Calls ----------------------------------------------------------------------------- */
/* Ownership: sc_sip_call_invite, sc_sip_call_restore and the on_incoming callback hand the
 * application one reference. sc_sip_call_release drops it: no more events are delivered, the
 * call leaves dialog matching (later requests get 481), pending incoming requests are answered
 * (INVITE 480, others 481), and the memory goes when its last transaction ends (or at
 * sc_sip_free). Releasing does not send BYE or CANCEL: do that first. */

/* Sends an INVITE from from_uri to to_uri (a sip: URI; ";transport=tcp" selects TCP) with an
 * optional SDP offer. Its first hop is located by RFC 3263 (src/sip/resolve.c, c-ares on the
 * loop): an IP literal, or a name cached from an earlier lookup, sends the INVITE at once;
 * otherwise the call is returned at once and the INVITE leaves when the DNS has answered
 * (NAPTR -> SRV by priority and weight -> A/AAAA; an explicit port: A/AAAA only; ";transport=":
 * that SRV service only). A 503 or no answer (Timer B) sends it to the next target with a new
 * transaction (RFC 3263 4.3); a name that resolves to nothing we can use ends the call with
 * DialogError and the reason ("DNS: pbx.example.test: no such name"). Errors: -EINVAL (bad URI),
 * -ENOTCONN (no listener), SC_E_OVERLOAD (limits), -ENOMEM, a transport error. */
SC_EXPORT int sc_sip_call_invite(sc_sip *sip, sc_sip_call **out, const char *from_uri, const char *to_uri,
                                 const char *sdp_offer, void *user);
/* Sends the ACK for the 2xx reported by Dialog200OK (sdp: an answer for a late offer, or NULL).
 * Retransmitted 2xx are answered with the same ACK. -EINVAL if no 2xx awaits an ACK. */
SC_EXPORT int sc_sip_call_ack(sc_sip_call *call, const char *sdp);
/* The same with extra header lines ("Name: value\r\n...", e.g. Referred-By, Replaces for a
 * transfer) or NULL. -EINVAL also for malformed headers. */
SC_EXPORT int sc_sip_call_invite_ex(sc_sip *sip, sc_sip_call **out, const char *from_uri, const char *to_uri,
                                    const char *extra_headers, const char *sdp_offer, void *user);
/* Our initial INVITE is about to leave with this top Via (to persist for
 * sc_sip_call_resume_invite): at once for an IP literal or a cached name, when the DNS answered
 * otherwise, and again for each RFC 3263 failover to the next target. */
typedef void (*sc_sip_invite_sent_cb)(sc_sip_call *call, const char *via, void *user);
/* How an INVITE goes out, beyond its From, To and body. Everything is borrowed for the call. */
typedef struct sc_sip_invite_opts {
    const char *extra_headers;  /* "Name: value\r\n..." lines, or NULL */
    const char *sdp_offer;      /* or NULL (late offer) */
    const char *proxy;          /* outbound proxy URI: a pre-loaded Route header (RFC 3261 8.1.2)
                                  and the first hop; NULL: none */
    const char *auth_user;      /* credentials for this call's challenges (a trunk's), used instead */
    const char *auth_password;  /* of the agent's (sc_sip_add_credentials); NULL: the agent's */
    const char *const *targets; /* parallel fork: the Request-URIs of the branches (a registered
                                   user's contacts), To stays to_uri; the first 2xx wins and the
                                   other branches are CANCELled. ntargets 0: to_uri only */
    size_t ntargets;
    sc_sip_invite_sent_cb on_sent; /* NULL: none (not called for a forked INVITE) */
} sc_sip_invite_opts;
/* sc_sip_call_invite_ex with options (opts NULL: none). Errors as sc_sip_call_invite_ex.
 * proxy: the INVITE (and its CANCEL, the ACK of a non-2xx) goes to the proxy's address with
 * "Route: <proxy;lr>" (";lr" added when missing: loose routing only, RFC 2543 strict routers are
 * not supported); to_uri stays the Request-URI; the dialog's route set then comes from the
 * answer's Record-Route. targets (fork.c): one INVITE client transaction per target, same
 * Call-ID, From tag and CSeq, a new branch each; provisionals are reported (the first with a
 * tag is the early dialog); the first 2xx is the call's dialog and the other branches get
 * CANCEL (a later 2xx is ACKed and hung up); when every branch failed the call reports the best
 * final response (RFC 3261 16.7: a 6xx, else the lowest class) or DialogTimeout/DialogError;
 * sc_sip_call_cancel cancels every branch. A forked call has no sc_sip_call_invite_via (crash
 * recovery cannot CANCEL it) and its branches do not answer digest challenges. */
SC_EXPORT int sc_sip_call_invite_opts(sc_sip *sip, sc_sip_call **out, const char *from_uri, const char *to_uri,
                                      const sc_sip_invite_opts *opts, void *user);
/* Cancels our pending INVITE: now if a provisional came, else when the first one arrives.
 * The 487 then reports Dialog487RequestTerminated. -EINVAL if there is nothing to cancel. */
SC_EXPORT int sc_sip_call_cancel(sc_sip_call *call);
/* Answers the pending INVITE or re-INVITE: 1xx (an early dialog), 2xx (sdp is the answer;
 * retransmitted until ACK), 3xx-6xx. -EINVAL if no INVITE is pending. */
SC_EXPORT int sc_sip_call_respond(sc_sip_call *call, int code, const char *reason, const char *sdp);
/* A final 3xx-6xx answer to the pending INVITE carrying "Retry-After: retry_after_s"
 * (admission control's 503). -EINVAL if no INVITE is pending or code is not final. */
SC_EXPORT int sc_sip_call_reject_retry(sc_sip_call *call, int code, const char *reason, unsigned retry_after_s);
/* Sends BYE on a confirmed dialog. -EINVAL otherwise (an early UAC dialog needs a CANCEL). */
SC_EXPORT int sc_sip_call_bye(sc_sip_call *call);
/* Sends a re-INVITE with a new offer. -EINVAL (not confirmed), -EBUSY (an INVITE is pending). */
SC_EXPORT int sc_sip_call_reinvite(sc_sip_call *call, const char *sdp);
/* Sends REFER/NOTIFY/INFO/UPDATE/OPTIONS in the dialog. extra_headers: "Name: value\r\n..."
 * lines or NULL. -EINVAL (method INVITE/ACK/BYE/CANCEL, no confirmed dialog, bad headers). */
SC_EXPORT int sc_sip_call_request(sc_sip_call *call, const char *method, const char *extra_headers,
                                  const char *content_type, const char *body);
/* Creates a confirmed call from persisted dialog state (crash recovery). */
SC_EXPORT int sc_sip_call_restore(sc_sip *sip, sc_sip_call **out, const sc_sip_dialog_state *st, void *user);
/* The top Via of our initial INVITE while it awaits its final response ("SIP/2.0/UDP
 * 10.0.0.1:5060;branch=z9hG4bK...;rport"), copied into buf: persist it to CANCEL the INVITE
 * after a crash (sc_sip_call_resume_invite). -ENOENT (no pending initial INVITE: also while it
 * waits for the DNS, or forked; sc_sip_invite_opts.on_sent reports it when it leaves), -ENOSPC. */
SC_EXPORT int sc_sip_call_invite_via(const sc_sip_call *call, char *buf, size_t cap);
/* Crash recovery of our unanswered initial INVITE (RFC 3261 9.1): a new call (one reference
 * for the application) whose INVITE client transaction is rebuilt in the Proceeding state from
 * persisted data: st->call_id, local_tag, local_uri, remote_uri (the Request-URI and To of an
 * INVITE from sc_sip_call_invite; also gives transport and destination unless remote_addr is
 * set), local_cseq (the INVITE's CSeq) and via (from sc_sip_call_invite_via or the on_sent
 * callback). When st->remote_addr has a family it is where the INVITE went (located by DNS, or a
 * proxy), with st->transport, and st->route_set its Route headers (a proxy's, "" for none). Nothing is sent: call
 * sc_sip_call_cancel, which sends the CANCEL at once (same branch and CSeq number). The rebuilt
 * transaction then takes what comes back: a 487 (or another final non-2xx) is ACKed with the
 * same branch and reported as for any INVITE (Dialog487RequestTerminated...); a 2xx that
 * crossed the CANCEL is Dialog200OK (ACK it, then BYE); no final answer 64*T1 after the
 * CANCEL: DialogTimeout. Errors: -EINVAL (missing fields, a Via without a z9hG4bK branch, a
 * URI without an IP literal host and no remote_addr), -ENOTCONN (no listener for its transport and family),
 * SC_E_OVERLOAD, -ENOMEM. */
SC_EXPORT int sc_sip_call_resume_invite(sc_sip *sip, sc_sip_call **out, const sc_sip_dialog_state *st, const char *via,
                                        void *user);
/* The Via headers of the pending initial INVITE we received (callee side), all of them in
 * order as received, comma-separated ("SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;..."):
 * persist them to answer the INVITE after a crash (sc_sip_call_resume_incoming). -ENOENT (no
 * pending initial incoming INVITE), -ENOSPC. */
SC_EXPORT int sc_sip_call_incoming_vias(const sc_sip_call *call, char *buf, size_t cap);
/* Crash recovery of an incoming call not yet answered (callee side, RFC 3261 17.2.1): a new
 * call (one reference for the application) in the early phase whose INVITE server transaction
 * is rebuilt in the Proceeding state from persisted data: st->call_id, local_tag (our To tag),
 * remote_tag, local_uri (To), remote_uri (From), remote_target, route_set, transport,
 * remote_cseq (the INVITE's CSeq number), local_cseq, and vias (sc_sip_call_incoming_vias).
 * Nothing is sent. Then, as for a live call: sc_sip_call_respond answers (a 2xx is
 * retransmitted until the ACK, a non-2xx by the transaction until its ACK); a CANCEL on the top
 * Via's branch gets 200 and DialogCANCEL is reported (answer the INVITE 487). Responses carry
 * the stored Vias, From and To (URIs and tags; display names are not kept) and Record-Route
 * from the route set; they go to the top Via's sent-by (received/rport). -EINVAL (missing
 * fields, unparsable Vias), -ENOTCONN (no listener), SC_E_OVERLOAD, -ENOMEM. */
SC_EXPORT int sc_sip_call_resume_incoming(sc_sip *sip, sc_sip_call **out, const sc_sip_dialog_state *st,
                                          const char *vias, void *user);
SC_EXPORT void sc_sip_call_release(sc_sip_call *call); /* NULL: nothing */

SC_EXPORT void sc_sip_call_dialog(const sc_sip_call *call, sc_sip_dialog_state *out); /* a copy */
/* The negotiated RFC 4028 session interval and whether we refresh; -ENOENT if no timer runs. */
SC_EXPORT int sc_sip_call_session_timer(const sc_sip_call *call, unsigned *interval_s, bool *we_refresh);
SC_EXPORT const char *sc_sip_call_id(const sc_sip_call *call);
SC_EXPORT const char *sc_sip_call_local_uri(const sc_sip_call *call);
SC_EXPORT const char *sc_sip_call_remote_uri(const sc_sip_call *call);
SC_EXPORT void *sc_sip_call_user(const sc_sip_call *call);
SC_EXPORT void sc_sip_call_set_user(sc_sip_call *call, void *user);
SC_EXPORT sc_sip *sc_sip_call_agent(const sc_sip_call *call);
/* The peer may take method in this dialog: its INVITE (callee side) or its provisional and 2xx
 * answers (caller side) listed it in Allow, or it sent no Allow at all (src/sip/prack.c). */
SC_EXPORT bool sc_sip_call_peer_allows(const sc_sip_call *call, const char *method);

/* ---- Registration as a client (RFC 3261 section 10, src/sip/register.c) ----------------- */
/* One binding of ours at a registrar (a trunk's): REGISTER on start, refreshed before the
 * granted expiry, challenges answered, failures retried with a doubling backoff; Call-ID
 * constant and CSeq increasing across refreshes (RFC 3261 10.2.4). Loop thread only; free every
 * registration before sc_sip_close/sc_sip_free. */
typedef struct sc_sip_reg sc_sip_reg;

typedef enum sc_sip_reg_state {
    SC_SIP_REG_REGISTERING = 0,   /* a REGISTER is in flight (first one, or after a failure) */
    SC_SIP_REG_REGISTERED = 1,    /* bound; refreshes keep it so (a refresh in flight too) */
    SC_SIP_REG_FAILED = 2,        /* the last attempt failed; the next one is scheduled */
    SC_SIP_REG_UNREGISTERING = 3, /* sc_sip_reg_unregister: Expires 0 in flight */
    SC_SIP_REG_UNREGISTERED = 4,  /* the binding is removed (or the un-REGISTER failed); idle */
} sc_sip_reg_state;

typedef struct sc_sip_reg_info {
    sc_sip_reg_state state;
    int last_status;          /* status of the last final response, 0: none (timeout) */
    char last_reason[128];    /* its reason phrase, or "timeout", "transport error"... */
    const char *last_outcome; /* "registered", "rejected", "auth_failed", "timeout",
                                     "error", "unregistered"; "" before the first */
    unsigned expires_s;       /* expiry granted by the last 2xx (0: not registered) */
    unsigned expires_left_s;  /* seconds until that binding expires (0: not registered) */
    unsigned failures;        /* consecutive failed attempts (0 once registered) */
    uint64_t next_attempt_ms; /* ms until the next REGISTER (refresh or retry), 0: none */
    uint64_t attempts;        /* REGISTER transactions started, challenged ones included */
    uint32_t cseq;            /* CSeq of the last REGISTER */
    char call_id[SC_SIP_CALLID_MAX];
} sc_sip_reg_info;

typedef void (*sc_sip_reg_cb)(sc_sip_reg *reg, const sc_sip_reg_info *info, void *ud);

typedef struct sc_sip_reg_config {
    const char *registrar;     /* Request-URI: "sip:host[:port][;transport=tcp]" */
    const char *aor;           /* address of record (To and From): "sip:user@domain" */
    const char *contact_user;  /* user part of our Contact; NULL: the AOR's user */
    const char *proxy;         /* outbound proxy (a pre-loaded Route, the first hop), or NULL */
    const char *auth_user;     /* credentials for 401/407 (NULL: none, a challenge fails) */
    const char *auth_password; /* never logged */
    unsigned expires_s;        /* expiry asked for; 0: 3600 */
    unsigned retry_min_ms;     /* first retry after a failure; 0: 30000; then doubling */
    unsigned retry_max_ms;     /* up to this; 0: 600000 */
    sc_sip_reg_cb on_change;   /* after each final outcome (registered, failed, unregistered); may be NULL */
    void *ud;
} sc_sip_reg_config;

/* Creates the registration (strings copied) and sends the first REGISTER now. The first hop is
 * the proxy when given, else the registrar, located by RFC 3263 at each attempt (a timeout, 503 or
 * transport error: the next target). Errors: -EINVAL (bad or missing URI), -ENOTCONN (an IP
 * address with no listener for its transport and family), -ENOMEM. */
SC_EXPORT int sc_sip_reg_new(sc_sip *sip, sc_sip_reg **out, const sc_sip_reg_config *cfg);
SC_EXPORT int sc_sip_reg_get_info(const sc_sip_reg *reg, sc_sip_reg_info *out); /* -EINVAL */
/* Removes the binding: REGISTER with Expires 0 (challenges answered); no refresh or retry after
 * it. -EALREADY when already unregistering or unregistered. */
SC_EXPORT int sc_sip_reg_unregister(sc_sip_reg *reg);
/* Stops everything (a REGISTER in flight finishes unseen) and frees. NULL: nothing. */
SC_EXPORT void sc_sip_reg_free(sc_sip_reg *reg);
SC_EXPORT const char *sc_sip_reg_state_name(sc_sip_reg_state st); /* "registering"... */
/* ---- Digest authentication as a server (src/sip/auth_server.c) ------------------------- */
/* A verifier for one realm (RFC 3261 22, RFC 7616, RFC 8760): challenges offering SHA-256 and
 * MD5 with qop=auth; nonces verifiable without state (issue time + HMAC-SHA256 under a key
 * drawn from the CSPRNG per verifier), expired after nonce_ttl_s (stale=true); brute-force
 * protection: failures per source IP within window_s, past max_failures the source gets 403
 * for block_s. Loop thread only (no locks). Passwords and HA1s are never logged. */
typedef struct sc_sip_auth sc_sip_auth;

/* The secret of user for algorithm ("MD5" or "SHA-256"): a password, or the HA1 (hex of
 * H(user:realm:password)) with *is_ha1 true. 0, -ENOENT (no such user), -ENOTSUP (no secret
 * usable with this algorithm: an HA1 of another one). */
typedef int (*sc_sip_auth_lookup_fn)(void *ud, const char *user, const char *algorithm, char *secret, size_t cap,
                                     bool *is_ha1);

typedef struct sc_sip_auth_config {
    const char *realm;            /* required; copied */
    const sc_clock *clock;        /* NULL: the system clock (wall time stamps the nonces) */
    unsigned nonce_ttl_s;         /* a nonce older than this is stale; 0: 300 */
    unsigned max_failures;        /* failures from one source within window_s before the block; 0: 10 */
    unsigned window_s;            /* 0: 60 */
    unsigned block_s;             /* how long a blocked source gets 403; 0: 300 */
    sc_sip_auth_lookup_fn lookup; /* required */
    void *ud;
    const char *algorithms; /* offered and accepted, in order of preference: "SHA-256,MD5" (NULL),
                               "MD5,SHA-256" (clients that read only the first challenge),
                               "SHA-256" or "MD5"; anything else: -EINVAL */
} sc_sip_auth_config;

typedef enum sc_sip_auth_result {
    SC_SIP_AUTH_OK = 0,      /* credentials verified: user is set */
    SC_SIP_AUTH_CHALLENGE,   /* no credentials for our realm: answer status with headers */
    SC_SIP_AUTH_STALE,       /* right credentials on an expired nonce: challenge, stale=true */
    SC_SIP_AUTH_FAILED,      /* wrong credentials (counted against the source): challenge again */
    SC_SIP_AUTH_BAD_REQUEST, /* malformed credentials: 400 (counted against the source) */
    SC_SIP_AUTH_BLOCKED,     /* the source is blocked: 403 */
} sc_sip_auth_result;

typedef struct sc_sip_auth_verdict {
    sc_sip_auth_result result;
    int status;         /* the answer: 0 (OK), 401/407 (challenge), 400, 403 */
    const char *reason; /* why it is not OK, a metric label: "no_credentials", "stale",
                            "unknown_user", "wrong_password", "malformed", "algorithm", "uri",
                            "blocked"; "" when OK */
    char user[128];     /* the authenticated user (OK) */
    char headers[1024]; /* for 401/407: the WWW-/Proxy-Authenticate lines ("...\r\n") */
} sc_sip_auth_verdict;

typedef struct sc_sip_auth_stats {
    uint64_t ok, challenged, stale, failed, bad_request, blocked_requests; /* verdicts by result */
    uint64_t blocks;                                                       /* sources that were blocked (each time) */
    uint32_t blocked_sources;                                              /* sources blocked now */
} sc_sip_auth_stats;

/* 0, -EINVAL (no realm or lookup, bad algorithms), -ENOMEM. */
SC_EXPORT int sc_sip_auth_new(sc_sip_auth **out, const sc_sip_auth_config *cfg);
SC_EXPORT void sc_sip_auth_free(sc_sip_auth *a); /* NULL: nothing */
SC_EXPORT const char *sc_sip_auth_realm(const sc_sip_auth *a);
/* Judges req (a parsed request) from src: its Authorization (proxy false: 401 and
 * WWW-Authenticate) or Proxy-Authorization (proxy true: 407) header for our realm. Fills out;
 * 0, or -EINVAL for NULL arguments. */
SC_EXPORT int sc_sip_auth_check(sc_sip_auth *a, const struct osip_message *req, const struct sockaddr_storage *src,
                                bool proxy, sc_sip_auth_verdict *out);
/* The challenge header lines (SHA-256 then MD5, fresh nonces) into out. Length, or -ENOSPC. */
SC_EXPORT int sc_sip_auth_challenge(sc_sip_auth *a, bool proxy, bool stale, char *out, size_t cap);
/* Is src blocked now? */
SC_EXPORT bool sc_sip_auth_blocked(sc_sip_auth *a, const struct sockaddr_storage *src);
SC_EXPORT void sc_sip_auth_get_stats(sc_sip_auth *a, sc_sip_auth_stats *out);

/* ---- DTMF in SIP INFO (src/sip/dtmf_info.c), pure functions ---------------------------- */
/* The digit of an INFO body: content_type "application/dtmf-relay" (lines "Signal=5",
 * "Duration=160"; Signal 0-9 * # A-D or 10-15; Duration in ms, 250 when absent, kept within
 * 40..8000) or "application/dtmf" (the digit alone). 0, -ENOTSUP (another content type: not
 * DTMF), -EINVAL (a DTMF type with no valid digit, a bad Duration). */
SC_EXPORT int sc_sip_dtmf_info_parse(const char *content_type, const char *body, size_t len, char *digit,
                                     unsigned *duration_ms);
/* An application/dtmf-relay body for digit into buf. Its length, -EINVAL, -ENOSPC. */
SC_EXPORT int sc_sip_dtmf_info_body(char digit, unsigned duration_ms, char *buf, size_t cap);

/* ---- SDP (RFC 4566 / RFC 3264), pure functions ----------------------------------------- */

typedef enum sc_sdp_direction {
    SC_SDP_SENDRECV = 0,
    SC_SDP_SENDONLY = 1,
    SC_SDP_RECVONLY = 2,
    SC_SDP_INACTIVE = 3,
} sc_sdp_direction;

SC_EXPORT const char *sc_sdp_direction_name(sc_sdp_direction d); /* "sendrecv", ... */
SC_EXPORT int sc_sdp_direction_parse(const char *name, sc_sdp_direction *out);

#define SC_SDP_MAX_CODECS 16
#define SC_SDP_MAX_MEDIA 16 /* an offer with more m= lines is refused (488): each needs its answer */

typedef struct sc_sdp_codec {
    int pt;        /* RTP payload type */
    char name[32]; /* encoding name ("PCMU", "telephone-event"), "" if unknown */
    int rate;      /* clock rate, 0 if unknown */
    char fmtp[96]; /* its a=fmtp parameters ("useinbandfec=1;stereo=1"), "" if none */
} sc_sdp_codec;

/* ---- SDES (RFC 4568): a=crypto (src/sip/sdp_crypto.c) ---- */
#define SC_SDP_MAX_CRYPTO 8      /* usable a=crypto lines kept of an m= line */
#define SC_SDP_CRYPTO_KEY_MAX 30 /* master key + salt octets of the suites we run */

/* One a=crypto line: "TAG SUITE inline:base64(KEY||SALT)[|LIFETIME]". */
typedef struct sc_sdp_crypto {
    unsigned tag;                       /* 0..999999999 (1*9DIGIT) */
    char suite[32];                     /* "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM" */
    uint8_t key[SC_SDP_CRYPTO_KEY_MAX]; /* master key || master salt */
    size_t key_len;                     /* 30 (AES_CM), 28 (GCM) */
} sc_sdp_crypto;

/* Parse an a=crypto value (after "a=crypto:"). 0; -ENOTSUP for a line we cannot run (a suite
 * other than the three above, an MKI, several keys, a session parameter other than WSH=);
 * -EINVAL when malformed (tag, base64, key length for the suite, lifetime). */
SC_EXPORT int sc_sdp_crypto_parse(const char *value, sc_sdp_crypto *out);
/* Write c as an a=crypto value ("TAG SUITE inline:KEY"): length, -ENOSPC or -EINVAL. */
SC_EXPORT int sc_sdp_crypto_format(const sc_sdp_crypto *c, char *buf, size_t cap);

typedef struct sc_sdp_info {
    char conn_addr[64];                     /* connection address of the audio stream */
    int family;                             /* AF_INET or AF_INET6 */
    uint16_t port;                          /* audio port (0: stream rejected) */
    sc_sdp_codec codecs[SC_SDP_MAX_CODECS]; /* audio payload types in the order offered */
    size_t codec_count;
    int dtmf_pt;                             /* telephone-event payload type, -1 if none */
    int ptime;                               /* a=ptime, 0 if absent */
    sc_sdp_direction direction;              /* of the audio stream */
    uint64_t session_id, session_version;    /* o= fields */
    size_t media_count;                      /* m= lines in total */
    int audio_index;                         /* index of the audio m= line used */
    char media_types[SC_SDP_MAX_MEDIA][16];  /* each m= line's media ("audio", "video") */
    char media_protos[SC_SDP_MAX_MEDIA][24]; /* and transport ("RTP/AVP") */
    char media_fmt[SC_SDP_MAX_MEDIA][16];    /* and first format */
    /* SRTP of the audio stream (RFC 4568): */
    bool savp;                               /* its profile is RTP/SAVP (else RTP/AVP) */
    sc_sdp_crypto crypto[SC_SDP_MAX_CRYPTO]; /* its usable a=crypto lines, in order */
    size_t crypto_count;
    size_t crypto_unusable; /* a=crypto lines skipped: unknown suite, MKI, malformed, ... */
} sc_sdp_info;

/* Our side of the media. */
typedef struct sc_sdp_local {
    const char *addr;               /* our RTP address (IPv4 or IPv6 literal) */
    uint16_t port;                  /* our RTP port */
    uint64_t session_id;            /* o= session id (keep for the session's life) */
    uint64_t session_version;       /* o= version: increment it whenever the SDP changes */
    sc_sdp_direction direction;     /* our preference: sendrecv, or sendonly/inactive for hold */
    bool no_pcmu, no_pcma, no_dtmf; /* leave a codec out */
    int dtmf_pt;                    /* telephone-event payload type of an offer: 96..127 keeps one
                                    already negotiated (RFC 3264 8.3.2); anything else: 101 */
    /* SRTP (RFC 4568): an offer writes these a=crypto lines; an answer writes them (the one
     * line chosen from the offer, with the offer's tag and our key) and keeps the offer's
     * profile. An RTP/SAVP offer cannot be answered without one (-ENOTSUP). */
    const sc_sdp_crypto *crypto;
    size_t crypto_count;
    bool savp; /* an offer's profile: RTP/SAVP, else RTP/AVP (with crypto: best-effort SRTP) */
    /* Our audio codecs in order of preference, comma-separated ("opus,g722,pcmu,pcma"; names of
     * SC_SDP_CODEC_NAMES, case-insensitive). NULL: PCMU and PCMA as before (no_pcmu/no_pcma
     * apply), and an answer lists every common codec in the offerer's order. Set: offers list
     * them in this order (+ telephone-event for each clock rate used), and an answer carries
     * the first codec of this list that the offer has (+ the telephone-event of its clock,
     * else the 8000 one), nothing else. */
    const char *codecs;
    int opus_pt; /* Opus's payload type in an offer: 96..127 keeps the one negotiated before
                    (RFC 3264 8.3.2); anything else: 111 (or the next free one) */
} sc_sdp_local;

/* The codec names sc_sdp_local.codecs may list. */
#define SC_SDP_CODEC_NAMES "pcmu, pcma, g722, opus"
/* Checks a codec preference list: 0, or -EINVAL naming nothing or an unknown codec (*bad, if
 * not NULL, points at it), or listing one twice. */
SC_EXPORT int sc_sdp_codecs_check(const char *list, const char **bad);
/* Writes into out (cap bytes) the list with codec moved to the front, if the list has it (a
 * B2BUA offers the callee the caller's codec first, so that the legs can relay unchanged). */
SC_EXPORT void sc_sdp_codecs_prefer(const char *list, const char *codec, char *out, size_t cap);
/* The codec of list (its name in the list, "opus") that an answer to offer would carry: the
 * first of list the offer has; NULL when none. */
SC_EXPORT const char *sc_sdp_codecs_pick(const sc_sdp_info *offer, const char *list);
/* Whether the offer has an audio codec of the list (NULL: PCMU or PCMA): the check an INVITE's
 * offer passes before any provisional answer, or gets 488. */
SC_EXPORT bool sc_sdp_offer_acceptable(const sc_sdp_info *offer, const char *list);
/* The Opus parameters of an fmtp (RFC 7587 6.1): useinbandfec, stereo, maxplaybackrate (0 when
 * absent). */
SC_EXPORT void sc_sdp_opus_params(const char *fmtp, bool *fec, bool *stereo, unsigned *maxrate);

/* Parses an SDP body. Errors: SC_E_PARSE (unparsable; answer 400), -ENOENT (no audio stream),
 * -EADDRNOTAVAIL (no usable connection address). */
SC_EXPORT int sc_sdp_parse(const char *body, size_t len, sc_sdp_info *out);
/* Writes an offer (m=audio port RTP/AVP 0 8 101, rtpmaps, fmtp 0-16, ptime 20, direction;
 * telephone-event on local->dtmf_pt instead of 101 when that is set).
 * Returns the length, or -ENOSPC / -EINVAL. */
SC_EXPORT int sc_sdp_build_offer(const sc_sdp_local *local, char *buf, size_t cap);
/* RFC 3264 answer to offer: common codecs in the offerer's order, direction per section 6.1
 * combined with local->direction, other m= lines refused with port 0. Fills *negotiated (the
 * offer's view with only the common codecs and the answered direction) if not NULL.
 * Returns the length, or -ENOTSUP (no common codec), -EADDRNOTAVAIL (no usable address),
 * -ENOSPC. */
SC_EXPORT int sc_sdp_build_answer(const sc_sdp_info *offer, const sc_sdp_local *local, char *buf, size_t cap,
                                  sc_sdp_info *negotiated);
/* The SIP status to answer an offer with after one of the errors above: 400 for SC_E_PARSE,
 * 488 for the others, 500 for anything else. */
SC_EXPORT int sc_sdp_error_status(int err);
/* The direction we answer to an offered direction, given our preference (RFC 3264 6.1). */
SC_EXPORT sc_sdp_direction sc_sdp_answer_direction(sc_sdp_direction offered, sc_sdp_direction local);
/* The remote side puts us on hold: sendonly, inactive, or c=0.0.0.0. */
SC_EXPORT bool sc_sdp_is_hold(const sc_sdp_info *info);
/* prev was a hold and cur is not. */
SC_EXPORT bool sc_sdp_is_resume(const sc_sdp_info *prev, const sc_sdp_info *cur);

#endif
