/*
 * fuzz_json.c -- libFuzzer harness for the JSON surface (include/jitrl/
 * json.h): any bytes as a decide request or an episode, on a small memory.
 *
 * Why shaped so: the service hands these parsers whatever a client sends
 * (issue 12), so every input must end in an answer or a JSON error object,
 * never a crash, a leak or a hang.  The first byte picks the call (even:
 * decide, odd: record), the rest is the text (cut at the first NUL, as a C
 * string would be).  Each response is checked to be JSON with either a
 * "choice" or an "error"; anything else aborts, which libFuzzer reports.
 * The memory is re-created every 256 records so it stays small and each
 * input costs about the same.
 *
 * Built by scripts/fuzz.sh (FUZZ_TARGET=json) with clang
 * -fsanitize=fuzzer,address,undefined.
 */
#include "jitrl/json.h"
#include "jitrl/memory.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static jitrl_memory *mem;
static unsigned records;

static const char *const seed_episode =
    "{\"task\":\"t\",\"steps\":[{\"state\":{\"current\":\"Hall. A door.\",\"history\":\"\"},\"action\":\"north\","
    "\"reward\":1},{\"state\":{\"current\":\"Garden. A gate.\",\"history\":\"north\"},\"action\":\"open gate\","
    "\"reward\":0}]}";

static void fresh_memory(void)
{
    jitrl_memory_close(mem);
    mem = NULL;
    if (jitrl_memory_open(NULL, NULL, &mem, NULL, 0)) abort();
    char *r = NULL;
    for (int i = 0; i < 3; i++) {
        if (jitrl_record_json(mem, seed_episode, &r)) abort();
        jitrl_free(r);
    }
    records = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!mem || records >= 256) fresh_memory();
    if (size == 0) return 0;
    int record = data[0] & 1;
    char *text = malloc(size);
    if (!text) return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    char *resp = NULL;
    int rc = record ? jitrl_record_json(mem, text, &resp) : jitrl_decide_json(mem, text, &resp);
    if (record && rc == 0) records++;
    if (!resp) abort();   /* only an allocation failure may leave it NULL */
    json_t *j = json_loads(resp, 0, NULL);
    if (!j) abort();
    if (rc == 0 && !json_object_get(j, record ? "episode_id" : "choice")) abort();
    if (rc != 0 && !json_object_get(j, "error")) abort();
    json_decref(j);
    jitrl_free(resp);
    free(text);
    return 0;
}
