/* fuzz_http_body: the HTTP API's request bodies as sessiond parses them (tools/sessiond/bodies.c):
 * the input is loaded as a JSON object the way every POST route loads its body, then given to
 * the parser of each endpoint: POST /calls (direct and through a trunk), /sessions/{id}/reject,
 * /dtmf, /bridge, /transfer, /conference/mute, /events/{name}, and /debug/health; what a parser accepts is
 * checked against what the route relies on (abort otherwise). The same bytes then go through
 * the request's other outside text: the /sessions/{id}/transfer/cancel and
 * /sessions/{id}/conference/mute paths and the Host, Origin, Authorization and Content-Type
 * checks of http_guard.c. The table bodies of /table/reload and /table/validate are the
 * state-table loader's input: fuzz_table. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sessiond/bodies.h"
#include "sessiond/http_guard.h"
#include "sessiond/transfer_routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool sip(const char *s) { return s && !strncmp(s, "sip:", 4); }

static void calls(json_t *b)
{
    sd_call_body c;
    const char *err = NULL;
    if (sd_call_body_parse(b, &c, &err) != 0) {
        if (!err)
            abort();
        return;
    }
    if (!c.to || (c.from && !sip(c.from)))
        abort();
    if (c.trunk) {
        if (!*c.trunk || !*c.to || c.proxy || c.ntargets)
            abort();
        return;
    }
    if (!sip(c.to) || c.ntargets > SC_COORD_MAX_TARGETS || (c.proxy && !sip(c.proxy + (c.proxy[0] == '<'))))
        abort();
    for (size_t i = 0; i < c.ntargets; i++)
        if (!sip(c.targets[i]))
            abort();
}

static void commands(json_t *b)
{
    const char *err = NULL, *s = NULL;
    int code = 0;
    if (sd_reject_body_parse(b, &code, &err) == 0 && (code < 400 || code > 699))
        abort();
    if (sd_dtmf_body_parse(b, &s, &err) == 0 && (!*s || strspn(s, "0123456789*#ABCDabcd") != strlen(s)))
        abort();
    if (sd_bridge_body_parse(b, &s, &err) == 0 && !*s)
        abort();
    sd_event_body e;
    if (sd_event_body_parse(b, &e, &err) == 0) {
        if (e.nvars > SD_EVENT_VARS_MAX)
            abort();
        for (size_t i = 0; i < e.nvars; i++)
            if (!sc_var_name_valid(e.vars[2 * i]) || !e.vars[2 * i + 1] || strlen(e.vars[2 * i + 1]) > SC_VAR_VALUE_MAX)
                abort();
    } else if (!err) {
        abort();
    }
    sd_transfer_body t;
    if (sd_transfer_body_parse(b, &t, &err) == 0) {
        if ((!t.attended && !t.target) || (t.attended && t.target && t.consult) || (t.target && !sip(t.target)))
            abort();
    }
}

static void headers(const char *text)
{
    static sd_http_guard g;
    static bool init;
    if (!init) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(8080)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const char *names[] = {"sessiond.test", "[::1]"};
        if (sd_guard_init(&g, (const struct sockaddr *)&a, "127.0.0.1", 8080, names, 2, "s3cret-token") != 0)
            abort();
        init = true;
    }
    sd_guard_host_ok(&g, text);
    sd_guard_origin_ok(&g, text);
    if (sd_guard_token_ok(&g, text) && !strstr(text, "s3cret-token"))
        abort(); /* a token check passed without the token */
    sd_guard_content_type(text, false);
    sd_guard_content_type(text, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *b = NULL;
    char err[256];
    if (sd_body_object((const char *)data, size, &b, err, sizeof err) == 0) {
        calls(b);
        commands(b);
        bool mute;
        const char *merr = NULL;
        if (sd_conference_mute_body_parse(b, &mute, &merr) != 0 && !merr)
            abort();
        json_decref(b);
    }
    json_t *any = json_loadb((const char *)data, size, 0, NULL); /* /debug/health takes anything */
    sd_health_body hb;
    const char *herr = NULL;
    if (sd_health_body_parse(any, &hb, &herr) != 0 && !herr)
        abort();
    json_decref(any);

    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char id[64];
    if (sd_transfer_cancel_path(text, id, sizeof id) && (strchr(id, '/') || !*id))
        abort();
    if (sd_conference_mute_path(text, id, sizeof id) && (strchr(id, '/') || !*id))
        abort();
    headers(text);
    free(text);
    return 0;
}
