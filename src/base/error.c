/* error: names for the project's error codes and for negative errno values. */
#include "session_core/base.h"

#include <string.h>

const char *sc_strerror(int err)
{
    switch (err) {
    case 0: return "success";
#define SC_ERROR_CASE(name, value, text) \
    case name: return text;
        SC_ERRORS(SC_ERROR_CASE)
#undef SC_ERROR_CASE
    default: break;
    }
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}
