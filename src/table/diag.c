/* diag: the list of file:line:column diagnostics a load produces, and their formatting. */
#include "table/table_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct sc_diags {
    sc_diag *v; /* malloc'd; file and message strings malloc'd each */
    size_t n, cap;
    size_t errors;
};

int sc_diags_new(sc_diags **out)
{
    sc_diags *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    *out = d;
    return 0;
}

void sc_diags_free(sc_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free((char *)d->v[i].file);
        free((char *)d->v[i].message);
    }
    free(d->v);
    free(d);
}

size_t sc_diags_count(const sc_diags *d) { return d ? d->n : 0; }

size_t sc_diags_errors(const sc_diags *d) { return d ? d->errors : 0; }

const sc_diag *sc_diags_get(const sc_diags *d, size_t i) { return d && i < d->n ? &d->v[i] : NULL; }

size_t sc_diag_format(const sc_diag *diag, char *buf, size_t size)
{
    if (!diag) {
        if (size)
            buf[0] = '\0';
        return 0;
    }
    int n = snprintf(buf, size, "%s:%u:%u: %s: %s", diag->file ? diag->file : "<table>", diag->line, diag->column,
                     diag->severity == SC_SEV_ERROR ? "error" : "warning", diag->message ? diag->message : "");
    return n < 0 ? 0 : (size_t)n;
}

static int diags_addv(sc_diags *d, sc_severity sev, const char *file, uint32_t line, uint32_t column, const char *fmt,
                      va_list ap)
{
    if (!d)
        return -EINVAL;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        sc_diag *nv = realloc(d->v, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        d->v = nv;
        d->cap = cap;
    }
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        return -ENOMEM;
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    char *f = strdup(file ? file : "<table>");
    if (!f) {
        free(msg);
        return -ENOMEM;
    }
    d->v[d->n++] = (sc_diag){.file = f, .line = line, .column = column, .severity = sev, .message = msg};
    if (sev == SC_SEV_ERROR)
        d->errors++;
    return 0;
}

int sc_diags_add(sc_diags *d, sc_severity sev, const char *file, uint32_t line, uint32_t column, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = diags_addv(d, sev, file, line, column, fmt, ap);
    va_end(ap);
    return rc;
}

static void ctx_addv(sc_table__ctx *ctx, sc_severity sev, uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
    if (sev == SC_SEV_ERROR)
        ctx->errors++;
    else
        ctx->warnings++;
    if (ctx->diags && diags_addv(ctx->diags, sev, ctx->file, line, col, fmt, ap) == -ENOMEM)
        ctx->nomem = true;
}

void sc_table__error(sc_table__ctx *ctx, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ctx_addv(ctx, SC_SEV_ERROR, line, col, fmt, ap);
    va_end(ap);
}

void sc_table__warn(sc_table__ctx *ctx, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ctx_addv(ctx, SC_SEV_WARNING, line, col, fmt, ap);
    va_end(ap);
}
