/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence explain: what a compiled profile allows, per arch, and what it costs. */
#include <string.h>

#include "cli.h"
#include "sysfence/bpf.h"

static const char usage[] =
        "usage: sysfence explain PROFILE [--arch LIST] [--caps LIST] [--kernel X.Y] [--json]\n"
        "\n"
        "Compile PROFILE and show, per arch, which syscalls it allows, which depend on\n"
        "their arguments, which get another action, and what the program costs: the\n"
        "instructions the kernel executes per syscall (average and maximum over every\n"
        "syscall number the arch knows, arguments zero) and how many argument-free\n"
        "ALLOWs the kernel's action cache can mark (Linux >= 5.11: they then cost nothing).\n"
        "\n"
        "  --arch LIST    arches, e.g. amd64,x86,x32 (default: as compile)\n"
        "  --caps LIST    capabilities for includes/excludes (default: default)\n"
        "  --kernel X.Y   kernel version for minKernel (default: this machine's)\n"
        "  --json         machine-readable output\n"
        "  -h, --help     show this help\n";

/* Options shared by compile-like commands. */
int cli_compile_opts(const char *cmd, int c, const char *arg, sf_compile_opts *co, sf_arch *arches)
{
        switch (c) {
        case 'a':
                if (cli_parse_arch_list(cmd, arg, arches, &co->n_arches))
                        return EXIT_USAGE;
                co->arches = arches;
                return 0;
        case 'c': return cli_parse_caps(cmd, arg, &co->target.caps) ? EXIT_USAGE : 0;
        case 'k':
                return cli_parse_kernel(cmd, arg, &co->target.kernel_major, &co->target.kernel_minor) ? EXIT_USAGE
                                                                                                       : 0;
        }
        return -1;
}

int cli_compile_json_opts(const char *cmd, int argc, char **argv, const char *help, sf_compile_opts *co,
                          sf_arch *arches, bool *json)
{
        static const struct option opts[] = {
                { "arch", required_argument, NULL, 'a' },   { "caps", required_argument, NULL, 'c' },
                { "kernel", required_argument, NULL, 'k' }, { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },         { 0 },
        };
        sf_target_default(&co->target);
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                if ((r = cli_compile_opts(cmd, c, optarg, co, arches)) >= 0) {
                        if (r)
                                return r;
                        continue;
                }
                switch (c) {
                case 'j': *json = true; break;
                case 'h': fputs(help, stdout); return EXIT_OK;
                default: return cli_usage_error(cmd, "invalid option");
                }
        }
        return -1;
}

int cli_compile_profile(const char *cmd, const char *file, const sf_compile_opts *co, sf_profile **ret_p,
                        sf_prog **ret_prog, bool warnings)
{
        sf_load_opts lo = { .strict = co->strict };
        sf_profile *p = NULL;
        int r = cli_load_one(cmd, file, &lo, &p);
        if (r)
                return r;
        sf_diags d = { 0 };
        sf_error *err = NULL;
        sf_prog *prog = NULL;
        r = sf_compile(p, co, &prog, &d, &err);
        cli_print_diags(&d, warnings);
        sf_diags_release(&d);
        if (r < 0) {
                sf_profile_free(p);
                return cli_fail(cmd, &err);
        }
        *ret_p = p;
        *ret_prog = prog;
        return 0;
}

static const char *action_str(sf_action a, char *buf, size_t size)
{
        if (a.kind == SF_ACT_ERRNO || a.kind == SF_ACT_TRACE)
                snprintf(buf, size, "%s(%u)", sf_action_name(a.kind), a.data);
        else
                snprintf(buf, size, "%s", sf_action_name(a.kind));
        return buf;
}

static bool same(sf_action a, sf_action b)
{
        return a.kind == b.kind && ((a.kind != SF_ACT_ERRNO && a.kind != SF_ACT_TRACE) || a.data == b.data);
}

typedef struct group {
        sf_action action;
        sf_buf names;
        size_t n;
} group;

static void wrap_list(const char *title, const sf_buf *names, size_t n)
{
        printf("  %s (%zu):", title, n);
        size_t col = 200;
        const char *s = names->s ? names->s : "";
        while (*s) {
                const char *e = strchr(s, ' ');
                size_t len = e ? (size_t)(e - s) : strlen(s);
                if (col + len + 1 > 78) {
                        printf("\n     ");
                        col = 5;
                }
                printf(" %.*s", (int)len, s);
                col += len + 1;
                s += len;
                while (*s == ' ')
                        s++;
        }
        printf("\n");
}

/* "a b c " (the text lists) as a JSON array of strings. */
static void json_names(sf_buf *j, const char *spaced)
{
        sf_buf_putc(j, '[');
        bool first = true;
        for (const char *s = spaced ? spaced : ""; *s;) {
                size_t len = strcspn(s, " ");
                if (len) {
                        char name[128];
                        snprintf(name, sizeof(name), "%.*s", (int)len, s);
                        if (!first)
                                sf_buf_putc(j, ',');
                        cli_json_str(j, name);
                        first = false;
                }
                s += len;
                while (*s == ' ')
                        s++;
        }
        sf_buf_putc(j, ']');
}

int cmd_explain(int argc, char **argv)
{
        sf_compile_opts co = { 0 };
        sf_arch arches[SF_ARCH__COUNT];
        bool json = false;
        int r = cli_compile_json_opts("explain", argc, argv, usage, &co, arches, &json);
        if (r >= 0)
                return r;
        if (argc - optind != 1)
                return cli_usage_error("explain", "give one profile");
        const char *file = argv[optind];
        sf_profile *p = NULL;
        sf_prog *prog = NULL;
        if ((r = cli_compile_profile("explain", file, &co, &p, &prog, !json)) != 0)
                return r;

        char ab[64];
        sf_buf j = { 0 };
        if (json) {
                sf_buf_puts(&j, "{\"file\":");
                cli_json_str(&j, file);
                sf_buf_printf(&j, ",\"instructions\":%zu,\"default\":{", prog->len);
                cli_json_action(&j, prog->default_action);
                sf_buf_puts(&j, "},\"arches\":[");
        } else {
                printf("%s: %zu instructions (the kernel allows %d), default %s\n", file, prog->len,
                       SF_BPF_MAX_INSNS, action_str(prog->default_action, ab, sizeof(ab)));
        }
        for (size_t ai = 0; ai < prog->n_arches; ai++) {
                sf_arch arch = prog->arches[ai];
                uint32_t audit = sf_arch_audit(arch);
                size_t n = sf_syscall_count(arch);
                group groups[16];
                size_t n_groups = 0;
                sf_buf allowed = { 0 }, cond = { 0 }, deflt = { 0 };
                size_t n_allowed = 0, n_cond = 0, n_def = 0, cacheable = 0, total_steps = 0, max_steps = 0;
                const char *max_name = "";
                for (size_t i = 0; i < n; i++) {
                        int nr;
                        const char *name;
                        sf_syscall_at(arch, i, &nr, &name);
                        sf_verdict v;
                        sf_prog_lookup(prog, audit, (uint32_t)nr, NULL, &v);
                        struct seccomp_data d = { .nr = nr, .arch = audit };
                        size_t steps = 0;
                        sf_bpf_run(prog->insns, prog->len, &d, &steps, NULL);
                        total_steps += steps;
                        if (steps > max_steps) {
                                max_steps = steps;
                                max_name = name;
                        }
                        if (v.conditional) {
                                sf_buf_printf(&cond, "%s ", name);
                                n_cond++;
                        } else if (v.src.rule < 0) {
                                sf_buf_printf(&deflt, "%s ", name);
                                n_def++;
                        } else if (v.action.kind == SF_ACT_ALLOW) {
                                sf_buf_printf(&allowed, "%s ", name);
                                n_allowed++;
                                cacheable += sf_bpf_cacheable(prog->insns, prog->len, audit, nr);
                        } else {
                                size_t g = 0;
                                while (g < n_groups && !same(groups[g].action, v.action))
                                        g++;
                                if (g == n_groups && n_groups < 16)
                                        groups[n_groups++] = (group){ .action = v.action };
                                if (g < n_groups) {
                                        sf_buf_printf(&groups[g].names, "%s ", name);
                                        groups[g].n++;
                                }
                        }
                }
                double avg = n ? (double)total_steps / (double)n : 0;
                if (json) {
                        sf_buf_printf(&j, "%s{\"arch\":\"%s\",\"known\":%zu,\"allowed\":%zu,\"conditional\":%zu,"
                                          "\"default\":%zu,\"cacheable\":%zu,\"avg_instructions\":%.2f,"
                                          "\"max_instructions\":%zu,\"allowed_names\":",
                                      ai ? "," : "", sf_arch_short_name(arch), n, n_allowed, n_cond, n_def, cacheable,
                                      avg, max_steps);
                        json_names(&j, allowed.s);
                        sf_buf_puts(&j, ",\"conditional_names\":");
                        json_names(&j, cond.s);
                        sf_buf_puts(&j, ",\"other\":[");
                        for (size_t g = 0; g < n_groups; g++) {
                                sf_buf_puts(&j, g ? ",{" : "{");
                                cli_json_action(&j, groups[g].action);
                                sf_buf_puts(&j, ",\"names\":");
                                json_names(&j, groups[g].names.s);
                                sf_buf_puts(&j, "}");
                        }
                        sf_buf_puts(&j, "]}");
                } else {
                        printf("\n%s: %zu syscalls known: %zu allowed, %zu conditional, %zu other, %zu default\n",
                               sf_arch_short_name(arch), n, n_allowed, n_cond, n - n_allowed - n_cond - n_def, n_def);
                        printf("  instructions executed per syscall: avg %.1f, max %zu (%s)\n", avg, max_steps,
                               max_name);
                        printf("  kernel-cacheable: %zu of %zu argument-free ALLOWs\n", cacheable, n_allowed);
                        if (n_allowed)
                                wrap_list("allowed", &allowed, n_allowed);
                        if (n_cond)
                                wrap_list("conditional", &cond, n_cond);
                        for (size_t g = 0; g < n_groups; g++)
                                wrap_list(action_str(groups[g].action, ab, sizeof(ab)), &groups[g].names, groups[g].n);
                }
                for (size_t g = 0; g < n_groups; g++)
                        sf_buf_release(&groups[g].names);
                sf_buf_release(&allowed);
                sf_buf_release(&cond);
                sf_buf_release(&deflt);
        }
        if (json) {
                sf_buf_puts(&j, "]}\n");
                fputs(j.s, stdout);
                sf_buf_release(&j);
        }
        sf_prog_free(prog);
        sf_profile_free(p);
        return EXIT_OK;
}
