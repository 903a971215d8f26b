/*
 * memory_int.h -- private to memory.c and memory_io.c: the jitrl_memory
 * handle and the helpers the two files share.
 */
#ifndef JR_MEMORY_INT_H
#define JR_MEMORY_INT_H

#include <sqlite3.h>

#include "engine/mem_int.h"

struct jitrl_memory {
    sqlite3 *db;
    int read_only;
    char err[512];
    jitrl_field_spec spec[JITRL_MAX_FIELDS];   /* names point into ix.names */
    size_t n_spec;
    mem_index ix;
    int ix_ok;                 /* 0 after a failed rebuild: decide/add refuse */
    int64_t max_episode;       /* highest episode id indexed (for refresh) */
    sqlite3_stmt *ins_ep, *ins_step;
    jr_buf sbuf;               /* scratch: the state JSON being inserted */
};

int mem_db_err(jitrl_memory *mem, const char *what);
int mem_exec(jitrl_memory *mem, const char *sql);
int mem_query_int(jitrl_memory *mem, const char *sql, int64_t dflt, int64_t *out);
int mem_load(jitrl_memory *mem, int64_t after);
int mem_rebuild(jitrl_memory *mem);
const char *mem_clean_text(const char *s, char **tmp);
int mem_check_steps(jitrl_memory *mem, const jitrl_step *steps, size_t n);
/* Insert one episode with the given returns, in one transaction, and index
 * it.  want_id > 0 asks for that episode id (the caller checked it is free). */
int mem_insert_episode(jitrl_memory *mem, const jitrl_episode_info *info, const jitrl_step *steps, size_t n,
                       double gamma, const double *ret, int64_t want_id, int64_t *episode_id);

#endif
