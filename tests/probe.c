/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sf-probe FEATURE: exit 0 if this machine has FEATURE; else print why not
 * (one line on stdout) and exit 1; 2 for a usage error.  The probes of
 * tests/unit/feature.h, for the shell tests (tests/cli/lib.sh: skip_unless). */
#include "unit/feature.h"

int main(int argc, char **argv)
{
        if (argc != 2) {
                fprintf(stderr, "usage: sf-probe int80|x32|seccomp|root|btf|ebpf|audit-read\n");
                return 2;
        }
        const char *why = feature_missing(argv[1]);
        if (why && strncmp(why, "unknown feature", 15) == 0) {
                fprintf(stderr, "sf-probe: %s\n", why);
                return 2;
        }
        if (why) {
                printf("%s\n", why);
                return 1;
        }
        return 0;
}
