/*
 * fuzz_form.c -- libFuzzer harness for the local sites' form parser
 * (src/env/web/sites/form.c): any bytes as a query string or a POST body.
 *
 * Why shaped so: every byte a browser sends to our sites passes this
 * parser before a handler sees it, and the handlers trust what it lets
 * through.  So beyond "no crash, no leak", each accepted field is checked
 * against the promise in sites_int.h (bounded, valid UTF-8, no NUL or
 * control byte, non-empty name) and, once HTML-escaped, must hold no
 * markup character; the number parsers run on every value and must stay
 * in range.  A broken promise aborts, which libFuzzer reports.
 *
 * Built by scripts/fuzz.sh (FUZZ_TARGET=form) with clang
 * -fsanitize=fuzzer,address,undefined.
 */
#include "env/web/sites/sites_int.h"
#include "jitrl/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jr_form f;
    int rc = jr_form_parse(&f, (const char *)data, size);
    if (rc != JITRL_OK && rc != JITRL_ECORRUPT && rc != JITRL_ENOMEM) abort();
    if (rc != JITRL_OK && f.n != 0) abort();
    if (f.n > JR_FORM_MAX_PAIRS) abort();
    jr_buf b;
    jr_buf_init(&b, 64 * 1024);
    for (size_t i = 0; i < f.n; i++) {
        size_t kl = strlen(f.key[i]), vl = strlen(f.val[i]);
        if (!kl || kl > JR_FORM_MAX_KEY || vl > JR_FORM_MAX_VALUE) abort();
        if (!jr_text_ok(f.key[i], kl) || !jr_text_ok(f.val[i], vl)) abort();
        if (strpbrk(f.key[i], "\t\r\n")) abort();
        if (jr_form_get(&f, f.key[i]) == NULL) abort();
        jr_buf_reset(&b);
        if (jr_html_esc(&b, f.val[i]) == JITRL_OK && strpbrk(jr_buf_str(&b), "<>\"'")) abort();
        long c = jr_parse_cents(f.val[i], 100000000L);
        if (c < -1 || c > 100000000L) abort();
        long v;
        if (!jr_parse_long(f.val[i], -5, 1000, &v) && (v < -5 || v > 1000)) abort();
        if (jr_path_id(f.val[i], "/p/", "/e") < -1) abort();
    }
    jr_buf_free(&b);
    jr_form_free(&f);
    return 0;
}
