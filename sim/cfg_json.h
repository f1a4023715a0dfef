/*
** cfg_json.h -- strict, path-aware reading of JSON config objects (pure layer).
**
** Owns: loading a JSON file with line:column parse errors, and typed reads of
** object members that remember which keys were read, so that cfgj_close()
** can reject unknown keys. Every error names the file and the JSON path
** ("configs/x.json: $.parallel.tp: expected an integer >= 1, got -2").
** It does not know what any key means: the section parsers (cfg.c and the
** modules that own a config section) call it.
**
** Usage: cfgj_open() an object, read members with cfgj_num/int/str/bool/enum
** /obj/arr, then cfgj_close(), which fails on members nobody read. All reads
** return 0 or -1; after the first -1 the error struct holds the message and
** later calls keep returning -1 (so a parser may check once at the end).
*/
#ifndef DTSIM_CFG_JSON_H
#define DTSIM_CFG_JSON_H

#include <cJSON.h>
#include <stddef.h>

#define CFGJ_PATH_MAX 256
#define CFGJ_FILE_MAX 512

typedef struct {
    int failed;                   /* 1 once an error was recorded */
    char file[CFGJ_FILE_MAX];     /* file the offending value came from */
    char path[CFGJ_PATH_MAX];     /* JSON path, "$.a.b[3]" */
    char msg[512];                /* what is wrong */
} cfg_error;

/* One JSON object being read. */
typedef struct {
    const cJSON *json;            /* the object (borrowed) */
    const char *file;             /* its file (borrowed), for messages */
    char path[CFGJ_PATH_MAX];
    cfg_error *err;
    unsigned char *used;          /* [n members] read flags */
    int n;
} cfgj_obj;

/* "file: $.path: message" into buf. */
void cfg_error_format(const cfg_error *e, char *buf, size_t len);
/* Record an error (first one wins). Returns -1 for `return cfg_fail(...)`. */
int cfg_fail(cfg_error *e, const char *file, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parse the JSON file 'path'. Returns a tree the caller frees with
** cJSON_Delete, or NULL with err set ("file:line:col: malformed JSON ..."). */
cJSON *cfgj_load_file(const char *path, cfg_error *err);
/* Parse a JSON text (a --set value): NULL if it is not valid JSON. */
cJSON *cfgj_parse_value(const char *text);

/* Start reading 'json' (must be an object) found at 'path' in 'file'. */
int cfgj_open(cfgj_obj *o, const cJSON *json, const char *file, const char *path, cfg_error *err);
/* Fail on unread members ("unknown key 'x'; known keys: ..." when 'known'
** is given), then release. Safe to call after a failure (just releases). */
int cfgj_close(cfgj_obj *o, const char *known);
/* Release without checking (error paths). */
void cfgj_release(cfgj_obj *o);

/* Is the member present (and not JSON null)? Marks it read. */
int cfgj_has(cfgj_obj *o, const char *key);

/* Numbers. A missing member takes 'def' unless 'required'. The value must lie
** in [min, max] (use -INFINITY/INFINITY for open ends; cfgj_pos for > 0). */
int cfgj_num(cfgj_obj *o, const char *key, double *out, double def, int required,
             double min, double max);
int cfgj_pos(cfgj_obj *o, const char *key, double *out, double def, int required); /* > 0 */
int cfgj_nonneg(cfgj_obj *o, const char *key, double *out, double def, int required); /* >= 0 */
/* After 'key' was read into v by one of the above: a nonzero v must also lie
** in [min, max] ("must be between"); 0 or -1. For a sign check with its own
** message ("must be > 0") and a plausible range. */
int cfgj_check_range(cfgj_obj *o, const char *key, double v, double min, double max);
int cfgj_int(cfgj_obj *o, const char *key, long *out, long def, int required, long min, long max);
int cfgj_bool(cfgj_obj *o, const char *key, int *out, int def);
/* String copied into buf (error if longer than len-1). */
int cfgj_str(cfgj_obj *o, const char *key, char *buf, size_t len, const char *def, int required);
/* String that must be one of names[0..n-1]; *out = its index. */
int cfgj_enum(cfgj_obj *o, const char *key, const char *const *names, int n, int *out,
              int def, int required);
/* Member that must be an object: opens 'child' on it. Returns 1 if opened,
** 0 if absent and not required, -1 on error. */
int cfgj_obj_member(cfgj_obj *o, const char *key, cfgj_obj *child, int required);
/* Member that must be an array: *arr = the array (borrowed), *path_out =
** its path. Returns 1, 0 if absent and not required, -1 on error. */
int cfgj_arr_member(cfgj_obj *o, const char *key, const cJSON **arr, char *path_out,
                    size_t path_len, int required);
/* The raw member (borrowed) marked read, or NULL if absent. */
const cJSON *cfgj_raw(cfgj_obj *o, const char *key);
/* Child path: "<o->path>.<key>" into buf. */
void cfgj_child_path(const cfgj_obj *o, const char *key, char *buf, size_t len);

#endif
