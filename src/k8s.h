/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence k8s: the subcommands of their own files (cmd_k8s.c holds the
 * table and the node's install, agent, status, manifests and pod-patch). */
#ifndef SF_K8S_CLI_H
#define SF_K8S_CLI_H

/* Each takes argv as a command's: argv[0] is the subcommand's name. */
int k8s_lint(int argc, char **argv);
int k8s_ps(int argc, char **argv);
int k8s_record(int argc, char **argv);

#endif
