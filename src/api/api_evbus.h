/* api_evbus: includes events.h under names that do not collide with engine.h and table.h:
 * the bus's event type is sc_bus_event and its priorities SC_EVPRIO_* in files that include
 * this header (the engine keeps sc_event and table.h keeps SC_PRIO_*). */
#ifndef SC_API_EVBUS_H
#define SC_API_EVBUS_H

#define sc_event sc_bus_event
#define SC_PRIO_DEFAULT SC_EVPRIO_DEFAULT
#define SC_PRIO_LOW SC_EVPRIO_LOW
#define SC_PRIO_NORMAL SC_EVPRIO_NORMAL
#define SC_PRIO_CRITICAL SC_EVPRIO_CRITICAL
#include "session_core/events.h"
#undef sc_event
#undef SC_PRIO_DEFAULT
#undef SC_PRIO_LOW
#undef SC_PRIO_NORMAL
#undef SC_PRIO_CRITICAL

#endif
