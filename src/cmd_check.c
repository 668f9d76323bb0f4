/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence check: every problem of every profile, each with its spot. */
#include <string.h>

#include "cli.h"

static const char usage[] =
        "usage: sysfence check [--arch LIST] [--strict] [--json] [--quiet] [--werror] FILE...\n"
        "\n"
        "Check seccomp profiles: Docker/moby JSON, OCI linux.seccomp, OCI config.json,\n"
        "and Security Profiles Operator SeccompProfile YAML (one or many documents).\n"
        "Each finding names the file, line:column and JSON path, and gives a hint.\n"
        "FILE may be - for standard input.\n"
        "\n"
        "  --arch LIST what runc and crun do on these arches, e.g. amd64,x86,x32 (default:\n"
        "              this machine's arch plus those the profile lists)\n"
        "  --strict    unknown syscall names are errors, not warnings\n"
        "  --json      print the findings as JSON on stdout\n"
        "  -q, --quiet print errors only\n"
        "  --werror    warnings fail the check too\n"
        "  -h, --help  show this help\n"
        "\n"
        "exit status: 0 no errors, 1 errors found (or warnings with --werror), 2 usage error\n";

int cmd_check(int argc, char **argv)
{
        static const struct option opts[] = {
                { "strict", no_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
                { "arch", required_argument, NULL, 'a' },
                { "quiet", no_argument, NULL, 'q' },  { "werror", no_argument, NULL, 'W' },
                { "help", no_argument, NULL, 'h' },   { 0 },
        };
        bool json = false, quiet = false, werror = false;
        sf_arch arches[SF_ARCH__COUNT];
        size_t n_arches = 0;
        sf_load_opts lo = { 0 };
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
                switch (c) {
                case 's': lo.strict = true; break;
                case 'a':
                        if (cli_parse_arch_list("check", optarg, arches, &n_arches) != 0)
                                return EXIT_USAGE;
                        break;
                case 'j': json = true; break;
                case 'q': quiet = true; break;
                case 'W': werror = true; break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("check", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("check", "no profile given");

        sf_buf out = { 0 };
        bool first_file = true;
        size_t total_err = 0, total_warn = 0;
        if (json)
                sf_buf_puts(&out, "{\"files\":[");
        for (int i = optind; i < argc; i++) {
                const char *file = strcmp(argv[i], "-") == 0 ? "<stdin>" : argv[i];
                sf_diags d = { 0 };
                sf_profile **v = NULL;
                size_t n = 0;
                sf_error *err = NULL;
                int r = sf_profile_load_file(argv[i], &lo, &v, &n, &d, &err);
                if (r == 0)
                        for (size_t k = 0; k < n; k++) {
                                sf_profile_check(v[k], &lo, &d);
                                sf_profile_check_runtimes(v[k], arches, n_arches, &d);
                        }
                if (r < 0 && d.errors == 0) /* an I/O error, not a finding */
                        sf_diags_add(&d, SF_SEV_ERROR, "io", file, "", 0, 0, NULL, "%s", sf_error_message(err));
                sf_error_free(err);
                total_err += d.errors;
                total_warn += d.warnings;
                if (json) {
                        sf_buf_puts(&out, first_file ? "{\"file\":" : ",{\"file\":");
                        first_file = false;
                        cli_json_str(&out, file);
                        sf_buf_printf(&out, ",\"profiles\":%zu,\"errors\":%zu,\"warnings\":%zu,\"findings\":[", n,
                                      d.errors, d.warnings);
                        bool first = true;
                        cli_json_diags(&out, &d, &first);
                        sf_buf_puts(&out, "]}");
                } else {
                        cli_print_diags(&d, !quiet);
                        if (!quiet) {
                                if (d.errors)
                                        printf("%s: %zu error%s, %zu warning%s\n", file, d.errors,
                                               d.errors == 1 ? "" : "s", d.warnings, d.warnings == 1 ? "" : "s");
                                else
                                        printf("%s: ok, %zu profile%s, %zu warning%s\n", file, n, n == 1 ? "" : "s",
                                               d.warnings, d.warnings == 1 ? "" : "s");
                        }
                }
                sf_profiles_free(v, n);
                sf_diags_release(&d);
        }
        if (json) {
                sf_buf_printf(&out, "],\"errors\":%zu,\"warnings\":%zu}\n", total_err, total_warn);
                if (out.oom) {
                        cli_error("check", "out of memory");
                        sf_buf_release(&out);
                        return EXIT_INVALID;
                }
                fputs(out.s, stdout);
        }
        sf_buf_release(&out);
        if (fflush(stdout) != 0)
                return EXIT_INVALID;
        return total_err || (werror && total_warn) ? EXIT_INVALID : EXIT_OK;
}
