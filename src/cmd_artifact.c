/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence artifact: push, pull and inspect profiles as OCI artifacts (KEP-6061). */
#include <string.h>

#include "cli.h"
#include "sysfence/artifact.h"

static const char usage[] =
        "usage: sysfence artifact push [OPTIONS] FILE REF\n"
        "       sysfence artifact pull [OPTIONS] REF -o FILE\n"
        "       sysfence artifact inspect [OPTIONS] [--raw] REF\n"
        "\n"
        "Push a seccomp profile to a registry or an OCI image layout as the artifact\n"
        "KEP-6061 runtimes pull (and the Security Profiles Operator's spoc writes):\n"
        "config and artifactType application/vnd.cncf.seccomp-profile.config.v1+json,\n"
        "one application/json layer holding the file's bytes.  Pull checks the\n"
        "manifest's and the layer's digests, the media types and the 1 MiB limit, and\n"
        "the profile as a KEP-6061 runtime does, before it writes FILE (atomically).\n"
        "Push refuses a profile a KEP-6061 runtime refuses (see check --kep6061).\n"
        "\n"
        "REF is HOST[:PORT]/REPO[:TAG] (TAG latest by default), HOST/REPO@sha256:DIGEST,\n"
        "or oci:DIR[:TAG] for an OCI image layout on disk.  Credentials come from\n"
        "--authfile, $REGISTRY_AUTH_FILE or ~/.docker/config.json (auths.HOST.auth),\n"
        "for the registry's Basic or Bearer token authentication.\n"
        "\n"
        "  -o, --output FILE     pull: where the profile goes (- for standard output)\n"
        "      --raw             inspect: print the manifest's bytes\n"
        "      --plain-http      speak http, not https (a local registry)\n"
        "      --tls-verify=false  https without checking the certificate\n"
        "      --authfile FILE   the credentials file\n"
        "  -q, --quiet           no warnings, only errors\n"
        "  -h, --help            show this help\n"
        "\n"
        "exit status: 0 done, 1 refused or failed (nothing written), 2 usage error\n";

enum { OPT_PLAIN = 256, OPT_TLS, OPT_AUTH, OPT_RAW };

/* The profile's findings as a KEP-6061 runtime would have them: 0, or
 * EXIT_INVALID when one is an error. */
static int validate(const char *data, size_t len, const char *name, bool quiet)
{
        sf_diags d = { 0 };
        int r = sf_kep6061_check_data(data, len, name, &d);
        cli_print_diags(&d, !quiet);
        sf_diags_release(&d);
        return r < 0 ? EXIT_INVALID : 0;
}

static int push(const char *file, const sf_artifact_ref *ref, const char *refname, const sf_artifact_opts *o,
                bool quiet)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        sf_error *err = NULL;
        if (sf_read_file(file, SF_PROFILE_MAX_FILE, &data, &len, &err) < 0)
                return cli_fail("artifact", &err);
        const char *name = strcmp(file, "-") == 0 ? "<stdin>" : file;
        if (validate(data, len, name, quiet)) {
                cli_error("artifact", "%s: not pushed: a KEP-6061 runtime would refuse it", name);
                return EXIT_INVALID;
        }
        _cleanup_free_ char *digest = NULL;
        if (sf_artifact_push(data, len, ref, o, &digest, &err) < 0) {
                sf_error_wrap(&err, "push %s", refname);
                return cli_fail("artifact", &err);
        }
        if (ref->layout)
                printf("oci:%s@%s\n", ref->dir, digest);
        else
                printf("%s/%s@%s\n", ref->registry, ref->repo, digest);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_INVALID;
}

static int pull(const sf_artifact_ref *ref, const char *refname, const char *out, const sf_artifact_opts *o,
                bool quiet)
{
        sf_error *err = NULL;
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (sf_artifact_pull(ref, o, NULL, &data, &len, &err) < 0) {
                sf_error_wrap(&err, "pull %s", refname);
                return cli_fail("artifact", &err);
        }
        if (validate(data, len, refname, quiet)) {
                cli_error("artifact", "%s: refused, nothing written: a KEP-6061 runtime would refuse it", refname);
                return EXIT_INVALID;
        }
        if (sf_write_file_atomic(out, data, len, 0644, &err) < 0)
                return cli_fail("artifact", &err);
        return EXIT_OK;
}

static int inspect(const sf_artifact_ref *ref, const char *refname, bool raw, const sf_artifact_opts *o)
{
        sf_error *err = NULL;
        sf_artifact_info info = { 0 };
        if (sf_artifact_inspect(ref, o, &info, &err) < 0) {
                sf_error_wrap(&err, "inspect %s", refname);
                return cli_fail("artifact", &err);
        }
        if (raw) {
                fwrite(info.manifest, 1, info.manifest_len, stdout);
        } else {
                printf("reference:     %s\n", refname);
                printf("digest:        %s\n", info.manifest_digest);
                printf("artifact type: %s\n", info.artifact_type ? info.artifact_type : "(none)");
                printf("config:        %s\n", info.config_media_type);
                printf("layer:         %s %ju bytes %s%s%s\n", info.layer_digest, (uintmax_t)info.layer_size,
                       info.layer_media_type, info.title ? " " : "", info.title ? info.title : "");
        }
        sf_artifact_info_release(&info);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_INVALID;
}

int cmd_artifact(int argc, char **argv)
{
        static const struct option opts[] = {
                { "output", required_argument, NULL, 'o' }, { "raw", no_argument, NULL, OPT_RAW },
                { "plain-http", no_argument, NULL, OPT_PLAIN }, { "tls-verify", required_argument, NULL, OPT_TLS },
                { "authfile", required_argument, NULL, OPT_AUTH }, { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' }, { 0 },
        };
        sf_artifact_opts o = { 0 };
        const char *out = NULL;
        bool raw = false, quiet = false;
        int c;
        optind = 1;
        /* options anywhere: "artifact push p.json REF --plain-http" */
        while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
                switch (c) {
                case 'o': out = optarg; break;
                case OPT_RAW: raw = true; break;
                case OPT_PLAIN: o.plain_http = true; break;
                case OPT_TLS:
                        if (strcmp(optarg, "false") == 0)
                                o.tls_no_verify = true;
                        else if (strcmp(optarg, "true") != 0)
                                return cli_usage_error("artifact", "--tls-verify takes true or false, not \"%s\"",
                                                       optarg);
                        break;
                case OPT_AUTH: o.auth_file = optarg; break;
                case 'q': quiet = true; break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error("artifact", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("artifact", "no subcommand given (push, pull or inspect)");
        const char *sub = argv[optind++];
        int want = strcmp(sub, "push") == 0 ? 2 : strcmp(sub, "pull") == 0 || strcmp(sub, "inspect") == 0 ? 1 : -1;
        if (want < 0)
                return cli_usage_error("artifact", "unknown subcommand \"%s\" (push, pull or inspect)", sub);
        if (argc - optind != want)
                return cli_usage_error("artifact", "%s takes %s", sub, want == 2 ? "FILE REF" : "REF");
        if (out && strcmp(sub, "pull") != 0)
                return cli_usage_error("artifact", "-o is for pull");
        if (!out && strcmp(sub, "pull") == 0)
                return cli_usage_error("artifact", "pull needs -o FILE (- for standard output)");
        if (raw && strcmp(sub, "inspect") != 0)
                return cli_usage_error("artifact", "--raw is for inspect");
        const char *refname = argv[argc - 1];
        sf_artifact_ref ref;
        sf_error *err = NULL;
        if (sf_artifact_ref_parse(refname, &ref, &err) < 0) {
                cli_error("artifact", "%s", sf_error_message(err));
                sf_error_free(err);
                return EXIT_USAGE;
        }
        int r = strcmp(sub, "push") == 0 ? push(argv[optind], &ref, refname, &o, quiet)
                : strcmp(sub, "pull") == 0 ? pull(&ref, refname, out, &o, quiet)
                                           : inspect(&ref, refname, raw, &o);
        sf_artifact_ref_release(&ref);
        return r;
}
