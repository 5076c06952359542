/* test_event_text: the direct JSON writer (sc_bus_event_format_json) against the jansson
 * reference writer: random events of every type, bounds, times, escapes and bad UTF-8. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "events/events_int.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rnd(void) /* xorshift64* */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

static uint64_t rnd_below(uint64_t n) { return n ? rnd() % n : 0; }

/* Encode one code point as UTF-8 into p; returns its length. */
static size_t utf8_put(unsigned char *p, uint32_t cp)
{
    if (cp < 0x80) {
        p[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (unsigned char)(0xC0 | cp >> 6);
        p[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (unsigned char)(0xE0 | cp >> 12);
        p[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        p[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (unsigned char)(0xF0 | cp >> 18);
    p[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    p[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    p[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A random valid UTF-8 string of at most cap - 1 bytes: often empty or plain, otherwise a mix
 * of control characters, quotes, backslashes, DEL, and 2-, 3- and 4-byte characters. */
static void rnd_str(char *dst, size_t cap)
{
    size_t n = 0, len;
    switch (rnd_below(5)) {
    case 0: len = 0; break;
    case 1: len = cap - 1; break; /* as long as the field allows */
    default: len = rnd_below(cap);
    }
    bool plain = rnd_below(3) == 0;
    while (n < len) {
        uint32_t cp;
        uint64_t k = plain ? 0 : rnd_below(8);
        if (k <= 2)
            cp = 0x20 + (uint32_t)rnd_below(0x5F); /* printable ASCII */
        else if (k == 3)
            cp = 1 + (uint32_t)rnd_below(0x1F); /* control characters (no NUL) */
        else if (k == 4)
            cp = "\"\\/\x7f"[rnd_below(4)];
        else if (k == 5)
            cp = 0x80 + (uint32_t)rnd_below(0x800 - 0x80);
        else if (k == 6) {
            cp = 0x800 + (uint32_t)rnd_below(0x10000 - 0x800);
            if (cp >= 0xD800 && cp <= 0xDFFF) /* no surrogates */
                cp = 0xFFFD;
            if (cp >= 0xF780 && cp <= 0xF7FF) /* ours: escaped byte by byte (sc_text_escape), */
                cp = 0xF77F;                  /* where the reference keeps them */
        } else
            cp = 0x10000 + (uint32_t)rnd_below(0x110000 - 0x10000);
        unsigned char b[4];
        size_t bn = utf8_put(b, cp);
        if (n + bn > len)
            break;
        memcpy(dst + n, b, bn);
        n += bn;
    }
    dst[n] = '\0';
}

#define RND_STR(field) rnd_str((field), sizeof(field))

static int64_t rnd_i64(void)
{
    switch (rnd_below(4)) {
    case 0: return (int64_t)rnd_below(1000);
    case 1: return -(int64_t)rnd_below(100000);
    case 2: return (int64_t)rnd();
    default: return rnd_below(2) ? INT64_MIN : INT64_MAX;
    }
}

#define YEAR_10000_US INT64_C(253402300800000000)

static void rnd_event(sc_bus_event *ev, sc_bus_event_type type)
{
    static const int roles[] = {SC_EVENT_ROLE_NONE, SC_EVENT_ROLE_UAC, SC_EVENT_ROLE_UAS, 7};
    static const int prios[] = {SC_PRIO_LOW, SC_PRIO_NORMAL, SC_PRIO_CRITICAL, SC_BUS_PRIO_DEFAULT, 9};
    sc_bus_event_init(ev, type, NULL, roles[rnd_below(4)], NULL);
    ev->priority = prios[rnd_below(5)];
    ev->seq = rnd_below(3) ? rnd_below(1u << 20) : rnd();
    switch (rnd_below(4)) {
    case 0: ev->wall_us = 1600000000000000 + (int64_t)rnd_below(UINT64_C(400000000000000)); break;
    case 1: ev->wall_us = (int64_t)rnd_below((uint64_t)YEAR_10000_US); break;
    case 2: ev->wall_us = -(int64_t)rnd_below(UINT64_C(60000000000000000)); break; /* back to ~0069 */
    default: ev->wall_us = (int64_t)rnd_below(1000000) + (rnd_below(2) ? 0 : YEAR_10000_US - 1000000);
    }
    RND_STR(ev->session_id);
    RND_STR(ev->uri);
    RND_STR(ev->state);
    switch (type) {
    case SC_EVT_StateChanged:
        RND_STR(ev->u.state_changed.from);
        RND_STR(ev->u.state_changed.event);
        RND_STR(ev->u.state_changed.to);
        break;
    case SC_EVT_TransitionFailed:
        RND_STR(ev->u.transition_failed.kind);
        RND_STR(ev->u.transition_failed.event);
        break;
    case SC_EVT_MediaStarted:
    case SC_EVT_MediaStopped:
        RND_STR(ev->u.media.codec);
        RND_STR(ev->u.media.remote);
        RND_STR(ev->u.media.reason);
        break;
    case SC_EVT_DtmfReceived:
        ev->u.dtmf.digit = rnd_below(8) ? "0123456789*#ABCD"[rnd_below(16)] : (char)rnd_below(0x80);
        ev->u.dtmf.duration_ms = (int)rnd_i64();
        break;
    case SC_EVT_TransferProgress:
        RND_STR(ev->u.transfer.status);
        ev->u.transfer.sip_code = (int)rnd_i64();
        ev->u.transfer.percent = (int)rnd_below(101);
        break;
    case SC_EVT_BridgeCreated:
    case SC_EVT_BridgeEnded: RND_STR(ev->u.bridge.peer_id); break;
    case SC_EVT_SessionEnded:
        RND_STR(ev->u.ended.outcome);
        ev->u.ended.sip_cause = (int)rnd_i64();
        ev->u.ended.duration_us = rnd_below(3) ? (int64_t)rnd_below(UINT64_C(100000000000)) : rnd_i64();
        break;
    case SC_EVT_SessionReaped: RND_STR(ev->u.reaped.reason); break;
    case SC_EVT_TableReloaded:
        RND_STR(ev->u.table.version);
        ev->u.table.ok = rnd_below(2);
        RND_STR(ev->u.table.error);
        break;
    case SC_EVT_StoreHealthChanged:
        ev->u.store.ok = rnd_below(2);
        RND_STR(ev->u.store.reason);
        break;
    case SC_EVT_SubscriberReaped:
        RND_STR(ev->u.subscriber.name);
        RND_STR(ev->u.subscriber.reason);
        ev->u.subscriber.dropped = rnd_below(2) ? rnd_below(5000) : rnd();
        break;
    case SC_EVT_Gap:
        ev->u.gap.from_seq = rnd();
        ev->u.gap.to_seq = rnd_below(1000);
        break;
    case SC_EVT_StreamReset:
        ev->u.reset.epoch = rnd();
        RND_STR(ev->u.reset.reason);
        break;
    case SC_EVT_App:
        RND_STR(ev->u.app.name);
        RND_STR(ev->u.app.detail);
        break;
    default: break;
    }
}

/* The direct text parses, equals the reference's object, and is the same bytes except for
 * duration_seconds (the shortest exact decimal rather than %.17g: the same double). */
static void check_against_reference(const sc_bus_event *ev)
{
    char buf[SC_BUS_EVENT_JSON_MAX];
    int n = sc_bus_event_format_json(ev, buf, sizeof buf);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    assert_int_equal(strlen(buf), (size_t)n);
    char *ref = sc_events__to_json_jansson(ev);
    assert_non_null(ref);
    json_error_t err;
    json_t *mine = json_loads(buf, JSON_REJECT_DUPLICATES, &err);
    json_t *theirs = json_loads(ref, 0, NULL);
    if (!mine)
        fail_msg("direct text does not parse (%s): %s", err.text, buf);
    assert_non_null(theirs);
    if (!json_equal(mine, theirs))
        fail_msg("differs from the reference:\n mine %s\n ref  %s", buf, ref);
    if (ev->type != SC_EVT_SessionEnded && strcmp(buf, ref) != 0)
        fail_msg("not the same bytes:\n mine %s\n ref  %s", buf, ref);
    char *dup = sc_bus_event_to_json(ev);
    assert_non_null(dup);
    assert_string_equal(dup, buf);
    free(dup);
    json_decref(mine);
    json_decref(theirs);
    free(ref);
}

static void test_random_events_match_reference(void **state)
{
    (void)state;
    for (int i = 0; i < 10000; i++) {
        sc_bus_event ev;
        rnd_event(&ev, (sc_bus_event_type)(i % (SC_EVT__COUNT + 1))); /* + one unknown type */
        check_against_reference(&ev);
    }
}

/* The "time" text of wall_us as gmtime and strftime make it. */
static void reference_time(int64_t us, char *out, size_t cap)
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    assert_non_null(gmtime_r(&secs, &tm));
    size_t n = strftime(out, cap, "\"time\":\"%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, cap - n, ".%06dZ\"", (int)(us % 1000000));
}

/* Every day of 1970-2106 (leap years, 2000 and 2100), then every 97th day up to 9999, at a
 * varying time of day: the hand-made date equals gmtime's; and edges against the reference. */
static void test_time_matches_gmtime(void **state)
{
    (void)state;
    sc_bus_event ev;
    sc_bus_event_init(&ev, SC_EVT_SessionCreated, NULL, SC_EVENT_ROLE_NONE, NULL);
    const int64_t last_day = YEAR_10000_US / 86400000000 - 1;
    for (int64_t day = 0; day <= last_day; day += day < 50000 ? 1 : 97) {
        ev.wall_us = (day * 86400 + (day * 7919) % 86400) * 1000000 + day % 1000000;
        char buf[SC_BUS_EVENT_JSON_MAX], want[64];
        sc_bus_event_format_json(&ev, buf, sizeof buf);
        reference_time(ev.wall_us, want, sizeof want);
        if (!strstr(buf, want))
            fail_msg("day %lld: want %s in %s", (long long)day, want, buf);
    }
    ev.wall_us = last_day * 86400000000 + 86399999999; /* 9999-12-31T23:59:59.999999 */
    check_against_reference(&ev);
    static const int64_t edges[] = {0,
                                    1,
                                    999999,
                                    1000000,
                                    951782400000000 /* 2000-02-29 */,
                                    4107542399999999 /* 2100-02-28T23:59:59.999999 */,
                                    YEAR_10000_US - 1,
                                    YEAR_10000_US,
                                    -1,
                                    -1000000};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        ev.wall_us = edges[i];
        check_against_reference(&ev);
    }
    char buf[SC_BUS_EVENT_JSON_MAX];
    ev.wall_us = 4107542399999999;
    sc_bus_event_format_json(&ev, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"time\":\"2100-02-28T23:59:59.999999Z\""));
    ev.wall_us = 951782400000000 + 86399 * INT64_C(1000000);
    sc_bus_event_format_json(&ev, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"time\":\"2000-02-29T23:59:59.000000Z\""));
}

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        int64_t us;
        const char *text;
    } cases[] = {
        {12500000, "12.5"}, {3000000, "3.0"},          {0, "0.0"},
        {1, "0.000001"},    {100000, "0.1"},           {-500000, "-0.5"},
        {-1, "-0.000001"},  {123456789, "123.456789"}, {(INT64_C(1) << 53) - 1, "9007199254.740991"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sc_bus_event ev;
        sc_bus_event_init(&ev, SC_EVT_SessionEnded, "s", SC_EVENT_ROLE_UAS, "Terminated");
        ev.u.ended.duration_us = cases[i].us;
        char buf[SC_BUS_EVENT_JSON_MAX], want[64];
        sc_bus_event_format_json(&ev, buf, sizeof buf);
        snprintf(want, sizeof want, "\"duration_seconds\":%s}", cases[i].text);
        if (!strstr(buf, want))
            fail_msg("%lld us: %s", (long long)cases[i].us, buf);
        check_against_reference(&ev);
    }
    static const int64_t big[] = {INT64_C(1) << 53, -(INT64_C(1) << 53), INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
        sc_bus_event ev;
        sc_bus_event_init(&ev, SC_EVT_SessionEnded, "s", SC_EVENT_ROLE_UAS, "Terminated");
        ev.u.ended.duration_us = big[i];
        char buf[SC_BUS_EVENT_JSON_MAX];
        sc_bus_event_format_json(&ev, buf, sizeof buf);
        char *ref = sc_events__to_json_jansson(&ev);
        assert_string_equal(buf, ref); /* beyond 2^53: the reference's %.17g, byte for byte */
        free(ref);
    }
}

static void test_escapes(void **state)
{
    (void)state;
    sc_bus_event ev;
    sc_bus_event_init(&ev, SC_EVT_App, "a\"b\\c/d", SC_EVENT_ROLE_NONE, NULL);
    sc_bus_event_strcpy(ev.u.app.name, sizeof ev.u.app.name, "\b\f\n\r\t\x01\x1f\x7f");
    sc_bus_event_strcpy(ev.u.app.detail, sizeof ev.u.app.detail, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    char buf[SC_BUS_EVENT_JSON_MAX];
    sc_bus_event_format_json(&ev, buf, sizeof buf);
    assert_non_null(strstr(buf, "\"session\":\"a\\\"b\\\\c/d\""));
    assert_non_null(strstr(buf, "\"name\":\"\\b\\f\\n\\r\\t\\u0001\\u001F\x7f\""));
    assert_non_null(strstr(buf, "\"detail\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"")); /* UTF-8 as is */
    check_against_reference(&ev);
}

/* Bytes that are not UTF-8 (the reference drops such a field: json_string() refuses it): the
 * field stays, each bad byte as the code point U+F700 + byte (sc_text_escape: lossless), and
 * the document is valid JSON. */
static void test_bad_utf8_is_kept_losslessly(void **state)
{
    (void)state;
    static const char *bad[] = {
        "x\xff",      "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80",
        "ab\xe2\x82", /* a character cut by truncation */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sc_bus_event ev;
        sc_bus_event_init(&ev, SC_EVT_App, "s-1", SC_EVENT_ROLE_UAC, "Talking");
        sc_bus_event_strcpy(ev.u.app.detail, sizeof ev.u.app.detail, bad[i]);
        char buf[SC_BUS_EVENT_JSON_MAX];
        assert_true(sc_bus_event_format_json(&ev, buf, sizeof buf) > 0);
        json_t *o = json_loads(buf, 0, NULL);
        if (!o)
            fail_msg("case %zu does not parse: %s", i, buf);
        const char *d = json_string_value(json_object_get(o, "detail"));
        assert_non_null(d);
        assert_true(strstr(d, "\xef\x9e") || strstr(d, "\xef\x9f"));
        json_decref(o);
    }
}

/* Every field at its longest with bytes that each take a 6-byte escape, extreme numbers and a
 * time the fast path does not cover: fits SC_BUS_EVENT_JSON_MAX; a short buffer gets -ENOSPC. */
static void test_longest_event_fits(void **state)
{
    (void)state;
    int longest = 0;
    for (int t = 0; t <= SC_EVT__COUNT; t++) {
        sc_bus_event ev;
        sc_bus_event_init(&ev, (sc_bus_event_type)t, NULL, SC_EVENT_ROLE_UAC, NULL);
        memset(&ev.u, 0x01, sizeof ev.u); /* every payload byte a control character */
        memset(ev.session_id, 0x01, sizeof ev.session_id - 1);
        memset(ev.uri, 0x01, sizeof ev.uri - 1);
        memset(ev.state, 0x01, sizeof ev.state - 1);
        ev.seq = UINT64_MAX;
        ev.wall_us = INT64_MIN / 1000; /* the slow time path */
        ev.priority = SC_BUS_PRIO_DEFAULT;
        if (t == SC_EVT_SessionEnded)
            ev.u.ended.duration_us = INT64_MIN;
        if (t == SC_EVT_Gap)
            ev.u.gap.from_seq = ev.u.gap.to_seq = (uint64_t)INT64_MIN;
        if (t == SC_EVT_StreamReset)
            ev.u.reset.epoch = (uint64_t)INT64_MIN;
        if (t == SC_EVT_SubscriberReaped)
            ev.u.subscriber.dropped = (uint64_t)INT64_MIN;
        /* NUL-terminate each string field of the union where its struct says so */
        switch (t) {
        case SC_EVT_StateChanged:
            ev.u.state_changed.from[SC_EVENT_NAME_MAX - 1] = ev.u.state_changed.event[SC_EVENT_NAME_MAX - 1] =
                ev.u.state_changed.to[SC_EVENT_NAME_MAX - 1] = '\0';
            break;
        case SC_EVT_App: ev.u.app.name[SC_EVENT_NAME_MAX - 1] = ev.u.app.detail[SC_EVENT_TEXT_MAX - 1] = '\0'; break;
        case SC_EVT_TableReloaded:
            ev.u.table.version[SC_EVENT_NAME_MAX - 1] = ev.u.table.error[SC_EVENT_TEXT_MAX - 1] = '\0';
            break;
        default: break;
        }
        char buf[SC_BUS_EVENT_JSON_MAX];
        int n = sc_bus_event_format_json(&ev, buf, sizeof buf);
        assert_true(n > 0 && n < SC_BUS_EVENT_JSON_MAX);
        json_t *o = json_loads(buf, 0, NULL);
        if (!o)
            fail_msg("type %d: longest document does not parse: %s", t, buf);
        json_decref(o);
        if (n > longest)
            longest = n;
        char small[64];
        assert_int_equal(sc_bus_event_format_json(&ev, small, sizeof small), -ENOSPC);
        assert_int_equal(sc_bus_event_format_json(&ev, buf, (size_t)n), -ENOSPC); /* no room for NUL */
        assert_int_equal(sc_bus_event_format_json(&ev, buf, (size_t)n + 1), n);   /* exactly enough */
    }
    assert_true(longest > 2000); /* the escapes were exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_events_match_reference),
        cmocka_unit_test(test_time_matches_gmtime),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_bad_utf8_is_kept_losslessly),
        cmocka_unit_test(test_longest_event_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
