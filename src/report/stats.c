/*
 * stats.c -- the statistics the paper's tables report: mean and 95%
 * confidence half-width over independent runs, with Student's t.
 *
 * Runs are few (5 by default), so the normal 1.96 would understate the
 * interval by 40%; we use the exact t quantile.  For integer degrees of
 * freedom the two-sided t probability A(t|v) = P(|T| < t) has a closed
 * finite series in theta = atan(t / sqrt(v)) (Abramowitz & Stegun 26.7.3,
 * 26.7.4), which we invert by bisection: no tables, no special functions.
 */
#include "jitrl/summary.h"

#include <math.h>

/* P(|T| < t) for Student's t with v >= 1 degrees of freedom. */
static double t_two_sided(double t, unsigned v)
{
    const double pi = 3.14159265358979323846;
    double th = atan(t / sqrt((double)v));
    double s = sin(th), c = cos(th), c2 = c * c;
    if (v % 2 == 1) {
        if (v == 1) return 2.0 * th / pi;
        /* 1 + 2/3 c^2 + (2*4)/(3*5) c^4 + ... up to c^(v-3) */
        double term = 1.0, sum = 1.0;
        for (unsigned k = 2; k + 1 <= v - 2; k += 2) {
            term *= (double)k / (double)(k + 1) * c2;
            sum += term;
        }
        return 2.0 / pi * (th + s * c * sum);
    }
    /* 1 + 1/2 c^2 + (1*3)/(2*4) c^4 + ... up to c^(v-2) */
    double term = 1.0, sum = 1.0;
    for (unsigned k = 1; k + 1 <= v - 1; k += 2) {
        term *= (double)k / (double)(k + 1) * c2;
        sum += term;
    }
    return s * sum;
}

double jitrl_t975(unsigned df)
{
    if (df < 1) return 0.0;
    /* Beyond a few thousand degrees of freedom t is the normal quantile to
     * four digits, and the series would only cost time. */
    if (df > 4000) return 1.959964;
    double lo = 0.0, hi = 1000.0;
    for (int i = 0; i < 100; i++) {
        double mid = 0.5 * (lo + hi);
        if (t_two_sided(mid, df) < 0.95) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

void jitrl_mean_ci95(const double *x, size_t n, double *mean, double *ci95)
{
    double m = 0.0, ci = 0.0;
    if (n > 0) {
        for (size_t i = 0; i < n; i++) m += x[i];
        m /= (double)n;
    }
    if (n > 1) {
        double ss = 0.0;
        for (size_t i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
        double sd = sqrt(ss / (double)(n - 1));
        ci = jitrl_t975((unsigned)(n > 100000 ? 100000 : n - 1)) * sd / sqrt((double)n);
    }
    if (mean) *mean = m;
    if (ci95) *ci95 = ci;
}
