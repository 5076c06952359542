/* statsd: pushes the registry's metrics to a StatsD server over UDP (counters as deltas). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "obs/obs_int.h"

#define STATSD_PACKET_MAX 1400

struct sc_obs_statsd {
    sc_obs_registry *reg;           /* borrowed */
    int fd;                         /* connected UDP socket */
    uint32_t interval_ms;           /* for the daemon's timer */
    char packet[STATSD_PACKET_MAX]; /* lines being batched */
    size_t len;                     /* bytes in packet */
    int first_err;                  /* first send error of this flush */
};

int sc_obs_statsd_new(sc_obs_statsd **out, sc_obs_registry *r, const char *hostport, uint32_t interval_ms)
{
    if (!out || !r || !hostport)
        return -EINVAL;
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || colon == hostport || !colon[1] || (size_t)(colon - hostport) >= sizeof host)
        return -EINVAL;
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    /* [v6]:port */
    char *h = host;
    if (h[0] == '[' && h[strlen(h) - 1] == ']') {
        h[strlen(h) - 1] = '\0';
        h++;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(h, colon + 1, &hints, &ai) != 0 || !ai)
        return -EINVAL;
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        int err = -errno;
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return err;
    }
    freeaddrinfo(ai);
    sc_obs_statsd *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        return -ENOMEM;
    }
    s->reg = r;
    s->fd = fd;
    s->interval_ms = interval_ms;
    *out = s;
    return 0;
}

void sc_obs_statsd_free(sc_obs_statsd *s)
{
    if (!s)
        return;
    close(s->fd);
    free(s);
}

uint32_t sc_obs_statsd_interval_ms(const sc_obs_statsd *s) { return s->interval_ms; }

static void send_packet(sc_obs_statsd *s)
{
    if (s->len == 0)
        return;
    if (send(s->fd, s->packet, s->len, 0) < 0 && s->first_err == 0)
        s->first_err = -errno;
    s->len = 0;
}

static void add_line(sc_obs_statsd *s, const char *line, size_t n)
{
    if (s->len + n + 1 > sizeof s->packet)
        send_packet(s);
    if (n + 1 > sizeof s->packet)
        return;
    if (s->len)
        s->packet[s->len++] = '\n';
    memcpy(s->packet + s->len, line, n);
    s->len += n;
}

/* name.value1.value2 with anything outside [A-Za-z0-9_-] in values turned into '_'. */
static size_t series_name(char *out, size_t cap, const sc_obs_metric *m, const sc_obs_child *c, const char *suffix)
{
    int n = snprintf(out, cap, "%s%s", m->name, suffix);
    size_t len = n > 0 && (size_t)n < cap ? (size_t)n : 0;
    for (uint32_t i = 0; i < m->nlabels && len + 2 < cap; i++) {
        out[len++] = '.';
        for (const char *p = c->values[i]; *p && len + 1 < cap; p++) {
            char ch = *p;
            bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                      ch == '-';
            out[len++] = ok ? ch : '_';
        }
    }
    out[len] = '\0';
    return len;
}

static int emit(sc_obs_statsd *s, const sc_obs_metric *m, const sc_obs_child *c, const char *suffix, double v,
                const char *kind)
{
    char name[256], num[64], line[400];
    series_name(name, sizeof name, m, c, suffix);
    sc_obs__fmt_double(num, sizeof num, v);
    int n = snprintf(line, sizeof line, "%s:%s|%s", name, num, kind);
    if (n <= 0 || (size_t)n >= sizeof line)
        return 0;
    add_line(s, line, (size_t)n);
    return 1;
}

int sc_obs_statsd_flush(sc_obs_statsd *s)
{
    sc_obs_registry_collect(s->reg);
    s->first_err = 0;
    s->len = 0;
    int lines = 0;
    for (uint32_t i = 0; i < s->reg->nmetrics; i++) {
        sc_obs_metric *m = s->reg->metrics[i];
        for (uint32_t j = 0; j < m->nchildren; j++) {
            sc_obs_child *c = m->children[j];
            switch (m->type) {
            case SC_OBS_COUNTER: {
                double now = sc_obs_counter_get(&c->u.counter);
                double delta = now - c->u.counter.pushed;
                c->u.counter.pushed = now;
                if (delta > 0)
                    lines += emit(s, m, c, "", delta, "c");
                break;
            }
            case SC_OBS_GAUGE:
            case SC_OBS_INFO: lines += emit(s, m, c, "", c->u.gauge.value, "g"); break;
            case SC_OBS_HISTOGRAM: {
                uint64_t delta = c->u.hist.count - c->u.hist.pushed_count;
                c->u.hist.pushed_count = c->u.hist.count;
                lines += emit(s, m, c, "_sum", c->u.hist.sum, "g");
                if (delta > 0)
                    lines += emit(s, m, c, "_count", (double)delta, "c");
                break;
            }
            }
        }
    }
    send_packet(s);
    return s->first_err ? s->first_err : lines;
}
