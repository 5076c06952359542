/* sip_ood: the SIP agent's out-of-dialog hooks offered to the features: the screen of new
 * requests (the registrar's digest challenges and 403s; then a new INVITE's admission) and
 * REGISTER (the registrar; 405 when no feature takes it). */
#include "coord/admission.h"
#include "coord/coord_int.h"

#include <string.h>

#include <osipparser2/osip_parser.h>

#define OOD_ALLOW "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO, UPDATE\r\n"

int sc_coord__on_screen(sc_sip *sip, const struct osip_message *msg, const struct sockaddr_storage *src, char *hdrs,
                        size_t cap, void *ud)
{
    (void)sip;
    sc_coord *c = ud;
    for (size_t i = 0; i < SC_FEAT__COUNT; i++) {
        const sc_coord_feature *f = sc_coord__features[i];
        int code = c->started[i] && f->screen ? f->screen(c, msg, src, hdrs, cap) : 0;
        if (code)
            return code;
    }
    const osip_message_t *m = (const osip_message_t *)msg;
    if (m && m->sip_method && !strcmp(m->sip_method, "INVITE")) { /* a new call */
        int code = sc_coord__sdp_acceptable(c, msg);              /* an offer we cannot answer: 488 */
        if (code)
            return code;
        return sc_coord__admit_invite(c, msg, hdrs, cap); /* admission (admission.c) */
    }
    return 0;
}

void sc_coord__on_request(sc_sip *sip, sc_sip_stx *stx, const struct osip_message *msg, void *ud)
{
    sc_coord *c = ud;
    for (size_t i = 0; i < SC_FEAT__COUNT; i++) {
        const sc_coord_feature *f = sc_coord__features[i];
        if (c->started[i] && f->on_request && f->on_request(c, stx, msg))
            return;
    }
    sc_sip_respond_ex(sip, stx, 405, NULL, OOD_ALLOW, NULL, NULL);
}
