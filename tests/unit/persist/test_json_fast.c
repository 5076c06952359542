/* The fast parser of the recorder's JSON (src/persist/json_fast.c) gives exactly what
 * json_loads(text, JSON_DECODE_ANY) gives on the subset it takes, and gives up (NULL) on
 * everything else, so that sc_persist__json_loads always answers as json_loads does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "persist/persist_int.h"

/* Parsed by the fast path, equal to json_loads's value (and through _loads too). */
static void same(const char *text)
{
    json_t *want = json_loads(text, JSON_DECODE_ANY, NULL);
    json_t *got = sc_persist__json_parse(text);
    if (!want || !got || !json_equal(want, got))
        fail_msg("fast parse differs on: %s", text);
    json_t *via = sc_persist__json_loads(text);
    assert_true(json_equal(want, via));
    json_decref(want);
    json_decref(got);
    json_decref(via);
}

/* The fast path gives up; _loads answers as json_loads (a value or NULL). */
static void gives_up(const char *text)
{
    json_t *got = sc_persist__json_parse(text);
    if (got)
        fail_msg("fast parse took: %s", text);
    json_t *want = json_loads(text, JSON_DECODE_ANY, NULL);
    json_t *via = sc_persist__json_loads(text);
    assert_true((!want && !via) || (want && via && json_equal(want, via)));
    json_decref(want);
    json_decref(via);
}

static void test_subset_equal(void **state)
{
    (void)state;
    same("{}");
    same("[]");
    same(" { \"a\" : 1 , \"b\" : [ true , false , null ] } \n");
    same("0");
    same("-0");
    same("9223372036854775807");
    same("-9223372036854775808");
    same("\"\"");
    same("\"plain text\"");
    same("\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t end\"");
    same("{\"k\\n\": \"v\", \"k\\n\": \"last wins\"}");
    same("{\"a\":{\"b\":{\"c\":[1,[2,[3,{}]]]}}}");
    /* a snapshot as the recorder writes it */
    same("{\"v\":1,\"id\":\"c0\",\"role\":\"uas\",\"state\":\"Active\",\"table_hash\":\"aae61578b4b77fd4\","
         "\"conditions\":{\"DialogEstablished\":true,\"SdpNegotiated\":true,\"MediaReady\":false},"
         "\"established_fired\":true,\"outcome\":null,\"fields\":{\"call_id\":\"c0\","
         "\"remote_uri\":\"sip:alice@127.0.0.1:5070\"},\"created_us\":1796633230599074,\"last_seq\":4,"
         "\"history\":[{\"seq\":1,\"time\":\"2026-12-07T08:47:10.599092Z\",\"mono_us\":38995842743,"
         "\"from\":\"Idle\",\"event\":\"IncomingCall\",\"event_code\":-486,\"event_text\":null,"
         "\"guards\":[{\"name\":\"HasReplaces\",\"negate\":false,\"passed\":false}],"
         "\"actions\":[{\"name\":\"SendResponse\",\"result\":0,\"duration_us\":1}],\"to\":\"Ringing\"}],"
         "\"node\":\"bench\"}");
    /* a long key with escapes (copied aside while the value reuses the buffer) */
    char big[1200];
    strcpy(big, "{\"");
    for (int i = 0; i < 200; i++)
        strcat(big, "k\\t");
    strcat(big, "\":\"v\\nw\"}");
    same(big);
}

static void test_gives_up(void **state)
{
    (void)state;
    gives_up("");
    gives_up("   ");
    gives_up("1.5");
    gives_up("1e3");
    gives_up("[1, 2.0]");
    gives_up("\"\\u00e9\"");
    gives_up("\"caf\xc3\xa9\"");      /* UTF-8: json_loads checks it */
    gives_up("\"bad \xff byte\"");    /* and rejects this */
    gives_up("9223372036854775808");  /* too big */
    gives_up("-9223372036854775809"); /* too small */
    gives_up("01");
    gives_up("-");
    gives_up("{\"a\":1,}");
    gives_up("[1,]");
    gives_up("{\"a\" 1}");
    gives_up("{a:1}");
    gives_up("tru");
    gives_up("truex");
    gives_up("[nul]");
    gives_up("{} x");
    gives_up("\"unterminated");
    gives_up("\"tab\there\"");
    gives_up("[1 2]");
    char deep[2000];
    memset(deep, '[', 1000);
    memset(deep + 1000, ']', 999);
    deep[1999] = '\0'; /* one bracket short, and deeper than the fast path goes */
    gives_up(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subset_equal),
        cmocka_unit_test(test_gives_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
