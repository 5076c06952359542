/* expose: renders a registry as Prometheus text 0.0.4 or OpenMetrics 1.0.0 text. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session_core/base.h"
#include "obs/obs_int.h"

/* |v| < 2^53 and whole: its decimal digits without printf (most samples are counts). */
static void fmt_whole(char *out, size_t cap, double v)
{
    char tmp[24];
    size_t n = 0;
    bool neg = v < 0;
    uint64_t u = (uint64_t)(neg ? -v : v);
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = n + neg;
    if (len >= cap) { /* cannot happen with the callers' buffers: fall back */
        snprintf(out, cap, "%.0f", v);
        return;
    }
    char *p = out;
    if (neg)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    *p = '\0';
}

void sc_obs__fmt_double(char *out, size_t cap, double v)
{
    if (isnan(v)) {
        snprintf(out, cap, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 9007199254740992.0) {
        fmt_whole(out, cap, v == 0 ? 0.0 : v);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, cap, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

/* OpenMetrics wants bucket bounds as floats: "1.0", not "1". */
static void fmt_le(char *out, size_t cap, double v, sc_obs_format f)
{
    sc_obs__fmt_double(out, cap, v);
    if (f == SC_OBS_OPENMETRICS && !strpbrk(out, ".eEIN") && strlen(out) + 3 < cap)
        strcat(out, ".0");
}

static void put_escaped(sc_buf *b, const char *s, bool quote)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '\\': sc_buf_puts(b, "\\\\"); break;
        case '\n': sc_buf_puts(b, "\\n"); break;
        case '"':
            if (quote)
                sc_buf_puts(b, "\\\"");
            else
                sc_buf_put(b, p, 1);
            break;
        default: sc_buf_put(b, p, 1);
        }
    }
}

/* {a="x",b="y"[,le="..."]} or nothing when there are no labels at all. */
static void put_labels(sc_buf *b, const sc_obs_metric *m, const sc_obs_child *c, const char *le)
{
    if (m->nlabels == 0 && !le)
        return;
    sc_buf_puts(b, "{");
    for (uint32_t i = 0; i < m->nlabels; i++) {
        if (i)
            sc_buf_puts(b, ",");
        sc_buf_puts(b, m->labels[i]);
        sc_buf_puts(b, "=\"");
        put_escaped(b, c->values[i], true);
        sc_buf_puts(b, "\"");
    }
    if (le) {
        if (m->nlabels)
            sc_buf_puts(b, ",");
        sc_buf_puts(b, "le=\"");
        sc_buf_puts(b, le);
        sc_buf_puts(b, "\"");
    }
    sc_buf_puts(b, "}");
}

static void put_sample(sc_buf *b, const char *name, const char *suffix, const sc_obs_metric *m, const sc_obs_child *c,
                       const char *le, double v)
{
    char num[64];
    sc_obs__fmt_double(num, sizeof num, v);
    sc_buf_puts(b, name);
    sc_buf_puts(b, suffix);
    put_labels(b, m, c, le);
    sc_buf_puts(b, " ");
    sc_buf_puts(b, num);
    sc_buf_puts(b, "\n");
}

static void render_histogram(sc_buf *b, const sc_obs_metric *m, const sc_obs_child *c, sc_obs_format f)
{
    const sc_obs_histogram *h = &c->u.hist;
    uint64_t cum = 0;
    char le[64];
    for (uint32_t i = 0; i < h->nbounds; i++) {
        cum += h->counts[i];
        fmt_le(le, sizeof le, h->bounds[i], f);
        put_sample(b, m->name, "_bucket", m, c, le, (double)cum);
    }
    cum += h->counts[h->nbounds];
    put_sample(b, m->name, "_bucket", m, c, "+Inf", (double)cum);
    put_sample(b, m->name, "_sum", m, c, NULL, h->sum);
    put_sample(b, m->name, "_count", m, c, NULL, (double)h->count);
}

static const char *type_name(sc_obs_type t, sc_obs_format f)
{
    switch (t) {
    case SC_OBS_COUNTER: return "counter";
    case SC_OBS_GAUGE: return "gauge";
    case SC_OBS_HISTOGRAM: return "histogram";
    case SC_OBS_INFO: return f == SC_OBS_OPENMETRICS ? "info" : "gauge";
    }
    return "untyped";
}

static void render_metric(sc_buf *b, const sc_obs_metric *m, sc_obs_format f)
{
    /* OpenMetrics names the family without the _total / _info suffix of its samples. */
    char family[256];
    snprintf(family, sizeof family, "%s", m->name);
    const char *sample_suffix = "";
    if (f == SC_OBS_OPENMETRICS && (m->type == SC_OBS_COUNTER || m->type == SC_OBS_INFO)) {
        size_t cut = m->type == SC_OBS_COUNTER ? 6 : 5;
        family[strlen(family) - cut] = '\0';
        sample_suffix = m->type == SC_OBS_COUNTER ? "_total" : "_info";
    }
    if (f == SC_OBS_OPENMETRICS) {
        sc_buf_printf(b, "# TYPE %s %s\n", family, type_name(m->type, f));
        sc_buf_printf(b, "# HELP %s ", family);
        put_escaped(b, m->help, true);
    } else {
        sc_buf_printf(b, "# HELP %s ", family);
        put_escaped(b, m->help, false);
        sc_buf_printf(b, "\n# TYPE %s %s", family, type_name(m->type, f));
    }
    sc_buf_puts(b, "\n");
    for (uint32_t i = 0; i < m->nchildren; i++) {
        const sc_obs_child *c = m->children[i];
        if (m->type == SC_OBS_HISTOGRAM)
            render_histogram(b, m, c, f);
        else
            put_sample(b, family, sample_suffix, m, c, NULL, sc_obs__child_value(m, c));
    }
}

int sc_obs_render(sc_obs_registry *r, sc_obs_format f, char **out, size_t *len)
{
    if (!r || !out)
        return -EINVAL;
    sc_obs_registry_collect(r);
    sc_buf b = {0};
    sc_buf_puts(&b, "");
    for (uint32_t i = 0; i < r->nmetrics; i++)
        render_metric(&b, r->metrics[i], f);
    if (f == SC_OBS_OPENMETRICS)
        sc_buf_puts(&b, "# EOF\n");
    if (b.err) {
        int err = b.err;
        sc_buf_free(&b);
        return err;
    }
    *out = b.p;
    if (len)
        *len = b.len;
    return 0;
}

const char *sc_obs_content_type(sc_obs_format f)
{
    return f == SC_OBS_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                   : "text/plain; version=0.0.4; charset=utf-8";
}

sc_obs_format sc_obs_format_from_accept(const char *accept)
{
    if (!accept)
        return SC_OBS_PROMETHEUS;
    /* Take OpenMetrics when it is listed without q=0 (a simple scan is enough for Prometheus,
     * which sends "application/openmetrics-text;version=1.0.0,...;q=0.5,text/plain;..."). */
    const char *p = accept;
    while ((p = strcasestr(p, "application/openmetrics-text")) != NULL) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char part[256];
        snprintf(part, sizeof part, "%.*s", (int)(n < sizeof part ? n : sizeof part - 1), p);
        const char *q = strstr(part, "q=");
        if (!q || strtod(q + 2, NULL) > 0)
            return SC_OBS_OPENMETRICS;
        p += 28;
    }
    return SC_OBS_PROMETHEUS;
}
