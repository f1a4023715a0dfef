/*
** optrace.c -- per-op training traces: rows, append API, CSV import/export.
**
** The CSV reader loads the whole file into one buffer, splits it into lines
** and fields in place and converts with strtol/strtod, so an 8.8 MB trace
** reads in a few tens of milliseconds. Every error names the file and the
** 1-based line. The writer prints times as the shortest decimal string that
** reads back to the same double (the format of the upstream CSVs), so a trace
** read and written again is byte-identical when it was written that way.
*/
#include "optrace.h"
#include "errmsg.h"
#include "numparse.h"
#include "readfile.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OPTRACE_N_COLS 11
static const char CSV_HEADER[] =
    "dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,mc,mb_id,gmc";
static const char *const COL_NAMES[OPTRACE_N_COLS] = {
    "dp_rank", "stage", "rank", "step", "optype", "start_ts",
    "duration", "seq_id", "mc", "mb_id", "gmc"};

static const char *const TYPE_NAMES[OPTRACE_N_TYPES] = {
    [OPTRACE_FORWARD_COMPUTE] = "forward-compute",
    [OPTRACE_BACKWARD_COMPUTE] = "backward-compute",
    [OPTRACE_OPTIMIZER] = "optimizer",
    [OPTRACE_GC] = "gc",
    [OPTRACE_FORWARD_SEND] = "forward-send",
    [OPTRACE_FORWARD_RECV] = "forward-recv",
    [OPTRACE_BACKWARD_SEND] = "backward-send",
    [OPTRACE_BACKWARD_RECV] = "backward-recv",
    [OPTRACE_PARAMS_ALL_GATHER] = "params-all-gather",
    [OPTRACE_GRADS_REDUCE_SCATTER] = "grads-reduce-scatter",
    [OPTRACE_SEPARATE_GRADS_ALL_REDUCE] = "separate-grads-all-reduce",
    [OPTRACE_LAYERNORM_GRADS_ALL_REDUCE] = "layernorm-grads-all-reduce",
    [OPTRACE_EMBEDDING_GRADS_ALL_REDUCE] = "embedding-grads-all-reduce",
    [OPTRACE_OPTIMIZER_CLIP_MAIN_GRAD] = "optimizer-clip-main-grad",
    [OPTRACE_WEIGHT_COMPUTE] = "weight-compute",
};

/* Room for the plain-notation form of any double: 309 integer digits or
** 323 leading fractional zeros plus 17 significant digits, sign, point, NUL. */
#define NUM_BUF 400

/* ---- op types ---------------------------------------------------------- */

const char *optrace_type_name(optrace_type type)
{
    return (unsigned)type < OPTRACE_N_TYPES ? TYPE_NAMES[type] : "?";
}

int optrace_type_from_name(const char *name, size_t len)
{
    for (int t = 0; t < OPTRACE_N_TYPES; t++)
        if (strlen(TYPE_NAMES[t]) == len && !memcmp(TYPE_NAMES[t], name, len)) return t;
    return -1;
}

int optrace_type_is_compute(optrace_type type)
{
    return type == OPTRACE_FORWARD_COMPUTE || type == OPTRACE_BACKWARD_COMPUTE ||
           type == OPTRACE_WEIGHT_COMPUTE || type == OPTRACE_OPTIMIZER || type == OPTRACE_GC;
}

/* ---- the trace --------------------------------------------------------- */

optrace *optrace_new(void)
{
    return calloc(1, sizeof(optrace));
}

void optrace_free(optrace *t)
{
    if (!t) return;
    free(t->rows);
    free(t->source);
    free(t);
}

/* The invariants of the header; a message without location in 'err'. */
static int check_row(const optrace_row *r, char *err, size_t err_len)
{
    const struct { const char *name; int32_t v, min; } ids[] = {
        {"dp_rank", r->dp_rank, 0}, {"stage", r->stage, 0}, {"rank", r->rank, 0},
        {"step", r->step, 0},       {"seq_id", r->seq_id, 0}, {"mc", r->mc, -1},
        {"mb_id", r->mb_id, -1},    {"gmc", r->gmc, -1}};
    if ((unsigned)r->type >= OPTRACE_N_TYPES) {
        errmsg_set(err, err_len, "op type %d is out of range", (int)r->type);
        return -1;
    }
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        if (ids[i].v < ids[i].min) {
            errmsg_set(err, err_len, "%s %d is below %d", ids[i].name, (int)ids[i].v,
                    (int)ids[i].min);
            return -1;
        }
    if (!isfinite(r->start_s)) {
        errmsg_set(err, err_len, "start time is not finite");
        return -1;
    }
    if (!isfinite(r->duration_s) || r->duration_s < 0) {
        errmsg_set(err, err_len, "negative or non-finite duration %g", r->duration_s);
        return -1;
    }
    return 0;
}

/* Makes room for one more row; -1 if out of memory. */
static int grow(optrace *t)
{
    if (t->n_rows < t->cap_rows) return 0;
    size_t cap = t->cap_rows ? 2 * t->cap_rows : 1024;
    optrace_row *rows = realloc(t->rows, cap * sizeof *rows);
    if (!rows) return -1;
    t->rows = rows;
    t->cap_rows = cap;
    return 0;
}

int optrace_add(optrace *t, const optrace_row *row, char *err, size_t err_len)
{
    if (check_row(row, err, err_len)) return -1;
    if (grow(t)) {
        errmsg_set(err, err_len, "out of memory");
        return -1;
    }
    t->rows[t->n_rows++] = *row;
    return 0;
}

/* Order of optrace_assign_seq_ids: step, worker, type, start, append index. */
static int cmp_seq(const void *a, const void *b)
{
    const optrace_row *x = *(const optrace_row *const *)a, *y = *(const optrace_row *const *)b;
    if (x->step != y->step) return x->step < y->step ? -1 : 1;
    if (x->dp_rank != y->dp_rank) return x->dp_rank < y->dp_rank ? -1 : 1;
    if (x->stage != y->stage) return x->stage < y->stage ? -1 : 1;
    if (x->type != y->type) return x->type < y->type ? -1 : 1;
    if (x->start_s != y->start_s) return x->start_s < y->start_s ? -1 : 1;
    return (x > y) - (x < y);
}

int optrace_assign_seq_ids(optrace *t)
{
    optrace_row **by = malloc((t->n_rows + 1) * sizeof *by);
    if (!by) return -1;
    for (size_t i = 0; i < t->n_rows; i++) by[i] = &t->rows[i];
    qsort(by, t->n_rows, sizeof *by, cmp_seq);
    for (size_t i = 0; i < t->n_rows; i++) {
        const optrace_row *p = i ? by[i - 1] : NULL, *r = by[i];
        int same = p && p->step == r->step && p->dp_rank == r->dp_rank &&
                   p->stage == r->stage && p->type == r->type;
        by[i]->seq_id = same ? p->seq_id + 1 : 0;
    }
    free(by);
    return 0;
}

/* ---- CSV import -------------------------------------------------------- */

/* No per-op trace line comes near this; /dev/zero has no newline. */
#define OPTRACE_MAX_LINE_BYTES ((size_t)1 << 20)

/* Field 'col' as an int32; -1 with "column NAME: ..." in 'err'. */
static int parse_int(const char *s, int col, int32_t *out, char *err, size_t err_len)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || !(isdigit((unsigned char)s[0]) || s[0] == '-')) {
        errmsg_set(err, err_len, "column %s: '%s' is not an integer", COL_NAMES[col], s);
        return -1;
    }
    if (errno == ERANGE || v < INT32_MIN || v > INT32_MAX) {
        errmsg_set(err, err_len, "column %s: %s is out of range", COL_NAMES[col], s);
        return -1;
    }
    *out = (int32_t)v;
    return 0;
}

/* Field 'col' as a finite double; -1 with "column NAME: ..." in 'err'. */
static int parse_num(const char *s, int col, double *out, char *err, size_t err_len)
{
    double v;
    if (num_parse_decimal(s, &v)) {
        errmsg_set(err, err_len, "column %s: '%s' is not a finite number", COL_NAMES[col], s);
        return -1;
    }
    *out = v;
    return 0;
}

/* Parses one data line (NUL-terminated, commas replaced in place) into 'r'. */
static int parse_line(char *line, optrace_row *r, char *err, size_t err_len)
{
    char *f[OPTRACE_N_COLS];
    int n = 0;
    for (char *p = line;; p++) {
        if (n < OPTRACE_N_COLS) f[n] = p;
        n++;
        p = strchr(p, ',');
        if (!p) break;
        *p = '\0';
    }
    if (n != OPTRACE_N_COLS) {
        errmsg_set(err, err_len, "expected %d columns, found %d", OPTRACE_N_COLS, n);
        return -1;
    }
    int32_t *ints[OPTRACE_N_COLS] = {&r->dp_rank, &r->stage, &r->rank, &r->step, NULL,
                                     NULL, NULL, &r->seq_id, &r->mc, &r->mb_id, &r->gmc};
    for (int c = 0; c < OPTRACE_N_COLS; c++)
        if (ints[c] && parse_int(f[c], c, ints[c], err, err_len)) return -1;
    int type = optrace_type_from_name(f[4], strlen(f[4]));
    if (type < 0) {
        errmsg_set(err, err_len, "column optype: unknown op type '%s'", f[4]);
        return -1;
    }
    r->type = (optrace_type)type;
    if (parse_num(f[5], 5, &r->start_s, err, err_len) ||
        parse_num(f[6], 6, &r->duration_s, err, err_len))
        return -1;
    if (r->duration_s < 0) {
        errmsg_set(err, err_len, "column duration: negative duration %s", f[6]);
        return -1;
    }
    return check_row(r, err, err_len);
}

optrace *optrace_load_csv(const char *path, char *err, size_t err_len)
{
    char msg[256];
    size_t len = 0;
    readfile_status why;
    char *buf = readfile(path, 0, OPTRACE_MAX_LINE_BYTES, &len, &why);
    optrace *t = NULL;
    if (!buf) {
        if (why == READFILE_LONG_LINE)
            errmsg_set(err, err_len, "%s: a line longer than %zu MiB: not a per-op trace", path,
                       OPTRACE_MAX_LINE_BYTES >> 20);
        else
            errmsg_set(err, err_len, "%s: %s", path, strerror(errno));
        return NULL;
    }
    t = optrace_new();
    if (!t || !(t->source = strdup(path))) goto oom;
    char *p = buf, *end = buf + len;
    for (int32_t lineno = 1; p < end; lineno++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl ? nl : end;
        if (eol > p && eol[-1] == '\r') eol--; /* tolerate CRLF */
        *eol = '\0';
        if (lineno == 1) {
            num_strip_bom(p);
            if (strcmp(p, CSV_HEADER)) {
                errmsg_set(err, err_len, "%s:1: missing header: expected '%s'", path, CSV_HEADER);
                goto fail;
            }
        } else {
            optrace_row r = {.line = lineno};
            if (parse_line(p, &r, msg, sizeof msg)) {
                errmsg_set(err, err_len, "%s:%d: %s", path, (int)lineno, msg);
                goto fail;
            }
            if (grow(t)) goto oom;
            t->rows[t->n_rows++] = r;
        }
        p = nl ? nl + 1 : end;
    }
    if (len == 0) {
        errmsg_set(err, err_len, "%s:1: missing header: the file is empty", path);
        goto fail;
    }
    free(buf);
    return t;
oom:
    errmsg_set(err, err_len, "%s: out of memory", path);
fail:
    free(buf);
    optrace_free(t);
    return NULL;
}

/* ---- CSV export -------------------------------------------------------- */

/* Shortest round-trip digits of 'x' in plain notation. The number of
** significant digits is found by bisection over 1..17: if p digits (correctly
** rounded, as printf does) read back to x, so do p+1. */
int optrace_format_double(double x, char *buf, size_t buf_len)
{
    char e[40];
    if (x == 0) return snprintf(buf, buf_len, "0");
    int lo = 1, hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(e, sizeof e, "%.*e", mid - 1, x);
        if (strtod(e, NULL) == x) hi = mid;
        else lo = mid + 1;
    }
    snprintf(e, sizeof e, "%.*e", lo - 1, x);
    /* e is [-]d[.ddd]e[+-]XX: collect the digits and the decimal exponent */
    char dig[20];
    int nd = 0, neg = e[0] == '-';
    const char *q = e + neg;
    for (; *q && *q != 'e'; q++)
        if (*q != '.') dig[nd++] = *q;
    int exp10 = atoi(q + 1);
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    char tmp[NUM_BUF];
    int k = 0;
    if (neg) tmp[k++] = '-';
    if (exp10 < 0) {
        tmp[k++] = '0';
        tmp[k++] = '.';
        for (int i = 0; i < -exp10 - 1; i++) tmp[k++] = '0';
        for (int i = 0; i < nd; i++) tmp[k++] = dig[i];
    } else {
        for (int i = 0; i <= exp10; i++) tmp[k++] = i < nd ? dig[i] : '0';
        if (nd > exp10 + 1) {
            tmp[k++] = '.';
            for (int i = exp10 + 1; i < nd; i++) tmp[k++] = dig[i];
        }
    }
    tmp[k] = '\0';
    return snprintf(buf, buf_len, "%s", tmp);
}

int optrace_write_csv(const optrace *t, FILE *out)
{
    char a[NUM_BUF], b[NUM_BUF];
    if (fprintf(out, "%s\n", CSV_HEADER) < 0) return -1;
    for (size_t i = 0; i < t->n_rows; i++) {
        const optrace_row *r = &t->rows[i];
        optrace_format_double(r->start_s, a, sizeof a);
        optrace_format_double(r->duration_s, b, sizeof b);
        if (fprintf(out, "%d,%d,%d,%d,%s,%s,%s,%d,%d,%d,%d\n", (int)r->dp_rank,
                    (int)r->stage, (int)r->rank, (int)r->step, optrace_type_name(r->type), a,
                    b, (int)r->seq_id, (int)r->mc, (int)r->mb_id, (int)r->gmc) < 0)
            return -1;
    }
    return 0;
}

int optrace_save_csv(const optrace *t, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        errmsg_set(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = optrace_write_csv(t, f);
    if (fclose(f) != 0 || rc != 0) {
        errmsg_set(err, err_len, "%s: write failed", path);
        return -1;
    }
    return 0;
}
