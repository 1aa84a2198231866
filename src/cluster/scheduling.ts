/**
 * Who accepts connections in a cluster. With SCHED_RR (Node's default on
 * Linux) the primary accepts every connection and passes the socket to a
 * worker over IPC, in turn; with SCHED_NONE every worker accepts from the
 * shared listening socket itself and the kernel decides who wakes up.
 */

import cluster from "node:cluster";

// SCHED_NONE: measured on 2 cores it served 1.55x the short sessions of SCHED_RR
// (12.6k vs 8.0k/s; RR's primary spent a third of a core handing sockets over)
// and as many requests on kept-open connections; its cost is an uneven spread
// of a few long-lived connections, which NODE_CLUSTER_SCHED_POLICY=rr undoes.
const DEFAULT_POLICY = cluster.SCHED_NONE;

/**
 * Apply our default before the first fork (node:cluster freezes the policy
 * then), unless NODE_CLUSTER_SCHED_POLICY ("rr" or "none"), Node's own switch,
 * asks for one.
 */
export function applySchedulingPolicy(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_CLUSTER_SCHED_POLICY === "rr" || env.NODE_CLUSTER_SCHED_POLICY === "none") return;
  cluster.schedulingPolicy = DEFAULT_POLICY;
}

export function schedulingPolicyName(): "rr" | "none" {
  return cluster.schedulingPolicy === cluster.SCHED_NONE ? "none" : "rr";
}
