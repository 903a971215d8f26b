/*
 * test_memory_scores.c -- jitrl_memory_scores, what a resumed run reads
 * (issue 16, defect 10: resuming exported the whole memory into RAM, 156 MB
 * at 10k episodes, to get one number per episode).
 *
 *  - the scores of one task come back in export order and match the
 *    export's, other tasks left out, NULL task = all;
 *  - the work is bounded by what is needed, checked on the process's peak
 *    resident size (not on time): reading the scores of a memory holding
 *    24 MB of state text raises the peak by less than 8 MB, while the old
 *    way (export into RAM) raises it by more than the text it holds --
 *    the second half shows the probe would see the regression;
 *  - a bad score row of the task is an error naming the episode.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "jitrl.h"
#include "testutil.h"

#define BIG (1u << 20)   /* bytes of state text per step */
#define EPISODES 24

static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int to_mem(void *ctx, const char *buf, size_t n) { return fwrite(buf, 1, n, ctx) == n ? 0 : 1; }

int main(void)
{
    const char *path = tu_path(tu_tmpdir(), "scores.db");
    char err[256];
    jitrl_memory *mem = NULL;
    CHECK_INT(jitrl_memory_open(path, NULL, &mem, err, sizeof err), JITRL_OK);
    if (!mem) return tu_done();
    /* a big state that shingles to few sets: ten words over and over */
    char *text = malloc(BIG + 1);
    static const char words[] = "the lamp is lit and the door is open now ";
    for (size_t i = 0; i < BIG; i++) text[i] = words[i % (sizeof words - 1)];
    text[BIG] = '\0';
    double want[EPISODES];
    size_t nwant = 0;
    for (int e = 0; e < EPISODES; e++) {
        text[e] = 'A' + (char)e;   /* each state its own */
        jitrl_field f[2] = {{"current", text}, {"history", ""}};
        jitrl_step st = {{f, 2}, "wait", 1};
        const char *task = e % 3 == 2 ? "other" : "game";
        jitrl_episode_info info = {task, e * 1.5 - 3, 1700000000 + e};
        CHECK_INT(jitrl_memory_add_episode(mem, &info, &st, 1, 0.9, NULL), JITRL_OK);
        if (e % 3 != 2) want[nwant++] = info.score;
    }
    free(text);
    jitrl_memory_close(mem);
    CHECK_INT(jitrl_memory_open(path, NULL, &mem, err, sizeof err), JITRL_OK);
    if (!mem) return tu_done();

    long before = peak_kb();
    double *v = NULL;
    size_t n = 0;
    CHECK_INT(jitrl_memory_scores(mem, "game", &v, &n), JITRL_OK);
    long grew = peak_kb() - before;
    CHECK_INT(n, nwant);
    for (size_t i = 0; i < n && i < nwant; i++) CHECK_NEAR(v[i], want[i], 0);
    jitrl_free(v);
    CHECK_MSG(grew < 8 * 1024, "reading the scores raised the peak by %ld KB", grew);
    CHECK_INT(jitrl_memory_scores(mem, NULL, &v, &n), JITRL_OK);
    CHECK_INT(n, EPISODES);
    jitrl_free(v);
    CHECK_INT(jitrl_memory_scores(mem, "absent", &v, &n), JITRL_OK);
    CHECK(n == 0 && v == NULL);
    CHECK_INT(jitrl_memory_scores(mem, "game", NULL, &n), JITRL_EINVAL);

    /* the old way, as a reference: the export in RAM holds every state */
    before = peak_kb();
    char *dump = NULL;
    size_t dlen = 0;
    FILE *f = open_memstream(&dump, &dlen);
    CHECK_INT(jitrl_memory_export_cb(mem, to_mem, f, 0, NULL), JITRL_OK);
    fclose(f);
    long grew_export = peak_kb() - before;
    CHECK_MSG(grew_export > (long)(EPISODES * (BIG / 1024) / 2), "the export raised the peak by only %ld KB",
              grew_export);
    printf("FIGURE resume read: scores +%ld KB peak, export +%ld KB peak (%zu bytes of export)\n", grew,
           grew_export, dlen);
    free(dump);
    jitrl_memory_close(mem);

    /* a non-numeric score of the task is an error naming the episode */
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, "UPDATE episodes SET score = 'lots' WHERE id = 2", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    jitrl_memory_options mo;
    jitrl_memory_options_init(&mo);
    mo.read_only = 1;
    int orc = jitrl_memory_open(path, &mo, &mem, err, sizeof err);
    printf("a bad score row is refused %s\n", orc == JITRL_OK ? "by jitrl_memory_scores" : "at open");
    if (orc == JITRL_OK) {
        CHECK_INT(jitrl_memory_scores(mem, "game", &v, &n), JITRL_ECORRUPT);
        CHECK(v == NULL && n == 0);
        CHECK_MSG(strstr(jitrl_memory_errmsg(mem), "episode 2") != NULL, "%s", jitrl_memory_errmsg(mem));
        jitrl_memory_close(mem);
    } else {
        /* opening already refuses the bad row: also an error, not a 0 */
        CHECK_INT(orc, JITRL_ECORRUPT);
    }
    return tu_done();
}
