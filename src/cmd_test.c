/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence test: what a profile (or a raw program) does with one syscall. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "profile/profile-internal.h"
#include "sysfence/bpf.h"

static const char usage[] =
        "usage: sysfence test PROFILE SYSCALL [ARG...] [--arch A] [--caps LIST] [--kernel X.Y]\n"
        "       sysfence test --bpf FILE SYSCALL [ARG...] [--arch A]\n"
        "\n"
        "Run one syscall through the compiled program in sysfence's emulator (the\n"
        "kernel's semantics) and print the action and the profile rule that decided.\n"
        "SYSCALL is a name or a number; each ARG a number (decimal, 0x hex, or negative).\n"
        "\n"
        "  --arch A       the calling arch (default: this machine's)\n"
        "  --caps LIST    capabilities for includes/excludes (default: default)\n"
        "  --kernel X.Y   kernel version for minKernel (default: this machine's)\n"
        "  --bpf FILE     test a raw program (as written by compile) instead of a profile\n"
        "  --expect ACT   exit 1 unless the action is ACT (e.g. SCMP_ACT_ALLOW, ALLOW, ERRNO)\n"
        "  --json         machine-readable output\n"
        "  -h, --help     show this help\n"
        "\n"
        "examples:\n"
        "  sysfence test moby-default.json personality 0xffffffff\n"
        "  sysfence test moby-default.json socket 40 --expect SCMP_ACT_ERRNO\n";

static int parse_arg(const char *s, uint64_t *ret)
{
        bool neg = *s == '-';
        uint64_t v;
        if (sf_parse_u64(neg ? s + 1 : s, 0, &v) < 0)
                return -EINVAL;
        *ret = neg ? (uint64_t)0 - v : v;
        return 0;
}

static bool action_matches(uint32_t ret, const char *want)
{
        char buf[32];
        const char *w = strncmp(want, "SCMP_ACT_", 9) == 0 ? want + 9 : want;
        sf_ret_name(ret, buf, sizeof(buf));
        size_t n = strlen(w);
        if (strcmp(w, "KILL") == 0)
                w = "KILL_THREAD", n = strlen(w);
        if (strcmp(w, "NOTIFY") == 0)
                w = "USER_NOTIF", n = strlen(w);
        return strncmp(buf, w, n) == 0 && (buf[n] == 0 || buf[n] == '(' || strchr(want, '(') != NULL);
}

int cmd_test(int argc, char **argv)
{
        sf_compile_opts co = { 0 };
        sf_target_default(&co.target);
        sf_arch arch = sf_arch_native();
        const char *bpf = NULL, *expect = NULL;
        bool json = false;
        int r;
        /* Parsed by hand: negative ARGs ("-1") are operands, not options. */
        char *ops[16];
        int n_ops = 0;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *val = NULL;
                if (strcmp(a, "--") == 0) {
                        for (i++; i < argc; i++)
                                if (n_ops < 16)
                                        ops[n_ops++] = argv[i];
                        break;
                }
                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        fputs(usage, stdout);
                        return EXIT_OK;
                }
                if (strcmp(a, "--json") == 0) {
                        json = true;
                        continue;
                }
                if (a[0] != '-' || (a[1] >= '0' && a[1] <= '9')) {
                        if (n_ops == 16)
                                return cli_usage_error("test", "too many operands");
                        ops[n_ops++] = argv[i];
                        continue;
                }
                const char *opt = a;
                char name[32];
                const char *eq = strchr(a, '=');
                if (eq && (size_t)(eq - a) < sizeof(name)) {
                        memcpy(name, a, (size_t)(eq - a));
                        name[eq - a] = 0;
                        opt = name;
                        val = eq + 1;
                } else if (i + 1 < argc) {
                        val = argv[i + 1];
                }
                int code = strcmp(opt, "--arch") == 0     ? 'A'
                           : strcmp(opt, "--caps") == 0   ? 'c'
                           : strcmp(opt, "--kernel") == 0 ? 'k'
                           : strcmp(opt, "--bpf") == 0    ? 'b'
                           : strcmp(opt, "--expect") == 0 ? 'e'
                                                          : 0;
                if (!code)
                        return cli_usage_error("test", "unknown option \"%s\"", a);
                if (!val)
                        return cli_usage_error("test", "option \"%s\" needs a value", a);
                if (!eq)
                        i++;
                switch (code) {
                case 'A':
                        if ((r = cli_parse_arch("test", val, &arch)) != 0)
                                return r;
                        break;
                case 'c':
                case 'k':
                        if ((r = cli_compile_opts("test", code, val, &co, NULL)) != 0)
                                return r;
                        break;
                case 'b': bpf = val; break;
                case 'e': expect = val; break;
                }
        }
        int need = bpf ? 1 : 2;
        if (n_ops < need)
                return cli_usage_error("test", bpf ? "no syscall given" : "give a profile and a syscall");
        const char *profile = bpf ? NULL : ops[0];
        const char *sys = ops[need - 1];
        int n_args = n_ops - need;
        if (n_args > 6)
                return cli_usage_error("test", "a syscall has at most 6 arguments");
        struct seccomp_data d = { .arch = sf_arch_audit(arch) };
        for (int i = 0; i < n_args; i++)
        {
                uint64_t v;
                if (parse_arg(ops[need + i], &v) < 0)
                        return cli_usage_error("test", "invalid argument \"%s\" (a number: 42, 0x2a, -1)", ops[need + i]);
                d.args[i] = v;
        }
        uint64_t nrv;
        if (sf_parse_u64(sys, 0, &nrv) == 0 && nrv <= UINT32_MAX) {
                d.nr = (int)(uint32_t)nrv;
        } else {
                int nr = sf_syscall_nr(arch, sys);
                if (nr < 0) {
                        const char *s = sf_syscall_suggest(sys);
                        if (nr == -1)
                                return cli_usage_error("test", "\"%s\" does not exist on %s", sys,
                                                       sf_arch_short_name(arch));
                        return s ? cli_usage_error("test", "unknown syscall \"%s\" (did you mean \"%s\"?)", sys, s)
                                 : cli_usage_error("test", "unknown syscall \"%s\"", sys);
                }
                d.nr = nr;
        }
        const char *sysname = sf_syscall_name(arch, d.nr);

        sf_profile *p = NULL;
        sf_prog *prog = NULL;
        struct sock_filter *insns;
        size_t len;
        _cleanup_free_ char *raw = NULL;
        if (bpf) {
                sf_error *err = NULL;
                if (sf_read_file(bpf, SF_BPF_MAX_INSNS * sizeof(struct sock_filter), &raw, &len, &err) < 0)
                        return cli_fail("test", &err);
                if (len % sizeof(struct sock_filter) != 0) {
                        cli_error("test", "%s: %zu bytes is not a whole number of 8-byte instructions", bpf, len);
                        return EXIT_INVALID;
                }
                insns = (struct sock_filter *)raw;
                len /= sizeof(struct sock_filter);
                if (sf_bpf_validate(insns, len, &err) < 0) {
                        sf_error_wrap(&err, "%s", bpf);
                        return cli_fail("test", &err);
                }
        } else {
                if ((r = cli_compile_profile("test", profile, &co, &p, &prog, false)) != 0)
                        return r;
                insns = prog->insns;
                len = prog->len;
        }
        size_t steps = 0, pc = 0;
        uint32_t ret = sf_bpf_run(insns, len, &d, &steps, &pc);
        char rb[32], where[256] = "";
        sf_ret_name(ret, rb, sizeof(rb));
        sf_verdict v = { .src = { -1, -1 } };
        int status = EXIT_OK;
        if (prog) {
                uint64_t args[6];
                for (int i = 0; i < 6; i++)
                        args[i] = d.args[i];
                sf_prog_lookup(prog, d.arch, (uint32_t)d.nr, args, &v);
                if (sf_action_ret(v.action) != ret) {
                        cli_error("test", "internal error: the program says %s but the compiler's tables say %s", rb,
                                  sf_action_name(v.action.kind));
                        status = EXIT_INVALID;
                }
                if (v.bad_arch)
                        snprintf(where, sizeof(where), "%s is not an arch of this filter", sf_arch_short_name(arch));
                else if (v.src.rule >= 0) {
                        const sf_rule *rule = &p->rules[v.src.rule];
                        char path[128];
                        snprintf(where, sizeof(where), "%s:%u: %s (\"%s\")", p->file,
                                 rule->name_locs[v.src.name].line,
                                 sf_rule_name_path(rule, (size_t)v.src.name, path, sizeof(path)),
                                 rule->names[v.src.name]);
                } else
                        snprintf(where, sizeof(where), "the default action%s", v.conditional ? " (no rule matched the arguments)" : "");
        }
        if (json) {
                sf_buf j = { 0 };
                sf_buf_printf(&j, "{\"arch\":\"%s\",\"nr\":%d,\"syscall\":", sf_arch_short_name(arch), d.nr);
                cli_json_str(&j, sysname ? sysname : "");
                sf_buf_puts(&j, ",");
                cli_json_ret(&j, ret);
                sf_buf_printf(&j, ",\"instructions\":%zu,\"pc\":%zu,\"conditional\":%s,\"decided_by\":", steps, pc,
                              v.conditional ? "true" : "false");
                cli_json_str(&j, where);
                sf_buf_puts(&j, "}\n");
                fputs(j.s, stdout);
                sf_buf_release(&j);
        } else {
                printf("%s(", sysname ? sysname : "?");
                for (int i = 0; i < n_args; i++)
                        printf("%s0x%jx", i ? ", " : "", (uintmax_t)d.args[i]);
                printf(") on %s: %s after %zu instructions (ret at %zu)\n", sf_arch_short_name(arch), rb, steps, pc);
                if (*where)
                        printf("  decided by %s\n", where);
        }
        if (expect && !action_matches(ret, expect)) {
                if (!json)
                        fprintf(stderr, "sysfence test: expected %s, got %s\n", expect, rb);
                status = EXIT_INVALID;
        }
        sf_prog_free(prog);
        sf_profile_free(p);
        return status;
}
