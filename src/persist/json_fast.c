/* json_fast: a parser for the JSON text the recorder writes (snapshots, event records), read
 * back by recovery and the history readers, several times cheaper than jansson's json_loads
 * (whose lexer costs ~200 instructions per byte). It builds the same jansson values for a
 * plain subset: objects, arrays, ASCII strings with the short escapes, integers, true, false,
 * null. On anything else (a \u escape, a byte >= 0x80, a real, a malformed or very deep
 * document) it gives up and the caller parses with json_loads, which then decides: the
 * result never differs from json_loads(text, JSON_DECODE_ANY). */
#include "persist/persist_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256

bool sc_persist__json_fast_off;

typedef struct jp {
    const char *p;
    char *buf; /* unescaped string bytes */
    size_t cap;
} jp;

static void skip_ws(jp *j)
{
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')
        j->p++;
}

/* A string at j->p (past its opening quote); *out and *len: its bytes (in the text when it has
 * no escape, else in j->buf). false: give up. */
static bool scan_string(jp *j, const char **out, size_t *len)
{
    const char *s = j->p, *q = s;
    while (*q != '"') {
        unsigned char c = (unsigned char)*q;
        if (c < 0x20 || c >= 0x80)
            return false; /* control byte or end of text; non-ASCII: json_loads checks UTF-8 */
        if (c == '\\')
            break;
        q++;
    }
    if (*q == '"') {
        *out = s;
        *len = (size_t)(q - s);
        j->p = q + 1;
        return true;
    }
    size_t n = 0;
    for (q = s;; q++) {
        unsigned char c = (unsigned char)*q;
        if (c == '"')
            break;
        if (c < 0x20 || c >= 0x80)
            return false;
        if (n + 1 > j->cap) {
            size_t ncap = j->cap ? j->cap * 2 : 256;
            char *nb = realloc(j->buf, ncap);
            if (!nb)
                return false;
            j->buf = nb;
            j->cap = ncap;
        }
        if (c != '\\') {
            j->buf[n++] = (char)c;
            continue;
        }
        switch (*++q) {
        case '"': j->buf[n++] = '"'; break;
        case '\\': j->buf[n++] = '\\'; break;
        case '/': j->buf[n++] = '/'; break;
        case 'b': j->buf[n++] = '\b'; break;
        case 'f': j->buf[n++] = '\f'; break;
        case 'n': j->buf[n++] = '\n'; break;
        case 'r': j->buf[n++] = '\r'; break;
        case 't': j->buf[n++] = '\t'; break;
        default: return false; /* \u and anything else */
        }
    }
    *out = j->buf;
    *len = n;
    j->p = q + 1;
    return true;
}

/* An integer as JSON writes it: -?(0|[1-9][0-9]*), within int64; a real gives up. */
static json_t *parse_number(jp *j)
{
    const char *q = j->p;
    bool neg = *q == '-';
    if (neg)
        q++;
    if (*q < '0' || *q > '9' || (*q == '0' && q[1] >= '0' && q[1] <= '9'))
        return NULL;
    uint64_t v = 0;
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; *q >= '0' && *q <= '9'; q++) {
        unsigned d = (unsigned)(*q - '0');
        if (v > (limit - d) / 10u)
            return NULL; /* json_loads reports it */
        v = v * 10u + d;
    }
    if (*q == '.' || *q == 'e' || *q == 'E')
        return NULL;
    j->p = q;
    json_int_t i = neg ? (v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(json_int_t)v) : (json_int_t)v;
    return json_integer(i);
}

static json_t *parse_value(jp *j, int depth);

static json_t *parse_object(jp *j, int depth)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    skip_ws(j);
    if (*j->p == '}') {
        j->p++;
        return o;
    }
    for (;;) {
        skip_ws(j);
        const char *k;
        size_t klen;
        if (*j->p != '"')
            goto fail;
        j->p++;
        if (!scan_string(j, &k, &klen))
            goto fail;
        /* the key may sit in j->buf, which the value's strings reuse: keep a copy then */
        char kbuf[128];
        char *kcopy = NULL;
        if (k == j->buf) {
            if (klen < sizeof kbuf) {
                memcpy(kbuf, k, klen);
                k = kbuf;
            } else {
                if (!(kcopy = malloc(klen)))
                    goto fail;
                memcpy(kcopy, k, klen);
                k = kcopy;
            }
        }
        skip_ws(j);
        if (*j->p != ':') {
            free(kcopy);
            goto fail;
        }
        j->p++;
        json_t *v = parse_value(j, depth + 1);
        int r = v ? json_object_setn_new_nocheck(o, k, klen, v) : -1;
        free(kcopy);
        if (r)
            goto fail;
        skip_ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == '}') {
            j->p++;
            return o;
        }
        goto fail;
    }
fail:
    json_decref(o);
    return NULL;
}

static json_t *parse_array(jp *j, int depth)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    skip_ws(j);
    if (*j->p == ']') {
        j->p++;
        return a;
    }
    for (;;) {
        json_t *v = parse_value(j, depth + 1);
        if (!v || json_array_append_new(a, v))
            goto fail;
        skip_ws(j);
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == ']') {
            j->p++;
            return a;
        }
        goto fail;
    }
fail:
    json_decref(a);
    return NULL;
}

static json_t *parse_value(jp *j, int depth)
{
    if (depth > MAX_DEPTH)
        return NULL;
    skip_ws(j);
    switch (*j->p) {
    case '{': j->p++; return parse_object(j, depth);
    case '[': j->p++; return parse_array(j, depth);
    case '"': {
        j->p++;
        const char *s;
        size_t len;
        return scan_string(j, &s, &len) ? json_stringn_nocheck(s, len) : NULL;
    }
    case 't':
        if (strncmp(j->p, "true", 4))
            return NULL;
        j->p += 4;
        return json_true();
    case 'f':
        if (strncmp(j->p, "false", 5))
            return NULL;
        j->p += 5;
        return json_false();
    case 'n':
        if (strncmp(j->p, "null", 4))
            return NULL;
        j->p += 4;
        return json_null();
    default: return parse_number(j);
    }
}

json_t *sc_persist__json_parse(const char *text)
{
    if (!text)
        return NULL;
    jp j = {.p = text};
    json_t *v = parse_value(&j, 0);
    free(j.buf);
    if (!v)
        return NULL;
    skip_ws(&j);
    if (*j.p) { /* trailing bytes: json_loads rejects them */
        json_decref(v);
        return NULL;
    }
    return v;
}

json_t *sc_persist__json_loads(const char *text)
{
    json_t *v = sc_persist__json_fast_off ? NULL : sc_persist__json_parse(text);
    return v ? v : json_loads(text, JSON_DECODE_ANY, NULL);
}
