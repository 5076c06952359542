/* config_store: parsing and checking of sessiond's persistence options; the store URL may come
 * from --store, --store-file FILE (its first line) or SESSIOND_STORE, so a password in it need
 * not be on the command line (where it is masked, with a warning). */
#include "config_store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

int sd_set_store(sd_config *c, const char *v, char *err, size_t errsz)
{
    const char *expect = "memory:, sqlite:PATH, redis://HOST:PORT[/DB] or postgresql://...";
    if (!strcmp(v, "memory") || !strcmp(v, "memory:"))
        return sd_config_set_str(&c->store, "memory:") ? sd_config_bad(err, errsz, "store", "memory", v) : 0;
    bool ok = (!strncmp(v, "sqlite:", 7) && v[7]) || !strncmp(v, "redis://", 8) || !strncmp(v, "postgresql://", 13) ||
              !strncmp(v, "postgres://", 11);
    if (!ok)
        return sd_config_bad(err, errsz, "store", expect, v);
    return sd_config_set_str(&c->store, v) ? sd_config_bad(err, errsz, "store", "memory", v) : 0;
}

int sd_set_durability(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!strcmp(v, "strict"))
        c->durability = 0;
    else if (!strcmp(v, "batched"))
        c->durability = 1;
    else if (!strcmp(v, "none"))
        c->durability = 2;
    else
        return sd_config_bad(err, errsz, "durability", "strict, batched or none", v);
    return 0;
}

int sd_set_node_id(sd_config *c, const char *v, char *err, size_t errsz)
{
    if (!*v || strlen(v) >= 64)
        return sd_config_bad(err, errsz, "node-id", "1 to 63 characters", v);
    return sd_config_set_str(&c->node_id, v) ? sd_config_bad(err, errsz, "node-id", "memory", v) : 0;
}

int sd_set_snapshot_every(sd_config *c, const char *v, char *err, size_t errsz)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || !*v || *end || n < 1 || n > 1000000)
        return sd_config_bad(err, errsz, "snapshot-every", "1..1000000", v);
    c->snapshot_every = (unsigned)n;
    return 0;
}

int sd_set_store_file(sd_config *c, const char *v, char *err, size_t errsz)
{
    char buf[4097];
    int fd = open(v, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errsz, "--store-file: cannot open '%s': %s", v, strerror(errno));
        return -1;
    }
    struct stat st;
    c->store_file_mode = fstat(fd, &st) == 0 ? (unsigned)(st.st_mode & 0777) : 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) {
        snprintf(err, errsz, "--store-file: cannot read '%s': %s", v, strerror(errno));
        return -1;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    char sub[256];
    if (sd_set_store(c, buf, sub, sizeof sub)) {
        snprintf(err, errsz,
                 "--store-file: '%s': the first line must be a store URL (memory:, sqlite:PATH, "
                 "redis://..., postgresql://...)",
                 v);
        return -1;
    }
    c->store_src = SD_STORE_FILE;
    return sd_config_set_str(&c->store_file, v) ? sd_config_bad(err, errsz, "store-file", "memory", v) : 0;
}

int sd_config_store_env(sd_config *c, char *err, size_t errsz)
{
    const char *v = getenv(SD_STORE_ENV_NAME);
    if (c->store || !v || !*v)
        return 0;
    char sub[256];
    if (sd_set_store(c, v, sub, sizeof sub)) {
        snprintf(err, errsz, "%s: expected a store URL (memory:, sqlite:PATH, redis://..., postgresql://...)",
                 SD_STORE_ENV_NAME);
        return -1;
    }
    c->store_src = SD_STORE_ENV;
    return 0;
}

void sd_config_store_mask_argv(sd_config *c, char *arg)
{
    size_t off, len;
    if (!sc_url_password_span(arg, &off, &len))
        return;
    memset(arg + off, '*', len);
    c->store_src = SD_STORE_ARGV_SECRET;
}

void sd_config_store_warn(const sd_config *c, const sc_logger *logger)
{
    if (c->store_src == SD_STORE_ARGV_SECRET)
        sc_log(logger, SC_LOG_WARN, "store",
               "--store given on the command line with a password: other local users can read it in "
               "/proc/PID/cmdline (and ps) until sessiond has masked it, and it stays in shell history; use "
               "--store-file FILE or the %s environment variable",
               SD_STORE_ENV_NAME);
    size_t off, len;
    if (c->store_src == SD_STORE_FILE && (c->store_file_mode & 066) && sc_url_password_span(c->store, &off, &len))
        sc_log(logger, SC_LOG_WARN, "store", "--store-file %s: group or others may read it (mode %04o); chmod 600 it",
               c->store_file, c->store_file_mode);
}

void sd_config_store_free(sd_config *c)
{
    free(c->store_file);
    c->store_file = NULL;
    free(c->node_id);
    c->node_id = NULL;
}
