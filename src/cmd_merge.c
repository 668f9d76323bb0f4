/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence merge: one profile that allows what any of the inputs allows. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "profile/merge.h"
#include "profile/profile-internal.h"

static const char usage[] =
        "usage: sysfence merge PROFILE... [-o OUT] [--default-action ACTION]\n"
        "                      [--arch A] [--caps LIST] [--kernel X.Y]\n"
        "                      [--prefer baseline|recorded]\n"
        "\n"
        "Merge profiles into one: the rules of every input in input order (a syscall\n"
        "an earlier rule already gives the same action is not repeated; argument rules\n"
        "are kept), the architectures, archMap sub-architectures and flags of all.  A\n"
        "file with several profiles contributes each.  The inputs must have the same\n"
        "default action, unless --default-action says which the merge takes.\n"
        "\n"
        "The merge is compiled and compared with each input: a syscall an input's rule\n"
        "decides whatever its arguments is decided alike, unless another input's\n"
        "unconditional rule for it comes first (libseccomp keeps the first): each such\n"
        "conflict is a warning.\n"
        "\n"
        "A merge never widens a denial: a syscall one input denies by an explicit\n"
        "rule (any action but SCMP_ACT_ALLOW and SCMP_ACT_LOG) stays denied though\n"
        "another input allows it, and where an input denies it only for some\n"
        "arguments, another input's unconditional allowance becomes an allowance of\n"
        "the other arguments.  One warning per input lists what was held back.\n"
        "\n"
        "  --default-action ACTION  the merge's default action, e.g. SCMP_ACT_ERRNO,\n"
        "                 SCMP_ACT_ERRNO(38), SCMP_ACT_ERRNO(ENOSYS), SCMP_ACT_KILL_PROCESS\n"
        "  --arch A       resolve the inputs for a node of this arch first (archMap and\n"
        "                 includes/excludes); needed when some inputs list architectures\n"
        "                 and others an archMap\n"
        "  --caps LIST    with --arch: the container's capabilities (default: default)\n"
        "  --kernel X.Y   with --arch: the node's kernel (default: this machine's)\n"
        "  --prefer P     baseline (default): a denial of any input wins;\n"
        "                 recorded: of two unconditional rules for a syscall the\n"
        "                 earlier input's wins, whatever its action (put a recording\n"
        "                 first to let it allow what its baseline denies)\n"
        "  -o, --output OUT  write to OUT atomically (default: stdout)\n"
        "      --json        the report (inputs, profiles merged, conflicts and other\n"
        "                    warnings) as JSON on stdout; needs -o FILE\n"
        "  -h, --help     show this help\n"
        "\n"
        "examples:\n"
        "  sysfence merge web.json worker.json -o both.json\n"
        "  sysfence merge a.json b.json --default-action SCMP_ACT_ERRNO -o merged.json\n"
        "  sysfence merge recorded.json baseline.json --default-action SCMP_ACT_ERRNO(38) -o app.json\n";

/* "SCMP_ACT_ERRNO", "ERRNO", "SCMP_ACT_ERRNO(38)", "SCMP_ACT_ERRNO(ENOSYS)". */
static int parse_action(const char *s, sf_action *ret)
{
        sf_error *err = NULL;
        if (sf_action_parse(s, ret, &err) == 0)
                return 0;
        int r = cli_usage_error("merge", "%s", sf_error_message(err));
        sf_error_free(err);
        return r;
}

int cmd_merge(int argc, char **argv)
{
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' }, { "default-action", required_argument, NULL, 'd' },
                { "arch", required_argument, NULL, 'a' },   { "caps", required_argument, NULL, 'c' },
                { "kernel", required_argument, NULL, 'k' }, { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, 'j' },         { "prefer", required_argument, NULL, 'p' },
                { 0 },
        };
        const char *out = "-";
        sf_action def;
        bool have_def = false, resolve = false, json = false, prefer_first = false;
        sf_target t;
        sf_target_default(&t);
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'o': out = optarg; break;
                case 'd':
                        if ((r = parse_action(optarg, &def)) != 0)
                                return r;
                        have_def = true;
                        break;
                case 'a':
                        if ((r = cli_parse_arch("merge", optarg, &t.arch)) != 0)
                                return r;
                        resolve = true;
                        break;
                case 'c':
                        if ((r = cli_parse_caps("merge", optarg, &t.caps)) != 0)
                                return r;
                        resolve = true;
                        break;
                case 'k':
                        if ((r = cli_parse_kernel("merge", optarg, &t.kernel_major, &t.kernel_minor)) != 0)
                                return r;
                        resolve = true;
                        break;
                case 'j': json = true; break;
                case 'p':
                        if (strcmp(optarg, "recorded") == 0)
                                prefer_first = true;
                        else if (strcmp(optarg, "baseline") == 0)
                                prefer_first = false;
                        else
                                return cli_usage_error("merge", "--prefer takes baseline or recorded, not \"%s\"", optarg);
                        break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("merge", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("merge", "no profile given");
        if (json && (r = cli_json_needs_file("merge", out)) != 0)
                return r;

        /* every profile of every file, in order */
        sf_profile **all = NULL;
        size_t n_all = 0;
        sf_error *err = NULL;
        int status = cli_load_all("merge", argv + optind, (size_t)(argc - optind), &all, &n_all);
        for (size_t k = 0; resolve && status == EXIT_OK && k < n_all; k++) {
                sf_profile *q = NULL;
                if (sf_profile_resolve(all[k], &t, &q, &err) < 0) {
                        status = cli_fail("merge", &err);
                        break;
                }
                sf_profile_free(all[k]);
                all[k] = q;
        }

        sf_profile *merged = NULL;
        sf_diags d = { 0 };
        if (status == EXIT_OK) {
                sf_merge_opts mo = {
                        .default_action = have_def ? &def : NULL,
                        .target = &t,
                        .name = strcmp(out, "-") == 0 ? "<merged>" : out,
                        .prefer_first = prefer_first,
                };
                if (sf_profile_merge(all, n_all, &mo, &merged, &d, &err) < 0)
                        status = cli_fail("merge", &err);
                if (!json || status != EXIT_OK)
                        cli_print_diags(&d, true);
        }
        if (status == EXIT_OK)
                status = cli_write_profile("merge", merged, out);
        if (status == EXIT_OK && json) {
                sf_buf m = { 0 };
                cli_json_strs(&m, "inputs", argv + optind, (size_t)(argc - optind));
                sf_buf_printf(&m, ",\"profiles\":%zu,\"rules\":%zu", n_all, merged->n_rules);
                status = m.oom ? EXIT_INVALID : cli_json_report(NULL, out, m.s, &d);
                sf_buf_release(&m);
        }
        sf_diags_release(&d);
        sf_profile_free(merged);
        sf_profiles_free(all, n_all);
        return status;
}
