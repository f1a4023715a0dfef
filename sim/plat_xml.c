/*
** plat_xml.c -- generate the SimGrid platform XML of a cluster (engine layer).
**
** Pure string generation; the engine loads the file. Links are declared
** before any route and inside the one zone, so name lookups stay cheap
** (SIMGRID-NOTES §2, "load time").
*/
#include "plat_xml.h"

#include "errmsg.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

void plat_host_name(int i, char *buf, size_t len) { snprintf(buf, len, "h%d", i); }

int plat_describe(const cfg_experiment *e, int tp, plat_info *out, char *err, size_t errlen)
{
    const cfg_cluster *c = &e->cluster;
    memset(out, 0, sizeof *out);
    if (tp < 1 || c->gpus_per_node % tp) {
        errmsg_set(err, errlen, "tp (%d) must divide gpus_per_node (%d)", tp, c->gpus_per_node);
        return -1;
    }
    out->hosts_per_node = c->gpus_per_node / tp;
    out->n_hosts = c->nodes * out->hosts_per_node;
    out->fat_tree = out->hosts_per_node == 1;
    /* effective bandwidths: what NCCL achieves on these links */
    out->loopback_bytes_per_s = c->nvlink_bytes_per_s * c->nvlink_eff;
    out->nvswitch_bytes_per_s = c->nvlink_bytes_per_s * c->nvlink_eff * tp;
    out->nic_bytes_per_s = c->nic_bytes_per_s * c->nic_eff * c->nics_per_node / out->hosts_per_node;
    if (!out->fat_tree && out->n_hosts > PLAT_FULL_MAX_HOSTS) {
        errmsg_set(err, errlen, "a cluster with several TP groups per node is limited to %d TP "
                "groups (got %d: %d nodes x %d groups); use tp = gpus_per_node for larger "
                "clusters", PLAT_FULL_MAX_HOSTS, out->n_hosts, c->nodes, out->hosts_per_node);
        return -1;
    }
    return 0;
}

/* Speed traces: one <trace> per host (a trace drives one element only). */
static void write_profiles(FILE *out, const plat_speed_profile *pr, int n)
{
    for (int i = 0; i < n; i++) {
        fprintf(out, "  <trace id=\"speed%d\" periodicity=\"-1\">\n", pr[i].host);
        for (int k = 0; k < pr[i].n; k++)
            fprintf(out, "%.17g %.17g\n", pr[i].time_s[k], pr[i].factor[k]);
        fprintf(out, "  </trace>\n");
    }
    for (int i = 0; i < n; i++)
        fprintf(out, "  <trace_connect kind=\"SPEED\" trace=\"speed%d\" element=\"h%d\"/>\n",
                pr[i].host, pr[i].host);
}

/* FAT_TREE cluster of node hosts (one TP group per node). */
static void write_fat_tree(FILE *out, const cfg_experiment *e, const plat_info *pi)
{
    const cfg_cluster *c = &e->cluster;
    int leaf = c->nodes_per_leaf > 0 ? c->nodes_per_leaf : 1;
    int n_leaf = (pi->n_hosts + leaf - 1) / leaf;
    int hosts = n_leaf * leaf; /* padded: unused hosts are harmless */
    if (n_leaf == 1) {
        fprintf(out, "  <cluster id=\"fabric\" prefix=\"h\" suffix=\"\" radical=\"0-%d\" "
                "speed=\"%.17gf\" bw=\"%.17gBps\" lat=\"%.17gs\" loopback_bw=\"%.17gBps\" "
                "loopback_lat=\"%.17gs\" topology=\"FAT_TREE\" topo_parameters=\"1;%d;1;1\"/>\n",
                hosts - 1, PLAT_SPEED, pi->nic_bytes_per_s, c->nic_latency_s,
                pi->loopback_bytes_per_s, c->nvlink_latency_s, leaf);
        return;
    }
    int up = (int)floor(leaf / c->oversubscription);
    if (up < 1) up = 1;
    fprintf(out, "  <cluster id=\"fabric\" prefix=\"h\" suffix=\"\" radical=\"0-%d\" "
            "speed=\"%.17gf\" bw=\"%.17gBps\" lat=\"%.17gs\" loopback_bw=\"%.17gBps\" "
            "loopback_lat=\"%.17gs\" topology=\"FAT_TREE\" topo_parameters=\"2;%d,%d;1,%d;1,1\"/>\n",
            hosts - 1, PLAT_SPEED, pi->nic_bytes_per_s, c->nic_latency_s,
            pi->loopback_bytes_per_s, c->nvlink_latency_s, leaf, n_leaf, up);
}

/* Full zone with explicit routes (several TP groups per node). */
static void write_full(FILE *out, const cfg_experiment *e, const plat_info *pi)
{
    const cfg_cluster *c = &e->cluster;
    int k = pi->hosts_per_node, H = pi->n_hosts;
    int leaf_nodes = c->nodes_per_leaf > 0 ? c->nodes_per_leaf : 1;
    int n_leaf = (c->nodes + leaf_nodes - 1) / leaf_nodes;
    double node_nic = c->nic_bytes_per_s * c->nic_eff * c->nics_per_node;
    double uplink = leaf_nodes * node_nic / c->oversubscription;
    fprintf(out, "  <zone id=\"fabric\" routing=\"Full\">\n");
    for (int i = 0; i < H; i++)
        fprintf(out, "    <host id=\"h%d\" speed=\"%.17gf\"/>\n", i, PLAT_SPEED);
    for (int i = 0; i < H; i++) {
        fprintf(out, "    <link id=\"lo%d\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" "
                "sharing_policy=\"FATPIPE\"/>\n", i, pi->loopback_bytes_per_s, c->nvlink_latency_s);
        fprintf(out, "    <link id=\"nv%d\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" "
                "sharing_policy=\"SPLITDUPLEX\"/>\n", i, pi->nvswitch_bytes_per_s,
                c->nvlink_latency_s);
        fprintf(out, "    <link id=\"nic%d\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" "
                "sharing_policy=\"SPLITDUPLEX\"/>\n", i, pi->nic_bytes_per_s, c->nic_latency_s);
    }
    if (n_leaf > 1)
        for (int l = 0; l < n_leaf; l++)
            fprintf(out, "    <link id=\"up%d\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" "
                    "sharing_policy=\"SPLITDUPLEX\"/>\n", l, uplink, c->nic_latency_s);
    for (int i = 0; i < H; i++) {
        fprintf(out, "    <route src=\"h%d\" dst=\"h%d\"><link_ctn id=\"lo%d\"/></route>\n", i, i, i);
        for (int j = i + 1; j < H; j++) {
            int ni = i / k, nj = j / k;
            fprintf(out, "    <route src=\"h%d\" dst=\"h%d\" symmetrical=\"YES\">", i, j);
            if (ni == nj) {
                fprintf(out, "<link_ctn id=\"nv%d\" direction=\"UP\"/><link_ctn id=\"nv%d\" "
                        "direction=\"DOWN\"/>", i, j);
            } else {
                int li = ni / leaf_nodes, lj = nj / leaf_nodes;
                fprintf(out, "<link_ctn id=\"nic%d\" direction=\"UP\"/>", i);
                if (li != lj)
                    fprintf(out, "<link_ctn id=\"up%d\" direction=\"UP\"/><link_ctn id=\"up%d\" "
                            "direction=\"DOWN\"/>", li, lj);
                fprintf(out, "<link_ctn id=\"nic%d\" direction=\"DOWN\"/>", j);
            }
            fprintf(out, "</route>\n");
        }
    }
    fprintf(out, "  </zone>\n");
}

int plat_write_xml(const cfg_experiment *e, int tp, const plat_speed_profile *profiles,
                   int n_profiles, FILE *out, char *err, size_t errlen)
{
    plat_info pi;
    if (plat_describe(e, tp, &pi, err, errlen)) return -1;
    fprintf(out, "<?xml version='1.0'?>\n"
                 "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
                 "<!-- generated by dtsim: %s, %d nodes x %d GPUs, TP groups of %d -->\n"
                 "<platform version=\"4.1\">\n",
            e->cluster.name, e->cluster.nodes, e->cluster.gpus_per_node, tp);
    if (pi.fat_tree) {
        fprintf(out, "<zone id=\"world\" routing=\"Full\">\n");
        write_fat_tree(out, e, &pi);
        fprintf(out, "</zone>\n");
    } else {
        write_full(out, e, &pi);
    }
    write_profiles(out, profiles, n_profiles);
    fprintf(out, "</platform>\n");
    if (ferror(out)) {
        errmsg_set(err, errlen, "cannot write the platform file");
        return -1;
    }
    return 0;
}
