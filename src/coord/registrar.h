/* registrar: private interface of the registrar feature: the bindings of each address of
 * record (registrar_bind.c: table, ordering, expiry, JSON for the store and the API) and the
 * feature's state (registrar.c). */
#ifndef SC_COORD_REGISTRAR_H
#define SC_COORD_REGISTRAR_H

#include "coord/coord_int.h"
#include "coord/transfer.h"

#define REG_MAX_CONTACTS 10 /* bindings one AOR may hold; more: 403 */
#define REG_KV_NS "registrar"
#define REG_AOR_BUCKETS 1024

typedef struct reg_contact {
    char *uri;          /* the Contact URI (no brackets, with its URI parameters) */
    int64_t expires_at; /* wall seconds */
    int q;              /* q-value x 1000 (0..1000), 1000 when not given */
    char *instance;     /* +sip.instance value ("<urn:uuid:...>"), or NULL */
    unsigned reg_id;    /* RFC 5626 reg-id, 0 when absent */
    char *call_id;      /* of the REGISTER that made or refreshed it */
    uint32_t cseq;
    char source[64];  /* transport source of that REGISTER ("127.0.0.1:5062") */
    char *user_agent; /* its User-Agent, or NULL */
} reg_contact;

typedef struct reg_aor {
    struct reg_aor *next; /* hash chain */
    char *user;           /* the AOR is sip:user@realm */
    reg_contact c[REG_MAX_CONTACTS];
    size_t n;
} reg_aor;

typedef struct reg_table {
    reg_aor *buckets[REG_AOR_BUCKETS];
    size_t contacts; /* bindings in all AORs */
} reg_table;

/* registrar_bind.c */
reg_aor *reg_find(reg_table *t, const char *user);
reg_aor *reg_get(reg_table *t, const char *user); /* created when missing; NULL: -ENOMEM */
void reg_remove_aor(reg_table *t, reg_aor *a);    /* frees a */
void reg_contact_clear(reg_contact *c);
void reg_remove_contact(reg_table *t, reg_aor *a, size_t i);
void reg_table_free(reg_table *t);
/* Removes bindings expired at now; calls gone(ud, aor) for each AOR that changed. */
void reg_expire(reg_table *t, int64_t now, void (*gone)(void *ud, reg_aor *a), void *ud);
/* The AOR's bindings as stored: {"user", "contacts": [...]} with absolute expiry. */
json_t *reg_aor_json(const reg_aor *a);
/* Restores from reg_aor_json's form (bindings already expired at now are dropped); replaces
 * what the table holds for that user. 0, -EINVAL (not that form), -ENOMEM. */
int reg_aor_load(reg_table *t, const char *text, int64_t now);
/* The API's view: {"aor", "contacts": [{"uri", "expires" left, "q", ...}]}. */
json_t *reg_aor_view(const reg_aor *a, const char *realm, int64_t now);
/* Latest expiry among a's bindings (wall seconds), 0 when none. */
int64_t reg_aor_latest(const reg_aor *a);

/* One registrar user: from the config (copied), or kept in the store (HA1s only). */
typedef struct reg_user {
    char *user, *password, *ha1, *ha1_sha256;
    bool stored; /* from the store: sc_coord_user_put/delete may change it */
} reg_user;

/* The feature's state (c->feat[SC_FEAT_REGISTRAR]). */
typedef struct sc_coord_registrar {
    sc_coord *coord;
    char *realm;
    reg_user *users; /* sorted by user (registrar_users.c) */
    size_t nusers, cap;
    size_t stored_users; /* of them, from the store */
    sc_sip_auth *auth;
    sc_coord_net trust[SC_COORD_MAX_TRUST];
    size_t ntrust;
    uint32_t min_expires, max_expires, default_expires;
    reg_table table;
    uv_timer_t timer; /* expiry sweep, once a second */
    sc_persist *p;    /* the store (synchronous reads on a miss), or NULL */
    sc_persist_writer *w;
    /* the INVITE the screen just authenticated, for on_incoming (same message, same call) */
    const struct osip_message *auth_msg;
    char auth_call_id[SC_SIP_CALLID_MAX];
    char auth_user[128];
    char *targets[REG_MAX_CONTACTS]; /* the last dial's fork targets (borrowed by the INVITE) */
    size_t ntargets;
    sc_obs_metric *m_register; /* sessioncore_register_total{outcome} */
    sc_obs_metric *m_failures; /* sessioncore_auth_failures_total{reason} */
    sc_obs_metric *m_bindings; /* sessioncore_registrations */
    sc_obs_metric *m_blocked;  /* sessioncore_auth_blocked_sources */
    uint64_t store_errors;     /* binding writes the writer refused */
} sc_coord_registrar;

/* registrar_users.c: the users (configured and stored) */
reg_user *reg_user_find(const sc_coord_registrar *r, const char *user);
int reg_users_copy(sc_coord_registrar *r, const sc_coord_config *cfg); /* the configured ones */
void reg_users_load_store(sc_coord_registrar *r);                      /* namespace "users" */
void reg_users_free(sc_coord_registrar *r);
/* The digest verifier's lookup (sc_sip_auth_lookup_fn, ud the registrar). */
int reg_users_lookup(void *ud, const char *user, const char *algorithm, char *secret, size_t cap, bool *is_ha1);

#endif
