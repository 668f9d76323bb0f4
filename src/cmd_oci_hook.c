/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence oci-hook: not written yet. */
#include "cli.h"

int cmd_oci_hook(int argc, char **argv)
{
        cli_error("oci-hook", "not implemented yet");
        return EXIT_USAGE;
}
