/* random: unpredictable bytes from the OS CSPRNG (getrandom), buffered per thread so that a tag,
 * a branch or a Call-ID costs a copy, not a system call. What a peer sees (tags, Call-IDs,
 * branches) comes from here: a guessed value lets a peer forge requests into our dialogs. */
#include "session_core/base.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define POOL_SIZE 4096

static _Thread_local unsigned char pool[POOL_SIZE];
static _Thread_local size_t pool_left;

/* Fill the pool; getrandom blocks only until the kernel's pool was first initialised (boot). */
static void refill(void)
{
    size_t got = 0;
    while (got < POOL_SIZE) {
        ssize_t n = getrandom(pool + got, POOL_SIZE - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (errno != EINTR)
            abort(); /* no CSPRNG: better no identifiers than guessable ones */
    }
    pool_left = POOL_SIZE;
}

void sc_random_bytes(void *out, size_t n)
{
    unsigned char *o = out;
    while (n > 0) {
        if (pool_left == 0)
            refill();
        size_t take = n < pool_left ? n : pool_left;
        memcpy(o, pool + POOL_SIZE - pool_left, take);
        memset(pool + POOL_SIZE - pool_left, 0, take); /* what was handed out is not kept */
        pool_left -= take;
        o += take;
        n -= take;
    }
}

uint64_t sc_random_u64(void)
{
    uint64_t v;
    sc_random_bytes(&v, sizeof v);
    return v;
}

void sc_random_hex(char *out, size_t nhex)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[32];
    size_t i = 0;
    while (i < nhex) {
        size_t chunk = (nhex - i + 1) / 2;
        if (chunk > sizeof b)
            chunk = sizeof b;
        sc_random_bytes(b, chunk);
        for (size_t k = 0; k < chunk * 2 && i < nhex; k++, i++)
            out[i] = hex[(b[k / 2] >> (k % 2 ? 0 : 4)) & 15];
    }
    out[nhex] = '\0';
}
