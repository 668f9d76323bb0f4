/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence convert: canonical output, and the plain form for one node. */
#include <errno.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
        "usage: sysfence convert FILE [--to docker|oci|crd] [--arch A] [--caps LIST] [--kernel X.Y]\n"
        "                        [--name NAME] [--lossy] [--inline-base] [--no-inherit]\n"
        "                        [--profiles-dir DIR] [--base-plain-http] [--base-authfile FILE]\n"
        "                        [--enforce | --default-action ACTION]\n"
        "                        [-o OUT]\n"
        "\n"
        "Write a profile in canonical form: stable key order, names sorted within each\n"
        "rule, rule order kept.  Converting the output again gives the same bytes.\n"
        "\n"
        "  --to FORMAT    docker (default): Docker/moby JSON; oci: the OCI linux.seccomp\n"
        "                 object; crd: a Security Profiles Operator SeccompProfile (YAML)\n"
        "  --arch A       resolve archMap and includes/excludes for a node of this arch\n"
        "                 (amd64, arm64, ...); containerd needs this plain form\n"
        "  --caps LIST    the capabilities the container holds: default (the runtimes'\n"
        "                 default set), all, none, or CAP_X,CAP_Y (default: default)\n"
        "  --kernel X.Y   the node's kernel version (default: this machine's)\n"
        "  --name NAME    the SeccompProfile to take from a file that holds several\n"
        "  --lossy        write a SeccompProfile even when it cannot keep defaultErrnoRet\n"
        "  --inline-base  with --to crd: write a SeccompProfile's union with its bases\n"
        "                 instead of keeping its spec.baseProfileName\n"
        "  --no-inherit   do not resolve spec.baseProfileName: the object's own rules\n"
        "                 alone (narrower than what the operator installs; warns)\n"
        "  --profiles-dir DIR  SeccompProfile files that bases may also come from\n"
        "  --base-plain-http   pull oci:// bases over http (a local registry)\n"
        "  --base-authfile FILE  credentials for oci:// bases (default:\n"
        "                 $REGISTRY_AUTH_FILE, ~/.docker/config.json)\n"
        "  --enforce      set the default action to SCMP_ACT_ERRNO (EPERM): a profile\n"
        "                 tried in complain mode (SCMP_ACT_LOG) now denies what its\n"
        "                 rules do not allow; the rules are kept\n"
        "  --default-action ACTION  set the default action to ACTION instead, e.g.\n"
        "                 SCMP_ACT_ERRNO(38), SCMP_ACT_KILL_PROCESS, SCMP_ACT_LOG\n"
        "  -o, --output OUT  write to OUT atomically (default: stdout)\n"
        "      --json        the report (format, profiles written, warnings) as JSON on\n"
        "                    stdout; needs -o FILE\n"
        "  -h, --help     show this help\n"
        "\n"
        "With any of --arch, --caps, --kernel, or with --to oci/crd (which cannot express\n"
        "them), the profile is resolved for the node: archMap becomes the node's arches\n"
        "and rules whose includes/excludes do not hold are dropped.\n"
        "\n"
        "A SeccompProfile's spec.baseProfileName is resolved as the Security Profiles\n"
        "Operator does (its base's rules, then its own, sorted by action; the object's\n"
        "defaultAction): from the same file, --profiles-dir, or runc-v1.1.5 and\n"
        "crun-v1.8.1 (sysfence's measured base sets).  Docker and OCI output get the\n"
        "union; --to crd keeps the reference (every base must still resolve) unless\n"
        "--inline-base.\n"
        "\n"
        "examples:\n"
        "  sysfence convert moby-default.json --arch amd64 --caps default -o node.json\n"
        "  sysfence convert profile.json --to crd > profile.yaml\n"
        "  sysfence convert --enforce app.json -o app.json   # complain mode over\n"
        "  sysfence convert app.yaml --profiles-dir bases/ --to crd --inline-base\n";

static int convert(int argc, char **argv, const char *text_in, size_t text_len);

int cmd_convert(int argc, char **argv)
{
        return convert(argc, argv, NULL, 0);
}

int cli_convert_text(int argc, char **argv, const char *text, size_t len)
{
        return convert(argc, argv, text, len);
}

static int convert(int argc, char **argv, const char *text_in, size_t text_len)
{
        static const struct option opts[] = {
                { "to", required_argument, NULL, 't' },     { "arch", required_argument, NULL, 'a' },
                { "caps", required_argument, NULL, 'c' },   { "kernel", required_argument, NULL, 'k' },
                { "name", required_argument, NULL, 'n' },   { "output", required_argument, NULL, 'o' },
                { "lossy", no_argument, NULL, 'L' },        { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, 'j' },         { "inline-base", no_argument, NULL, 'I' },
                { "enforce", no_argument, NULL, 'E' },      { "default-action", required_argument, NULL, 'd' },
                { 0 },
        };
        sf_format format = SF_FORMAT_DOCKER;
        bool lossy = false, json = false, inline_base = false;
        sf_target t;
        sf_target_default(&t);
        bool resolve = false;
        const char *out = "-", *name = NULL;
        sf_action def;
        bool set_def = false, enforce = false;
        int c, r;
        optind = 1;
        while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 't':
                        if (strcmp(optarg, "docker") == 0)
                                format = SF_FORMAT_DOCKER;
                        else if (strcmp(optarg, "oci") == 0)
                                format = SF_FORMAT_OCI;
                        else if (strcmp(optarg, "crd") == 0)
                                format = SF_FORMAT_CRD;
                        else
                                return cli_usage_error("convert", "unknown format \"%s\" (docker, oci or crd)", optarg);
                        break;
                case 'a':
                        if ((r = cli_parse_arch("convert", optarg, &t.arch)) != 0)
                                return r;
                        resolve = true;
                        break;
                case 'c':
                        if ((r = cli_parse_caps("convert", optarg, &t.caps)) != 0)
                                return r;
                        resolve = true;
                        break;
                case 'k':
                        if ((r = cli_parse_kernel("convert", optarg, &t.kernel_major, &t.kernel_minor)) != 0)
                                return r;
                        resolve = true;
                        break;
                case 'n': name = optarg; break;
                case 'L': lossy = true; break;
                case 'I': inline_base = true; break;
                case 'j': json = true; break;
                case 'E':
                        def = sf_profile_mode_action(SF_MODE_ENFORCE);
                        enforce = true;
                        break;
                case 'd': {
                        sf_error *e = NULL;
                        if (sf_action_parse(optarg, &def, &e) < 0) {
                                r = cli_usage_error("convert", "--default-action: %s", sf_error_message(e));
                                sf_error_free(e);
                                return r;
                        }
                        set_def = true;
                        break;
                }
                case 'o': out = optarg; break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("convert", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("convert", "no profile given");
        if (argc - optind > 1)
                return cli_usage_error("convert", "one profile at a time (got %d)", argc - optind);
        const char *file = argv[optind];
        if (enforce && set_def)
                return cli_usage_error("convert", "--enforce and --default-action: give one");
        set_def = set_def || enforce;
        if (json && (r = cli_json_needs_file("convert", out)) != 0)
                return r;

        sf_diags d = { 0 };
        sf_profile **v = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        if (inline_base && format != SF_FORMAT_CRD)
                return cli_usage_error("convert", "--inline-base is for --to crd (docker and oci output is always the union)");
        /* a SeccompProfile written as one keeps its reference to the base */
        sf_load_opts lo = { .inherit = format == SF_FORMAT_CRD && !inline_base && !cli_no_inherit ? SF_INHERIT_CHECK
                                                                                                  : SF_INHERIT_DEFAULT };
        int lr = text_in ? sf_profile_load_data(text_in, text_len, file, &lo, &v, &n, &d, &err)
                         : sf_profile_load_file(file, &lo, &v, &n, &d, &err);
        if (lr < 0) {
                cli_print_diags(&d, false);
                if (d.errors == 0)
                        cli_error("convert", "%s", sf_error_message(err));
                sf_error_free(err);
                sf_diags_release(&d);
                return EXIT_INVALID;
        }

        /* convert is quiet but for what changes the meaning: a base named by a tag
         * can be moved to other rules after this conversion */
        for (size_t i = 0; !json && i < d.n; i++)
                if (d.v[i].id && strcmp(d.v[i].id, "base-unpinned") == 0) {
                        _cleanup_free_ char *w = sf_diag_format(&d.v[i]);
                        if (w)
                                fprintf(stderr, "%s\n", w);
                }

        sf_buf text = { 0 };
        int status = EXIT_OK;
        size_t picked = 0;
        for (size_t i = 0; i < n && status == EXIT_OK; i++) {
                if (name && (!v[i]->name || strcmp(v[i]->name, name) != 0))
                        continue;
                picked++;
                if (picked > 1 && format != SF_FORMAT_CRD) {
                        if (name)
                                cli_error("convert", "%s holds more than one profile named \"%s\"", file, name);
                        else
                                cli_error("convert", "%s holds %zu profiles; pick one with --name, or write them all with --to crd",
                                          file, n);
                        status = EXIT_INVALID;
                        break;
                }
                sf_profile *p = v[i], *resolved = NULL;
                if (set_def)
                        sf_profile_set_default_action(p, def);
                if (resolve || format != SF_FORMAT_DOCKER) {
                        if (sf_profile_resolve(p, &t, &resolved, &err) < 0) {
                                status = cli_fail("convert", &err);
                                break;
                        }
                        p = resolved;
                        /* the plain form keeps no rule that can never decide */
                        if (sf_profile_prune_shadowed(resolved, NULL, &err) < 0) {
                                status = cli_fail("convert", &err);
                                sf_profile_free(resolved);
                                break;
                        }
                }
                if (format == SF_FORMAT_CRD && p->default_action.kind == SF_ACT_ERRNO &&
                    p->default_action.data != EPERM) {
                        cli_error("convert",
                                  "%s: a SeccompProfile cannot hold defaultErrnoRet %u: its default SCMP_ACT_ERRNO returns EPERM (1); use --lossy to convert anyway",
                                  file, p->default_action.data);
                        if (!lossy) {
                                sf_profile_free(resolved);
                                status = EXIT_INVALID;
                                break;
                        }
                }
                char *s = NULL;
                if (sf_profile_emit(p, format, &s, &err) < 0)
                        status = cli_fail("convert", &err);
                else {
                        if (picked > 1)
                                sf_buf_puts(&text, "---\n");
                        sf_buf_puts(&text, s);
                }
                free(s);
                sf_profile_free(resolved);
        }
        if (status == EXIT_OK && picked == 0) {
                cli_error("convert", "%s has no SeccompProfile named \"%s\"", file, name);
                status = EXIT_INVALID;
        }
        if (status == EXIT_OK && text.oom) {
                cli_error("convert", "out of memory");
                status = EXIT_INVALID;
        }
        if (status == EXIT_OK && sf_write_file_atomic_flags(out, text.s, text.len, 0644, SF_WRITE_INTO_FIFO, &err) < 0)
                status = cli_fail("convert", &err);
        if (status == EXIT_OK && json) {
                static const char *const formats[] = { [SF_FORMAT_DOCKER] = "docker", [SF_FORMAT_OCI] = "oci",
                                                       [SF_FORMAT_CRD] = "crd" };
                char m[128];
                snprintf(m, sizeof(m), "\"format\":\"%s\",\"profiles\":%zu,\"resolved\":%s", formats[format], picked,
                         resolve || format != SF_FORMAT_DOCKER ? "true" : "false");
                status = cli_json_report(file, out, m, &d);
        }
        sf_diags_release(&d);
        sf_buf_release(&text);
        sf_profiles_free(v, n);
        return status;
}
