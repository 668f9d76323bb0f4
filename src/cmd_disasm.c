/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence disasm: a readable listing of a seccomp BPF program. */
#include <string.h>

#include "cli.h"
#include "profile/profile-internal.h"
#include "sysfence/bpf.h"

static const char usage[] =
        "usage: sysfence disasm FILE.bpf [--profile P [--arch LIST] [--caps LIST] [--kernel X.Y]]\n"
        "       sysfence disasm --profile P [--arch LIST] [--caps LIST] [--kernel X.Y]\n"
        "\n"
        "List a raw seccomp program (as compile writes it) one instruction a line, with\n"
        "jump targets as instruction numbers, seccomp_data fields by name and return\n"
        "values decoded.  With --profile, every RET is annotated with the rule (JSON path\n"
        "and line) that produced it; the program must be what compile makes of the\n"
        "profile with the same options.  Without FILE, the profile is compiled.\n"
        "\n"
        "  --profile P    annotate from (or compile) this profile\n"
        "  --arch LIST    as for compile\n"
        "  --caps LIST    as for compile\n"
        "  --kernel X.Y   as for compile\n"
        "  -h, --help     show this help\n";

/* Per RET: which rules lead there, found by running every syscall number of
 * every arch (arguments zero) and asking the compiler's tables who decided. */
typedef struct ret_info {
        int first;        /* a rule, or -1 */
        int first_name;
        size_t n_rules;
        size_t n_syscalls;
        bool is_default;
        unsigned char *seen;
} ret_info;

typedef struct annot {
        const sf_prog *prog;
        const sf_profile *p;
        ret_info *info;
} annot;

static void collect(annot *a)
{
        const sf_prog *prog = a->prog;
        a->info = calloc(prog->len, sizeof(*a->info));
        if (!a->info)
                return;
        for (size_t i = 0; i < prog->len; i++)
                a->info[i].first = -1;
        size_t nbytes = a->p->n_rules / 8 + 1;
        for (size_t ai = 0; ai < prog->n_arches; ai++) {
                sf_arch arch = prog->arches[ai];
                uint32_t audit = sf_arch_audit(arch);
                for (size_t k = 0; k < sf_syscall_count(arch); k++) {
                        int nr;
                        sf_syscall_at(arch, k, &nr, NULL);
                        struct seccomp_data d = { .nr = nr, .arch = audit };
                        size_t pc = 0;
                        sf_bpf_run(prog->insns, prog->len, &d, NULL, &pc);
                        sf_verdict v;
                        if (pc >= prog->len || sf_prog_lookup(prog, audit, (uint32_t)nr, NULL, &v) < 0)
                                continue;
                        ret_info *ri = &a->info[pc];
                        ri->n_syscalls++;
                        if (v.src.rule < 0) {
                                ri->is_default = true;
                                continue;
                        }
                        if (!ri->seen && !(ri->seen = calloc(nbytes, 1)))
                                continue;
                        unsigned r = (unsigned)v.src.rule;
                        if (!(ri->seen[r / 8] & (1u << (r % 8)))) {
                                ri->seen[r / 8] |= (unsigned char)(1u << (r % 8));
                                if (ri->first < 0) {
                                        ri->first = v.src.rule;
                                        ri->first_name = v.src.name;
                                }
                                ri->n_rules++;
                        }
                }
        }
}

static const char *annotate(void *ctx, size_t pc, char *buf, size_t size)
{
        const annot *a = ctx;
        if (pc >= a->prog->len || BPF_CLASS(a->prog->insns[pc].code) != BPF_RET)
                return NULL;
        const ret_info *ri = a->info ? &a->info[pc] : NULL;
        sf_src s = a->prog->src ? a->prog->src[pc] : (sf_src){ -1, -1 };
        int rule = ri && ri->first >= 0 ? ri->first : s.rule;
        int name = ri && ri->first >= 0 ? ri->first_name : s.name;
        size_t n_rules = ri && ri->n_rules ? ri->n_rules : rule >= 0;
        if (rule < 0 || (size_t)rule >= a->p->n_rules) {
                if (ri && ri->is_default)
                        return "the default action";
                if (a->prog->insns[pc].k == sf_action_ret(a->prog->default_action))
                        return "the default action (no rule matched the arguments)";
                return NULL;
        }
        const sf_rule *r = &a->p->rules[rule];
        char path[128], more[64] = "";
        if (n_rules > 1)
                snprintf(more, sizeof(more), " and %zu more rules", n_rules - 1);
        snprintf(buf, size, "%s, line %u%s%s", sf_rule_name_path(r, (size_t)name, path, sizeof(path)),
                 r->name_locs[name].line, more, ri && ri->is_default ? ", and the default action" : "");
        if (ri && ri->n_syscalls)
                snprintf(buf + strlen(buf), size - strlen(buf), " (%zu syscalls)", ri->n_syscalls);
        return buf;
}

static void release(annot *a)
{
        if (a->info)
                for (size_t i = 0; i < a->prog->len; i++)
                        free(a->info[i].seen);
        free(a->info);
}

int cmd_disasm(int argc, char **argv)
{
        static const struct option opts[] = {
                { "profile", required_argument, NULL, 'p' }, { "arch", required_argument, NULL, 'a' },
                { "caps", required_argument, NULL, 'c' },    { "kernel", required_argument, NULL, 'k' },
                { "help", no_argument, NULL, 'h' },          { 0 },
        };
        sf_compile_opts co = { 0 };
        sf_target_default(&co.target);
        sf_arch arches[SF_ARCH__COUNT];
        const char *profile = NULL;
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                if ((r = cli_compile_opts("disasm", c, optarg, &co, arches)) >= 0) {
                        if (r)
                                return r;
                        continue;
                }
                switch (c) {
                case 'p': profile = optarg; break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("disasm", "invalid option");
                }
        }
        if (argc - optind > 1)
                return cli_usage_error("disasm", "one program at a time");
        if (argc - optind == 0 && !profile)
                return cli_usage_error("disasm", "give a program file or --profile");
        const char *file = argc > optind ? argv[optind] : NULL;

        _cleanup_free_ char *raw = NULL;
        size_t len = 0;
        struct sock_filter *insns = NULL;
        sf_error *err = NULL;
        if (file) {
                if (sf_read_file(file, (SF_BPF_MAX_INSNS + 1) * sizeof(struct sock_filter), &raw, &len, &err) < 0)
                        return cli_fail("disasm", &err);
                if (len % sizeof(struct sock_filter) != 0) {
                        cli_error("disasm", "%s: %zu bytes is not a whole number of 8-byte instructions", file, len);
                        return EXIT_INVALID;
                }
                insns = (struct sock_filter *)raw;
                len /= sizeof(struct sock_filter);
                if (sf_bpf_validate(insns, len, &err) < 0) {
                        sf_error_wrap(&err, "%s", file);
                        return cli_fail("disasm", &err);
                }
        }
        sf_profile *p = NULL;
        sf_prog *prog = NULL;
        if (profile && (r = cli_compile_profile("disasm", profile, &co, &p, &prog, false)) != 0)
                return r;
        if (prog && insns &&
            (prog->len != len || memcmp(prog->insns, insns, len * sizeof(*insns)) != 0)) {
                cli_error("disasm", "%s is not what %s compiles to with these options; no annotations", file,
                          profile);
                sf_prog_free(prog);
                sf_profile_free(p);
                prog = NULL;
                p = NULL;
        }
        if (!insns) {
                insns = prog->insns;
                len = prog->len;
        }
        annot a = { .prog = prog, .p = p };
        if (prog)
                collect(&a);
        char *text = sf_bpf_disasm(insns, len, prog ? annotate : NULL, &a);
        int status = EXIT_OK;
        if (!text) {
                cli_error("disasm", "out of memory");
                status = EXIT_INVALID;
        } else {
                fputs(text, stdout);
                free(text);
        }
        if (prog)
                release(&a);
        sf_prog_free(prog);
        sf_profile_free(p);
        return status;
}
