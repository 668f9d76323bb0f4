/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence oci-precompile: compile an OCI config's linux.seccomp once and hand
 * crun the program in the annotation run.oci.seccomp_bpf_data, so that crun
 * skips libseccomp when the container starts. */
#include <string.h>

#include "arch/caps.h"
#include "cli.h"
#include "doc/doc.h"
#include "sysfence/bpf.h"

#define ANNOTATION "run.oci.seccomp_bpf_data"

static const char usage[] =
        "usage: sysfence oci-precompile CONFIG.json [-o OUT] [--arch LIST] [--caps LIST] [--kernel X.Y]\n"
        "       sysfence oci-precompile --hook [--crun-only] [--arch LIST] [--caps LIST] [--kernel X.Y]\n"
        "\n"
        "Compile the linux.seccomp of an OCI runtime config and write the config back\n"
        "with the program, base64-encoded, in the annotation " ANNOTATION ":\n"
        "crun then loads it as it is instead of building the filter with libseccomp.\n"
        "linux.seccomp stays in place for runtimes that do not know the annotation.\n"
        "\n"
        "  -o, --output OUT  where to write (default: CONFIG.json itself, atomically)\n"
        "  --arch LIST       arches (default: this machine's plus the config's)\n"
        "  --caps LIST       capabilities for includes/excludes (default: the config's\n"
        "                    bounding set, else the runtimes' default set)\n"
        "  --kernel X.Y      kernel version for minKernel (default: this machine's)\n"
        "  --crun-only       also replace linux.seccomp by a stub that kills every call:\n"
        "                    crun then skips reading the profile (the fastest start), and\n"
        "                    a runtime that ignores the annotation refuses the container\n"
        "                    rather than run it unconfined\n"
        "  --hook            a precreate hook (podman's hooks.d, hooks/sysfence-precompile.json):\n"
        "                    the config on standard input, the config to run on standard\n"
        "                    output; a config without linux.seccomp comes out as it went\n"
        "                    in; an invalid profile fails the hook (the container does\n"
        "                    not start)\n"
        "  -h, --help        show this help\n";

/* With --crun-only, linux.seccomp is written as this stub: crun takes the
 * annotation and skips the profile, and a runtime that ignores the annotation
 * refuses to start the container instead of running it unconfined. */
static const sf_node *stub_for;
#define STUB "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\"}"
/* ...and this annotation says so, so that a second run keeps the program
 * instead of compiling the stub into it (the profile is gone by then). */
#define STUB_MARK "org.sysfence.seccomp-stub"
#define STUB_MARK_VALUE "linux.seccomp is a kill-all stub; the profile's program is in " ANNOTATION

static void write_node(sf_buf *b, const sf_node *n, int depth, const sf_node *annotations, const char *value)
{
        if (n == stub_for) {
                sf_buf_puts(b, STUB);
                return;
        }
        switch (n->kind) {
        case SF_NODE_NULL: sf_buf_puts(b, "null"); return;
        case SF_NODE_BOOL: sf_buf_puts(b, n->b ? "true" : "false"); return;
        case SF_NODE_NUM: sf_buf_puts(b, n->num.text); return;
        case SF_NODE_STR: cli_json_str(b, n->str.s); return;
        case SF_NODE_ARR:
                sf_buf_putc(b, '[');
                for (size_t i = 0; i < n->arr.n; i++) {
                        sf_buf_puts(b, i ? ", " : "");
                        write_node(b, n->arr.v[i], depth + 1, annotations, value);
                }
                sf_buf_putc(b, ']');
                return;
        case SF_NODE_OBJ: {
                sf_buf_puts(b, "{");
                bool first = true;
                for (size_t i = 0; i < n->obj.n; i++) {
                        if (n == annotations && (strcmp(n->obj.v[i].key, ANNOTATION) == 0 ||
                                                 strcmp(n->obj.v[i].key, STUB_MARK) == 0))
                                continue; /* replaced below */
                        sf_buf_printf(b, "%s\n%*s", first ? "" : ",", 2 * (depth + 1), "");
                        first = false;
                        cli_json_str(b, n->obj.v[i].key);
                        sf_buf_puts(b, ": ");
                        write_node(b, n->obj.v[i].val, depth + 1, annotations, value);
                }
                if (n == annotations) {
                        sf_buf_printf(b, "%s\n%*s\"" ANNOTATION "\": \"%s\"", first ? "" : ",", 2 * (depth + 1), "",
                                      value);
                        if (stub_for)
                                sf_buf_printf(b, ",\n%*s\"" STUB_MARK "\": \"" STUB_MARK_VALUE "\"", 2 * (depth + 1), "");
                        first = false;
                }
                if (!first)
                        sf_buf_printf(b, "\n%*s", 2 * depth, "");
                sf_buf_putc(b, '}');
                return;
        }
        }
}

int cmd_oci_precompile(int argc, char **argv)
{
        static const struct option opts[] = {
                { "arch", required_argument, NULL, 'a' },  { "caps", required_argument, NULL, 'c' },
                { "kernel", required_argument, NULL, 'k' }, { "output", required_argument, NULL, 'o' },
                { "crun-only", no_argument, NULL, 'C' },   { "help", no_argument, NULL, 'h' },
                { "hook", no_argument, NULL, 'H' },
                { 0 },
        };
        sf_compile_opts co = { 0 };
        bool crun_only = false, hook = false;
        sf_target_default(&co.target);
        sf_arch arches[SF_ARCH__COUNT];
        const char *out = NULL;
        bool caps_given = false;
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                if ((r = cli_compile_opts("oci-precompile", c, optarg, &co, arches)) >= 0) {
                        if (r)
                                return r;
                        caps_given |= c == 'c';
                        continue;
                }
                switch (c) {
                case 'o': out = optarg; break;
                case 'C': crun_only = true; break;
                case 'H':
                        /* a failing hook shows in podman as "exit status 1" alone */
                        hook = true;
                        cli_syslog_open();
                        break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("oci-precompile", "invalid option");
                }
        }
        if (hook && (argc - optind != 0 || out))
                return cli_usage_error("oci-precompile", "--hook reads standard input and writes standard output: no CONFIG.json or -o");
        if (!hook && argc - optind != 1)
                return cli_usage_error("oci-precompile", "give one config.json");
        /* a hook's messages name what the runtime passed */
        const char *file = hook ? "/dev/stdin" : argv[optind];
        const char *name = hook ? "the container's config (standard input)" : file;
        if (!out)
                out = file;

        _cleanup_free_ char *data = NULL;
        size_t len;
        sf_error *err = NULL;
        if (sf_read_file(file, SF_PROFILE_MAX_FILE, &data, &len, &err) < 0)
                return cli_fail("oci-precompile", &err);
        sf_doc doc = { 0 };
        sf_diags d = { 0 };
        if (sf_json_parse(data, len, name, &doc, &d) < 0) {
                cli_print_diags(&d, false);
                sf_diags_release(&d);
                sf_doc_release(&doc);
                return EXIT_INVALID;
        }
        const sf_node *root = doc.docs[0];
        const sf_node *linux_ = sf_node_get(root, "linux");
        if (!sf_node_get(linux_, "seccomp") && hook) {
                /* nothing to compile: the runtime gets the config it gave */
                sf_doc_release(&doc);
                return fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0 ? EXIT_OK : EXIT_INVALID;
        }
        if (!sf_node_get(linux_, "seccomp")) {
                cli_error("oci-precompile", "%s has no linux.seccomp: nothing to compile", file);
                sf_doc_release(&doc);
                return EXIT_INVALID;
        }
        /* Precompiled with --crun-only before: linux.seccomp is our stub and the
         * real program is in the annotation already.  Keep it: compiling the stub
         * would replace the program by a kill-all one. */
        const sf_node *annotations = sf_node_get(root, "annotations");
        const sf_node *mark = sf_node_get(annotations, STUB_MARK);
        const sf_node *program = sf_node_get(annotations, ANNOTATION);
        if (mark && program && program->kind == SF_NODE_STR && program->str.len > 0) {
                sf_doc_release(&doc);
                int st = EXIT_OK;
                if (hook)
                        st = fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0 ? EXIT_OK : EXIT_INVALID;
                else if (strcmp(out, file) != 0 && sf_write_file_atomic(out, data, len, 0644, &err) < 0)
                        st = cli_fail("oci-precompile", &err);
                if (st == EXIT_OK && !hook)
                        fprintf(stderr, "%s: already precompiled with --crun-only (" STUB_MARK "): the program in " ANNOTATION
                                        " is kept\n",
                                name);
                return st;
        }
        /* The container's bounding set decides includes/excludes.caps, as in runc. */
        const sf_node *bounding = sf_node_get(sf_node_get(sf_node_get(root, "process"), "capabilities"), "bounding");
        if (!caps_given && bounding && bounding->kind == SF_NODE_ARR) {
                co.target.caps = 0;
                for (size_t i = 0; i < bounding->arr.n; i++) {
                        int cap = bounding->arr.v[i]->kind == SF_NODE_STR ? sf_cap_from_name(bounding->arr.v[i]->str.s)
                                                                         : -1;
                        if (cap >= 0)
                                co.target.caps |= UINT64_C(1) << cap;
                }
        }

        sf_profile **v = NULL;
        size_t n = 0;
        sf_prog *prog = NULL;
        int status = EXIT_INVALID;
        if (sf_profile_load_data(data, len, name, NULL, &v, &n, &d, &err) < 0) {
                cli_print_diags(&d, false);
                sf_error_free(err);
                goto out;
        }
        if (sf_compile(v[0], &co, &prog, &d, &err) < 0) {
                cli_print_diags(&d, false);
                status = cli_fail("oci-precompile", &err);
                goto out;
        }
        /* where the runtime's own libseccomp would decide differently, or fail */
        for (size_t i = 0; i < d.n; i++)
                if (strncmp(d.v[i].id, "libseccomp-", 11) == 0) {
                        _cleanup_free_ char *line = sf_diag_format(&d.v[i]);
                        if (line)
                                fprintf(stderr, "%s\n", line);
                }
        void *bytes = NULL;
        size_t size = 0;
        if (sf_prog_serialize(prog, &bytes, &size, &err) < 0) {
                status = cli_fail("oci-precompile", &err);
                goto out;
        }
        sf_buf enc = { 0 };
        cli_base64(&enc, bytes, size);
        free(bytes);

        stub_for = crun_only ? sf_node_get(linux_, "seccomp") : NULL;
        /* annotations: the existing object, or a new one at the end of the root */
        const sf_node *ann = sf_node_get(root, "annotations");
        sf_buf text = { 0 };
        if (ann && ann->kind == SF_NODE_OBJ) {
                write_node(&text, root, 0, ann, enc.s);
        } else if (!ann) {
                /* write the root, then splice "annotations" in before its last brace */
                write_node(&text, root, 0, NULL, NULL);
                while (text.len && text.s[text.len - 1] != '}')
                        sf_buf_truncate(&text, text.len - 1);
                sf_buf_truncate(&text, text.len - 1);
                while (text.len && (text.s[text.len - 1] == '\n' || text.s[text.len - 1] == ' '))
                        sf_buf_truncate(&text, text.len - 1);
                sf_buf_printf(&text, "%s\n  \"annotations\": {\n    \"" ANNOTATION "\": \"%s\"%s\n  }\n}",
                              root->obj.n ? "," : "", enc.s,
                              stub_for ? ",\n    \"" STUB_MARK "\": \"" STUB_MARK_VALUE "\"" : "");
        } else {
                cli_error("oci-precompile", "%s: annotations is not an object", name);
                sf_buf_release(&enc);
                goto out;
        }
        sf_buf_putc(&text, '\n');
        sf_buf_release(&enc);
        if (text.oom)
                cli_error("oci-precompile", "out of memory");
        else if (hook) {
                if (fwrite(text.s, 1, text.len, stdout) == text.len && fflush(stdout) == 0) {
                        status = EXIT_OK;
                        cli_syslog_info("oci-precompile: %zu instructions in " ANNOTATION, prog->len);
                } else
                        cli_error("oci-precompile", "cannot write the config to standard output");
        } else if (sf_write_file_atomic(out, text.s, text.len, 0644, &err) < 0)
                cli_fail("oci-precompile", &err);
        else {
                fprintf(stderr, "%s: %zu instructions in " ANNOTATION "\n", out, prog->len);
                status = EXIT_OK;
        }
        sf_buf_release(&text);
out:
        sf_diags_release(&d);
        sf_prog_free(prog);
        sf_profiles_free(v, n);
        sf_doc_release(&doc);
        return status;
}
