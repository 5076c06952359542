/* config_registrar: setters of sessiond's registrar options (--realm, --users, registration
 * intervals, brute-force limits), each checked with a one-line error naming the flag. */
#include "config_registrar.h"
#include "config_bool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sd_set_realm(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!*v || strlen(v) > 253 || strpbrk(v, "\" \t\r\n:;@<>/"))
        return sd_config_bad(err, errsz, "realm", "a domain name (pbx.example.com)", v);
    if (sd_config_set_str(&c->realm, v) != 0)
        return sd_config_bad(err, errsz, "realm", "memory", v);
    return 0;
}

int sd_set_users(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!*v || sd_config_set_str(&c->users, v) != 0)
        return sd_config_bad(err, errsz, "users", "a file path", v);
    return 0;
}

int sd_set_users_store(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!v)
        return sd_config_bad(err, errsz, "users-store", "yes or no", v);
    return sd_config_bool("users-store", v, &c->users_store, err, errsz); /* config_bool.c */
}

static int set_u32(uint32_t *slot, const char *flag, uint64_t min, uint64_t max, const char *v, char *err, size_t errsz)
{
    uint64_t n = 0;
    if (sd_config_parse_u64(v, max, &n) != 0 || n < min) {
        char expect[64];
        snprintf(expect, sizeof expect, "%llu..%llu", (unsigned long long)min, (unsigned long long)max);
        return sd_config_bad(err, errsz, flag, expect, v);
    }
    *slot = (uint32_t)n;
    return 0;
}

int sd_set_reg_min_expires(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32(&c->reg.min_expires, "reg-min-expires", 1, 86400, v, err, errsz);
}

int sd_set_reg_max_expires(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32(&c->reg.max_expires, "reg-max-expires", 1, 604800, v, err, errsz);
}

int sd_set_reg_default_expires(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32(&c->reg.default_expires, "reg-default-expires", 1, 604800, v, err, errsz);
}

int sd_set_auth_max_failures(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32(&c->reg.auth_max_failures, "auth-max-failures", 1, 100000, v, err, errsz);
}

int sd_set_auth_window(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32(&c->reg.auth_window_s, "auth-window", 1, 86400, v, err, errsz);
}

int sd_set_auth_block(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32(&c->reg.auth_block_s, "auth-block", 1, 86400, v, err, errsz);
}

int sd_set_auth_nonce_ttl(sd_config *c, const char *v, char *err, size_t errsz)
{
    return set_u32(&c->reg.nonce_ttl_s, "auth-nonce-ttl", 1, 86400, v, err, errsz);
}

int sd_set_auth_algorithms(sd_config *c, const char *v, char *err, size_t errsz)
{
    static const char *const ok[] = {"SHA-256,MD5", "MD5,SHA-256", "SHA-256", "MD5"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcasecmp(v, ok[i]))
            return sd_config_set_str(&c->auth_algorithms, ok[i]) == 0
                       ? 0
                       : sd_config_bad(err, errsz, "auth-algorithms", "memory", v);
    return sd_config_bad(err, errsz, "auth-algorithms", "SHA-256,MD5 | MD5,SHA-256 | SHA-256 | MD5", v);
}

int sd_config_registrar_check(const sd_config *c, char *err, size_t errsz)
{
    if ((c->users || c->users_store) && !c->realm) {
        snprintf(err, errsz, "--users%s needs --realm (our SIP domain and digest realm)", c->users ? "" : "-store");
        return -1;
    }
    if (c->reg.min_expires && c->reg.max_expires && c->reg.max_expires < c->reg.min_expires) {
        snprintf(err, errsz, "--reg-max-expires %u is below --reg-min-expires %u", c->reg.max_expires,
                 c->reg.min_expires);
        return -1;
    }
    return 0;
}

void sd_registrar_apply(const sd_config *c, sc_coord_config *cc)
{
    cc->realm = c->realm;
    cc->users_in_store = c->users_store;
    cc->reg_min_expires_s = c->reg.min_expires;
    cc->reg_max_expires_s = c->reg.max_expires;
    cc->reg_default_expires_s = c->reg.default_expires;
    cc->auth_max_failures = c->reg.auth_max_failures;
    cc->auth_window_s = c->reg.auth_window_s;
    cc->auth_block_s = c->reg.auth_block_s;
    cc->auth_nonce_ttl_s = c->reg.nonce_ttl_s;
    cc->auth_algorithms = c->auth_algorithms;
}

void sd_config_registrar_free(sd_config *c)
{
    free(c->realm);
    free(c->users);
    free(c->auth_algorithms);
    c->realm = c->users = c->auth_algorithms = NULL;
}
