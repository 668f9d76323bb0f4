/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence compile: a profile to the seccomp BPF program the kernel takes. */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "sysfence/bpf.h"

static const char usage[] =
        "usage: sysfence compile FILE [--arch LIST] [--caps LIST] [--kernel X.Y]\n"
        "                        [--format raw|c|base64|hex] [--enosys-unknown] [--hot FILE]\n"
        "                        [--strict] -o OUT\n"
        "\n"
        "Compile a profile into a seccomp BPF program: the exact struct sock_filter array\n"
        "the kernel takes (seccomp(2), bwrap --seccomp FD, crun's run.oci.seccomp_bpf_data\n"
        "as base64).  Decisions match what runc and crun (libseccomp 2.5) load from the\n"
        "same file; every argument-free ALLOW stays on a path the kernel's action cache\n"
        "can mark.\n"
        "\n"
        "  --arch LIST      arches to dispatch on, e.g. amd64,x86,x32 (default: this\n"
        "                   machine's arch plus the sub-arches the profile lists)\n"
        "  --caps LIST      capabilities for includes/excludes: default, all, none or\n"
        "                   CAP_X,CAP_Y (default: default, the runtimes' set)\n"
        "  --kernel X.Y     kernel version for minKernel (default: this machine's)\n"
        "  --format F       raw (default), c (a C array), base64, hex\n"
        "  --enosys-unknown runc's ENOSYS stub: numbers above the highest syscall the\n"
        "                   profile names on each arch (and -1) return ENOSYS, where the\n"
        "                   default is not ALLOW, LOG or TRACE, so newer libcs fall back\n"
        "  --hot FILE       syscall frequencies (lines \"NAME COUNT\") to weight the search\n"
        "  --strict         unknown syscall names are errors\n"
        "  -o, --output OUT where to write (required; - for stdout), atomically\n"
        "  -q, --quiet      no warnings, no summary\n"
        "      --json       the report (instructions, arches, default, findings) as JSON on\n"
        "                   stdout; needs -o FILE\n"
        "  -h, --help       show this help\n"
        "\n"
        "example:\n"
        "  sysfence compile moby-default.json --arch amd64,x86,x32 -o moby.bpf\n";

typedef struct hot_table {
        uint64_t *count[SF_ARCH__COUNT];
        size_t n[SF_ARCH__COUNT];
        char **names;
        uint64_t *values;
        size_t n_entries;
} hot_table;

static const uint64_t *hot_lookup(void *ctx, sf_arch arch, size_t *ret_n)
{
        hot_table *h = ctx;
        if (!h->count[arch]) {
                int max = sf_syscall_max(arch);
                size_t n = (size_t)(max & 0xffff) + 1;
                h->count[arch] = calloc(n, sizeof(uint64_t));
                if (!h->count[arch])
                        return NULL;
                h->n[arch] = n;
                for (size_t i = 0; i < h->n_entries; i++) {
                        int nr = sf_syscall_nr(arch, h->names[i]);
                        if (nr >= 0 && (size_t)(nr & 0xffff) < n)
                                h->count[arch][nr & 0xffff] += h->values[i];
                }
        }
        *ret_n = h->n[arch];
        return h->count[arch];
}

static int hot_load(const char *file, hot_table *h)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        sf_error *err = NULL;
        if (sf_read_file(file, 1 << 20, &data, &len, &err) < 0)
                return cli_fail("compile", &err);
        unsigned line = 0;
        for (char *save = NULL, *s = strtok_r(data, "\n", &save); s; s = strtok_r(NULL, "\n", &save)) {
                line++;
                if (*s == '#' || *s == 0)
                        continue;
                char name[64];
                char num[32];
                uint64_t v;
                if (sscanf(s, "%63s %31s", name, num) != 2 || sf_parse_u64(num, 10, &v) < 0) {
                        cli_error("compile", "%s:%u: expected \"NAME COUNT\"", file, line);
                        return EXIT_INVALID;
                }
                char **nn = realloc(h->names, (h->n_entries + 1) * sizeof(*nn));
                uint64_t *nv = nn ? realloc(h->values, (h->n_entries + 1) * sizeof(*nv)) : NULL;
                if (nn)
                        h->names = nn;
                if (!nn || !nv || !(nn[h->n_entries] = strdup(name))) {
                        cli_error("compile", "out of memory");
                        return EXIT_INVALID;
                }
                h->values = nv;
                h->values[h->n_entries++] = v;
        }
        return 0;
}

static void hot_release(hot_table *h)
{
        for (int i = 0; i < SF_ARCH__COUNT; i++)
                free(h->count[i]);
        for (size_t i = 0; i < h->n_entries; i++)
                free(h->names[i]);
        free(h->names);
        free(h->values);
}

static void format_prog(const sf_prog *prog, const void *bytes, size_t len, const char *fmt, const char *file,
                        sf_buf *out)
{
        const unsigned char *raw = bytes;
        if (strcmp(fmt, "raw") == 0) {
                sf_buf_add(out, (const char *)raw, len);
        } else if (strcmp(fmt, "hex") == 0) {
                for (size_t i = 0; i < len; i++)
                        sf_buf_printf(out, "%02x", raw[i]);
                sf_buf_putc(out, '\n');
        } else if (strcmp(fmt, "base64") == 0) {
                cli_base64(out, raw, len);
                sf_buf_putc(out, '\n');
        } else {
                sf_buf_printf(out,
                              "/* generated by sysfence %s from %s: %zu instructions */\n"
                              "#include <linux/filter.h>\n\n"
                              "static const struct sock_filter sysfence_filter[%zu] = {\n",
                              SYSFENCE_VERSION, file, prog->len, prog->len);
                for (size_t i = 0; i < prog->len; i++) {
                        const struct sock_filter *f = &prog->insns[i];
                        sf_buf_printf(out, "\t{ 0x%02x, %u, %u, 0x%08x },\n", f->code, f->jt, f->jf, f->k);
                }
                sf_buf_puts(out, "};\n\nstatic const struct sock_fprog sysfence_prog = {\n"
                                 "\t.len = sizeof(sysfence_filter) / sizeof(sysfence_filter[0]),\n"
                                 "\t.filter = (struct sock_filter *)sysfence_filter,\n};\n");
        }
}

int cmd_compile(int argc, char **argv)
{
        static const struct option opts[] = {
                { "arch", required_argument, NULL, 'a' },   { "caps", required_argument, NULL, 'c' },
                { "kernel", required_argument, NULL, 'k' }, { "format", required_argument, NULL, 'f' },
                { "enosys-unknown", no_argument, NULL, 'E' }, { "hot", required_argument, NULL, 'H' },
                { "strict", no_argument, NULL, 's' },       { "output", required_argument, NULL, 'o' },
                { "quiet", no_argument, NULL, 'q' },        { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, 'j' },         { 0 },
        };
        sf_compile_opts co = { 0 };
        sf_target_default(&co.target);
        sf_arch arches[SF_ARCH__COUNT];
        const char *out = NULL, *fmt = "raw", *hot_file = NULL;
        bool quiet = false, json = false;
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        if ((r = cli_parse_arch_list("compile", optarg, arches, &co.n_arches)) != 0)
                                return r;
                        co.arches = arches;
                        break;
                case 'c':
                        if ((r = cli_parse_caps("compile", optarg, &co.target.caps)) != 0)
                                return r;
                        break;
                case 'k':
                        if ((r = cli_parse_kernel("compile", optarg, &co.target.kernel_major,
                                                  &co.target.kernel_minor)) != 0)
                                return r;
                        break;
                case 'f':
                        if (strcmp(optarg, "raw") && strcmp(optarg, "c") && strcmp(optarg, "base64") &&
                            strcmp(optarg, "hex"))
                                return cli_usage_error("compile", "unknown format \"%s\" (raw, c, base64 or hex)",
                                                       optarg);
                        fmt = optarg;
                        break;
                case 'E': co.enosys_unknown = true; break;
                case 'H': hot_file = optarg; break;
                case 's': co.strict = true; break;
                case 'o': out = optarg; break;
                case 'q': quiet = true; break;
                case 'j': json = true; break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("compile", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("compile", "no profile given");
        if (argc - optind > 1)
                return cli_usage_error("compile", "one profile at a time");
        if (!out)
                return cli_usage_error("compile", "no output given (-o FILE, or -o - for stdout)");
        if (json && (r = cli_json_needs_file("compile", out)) != 0)
                return r;
        const char *file = argv[optind];

        hot_table hot = { 0 };
        if (hot_file) {
                if ((r = hot_load(hot_file, &hot)) != 0) {
                        hot_release(&hot);
                        return r;
                }
                co.hot = hot_lookup;
                co.hot_ctx = &hot;
        }

        sf_load_opts lo = { .strict = co.strict };
        sf_profile *p = NULL;
        if ((r = cli_load_one("compile", file, &lo, &p)) != 0) {
                hot_release(&hot);
                return r;
        }
        sf_diags d = { 0 };
        sf_prog *prog = NULL;
        sf_error *err = NULL;
        r = sf_compile(p, &co, &prog, &d, &err);
        if (json && r < 0)
                sf_diags_add(&d, SF_SEV_ERROR, "compile", file, "", 0, 0, NULL, "%s", sf_error_message(err));
        if (json && r < 0) {
                cli_json_report(file, out, "\"written\":false", &d);
                sf_error_free(err);
                sf_diags_release(&d);
                sf_profile_free(p);
                hot_release(&hot);
                return EXIT_INVALID;
        }
        if (!json && (!quiet || r < 0))
                cli_print_diags(&d, !quiet);
        if (r < 0) {
                sf_diags_release(&d);
                sf_profile_free(p);
                hot_release(&hot);
                return cli_fail("compile", &err);
        }
        sf_buf b = { 0 };
        void *bytes = NULL;
        size_t size = 0;
        int status = EXIT_OK;
        if (sf_prog_serialize(prog, &bytes, &size, &err) < 0)
                status = cli_fail("compile", &err);
        else
                format_prog(prog, bytes, size, fmt, file, &b);
        free(bytes);
        if (status != EXIT_OK) {
        } else if (b.oom) {
                cli_error("compile", "out of memory");
                status = EXIT_INVALID;
        } else if (sf_write_file_atomic(out, b.s, b.len, 0644, &err) < 0) {
                status = cli_fail("compile", &err);
        } else if (json) {
                sf_buf m = { 0 };
                sf_buf_printf(&m, "\"written\":true,\"format\":\"%s\",\"instructions\":%zu,\"arches\":[", fmt, prog->len);
                for (size_t i = 0; i < prog->n_arches; i++)
                        sf_buf_printf(&m, "%s\"%s\"", i ? "," : "", sf_arch_short_name(prog->arches[i]));
                sf_buf_puts(&m, "],\"default\":{");
                cli_json_action(&m, prog->default_action);
                sf_buf_puts(&m, "}");
                status = m.oom ? EXIT_INVALID : cli_json_report(file, out, m.s, &d);
                sf_buf_release(&m);
        } else if (!quiet && strcmp(out, "-") != 0) {
                fprintf(stderr, "%s: %zu instructions for", out, prog->len);
                for (size_t i = 0; i < prog->n_arches; i++)
                        fprintf(stderr, " %s", sf_arch_short_name(prog->arches[i]));
                fputc('\n', stderr);
        }
        sf_buf_release(&b);
        sf_diags_release(&d);
        sf_prog_free(prog);
        sf_profile_free(p);
        hot_release(&hot);
        return status;
}
