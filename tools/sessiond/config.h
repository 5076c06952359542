/* config: sessiond's settings, from defaults, a YAML config file and command-line flags
 * (every config key is also a flag), each value checked with a one-line error. */
#ifndef SESSIOND_CONFIG_H
#define SESSIOND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "session_core/base.h"

#define SD_MAX_SIP 8
#define SD_MAX_MOH 16    /* = SC_COORD_MAX_MOH */
#define SD_MAX_ROUTES 64 /* = SC_COORD_MAX_ROUTES */
#define SD_MAX_TRUST 32  /* = SC_COORD_MAX_TRUST */
#define SD_MAX_ALLOW 32  /* = SC_COORD_MAX_REFER_ALLOW */
#define SD_MAX_HTTP_HOSTS 16

typedef struct sd_config {
    char *sip[SD_MAX_SIP]; /* listen specs "udp:127.0.0.1:5060" */
    size_t nsip;
    char *http;              /* "127.0.0.1:8080", or "off" */
    char *table;             /* path; NULL = the embedded default table */
    char *store;             /* "sqlite:sessiond.db" (default), "memory:", "redis://...", "postgresql://..." */
    int durability;          /* 0 strict (default), 1 batched, 2 none (config_store.c) */
    char *node_id;           /* --node-id; NULL = hostname:port */
    unsigned snapshot_every; /* --snapshot-every; 0 = 16 */
    bool cluster;            /* --cluster: ownership, takeover, fencing on a shared store (config_cluster.c) */
    unsigned lease_ms;       /* --lease-ms; 0 = 2000 */
    bool drain_handover;     /* --drain-handover (default yes): a drain hands the calls to other nodes */
    char *cluster_url;       /* --cluster-url: this node's API as the other nodes redirect to it */
    bool answer_auto;        /* --answer auto|manual */
    uint32_t ring_delay_ms;
    uint32_t history_size; /* --history-size; 0 = the store's default */
    sc_log_level log_level;
    bool log_json;            /* --log-format json */
    sd_log_target log_target; /* --log-target */
    uint16_t media_min, media_max;
    uint32_t max_sessions; /* 0 = unlimited, UINT32_MAX (default) = derived (admission.c) */
    char *http_token;      /* bearer token of every endpoint but the probes; NULL = none (config_http.c) */
    uint32_t sip_t1_ms;
    uint32_t sip_tcp_max, sip_tcp_per_peer, sip_tcp_idle_ms; /* 0: the agent\'s defaults */
    uint32_t sip_tx_per_source;                              /* 0: the agent's default (8192) */
    uint32_t shutdown_timeout_ms;                            /* bound on the graceful shutdown */
    uint32_t drain_timeout_ms;    /* SIGTERM: how long active calls may go on before they are ended */
    bool sigterm_hangup;          /* --on-sigterm hangup: SIGTERM ends the calls at once (no drain) */
    uint32_t http_timeout_ms;     /* how long an HTTP request waits for the loop */
    bool refuse_refer;            /* --accept-refer no (config_transfer.c) */
    uint32_t transfer_timeout_ms; /* --transfer-timeout-ms; 0 = the api's default */
    char *trust[SD_MAX_TRUST];    /* --trust CIDR, repeatable (config_transfer.c) */
    size_t ntrust;
    char *refer_allow[SD_MAX_ALLOW]; /* --refer-allow GLOB, repeatable */
    size_t nrefer_allow;
    char *media_address;     /* RTP address; NULL = the first SIP listener's (config_media.c) */
    char *advertise;         /* Via/Contact/From address; NULL = bound or route (config_addr.c) */
    char *media_advertise;   /* the address in our SDP; NULL = media address or route */
    char *credentials;       /* --credentials FILE: digest credentials (credentials.c) */
    char *outbound_proxy;    /* --outbound-proxy URI: default proxy of our INVITEs (config_addr.c) */
    char *dns_servers;       /* --dns-server IP[:PORT], repeatable: joined "a,b"; NULL: resolv.conf */
    uint32_t rtp_timeout_ms; /* 0 = off */
    uint32_t rtp_park;       /* --rtp-park: RTP pairs kept bound after calls (config_media.c) */
    bool rtp_latch;          /* --rtp-latch: symmetric RTP (config_media.c) */
    bool media_off;          /* --media off: signalling only (config_media.c) */
    int srtp;                /* --srtp: sc_coord_srtp (config_srtp.c); 0 = off */
    bool srtp_offer_savp;    /* --srtp-offer savp: our offers RTP/SAVP under optional */
    char *codecs;            /* --codecs LIST: codec preference (config_codecs.c); NULL: the default */
    char *moh_name[SD_MAX_MOH], *moh_path[SD_MAX_MOH]; /* --moh, --moh-class, moh_classes: */
    size_t nmoh;
    char *sounds_dir; /* --sounds-dir DIR: PlayFile's relative paths (config_media.c); NULL: cwd */
    char *route_match[SD_MAX_ROUTES], *route_target[SD_MAX_ROUTES]; /* --route, routes: */
    char *route_proxy[SD_MAX_ROUTES];                               /* ",proxy=URI" / proxy:, or NULL */
    bool route_open[SD_MAX_ROUTES];                                 /* ",from=any" / from: any */
    int route_srtp[SD_MAX_ROUTES]; /* ",srtp=POLICY" / srtp: (config_srtp.c): 0 the global; else 1 + sc_coord_srtp */
    size_t nroutes;
    bool watch;                  /* --watch: reload the table when its file changes (config_ops.c) */
    char *statsd;                /* --statsd HOST:PORT, NULL = off */
    uint32_t statsd_interval_ms; /* --statsd-interval-ms, 0 = 10000 */
    bool metrics_off;            /* --metrics off: no registry, /metrics 404 (config_ops.c) */
    uint32_t max_cps;            /* admission rate, 0 = unlimited */
    uint64_t max_memory;         /* resident bytes, 0 = unlimited, UINT64_MAX (default) = derived */
    uint32_t events_idle_ms;     /* idle limit of event subscribers, 0 = 30000 */
    uint32_t events_ring;        /* events kept for resume, 0 = 4096 */
    struct sd_cleanup_opts {     /* cleanup and session timers (config_cleanup.c); *_set: given */
        uint64_t max_age_ms, retention_ms, failed_retention_ms;
        uint32_t session_expires_s, min_se_s;
        bool max_age_set, retention_set, failed_retention_set, session_expires_set, min_se_set;
        uint64_t event_log_retention_ms; /* --event-log-retention-ms */
        bool event_log_retention_set;
    } cleanup;
    int store_src;                       /* SD_STORE_* (config_store.h): where the store URL came from */
    char *store_file;                    /* --store-file path, for its warning */
    unsigned store_file_mode;            /* that file's permission bits */
    int http_token_src;                  /* SD_TOKEN_* (config_http.h): where the token came from */
    char *http_token_file;               /* --http-token-file path, for its warning */
    unsigned http_token_file_mode;       /* that file's permission bits */
    bool metrics_public;                 /* --metrics-public: GET /metrics needs no token */
    char *http_hosts[SD_MAX_HTTP_HOSTS]; /* --http-host: more Host names the API answers to */
    size_t nhttp_hosts;
    uint32_t http_max_connections; /* --http-max-connections; 0 = 256 (http_conns.h) */
    uint32_t http_max_per_client;  /* --http-max-per-client; 0 = 64 */
    uint32_t http_max_streams;     /* --http-max-streams; 0 = 64 */
    uint32_t http_read_timeout_ms; /* --http-read-timeout-ms; 0 = 10000 */
    struct sd_trunk *trunks;       /* the config file's trunks: (config_trunks.c) */
    size_t ntrunks;
    char *realm;           /* --realm: our SIP domain and digest realm (config_registrar.c) */
    char *users;           /* --users FILE: the registrar's users (users.c) */
    bool users_store;      /* --users-store yes: users also kept in the store (POST /users) */
    char *auth_algorithms; /* --auth-algorithms: offered challenges in order */
    struct sd_reg_opts {   /* registrar intervals and brute-force limits; 0: the coordinator's */
        uint32_t min_expires, max_expires, default_expires;
        uint32_t auth_max_failures, auth_window_s, auth_block_s, nonce_ttl_s;
    } reg;
    bool help, version;
    /* SIP over TLS (config_tls.c): paths of the certificate, key and CA set; tls_no_verify:
     * --tls-verify no (outgoing TLS accepts any certificate) */
    char *tls_cert, *tls_key, *tls_ca;
    bool tls_no_verify;
    uint32_t tls_handshake_ms; /* --tls-handshake-ms; 0: the agent's default (10000) */
    uint32_t sip_keepalive_ms; /* --sip-keepalive-ms: RFC 5626 pings; 0 = off (default 90000) */
} sd_config;

void sd_config_init(sd_config *c);
void sd_config_free(sd_config *c);
/* Apply a YAML config file then the flags (flags win). On error returns -1 and writes one
 * line (without "sessiond: " and newline) to err. */
int sd_config_parse(sd_config *c, int argc, char **argv, char *err, size_t errsz);
/* Checks across options (token needed for a non-loopback HTTP address...). */
int sd_config_check(const sd_config *c, char *err, size_t errsz);
void sd_config_usage(void);
/* Split "udp:127.0.0.1:5060" / "127.0.0.1:8080" / "[::1]:8080": host (no brackets) and port. */
int sd_split_hostport(const char *s, char *host, size_t hostsz, uint16_t *port);

/* For the option parsers (config_*.c): "--FLAG: expected EXPECT, got 'V'" into err; returns -1. */
int sd_config_bad(char *err, size_t errsz, const char *flag, const char *expect, const char *v);
/* A decimal integer in [0, max] into *out: 0, or -1 for anything else. */
int sd_config_parse_u64(const char *v, uint64_t max, uint64_t *out);
/* A copy of v into *slot (the old string freed): 0, or -1 out of memory (*slot unchanged). */
int sd_config_set_str(char **slot, const char *v);

#endif
