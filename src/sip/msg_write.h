/* msg_write.h: our own writer of an osip_message_t as SIP text (msg_write.c). */
#ifndef SC_SIP_MSG_WRITE_H
#define SC_SIP_MSG_WRITE_H

#include <stddef.h>

#include <osipparser2/osip_message.h>

/* Writes msg into buf (cap bytes, no NUL added) exactly as libosip2's osip_message_to_str would
 * write it, without its cache (msg->message is neither read nor set), and stores the length in
 * *len. Errors: -ENOSPC when the text does not fit in cap bytes; -ENOTSUP for a message whose
 * text this writer does not reproduce (multipart or several bodies, a body with its own headers,
 * a field osip would refuse, ...): the caller then uses osip_message_to_str. */
int sip_msg_write(const osip_message_t *msg, char *buf, size_t cap, size_t *len);

#endif
