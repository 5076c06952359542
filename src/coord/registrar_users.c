/* registrar_users: the registrar's users: those of the configuration (a users file) and those
 * kept in the store (key-value namespace "users", managed through sc_coord_user_put/delete:
 * only the HA1s of the realm are stored, never a password), one table sorted by name for the
 * digest verifier's lookups. A configured user cannot be replaced or removed through the store. */
#include "coord/registrar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define USERS_KV_NS "users"
#define USER_MAX 64 /* longest user name */

static int user_cmp(const void *a, const void *b)
{
    return strcmp(((const reg_user *)a)->user, ((const reg_user *)b)->user);
}

reg_user *reg_user_find(const sc_coord_registrar *r, const char *user)
{
    reg_user key = {.user = (char *)user};
    return r->nusers ? bsearch(&key, r->users, r->nusers, sizeof *r->users, user_cmp) : NULL;
}

static void clear_secret(char *s)
{
    if (s) {
        volatile char *p = s;
        while (*p)
            *p++ = 0;
    }
    free(s);
}

static void user_clear(reg_user *u)
{
    free(u->user);
    clear_secret(u->password);
    clear_secret(u->ha1);
    clear_secret(u->ha1_sha256);
    memset(u, 0, sizeof *u);
}

void reg_users_free(sc_coord_registrar *r)
{
    for (size_t i = 0; i < r->nusers; i++)
        user_clear(&r->users[i]);
    free(r->users);
    r->users = NULL;
    r->nusers = r->cap = 0;
}

int reg_users_lookup(void *ud, const char *user, const char *algorithm, char *secret, size_t cap, bool *is_ha1)
{
    const reg_user *u = reg_user_find(ud, user);
    if (!u)
        return -ENOENT;
    const char *ha1 = !strcmp(algorithm, "MD5") ? u->ha1 : u->ha1_sha256;
    const char *s = u->password ? u->password : ha1;
    if (!s)
        return -ENOTSUP;
    *is_ha1 = !u->password;
    return snprintf(secret, cap, "%s", s) < (int)cap ? 0 : -ENOSPC;
}

/* Adds (or, for a stored user, replaces) a user; the strings are copied. */
static int user_set(sc_coord_registrar *r, const char *user, const char *password, const char *ha1,
                    const char *ha1_sha256, bool stored)
{
    reg_user *u = reg_user_find(r, user);
    if (u && !u->stored)
        return -EEXIST;
    reg_user n = {.user = strdup(user),
                  .password = password ? strdup(password) : NULL,
                  .ha1 = ha1 ? strdup(ha1) : NULL,
                  .ha1_sha256 = ha1_sha256 ? strdup(ha1_sha256) : NULL,
                  .stored = stored};
    if (!n.user || (password && !n.password) || (ha1 && !n.ha1) || (ha1_sha256 && !n.ha1_sha256)) {
        user_clear(&n);
        return -ENOMEM;
    }
    if (u) {
        user_clear(u);
        *u = n;
        return 0;
    }
    if (r->nusers == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        reg_user *grown = realloc(r->users, cap * sizeof *grown);
        if (!grown) {
            user_clear(&n);
            return -ENOMEM;
        }
        r->users = grown;
        r->cap = cap;
    }
    r->users[r->nusers++] = n;
    qsort(r->users, r->nusers, sizeof *r->users, user_cmp);
    return 0;
}

int reg_users_copy(sc_coord_registrar *r, const sc_coord_config *cfg)
{
    for (size_t i = 0; i < cfg->nusers; i++) {
        const sc_coord_user *in = &cfg->users[i];
        if (!in->user || !*in->user || (!in->password && !in->ha1 && !in->ha1_sha256))
            return -EINVAL;
        int rc = reg_user_find(r, in->user) ? 0 : user_set(r, in->user, in->password, in->ha1, in->ha1_sha256, false);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- users kept in the store ------------------------------------------------------------------- */

/* hex of H(user:realm:password) with md ("MD5" or "SHA256") into out. */
static int ha1_hex(const char *md, const char *user, const char *realm, const char *password, char *out, size_t cap)
{
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    int ok = x && EVP_DigestInit_ex(x, EVP_get_digestbyname(md), NULL) && EVP_DigestUpdate(x, user, strlen(user)) &&
             EVP_DigestUpdate(x, ":", 1) && EVP_DigestUpdate(x, realm, strlen(realm)) && EVP_DigestUpdate(x, ":", 1) &&
             EVP_DigestUpdate(x, password, strlen(password)) && EVP_DigestFinal_ex(x, h, &n);
    EVP_MD_CTX_free(x);
    if (!ok || cap < 2 * (size_t)n + 1)
        return -EINVAL;
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", h[i]);
    return 0;
}

static bool hex_of(const char *s, size_t len)
{
    if (!s || strlen(s) != len)
        return false;
    for (; *s; s++)
        if (!strchr("0123456789abcdefABCDEF", *s))
            return false;
    return true;
}

static bool user_name_ok(const char *u)
{
    if (!u || !*u || strlen(u) > USER_MAX)
        return false;
    for (; *u; u++)
        if (!((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') || (*u >= '0' && *u <= '9') || strchr("._-+", *u)))
            return false;
    return true;
}

static int load_one(const char *key, const char *text, size_t len, int64_t expires_us, void *ud)
{
    (void)len;
    (void)expires_us;
    sc_coord_registrar *r = ud;
    json_t *j = json_loads(text, 0, NULL);
    const char *realm = json_string_value(json_object_get(j, "realm"));
    const char *ha1 = json_string_value(json_object_get(j, "ha1"));
    const char *ha1s = json_string_value(json_object_get(j, "ha1_sha256"));
    if (!realm || strcmp(realm, r->realm) != 0 || !user_name_ok(key) || !hex_of(ha1, 32) || !hex_of(ha1s, 64))
        sc_log(r->coord->logger, SC_LOG_WARN, "registrar", "stored user %.64s ignored (%s)", key,
               realm && strcmp(realm, r->realm) ? "another realm" : "unreadable");
    else if (user_set(r, key, NULL, ha1, ha1s, true) == -EEXIST)
        sc_log(r->coord->logger, SC_LOG_INFO, "registrar", "stored user %s ignored: the users file names it", key);
    else
        r->stored_users++;
    json_decref(j);
    return 0;
}

void reg_users_load_store(sc_coord_registrar *r)
{
    int rc = r->p ? sc_persist_kv_list(r->p, USERS_KV_NS, load_one, r) : 0;
    if (rc < 0)
        sc_log(r->coord->logger, SC_LOG_WARN, "registrar", "users not loaded from the store: %s", sc_strerror(rc));
    else if (r->stored_users)
        sc_log(r->coord->logger, SC_LOG_INFO, "registrar", "%zu user(s) loaded from the store", r->stored_users);
}

static sc_coord_registrar *registrar_of(sc_coord *c) { return c ? sc_coord__feat(c, SC_FEAT_REGISTRAR) : NULL; }

int sc_coord_user_put(sc_coord *c, const char *user, const char *password, const char *ha1, const char *ha1_sha256)
{
    sc_coord_registrar *r = registrar_of(c);
    if (!r)
        return -ENOENT;
    if (!r->w)
        return -ENOTSUP;
    char h1[33], h2[65];
    if (!user_name_ok(user) ||
        (password ? ha1 || ha1_sha256 || !*password : !hex_of(ha1, 32) || !hex_of(ha1_sha256, 64)))
        return -EINVAL;
    if (password && (ha1_hex("MD5", user, r->realm, password, h1, sizeof h1) != 0 ||
                     ha1_hex("SHA256", user, r->realm, password, h2, sizeof h2) != 0))
        return -EINVAL;
    const char *a = password ? h1 : ha1, *b = password ? h2 : ha1_sha256;
    const reg_user *old = reg_user_find(r, user);
    bool existed = old != NULL;
    int rc = user_set(r, user, NULL, a, b, true);
    if (rc)
        return rc;
    json_t *j = json_pack("{s:s, s:s, s:s}", "realm", r->realm, "ha1", a, "ha1_sha256", b);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    rc = text ? sc_persist_writer_kv_put(r->w, USERS_KV_NS, user, text, strlen(text), 0, NULL) : -ENOMEM;
    clear_secret(text);
    if (rc == 0 && !existed)
        r->stored_users++;
    sc_log(c->logger, rc ? SC_LOG_WARN : SC_LOG_INFO, "registrar", "user %s %s in the store%s%s", user,
           existed ? "replaced" : "added", rc ? ": " : "", rc ? sc_strerror(rc) : "");
    return rc ? rc : existed ? 1 : 0;
}

int sc_coord_user_delete(sc_coord *c, const char *user)
{
    sc_coord_registrar *r = registrar_of(c);
    if (!r)
        return -ENOENT;
    reg_user *u = user ? reg_user_find(r, user) : NULL;
    if (!u)
        return -ENOENT;
    if (!u->stored)
        return -EPERM;
    if (!r->w)
        return -ENOTSUP;
    int rc = sc_persist_writer_kv_delete(r->w, USERS_KV_NS, user, NULL);
    if (rc)
        return rc;
    size_t i = (size_t)(u - r->users);
    user_clear(u);
    memmove(&r->users[i], &r->users[i + 1], (r->nusers - i - 1) * sizeof *r->users);
    r->nusers--;
    r->stored_users--;
    sc_log(c->logger, SC_LOG_INFO, "registrar", "user %s removed from the store", user);
    return 0;
}

int sc_coord_users(sc_coord *c, json_t **out)
{
    sc_coord_registrar *r = registrar_of(c);
    if (!out)
        return -EINVAL;
    if (!r)
        return -ENOENT;
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->nusers; i++)
        json_array_append_new(a, json_pack("{s:s, s:s}", "user", r->users[i].user, "source",
                                           r->users[i].stored ? "store" : "file"));
    *out = a;
    return a ? 0 : -ENOMEM;
}
