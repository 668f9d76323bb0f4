/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence k8s manifests / pod-patch: the objects that run the node agent, and
 * the securityContext that binds a profile it installed. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "k8s.h"
#include "sysfence/bpf.h"

#ifndef SYSFENCE_VERSION
#define SYSFENCE_VERSION "unknown"
#endif

#define DEFAULT_NAMESPACE "sysfence"
#define DEFAULT_IMAGE "localhost/sysfence:" SYSFENCE_VERSION
#define DEFAULT_SUBDIR "sysfence"
/* A ConfigMap is one etcd object: at most 1 MiB with its metadata. */
#define CONFIGMAP_MAX_DATA (1000u * 1000u)
#define MAX_PROFILES 4096

static const char manifests_usage[] =
        "usage: sysfence k8s manifests [--namespace N] [--image I] [--from DIR]\n"
        "\n"
        "Print, as multi-document YAML, what runs the node agent on every node: a\n"
        "Namespace, a ConfigMap with the profiles, and a DaemonSet that keeps them\n"
        "installed under /var/lib/kubelet/seccomp/" DEFAULT_SUBDIR "/ (so pods name them\n"
        "\"localhostProfile: " DEFAULT_SUBDIR "/FILE\") and is ready only when the node holds\n"
        "every one.  The output is deterministic: keep it in git, apply it with\n"
        "'kubectl apply -f -'.\n"
        "\n"
        "  --namespace N   the namespace (default " DEFAULT_NAMESPACE ")\n"
        "  --image I       the agent's image (default " DEFAULT_IMAGE ",\n"
        "                  built from deploy/Containerfile)\n"
        "  --from DIR      put DIR/*.json and DIR/*.yaml (the SeccompProfiles that\n"
        "                  record --format crd writes) in the ConfigMap, each validated and compiled\n"
        "                  first (default: an empty ConfigMap, to fill later)\n"
        "  -h, --help      show this help\n"
        "\n"
        "exit status: 0 printed, 1 a profile is invalid, 2 usage error\n";

static const char patch_usage[] =
        "usage: sysfence k8s pod-patch PROFILE [--subdir DIR] [--container NAME] [--template] [--json]\n"
        "\n"
        "Validate PROFILE, then print the patch that makes a pod run under it once the\n"
        "agent has installed it, as localhostProfile DIR/<file name of PROFILE>: at the\n"
        "pod level (spec.securityContext), or with --container at that container's\n"
        "(which overrides the pod's).  'kubectl patch --type strategic' applies it.\n"
        "\n"
        "  --subdir DIR      the agent's --subdir (default " DEFAULT_SUBDIR ")\n"
        "  --container NAME  bind it to one container\n"
        "  --template        for a workload (Deployment, DaemonSet, …): under spec.template\n"
        "  --json            JSON instead of YAML\n"
        "  -h, --help        show this help\n"
        "\n"
        "exit status: 0 printed, 1 the profile is invalid, 2 usage error\n";

/* RFC 1123 label: what a namespace name must be. */
static bool dns_label(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
                        return false;
        return true;
}

/* A ConfigMap key: [-._a-zA-Z0-9]+, at most 253 bytes, not "." or "..". */
static bool configmap_key(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 253 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
                      s[i] == '-' || s[i] == '.' || s[i] == '_'))
                        return false;
        return true;
}

/* Bytes at s[i] that YAML cannot hold as they are: C1 controls (U+0080..U+009F,
 * UTF-8 C2 80..C2 9F) and U+2028/U+2029, which YAML 1.1 readers take as line
 * breaks.  The length of the sequence, 0 if it is fine. */
static size_t awkward_utf8(const char *s, size_t n, size_t i)
{
        const unsigned char *u = (const unsigned char *)s;
        if (i + 1 < n && u[i] == 0xc2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
                return 2;
        if (i + 2 < n && u[i] == 0xe2 && u[i + 1] == 0x80 && (u[i + 2] == 0xa8 || u[i + 2] == 0xa9))
                return 3;
        return 0;
}

/* A YAML double-quoted scalar (JSON's escapes are YAML's; DEL is not printable). */
static void yaml_dq(sf_buf *b, const char *s, size_t n)
{
        sf_buf_putc(b, '"');
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                size_t k = awkward_utf8(s, n, i);
                if (k == 2) {
                        sf_buf_printf(b, "\\u%04x", (unsigned char)s[i + 1]);
                        i++;
                } else if (k == 3) {
                        sf_buf_printf(b, "\\u%04x", 0x2000u + ((unsigned char)s[i + 2] & 0x3f));
                        i += 2;
                } else if (c == '"' || c == '\\')
                        sf_buf_printf(b, "\\%c", c);
                else if (c == '\n')
                        sf_buf_puts(b, "\\n");
                else if (c == '\t')
                        sf_buf_puts(b, "\\t");
                else if (c < 0x20 || c == 0x7f)
                        sf_buf_printf(b, "\\u%04x", c);
                else
                        sf_buf_putc(b, (char)c);
        }
        sf_buf_putc(b, '"');
}

/* A file's text as a YAML value at `indent`: a literal block when it reads back
 * byte for byte (no CR, no control bytes, no trailing blanks, no leading blank
 * on the first line), else a double-quoted string. */
static void yaml_text(sf_buf *b, const char *s, size_t n, unsigned indent)
{
        bool block = n > 0 && s[0] != ' ' && s[0] != '\n';
        for (size_t i = 0; i < n && block; i++) {
                unsigned char c = (unsigned char)s[i];
                if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c == '\r' || awkward_utf8(s, n, i))
                        block = false;
                else if (c == '\n' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
                        block = false;
        }
        if (block && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                block = false;
        if (!block) {
                yaml_dq(b, s, n);
                sf_buf_putc(b, '\n');
                return;
        }
        size_t trailing = 0;
        while (trailing < n && s[n - 1 - trailing] == '\n')
                trailing++;
        sf_buf_puts(b, trailing == 0 ? "|-\n" : trailing == 1 ? "|\n" : "|+\n");
        for (size_t i = 0; i < n;) {
                const char *e = memchr(s + i, '\n', n - i);
                size_t len = e ? (size_t)(e - (s + i)) : n - i;
                if (len)
                        sf_buf_printf(b, "%*s%.*s\n", (int)indent, "", (int)len, s + i);
                else
                        sf_buf_putc(b, '\n');
                i += len + 1;
        }
}

typedef struct profile_file {
        char *name;
        char *text;
        size_t len;
} profile_file;

static int cmp_name(const void *a, const void *b)
{
        return strcmp(((const profile_file *)a)->name, ((const profile_file *)b)->name);
}

/* Loads one profile file, checks and compiles it for this node; prints its
 * findings.  0, or EXIT_INVALID when it is not a profile the runtime can load. */
/* Validates the one profile of file: loaded, checked and compiled for this
 * node.  With ret_json, a SeccompProfile is accepted and *ret_json is the
 * Docker JSON the runtime reads (NULL for a file that already is that). */
static int validate_profile(const char *cmd, const char *file, bool warnings, char **ret_json)
{
        sf_diags d = { 0 };
        sf_error *err = NULL;
        sf_profile **v = NULL;
        size_t n = 0;
        int status = EXIT_OK;
        int r = sf_profile_load_file(file, NULL, &v, &n, &d, &err);
        if (r < 0) {
                if (d.errors == 0)
                        sf_diags_add(&d, SF_SEV_ERROR, "io", file, "", 0, 0, NULL, "%s", sf_error_message(err));
        } else if (n != 1) {
                sf_diags_add(&d, SF_SEV_ERROR, "not-one-profile", file, "", 0, 0,
                             "the runtime reads one Docker/OCI JSON profile per file", "the file holds %zu profiles",
                             n);
        } else if (v[0]->format == SF_FORMAT_CRD && !ret_json) {
                sf_diags_add(&d, SF_SEV_ERROR, "not-json", file, "", 0, 0, "convert it: sysfence convert --to docker",
                             "a SeccompProfile object is not a file the runtime can read");
        } else {
                sf_profile_check(v[0], NULL, &d);
                if (d.errors == 0) {
                        sf_compile_opts co = { 0 };
                        sf_target_default(&co.target);
                        sf_prog *prog = NULL;
                        sf_diags cd = { 0 };
                        if (sf_compile(v[0], &co, &prog, &cd, &err) < 0)
                                sf_diags_add(&d, SF_SEV_ERROR, "compile", file, "", 0, 0, NULL, "%s",
                                             sf_error_message(err));
                        sf_prog_free(prog);
                        sf_diags_release(&cd);
                }
        }
        if (ret_json && d.errors == 0 && v[0]->format == SF_FORMAT_CRD &&
            sf_profile_emit(v[0], SF_FORMAT_DOCKER, ret_json, &err) < 0) {
                sf_diags_add(&d, SF_SEV_ERROR, "emit", file, "", 0, 0, NULL, "%s", sf_error_message(err));
                sf_error_freep(&err);
        }
        sf_error_freep(&err);
        cli_print_diags(&d, warnings);
        if (d.errors) {
                cli_error(cmd, "%s: invalid profile, %zu error%s", file, d.errors, d.errors == 1 ? "" : "s");
                status = EXIT_INVALID;
        }
        sf_diags_release(&d);
        sf_profiles_free(v, n);
        return status;
}

static void free_files(profile_file *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].name);
                free(v[i].text);
        }
        free(v);
}

/* Whether name ends in suffix, with something before it. */
static bool ends_with(const char *name, const char *suffix)
{
        size_t n = strlen(name), k = strlen(suffix);
        return n > k && strcmp(name + n - k, suffix) == 0;
}

/* The profiles of dir (*.json, and the SeccompProfile YAML `record --format
 * crd` writes: *.yaml, *.yml), validated, sorted by name; none is an error. */
static int read_profiles(const char *dir, profile_file **ret, size_t *ret_n)
{
        DIR *d = opendir(dir);
        if (!d) {
                cli_error("k8s manifests", "--from %s: %s", dir, strerror(errno));
                return EXIT_INVALID;
        }
        profile_file *v = NULL;
        size_t n = 0, total = 0;
        int status = EXIT_OK;
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *name = de->d_name;
                if (name[0] == '.' || !(ends_with(name, ".json") || ends_with(name, ".yaml") || ends_with(name, ".yml")))
                        continue;
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", dir, name) < 0) {
                        status = EXIT_INVALID;
                        break;
                }
                struct stat st;
                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (!configmap_key(name)) {
                        cli_error("k8s manifests", "%s: \"%s\" is not a ConfigMap key (letters, digits, -, _ and .)",
                                  path, name);
                        status = EXIT_INVALID;
                        continue;
                }
                if (n == MAX_PROFILES) {
                        cli_error("k8s manifests", "%s: more than %d profiles", dir, MAX_PROFILES);
                        status = EXIT_INVALID;
                        break;
                }
                /* a SeccompProfile goes in as the Docker JSON the runtime reads, under NAME.json */
                char *text = NULL;
                if (validate_profile("k8s manifests", path, true, &text) != 0) {
                        status = EXIT_INVALID;
                        continue;
                }
                size_t tlen = text ? strlen(text) : 0;
                char *nm = NULL;
                if (text) {
                        const char *dot = strrchr(name, '.');
                        if (asprintf(&nm, "%.*s.json", (int)(dot - name), name) < 0)
                                nm = NULL;
                } else {
                        sf_error *err = NULL;
                        if (sf_read_file(path, SF_PROFILE_MAX_FILE, &text, &tlen, &err) < 0) {
                                status = cli_fail("k8s manifests", &err);
                                continue;
                        }
                        nm = strdup(name);
                }
                for (size_t i = 0; nm && i < n; i++)
                        if (strcmp(v[i].name, nm) == 0) {
                                cli_error("k8s manifests", "%s: its key \"%s\" is another file's too", path, nm);
                                status = EXIT_INVALID;
                        }
                if (status != EXIT_OK) {
                        free(nm);
                        free(text);
                        continue;
                }
                profile_file *nv = realloc(v, (n + 1) * sizeof(*v));
                if (!nv || !nm) {
                        free(nm);
                        free(text);
                        if (nv)
                                v = nv;
                        cli_error("k8s manifests", "out of memory");
                        status = EXIT_INVALID;
                        break;
                }
                v = nv;
                v[n++] = (profile_file){ .name = nm, .text = text, .len = tlen };
                total += tlen;
        }
        closedir(d);
        if (status == EXIT_OK && n == 0) {
                cli_error("k8s manifests", "--from %s: no profiles there (*.json, *.yaml, *.yml)", dir);
                status = EXIT_INVALID;
        }
        if (status == EXIT_OK && total > CONFIGMAP_MAX_DATA) {
                cli_error("k8s manifests", "%s: the profiles hold %zu bytes, more than a ConfigMap can (%u)", dir,
                          total, CONFIGMAP_MAX_DATA);
                status = EXIT_INVALID;
        }
        if (status != EXIT_OK) {
                free_files(v, n);
                return status;
        }
        if (n)
                qsort(v, n, sizeof(*v), cmp_name);
        *ret = v;
        *ret_n = n;
        return EXIT_OK;
}

#define LABELS(ind)                                                                                                    \
        ind "app.kubernetes.io/name: sysfence\n" ind "app.kubernetes.io/component: node-agent\n"

static void emit_manifests(sf_buf *b, const char *ns, const char *image, const profile_file *v, size_t n)
{
        sf_buf_printf(b,
                      "# The sysfence node agent: keeps the profiles of the ConfigMap installed on\n"
                      "# every node under /var/lib/kubelet/seccomp/" DEFAULT_SUBDIR "/, so pods name them\n"
                      "#   securityContext: {seccompProfile: {type: Localhost, localhostProfile: " DEFAULT_SUBDIR
                      "/FILE}}\n"
                      "# Made by 'sysfence k8s manifests'; sysfence %s.\n"
                      "---\n"
                      "apiVersion: v1\n"
                      "kind: Namespace\n"
                      "metadata:\n"
                      "  name: %s\n"
                      "  labels:\n" LABELS("    ")
                      "    # hostPath volumes are outside Pod Security's baseline and restricted levels\n"
                      "    pod-security.kubernetes.io/enforce: privileged\n"
                      "---\n"
                      "apiVersion: v1\n"
                      "kind: ConfigMap\n"
                      "metadata:\n"
                      "  name: sysfence-profiles\n"
                      "  namespace: %s\n"
                      "  labels:\n" LABELS("    "),
                      SYSFENCE_VERSION, ns, ns);
        if (n == 0) {
                sf_buf_puts(b, "data: {}\n");
        } else {
                sf_buf_puts(b, "data:\n");
                for (size_t i = 0; i < n; i++) {
                        sf_buf_printf(b, "  %s: ", v[i].name);
                        yaml_text(b, v[i].text, v[i].len, 4);
                }
        }
        sf_buf_printf(b,
                      "---\n"
                      "apiVersion: apps/v1\n"
                      "kind: DaemonSet\n"
                      "metadata:\n"
                      "  name: sysfence-agent\n"
                      "  namespace: %s\n"
                      "  labels:\n" LABELS("    ")
                      "spec:\n"
                      "  selector:\n"
                      "    matchLabels:\n" LABELS("      ")
                      "  updateStrategy:\n"
                      "    type: RollingUpdate\n"
                      "    rollingUpdate:\n"
                      "      maxUnavailable: 1\n"
                      "  template:\n"
                      "    metadata:\n"
                      "      labels:\n" LABELS("        ")
                      "    spec:\n"
                      "      # every node, whatever its taints: pods there may need the profiles\n"
                      "      tolerations:\n"
                      "      - operator: Exists\n"
                      "      nodeSelector:\n"
                      "        kubernetes.io/os: linux\n"
                      "      automountServiceAccountToken: false\n"
                      "      enableServiceLinks: false\n"
                      "      terminationGracePeriodSeconds: 5\n"
                      "      # uid 0 owns /var/lib/kubelet/seccomp (0755): as the owner it writes there\n"
                      "      # without CAP_DAC_OVERRIDE, so the container drops every capability\n"
                      "      securityContext:\n"
                      "        runAsUser: 0\n"
                      "        runAsGroup: 0\n"
                      "        runAsNonRoot: false\n"
                      "        seccompProfile:\n"
                      "          type: RuntimeDefault\n"
                      "      containers:\n"
                      "      - name: agent\n"
                      "        image: ",
                      ns);
        yaml_dq(b, image, strlen(image));
        sf_buf_puts(b,
                    "\n"
                    "        imagePullPolicy: IfNotPresent\n"
                    "        command:\n"
                    "        - /usr/bin/sysfence\n"
                    "        - k8s\n"
                    "        - agent\n"
                    "        - --source\n"
                    "        - /etc/sysfence/profiles\n"
                    "        - --kubelet-root\n"
                    "        - /var/lib/kubelet\n"
                    "        - --subdir\n"
                    "        - " DEFAULT_SUBDIR "\n"
                    "        readinessProbe:\n"
                    "          exec:\n"
                    "            command:\n"
                    "            - /usr/bin/sysfence\n"
                    "            - k8s\n"
                    "            - status\n"
                    "            - --source\n"
                    "            - /etc/sysfence/profiles\n"
                    "            - --kubelet-root\n"
                    "            - /var/lib/kubelet\n"
                    "            - --subdir\n"
                    "            - " DEFAULT_SUBDIR "\n"
                    "          # ready only when this node holds every profile of the ConfigMap\n"
                    "          periodSeconds: 5\n"
                    "          timeoutSeconds: 5\n"
                    "          failureThreshold: 1\n"
                    "        resources:\n"
                    "          requests:\n"
                    "            cpu: 5m\n"
                    "            memory: 16Mi\n"
                    "          limits:\n"
                    "            cpu: 200m\n"
                    "            memory: 32Mi\n"
                    "        securityContext:\n"
                    "          privileged: false\n"
                    "          allowPrivilegeEscalation: false\n"
                    "          readOnlyRootFilesystem: true\n"
                    "          capabilities:\n"
                    "            drop:\n"
                    "            - ALL\n"
                    "        volumeMounts:\n"
                    "        - name: kubelet-seccomp\n"
                    "          mountPath: /var/lib/kubelet/seccomp\n"
                    "        # no subPath: the kubelet updates a ConfigMap volume by swapping its\n"
                    "        # ..data symlink, which the agent follows\n"
                    "        - name: profiles\n"
                    "          mountPath: /etc/sysfence/profiles\n"
                    "          readOnly: true\n"
                    "      volumes:\n"
                    "      - name: kubelet-seccomp\n"
                    "        hostPath:\n"
                    "          path: /var/lib/kubelet/seccomp\n"
                    "          type: DirectoryOrCreate\n"
                    "      - name: profiles\n"
                    "        configMap:\n"
                    "          name: sysfence-profiles\n");
}

int k8s_manifests(int argc, char **argv)
{
        static const struct option opts[] = {
                { "namespace", required_argument, NULL, 'n' },
                { "image", required_argument, NULL, 'i' },
                { "from", required_argument, NULL, 'f' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *ns = DEFAULT_NAMESPACE, *image = DEFAULT_IMAGE, *from = NULL;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'n': ns = optarg; break;
                case 'i': image = optarg; break;
                case 'f': from = optarg; break;
                case 'h': fputs(manifests_usage, stdout); return EXIT_OK;
                default: return cli_usage_error("k8s manifests", "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error("k8s manifests", "unexpected argument \"%s\"", argv[optind]);
        if (!dns_label(ns))
                return cli_usage_error("k8s manifests",
                                       "--namespace: \"%s\" is not a namespace name (lower-case letters, digits "
                                       "and -, at most 63)",
                                       ns);
        bool image_ok = *image && strlen(image) <= 512;
        for (const char *p = image; *p; p++)
                if ((unsigned char)*p <= ' ' || *p == 0x7f)
                        image_ok = false;
        if (!image_ok)
                return cli_usage_error("k8s manifests", "--image: \"%s\" is not an image reference", image);

        profile_file *v = NULL;
        size_t n = 0;
        if (from) {
                int r = read_profiles(from, &v, &n);
                if (r)
                        return r;
        }
        sf_buf b = { 0 };
        emit_manifests(&b, ns, image, v, n);
        free_files(v, n);
        if (b.oom) {
                cli_error("k8s manifests", "out of memory");
                return EXIT_INVALID;
        }
        fputs(b.s, stdout);
        sf_buf_release(&b);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_INVALID;
}

/* A relative path of plain names: what may follow <kubelet-root>/seccomp/. */
static bool plain_subdir(const char *s)
{
        if (*s == '/')
                return false;
        for (const char *p = s; *p;) {
                const char *e = strchr(p, '/');
                size_t len = e ? (size_t)(e - p) : strlen(p);
                if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += len;
                if (*p == '/')
                        p++;
        }
        return true;
}

int k8s_pod_patch(int argc, char **argv)
{
        static const struct option opts[] = {
                { "subdir", required_argument, NULL, 's' },
                { "container", required_argument, NULL, 'c' },
                { "template", no_argument, NULL, 't' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { 0 },
        };
        const char *subdir = DEFAULT_SUBDIR, *container = NULL;
        bool json = false, tmpl = false;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 's': subdir = optarg; break;
                case 'c': container = optarg; break;
                case 't': tmpl = true; break;
                case 'j': json = true; break;
                case 'h': fputs(patch_usage, stdout); return EXIT_OK;
                default: return cli_usage_error("k8s pod-patch", "invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("k8s pod-patch", "no profile given");
        if (optind + 1 < argc)
                return cli_usage_error("k8s pod-patch", "one profile at a time");
        if (*subdir && !plain_subdir(subdir))
                return cli_usage_error("k8s pod-patch",
                                       "--subdir: \"%s\" is not a relative path without \".\" or \"..\"", subdir);
        if (container && (!*container || strlen(container) > 63))
                return cli_usage_error("k8s pod-patch", "--container: \"%s\" is not a container name", container);
        const char *file = argv[optind];
        const char *base = strrchr(file, '/');
        base = base ? base + 1 : file;
        if (!configmap_key(base))
                return cli_usage_error("k8s pod-patch",
                                       "\"%s\" cannot be a ConfigMap key, so the agent cannot install it under that "
                                       "name (letters, digits, -, _ and .)",
                                       base);
        int r = validate_profile("k8s pod-patch", file, true, NULL);
        if (r)
                return r;

        sf_buf lp = { 0 }, b = { 0 };
        sf_buf_printf(&lp, "%s%s%s", subdir, *subdir ? "/" : "", base);
        const char *ind = tmpl ? "    " : "";
        if (json) {
                sf_buf_puts(&b, "{\"spec\":{");
                if (tmpl)
                        sf_buf_puts(&b, "\"template\":{\"spec\":{");
                if (container) {
                        sf_buf_puts(&b, "\"containers\":[{\"name\":");
                        cli_json_str(&b, container);
                        sf_buf_puts(&b, ",");
                }
                sf_buf_puts(&b, "\"securityContext\":{\"seccompProfile\":{\"type\":\"Localhost\","
                                "\"localhostProfile\":");
                cli_json_str(&b, lp.s);
                sf_buf_puts(&b, "}}");
                if (container)
                        sf_buf_puts(&b, "}]");
                if (tmpl)
                        sf_buf_puts(&b, "}}");
                sf_buf_puts(&b, "}}\n");
        } else {
                sf_buf_printf(&b,
                              "# Binds %s to %s, as the sysfence agent installs it:\n"
                              "# <kubelet-root>/seccomp/%s.  Apply with\n"
                              "# kubectl patch KIND NAME --type strategic --patch-file FILE\n"
                              "spec:\n",
                              base, container ? "one container" : "every container of the pod", lp.s);
                if (tmpl)
                        sf_buf_puts(&b, "  template:\n    spec:\n");
                if (container) {
                        sf_buf_printf(&b, "%s  containers:\n%s  - name: ", ind, ind);
                        yaml_dq(&b, container, strlen(container));
                        sf_buf_printf(&b, "\n%s    securityContext:\n%s      seccompProfile:\n%s        type: "
                                          "Localhost\n%s        localhostProfile: ",
                                      ind, ind, ind, ind);
                } else {
                        sf_buf_printf(&b, "%s  securityContext:\n%s    seccompProfile:\n%s      type: Localhost\n%s   "
                                          "   localhostProfile: ",
                                      ind, ind, ind, ind);
                }
                yaml_dq(&b, lp.s, lp.len);
                sf_buf_putc(&b, '\n');
        }
        int status = EXIT_OK;
        if (b.oom || lp.oom) {
                cli_error("k8s pod-patch", "out of memory");
                status = EXIT_INVALID;
        } else {
                fputs(b.s, stdout);
        }
        sf_buf_release(&b);
        sf_buf_release(&lp);
        if (fflush(stdout) != 0)
                return EXIT_INVALID;
        return status;
}
