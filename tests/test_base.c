/*
 * test_base.c -- the base utilities: bounded buffer, allocation failure
 * injection, RNG reproducibility, error strings.
 */
#include "base/alloc.h"
#include "base/buf.h"
#include "base/rng.h"
#include "jitrl/error.h"
#include "testutil.h"

#include <string.h>

int main(void)
{
    jr_buf b;
    jr_buf_init(&b, 16);
    CHECK_INT(jr_buf_puts(&b, "hello "), JITRL_OK);
    CHECK_INT(jr_buf_printf(&b, "%d", 12345), JITRL_OK);
    CHECK_STR(jr_buf_str(&b), "hello 12345");
    CHECK_INT(jr_buf_puts(&b, "too long!"), JITRL_ETOOBIG);
    CHECK_STR(jr_buf_str(&b), "hello 12345");   /* unchanged after failure */
    jr_buf_reset(&b);
    CHECK_INT(jr_buf_json_str(&b, "a\"b\n"), JITRL_OK);
    CHECK_STR(jr_buf_str(&b), "\"a\\\"b\\n\"");
    jr_buf_free(&b);

    jr_alloc_fail_after(1);
    void *p1 = jr_malloc(8), *p2 = jr_malloc(8);
    jr_alloc_fail_after(-1);
    CHECK(p1 != NULL);
    CHECK(p2 == NULL);
    jr_free(p1);

    jr_buf_init(&b, 1 << 20);
    jr_alloc_fail_after(0);
    CHECK_INT(jr_buf_puts(&b, "x"), JITRL_ENOMEM);
    jr_alloc_fail_after(-1);
    CHECK_STR(jr_buf_str(&b), "");
    jr_buf_free(&b);

    jr_rng r1, r2;
    jr_rng_seed(&r1, 42);
    jr_rng_seed(&r2, 42);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= jr_rng_next(&r1) == jr_rng_next(&r2);
    CHECK(same);
    for (int i = 0; i < 1000; i++) {
        double u = jr_rng_uniform(&r1);
        if (!(u >= 0 && u < 1)) { CHECK(u >= 0 && u < 1); break; }
        if (jr_rng_below(&r1, 7) >= 7) { CHECK(0); break; }
    }
    CHECK_STR(jitrl_strerror(JITRL_ENOMEM), "out of memory");
    CHECK_STR(jitrl_strerror(9999), "unknown error");
    return tu_done();
}
