/* fuzz_dtmf_info: the DTMF body of a SIP INFO (sc_sip_dtmf_info_parse). The input's first line
 * is the Content-Type, the rest the body, copied to a buffer of exactly its size (no NUL after
 * it: an over-read is caught). A digit read is written back as a dtmf-relay body, which must
 * parse to the same digit and duration (abort otherwise). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session_core/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tlen = nl ? (size_t)(nl - data) : size;
    if (tlen > 128)
        return 0;
    char ctype[129];
    memcpy(ctype, data, tlen);
    ctype[tlen] = '\0';
    size_t blen = nl ? size - tlen - 1 : 0;
    char *body = malloc(blen ? blen : 1);
    if (!body)
        return 0;
    if (blen)
        memcpy(body, nl + 1, blen);
    char digit = 0, again = 0;
    unsigned ms = 0, ms2 = 0;
    if (sc_sip_dtmf_info_parse(ctype, body, blen, &digit, &ms) == 0) {
        char out[64];
        int n = sc_sip_dtmf_info_body(digit, ms, out, sizeof out);
        if (n < 0 || sc_sip_dtmf_info_parse("application/dtmf-relay", out, (size_t)n, &again, &ms2) != 0 ||
            again != digit || ms2 != ms)
            abort();
    }
    free(body);
    return 0;
}
