/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence k8s: shipping profiles to Kubernetes nodes and checking pod specs.
 * cmd_k8s.c dispatches; the node side (install, agent, status) is k8s_node.c,
 * the manifests side (manifests, pod-patch) k8s_manifests.c, lint k8s_lint.c. */
#ifndef SF_K8S_H
#define SF_K8S_H

/* Each takes argv as a command's: argv[0] is the subcommand's name. */
int k8s_install(int argc, char **argv);
int k8s_agent(int argc, char **argv);
int k8s_status(int argc, char **argv);
int k8s_manifests(int argc, char **argv);
int k8s_pod_patch(int argc, char **argv);
int k8s_lint(int argc, char **argv);

#endif
