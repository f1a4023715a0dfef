/*
** plan.c -- build the iteration plan from an experiment (pure layer).
*/
#include "plan.h"

#include "errmsg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void plan_free(plan_t *p)
{
    if (!p) return;
    sched_free(&p->sched);
    free(p->f_s);
    free(p->b_s);
    free(p->w_s);
    free(p->f_tp_colls);
    free(p->b_tp_colls);
    free(p->tp_bytes);
    free(p->pp_bytes);
    free(p->grad_bytes);
    free(p->n_buckets);
    free(p->optimizer_s);
    free(p->mem);
    free(p->peak_inflight);
    free(p->act_bytes_vs);
    free(p->host_of);
    memset(p, 0, sizeof *p);
}

double plan_op_s(const plan_t *p, int dev, const sched_op *op)
{
    int vs = sched_vstage(&p->sched, dev, op->chunk);
    switch (op->kind) {
    case SCHED_OP_F: return p->f_s[vs];
    case SCHED_OP_B: return p->sched.split_backward ? p->b_s[vs] : p->b_s[vs] + p->w_s[vs];
    default: return p->w_s[vs];
    }
}

int plan_op_tp_colls(const plan_t *p, int dev, const sched_op *op)
{
    int vs = sched_vstage(&p->sched, dev, op->chunk);
    switch (op->kind) {
    case SCHED_OP_F: return p->f_tp_colls[vs];
    case SCHED_OP_B: return p->b_tp_colls[vs];
    default: return 0;
    }
}

/* Fill per-virtual-stage durations and traffic; cost_stage data of each
** stage goes to 'st' (transformer mode only). */
static void stage_costs(const cfg_experiment *e, plan_t *p, cost_stage *st)
{
    const cfg_model *m = &e->model;
    for (int vs = 0; vs < p->n_vs; vs++) {
        if (p->abstract) {
            p->f_s[vs] = m->t_f_s / p->v;
            p->b_s[vs] = m->t_b_s / p->v;
            p->w_s[vs] = m->t_w_s / p->v;
            continue;
        }
        cost_stage_ops(e, vs, p->n_vs, &st[vs]);
        p->f_s[vs] = st[vs].f.compute_s;
        p->b_s[vs] = st[vs].b.compute_s;
        p->w_s[vs] = st[vs].w.compute_s;
        p->f_tp_colls[vs] = st[vs].f.n_tp_colls;
        p->b_tp_colls[vs] = st[vs].b.n_tp_colls;
        p->tp_bytes[vs] = st[vs].f.tp_bytes;
        p->pp_bytes[vs] = st[vs].pp_send_bytes;
        p->act_bytes_vs[vs] = st[vs].act_bytes;
    }
}

int plan_build(const cfg_experiment *e, plan_t *p, char *err, size_t errlen)
{
    const cfg_parallel *par = &e->parallel;
    const cfg_cluster *cl = &e->cluster;
    memset(p, 0, sizeof *p);
    p->pp = par->pp;
    p->dp = par->dp;
    p->tp = par->tp;
    p->v = par->virtual_stages;
    p->m = par->n_microbatches;
    p->abstract = e->model.kind == MODEL_ABSTRACT;
    p->n_vs = p->pp * p->v;
    p->tp_overlap = par->tp_overlap;
    p->pp_overlap = par->pp_overlap;
    p->dp_overlap = par->dp_overlap;
    p->dp_algorithm = par->dp_algorithm;
    p->n_gpus = cfg_total_gpus(e);
    p->peak_flops_per_gpu = cfg_peak_flops(e);
    p->tokens_per_iter = (double)par->global_batch_size * (p->abstract ? 1 : e->model.seq_len);
    p->tp_alpha_s = plan_tp_alpha_s(cl);
    p->dp_alpha_s = plan_dp_alpha_s(cl);
    p->dp_host_bytes_per_s = plan_gpu_nic_bytes_per_s(cl) * p->tp;

    size_t nv = (size_t)p->n_vs, np = (size_t)p->pp;
    cost_stage *st = calloc(nv, sizeof *st);
    p->f_s = calloc(nv, sizeof(double));
    p->b_s = calloc(nv, sizeof(double));
    p->w_s = calloc(nv, sizeof(double));
    p->f_tp_colls = calloc(nv, sizeof(int));
    p->b_tp_colls = calloc(nv, sizeof(int));
    p->tp_bytes = calloc(nv, sizeof(double));
    p->pp_bytes = calloc(nv, sizeof(double));
    p->grad_bytes = calloc(np, sizeof(double));
    p->n_buckets = calloc(np, sizeof(int));
    p->optimizer_s = calloc(np, sizeof(double));
    p->mem = calloc(np, sizeof(cost_memory));
    p->peak_inflight = calloc(np, sizeof(double));
    p->act_bytes_vs = calloc(nv, sizeof(double));
    p->host_of = calloc(np * (size_t)p->dp, sizeof(int));
    if (!st || !p->f_s || !p->b_s || !p->w_s || !p->f_tp_colls || !p->b_tp_colls ||
        !p->tp_bytes || !p->pp_bytes || !p->grad_bytes || !p->n_buckets || !p->optimizer_s ||
        !p->mem || !p->peak_inflight || !p->act_bytes_vs || !p->host_of) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    stage_costs(e, p, st);

    /* Pipeline transfer estimate for cost-aware schedulers (ZB-1p/2p, ZB-V). */
    if (p->abstract) {
        p->comm_delay_s = e->model.t_comm_s;
    }
    double nic_per_gpu = plan_gpu_nic_bytes_per_s(cl);
    double sched_comm = p->abstract ? p->comm_delay_s
                                    : p->pp_bytes[0] / nic_per_gpu + 2 * cl->nic_latency_s;
    sched_costs sc = {.n_vs = p->n_vs, .t_f = p->f_s, .t_b = p->b_s, .t_w = p->w_s,
                      .t_comm = sched_comm, .m_f = 1, .m_b = 0, .m_w = -1};
    sched_params sp = {.type = par->schedule, .p = p->pp, .m = p->m, .v = p->v,
                       .group_size = par->group_size, .mem_limit = par->zb_mem_limit};
    if (sched_build(&sp, &sc, &p->sched, err, errlen)) goto fail;

    /* Peak live activations per device, in stage units (chunk units / v). */
    for (int d = 0; d < p->pp; d++)
        p->peak_inflight[d] = sched_mem_peak(&p->sched, &sc, d, NULL, NULL) / p->v;

    /* Per device: memory, gradients, optimizer. */
    p->fits = 1;
    for (int d = 0; d < p->pp; d++) {
        if (p->abstract) {
            p->mem[d].fits = 1;
            continue;
        }
        /* the activation peak in bytes, its chunks weighted by their own
        ** activation (chunks differ with uneven layer splits), and how many
        ** microbatches of each chunk are alive at that instant */
        int n = p->v;
        cost_stage *dev_st = malloc((size_t)n * sizeof *dev_st);
        double *inflight = malloc((size_t)n * sizeof *inflight);
        double *w = malloc((size_t)n * sizeof *w);
        if (!dev_st || !inflight || !w) {
            free(dev_st);
            free(inflight);
            free(w);
            errmsg_set(err, errlen, "out of memory");
            goto fail;
        }
        for (int c = 0; c < n; c++) {
            dev_st[c] = st[sched_vstage(&p->sched, d, c)];
            w[c] = dev_st[c].act_bytes;
        }
        sched_mem_peak(&p->sched, &sc, d, w, inflight);
        cost_device_memory(e, dev_st, n, inflight, &p->mem[d]);
        free(dev_st);
        free(inflight);
        free(w);
        if (!p->mem[d].fits) p->fits = 0;
        p->grad_bytes[d] = p->dp > 1 ? cost_grad_bytes(e, p->mem[d].params) : 0;
        p->n_buckets[d] = p->grad_bytes[d] > 0
                              ? (int)ceil(p->grad_bytes[d] / par->dp_bucket_bytes) : 0;
        p->optimizer_s[d] = cost_optimizer_s(e, p->mem[d].params);
    }
    if (!p->abstract && p->pp > 1 && e->model.tied_embeddings)
        p->embed_sync_bytes = cost_grad_bytes(e, (double)e->model.vocab * e->model.hidden / p->tp);

    /* Megatron rank order: TP group (d, r) is host r + dp*d. */
    for (int d = 0; d < p->pp; d++)
        for (int r = 0; r < p->dp; r++) p->host_of[d * p->dp + r] = r + p->dp * d;

    if (!p->abstract) {
        p->executed_flops = cost_executed_flops(e);
        p->model_flops = cost_model_flops(e);
    }
    free(st);
    return 0;
fail:
    free(st);
    plan_free(p);
    return -1;
}

/* ======================================================================
** Collective volumes (what the engine moves and sleeps per collective)
** ====================================================================== */

double plan_ring_bytes(int k, double bytes) { return k > 1 ? 2.0 * (k - 1) / k * bytes : 0; }

double plan_ring_steps(int k) { return k > 1 ? 2.0 * (k - 1) : 0; }

double plan_tp_alpha_s(const cfg_cluster *cl) { return 2 * cl->nvlink_latency_s; }

double plan_dp_alpha_s(const cfg_cluster *cl) { return 4 * cl->nic_latency_s; }

double plan_gpu_nic_bytes_per_s(const cfg_cluster *cl)
{
    return cl->nic_bytes_per_s * cl->nic_eff * cl->nics_per_node / cl->gpus_per_node;
}

double plan_tp_bytes(const plan_t *p, int n, double bytes)
{
    return n > 0 ? n * plan_ring_bytes(p->tp, bytes) : 0;
}

double plan_tp_latency_s(const plan_t *p, int n)
{
    return n > 0 ? n * plan_ring_steps(p->tp) * p->tp_alpha_s : 0;
}

/* A ring moves 2(k-1)/k * S through each rank's link in each direction in
** 2(k-1) steps; NCCL's double binary tree moves about 2S in 2*log2(k) steps.
** 'auto' takes the faster of the two at the host's NIC bandwidth. */
void plan_dp_allreduce(const plan_t *p, double bytes, double *vol_bytes, double *lat_s)
{
    int k = p->dp;
    double ring_v = plan_ring_bytes(k, bytes), ring_l = plan_ring_steps(k) * p->dp_alpha_s;
    double tree_v = 2.0 * bytes, tree_l = 2.0 * ceil(log2((double)k)) * p->dp_alpha_s;
    double bw = p->dp_host_bytes_per_s;
    int tree = p->dp_algorithm == COLL_TREE ||
               (p->dp_algorithm == COLL_AUTO && tree_l + tree_v / bw < ring_l + ring_v / bw);
    *vol_bytes = tree ? tree_v : ring_v;
    *lat_s = tree ? tree_l : ring_l;
}
