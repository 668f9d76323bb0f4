/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence k8s: the Kubernetes subcommands' table. */
#include <string.h>

#include "cli.h"
#include "k8s.h"

static const cli_command k8s_commands[] = {
        { "install", k8s_install, "validate, compile and install profiles under the kubelet's seccomp dir", NULL },
        { "agent", k8s_agent, "the node agent: keep a ConfigMap's profiles installed on this node", NULL },
        { "status", k8s_status, "exit 0 only when the agent has installed every profile (readiness)", NULL },
        { "manifests", k8s_manifests, "print the Namespace, ConfigMap and DaemonSet of the node agent", NULL },
        { "pod-patch", k8s_pod_patch, "print the securityContext that binds an installed profile", NULL },
        { "lint", k8s_lint, "check pod specs' seccomp settings against the node's profiles", NULL },
};

static void print_help(FILE *f)
{
        fprintf(f,
                "usage: sysfence k8s COMMAND [ARGS]\n"
                "\n"
                "Ship profiles to every node of a cluster and bind them in pod specs.\n"
                "\n"
                "commands:\n");
        for (size_t i = 0; i < ARRAY_SIZE(k8s_commands); i++)
                fprintf(f, "  %-10s %s\n", k8s_commands[i].name, k8s_commands[i].summary);
        fprintf(f, "\n'sysfence k8s COMMAND --help' shows a command's options.\n");
}

int cmd_k8s(int argc, char **argv)
{
        if (argc < 2)
                return print_help(stderr), EXIT_USAGE;
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
                return print_help(stdout), EXIT_OK;
        for (size_t i = 0; i < ARRAY_SIZE(k8s_commands); i++)
                if (strcmp(k8s_commands[i].name, argv[1]) == 0)
                        return k8s_commands[i].fn(argc - 1, argv + 1);
        return cli_usage_error("k8s", "unknown command \"%s\"", argv[1]);
}
