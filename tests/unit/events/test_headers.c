/* test_headers: events.h and engine.h compile together in one translation unit, and the bus
 * uses table.h's sc_priority (SC_BUS_PRIO_DEFAULT resolves to the type's default). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "session_core/engine.h"
#include "session_core/events.h"

static void test_both_event_types(void **state)
{
    (void)state;
    sc_event engine_ev = {.type = SC_EV_AcceptCall, .code = 200}; /* the engine's event */
    sc_bus_event bus_ev;                                          /* the bus's event */
    sc_bus_event_init(&bus_ev, SC_EVT_StateChanged, "s-1", SC_EVENT_ROLE_UAC, "Talking");
    assert_int_equal(engine_ev.code, 200);
    assert_int_equal(bus_ev.type, SC_EVT_StateChanged);
    assert_int_equal(bus_ev.priority, SC_BUS_PRIO_DEFAULT);
    assert_int_equal(SC_EVENT_ROLE_UAC, SC_ROLE_UAC);
    assert_int_equal(SC_EVENT_ROLE_UAS, SC_ROLE_UAS);
}

static void test_priorities(void **state)
{
    (void)state;
    assert_int_equal(sc_bus_event_type_default_priority(SC_EVT_MediaStarted), SC_PRIO_LOW);
    assert_int_equal(sc_bus_event_type_default_priority(SC_EVT_StateChanged), SC_PRIO_NORMAL);
    assert_int_equal(sc_bus_event_type_default_priority(SC_EVT_SessionEnded), SC_PRIO_CRITICAL);
    assert_string_equal(sc_bus_event_priority_name(SC_PRIO_LOW), "low");
    assert_string_equal(sc_bus_event_priority_name(SC_BUS_PRIO_DEFAULT), "default");
    sc_priority p = SC_PRIO_LOW;
    assert_int_equal(sc_bus_event_priority_parse("critical", &p), 0);
    assert_int_equal(p, SC_PRIO_CRITICAL);
    assert_int_equal(sc_bus_event_priority_parse("default", &p), -EINVAL);

    sc_events_bus *bus = NULL;
    assert_int_equal(sc_events_bus_new(&bus, NULL), 0);
    sc_events_sub_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.name = "crit";
    cfg.filter.min_priority = SC_PRIO_CRITICAL;
    sc_events_sub *sub = NULL;
    assert_int_equal(sc_events_subscribe(bus, &cfg, &sub), 0);

    sc_bus_event ev;
    sc_bus_event_init(&ev, SC_EVT_StateChanged, "s-1", SC_EVENT_ROLE_UAC, "A"); /* normal */
    assert_int_equal(sc_events_publish(bus, &ev, NULL), 0);
    sc_bus_event_init(&ev, SC_EVT_SessionEnded, "s-1", SC_EVENT_ROLE_UAC, "B"); /* critical */
    assert_int_equal(sc_events_publish(bus, &ev, NULL), 0);
    sc_bus_event_init(&ev, SC_EVT_MediaStarted, "s-1", SC_EVENT_ROLE_UAC, "C");
    ev.priority = SC_PRIO_CRITICAL; /* override of a low default */
    assert_int_equal(sc_events_publish(bus, &ev, NULL), 0);
    sc_bus_event_init(&ev, SC_EVT_SessionEnded, "s-1", SC_EVENT_ROLE_UAC, "D");
    ev.priority = SC_PRIO_LOW; /* explicit LOW (0) is not "default" */
    assert_int_equal(sc_events_publish(bus, &ev, NULL), 0);

    sc_bus_event out;
    assert_int_equal(sc_events_sub_next(sub, &out), 0);
    assert_string_equal(out.state, "B");
    assert_int_equal(out.priority, SC_PRIO_CRITICAL);
    assert_int_equal(sc_events_sub_next(sub, &out), 0);
    assert_string_equal(out.state, "C");
    assert_int_equal(sc_events_sub_next(sub, &out), -EAGAIN);

    char *json = sc_bus_event_to_json(&out);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"priority\":\"critical\""));
    sc_bus_event back;
    assert_int_equal(sc_bus_event_from_json(json, &back), 0);
    assert_int_equal(back.priority, SC_PRIO_CRITICAL);
    free(json);
    assert_int_equal(sc_bus_event_from_json("{\"type\":\"Gap\",\"seq\":3}", &back), 0);
    assert_int_equal(back.priority, SC_BUS_PRIO_DEFAULT);

    sc_events_unsubscribe(sub);
    sc_events_bus_free(bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_event_types),
        cmocka_unit_test(test_priorities),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
