/*
** test_optrace.c -- per-op traces: append API, CSV import errors, CSV export.
**
** Expected values: the CSV format of traces/stragglers/README.md (upstream
** ByteDance-Seed/StragglerAnalysis sample traces, written as shortest
** round-trip decimals, so export must reproduce them byte for byte), and
** the 1-based line numbers of the small bad files written here.
*/
#include "testlib.h"
#include "optrace.h"

#include <gsl/gsl_rng.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char HEADER[] =
    "dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,mc,mb_id,gmc\n";

/* Writes 'text' to a new temp file whose name goes to 'path'. */
static void write_temp(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/dtsim_test_optrace_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_type_names(void **state)
{
    (void)state;
    for (int t = 0; t < OPTRACE_N_TYPES; t++) {
        const char *n = optrace_type_name((optrace_type)t);
        assert_int_equal(optrace_type_from_name(n, strlen(n)), t);
    }
    assert_string_equal(optrace_type_name(OPTRACE_WEIGHT_COMPUTE), "weight-compute");
    assert_string_equal(optrace_type_name(OPTRACE_GRADS_REDUCE_SCATTER), "grads-reduce-scatter");
    assert_int_equal(optrace_type_from_name("forward-computeX", 15), OPTRACE_FORWARD_COMPUTE);
    assert_int_equal(optrace_type_from_name("forward", 7), -1);
    assert_string_equal(optrace_type_name(OPTRACE_N_TYPES), "?");
    /* upstream aggregates these with the mean, the rest with the median */
    assert_true(optrace_type_is_compute(OPTRACE_GC));
    assert_true(optrace_type_is_compute(OPTRACE_WEIGHT_COMPUTE));
    assert_false(optrace_type_is_compute(OPTRACE_LAYERNORM_GRADS_ALL_REDUCE));
    assert_false(optrace_type_is_compute(OPTRACE_FORWARD_SEND));
}

/* Shortest round trip in plain notation (README "Numbers"). */
static void test_format_double(void **state)
{
    (void)state;
    static const struct { double x; const char *s; } cases[] = {
        {0, "0"},
        {0.25, "0.25"},
        {0.1, "0.1"},
        {12, "12"},
        {-2.5, "-2.5"},
        {1.25e-5, "0.0000125"},
        {1e21, "1000000000000000000000"},
        {0.8486716747283936, "0.8486716747283936"}, /* trace-ST.csv line 2 */
        {1.0 / 3, "0.3333333333333333"},
    };
    char buf[400];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        optrace_format_double(cases[i].x, buf, sizeof buf);
        assert_string_equal(buf, cases[i].s);
    }
    /* random doubles over many magnitudes read back exactly (seeded) */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    for (int i = 0; i < 20000; i++) {
        double x = gsl_rng_uniform(rng) * pow(10, (int)gsl_rng_uniform_int(rng, 40) - 20);
        int n = optrace_format_double(x, buf, sizeof buf);
        assert_int_equal(n, (int)strlen(buf));
        assert_null(strchr(buf, 'e'));
        assert_true(strtod(buf, NULL) == x);
    }
    gsl_rng_free(rng);
    /* the smallest subnormal still fits the documented 400 bytes */
    assert_true(optrace_format_double(4.9406564584124654e-324, buf, sizeof buf) < 400);
    assert_true(strtod(buf, NULL) == 4.9406564584124654e-324);
}

static void test_add_checks(void **state)
{
    (void)state;
    char err[256];
    optrace *t = optrace_new();
    optrace_row r = {.type = OPTRACE_GC, .mc = -1, .mb_id = 0, .gmc = -1, .duration_s = 0};
    assert_int_equal(optrace_add(t, &r, err, sizeof err), 0);
    r.duration_s = -1;
    assert_int_equal(optrace_add(t, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "negative"));
    r.duration_s = 1;
    r.dp_rank = -1;
    assert_int_equal(optrace_add(t, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "dp_rank"));
    r.dp_rank = 0;
    r.mc = -2;
    assert_int_equal(optrace_add(t, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "mc"));
    r.mc = 0;
    r.start_s = NAN;
    assert_int_equal(optrace_add(t, &r, err, sizeof err), -1);
    r.start_s = 0;
    r.type = OPTRACE_N_TYPES;
    assert_int_equal(optrace_add(t, &r, err, sizeof err), -1);
    assert_int_equal(t->n_rows, 1);
    /* many appends grow the array */
    r.type = OPTRACE_FORWARD_COMPUTE;
    for (int i = 0; i < 5000; i++) {
        r.seq_id = i;
        assert_int_equal(optrace_add(t, &r, err, sizeof err), 0);
    }
    assert_int_equal(t->n_rows, 5001);
    assert_int_equal(t->rows[5000].seq_id, 4999);
    assert_int_equal(t->rows[5000].line, 0);
    optrace_free(t);
    optrace_free(NULL);
}

/* seq_id numbering: per (step, worker, type) in start order, append order
** on ties; rows keep their order. */
static void test_assign_seq_ids(void **state)
{
    (void)state;
    static const struct { int step, dp, stage; optrace_type type; double start; int want; } in[] = {
        {1, 0, 0, OPTRACE_FORWARD_COMPUTE, 3.0, 2},
        {1, 0, 0, OPTRACE_FORWARD_COMPUTE, 1.0, 0},
        {1, 0, 0, OPTRACE_BACKWARD_COMPUTE, 0.5, 0}, /* another type: own count */
        {1, 0, 0, OPTRACE_FORWARD_COMPUTE, 2.0, 1},
        {1, 1, 0, OPTRACE_FORWARD_COMPUTE, 0.0, 0},  /* another worker */
        {2, 0, 0, OPTRACE_FORWARD_COMPUTE, 9.0, 0},  /* another step */
        {1, 0, 0, OPTRACE_FORWARD_COMPUTE, 3.0, 3},  /* tie with row 0: after it */
        {1, 0, 1, OPTRACE_FORWARD_COMPUTE, 5.0, 0},  /* another stage */
    };
    char err[256];
    optrace *t = optrace_new();
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        optrace_row r = {.dp_rank = in[i].dp, .stage = in[i].stage, .step = in[i].step,
                         .type = in[i].type, .start_s = in[i].start, .duration_s = 1,
                         .seq_id = 77, .mc = 0, .mb_id = -1, .gmc = -1};
        assert_int_equal(optrace_add(t, &r, err, sizeof err), 0);
    }
    assert_int_equal(optrace_assign_seq_ids(t), 0);
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        assert_true(t->rows[i].start_s == in[i].start); /* order kept */
        assert_int_equal(t->rows[i].seq_id, in[i].want);
    }
    optrace_free(t);
}

/* Each kind of bad file: NULL and "PATH:LINE: ..." naming the problem. */
static void test_bad_files(void **state)
{
    (void)state;
    static const char good[] = "0,0,0,1,forward-compute,0.5,0.25,0,0,0,0\n";
    static const struct { const char *body; int line; const char *what; } cases[] = {
        {"", 1, "missing header"},
        {"0,0,0,1,forward-compute,0.5,0.25,0,0,0,0\n", 1, "missing header"},
        {"dp_rank,stage,rank,step,optype,start_ts,duration\n", 1, "missing header"},
        {"H0,0,0,1,forward-compute,0.5,0.25,0,0,0\n", 3, "expected 11 columns, found 10"},
        {"H0,0,0,1,forward-compute,0.5,0.25,0,0,0,0,7\n", 3, "found 12"},
        {"H\n", 3, "found 1"},
        {"H0,0,0,1,forward-comp,0.5,0.25,0,0,0,0\n", 3, "unknown op type 'forward-comp'"},
        {"H0,0,0,1,gc,abc,0,0,-1,0,-1\n", 3, "start_ts: 'abc' is not a finite number"},
        {"H0,0,0,1,gc,nan,0,0,-1,0,-1\n", 3, "start_ts"},
        {"H0,0,0,1,gc,1,0.5x,0,-1,0,-1\n", 3, "duration"},
        {"H0,0,0,1,gc,1,-0.5,0,-1,0,-1\n", 3, "negative duration -0.5"},
        {"H0,0,0,1.5,gc,1,0,0,-1,0,-1\n", 3, "step: '1.5' is not an integer"},
        {"H0,0,0,,gc,1,0,0,-1,0,-1\n", 3, "step"},
        {"H0,0,0,1,gc,1,0,99999999999,-1,0,-1\n", 3, "seq_id"},
        {"H-1,0,0,1,gc,1,0,0,-1,0,-1\n", 3, "dp_rank -1"},
        {"H" "0,0,0,1,gc,1,0,0,-1,0,-1\n" "0,0,0,1,gc,1,0,0,-1,0,-1,\n", 4, "found 12"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[512], path[64], err[512], want[128];
        const char *body = cases[i].body;
        if (body[0] == 'H') /* header, one good row, then the rest */
            snprintf(text, sizeof text, "%s%s%s", HEADER, good, body + 1);
        else
            snprintf(text, sizeof text, "%s", body);
        write_temp(path, sizeof path, text);
        optrace *t = optrace_load_csv(path, err, sizeof err);
        snprintf(want, sizeof want, "%s:%d: ", path, cases[i].line);
        if (t || strncmp(err, want, strlen(want)) || !strstr(err, cases[i].what)) {
            print_error("case %zu: got '%s', want '%s...%s'\n", i, t ? "(loaded)" : err, want,
                        cases[i].what);
            fail();
        }
        unlink(path);
    }
    char err[256];
    assert_null(optrace_load_csv("/nonexistent/x.csv", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/x.csv: "));
}

/* CRLF line ends and a missing final newline are accepted. */
static void test_line_ends(void **state)
{
    (void)state;
    char path[64], err[256], text[512];
    snprintf(text, sizeof text,
             "dp_rank,stage,rank,step,optype,start_ts,duration,seq_id,mc,mb_id,gmc\r\n"
             "0,1,4,9,backward-recv,1.5,0.125,3,-1,-1,-1\r\n"
             "0,1,4,9,weight-compute,2,0.5,0,0,0,1");
    write_temp(path, sizeof path, text);
    optrace *t = optrace_load_csv(path, err, sizeof err);
    if (!t) print_error("%s\n", err);
    assert_non_null(t);
    assert_int_equal(t->n_rows, 2);
    const optrace_row *r = &t->rows[0];
    assert_int_equal(r->stage, 1);
    assert_int_equal(r->rank, 4);
    assert_int_equal(r->step, 9);
    assert_int_equal(r->type, OPTRACE_BACKWARD_RECV);
    assert_true(r->start_s == 1.5 && r->duration_s == 0.125);
    assert_int_equal(r->seq_id, 3);
    assert_int_equal(r->mc, -1);
    assert_int_equal(r->line, 2);
    assert_int_equal(t->rows[1].type, OPTRACE_WEIGHT_COMPUTE);
    assert_int_equal(t->rows[1].line, 3);
    assert_string_equal(t->source, path);
    optrace_free(t);
    unlink(path);
}

/* trace-ST.csv read and written again is byte-identical (README: every
** time is the shortest round-trip decimal). */
static void test_export_identical(void **state)
{
    (void)state;
    char err[512], path[64];
    const char *src = TEST_PATH("traces/stragglers/trace-ST.csv");
    optrace *t = optrace_load_csv(src, err, sizeof err);
    if (!t) print_error("%s\n", err);
    assert_non_null(t);
    assert_int_equal(t->n_rows, 6784); /* README table */
    write_temp(path, sizeof path, "");
    assert_int_equal(optrace_save_csv(t, path, err, sizeof err), 0);
    FILE *a = fopen(src, "rb"), *b = fopen(path, "rb");
    assert_non_null(a);
    assert_non_null(b);
    long n = 0;
    int ca, cb;
    do {
        ca = fgetc(a);
        cb = fgetc(b);
        n++;
    } while (ca == cb && ca != EOF);
    if (ca != cb) print_error("files differ at byte %ld\n", n);
    assert_int_equal(ca, cb);
    fclose(a);
    fclose(b);
    unlink(path);
    optrace_free(t);
    assert_int_equal(optrace_save_csv(NULL, "/nonexistent/dir/x.csv", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/dir/x.csv"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_format_double),
        cmocka_unit_test(test_add_checks),
        cmocka_unit_test(test_assign_seq_ids),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_export_identical),
    };
    return RUN_TESTS("optrace", tests);
}
