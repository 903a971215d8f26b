/*
 * redact.c -- keeping the API key out of every message and log line.
 *
 * A server may echo the request's headers in its error body ("invalid
 * header Authorization: Bearer sk-..."), and that body is shown to the
 * user (errmsg, the log callback, the trace).  So every text that came
 * from outside passes through llm_redact() before it is kept: the key
 * itself, wherever it appears, and any "Bearer <token>" become
 * "[redacted]".  It runs on the whole text before any cut, so a key that
 * straddles a truncation point cannot leave a prefix behind.
 */
#include "llm/llm_int.h"

#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

#define REDACTED "[redacted]"
/* Keys shorter than this are not searched for as plain text (a 1-letter
 * test key would blank every such letter); "Bearer x" is still caught. */
#define REDACT_MIN_KEY 6

static int token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

static int bearer_at(const char *p)
{
    static const char w[] = "bearer";
    for (size_t i = 0; i < sizeof w - 1; i++)
        if ((p[i] | 0x20) != w[i]) return 0;
    return p[6] == ' ' || p[6] == '\t' || p[6] == ':';
}

void llm_redact(char *s, size_t cap, const char *key)
{
    if (!s || cap == 0) return;
    size_t klen = key ? strlen(key) : 0;
    if (klen < REDACT_MIN_KEY) klen = 0;
    size_t n = strlen(s);
    /* work on a copy: the result may be longer than the input */
    char *src = jr_malloc(n + 1);
    if (!src) {   /* no memory for a copy: blank the text rather than risk it */
        snprintf(s, cap, "%s", REDACTED);
        return;
    }
    memcpy(src, s, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap;) {
        if (klen && n - i >= klen && memcmp(src + i, key, klen) == 0) {
            o += (size_t)snprintf(s + o, cap - o, "%s", REDACTED);
            i += klen;
        } else if (n - i > 6 && bearer_at(src + i)) {
            size_t j = i + 6;
            while (j < n && (src[j] == ' ' || src[j] == '\t' || src[j] == ':')) j++;
            if (j < n && token_char((unsigned char)src[j])) {
                o += (size_t)snprintf(s + o, cap - o, "%.*s" REDACTED, (int)(j - i), src + i);
                while (j < n && token_char((unsigned char)src[j])) j++;
            } else {
                o += (size_t)snprintf(s + o, cap - o, "%.*s", (int)(j - i), src + i);
            }
            i = j;
        } else {
            s[o++] = src[i++];
        }
        if (o >= cap) o = cap - 1;
    }
    s[o] = '\0';
    jr_free(src);
}
