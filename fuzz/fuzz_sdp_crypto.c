/* fuzz_sdp_crypto: feeds arbitrary bytes to the RFC 4568 a=crypto parser (the value after
 * "a=crypto:") and, when one parses, writes it back and checks that the text parses again to
 * the same tag, suite and key; and masks the keys of the bytes (sc_redact_keys, what the
 * inspection shows of an SDP) and checks that no key character is left behind an "inline:". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session_core/base.h"
#include "session_core/sip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    sc_sdp_crypto c, back;
    if (sc_sdp_crypto_parse(text, &c) == 0) {
        char buf[256];
        int n = sc_sdp_crypto_format(&c, buf, sizeof buf);
        if (n < 0 || sc_sdp_crypto_parse(buf, &back) != 0 || back.tag != c.tag || strcmp(back.suite, c.suite) ||
            back.key_len != c.key_len || memcmp(back.key, c.key, c.key_len))
            abort(); /* what we write, we read back the same */
    }
    char *masked = NULL;
    if (sc_redact_keys(text, &masked) == 0 && masked) {
        for (const char *p = strstr(masked, "inline:"); p; p = strstr(p + 1, "inline:")) {
            const char *k = p + 7;
            if (*k && strchr(b64, *k) && strncmp(k, "***", 3) != 0)
                abort(); /* a key character shown */
        }
        free(masked);
    }
    free(text);
    return 0;
}
