/*
** oobleck_plan.c -- Oobleck templates, instantiation, reconfiguration
** (pure layer). See oobleck_plan.h.
**
** Differences from the Oobleck code (documented in docs/resilience.md):
** one stage per node (the C++ planner may also split one node's GPUs into
** stages when n = 1), stages chosen by min-max partition rather than the
** full divide-and-conquer over T; the batch split is the integer minimax
** (colossalai-backend ILP) solved greedily from the balanced real solution.
*/
#include "oobleck_plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double oob_template_cost(const double *l, int S)
{
    if (S == 1) return 4 * l[0];
    int k = 0;
    double sum = 0;
    for (int i = 0; i < S; i++) {
        sum += l[i];
        if (l[i] >= l[k]) k = i; /* ties -> the later */
    }
    double tail = 0;
    for (int i = k; i < S; i++) tail += l[i];
    return sum + (2.0 * S + k + 1) * l[k] + tail;
}

int oob_n_max(int n_nodes, int f, int n0, int n_layers)
{
    int m = n_nodes - f * n0;
    if (m > n_layers) m = n_layers;
    return m;
}

void oob_templates_free(oob_templates *t)
{
    if (!t || !t->t) return;
    for (int i = 0; i <= t->n_max - t->n0; i++) free(t->t[i].stage_layers);
    free(t->t);
    t->t = NULL;
}

int oob_templates_build(oob_templates *out, const double *layer_s, int L, int n0, int n_max)
{
    memset(out, 0, sizeof *out);
    if (n0 < 1 || n_max < n0 || n_max > L) return -1;
    int K = n_max;
    /* best[k][j]: least slowest stage for layers [0, j) in k stages; cut[k][j] */
    double *pre = malloc((size_t)(L + 1) * sizeof *pre);
    double *best = malloc((size_t)(K + 1) * (L + 1) * sizeof *best);
    int *cut = malloc((size_t)(K + 1) * (L + 1) * sizeof *cut);
    double *lat = malloc((size_t)K * sizeof *lat);
    out->t = calloc((size_t)(n_max - n0 + 1), sizeof *out->t);
    if (!pre || !best || !cut || !lat || !out->t) goto fail;
    out->n0 = n0;
    out->n_max = n_max;
    out->n_layers = L;
    pre[0] = 0;
    for (int j = 0; j < L; j++) pre[j + 1] = pre[j] + layer_s[j];
#define B_(k, j) best[(size_t)(k) * (L + 1) + (j)]
#define C_(k, j) cut[(size_t)(k) * (L + 1) + (j)]
    for (int j = 0; j <= L; j++) B_(1, j) = pre[j], C_(1, j) = 0;
    for (int k = 2; k <= K; k++)
        for (int j = 0; j <= L; j++) {
            B_(k, j) = INFINITY;
            C_(k, j) = -1;
            for (int i = k - 1; i < j; i++) { /* last stage [i, j) */
                double v = fmax(B_(k - 1, i), pre[j] - pre[i]);
                if (v < B_(k, j) - 1e-15) { B_(k, j) = v; C_(k, j) = i; }
            }
        }
    for (int n = n0; n <= n_max; n++) {
        oob_template *t = &out->t[n - n0];
        t->n_nodes = n;
        t->stage_layers = malloc((size_t)n * sizeof *t->stage_layers);
        if (!t->stage_layers) goto fail;
        int j = L;
        for (int k = n; k >= 1; k--) {
            int i = k == 1 ? 0 : C_(k, j);
            t->stage_layers[k - 1] = j - i;
            lat[k - 1] = pre[j] - pre[i];
            j = i;
        }
        t->stage_s = B_(n, L);
        t->cost = oob_template_cost(lat, n);
        t->per_mb_s = t->cost / n;
    }
#undef B_
#undef C_
    free(pre);
    free(best);
    free(cut);
    free(lat);
    return 0;
fail:
    free(pre);
    free(best);
    free(cut);
    free(lat);
    if (out->t) {
        for (int i = 0; i <= n_max - n0; i++) free(out->t[i].stage_layers);
        free(out->t);
        out->t = NULL;
    }
    return -1;
}

/* ---- batch split ---------------------------------------------------------- */

int oob_split_batch(int n, const int *x, const double *per_mb, int B, int *b, double *z)
{
    double rate = 0;
    int pipes = 0;
    for (int t = 0; t < n; t++) {
        rate += x[t] / per_mb[t];
        pipes += x[t];
    }
    if (pipes > B || !(rate > 0)) return 1;
    double c = B / rate; /* balanced real time */
    long sum = 0;
    for (int t = 0; t < n; t++) {
        b[t] = (int)floor(c / per_mb[t] + 1e-9);
        if (b[t] < 1) b[t] = 1;
        sum += (long)x[t] * b[t];
    }
    /* too many: take from the slowest pipelines */
    while (sum > B) {
        int pick = -1;
        for (int t = 0; t < n; t++)
            if (x[t] > 0 && b[t] > 1 && x[t] <= sum - B &&
                (pick < 0 || b[t] * per_mb[t] > b[pick] * per_mb[pick]))
                pick = t;
        if (pick < 0) return 1;
        b[pick]--;
        sum -= x[pick];
    }
    /* too few: add where the resulting time is least */
    while (sum < B) {
        int pick = -1;
        for (int t = 0; t < n; t++)
            if (x[t] > 0 && x[t] <= B - sum &&
                (pick < 0 || (b[t] + 1) * per_mb[t] < (b[pick] + 1) * per_mb[pick]))
                pick = t;
        if (pick < 0) return 1;
        b[pick]++;
        sum += x[pick];
    }
    double zz = 0;
    for (int t = 0; t < n; t++)
        if (x[t] > 0 && b[t] * per_mb[t] > zz) zz = b[t] * per_mb[t];
    *z = zz;
    return 0;
}

/* ---- instantiation ------------------------------------------------------------ */

typedef struct {
    const oob_templates *ts;
    int f, B, K;
    int *x;            /* [K] current mix */
    double *per_mb;    /* [K] */
    int *b;            /* [K] scratch */
    oob_instance *best;   /* [k] sorted by z */
    int k, found;
} inst_search;

static void consider(inst_search *s)
{
    int pipes = 0;
    for (int t = 0; t < s->K; t++) pipes += s->x[t];
    if (pipes < s->f + 1 || pipes > s->B) return; /* every pipeline needs a microbatch */
    double z;
    if (oob_split_batch(s->K, s->x, s->per_mb, s->B, s->b, &z)) return;
    /* insertion into the sorted top-k (ties keep the earlier) */
    int pos = s->found;
    while (pos > 0 && z < s->best[pos - 1].z_s - 1e-12) pos--;
    if (pos >= s->k) return;
    int last = s->found < s->k ? s->found : s->k - 1;
    for (int i = last; i > pos; i--) s->best[i] = s->best[i - 1];
    if (s->found < s->k) s->found++;
    oob_instance *o = &s->best[pos];
    o->n_kinds = 0;
    for (int t = 0; t < s->K && o->n_kinds < OOB_MAX_KINDS; t++) {
        if (!s->x[t]) continue;
        o->sizes[o->n_kinds] = s->ts->t[t].n_nodes;
        o->x[o->n_kinds] = s->x[t];
        o->b[o->n_kinds] = s->b[t];
        o->n_kinds++;
    }
    o->z_s = z;
}

/* Every mix of templates t.. covering 'left' nodes. */
static void enumerate(inst_search *s, int t, int left)
{
    if (left == 0) { consider(s); return; }
    if (t >= s->K) return;
    int n = s->ts->t[t].n_nodes;
    for (int k = left / n; k >= 0; k--) {
        s->x[t] = k;
        enumerate(s, t + 1, left - k * n);
    }
    s->x[t] = 0;
}

/* Number of mixes (partitions of N into the template sizes), capped. */
static double count_mixes(const oob_templates *ts, int N)
{
    double *w = calloc((size_t)N + 1, sizeof *w);
    if (!w) return INFINITY;
    w[0] = 1;
    for (int t = 0; t <= ts->n_max - ts->n0; t++) {
        int n = ts->t[t].n_nodes;
        for (int j = n; j <= N; j++) w[j] = fmin(w[j] + w[j - n], 1e18);
    }
    double r = w[N];
    free(w);
    return r;
}

int oob_instantiate(const oob_templates *ts, int N, int f, int B, oob_instance *out)
{
    return oob_instantiate_top(ts, N, f, B, out, 1) > 0 ? 0 : 1;
}

int oob_instantiate_top(const oob_templates *ts, int N, int f, int B, oob_instance *out, int k)
{
    memset(out, 0, (size_t)k * sizeof *out);
    int K = ts->n_max - ts->n0 + 1;
    inst_search s = {.ts = ts, .f = f, .B = B, .K = K, .best = out, .k = k};
    s.x = calloc((size_t)K, sizeof *s.x);
    s.b = calloc((size_t)K, sizeof *s.b);
    s.per_mb = malloc((size_t)K * sizeof *s.per_mb);
    if (!s.x || !s.b || !s.per_mb) goto done;
    for (int t = 0; t < K; t++) s.per_mb[t] = ts->t[t].per_mb_s;
    if (count_mixes(ts, N) <= OOB_ENUM_CAP) {
        enumerate(&s, 0, N);
    } else {
        /* many nodes: mixes of one template size, or two adjacent sizes */
        for (int t = 0; t < K; t++) {
            int a = ts->t[t].n_nodes;
            for (int y = 0; t + 1 < K || y == 0; y++) {
                int rest = N - y * (a + 1);
                if (rest < 0) break;
                if (rest % a == 0) {
                    memset(s.x, 0, (size_t)K * sizeof *s.x);
                    s.x[t] = rest / a;
                    if (t + 1 < K) s.x[t + 1] = y;
                    consider(&s);
                }
                if (t + 1 >= K) break;
            }
        }
    }
done:
    free(s.x);
    free(s.b);
    free(s.per_mb);
    return s.found;
}

/* ---- reconfiguration ------------------------------------------------------------ */

void oob_pipes_free(oob_pipes *p)
{
    if (!p) return;
    for (int i = 0; i < p->n_pipes; i++) free(p->nodes[i]);
    free(p->nodes);
    free(p->len);
    memset(p, 0, sizeof *p);
}

int oob_pipes_from_sizes(oob_pipes *p, const int *sizes, int n, int first_id)
{
    memset(p, 0, sizeof *p);
    p->len = calloc((size_t)n, sizeof *p->len);
    p->nodes = calloc((size_t)n, sizeof *p->nodes);
    if (!p->len || !p->nodes) { oob_pipes_free(p); return -1; }
    p->n_pipes = n;
    int id = first_id;
    for (int i = 0; i < n; i++) {
        p->nodes[i] = malloc((size_t)(sizes[i] > 0 ? sizes[i] : 1) * sizeof(int));
        if (!p->nodes[i]) { oob_pipes_free(p); return -1; }
        p->len[i] = sizes[i];
        for (int k = 0; k < sizes[i]; k++) p->nodes[i][k] = id++;
    }
    return 0;
}

int oob_pipes_copy(oob_pipes *dst, const oob_pipes *src)
{
    if (oob_pipes_from_sizes(dst, src->len, src->n_pipes, 0)) return -1;
    for (int i = 0; i < src->n_pipes; i++)
        memcpy(dst->nodes[i], src->nodes[i], (size_t)src->len[i] * sizeof(int));
    return 0;
}

int oob_layer_lost(const oob_templates *ts, const oob_pipes *p, const unsigned char *lost, int n_ids)
{
    int L = ts->n_layers;
    unsigned char *held = calloc((size_t)(L > 0 ? L : 1), 1);
    if (!held) return -1;
    for (int i = 0; i < p->n_pipes; i++) {
        int n = p->len[i], first = 0;
        const oob_template *t = n >= ts->n0 && n <= ts->n_max ? &ts->t[n - ts->n0] : NULL;
        for (int k = 0; k < n; k++) {
            int count = t ? t->stage_layers[k] : L * (k + 1) / n - L * k / n;
            int id = p->nodes[i][k];
            if (!(id >= 0 && id < n_ids && lost[id]))
                for (int l = first; l < first + count && l < L; l++) held[l] = 1;
            first += count;
        }
    }
    int gone = 0;
    for (int l = 0; l < L && !gone; l++) gone = !held[l];
    free(held);
    return gone;
}

int oob_reconfigure(oob_pipes *p, const unsigned char *lost, int n_ids, int n_min)
{
    int total = 0;
    for (int i = 0; i < p->n_pipes; i++) total += p->len[i];
    /* every pipeline gets room for all nodes: borrowing and merging only grow them */
    for (int i = 0; i < p->n_pipes; i++) {
        int *nn = realloc(p->nodes[i], (size_t)(total > 0 ? total : 1) * sizeof(int));
        if (!nn) return -1;
        p->nodes[i] = nn;
    }
    /* 1. drop lost nodes, then empty pipelines */
    int k = 0;
    for (int i = 0; i < p->n_pipes; i++) {
        int m = 0;
        for (int j = 0; j < p->len[i]; j++) {
            int id = p->nodes[i][j];
            if (!(id >= 0 && id < n_ids && lost[id])) p->nodes[i][m++] = id;
        }
        p->len[i] = m;
        if (m > 0) {
            int *tmp = p->nodes[k];
            p->nodes[k] = p->nodes[i];
            p->nodes[i] = tmp;
            p->len[k] = m;
            k++;
        }
    }
    for (int i = k; i < p->n_pipes; i++) free(p->nodes[i]);
    p->n_pipes = k;
    int alive = 0;
    for (int i = 0; i < k; i++) alive += p->len[i];
    if (alive < n_min) return 1;
    /* 2. borrow from the largest pipeline (ties -> the later) */
    unsigned char *merge = calloc((size_t)(k > 0 ? k : 1), 1);
    if (!merge) return -1;
    for (int i = 0; i < k; i++) {
        while (p->len[i] < n_min) {
            int d = -1;
            for (int j = 0; j < k; j++)
                if (j != i && (d < 0 || p->len[j] >= p->len[d])) d = j;
            if (d < 0 || p->len[d] <= n_min) { merge[i] = 1; break; }
            while (p->len[d] > n_min && p->len[i] < n_min)
                p->nodes[i][p->len[i]++] = p->nodes[d][--p->len[d]];
        }
    }
    /* 3. merge consecutive short pipelines; append a healthy one if needed */
    int out = 0;
    for (int i = 0; i < k;) {
        if (!merge[i]) {
            int *tmp = p->nodes[out]; p->nodes[out] = p->nodes[i]; p->nodes[i] = tmp;
            p->len[out++] = p->len[i++];
            continue;
        }
        int dst = out++;
        int *tmp = p->nodes[dst]; p->nodes[dst] = p->nodes[i]; p->nodes[i] = tmp;
        p->len[dst] = p->len[i];
        i++;
        while (p->len[dst] < n_min && i < k) {
            for (int j = 0; j < p->len[i]; j++) p->nodes[dst][p->len[dst]++] = p->nodes[i][j];
            i++;
        }
        if (p->len[dst] < n_min) {
            /* short ones ran out at the end: join the previous pipeline */
            if (dst == 0) { free(merge); return 1; }
            for (int j = 0; j < p->len[dst]; j++)
                p->nodes[dst - 1][p->len[dst - 1]++] = p->nodes[dst][j];
            out--;
        }
    }
    for (int i = out; i < k; i++) free(p->nodes[i]);
    p->n_pipes = out;
    free(merge);
    /* 4. stable sort by size */
    for (int i = 1; i < p->n_pipes; i++)
        for (int j = i; j > 0 && p->len[j - 1] > p->len[j]; j--) {
            int l = p->len[j]; p->len[j] = p->len[j - 1]; p->len[j - 1] = l;
            int *t = p->nodes[j]; p->nodes[j] = p->nodes[j - 1]; p->nodes[j - 1] = t;
        }
    return 0;
}
