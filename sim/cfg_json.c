/*
** cfg_json.c -- strict, path-aware reading of JSON config objects (pure layer).
*/
#include "cfg_json.h"
#include "numparse.h"
#include "readfile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cfg_error_format(const cfg_error *e, char *buf, size_t len)
{
    if (e->path[0])
        snprintf(buf, len, "%s: %s: %s", e->file[0] ? e->file : "<config>", e->path, e->msg);
    else
        snprintf(buf, len, "%s: %s", e->file[0] ? e->file : "<config>", e->msg);
}

int cfg_fail(cfg_error *e, const char *file, const char *path, const char *fmt, ...)
{
    if (!e || e->failed) return -1;
    e->failed = 1;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    snprintf(e->path, sizeof e->path, "%s", path ? path : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- files ------------------------------------------------------------ */

/* No config comes near this. */
#define CFGJ_MAX_FILE_BYTES ((size_t)64 << 20)

cJSON *cfgj_load_file(const char *path, cfg_error *err)
{
    size_t len = 0;
    readfile_status why;
    char *text = readfile(path, CFGJ_MAX_FILE_BYTES, 0, &len, &why);
    if (!text) {
        if (why == READFILE_TOO_BIG)
            cfg_fail(err, path, "", "cannot read file: larger than %zu MiB, not a config",
                     CFGJ_MAX_FILE_BYTES >> 20);
        else
            cfg_fail(err, path, "", "cannot read file: %s", strerror(errno));
        return NULL;
    }
    if (len == strspn(text, " \t\r\n")) {
        cfg_fail(err, path, "", "the file is empty (expected a JSON object)");
        free(text);
        return NULL;
    }
    const char *end = NULL;
    cJSON *json = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!json) {
        /* turn the failure position into line:column */
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        int line = 1, col = 1;
        for (size_t i = 0; i < off && i < len; i++) {
            if (text[i] == '\n') { line++; col = 1; }
            else col++;
        }
        char near[24] = "";
        if (off < len) {
            size_t k = 0;
            for (size_t i = off; i < len && k < 16 && text[i] != '\n'; i++) near[k++] = text[i];
            near[k] = 0;
        }
        cfg_fail(err, path, "", "malformed JSON at line %d, column %d%s%s%s", line, col,
                 near[0] ? " (near '" : " (unexpected end of file", near, near[0] ? "')" : ")");
    }
    free(text);
    return json;
}

cJSON *cfgj_parse_value(const char *text)
{
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithOpts(text, &end, 1);
    return v;
}

/* ---- objects ---------------------------------------------------------- */

static const char *type_name(const cJSON *v)
{
    if (!v) return "nothing";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "an unknown value";
}

void cfgj_child_path(const cfgj_obj *o, const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "%s.%s", o->path, key);
}

int cfgj_open(cfgj_obj *o, const cJSON *json, const char *file, const char *path, cfg_error *err)
{
    memset(o, 0, sizeof *o);
    o->json = json;
    o->file = file;
    o->err = err;
    snprintf(o->path, sizeof o->path, "%s", path);
    if (err->failed) return -1;
    if (!cJSON_IsObject(json))
        return cfg_fail(err, file, path, "expected an object, got %s", type_name(json));
    o->n = cJSON_GetArraySize(json);
    o->used = calloc(o->n > 0 ? (size_t)o->n : 1, 1);
    if (!o->used) return cfg_fail(err, file, path, "out of memory");
    return 0;
}

void cfgj_release(cfgj_obj *o)
{
    free(o->used);
    o->used = NULL;
}

int cfgj_close(cfgj_obj *o, const char *known)
{
    int rc = o->err->failed ? -1 : 0;
    if (rc == 0 && o->used) {
        int i = 0;
        for (const cJSON *c = o->json->child; c; c = c->next, i++) {
            if (o->used[i]) continue;
            char p[CFGJ_PATH_MAX];
            cfgj_child_path(o, c->string ? c->string : "?", p, sizeof p);
            if (known)
                rc = cfg_fail(o->err, o->file, p, "unknown key '%s' (known keys: %s)",
                              c->string ? c->string : "?", known);
            else
                rc = cfg_fail(o->err, o->file, p, "unknown key '%s'", c->string ? c->string : "?");
            break;
        }
    }
    cfgj_release(o);
    return rc;
}

/* Find member 'key' (case-sensitive), mark it read. NULL if absent. */
static const cJSON *member(cfgj_obj *o, const char *key)
{
    if (!o->used) return NULL;
    int i = 0;
    for (const cJSON *c = o->json->child; c; c = c->next, i++)
        if (c->string && strcmp(c->string, key) == 0) {
            o->used[i] = 1;
            return c;
        }
    return NULL;
}

const cJSON *cfgj_raw(cfgj_obj *o, const char *key) { return member(o, key); }

int cfgj_has(cfgj_obj *o, const char *key)
{
    const cJSON *v = member(o, key);
    return v && !cJSON_IsNull(v);
}

static int missing(cfgj_obj *o, const char *key)
{
    char p[CFGJ_PATH_MAX];
    cfgj_child_path(o, key, p, sizeof p);
    return cfg_fail(o->err, o->file, p, "missing required key '%s'", key);
}

static int wrong(cfgj_obj *o, const char *key, const char *want, const cJSON *v)
{
    char p[CFGJ_PATH_MAX];
    cfgj_child_path(o, key, p, sizeof p);
    if (cJSON_IsString(v))
        return cfg_fail(o->err, o->file, p, "expected %s, got the string \"%s\"", want,
                        v->valuestring);
    /* cJSON reads 1e999 as inf */
    if (cJSON_IsNumber(v) && !isfinite(v->valuedouble))
        return cfg_fail(o->err, o->file, p, "expected %s, got a number out of range (beyond "
                        "+-1.8e308)", want);
    if (cJSON_IsNumber(v))
        return cfg_fail(o->err, o->file, p, "expected %s, got %.15g", want, v->valuedouble);
    return cfg_fail(o->err, o->file, p, "expected %s, got %s", want, type_name(v));
}

int cfgj_num(cfgj_obj *o, const char *key, double *out, double def, int required,
             double min, double max)
{
    if (o->err->failed) return -1;
    const cJSON *v = member(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return missing(o, key);
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return wrong(o, key, "a number", v);
    double x = v->valuedouble;
    if (x < min || x > max) {
        char p[CFGJ_PATH_MAX];
        cfgj_child_path(o, key, p, sizeof p);
        if (isinf(max))
            return cfg_fail(o->err, o->file, p, "must be >= %g, got %s", min, num_text(x).s);
        if (isinf(min))
            return cfg_fail(o->err, o->file, p, "must be <= %g, got %s", max, num_text(x).s);
        return cfg_fail(o->err, o->file, p, "must be between %g and %g, got %s", min, max,
                        num_text(x).s);
    }
    *out = x;
    return 0;
}

int cfgj_pos(cfgj_obj *o, const char *key, double *out, double def, int required)
{
    if (cfgj_num(o, key, out, def, required, -INFINITY, INFINITY)) return -1;
    if (*out <= 0 && (required || cfgj_has(o, key))) {
        char p[CFGJ_PATH_MAX];
        cfgj_child_path(o, key, p, sizeof p);
        return cfg_fail(o->err, o->file, p, "must be > 0, got %s", num_text(*out).s);
    }
    return 0;
}

int cfgj_nonneg(cfgj_obj *o, const char *key, double *out, double def, int required)
{
    return cfgj_num(o, key, out, def, required, 0, INFINITY);
}

int cfgj_check_range(cfgj_obj *o, const char *key, double v, double min, double max)
{
    if (o->err->failed) return -1;
    if (v == 0 || (v >= min && v <= max)) return 0;
    char p[CFGJ_PATH_MAX];
    cfgj_child_path(o, key, p, sizeof p);
    return cfg_fail(o->err, o->file, p, "must be between %g and %g, got %s", min, max,
                    num_text(v).s);
}

int cfgj_int(cfgj_obj *o, const char *key, long *out, long def, int required, long min, long max)
{
    if (o->err->failed) return -1;
    const cJSON *v = member(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return missing(o, key);
        *out = def;
        return 0;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
        fabs(v->valuedouble) > 9e15)
        return wrong(o, key, "an integer", v);
    long x = (long)v->valuedouble;
    if (x < min || x > max) {
        char p[CFGJ_PATH_MAX];
        cfgj_child_path(o, key, p, sizeof p);
        if (max == __LONG_MAX__)
            return cfg_fail(o->err, o->file, p, "must be an integer >= %ld, got %ld", min, x);
        return cfg_fail(o->err, o->file, p, "must be an integer between %ld and %ld, got %ld",
                        min, max, x);
    }
    *out = x;
    return 0;
}

int cfgj_bool(cfgj_obj *o, const char *key, int *out, int def)
{
    if (o->err->failed) return -1;
    const cJSON *v = member(o, key);
    if (!v || cJSON_IsNull(v)) {
        *out = def;
        return 0;
    }
    if (!cJSON_IsBool(v)) return wrong(o, key, "true or false", v);
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return 0;
}

int cfgj_str(cfgj_obj *o, const char *key, char *buf, size_t len, const char *def, int required)
{
    if (o->err->failed) return -1;
    const cJSON *v = member(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return missing(o, key);
        snprintf(buf, len, "%s", def ? def : "");
        return 0;
    }
    if (!cJSON_IsString(v)) return wrong(o, key, "a string", v);
    if (strlen(v->valuestring) >= len) {
        char p[CFGJ_PATH_MAX];
        cfgj_child_path(o, key, p, sizeof p);
        return cfg_fail(o->err, o->file, p, "string too long (max %zu characters)", len - 1);
    }
    snprintf(buf, len, "%s", v->valuestring);
    return 0;
}

int cfgj_enum(cfgj_obj *o, const char *key, const char *const *names, int n, int *out,
              int def, int required)
{
    char s[64];
    if (cfgj_str(o, key, s, sizeof s, NULL, required)) return -1;
    if (!s[0] && !required && !cfgj_has(o, key)) {
        *out = def;
        return 0;
    }
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return 0;
        }
    char list[512] = "";
    size_t used = 0;
    for (int i = 0; i < n && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    char p[CFGJ_PATH_MAX];
    cfgj_child_path(o, key, p, sizeof p);
    return cfg_fail(o->err, o->file, p, "unknown value \"%s\" (expected one of: %s)", s, list);
}

int cfgj_obj_member(cfgj_obj *o, const char *key, cfgj_obj *child, int required)
{
    memset(child, 0, sizeof *child);
    if (o->err->failed) return -1;
    const cJSON *v = member(o, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return missing(o, key);
        return 0;
    }
    char p[CFGJ_PATH_MAX];
    cfgj_child_path(o, key, p, sizeof p);
    return cfgj_open(child, v, o->file, p, o->err) == 0 ? 1 : -1;
}

int cfgj_arr_member(cfgj_obj *o, const char *key, const cJSON **arr, char *path_out,
                    size_t path_len, int required)
{
    *arr = NULL;
    if (o->err->failed) return -1;
    const cJSON *v = member(o, key);
    cfgj_child_path(o, key, path_out, path_len);
    if (!v || cJSON_IsNull(v)) {
        if (required) return missing(o, key);
        return 0;
    }
    if (!cJSON_IsArray(v)) return wrong(o, key, "an array", v);
    *arr = v;
    return 1;
}
