/* config_tls: setters and the start-up check of sessiond's SIP over TLS options, each failure
 * one line naming the flag and the file. */
#include "config_tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session_core/sip.h"

static int set_path(char **slot, const char *flag, const char *v, char *err, size_t errsz)
{
    if (!*v)
        return sd_config_bad(err, errsz, flag, "a file path (PEM)", v);
    return sd_config_set_str(slot, v) ? sd_config_bad(err, errsz, flag, "memory", v) : 0;
}

int sd_set_tls_cert(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_path(&c->tls_cert, "tls-cert", v, err, errsz);
}

int sd_set_tls_key(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_path(&c->tls_key, "tls-key", v, err, errsz);
}

int sd_set_tls_ca(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_path(&c->tls_ca, "tls-ca", v, err, errsz);
}

int sd_set_tls_verify(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true")) {
        c->tls_no_verify = false;
        return 0;
    }
    if (!strcmp(v, "no") || !strcmp(v, "false")) {
        c->tls_no_verify = true;
        return 0;
    }
    return sd_config_bad(err, errsz, "tls-verify", "yes or no", v);
}

int sd_set_tls_handshake_ms(sd_config *c, const char *v, char *err, size_t errsz)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || n < 100 || n > 600000)
        return sd_config_bad(err, errsz, "tls-handshake-ms", "100..600000", v);
    c->tls_handshake_ms = (uint32_t)n;
    return 0;
}

int sd_set_sip_keepalive_ms(sd_config *c, const char *v, char *err, size_t errsz)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || (n != 0 && n < 1000) || n > 3600000)
        return sd_config_bad(err, errsz, "sip-keepalive-ms", "0 (off) or 1000..3600000", v);
    c->sip_keepalive_ms = (uint32_t)n;
    return 0;
}

static bool has_tls_listener(const sd_config *c)
{
    for (size_t i = 0; i < c->nsip; i++)
        if (!strncmp(c->sip[i], "tls:", 4))
            return true;
    return false;
}

/* A file given to flag that cannot be opened: its reason. */
static int readable(const char *flag, const char *path, char *err, size_t errsz)
{
    if (!path || access(path, R_OK) == 0)
        return 0;
    snprintf(err, errsz, "--%s: cannot read '%s': %s", flag, path, strerror(errno));
    return -1;
}

int sd_config_tls_check(const sd_config *c, char *err, size_t errsz)
{
    if (readable("tls-cert", c->tls_cert, err, errsz) || readable("tls-key", c->tls_key, err, errsz) ||
        readable("tls-ca", c->tls_ca, err, errsz))
        return -1;
    if (has_tls_listener(c) && (!c->tls_cert || !c->tls_key)) {
        snprintf(err, errsz, "--sip tls:...: a TLS listener needs --tls-cert and --tls-key");
        return -1;
    }
    sc_sip_config sc = {.tls_cert = c->tls_cert, .tls_key = c->tls_key, .tls_ca = c->tls_ca};
    char why[400];
    if (sc_sip_tls_check(&sc, why, sizeof why) != 0) {
        snprintf(err, errsz, "%s", why);
        return -1;
    }
    return 0;
}

void sd_config_tls_apply(const sd_config *c, sc_coord_config *out)
{
    out->tls_cert = c->tls_cert;
    out->tls_key = c->tls_key;
    out->tls_ca = c->tls_ca;
    out->tls_no_verify = c->tls_no_verify;
    out->tls_handshake_ms = c->tls_handshake_ms;
    out->sip_keepalive_ms = c->sip_keepalive_ms;
}

void sd_config_tls_free(sd_config *c)
{
    free(c->tls_cert);
    free(c->tls_key);
    free(c->tls_ca);
    c->tls_cert = c->tls_key = c->tls_ca = NULL;
}
