/* fuzz_sdp: feeds arbitrary bytes to the SDP parser (an offer or answer as it arrives in a SIP
 * body, line ends and all) and, when one parses, builds our answer to it and checks that the
 * answer parses again with one m= line per offered one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session_core/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sc_sdp_info offer, back;
    if (sc_sdp_parse((const char *)data, size, &offer) != 0)
        return 0;
    static const sc_sdp_local local = {.addr = "127.0.0.1", .port = 20000, .session_id = 1, .session_version = 1};
    char buf[8192];
    sc_sdp_info neg;
    int n = sc_sdp_build_answer(&offer, &local, buf, sizeof buf, &neg);
    if (n <= 0)
        return 0;
    if (sc_sdp_parse(buf, (size_t)n, &back) == 0 && back.media_count != offer.media_count)
        abort(); /* every offered m= line is answered, in order */
    return 0;
}
