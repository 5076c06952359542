/* config: defaults, the YAML config file and the command-line flags of sessiond, with one
 * setter per option shared by the file and the flags, so both accept the same values. */
#include "config.h"

#include "config_addr.h"
#include "config_bool.h"
#include "config_trunks.h"
#include "config_cluster.h"
#include "config_codecs.h"
#include "config_media.h"
#include "config_srtp.h"
#include "config_ops.h"
#include "config_cleanup.h"
#include "config_store.h"
#include "config_transfer.h"
#include "config_registrar.h"
#include "config_http.h"
#include "config_tls.h"
#include "session_core/media.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef int (*sd_setter)(sd_config *c, const char *v, char *err, size_t errsz);

typedef struct sd_option {
    const char *name; /* flag without "--", also the config key */
    bool has_arg;
    sd_setter set;
    const char *help;
} sd_option;

int sd_config_bad(char *err, size_t errsz, const char *flag, const char *expect, const char *v)
{
    snprintf(err, errsz, "--%s: expected %s, got '%s'", flag, expect, v ? v : "");
    return -1;
}

int sd_config_parse_u64(const char *v, uint64_t max, uint64_t *out)
{
    if (!v || !*v || v[0] == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || n > max)
        return -1;
    *out = n;
    return 0;
}

static int fail(char *err, size_t errsz, const char *fmt, const char *a, const char *b)
{
    snprintf(err, errsz, fmt, a, b);
    return -1;
}

int sd_config_set_str(char **slot, const char *v)
{
    char *d = strdup(v);
    if (!d)
        return -1;
    free(*slot);
    *slot = d;
    return 0;
}

static int parse_u32(const char *v, uint32_t max, uint32_t *out)
{
    if (!v || !*v)
        return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end || v[0] == '-' || n > max)
        return -1;
    *out = (uint32_t)n;
    return 0;
}

int sd_split_hostport(const char *s, char *host, size_t hostsz, uint16_t *port)
{
    const char *colon;
    size_t hl;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || rb[1] != ':')
            return -1;
        hl = (size_t)(rb - s - 1);
        memcpy(host, s + 1, hl < hostsz ? hl : 0);
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - s);
        if (memchr(s, ':', hl))
            return -1; /* bare IPv6 must be bracketed */
        memcpy(host, s, hl < hostsz ? hl : 0);
    }
    if (hl == 0 || hl >= hostsz)
        return -1;
    host[hl] = '\0';
    uint32_t p;
    if (parse_u32(colon + 1, 65535, &p))
        return -1;
    *port = (uint16_t)p;
    return 0;
}

static int set_sip(sd_config *c, const char *v, char *err, size_t errsz)
{
    char host[128], hp[160];
    uint16_t port;
    unsigned char bin[16];
    const char *comma = strchr(v, ','); /* udp:HOST:PORT,advertise=ADDR */
    const char *adv = comma && !strncmp(comma, ",advertise=", 11) ? comma + 11 : NULL;
    snprintf(hp, sizeof hp, "%.*s", comma ? (int)(comma - v) : (int)strlen(v), v);
    if ((strncmp(hp, "udp:", 4) != 0 && strncmp(hp, "tcp:", 4) != 0 && strncmp(hp, "tls:", 4) != 0) ||
        sd_split_hostport(hp + 4, host, sizeof host, &port) || port == 0 || (comma && !adv) ||
        (adv && inet_pton(AF_INET, adv, bin) != 1 && inet_pton(AF_INET6, adv, bin) != 1))
        return fail(err, errsz, "--sip: expected udp|tcp|tls:HOST:PORT[,advertise=ADDR], got '%s'%s", v, "");
    if (c->nsip == SD_MAX_SIP)
        return fail(err, errsz, "--sip: at most %s listeners%s", "8", "");
    c->sip[c->nsip] = strdup(v);
    if (!c->sip[c->nsip])
        return fail(err, errsz, "--sip: %s%s", "out of memory", "");
    c->nsip++;
    return 0;
}

static int set_http(sd_config *c, const char *v, char *err, size_t errsz)
{
    char host[128];
    uint16_t port;
    if (strcmp(v, "off") != 0 && sd_split_hostport(v, host, sizeof host, &port))
        return fail(err, errsz, "--http: expected HOST:PORT or off, got '%s'%s", v, "");
    return sd_config_set_str(&c->http, v);
}

static int set_table(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!*v)
        return fail(err, errsz, "--table: expected a file path%s%s", "", "");
    return sd_config_set_str(&c->table, v);
}

static int set_answer(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!strcmp(v, "auto"))
        c->answer_auto = true;
    else if (!strcmp(v, "manual"))
        c->answer_auto = false;
    else
        return fail(err, errsz, "--answer: expected auto or manual, got '%s'%s", v, "");
    return 0;
}

static int set_ring_delay(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 600000, &c->ring_delay_ms))
        return fail(err, errsz, "--ring-delay-ms: expected 0..600000, got '%s'%s", v, "");
    return 0;
}

static int set_history_size(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 65536, &c->history_size) || c->history_size == 0)
        return fail(err, errsz, "--history-size: expected 1..65536 records a session, got '%s'%s", v, "");
    return 0;
}

static int set_log_level(sd_config *c, const char *v, char *err, size_t errsz)
{
    static const char *names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(v, names[i])) {
            c->log_level = (sc_log_level)i;
            return 0;
        }
    return fail(err, errsz, "--log-level: expected error, warn, info or debug, got '%s'%s", v, "");
}

static int set_log_format(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!strcmp(v, "text"))
        c->log_json = false;
    else if (!strcmp(v, "json"))
        c->log_json = true;
    else
        return fail(err, errsz, "--log-format: expected text or json, got '%s'%s", v, "");
    return 0;
}

static int set_log_target(sd_config *c, const char *v, char *err, size_t errsz)
{
    static const char *names[] = {"stderr", "journald", "syslog"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(v, names[i])) {
            c->log_target = (sd_log_target)i;
            return 0;
        }
    return fail(err, errsz, "--log-target: expected stderr, journald or syslog, got '%s'%s", v, "");
}

static int set_media_ports(sd_config *c, const char *v, char *err, size_t errsz)
{
    char buf[32];
    const char *dash = strchr(v, '-');
    uint32_t lo, hi;
    if (!dash || (size_t)(dash - v) >= sizeof buf)
        goto bad;
    memcpy(buf, v, (size_t)(dash - v));
    buf[dash - v] = '\0';
    if (parse_u32(buf, 65535, &lo) || parse_u32(dash + 1, 65535, &hi) || lo < 1024 || hi < lo || hi - lo < 1)
        goto bad;
    c->media_min = (uint16_t)lo;
    c->media_max = (uint16_t)hi;
    return 0;
bad:
    return fail(err, errsz, "--media-ports: expected LOW-HIGH within 1024-65535, got '%s'%s", v, "");
}

static int set_max_sessions(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 10000000, &c->max_sessions))
        return fail(err, errsz, "--max-sessions: expected 0..10000000 (0 = unlimited), got '%s'%s", v, "");
    return 0;
}

static int set_tcp_max(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 1000000, &c->sip_tcp_max) || c->sip_tcp_max == 0)
        return fail(err, errsz, "--sip-tcp-max: expected 1..1000000, got '%s'%s", v, "");
    return 0;
}

static int set_tcp_per_peer(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 1000000, &c->sip_tcp_per_peer) || c->sip_tcp_per_peer == 0)
        return fail(err, errsz, "--sip-tcp-per-peer: expected 1..1000000, got '%s'%s", v, "");
    return 0;
}

static int set_tx_per_source(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 10000000, &c->sip_tx_per_source) || c->sip_tx_per_source == 0)
        return fail(err, errsz, "--sip-tx-per-source: expected 1..10000000, got '%s'%s", v, "");
    return 0;
}

static int set_tcp_idle(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 86400000, &c->sip_tcp_idle_ms) || c->sip_tcp_idle_ms < 100)
        return fail(err, errsz, "--sip-tcp-idle-ms: expected 100..86400000, got '%s'%s", v, "");
    return 0;
}

static int set_t1(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 10000, &c->sip_t1_ms) || c->sip_t1_ms < 10)
        return fail(err, errsz, "--sip-t1-ms: expected 10..10000, got '%s'%s", v, "");
    return 0;
}

static int set_drain_timeout(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 86400000, &c->drain_timeout_ms))
        return fail(err, errsz, "--drain-timeout-ms: expected 0..86400000, got '%s'%s", v, "");
    return 0;
}

static int set_on_sigterm(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!strcmp(v, "drain") || !strcmp(v, "hangup")) {
        c->sigterm_hangup = !strcmp(v, "hangup");
        return 0;
    }
    return fail(err, errsz, "--on-sigterm: expected drain or hangup, got '%s'%s", v, "");
}

static int set_shutdown_timeout(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 600000, &c->shutdown_timeout_ms) || c->shutdown_timeout_ms < 100)
        return fail(err, errsz, "--shutdown-timeout-ms: expected 100..600000, got '%s'%s", v, "");
    return 0;
}

static int set_http_timeout(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (parse_u32(v, 600000, &c->http_timeout_ms) || c->http_timeout_ms < 10)
        return fail(err, errsz, "--http-timeout-ms: expected 10..600000, got '%s'%s", v, "");
    return 0;
}

static int set_help(sd_config *c, const char *v, char *err, size_t errsz)
{
    c->help = true;
    return 0;
}

static int set_version(sd_config *c, const char *v, char *err, size_t errsz)
{
    c->version = true;
    return 0;
}

static const sd_option options[] = {
    {"sip", true, set_sip, "udp|tcp|tls:HOST:PORT SIP listener, repeatable (default udp:127.0.0.1:5060)"},
    {"http", true, set_http, "HOST:PORT|off HTTP API address (default 127.0.0.1:8080)"},
    {"table", true, set_table, "PATH state table (default: the built-in default table)"},
    {"store", true, sd_set_store,
     "URL session store: sqlite:PATH, memory:, redis://HOST:PORT/DB, postgresql://... (default sqlite:sessiond.db)"},
    {"store-file", true, sd_set_store_file, "FILE the store URL: the file's first line (keeps a password off argv)"},
    {"durability", true, sd_set_durability, "strict|batched|none when a change counts as stored (default strict)"},
    {"node-id", true, sd_set_node_id, "ID owner of the stored sessions (default HOSTNAME:SIP-PORT)"},
    {"cluster", false, sd_set_cluster,
     "[=yes|no] take part in a cluster on the shared --store: node lease, takeover of dead nodes' calls"},
    {"lease-ms", true, sd_set_lease_ms, "N the node lease with --cluster (default 2000); takeover after it expires"},
    {"drain-handover", false, sd_set_drain_handover,
     "[=yes|no] with --cluster a drain hands its calls to the other nodes (default yes)"},
    {"cluster-url", true, sd_set_cluster_url,
     "URL this node's HTTP API as the other nodes redirect to it (default http://<--http>)"},
    {"snapshot-every", true, sd_set_snapshot_every, "N a session snapshot every N transitions (default 16)"},
    {"answer", true, set_answer, "auto|manual answer incoming calls automatically (default auto)"},
    {"ring-delay-ms", true, set_ring_delay, "N ring before auto answer (default 0)"},
    {"history-size", true, set_history_size,
     "N history records kept per session, the oldest dropped first (default 64; 1..65536)"},
    {"log-level", true, set_log_level, "error|warn|info|debug log level (default info)"},
    {"log-format", true, set_log_format, "text|json log line format (default text)"},
    {"log-target", true, set_log_target,
     "stderr|journald|syslog where log lines go (default stderr); journald keeps SESSION_ID, CALL_ID, STATE, EVENT "
     "fields"},
    {"media-ports", true, set_media_ports, "LOW-HIGH RTP port range (default 16384-32767)"},
    {"max-sessions", true, set_max_sessions, "N session cap, 0 = none (default: from memory)"},
    {"http-token", true, sd_set_http_token,
     "TOKEN bearer token of every endpoint but the probes (visible in ps: prefer --http-token-file)"},
    {"http-token-file", true, sd_set_http_token_file, "FILE the bearer token: the file's first line"},
    {"metrics-public", false, sd_set_metrics_public, "[=yes|no] GET /metrics without the token"},
    {"http-max-connections", true, sd_set_http_max_connections,
     "N HTTP connections (streams apart) before idle ones are closed and requests get 503 (default 256)"},
    {"http-max-per-client", true, sd_set_http_max_per_client, "N the same for one client address (default 64)"},
    {"http-max-streams", true, sd_set_http_max_streams, "N GET /events streams at once (default 64)"},
    {"http-read-timeout-ms", true, sd_set_http_read_timeout,
     "N a request's headers, then its body, must arrive within N ms (default 10000)"},
    {"http-host", true, sd_set_http_host,
     "NAME one more Host name the API answers to (besides its address, and localhost on loopback), repeatable"},
    {"sip-t1-ms", true, set_t1, "N SIP timer T1 (default 500)"},
    {"sip-tcp-max", true, set_tcp_max, "N SIP TCP connections at once (default 1024)"},
    {"sip-tcp-per-peer", true, set_tcp_per_peer, "N incoming SIP TCP connections from one IP (default 32)"},
    {"sip-tcp-idle-ms", true, set_tcp_idle, "N a quiet SIP TCP connection is closed after (default 300000)"},
    {"sip-tx-per-source", true, set_tx_per_source,
     "N live SIP server transactions from one source IP; past it 503 (default 8192)"},
    {"shutdown-timeout-ms", true, set_shutdown_timeout, "N bound on ending the calls at shutdown (default 5000)"},
    {"drain-timeout-ms", true, set_drain_timeout, "N SIGTERM: active calls go on this long (default 30000)"},
    {"on-sigterm", true, set_on_sigterm, "drain|hangup first SIGTERM drains (default) or ends calls now"},
    {"http-timeout-ms", true, set_http_timeout, "N HTTP wait for the loop (default 5000)"},
    {"media-address", true, sd_set_media_address, "ADDR RTP address (default: the first SIP listener's)"},
    {"advertise", true, sd_set_advertise, "ADDR address in Via/Contact/From (default: bound, or route)"},
    {"media-advertise", true, sd_set_media_advertise, "ADDR address in our SDP (default: media, or route)"},
    {"credentials", true, sd_set_credentials, "FILE digest credentials: YAML list of {realm, user, password}"},
    {"outbound-proxy", true, sd_set_outbound_proxy, "URI send our INVITEs through this proxy (pre-loaded Route)"},
    {"dns-server", true, sd_set_dns_server, "IP[:PORT] DNS server for SIP names, repeatable (default: resolv.conf)"},
    {"rtp-timeout-ms", true, sd_set_rtp_timeout, "N end a call after N ms without RTP, 0 = off (default 30000)"},
    {"rtp-park", true, sd_set_rtp_park,
     "N keep up to N ended calls' RTP port pairs bound for the next calls, 0 = off (default 2048)"},
    {"media", true, sd_set_media,
     "on|off RTP media (default on); off: signalling only, no RTP socket, our SDP declines media"},
    {"rtp-latch", false, sd_set_rtp_latch,
     "[=yes|no] accept RTP from the first source heard, not only the SDP's (NAT)"},
    {"srtp", true, sd_set_srtp,
     "off|optional|mandatory SRTP with SDES keys: off refuses RTP/SAVP offers, mandatory plain ones (488 before "
     "any provisional); optional takes either (default off)"},
    {"srtp-offer", true, sd_set_srtp_offer, "avp|savp profile of our offers under --srtp optional (default avp)"},
    {"codecs", true, sd_set_codecs,
     "LIST audio codecs by preference: opus,g722,pcmu,pcma (default pcmu,pcma,opus,g722)"},
    {"moh", true, sd_set_moh, "FILE music on hold of class default (default: built-in tune)"},
    {"moh-class", true, sd_set_moh_class, "NAME=FILE music on hold class, repeatable (config: moh_classes map)"},
    {"sounds-dir", true, sd_set_sounds_dir,
     "DIR PlayFile's relative file paths are under DIR (default: the working dir)"},
    {"route", true, sd_set_route,
     "PATTERN=TARGET[,proxy=URI][,from=any][,srtp=POLICY] B2BUA route: Request-URI user glob -> sip: URI (through a "
     "proxy) for trusted/authenticated callers (any: everyone), its outgoing leg's SRTP policy, repeatable"},
    {"watch", false, sd_set_watch, "[=yes|no] reload the table when its file changes"},
    {"statsd", true, sd_set_statsd, "HOST:PORT push metrics to StatsD every 10 s"},
    {"statsd-interval-ms", true, sd_set_statsd_interval, "N StatsD push period (default 10000)"},
    {"metrics", true, sd_set_metrics, "yes|no collect metrics; no: no /metrics, no --statsd (default yes)"},
    {"max-cps", true, sd_set_max_cps, "N new sessions per second, 0 = none (default 0)"},
    {"max-memory", true, sd_set_max_memory,
     "BYTES[K|M|G] refuse new sessions above this RSS, 0 = none (default: 3/4 of the memory limit)"},
    {"events-idle-ms", true, sd_set_events_idle, "N reap event subscribers idle this long (default 30000)"},
    {"events-ring", true, sd_set_events_ring, "N events kept for resume (default 4096)"},
    {"max-session-age-ms", true, sd_set_max_session_age,
     "N end sessions older than N ms, 0 = never (default 86400000)"},
    {"retention-ms", true, sd_set_retention, "N longest stay of an ended session, 0 = the table's (default 300000)"},
    {"failed-retention-ms", true, sd_set_failed_retention, "N the same for failed sessions (default 600000)"},
    {"event-log-retention-ms", true, sd_set_event_log_retention,
     "N prune stored events of ended sessions older than N ms, 0 = keep (default 604800000)"},
    {"session-expires", true, sd_set_session_expires, "S RFC 4028 session interval, 0 = off (default 1800)"},
    {"min-se", true, sd_set_min_se, "S smallest session interval accepted (default 90)"},
    {"accept-refer", true, sd_set_accept_refer,
     "yes|no no: refuse every REFER (603) whatever the policy (default yes)"},
    {"trust", true, sd_set_trust, "CIDR trusted source network (10.0.0.0/8, ::1/128), repeatable (default none)"},
    {"refer-allow", true, sd_set_refer_allow,
     "GLOB REFER target allowed from trusted sources, on [user@]host:port, repeatable (default none)"},
    {"realm", true, sd_set_realm, "DOMAIN our SIP domain and digest realm (registrar; calls to sip:USER@DOMAIN)"},
    {"users", true, sd_set_users, "FILE registrar users: YAML list of {user, password} or {user, ha1}"},
    {"users-store", true, sd_set_users_store,
     "yes|no registrar users also kept in the store, managed by POST /users (default no)"},
    {"reg-min-expires", true, sd_set_reg_min_expires, "S shortest registration, 423 below (default 60)"},
    {"reg-max-expires", true, sd_set_reg_max_expires, "S longest registration granted (default 3600)"},
    {"reg-default-expires", true, sd_set_reg_default_expires, "S registration when none is asked (default 3600)"},
    {"auth-max-failures", true, sd_set_auth_max_failures,
     "N failed authentications from one source within --auth-window before 403s (default 10)"},
    {"auth-window", true, sd_set_auth_window, "S window of --auth-max-failures (default 60)"},
    {"auth-block", true, sd_set_auth_block, "S how long a source past the limit gets 403 (default 300)"},
    {"auth-algorithms", true, sd_set_auth_algorithms,
     "LIST digest challenges offered, in order: SHA-256,MD5 (default) | MD5,SHA-256 | SHA-256 | MD5"},
    {"auth-nonce-ttl", true, sd_set_auth_nonce_ttl, "S digest nonce lifetime, stale=true after (default 300)"},
    {"transfer-timeout-ms", true, sd_set_transfer_timeout,
     "N a transfer call unanswered after N ms fails (default 60000)"},
    {"tls-cert", true, sd_set_tls_cert, "FILE SIP TLS certificate (PEM, chain after it) for tls: listeners"},
    {"tls-key", true, sd_set_tls_key, "FILE SIP TLS private key (PEM) of --tls-cert"},
    {"tls-ca", true, sd_set_tls_ca, "FILE CA certificates peers are verified against (default: the system's)"},
    {"tls-verify", true, sd_set_tls_verify,
     "yes|no no: outgoing TLS accepts any server certificate, for labs only (default yes)"},
    {"tls-handshake-ms", true, sd_set_tls_handshake_ms,
     "N a TLS connection whose handshake is not done after N ms is closed (default 10000)"},
    {"sip-keepalive-ms", true, sd_set_sip_keepalive_ms,
     "N CRLF ping on our quiet SIP TCP/TLS connections that carry a call, 0 = off (default 90000)"},
    {"config", true, NULL, "FILE YAML config file (keys = flag names)"},
    {"help", false, set_help, " print this help and exit"},
    {"version", false, set_version, " print the version"},
};
#define NOPTIONS (sizeof options / sizeof options[0])

void sd_config_usage(void)
{
    printf("usage: sessiond [options]   (every option is also a key of the --config file)\n");
    for (size_t i = 0; i < NOPTIONS; i++) {
        const char *h = options[i].help;
        size_t arglen = strcspn(h, " ");
        char flag[64];
        snprintf(flag, sizeof flag, "%s--%s %.*s", !strcmp(options[i].name, "help") ? "-h, " : "", options[i].name,
                 (int)arglen, h);
        h += arglen;
        h += strspn(h, " ");
        printf("  %-40s  %s\n", flag, h); /* two spaces at least: help2man reads the columns */
    }
}

void sd_config_init(sd_config *c)
{
    memset(c, 0, sizeof *c);
    c->answer_auto = true;
    c->log_level = SC_LOG_INFO;
    c->media_min = SC_MEDIA_PORT_MIN_DEFAULT;
    c->media_max = SC_MEDIA_PORT_MAX_DEFAULT;
    c->sip_t1_ms = 500;
    c->shutdown_timeout_ms = 5000;
    c->drain_timeout_ms = 30000;
    c->drain_handover = true;
    c->http_timeout_ms = 5000;
    c->rtp_timeout_ms = 30000;
    c->rtp_park = SC_COORD_RTP_PARK_DEFAULT;
    c->max_sessions = UINT32_MAX; /* not given: derived (src/coord/admission.c) */
    c->max_memory = UINT64_MAX;
    c->sip_keepalive_ms = 90000; /* RFC 5626 pings (config_tls.c) */
}

static void clear_sip(sd_config *c)
{
    for (size_t i = 0; i < c->nsip; i++)
        free(c->sip[i]);
    c->nsip = 0;
}

void sd_config_free(sd_config *c)
{
    clear_sip(c);
    free(c->http);
    free(c->table);
    free(c->store);
    sd_config_http_free(c);
    sd_config_media_free(c);
    free(c->codecs);
    sd_config_addr_free(c);
    sd_config_ops_free(c);
    sd_config_store_free(c);
    sd_config_cluster_free(c);
    sd_config_transfer_free(c);
    sd_config_trunks_free(c);
    sd_config_registrar_free(c);
    sd_config_tls_free(c);
    memset(c, 0, sizeof *c);
}

static const sd_option *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTIONS; i++)
        if (strlen(options[i].name) == len && !strncmp(options[i].name, name, len))
            return &options[i];
    return NULL;
}

/* Config keys may be written with '_' or '-'. */
static const sd_option *find_key(const char *key)
{
    char name[64];
    size_t n = strlen(key);
    if (n >= sizeof name)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        name[i] = key[i] == '_' ? '-' : key[i];
    return find_option(name, n);
}

/* ---- YAML config file --------------------------------------------------------------------- */

/* Options whose config key may also be a list of values (each applied as one flag). */
static bool repeatable(const sd_option *o)
{
    return !strcmp(o->name, "sip") || !strcmp(o->name, "trust") || !strcmp(o->name, "refer-allow") ||
           !strcmp(o->name, "http-host") || !strcmp(o->name, "dns-server");
}

static int file_error(char *err, size_t errsz, const char *path, const yaml_node_t *n, const char *msg)
{
    snprintf(err, errsz, "%s:%lu:%lu: %s", path, n ? (unsigned long)n->start_mark.line + 1 : 1UL,
             n ? (unsigned long)n->start_mark.column + 1 : 1UL, msg);
    return -1;
}

static int apply_value(sd_config *c, const sd_option *o, const char *path, const yaml_node_t *v, char *err,
                       size_t errsz)
{
    char sub[256];
    const char *val = (const char *)v->data.scalar.value;
    if (!o->has_arg) { /* a switch: yes|no, the older spellings with a warning (config_bool.c) */
        bool on;
        if (sd_config_bool(o->name, val, &on, sub, sizeof sub))
            return file_error(err, errsz, path, v, sub + 2);
        return o->set(c, on ? "yes" : "no", err, errsz);
    }
    if (o->set(c, val, sub, sizeof sub) == 0)
        return 0;
    return file_error(err, errsz, path, v, sub[0] == '-' && sub[1] == '-' ? sub + 2 : sub);
}

static int apply_file(sd_config *c, const char *path, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "--config: cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    yaml_parser_t p;
    yaml_document_t doc;
    int rc = -1;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    if (!yaml_parser_load(&p, &doc)) {
        snprintf(err, errsz, "%s:%lu:%lu: %s", path, (unsigned long)p.problem_mark.line + 1,
                 (unsigned long)p.problem_mark.column + 1, p.problem ? p.problem : "YAML error");
        yaml_parser_delete(&p);
        fclose(f);
        return -1;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) { /* empty file: nothing to apply */
        rc = 0;
        goto out;
    }
    if (root->type != YAML_MAPPING_NODE) {
        file_error(err, errsz, path, root, "expected a mapping of option: value");
        goto out;
    }
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(&doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(&doc, pr->value);
        if (!k || k->type != YAML_SCALAR_NODE) {
            file_error(err, errsz, path, k, "expected an option name");
            goto out;
        }
        const char *key = (const char *)k->data.scalar.value;
        int media = sd_config_media_node(c, key, &doc, v, path, err, errsz); /* maps and lists */
        if (media > 0)
            media = sd_config_trunks_node(c, key, &doc, v, path, err, errsz); /* trunks: (config_trunks.c) */
        if (media <= 0) {
            if (media < 0)
                goto out;
            continue;
        }
        const sd_option *o = find_key(key);
        if (!o || !o->set || !strcmp(o->name, "help") || !strcmp(o->name, "version")) {
            char msg[160];
            snprintf(msg, sizeof msg, "unknown option '%s'", key);
            file_error(err, errsz, path, k, msg);
            goto out;
        }
        if (v->type == YAML_SEQUENCE_NODE && repeatable(o)) {
            for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
                yaml_node_t *e = yaml_document_get_node(&doc, *it);
                if (e->type != YAML_SCALAR_NODE) {
                    char msg[160];
                    snprintf(msg, sizeof msg, "%s: expected a list of strings", key);
                    file_error(err, errsz, path, e, msg);
                    goto out;
                }
                if (apply_value(c, o, path, e, err, errsz))
                    goto out;
            }
            continue;
        }
        if (v->type != YAML_SCALAR_NODE) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s: expected a single value", key);
            file_error(err, errsz, path, v, msg);
            goto out;
        }
        if (apply_value(c, o, path, v, err, errsz))
            goto out;
    }
    rc = 0;
out:
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    fclose(f);
    return rc;
}

/* ---- Flags ---------------------------------------------------------------------------------- */

/* The flag at argv[*i]: its option and value (advancing *i past a separate value). */
static int read_flag(int argc, char **argv, int *i, const sd_option **o, const char **val, char *err, size_t errsz)
{
    const char *a = argv[*i];
    if (!strcmp(a, "-h"))
        a = "--help";
    if (strncmp(a, "--", 2) != 0 || !a[2])
        return fail(err, errsz, "unexpected argument '%s' (see --help)%s", a, "");
    const char *eq = strchr(a + 2, '=');
    size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    *o = find_option(a + 2, len);
    if (!*o) {
        snprintf(err, errsz, "unknown flag '--%.*s' (see --help)", (int)len, a + 2);
        return -1;
    }
    if (!(*o)->has_arg) {
        if (eq && !sd_config_is_switch((*o)->name)) /* --rtp-latch=no (config_bool.c) */
            return fail(err, errsz, "--%s: takes no value%s", (*o)->name, "");
        *val = eq ? eq + 1 : NULL;
        return 0;
    }
    if (eq) {
        *val = eq + 1;
    } else {
        if (*i + 1 >= argc)
            return fail(err, errsz, "--%s: missing value%s", (*o)->name, "");
        *val = argv[++*i];
    }
    return 0;
}

int sd_config_parse(sd_config *c, int argc, char **argv, char *err, size_t errsz)
{
    const sd_option *o;
    const char *val;
    /* Pass 1: validate flag syntax and find --config. */
    const char *cfgfile = NULL;
    for (int i = 1; i < argc; i++) {
        if (read_flag(argc, argv, &i, &o, &val, err, errsz))
            return -1;
        if (!strcmp(o->name, "config"))
            cfgfile = val;
    }
    if (cfgfile && apply_file(c, cfgfile, err, errsz))
        return -1;
    /* Pass 2: apply flags; --sip flags replace the file's listeners. */
    bool sip_seen = false;
    for (int i = 1; i < argc; i++) {
        read_flag(argc, argv, &i, &o, &val, err, errsz);
        if (!o->set)
            continue;
        if (!strcmp(o->name, "sip") && !sip_seen) {
            clear_sip(c);
            sip_seen = true;
        }
        if (o->set(c, val, err, errsz))
            return -1;
        if (!strcmp(o->name, "http-token")) { /* on the command line: mask it in /proc/PID/cmdline */
            c->http_token_src = SD_TOKEN_ARGV;
            memset((char *)val, '*', strlen(val));
        }
        if (!strcmp(o->name, "store")) /* its password, if any: masked the same way */
            sd_config_store_mask_argv(c, (char *)val);
    }
    if (sd_config_http_env(c, err, errsz)) /* SESSIOND_HTTP_TOKEN when no flag or key gave one */
        return -1;
    if (sd_config_store_env(c, err, errsz)) /* SESSIOND_STORE likewise */
        return -1;
    if (c->nsip == 0 && set_sip(c, "udp:127.0.0.1:5060", err, errsz))
        return -1;
    if (!c->http && sd_config_set_str(&c->http, "127.0.0.1:8080"))
        return fail(err, errsz, "out of memory%s%s", "", "");
    if (!c->store && sd_config_set_str(&c->store, SD_DEFAULT_STORE))
        return fail(err, errsz, "out of memory%s%s", "", "");
    return 0;
}

int sd_config_check(const sd_config *c, char *err, size_t errsz)
{
    char host[128], other[INET6_ADDRSTRLEN + 8];
    uint16_t port;
    if (strcmp(c->http, "off") != 0 && sd_split_hostport(c->http, host, sizeof host, &port) == 0) {
        /* the addresses it resolves to, not its spelling: 127.x.example is not loopback */
        err[0] = '\0';
        int loopback = sd_config_http_loopback(host, err, errsz);
        if (loopback < 0)
            return -1;
        snprintf(other, sizeof other, "%s", err);
        if (!loopback && !c->http_token) {
            snprintf(err, errsz,
                     "--http: %s is not a loopback address (%s): --http-token is required "
                     "(--http-token-file FILE, SESSIOND_HTTP_TOKEN or --http-token)",
                     c->http, other);
            return -1;
        }
        err[0] = '\0';
    }
    if (sd_config_trunks_check(c, err, errsz) != 0 || /* routes to trunk:NAME (config_trunks.c) */
        sd_config_registrar_check(c, err, errsz) != 0)
        return -1;
    if (sd_config_tls_check(c, err, errsz) != 0) /* files, key match, tls: listeners (config_tls.c) */
        return -1;
    if (sd_config_cluster_check(c, err, errsz) != 0) /* a shared store (config_cluster.c) */
        return -1;
    return sd_config_ops_check(c, err, errsz);
}
