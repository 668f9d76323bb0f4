/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* k8s manifests / pod-patch: the objects that run the node agent (a Namespace,
 * the ConfigMap of profiles, the DaemonSet), and the securityContext patch that
 * binds a profile it installed.  Every profile put in the ConfigMap is loaded,
 * checked and compiled for this node first: a cluster never receives a file its
 * runtime would refuse.  The YAML is written by hand, deterministic, with every
 * user-given string double-quoted so that no value can become YAML structure. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "k8s-internal.h"
#include "sysfence/profile.h"

#ifndef SYSFENCE_VERSION
#define SYSFENCE_VERSION "unknown"
#endif

#define DEFAULT_SUBDIR SF_K8S_DEFAULT_SUBDIR
/* A ConfigMap is one etcd object: at most 1 MiB with its metadata. */
#define CONFIGMAP_MAX_DATA (1000u * 1000u)
#define MAX_PROFILES 4096

/* RFC 1123 label: what a namespace name must be. */
SF_EXPORT bool sf_k8s_dns_label(const char *s)
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
SF_EXPORT bool sf_k8s_configmap_key(const char *s)
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

SF_EXPORT int sf_k8s_profile_validate(const char *file, char **ret_json, sf_diags *out)
{
        sf_diags d = { 0 };
        sf_error *err = NULL;
        sf_profile **v = NULL;
        size_t n = 0;
        int status = 0;
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
        k8s_diags_move(out, &d);
        if (d.errors) {
                k8s_message(out, "%s: invalid profile, %zu error%s", file, d.errors, d.errors == 1 ? "" : "s");
                status = 1;
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
static int read_profiles(const char *dir, profile_file **ret, size_t *ret_n, sf_diags *dg)
{
        DIR *d = opendir(dir);
        if (!d) {
                k8s_message(dg, "--from %s: %s", dir, strerror(errno));
                return 1;
        }
        profile_file *v = NULL;
        size_t n = 0, total = 0;
        int status = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *name = de->d_name;
                if (name[0] == '.' || !(ends_with(name, ".json") || ends_with(name, ".yaml") || ends_with(name, ".yml")))
                        continue;
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", dir, name) < 0) {
                        status = 1;
                        break;
                }
                struct stat st;
                if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (!sf_k8s_configmap_key(name)) {
                        k8s_message(dg, "%s: \"%s\" is not a ConfigMap key (letters, digits, -, _ and .)",
                                  path, name);
                        status = 1;
                        continue;
                }
                if (n == MAX_PROFILES) {
                        k8s_message(dg, "%s: more than %d profiles", dir, MAX_PROFILES);
                        status = 1;
                        break;
                }
                /* a SeccompProfile goes in as the Docker JSON the runtime reads, under NAME.json */
                char *text = NULL;
                if (sf_k8s_profile_validate(path, &text, dg) != 0) {
                        status = 1;
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
                                k8s_message(dg, "%s", sf_error_message(err));
                                sf_error_free(err);
                                status = 1;
                                continue;
                        }
                        nm = strdup(name);
                }
                for (size_t i = 0; nm && i < n; i++)
                        if (strcmp(v[i].name, nm) == 0) {
                                k8s_message(dg, "%s: its key \"%s\" is another file's too", path, nm);
                                status = 1;
                        }
                if (status != 0) {
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
                        k8s_message(dg, "out of memory");
                        status = 1;
                        break;
                }
                v = nv;
                v[n++] = (profile_file){ .name = nm, .text = text, .len = tlen };
                total += tlen;
        }
        closedir(d);
        if (status == 0 && n == 0) {
                k8s_message(dg, "--from %s: no profiles there (*.json, *.yaml, *.yml)", dir);
                status = 1;
        }
        if (status == 0 && total > CONFIGMAP_MAX_DATA) {
                k8s_message(dg, "%s: the profiles hold %zu bytes, more than a ConfigMap can (%u)", dir,
                          total, CONFIGMAP_MAX_DATA);
                status = 1;
        }
        if (status != 0) {
                free_files(v, n);
                return status;
        }
        if (n)
                qsort(v, n, sizeof(*v), cmp_name);
        *ret = v;
        *ret_n = n;
        return 0;
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

SF_EXPORT int sf_k8s_manifests(const char *ns, const char *image, const char *from_dir, char **ret, sf_diags *d)
{
        profile_file *v = NULL;
        size_t n = 0;
        if (from_dir) {
                int r = read_profiles(from_dir, &v, &n, d);
                if (r)
                        return r;
        }
        sf_buf b = { 0 };
        emit_manifests(&b, ns, image, v, n);
        free_files(v, n);
        if (b.oom) {
                sf_buf_release(&b);
                return -ENOMEM;
        }
        *ret = sf_buf_steal(&b);
        return 0;
}

/* A relative path of plain names: what may follow <kubelet-root>/seccomp/. */
SF_EXPORT bool sf_k8s_plain_subdir(const char *s)
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

SF_EXPORT int sf_k8s_pod_patch(const char *subdir, const char *base, const char *container, bool tmpl, bool json,
                               char **ret)
{
        sf_buf lp = { 0 }, b = { 0 };
        sf_buf_printf(&lp, "%s%s%s", subdir, *subdir ? "/" : "", base);
        const char *ind = tmpl ? "    " : "";
        if (json) {
                sf_buf_puts(&b, "{\"spec\":{");
                if (tmpl)
                        sf_buf_puts(&b, "\"template\":{\"spec\":{");
                if (container) {
                        sf_buf_puts(&b, "\"containers\":[{\"name\":");
                        sf_buf_json_str(&b, container);
                        sf_buf_puts(&b, ",");
                }
                sf_buf_puts(&b, "\"securityContext\":{\"seccompProfile\":{\"type\":\"Localhost\","
                                "\"localhostProfile\":");
                sf_buf_json_str(&b, lp.s);
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
        int r = b.oom || lp.oom ? -ENOMEM : 0;
        if (r == 0)
                *ret = sf_buf_steal(&b);
        sf_buf_release(&b);
        sf_buf_release(&lp);
        return r;
}
