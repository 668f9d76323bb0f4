/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence profile: the built-in profiles. */
#include <string.h>

#include "cli.h"

static const char usage[] =
        "usage: sysfence profile default [--for containerd|containerd-2|docker|podman] [--to docker|oci|crd]\n"
        "                               [--arch A] [--caps LIST] [--kernel X.Y] [-o OUT]\n"
        "       sysfence profile list\n"
        "\n"
        "Print a container runtime's default seccomp profile, as built into sysfence\n"
        "(see profiles/README.md for the upstream version each matches).  With --arch,\n"
        "--caps or --kernel, or --to oci|crd, it is resolved for that node.\n"
        "\n"
        "  --for RUNTIME  containerd (default: Kubernetes' RuntimeDefault with containerd 1.6,\n"
        "                 Debian 12's), containerd-2 (containerd's main of 2026), docker, podman\n"
        "  --to FORMAT    docker (default), oci, crd\n"
        "  -o OUT         write to OUT atomically (default: stdout)\n";

int cmd_profile(int argc, char **argv)
{
        if (argc < 2)
                return cli_usage_error("profile", "give a subcommand: default or list");
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fputs(usage, stdout);
                return EXIT_OK;
        }
        if (strcmp(argv[1], "list") == 0) {
                for (size_t i = 0; sf_builtin_profile_name(i); i++)
                        printf("%s%s\n", sf_builtin_profile_name(i),
                               strcmp(sf_builtin_profile_name(i), SF_BUILTIN_DEFAULT) == 0 ? " (default)" : "");
                return EXIT_OK;
        }
        if (strcmp(argv[1], "default") != 0)
                return cli_usage_error("profile", "unknown subcommand \"%s\" (default or list)", argv[1]);

        /* The rest are convert's options, applied to the built-in text. */
        const char *runtime = SF_BUILTIN_DEFAULT;
        char *args[64];
        int n = 0;
        args[n++] = (char *)"convert";
        for (int i = 2; i < argc && n < 60; i++) {
                if (strcmp(argv[i], "--for") == 0 && i + 1 < argc) {
                        runtime = argv[++i];
                        continue;
                }
                if (strncmp(argv[i], "--for=", 6) == 0) {
                        runtime = argv[i] + 6;
                        continue;
                }
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        fputs(usage, stdout);
                        return EXIT_OK;
                }
                args[n++] = argv[i];
        }
        size_t len;
        const char *text = sf_builtin_profile(runtime, &len);
        if (!text)
                return cli_usage_error("profile", "no built-in profile for \"%s\" (containerd, containerd-2, docker or podman)", runtime);
        char name[64];
        snprintf(name, sizeof(name), "builtin:%s.json", runtime);
        args[n++] = name;
        args[n] = NULL;
        return cli_convert_text(n, args, text, len);
}
