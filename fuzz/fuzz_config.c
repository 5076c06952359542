/* fuzz_config: sessiond's YAML files as it reads them at start. The input is written to a
 * temporary file (mode 600) and read as the config file (--config FILE: every option key, the
 * maps and lists of config_media.c, the trunks: section of config_trunks.c), then checked across
 * options and handed to the coordinator's trunk config as at start; and read as the
 * registrar's users file (--users FILE, users.c) and as the digest credentials file
 * (--credentials FILE, credentials.c; each entry kept in a SIP credential list as the
 * coordinator would). A refusal must come with its one-line error;
 * the rest (no crash, no leak) is the sanitizers'. The HTTP address is set to off before the
 * check, which would otherwise resolve a host name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sessiond/config.h"
#include "sessiond/config_trunks.h"
#include "sessiond/credentials.h"
#include "sessiond/users.h"
#include "sip/sip_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void config_file(char *path)
{
    char err[512] = "";
    char a0[] = "sessiond", a1[] = "--config";
    char *argv[] = {a0, a1, path, NULL};
    sd_config c;
    sd_config_init(&c);
    if (sd_config_parse(&c, 3, argv, err, sizeof err) != 0) {
        if (!err[0])
            abort(); /* refused without saying why */
    } else if (sd_config_set_str(&c.http, "off") == 0) {
        err[0] = '\0';
        if (sd_config_check(&c, err, sizeof err) != 0 && !err[0])
            abort();
        sc_coord_config cc;
        memset(&cc, 0, sizeof cc);
        sc_coord_trunk_config *tr = calloc(c.ntrunks ? c.ntrunks : 1, sizeof *tr);
        if (tr)
            sd_config_trunks_apply(&c, &cc, tr, NULL);
        free(tr);
    }
    sd_config_free(&c);
}

static void users_file(const char *path)
{
    char err[512] = "";
    sd_users u;
    if (sd_users_load(&u, path, NULL, err, sizeof err) != 0) {
        if (!err[0] || u.list || u.n)
            abort();
        return;
    }
    if (u.n == 0)
        abort();
    for (size_t i = 0; i < u.n; i++)
        if (!u.list[i].user || (!u.list[i].password && !u.list[i].ha1 && !u.list[i].ha1_sha256))
            abort();
    sd_users_free(&u);
}

static int keep_credentials(void *ud, const char *realm, const char *user, const char *password)
{
    if (!user || !*user || !password)
        abort(); /* the reader lets an entry through without user and password */
    return sip_cred_add(ud, realm, user, password);
}

static void credentials_file(const char *path)
{
    char err[512] = "";
    struct sip_cred *list = NULL;
    if (sd_credentials_read(path, keep_credentials, &list, NULL, err, sizeof err) != 0 && !err[0])
        abort();
    sip_cred_free(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/fuzz_config.XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path); /* mode 600: no "readable by others" warnings */
    if (fd < 0)
        return 0;
    size_t off = 0;
    while (off < size) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(fd);
    if (off == size) {
        config_file(path);
        users_file(path);
        credentials_file(path);
    }
    unlink(path);
    return 0;
}
