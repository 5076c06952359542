/* filter: matching one event against a subscription filter, cheapest checks first. */
#include <fnmatch.h>
#include <string.h>

#include "events/events_int.h"

static bool pattern_match(const sc_events_filter *f, const sc_bus_event *ev)
{
    if (!f->patterns[0])
        return true;
    for (int i = 0; i < SC_EVENTS_MAX_PATTERNS && f->patterns[i]; i++) {
        if (ev->session_id[0] && fnmatch(f->patterns[i], ev->session_id, 0) == 0)
            return true;
        if (ev->uri[0] && fnmatch(f->patterns[i], ev->uri, 0) == 0)
            return true;
    }
    return false;
}

static bool state_match(const sc_events_filter *f, const sc_bus_event *ev)
{
    if (!f->states[0])
        return true;
    for (int i = 0; i < SC_EVENTS_MAX_STATES && f->states[i]; i++)
        if (strcmp(f->states[i], ev->state) == 0)
            return true;
    return false;
}

/* App events by name (globs); every other type passes. */
static bool name_match(const sc_events_filter *f, const sc_bus_event *ev)
{
    if (!f->names[0] || ev->type != SC_EVT_App)
        return true;
    for (int i = 0; i < SC_EVENTS_MAX_NAMES && f->names[i]; i++)
        if (fnmatch(f->names[i], ev->u.app.name, 0) == 0)
            return true;
    return false;
}

bool sc_events_filter_match(const sc_events_filter *f, const sc_bus_event *ev)
{
    if ((unsigned)ev->type >= SC_EVT__COUNT)
        return false;
    if (f->types && !(f->types & SC_EVENT_BIT(ev->type)))
        return false;
    int p = ev->priority >= SC_PRIO_LOW && ev->priority <= SC_PRIO_CRITICAL
                ? ev->priority
                : (int)sc_bus_event_type_default_priority(ev->type);
    if (p < (int)f->min_priority)
        return false;
    if (f->roles) {
        if (ev->role < 0 || ev->role > 30 || !(f->roles & (UINT32_C(1) << ev->role)))
            return false;
    }
    return state_match(f, ev) && name_match(f, ev) && pattern_match(f, ev);
}
