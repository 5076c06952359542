/* config_http: sessiond's HTTP API options (--http-token, --http-token-file, the
 * SESSIOND_HTTP_TOKEN environment variable, --metrics-public, --http-host, the connection
 * limits --http-max-connections, --http-max-per-client, --http-max-streams and
 * --http-read-timeout-ms): their setters, used by
 * config.c's option table, and the warnings they leave for the log. */
#ifndef SESSIOND_CONFIG_HTTP_H
#define SESSIOND_CONFIG_HTTP_H

#include <stddef.h>

#include "config.h"

/* Where the token came from (sd_config.http_token_src). */
enum { SD_TOKEN_NONE, SD_TOKEN_CONFIG, SD_TOKEN_ARGV, SD_TOKEN_FILE, SD_TOKEN_ENV };
#define SD_TOKEN_ENV_NAME "SESSIOND_HTTP_TOKEN"

int sd_set_http_token(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_http_token_file(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_metrics_public(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_http_host(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_http_max_connections(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_http_max_per_client(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_http_max_streams(sd_config *c, const char *v, char *err, size_t errsz);
int sd_set_http_read_timeout(sd_config *c, const char *v, char *err, size_t errsz);
/* After the flags: the token from SESSIOND_HTTP_TOKEN when no flag or key gave one; 0, or -1
 * and one line (never the token itself). */
int sd_config_http_env(sd_config *c, char *err, size_t errsz);
/* Once the logger exists: a warning for a token given on the command line, and one for a
 * token file that group or others may read. Never logs the token. */
void sd_config_http_warn(const sd_config *c, const sc_logger *logger);
/* Whether every address host resolves to (a name or a literal) is a loopback one: 1 yes; 0 no,
 * with the first other address (numeric) in err; -1 it does not resolve, with one line in err. */
int sd_config_http_loopback(const char *host, char *err, size_t errsz);
void sd_config_http_free(sd_config *c);

#endif
