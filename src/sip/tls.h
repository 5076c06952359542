/* tls: SIP over TLS on transport.c's TCP connections (tls.c): the agent's OpenSSL context and
 * each connection's SSL object behind memory BIOs, driven by the loop's reads and writes. */
#ifndef SC_SIP_TLS_H
#define SC_SIP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "session_core/sip.h"

typedef struct sip_conn sip_conn;

/* sc_sip_new: loads cfg's certificate, key and CA set when any is given (then not kept): 0,
 * -EINVAL (logged), -ENOMEM. Nothing given: the context is made at the first TLS connection. */
int sip_tls_init(sc_sip *sip);
void sip_tls_free(sc_sip *sip);
bool sip_tls_can_serve(sc_sip *sip); /* a certificate and key are loaded */
/* The host name a TLS connection to addr verifies and sends as SNI (from the URI that located
 * it); addresses with no name are checked against the certificate's IP SANs. */
void sip_tls_note_name(sc_sip *sip, const struct sockaddr_storage *addr, const char *name);

/* Per connection (c->tls). start: 0, -ENOMEM, -EINVAL (no context). */
/* May a request to c's peer, now located under the name noted for it (or its IP), go over c?
 * For a TLS connection we opened: only if its verified certificate also names that (RFC 5922;
 * otherwise a new connection is made and verified). Other connections: true. */
bool sip_tls_may_reuse(const sip_conn *c);
int sip_tls_conn_start(sip_conn *c, bool server);
void sip_tls_conn_free(sip_conn *c);
void sip_tls_rbuf(sip_conn *c, char **base, size_t *len); /* where the socket's bytes are read into */
/* Advances the handshake: 1 done (now or before), 0 in progress, <0 failed (counted, logged). */
int sip_tls_handshake(sip_conn *c);
/* Ciphertext read from the socket: as sip_tls_handshake. Plaintext on a server connection
 * fails at once. */
int sip_tls_input(sip_conn *c, const char *data, size_t n);
/* Decrypted bytes into out: their count, 0 none for now, <0 the connection is over (-ECONNRESET:
 * the peer's close_notify; else a failure, counted and logged). */
long sip_tls_read_plain(sip_conn *c, char *out, size_t cap);
/* Encrypts and sends (after the handshake): 0 or <0 (a failure: close the connection). */
int sip_tls_write(sip_conn *c, const char *data, size_t len);
/* The socket reached its end: counted as truncated (a partial record) or handshake. */
void sip_tls_eof(sip_conn *c);
/* Counts and logs a failure of c (why, detail may be NULL); returns -EPROTO. */
int sip_tls_fail(sip_conn *c, sc_sip_tls_failure why, const char *detail);

/* transport.c: bytes written to c's socket as they are (ciphertext). */
int sip_conn_write_raw(sip_conn *c, const char *data, size_t len);

#endif
