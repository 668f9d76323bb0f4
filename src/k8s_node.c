/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence k8s (node): not written yet. */
#include "cli.h"
#include "k8s.h"

int k8s_install(int argc, char **argv)
{
        cli_error("k8s", "\"%s\" is not implemented yet", argv[0]);
        return EXIT_USAGE;
}

int k8s_agent(int argc, char **argv)
{
        cli_error("k8s", "\"%s\" is not implemented yet", argv[0]);
        return EXIT_USAGE;
}

int k8s_status(int argc, char **argv)
{
        cli_error("k8s", "\"%s\" is not implemented yet", argv[0]);
        return EXIT_USAGE;
}

