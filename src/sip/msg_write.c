/* msg_write.c: writes an osip_message_t as SIP text straight into the caller's buffer, byte for
 * byte what libosip2 5.x's osip_message_to_str makes of it (start line; Via, Record-Route,
 * Route, From, To, Call-ID, CSeq, Contact, the auth headers, Call-Info, Content-Type,
 * Mime-Version, the other lists osip parses, the other headers in their order; a recomputed
 * Content-Length right-aligned in five columns; the body), without osip's malloc'd string per
 * header and per URI. The headers sessiond rarely sends (auth, Allow, Accept...) are written by
 * osip's own per-header functions. What it does not reproduce is refused (-ENOTSUP) for the
 * caller to hand to osip: several or multipart bodies, a body with its own headers, and every
 * field osip would refuse (its error is then osip's). */
#include "sip/msg_write.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

/* The characters osip leaves unescaped besides letters and digits (osip_uri.c), as tables. */
#define MARK ['-'] = 1, ['_'] = 1, ['.'] = 1, ['!'] = 1, ['~'] = 1, ['*'] = 1, ['\''] = 1, ['('] = 1, [')'] = 1
static const unsigned char KEEP_USER[256] = {
    MARK, ['&'] = 1, ['='] = 1, ['+'] = 1, ['$'] = 1, [','] = 1, [';'] = 1, ['?'] = 1, ['/'] = 1};
static const unsigned char KEEP_PASSWORD[256] = {MARK, ['&'] = 1, ['='] = 1, ['+'] = 1, ['$'] = 1, [','] = 1};
static const unsigned char KEEP_URI_PARAM[256] = {
    MARK, ['['] = 1, [']'] = 1, ['/'] = 1, [':'] = 1, ['&'] = 1, ['+'] = 1, ['$'] = 1};
static const unsigned char KEEP_URI_HEADER[256] = {
    MARK, ['['] = 1, [']'] = 1, ['/'] = 1, ['?'] = 1, [':'] = 1, ['+'] = 1, ['$'] = 1};

/* osip writes the body's length over five spaces, right-aligned: a longer one is beyond it. */
#define MAX_BODY 99999u

typedef struct writer {
    char *p;   /* next byte */
    char *end; /* one past the buffer */
    int err;   /* 0, -ENOSPC or -ENOTSUP: the first one sticks */
} writer;

static void fail(writer *w, int err)
{
    if (!w->err)
        w->err = err;
}

static void put(writer *w, const char *s, size_t n)
{
    if (w->err)
        return;
    if ((size_t)(w->end - w->p) < n) {
        fail(w, -ENOSPC);
        return;
    }
    memcpy(w->p, s, n);
    w->p += n;
}

static void put_str(writer *w, const char *s) { put(w, s, strlen(s)); }

static void put_char(writer *w, char c)
{
    if (w->err)
        return;
    if (w->p == w->end) {
        fail(w, -ENOSPC);
        return;
    }
    *w->p++ = c;
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* s with every byte that is neither alphanumeric nor kept written as %XX (upper case); the
 * runs between them copied whole. */
static void put_escaped(writer *w, const char *s, const unsigned char keep[256])
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *c = (const unsigned char *)s;
    while (*c) {
        const unsigned char *run = c;
        while (*c && (is_alnum(*c) || keep[*c]))
            c++;
        put(w, (const char *)run, (size_t)(c - run));
        if (*c) {
            char e[3] = {'%', hex[*c >> 4], hex[*c & 15]};
            put(w, e, 3);
            c++;
        }
    }
}

/* A host, in brackets when it holds a ':' (IPv6). */
static void put_host(writer *w, const char *host)
{
    if (strchr(host, ':')) {
        put_char(w, '[');
        put_str(w, host);
        put_char(w, ']');
    } else
        put_str(w, host);
}

static void put_uri_params(writer *w, const osip_list_t *params)
{
    osip_list_iterator_t it;
    for (osip_uri_param_t *p = osip_list_get_first((osip_list_t *)params, &it); p; p = osip_list_get_next(&it)) {
        if (!p->gname) {
            fail(w, -ENOTSUP);
            return;
        }
        if ((p->gname[0] | 0x20) == 'x' && (!strcasecmp(p->gname, "x-obr") || !strcasecmp(p->gname, "x-obp")))
            continue; /* eXosip's own, never written by osip */
        put_char(w, ';');
        put_escaped(w, p->gname, KEEP_URI_PARAM);
        if (p->gvalue) {
            put_char(w, '=');
            put_escaped(w, p->gvalue, KEEP_URI_PARAM);
        }
    }
}

static void put_uri_headers(writer *w, const osip_list_t *headers)
{
    osip_list_iterator_t it;
    bool first = true;
    for (osip_uri_header_t *h = osip_list_get_first((osip_list_t *)headers, &it); h; h = osip_list_get_next(&it)) {
        if (!h->gname || !h->gvalue) {
            fail(w, -ENOTSUP);
            return;
        }
        put_char(w, first ? '?' : '&');
        first = false;
        put_escaped(w, h->gname, KEEP_URI_HEADER);
        put_char(w, '=');
        put_escaped(w, h->gvalue, KEEP_URI_HEADER);
    }
}

static void put_uri(writer *w, const osip_uri_t *u)
{
    if (!u || (!u->host && !u->string) || (!u->scheme && u->string)) {
        fail(w, -ENOTSUP);
        return;
    }
    put_str(w, u->scheme ? u->scheme : "sip");
    put_char(w, ':');
    if (u->string) { /* a URI of another scheme, kept as text */
        put_str(w, u->string);
        return;
    }
    if (u->username) {
        put_escaped(w, u->username, KEEP_USER);
        if (u->password) {
            put_char(w, ':');
            put_escaped(w, u->password, KEEP_PASSWORD);
        }
        put_char(w, '@');
    }
    put_host(w, u->host);
    if (u->port) {
        put_char(w, ':');
        put_str(w, u->port);
    }
    put_uri_params(w, &u->url_params);
    put_uri_headers(w, &u->url_headers);
}

/* ;name or ;name=value for each generic parameter, unescaped. */
static void put_gen_params(writer *w, const osip_list_t *params)
{
    osip_list_iterator_t it;
    for (osip_generic_param_t *p = osip_list_get_first((osip_list_t *)params, &it); p; p = osip_list_get_next(&it)) {
        if (!p->gname) {
            fail(w, -ENOTSUP);
            return;
        }
        put_char(w, ';');
        put_str(w, p->gname);
        if (p->gvalue) {
            put_char(w, '=');
            put_str(w, p->gvalue);
        }
    }
}

/* From, To, Route, Record-Route and Contact: "display <uri>" or "<uri>", then the parameters. */
static void put_name_addr(writer *w, const osip_from_t *a)
{
    if (!a->url) {
        fail(w, -ENOTSUP);
        return;
    }
    if (a->displayname) {
        put_str(w, a->displayname);
        put_char(w, ' ');
    }
    put_char(w, '<');
    put_uri(w, a->url);
    put_char(w, '>');
    put_gen_params(w, &a->gen_params);
}

static void put_via(writer *w, const osip_via_t *v)
{
    if (!v->host || !v->version || !v->protocol) {
        fail(w, -ENOTSUP);
        return;
    }
    put(w, "SIP/", 4);
    put_str(w, v->version);
    put_char(w, '/');
    put_str(w, v->protocol);
    put_char(w, ' ');
    put_host(w, v->host);
    if (v->port) {
        put_char(w, ':');
        put_str(w, v->port);
    }
    put_gen_params(w, &v->via_params);
    if (v->comment) {
        put(w, " (", 2);
        put_str(w, v->comment);
        put_char(w, ')');
    }
}

static void put_contact(writer *w, const osip_contact_t *c)
{
    if (c->displayname && c->displayname[0] == '*')
        put_char(w, '*');
    else
        put_name_addr(w, c);
}

static void put_call_id(writer *w, const osip_call_id_t *c)
{
    if (!c->number) {
        fail(w, -ENOTSUP);
        return;
    }
    put_str(w, c->number);
    if (c->host) {
        put_char(w, '@');
        put_str(w, c->host);
    }
}

static void put_cseq(writer *w, const osip_cseq_t *c)
{
    if (!c->number || !c->method) {
        fail(w, -ENOTSUP);
        return;
    }
    put_str(w, c->number);
    put_char(w, ' ');
    put_str(w, c->method);
}

/* type/subtype; name=value...: osip refuses a parameter without a value. */
static void put_content_type(writer *w, const osip_content_type_t *c)
{
    if (!c->type || !c->subtype) {
        fail(w, -ENOTSUP);
        return;
    }
    put_str(w, c->type);
    put_char(w, '/');
    put_str(w, c->subtype);
    osip_list_iterator_t it;
    for (osip_generic_param_t *p = osip_list_get_first((osip_list_t *)&c->gen_params, &it); p;
         p = osip_list_get_next(&it)) {
        if (!p->gname || !p->gvalue) {
            fail(w, -ENOTSUP);
            return;
        }
        put(w, "; ", 2);
        put_str(w, p->gname);
        put_char(w, '=');
        put_str(w, p->gvalue);
    }
}

typedef void (*put_fn)(writer *w, const void *hdr);

/* "Name: value\r\n" for one header, when present. */
static void put_one(writer *w, const char *name, const void *hdr, put_fn fn)
{
    if (!hdr)
        return;
    put_str(w, name);
    fn(w, hdr);
    put(w, "\r\n", 2);
}

static void put_each(writer *w, const char *name, const osip_list_t *list, put_fn fn)
{
    osip_list_iterator_t it;
    for (void *h = osip_list_get_first((osip_list_t *)list, &it); h; h = osip_list_get_next(&it))
        put_one(w, name, h, fn);
}

static void put_via_v(writer *w, const void *h) { put_via(w, h); }
static void put_name_addr_v(writer *w, const void *h) { put_name_addr(w, h); }
static void put_contact_v(writer *w, const void *h) { put_contact(w, h); }
static void put_call_id_v(writer *w, const void *h) { put_call_id(w, h); }
static void put_cseq_v(writer *w, const void *h) { put_cseq(w, h); }
static void put_content_type_v(writer *w, const void *h) { put_content_type(w, h); }

/* The headers rarely sent are written by osip's own functions, one malloc'd string each. */
typedef int (*osip_str_fn)(const void *hdr, char **dest);

static int authorization_str(const void *h, char **d) { return osip_authorization_to_str(h, d); }
static int www_authenticate_str(const void *h, char **d) { return osip_www_authenticate_to_str(h, d); }
static int call_info_str(const void *h, char **d) { return osip_call_info_to_str(h, d); }
static int content_length_str(const void *h, char **d) { return osip_content_length_to_str(h, d); }
static int accept_str(const void *h, char **d) { return osip_accept_to_str(h, d); }
static int accept_encoding_str(const void *h, char **d) { return osip_accept_encoding_to_str(h, d); }
static int authentication_info_str(const void *h, char **d) { return osip_authentication_info_to_str(h, d); }

static void put_by_osip(writer *w, const char *name, const void *hdr, osip_str_fn fn)
{
    char *s = NULL;
    if (w->err)
        return;
    if (fn(hdr, &s) != 0 || !s) {
        fail(w, -ENOTSUP);
        return;
    }
    put_str(w, name);
    put_str(w, s);
    put(w, "\r\n", 2);
    osip_free(s);
}

static void put_each_by_osip(writer *w, const char *name, const osip_list_t *list, osip_str_fn fn)
{
    osip_list_iterator_t it;
    for (void *h = osip_list_get_first((osip_list_t *)list, &it); h; h = osip_list_get_next(&it))
        put_by_osip(w, name, h, fn);
}

static void put_start_line(writer *w, const osip_message_t *m)
{
    const char *version = m->sip_version ? m->sip_version : "SIP/2.0";
    if (m->sip_method) {
        if (!m->req_uri) {
            fail(w, -ENOTSUP);
            return;
        }
        put_str(w, m->sip_method);
        put_char(w, ' ');
        put_uri(w, m->req_uri);
        put_char(w, ' ');
        put_str(w, version);
    } else if (m->status_code >= 100 && m->status_code <= 699 && m->reason_phrase) {
        char code[4];
        snprintf(code, sizeof code, "%d", m->status_code);
        put_str(w, version);
        put_char(w, ' ');
        put(w, code, 3);
        put_char(w, ' ');
        put_str(w, m->reason_phrase);
    } else
        fail(w, -ENOTSUP);
    put(w, "\r\n", 2);
}

/* The headers osip keeps in their own fields, in the order it writes them. */
static void put_known_headers(writer *w, const osip_message_t *m)
{
    put_each(w, "Via: ", &m->vias, put_via_v);
    put_each(w, "Record-Route: ", &m->record_routes, put_name_addr_v);
    put_each(w, "Route: ", &m->routes, put_name_addr_v);
    put_one(w, "From: ", m->from, put_name_addr_v);
    put_one(w, "To: ", m->to, put_name_addr_v);
    put_one(w, "Call-ID: ", m->call_id, put_call_id_v);
    put_one(w, "CSeq: ", m->cseq, put_cseq_v);
    put_each(w, "Contact: ", &m->contacts, put_contact_v);
    put_each_by_osip(w, "Authorization: ", &m->authorizations, authorization_str);
    put_each_by_osip(w, "WWW-Authenticate: ", &m->www_authenticates, www_authenticate_str);
    put_each_by_osip(w, "Proxy-Authenticate: ", &m->proxy_authenticates, www_authenticate_str);
    put_each_by_osip(w, "Proxy-Authorization: ", &m->proxy_authorizations, authorization_str);
    put_each_by_osip(w, "Call-Info: ", &m->call_infos, call_info_str);
    put_one(w, "Content-Type: ", m->content_type, put_content_type_v);
    if (m->mime_version)
        put_by_osip(w, "Mime-Version: ", m->mime_version, content_length_str);
    put_each_by_osip(w, "Allow: ", &m->allows, content_length_str);
    put_each_by_osip(w, "Content-Encoding: ", &m->content_encodings, content_length_str);
    put_each_by_osip(w, "Alert-Info: ", &m->alert_infos, call_info_str);
    put_each_by_osip(w, "Error-Info: ", &m->error_infos, call_info_str);
    put_each_by_osip(w, "Accept: ", &m->accepts, accept_str);
    put_each_by_osip(w, "Accept-Encoding: ", &m->accept_encodings, accept_encoding_str);
    put_each_by_osip(w, "Accept-Language: ", &m->accept_languages, accept_encoding_str);
    put_each_by_osip(w, "Authentication-Info: ", &m->authentication_infos, authentication_info_str);
    put_each_by_osip(w, "Proxy-Authentication-Info: ", &m->proxy_authentication_infos, authentication_info_str);
}

/* The other headers, as parsed or set: the name's first letter upper-cased. */
static void put_other_headers(writer *w, const osip_message_t *m)
{
    osip_list_iterator_t it;
    for (osip_header_t *h = osip_list_get_first((osip_list_t *)&m->headers, &it); h; h = osip_list_get_next(&it)) {
        if (!h->hname) {
            fail(w, -ENOTSUP);
            return;
        }
        const char *name = h->hname;
        if (*name >= 'a' && *name <= 'z')
            put_char(w, (char)(*name++ - 'a' + 'A'));
        put_str(w, name);
        put(w, ": ", 2);
        if (h->hvalue)
            put_str(w, h->hvalue);
        put(w, "\r\n", 2);
    }
}

/* The one body osip would write as it is, or NULL (none), or -ENOTSUP set. */
static const osip_body_t *plain_body(writer *w, const osip_message_t *m)
{
    int n = osip_list_size(&m->bodies);
    if (n <= 0)
        return NULL;
    const osip_body_t *b = osip_list_get(&m->bodies, 0);
    const osip_content_type_t *ct = m->content_type;
    bool multipart = m->mime_version && ct && ct->type && !strcasecmp(ct->type, "multipart");
    if (n > 1 || multipart || !b || !b->body || b->length == 0 || b->length > MAX_BODY || b->content_type ||
        !b->headers || osip_list_size(b->headers) > 0) {
        fail(w, -ENOTSUP);
        return NULL;
    }
    return b;
}

static void put_length_and_body(writer *w, const osip_message_t *m)
{
    const osip_body_t *b = plain_body(w, m);
    if (!b) {
        put_str(w, "Content-Length: 0\r\n\r\n");
        return;
    }
    char num[16];
    snprintf(num, sizeof num, "%5u", (unsigned)b->length);
    put_str(w, "Content-Length: ");
    put_str(w, num);
    put(w, "\r\n\r\n", 4);
    put(w, b->body, b->length);
}

int sip_msg_write(const osip_message_t *msg, char *buf, size_t cap, size_t *len)
{
    if (!msg || !buf)
        return -ENOTSUP;
    writer w = {.p = buf, .end = buf + cap, .err = 0};
    put_start_line(&w, msg);
    put_known_headers(&w, msg);
    put_other_headers(&w, msg);
    put_length_and_body(&w, msg);
    if (w.err)
        return w.err;
    *len = (size_t)(w.p - buf);
    return 0;
}
