/* test_webhooks: the webhooks feature's parts alone: the answer parser (what a guard's and an
 * action's answer may say, and every refusal), the JSON body sent for a session, the HMAC
 * signature (RFC 4231 vector), and the HTTP client on a libuv loop against a small HTTP server
 * of the test's own on loopback (answers, a long answer, a timeout, a refused connection,
 * cancellation, headers and body as sent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord/curl_uv.h"
#include "coord/webhooks.h"

/* ---- the answer parser ------------------------------------------------------------------- */

static int parse(const char *body, bool guard, sc_coord_hook_answer *a, char *why)
{
    return sc_coord__hook_answer_parse(body, strlen(body), guard, a, why, SC_HOOK_WHY_MAX);
}

static void refused(const char *body, bool guard, const char *needle)
{
    sc_coord_hook_answer a;
    char why[SC_HOOK_WHY_MAX];
    assert_int_equal(parse(body, guard, &a, why), -EBADMSG);
    if (!strstr(why, needle))
        fprintf(stderr, "'%s': why '%s', expected '%s'\n", body, why, needle);
    assert_non_null(strstr(why, needle));
    assert_null(a.root);
}

static void test_guard_answers(void **state)
{
    (void)state;
    sc_coord_hook_answer a;
    char why[SC_HOOK_WHY_MAX];
    assert_int_equal(parse("{\"result\": true}", true, &a, why), 0);
    assert_int_equal(a.result, 1);
    sc_coord__hook_answer_free(&a);
    assert_int_equal(parse(" {\"result\": false, \"extra\": [1]}\n", true, &a, why), 0);
    assert_int_equal(a.result, 0);
    sc_coord__hook_answer_free(&a);
    refused("{\"result\": \"yes\"}", true, "needs \"result\"");
    refused("{}", true, "needs \"result\"");
    refused("", true, "empty");
    refused("  \r\n", true, "empty");
    refused("[true]", true, "not a JSON object");
    refused("{\"result\": true", true, "not JSON");
    refused("{\"result\": true, \"result\": false}", true, "not JSON");
}

static void test_action_answers(void **state)
{
    (void)state;
    sc_coord_hook_answer a;
    char why[SC_HOOK_WHY_MAX];
    assert_int_equal(parse("", false, &a, why), 0); /* a 2xx without a body: done */
    assert_null(a.root);
    assert_int_equal(a.nset, 0);
    assert_null(a.event);
    assert_int_equal(parse("{\"set\": {\"ticket\": \"T-1\", \"n\": 42, \"x.y-z\": 1.5, \"ok\": true, \"gone\": null},"
                           " \"event\": \"AgentReady\", \"result\": 3}",
                           false, &a, why),
                     0);
    assert_int_equal(a.nset, 5);
    assert_string_equal(a.set[0].name, "ticket");
    assert_string_equal(a.set[0].value, "T-1");
    assert_string_equal(a.set[1].value, "42");
    assert_string_equal(a.set[2].name, "x.y-z");
    assert_string_equal(a.set[2].value, "1.5");
    assert_string_equal(a.set[3].value, "true");
    assert_null(a.set[4].value);
    assert_string_equal(a.event, "AgentReady");
    sc_coord__hook_answer_free(&a);
    assert_int_equal(parse("{\"event\": null, \"set\": null}", false, &a, why), 0);
    assert_null(a.event);
    sc_coord__hook_answer_free(&a);

    refused("{\"set\": [1]}", false, "'set' must be an object");
    refused("{\"set\": {\"bad name\": \"v\"}}", false, "invalid variable name");
    refused("{\"set\": {\"\": \"v\"}}", false, "invalid variable name");
    refused("{\"set\": {\"a\": {\"b\": 1}}}", false, "must be a string, number");
    refused("{\"set\": {\"a\": \"x\\u0000y\"}}", false, "not JSON"); /* jansson refuses NUL itself */
    refused("{\"event\": \"Not An Event\"}", false, "'event' must be an event name");
    refused("{\"event\": 7}", false, "'event' must be an event name");
    refused("\"just text\"", false, "not JSON");
    char big[2 * SC_VAR_VALUE_MAX];
    snprintf(big, sizeof big, "{\"set\": {\"a\": \"%0*d\"}}", SC_VAR_VALUE_MAX + 1, 0);
    refused(big, false, "longer than");
    char many[4096];
    size_t used = (size_t)snprintf(many, sizeof many, "{\"set\": {");
    for (int i = 0; i <= SC_VARS_MAX; i++)
        used += (size_t)snprintf(many + used, sizeof many - used, "%s\"v%d\": \"x\"", i ? ", " : "", i);
    snprintf(many + used, sizeof many - used, "}}");
    refused(many, false, "more than");
}

/* ---- what is sent ------------------------------------------------------------------------- */

static const char *TABLE = "name: t\n"
                           "vocabulary: {actions: {Notify: {webhook: \"http://127.0.0.1:9/n\"}}}\n"
                           "states: {Idle: {}, Active: {}, Done: {terminal: true}}\n"
                           "transitions:\n"
                           "  - {role: any, from: Idle, event: IncomingCall, actions: [Notify], to: Active}\n"
                           "  - {role: any, from: \"*\", event: HangupCall, to: Done}\n"
                           "  - {role: any, from: \"*\", event: DialogBYE, to: Done}\n"
                           "  - {role: any, from: \"*\", event: DialogError, to: Done}\n";

static int never_run(const sc_exec *x) { return -ENOSYS; }

static void test_payload(void **state)
{
    (void)state;
    sc_vocab *v = NULL;
    sc_table *t = NULL;
    sc_store *st = NULL;
    sc_engine *e = NULL;
    sc_session *s = NULL;
    assert_int_equal(sc_vocab_new(&v), 0);
    assert_int_equal(sc_table_load_buffer(&t, "t.yaml", TABLE, strlen(TABLE), v, NULL), 0);
    assert_int_equal(sc_store_new(&st, NULL), 0);
    assert_int_equal(sc_engine_new(&e, sc_table_vocab(t), st, NULL), 0);
    assert_int_equal(sc_engine_bind_action(e, "Notify", never_run, NULL), 0);
    assert_int_equal(sc_engine_set_table(e, t, NULL), 0);
    assert_int_equal(sc_engine_create_session(e, SC_ROLE_UAS, "s-1", &s), 0);
    assert_int_equal(sc_session_set_field(s, SC_FIELD_CALL_ID, "abc@h"), 0);
    assert_int_equal(sc_session_set_field(s, SC_FIELD_SRTP, "secret keys"), 0);
    assert_int_equal(sc_session_var_set(s, "tier", "gold"), 0);
    size_t n;
    const sc_transition *const *rows = sc_table_lookup(t, SC_ROLE_UAS, sc_table_initial_state(t), SC_EV_IncomingCall,
                                                       &n);
    assert_int_equal(n, 1);
    sc_event ev = {.type = SC_EV_IncomingCall, .code = 7, .text = "hi"};
    sc_exec x = {.engine = e, .session = s, .event = &ev, .transition = rows[0], .call = &rows[0]->actions[0]};
    size_t len = 0;
    char *body = sc_coord__hook_payload(&x, "Notify", false, &len);
    assert_non_null(body);
    assert_int_equal(len, strlen(body));
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "session")), "s-1");
    assert_string_equal(json_string_value(json_object_get(j, "hook")), "Notify");
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "action");
    assert_string_equal(json_string_value(json_object_get(j, "role")), "uas");
    assert_string_equal(json_string_value(json_object_get(j, "state")), "Idle");
    assert_string_equal(json_string_value(json_object_get(j, "event")), "IncomingCall");
    assert_int_equal(json_integer_value(json_object_get(j, "event_code")), 7);
    assert_string_equal(json_string_value(json_object_get(j, "event_text")), "hi");
    json_t *tr = json_object_get(j, "transition");
    assert_string_equal(json_string_value(json_object_get(tr, "from")), "Idle");
    assert_string_equal(json_string_value(json_object_get(tr, "to")), "Active");
    assert_int_equal(json_integer_value(json_object_get(tr, "line")), 5);
    json_t *f = json_object_get(j, "fields");
    assert_string_equal(json_string_value(json_object_get(f, "call_id")), "abc@h");
    assert_null(json_object_get(f, "srtp"));
    assert_null(json_object_get(f, "vars"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "variables"), "tier")), "gold");
    json_decref(j);
    free(body);
    sc_engine_remove_session(e, s, "test");
    sc_engine_free(e);
    sc_store_free(st);
    sc_table_unref(t);
    sc_vocab_free(v);
}

static void test_signature(void **state)
{
    (void)state;
    char out[128];
    const char *data = "what do ya want for nothing?"; /* RFC 4231, test case 2 */
    assert_int_equal(sc_coord__hook_signature("Jefe", 4, data, strlen(data), out, sizeof out), 0);
    assert_string_equal(out, "X-Signature: sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    assert_int_equal(sc_coord__hook_signature("Jefe", 4, data, strlen(data), out, 50), -EIO);
}

/* ---- the HTTP client against a server of our own ------------------------------------------ */

typedef struct server {
    uv_tcp_t tcp;
    int port;
    char last[4096]; /* the last request as received */
    size_t nlast;
} server;

typedef struct conn {
    uv_tcp_t tcp;
    server *srv;
    char buf[8192];
    size_t n;
    bool answered;
} conn;

typedef struct result {
    int calls, status, err;
    char body[256];
    size_t len;
} result;

static void conn_closed(uv_handle_t *h) { free(h->data); }

static void wrote(uv_write_t *w, int status)
{
    uv_close((uv_handle_t *)w->handle, conn_closed);
    free(w->data);
    free(w);
}

static void answer(conn *c, const char *status, const char *body, size_t blen)
{
    char *out = malloc(blen + 256);
    int n = snprintf(out, 256, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status, blen);
    memcpy(out + n, body, blen);
    uv_write_t *w = malloc(sizeof *w);
    w->data = out;
    uv_buf_t b = uv_buf_init(out, (unsigned)(n + (int)blen));
    uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, wrote);
    c->answered = true;
}

static void alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    conn *c = h->data;
    *buf = uv_buf_init(c->buf + c->n, (unsigned)(sizeof c->buf - c->n - 1));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = s->data;
    if (nread < 0) {
        if (!uv_is_closing((uv_handle_t *)s))
            uv_close((uv_handle_t *)s, conn_closed);
        return;
    }
    c->n += (size_t)nread;
    c->buf[c->n] = '\0';
    char *end = strstr(c->buf, "\r\n\r\n");
    const char *cl = strstr(c->buf, "Content-Length: ");
    if (!end || c->answered || (cl && (size_t)(end + 4 - c->buf) + (size_t)atoi(cl + 16) > c->n))
        return;
    memcpy(c->srv->last, c->buf, c->n + 1);
    c->srv->nlast = c->n;
    if (strstr(c->buf, "POST /ok ")) {
        answer(c, "200 OK", "{\"result\": true}", 16);
    } else if (strstr(c->buf, "POST /err ")) {
        answer(c, "503 Busy", "", 0);
    } else if (strstr(c->buf, "POST /big ")) {
        size_t n = SC_HTTP_BODY_MAX + 10;
        char *big = malloc(n);
        memset(big, 'x', n);
        answer(c, "200 OK", big, n);
        free(big);
    } /* /never: no answer */
}

static void on_conn(uv_stream_t *l, int status)
{
    conn *c = calloc(1, sizeof *c);
    c->srv = l->data;
    uv_tcp_init(l->loop, &c->tcp);
    c->tcp.data = c;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&c->tcp), 0);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
}

static void server_start(uv_loop_t *loop, server *s)
{
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_init(loop, &s->tcp), 0);
    s->tcp.data = s;
    assert_int_equal(uv_tcp_bind(&s->tcp, (struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&s->tcp, 16, on_conn), 0);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&ss, &len);
    s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void done(void *ud, int status, int err, const char *why, const char *body, size_t len, uint64_t us)
{
    result *r = ud;
    r->calls++;
    r->status = status;
    r->err = err;
    r->len = len;
    snprintf(r->body, sizeof r->body, "%s", body);
}

static void run_until(uv_loop_t *loop, const result *r, int calls)
{
    for (int i = 0; i < 2000 && r->calls < calls; i++)
        uv_run(loop, UV_RUN_ONCE);
}

static void post(sc_http *h, const server *s, const char *path, uint32_t timeout_ms, result *r, sc_http_req **req)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
    const char *hdrs[] = {"X-Test: 1", "Content-Type: application/json", NULL};
    assert_int_equal(sc_http_post(h, url, hdrs, "{\"a\":1}", 7, timeout_ms, done, r, req), 0);
}

static void test_http_client(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    server s = {0};
    server_start(&loop, &s);
    sc_http *h = NULL;
    assert_int_equal(sc_http_new(&h, &loop), 0);

    result ok = {0}, err = {0}, big = {0}, slow = {0}, cancelled = {0}, refused = {0};
    post(h, &s, "/ok", 2000, &ok, NULL);
    post(h, &s, "/err", 2000, &err, NULL);
    assert_int_equal(sc_http_pending(h), 2);
    run_until(&loop, &ok, 1);
    run_until(&loop, &err, 1);
    assert_int_equal(ok.calls, 1);
    assert_int_equal(ok.status, 200);
    assert_int_equal(ok.err, 0);
    assert_string_equal(ok.body, "{\"result\": true}");
    assert_int_equal(err.status, 503);
    assert_int_equal(err.err, 0);
    assert_non_null(strstr(s.last, "POST /"));
    assert_non_null(strstr(s.last, "X-Test: 1\r\n"));
    assert_non_null(strstr(s.last, "\r\n\r\n{\"a\":1}"));

    post(h, &s, "/big", 2000, &big, NULL);
    run_until(&loop, &big, 1);
    assert_int_equal(big.status, 0);
    assert_int_equal(big.err, -EMSGSIZE);

    sc_http_req *req = NULL;
    post(h, &s, "/never", 150, &slow, NULL);
    post(h, &s, "/never", 150, &cancelled, &req);
    sc_http_cancel(req);
    run_until(&loop, &slow, 1);
    assert_int_equal(slow.err, -ETIMEDOUT);
    assert_int_equal(cancelled.calls, 0);

    /* a port nothing listens on: our server's, closed */
    server gone = {0};
    server_start(&loop, &gone);
    uv_close((uv_handle_t *)&gone.tcp, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    post(h, &gone, "/ok", 2000, &refused, NULL);
    run_until(&loop, &refused, 1);
    assert_int_equal(refused.err, -ECONNREFUSED);
    assert_int_equal(sc_http_pending(h), 0);

    post(h, &s, "/never", 5000, &slow, NULL); /* freed with the client, no callback */
    uv_run(&loop, UV_RUN_NOWAIT);
    sc_http_free(h);
    uv_close((uv_handle_t *)&s.tcp, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(slow.calls, 1);
    assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guard_answers), cmocka_unit_test(test_action_answers), cmocka_unit_test(test_payload),
        cmocka_unit_test(test_signature),     cmocka_unit_test(test_http_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
