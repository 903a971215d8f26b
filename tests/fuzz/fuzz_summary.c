/*
 * fuzz_summary.c -- libFuzzer harness for the summary reader
 * (jitrl_summary_parse, include/jitrl/summary.h) and what reads its
 * result: the JSON writer and the HTML report.
 *
 * Why shaped so: `jitrl report` reads summary files from anywhere (other
 * versions, hand edits, other machines), so any bytes must end in a
 * summary array or JITRL_EPARSE with a message, never a crash, a leak, a
 * hang or a runaway allocation (issue 16: scores near DBL_MAX once drove
 * the report's axis loop to its buffer cap).  Properties checked, each
 * aborting (which libFuzzer reports) when broken:
 *  - an error leaves *out NULL, *n 0 and a non-empty message;
 *  - a parsed summary writes back to JSON that parses again to the same
 *    number of runs and scores (the writer and reader agree);
 *  - the report renders (non-NULL) for whatever parsed.
 *
 * Built by scripts/fuzz.sh (FUZZ_TARGET=summary) with clang
 * -fsanitize=fuzzer,address,undefined.
 */
#include "jitrl/report.h"
#include "jitrl/summary.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jitrl_summary **arr = NULL;
    size_t n = 0;
    char err[256] = "";
    int rc = jitrl_summary_parse((const char *)data, size, &arr, &n, err, sizeof err);
    if (rc) {
        if (arr || n || (rc == JITRL_EPARSE && !err[0])) abort();
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char *text = jitrl_summary_to_json(arr[i]);
        if (!text) abort();
        jitrl_summary **back = NULL;
        size_t nb = 0;
        if (jitrl_summary_parse(text, strlen(text), &back, &nb, err, sizeof err) || nb != 1) abort();
        if (back[0]->n_runs != arr[i]->n_runs) abort();
        for (size_t r = 0; r < arr[i]->n_runs; r++)
            if (back[0]->runs[r].n_scores != arr[i]->runs[r].n_scores) abort();
        jitrl_summary_free_array(back, nb);
        free(text);
    }
    char *html = jitrl_report_html((const jitrl_summary *const *)arr, n, NULL, NULL);
    if (!html && n) abort();
    free(html);
    jitrl_summary_free_array(arr, n);
    return 0;
}
