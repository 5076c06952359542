/* DTMF in SIP INFO bodies: application/dtmf-relay and application/dtmf read (digits, event
 * codes, durations, line ends, case), other types left alone, bad bodies refused, and our
 * dtmf-relay body written. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "session_core/sip.h"

static int parse(const char *ct, const char *body, char *d, unsigned *ms)
{
    return sc_sip_dtmf_info_parse(ct, body, body ? strlen(body) : 0, d, ms);
}

static void test_relay(void **state)
{
    (void)state;
    char d;
    unsigned ms;
    assert_int_equal(parse("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", &d, &ms), 0);
    assert_int_equal(d, '5');
    assert_int_equal(ms, 160);
    assert_int_equal(parse("Application/DTMF-Relay; x=y", "duration = 100\nsignal = #\n", &d, &ms), 0);
    assert_int_equal(d, '#');
    assert_int_equal(ms, 100);
    assert_int_equal(parse("application/dtmf-relay", "Signal=11", &d, &ms), 0); /* RFC 4733 event 11 */
    assert_int_equal(d, '#');
    assert_int_equal(ms, 250); /* no Duration */
    assert_int_equal(parse("application/dtmf-relay", "Signal=a\r\nDuration=5\r\n", &d, &ms), 0);
    assert_int_equal(d, 'A');
    assert_int_equal(ms, 40); /* kept within 40..8000 */
}

static void test_plain(void **state)
{
    (void)state;
    char d;
    unsigned ms;
    assert_int_equal(parse("application/dtmf", "5", &d, &ms), 0);
    assert_int_equal(d, '5');
    assert_int_equal(parse("application/dtmf", " *\r\n", &d, &ms), 0);
    assert_int_equal(d, '*');
}

static void test_refused(void **state)
{
    (void)state;
    char d;
    unsigned ms;
    assert_int_equal(parse("application/sdp", "v=0\r\n", &d, &ms), -ENOTSUP);
    assert_int_equal(parse("text/plain", "5", &d, &ms), -ENOTSUP);
    assert_int_equal(parse("application/dtmf-relay", "Duration=160\r\n", &d, &ms), -EINVAL);
    assert_int_equal(parse("application/dtmf-relay", "Signal=E\r\n", &d, &ms), -EINVAL);
    assert_int_equal(parse("application/dtmf-relay", "Signal=16\r\n", &d, &ms), -EINVAL);
    assert_int_equal(parse("application/dtmf-relay", "Signal=1\r\nDuration=1x\r\n", &d, &ms), -EINVAL);
    assert_int_equal(parse("application/dtmf", "55", &d, &ms), -EINVAL);
    assert_int_equal(parse("application/dtmf", NULL, &d, &ms), -EINVAL);
}

static void test_body(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(sc_sip_dtmf_info_body('9', 160, buf, sizeof buf), (int)strlen("Signal=9\r\nDuration=160\r\n"));
    assert_string_equal(buf, "Signal=9\r\nDuration=160\r\n");
    assert_int_equal(sc_sip_dtmf_info_body('x', 160, buf, sizeof buf), -EINVAL);
    assert_int_equal(sc_sip_dtmf_info_body('1', 160, buf, 8), -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay),
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
