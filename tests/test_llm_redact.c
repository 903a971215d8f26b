/*
 * test_llm_redact.c -- llm_redact (src/llm/redact.c): the API key and any
 * "Bearer <token>" never survive into a message, wherever they sit, even
 * where the message is cut (issue 16, defect 4).  The end-to-end case,
 * a server echoing the Authorization header, is tests/test_llm_endpoint.sh.
 */
#include <stdio.h>
#include <string.h>

#include "llm/llm_int.h"
#include "testutil.h"

#define KEY "sk-test-0123456789SECRET"

static void check(const char *in, size_t cap, const char *want)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", in);
    llm_redact(buf, cap, KEY);
    CHECK_MSG(strstr(buf, "SECRET") == NULL, "'%s' kept the key: '%s'", in, buf);
    if (want) CHECK_STR(buf, want);
    CHECK(strlen(buf) < cap);
}

int main(void)
{
    check("Authorization: Bearer " KEY "; Host: x", sizeof(char[2048]), "Authorization: Bearer [redacted]; Host: x");
    check("key " KEY " is wrong, " KEY, 2048, "key [redacted] is wrong, [redacted]");
    check("authorization: bearer abc.def-ghi", 2048, "authorization: bearer [redacted]");
    check("BEARER:zzz", 2048, "BEARER:[redacted]");
    check("no secrets here", 2048, "no secrets here");
    check("Bearer", 2048, "Bearer");
    check("a bearer of news", 2048, "a bearer [redacted] news");
    /* a small buffer: the output is cut, the key still gone */
    check("xxxxxxxx Bearer " KEY, 20, NULL);
    check(KEY KEY KEY, 12, NULL);
    /* a key too short to search for as text is still caught after Bearer */
    char buf[64] = "Bearer ab and ab";
    llm_redact(buf, sizeof buf, "ab");
    CHECK_STR(buf, "Bearer [redacted] and ab");
    return tu_done();
}
