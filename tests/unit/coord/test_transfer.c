/* test_transfer: the transfer helpers of the coordinator: Refer-To parsing with an embedded,
 * escaped Replaces (RFC 3891 section 5), the escaping that builds it, RFC 3420 sipfrag status
 * lines, and which URIs a transfer may target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coord/transfer.h"

static void refer_to_plain(void **state)
{
    char *uri = NULL, *rep = NULL;
    assert_int_equal(sc_coord__xfer_parse_refer_to("<sip:carol@127.0.0.1:5070>", &uri, &rep), 0);
    assert_string_equal(uri, "sip:carol@127.0.0.1:5070");
    assert_null(rep);
    free(uri);
    assert_int_equal(sc_coord__xfer_parse_refer_to("sip:carol@127.0.0.1", &uri, &rep), 0);
    assert_string_equal(uri, "sip:carol@127.0.0.1");
    free(uri);
    assert_int_equal(sc_coord__xfer_parse_refer_to("  \"Carol\" <sip:carol@127.0.0.1;transport=tcp>;x=y", &uri, &rep),
                     0);
    assert_string_equal(uri, "sip:carol@127.0.0.1;transport=tcp");
    free(uri);
    assert_int_equal(sc_coord__xfer_parse_refer_to("<>", &uri, &rep), -EINVAL);
    assert_int_equal(sc_coord__xfer_parse_refer_to("<sip:unterminated", &uri, &rep), -EINVAL);
    assert_int_equal(sc_coord__xfer_parse_refer_to(NULL, &uri, &rep), -EINVAL);
}

static void refer_to_replaces_roundtrip(void **state)
{
    const char *rep_in = "8a2f@127.0.0.1;to-tag=abc 1;from-tag=x=y";
    char esc[256], val[512];
    assert_true(sc_coord__xfer_escape(rep_in, esc, sizeof esc) > 0);
    assert_string_equal(esc, "8a2f%40127.0.0.1%3Bto-tag%3Dabc%201%3Bfrom-tag%3Dx%3Dy");
    snprintf(val, sizeof val, "<sip:carol@127.0.0.1:5070?Replaces=%s&Require=replaces>", esc);
    char *uri = NULL, *rep = NULL;
    assert_int_equal(sc_coord__xfer_parse_refer_to(val, &uri, &rep), 0);
    assert_string_equal(uri, "sip:carol@127.0.0.1:5070");
    assert_non_null(rep);
    assert_string_equal(rep, rep_in);
    free(uri);
    free(rep);
    /* lower-case hex, header name in another case */
    assert_int_equal(
        sc_coord__xfer_parse_refer_to("<sip:c@127.0.0.1?replaces=a%40b%3bto-tag%3d1%3Bfrom-tag%3D2>", &uri, &rep), 0);
    assert_string_equal(rep, "a@b;to-tag=1;from-tag=2");
    free(uri);
    free(rep);
    char small[8];
    assert_int_equal(sc_coord__xfer_escape("a@b@c@d", small, sizeof small), -ENOSPC);
}

static void sipfrag(void **state)
{
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 100 Trying\r\n", 20), 100);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 180 Ringing", 19), 180);
    assert_int_equal(sc_coord__xfer_sipfrag_status("\r\nSIP/2.0 200 OK\r\n", 18), 200);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n", 43), 486);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 2000 OK", 15), -1);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 099 Low", 15), -1);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/1.0 200 OK", 14), -1);
    assert_int_equal(sc_coord__xfer_sipfrag_status("INVITE sip:x SIP/2.0", 20), -1);
    assert_int_equal(sc_coord__xfer_sipfrag_status("SIP/2.0 20", 10), -1);
    assert_int_equal(sc_coord__xfer_sipfrag_status(NULL, 0), -1);
}

static void usable_targets(void **state)
{
    assert_true(sc_coord__usable_uri("sip:carol@127.0.0.1:5070"));
    assert_true(sc_coord__usable_uri("sip:carol@[::1]:5070"));
    assert_true(sc_coord__usable_uri("sip:127.0.0.1"));
    assert_false(sc_coord__usable_uri("sip:carol@example.com"));
    assert_false(sc_coord__usable_uri("tel:+123"));
    assert_false(sc_coord__usable_uri("sips:carol@127.0.0.1"));
    assert_false(sc_coord__usable_uri(""));
    assert_false(sc_coord__usable_uri(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refer_to_plain),
        cmocka_unit_test(refer_to_replaces_roundtrip),
        cmocka_unit_test(sipfrag),
        cmocka_unit_test(usable_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
