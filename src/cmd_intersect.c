/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence intersect: one profile that allows only what every input allows. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "profile/profile-internal.h"

static const char usage[] =
        "usage: sysfence intersect PROFILE PROFILE... -o OUT [--explain] [--approximate]\n"
        "                          [--arch LIST] [--caps LIST] [--kernel X.Y] [--json]\n"
        "\n"
        "Write the most restrictive profile that allows only what every input allows:\n"
        "for every architecture, syscall and argument value it decides the most\n"
        "restrictive of the inputs' decisions, argument rules included (KILL_PROCESS >\n"
        "KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW; of two ERRNO\n"
        "or TRACE actions the earlier input's value).  This is what a runtime applies\n"
        "to baseline, baseProfile and pulled profile under KEP-6061, and what the\n"
        "kernel does with stacked filters.  Its default action is the most restrictive\n"
        "default; its rules never overlap where their actions differ.  The result is\n"
        "compiled and checked against the inputs before it is written.\n"
        "\n"
        "A syscall whose result a profile cannot state exactly (too many argument\n"
        "cases, masks with too many bits, a result that differs by architecture) is an\n"
        "error naming it, and nothing is written.\n"
        "\n"
        "  -o, --output OUT  write to OUT atomically (required)\n"
        "      --explain     list, per syscall where the inputs differ, what each input\n"
        "                    decides, the result, and which inputs took something away;\n"
        "                    then how many syscalls each input took away\n"
        "      --approximate make such a syscall unconditional at the most restrictive\n"
        "                    action it can get (a warning each) instead of failing\n"
        "      --arch LIST   compile every input and the result for exactly these\n"
        "                    architectures (default: those every input loads)\n"
        "      --caps LIST   the container's capabilities, for includes/excludes\n"
        "                    (default: default)\n"
        "      --kernel X.Y  the node's kernel, for includes/excludes (default: this machine's)\n"
        "      --json        the report (inputs, rules, explain lines, warnings) as JSON\n"
        "                    on stdout\n"
        "  -h, --help        show this help\n"
        "\n"
        "examples:\n"
        "  sysfence profile default --for containerd > base.json\n"
        "  sysfence intersect base.json recorded.json -o applied.json --explain\n";

int cmd_intersect(int argc, char **argv)
{
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' }, { "explain", no_argument, NULL, 'e' },
                { "approximate", no_argument, NULL, 'x' },  { "arch", required_argument, NULL, 'a' },
                { "caps", required_argument, NULL, 'c' },   { "kernel", required_argument, NULL, 'k' },
                { "json", no_argument, NULL, 'j' },         { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *out = NULL;
        bool explain = false, json = false;
        sf_intersect_opts io = { 0 };
        sf_target_default(&io.target);
        sf_arch arches[SF_ARCH__COUNT];
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'o': out = optarg; break;
                case 'e': explain = true; break;
                case 'x': io.approximate = true; break;
                case 'a':
                        if ((r = cli_parse_arch_list("intersect", optarg, arches, &io.n_arches)) != 0)
                                return r;
                        io.arches = arches;
                        io.target.arch = arches[0];
                        break;
                case 'c':
                        if ((r = cli_parse_caps("intersect", optarg, &io.target.caps)) != 0)
                                return r;
                        break;
                case 'k':
                        if ((r = cli_parse_kernel("intersect", optarg, &io.target.kernel_major,
                                                  &io.target.kernel_minor)) != 0)
                                return r;
                        break;
                case 'j': json = true; break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("intersect", "invalid option");
                }
        }
        if (argc - optind < 2)
                return cli_usage_error("intersect", "give at least two profiles");
        if (!out)
                return cli_usage_error("intersect", "no output given (-o OUT)");
        if (json && (r = cli_json_needs_file("intersect", out)) != 0)
                return r;

        sf_profile **all = NULL;
        size_t n_all = 0;
        sf_error *err = NULL;
        int status = cli_load_all("intersect", argv + optind, (size_t)(argc - optind), &all, &n_all);

        sf_profile *res = NULL;
        sf_intersect_report rep = { 0 };
        sf_diags d = { 0 };
        if (status == EXIT_OK) {
                io.name = out;
                if (sf_profile_intersect(all, n_all, &io, &res, &rep, &d, &err) < 0)
                        status = cli_fail("intersect", &err);
                if (!json || status != EXIT_OK)
                        cli_print_diags(&d, true);
        }
        if (status == EXIT_OK)
                status = cli_write_profile("intersect", res, out);
        if (status == EXIT_OK && explain && !json)
                for (size_t i = 0; i < rep.n; i++)
                        printf("%s\n", rep.lines[i]);
        if (status == EXIT_OK && json) {
                sf_buf m = { 0 };
                cli_json_strs(&m, "inputs", argv + optind, (size_t)(argc - optind));
                sf_buf_printf(&m, ",\"rules\":%zu,", res->n_rules);
                cli_json_strs(&m, "explain", rep.lines, rep.n);
                status = m.oom ? EXIT_INVALID : cli_json_report(NULL, out, m.s, &d);
                sf_buf_release(&m);
        }
        sf_intersect_report_release(&rep);
        sf_diags_release(&d);
        sf_profile_free(res);
        sf_profiles_free(all, n_all);
        return status;
}
