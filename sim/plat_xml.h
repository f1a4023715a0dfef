/*
** plat_xml.h -- the SimGrid platform of a cluster, generated as XML (engine layer).
**
** Owns the shape of the simulated hardware. A host is one tensor-parallel
** group (t GPUs of one node), the unit an actor runs on (DESIGN.md: one actor
** per (stage, replica), TP folded in). Its loopback link is the NVLink of one
** GPU, so a TP collective is a transfer on the loopback; its NIC link carries
** the t GPUs' share of the node's NICs. Two shapes, chosen by the number of
** TP groups per node k = gpus_per_node / t:
**   k == 1  one SimGrid FAT_TREE <cluster> of node hosts (fast to load and
**           seal at 2048 hosts: SIMGRID-NOTES §2); leaves of nodes_per_leaf
**           nodes with nodes_per_leaf/oversubscription uplinks to spines;
**   k  > 1  one Full-routing zone with explicit routes: same node over the
**           NVSwitch (NVLink port links), same leaf over the NICs, other
**           leaves over the NICs and the leaf's aggregate uplink (quadratic
**           in hosts, so limited to PLAT_FULL_MAX_HOSTS).
** Host i is TP group i in Megatron order (rank = tp_rank + t*(dp_rank +
** dp*pp_rank)), so node(i) = i / k. Link latencies are per hop.
** Optional per-host speed profiles (time, factor) model slow GPUs.
*/
#ifndef DTSIM_PLAT_XML_H
#define DTSIM_PLAT_XML_H

#include "cfg.h"
#include <stdio.h>

#define PLAT_FULL_MAX_HOSTS 1024
/* Nominal host speed: an op of d seconds is an exec of d * PLAT_SPEED flops. */
#define PLAT_SPEED 1e12

/* A piecewise-constant speed factor of one host: factor[i] from time_s[i]. */
typedef struct {
    int host;
    int n;
    const double *time_s, *factor;
} plat_speed_profile;

/* A degraded link: the NIC of one host (both directions: a flaky NIC) or
** every uplink of one leaf switch (both directions: a congested spine
** port). The engine scales the bandwidth of the loaded links by 'factor'. */
typedef enum { PLAT_LINK_NIC = 0, PLAT_LINK_LEAF_UPLINKS = 1 } plat_link_kind;
typedef struct {
    plat_link_kind kind;
    int index;                /* host (NIC) or leaf (uplinks) */
    double factor;            /* bandwidth multiplier, > 0 */
} plat_link_factor;

typedef struct {
    int n_hosts;              /* TP groups in the platform */
    int hosts_per_node;       /* k */
    int fat_tree;             /* 1 = FAT_TREE cluster shape */
    double loopback_bytes_per_s, nic_bytes_per_s, nvswitch_bytes_per_s;
} plat_info;

/* Describe the platform of 'e' with TP degree 'tp' without writing it. */
int plat_describe(const cfg_experiment *e, int tp, plat_info *out, char *err, size_t errlen);

/* Write the platform XML to 'out'. 'profiles' (may be NULL) attach speed
** traces to hosts. Returns 0, or -1 with err. */
int plat_write_xml(const cfg_experiment *e, int tp, const plat_speed_profile *profiles,
                   int n_profiles, FILE *out, char *err, size_t errlen);

/* Leaves (nodes_per_leaf nodes each) of the cluster, and the leaf of host
** 'host' when a node holds 'hosts_per_node' hosts. Inline: the pure layer
** (slow.c) uses them too. */
static inline int plat_n_leaves(const cfg_experiment *e)
{
    int leaf = e->cluster.nodes_per_leaf > 0 ? e->cluster.nodes_per_leaf : 1;
    return (e->cluster.nodes + leaf - 1) / leaf;
}
static inline int plat_leaf_of_host(const cfg_experiment *e, int hosts_per_node, int host)
{
    int leaf = e->cluster.nodes_per_leaf > 0 ? e->cluster.nodes_per_leaf : 1;
    return host / hosts_per_node / leaf;
}

/* Name of host i ("h<i>") into buf. */
void plat_host_name(int i, char *buf, size_t len);

#endif
