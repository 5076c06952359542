/* resample: sample-rate conversion of mono float audio to 8 kHz by windowed-sinc
 * interpolation: each output sample is the sum of the input samples within +-16 zero
 * crossings of a low-pass sinc (cutoff 0.46 of the lower Nyquist rate, so content above
 * ~3.7 kHz is removed instead of aliasing), shaped by a Blackman window. The kernel is
 * tabulated at 256 points per input sample and read by nearest point. */
#include "media/media_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OUT_RATE 8000.0
#define ZERO_CROSSINGS 16
#define TAB_RES 256
#define CUTOFF 0.46

int sc_media__resample(const float *in, size_t n, unsigned in_rate, float **out, size_t *out_n)
{
    if (!in_rate || !out || !out_n)
        return -EINVAL;
    size_t on = (size_t)((double)n * OUT_RATE / in_rate);
    float *o = malloc((on ? on : 1) * sizeof *o);
    if (!o)
        return -ENOMEM;
    if (in_rate == (unsigned)OUT_RATE) {
        memcpy(o, in, n * sizeof *o);
        *out = o;
        *out_n = n;
        return 0;
    }
    double ratio = OUT_RATE / in_rate;              /* < 1 when downsampling */
    double fc = CUTOFF * (ratio < 1 ? ratio : 1.0); /* cycles per input sample */
    double width = ZERO_CROSSINGS / (2.0 * fc);     /* half-width in input samples */
    size_t tab_n = (size_t)(width * TAB_RES) + 2;
    float *tab = malloc(tab_n * sizeof *tab);
    if (!tab) {
        free(o);
        return -ENOMEM;
    }
    for (size_t k = 0; k < tab_n; k++) {
        double x = (double)k / TAB_RES;
        double s = x == 0 ? 1.0 : sin(2 * M_PI * fc * x) / (2 * M_PI * fc * x);
        double w = x >= width ? 0 : 0.42 + 0.5 * cos(M_PI * x / width) + 0.08 * cos(2 * M_PI * x / width);
        tab[k] = (float)(2 * fc * s * w);
    }
    for (size_t j = 0; j < on; j++) {
        double t = (double)j / ratio; /* position in input samples */
        long lo = (long)ceil(t - width), hi = (long)floor(t + width);
        if (lo < 0)
            lo = 0;
        if (hi > (long)n - 1)
            hi = (long)n - 1;
        double acc = 0;
        for (long i = lo; i <= hi; i++) {
            size_t k = (size_t)(fabs(t - (double)i) * TAB_RES + 0.5);
            if (k < tab_n)
                acc += in[i] * tab[k];
        }
        o[j] = (float)acc;
    }
    free(tab);
    *out = o;
    *out_n = on;
    return 0;
}
