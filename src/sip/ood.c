/* ood: new out-of-dialog requests offered to the application before the agent acts on them:
 * the screen (a registrar's digest challenges and 403s, answered here with the header lines
 * it gives) and REGISTER, handed over on a server transaction for sc_sip_respond_ex. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/sip_int.h"

#define OOD_HDRS_MAX 2048

/* Appends "Name: value\r\n" lines to m; -EINVAL for a malformed line. */
static int add_lines(osip_message_t *m, const char *lines)
{
    while (lines && *lines) {
        const char *eol = strstr(lines, "\r\n");
        size_t n = eol ? (size_t)(eol - lines) : strlen(lines);
        const char *colon = memchr(lines, ':', n);
        if (n > 0) {
            if (!colon || colon == lines || (size_t)(colon - lines) >= 64)
                return -EINVAL;
            char name[64], value[OOD_HDRS_MAX];
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            snprintf(name, sizeof name, "%.*s", (int)(colon - lines), lines);
            snprintf(value, sizeof value, "%.*s", (int)(n - (size_t)(v - lines)), v);
            if (osip_message_set_header(m, name, value) != 0)
                return -EINVAL;
        }
        lines += n + (eol ? 2 : 0);
    }
    return 0;
}

/* Reason phrases of the screen's usual answers (sip_reason knows the common ones only). */
static const char *screen_reason(int code)
{
    switch (code) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 407: return "Proxy Authentication Required";
    default: return NULL;
    }
}

/* Answers req (taken) with code and the header lines, through a server transaction. */
static void answer_lines(sc_sip *sip, osip_message_t *req, sc_sip_transport tp, const struct sockaddr_storage *src,
                         int code, const char *lines)
{
    sip_tx *tx = NULL;
    int rc = sip_tx_server(sip, &tx, req, tp, src, NULL, TXP_NONE);
    if (rc != 0) {
        sip_tx_refused(sip, req, tp, src, rc); /* the usual overload path */
        return;
    }
    char tag[20];
    sc_random_hex(tag, 16);
    osip_message_t *r = sip_response(sip, req, code, screen_reason(code), tag);
    if (!r)
        return;
    if (add_lines(r, lines) != 0) { /* the screen's own lines are bad: answer without them */
        osip_message_free(r);
        r = sip_response(sip, req, code, screen_reason(code), tag);
        if (!r)
            return;
    }
    sip_tx_respond(tx, r);
}

bool sip_ood_wanted(const sc_sip *sip, const osip_message_t *m)
{
    return sip->cfg.on_request && !strcmp(m->sip_method, "REGISTER");
}

bool sip_ood_request(sc_sip *sip, osip_message_t *m, sc_sip_transport tp, const struct sockaddr_storage *src)
{
    const char *method = m->sip_method;
    if (sip_ood_wanted(sip, m)) {
        sip_tx *tx = NULL;
        int rc = sip_tx_server(sip, &tx, m, tp, src, NULL, TXP_NONE);
        if (rc != 0) {
            sip_tx_refused(sip, m, tp, src, rc);
            return true;
        }
        sip->cfg.on_request(sip, tx, tx->req, sip->cfg.ud);
        return true;
    }
    if (!sip->cfg.on_screen || !strcmp(method, "OPTIONS") || !strcmp(method, "REGISTER"))
        return false;
    char hdrs[OOD_HDRS_MAX] = "";
    int code = sip->cfg.on_screen(sip, m, src, hdrs, sizeof hdrs, sip->cfg.ud);
    if (code == 0)
        return false;
    if (code < 300 || code > 699)
        code = 500;
    answer_lines(sip, m, tp, src, code, hdrs);
    return true;
}

void sc_sip_allow_register(sc_sip *sip)
{
    if (sip)
        sip->allow_register = true;
}
