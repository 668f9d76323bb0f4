/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The node's containers, read from their runtime's state dirs, without a CRI
 * client: containerd's shim v2 keeps one bundle per task under
 * <state>/io.containerd.runtime.v2.task/<namespace>/<id>/ with the OCI spec it
 * generated (config.json, carrying the CRI annotations io.kubernetes.cri.*
 * and linux.seccomp as containerd resolved the pod's seccompProfile) and the
 * init's pid (init.pid); CRI-O keeps <storage>/overlay-containers/<id>/
 * userdata/ with config.json (io.kubernetes.pod.* annotations) and pidfile.
 * The dirs are root's, but what is in them came from pod specs: names are
 * charset-checked, nothing is followed through a symlink, files are bounded,
 * and a pid is believed only when its cgroup names the container's id (a
 * stale init.pid may name a pid reused since). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "doc/doc.h"
#include "k8s-internal.h"

#define CONFIG_MAX (4u << 20)
#define MAX_CONTAINERS 65536
#define ID_MAX 128

static bool id_ok(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > ID_MAX || s[0] == '.')
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
                      *p == '_' || *p == '.'))
                        return false;
        return true;
}

/* dirfd/name, a regular file not reached through a symlink, at most max bytes. */
static int read_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
                close(fd);
                return -EINVAL;
        }
        size_t cap = (size_t)st.st_size + 1, len = 0;
        char *buf = malloc(cap);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        for (;;) {
                ssize_t k = read(fd, buf + len, cap - 1 - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int e = errno;
                        free(buf);
                        close(fd);
                        return -e;
                }
                if (k == 0 || (len += (size_t)k) == cap - 1)
                        break;
        }
        close(fd);
        buf[len] = 0;
        *ret = buf;
        *ret_len = len;
        return 0;
}

static pid_t read_pid(int dirfd, const char *name)
{
        _cleanup_free_ char *s = NULL;
        size_t len;
        if (read_at(dirfd, name, 32, &s, &len) < 0)
                return 0;
        while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
                s[--len] = 0;
        uint64_t v;
        if (sf_parse_u64(s, 10, &v) < 0 || v == 0 || v > 4194304)
                return 0;
        return (pid_t)v;
}

/* /proc/PID/cgroup into buf (NUL-terminated); false if it cannot be read. */
static bool cgroup_of(pid_t pid, char *buf, size_t size)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t k = read(fd, buf, size - 1);
        close(fd);
        if (k <= 0)
                return false;
        buf[k] = 0;
        return true;
}

/* Whether the process is in the container's cgroup: a path naming its id. */
static bool pid_in(pid_t pid, const char *id)
{
        char buf[8192];
        return cgroup_of(pid, buf, sizeof(buf)) && strstr(buf, id) != NULL;
}

/* FNV-1a over a node's content (kinds, keys, scalars), order as written. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
        const unsigned char *u = p;
        for (size_t i = 0; i < n; i++)
                h = (h ^ u[i]) * 0x100000001b3ull;
        return h;
}

static uint64_t node_hash(uint64_t h, const sf_node *n, unsigned depth)
{
        unsigned char k = (unsigned char)n->kind;
        h = fnv(h, &k, 1);
        if (depth > 64)
                return h;
        switch (n->kind) {
        case SF_NODE_NULL: break;
        case SF_NODE_BOOL: h = fnv(h, &n->b, 1); break;
        case SF_NODE_NUM: h = fnv(h, n->num.text, strlen(n->num.text) + 1); break;
        case SF_NODE_STR: h = fnv(h, n->str.s, n->str.len + 1); break;
        case SF_NODE_ARR:
                for (size_t i = 0; i < n->arr.n; i++)
                        h = node_hash(h, n->arr.v[i], depth + 1);
                break;
        case SF_NODE_OBJ:
                for (size_t i = 0; i < n->obj.n; i++) {
                        h = fnv(h, n->obj.v[i].key, strlen(n->obj.v[i].key) + 1);
                        h = node_hash(h, n->obj.v[i].val, depth + 1);
                }
                break;
        }
        return h;
}

static char *ann(const sf_node *anns, const char *key)
{
        const sf_node *v = anns && anns->kind == SF_NODE_OBJ ? sf_node_get(anns, key) : NULL;
        return v && v->kind == SF_NODE_STR ? strdup(v->str.s) : NULL;
}

static void container_release(sf_k8s_container *c)
{
        free(c->id);
        free(c->ns);
        free(c->pod);
        free(c->pod_ns);
        free(c->name);
        free(c->type);
        free(c->bundle);
        free(c->config);
}

/* One bundle: dirfd is its dir (path for messages and config). */
static int add_bundle(sf_k8s_inventory *inv, size_t *cap, int dirfd, const char *path, const char *id,
                      const char *ns, const char *pidfile, bool crio)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = read_at(dirfd, "config.json", CONFIG_MAX, &data, &len);
        if (r == -ENOENT)
                return 0; /* a task being created or deleted */
        if (r < 0) {
                sf_diags_add(&inv->notes, SF_SEV_WARNING, "bundle", path, "", 0, 0, NULL,
                             "config.json: cannot read: %s", strerror(-r));
                return r == -ENOMEM ? r : 0;
        }
        sf_doc doc = { 0 };
        sf_diags d = { 0 };
        r = sf_json_parse(data, len, "config.json", &doc, &d);
        sf_diags_release(&d);
        if (r < 0 || doc.n_docs != 1 || doc.docs[0]->kind != SF_NODE_OBJ) {
                sf_doc_release(&doc);
                sf_diags_add(&inv->notes, SF_SEV_WARNING, "bundle", path, "", 0, 0, NULL,
                             "config.json: not an OCI runtime spec");
                return 0;
        }
        if (inv->n == *cap) {
                size_t nc = *cap ? 2 * *cap : 32;
                sf_k8s_container *nv = nc > MAX_CONTAINERS ? NULL : realloc(inv->v, nc * sizeof(*nv));
                if (!nv) {
                        sf_doc_release(&doc);
                        return -ENOMEM;
                }
                inv->v = nv;
                *cap = nc;
        }
        const sf_node *root = doc.docs[0], *anns = sf_node_get(root, "annotations");
        const sf_node *linux_ = sf_node_get(root, "linux");
        const sf_node *sc = linux_ && linux_->kind == SF_NODE_OBJ ? sf_node_get(linux_, "seccomp") : NULL;
        sf_k8s_container c = {
                .id = strdup(id),
                .ns = ns ? strdup(ns) : NULL,
                .pod = ann(anns, crio ? "io.kubernetes.pod.name" : "io.kubernetes.cri.sandbox-name"),
                .pod_ns = ann(anns, crio ? "io.kubernetes.pod.namespace" : "io.kubernetes.cri.sandbox-namespace"),
                .name = ann(anns, crio ? "io.kubernetes.container.name" : "io.kubernetes.cri.container-name"),
                .type = ann(anns, crio ? "io.kubernetes.cri-o.ContainerType" : "io.kubernetes.cri.container-type"),
                .bundle = strdup(path),
                .seccomp = sc && sc->kind == SF_NODE_OBJ,
                .seccomp_hash = sc && sc->kind == SF_NODE_OBJ ? node_hash(0xcbf29ce484222325ull, sc, 0) : 0,
        };
        sf_doc_release(&doc);
        sf_buf cp = { 0 };
        sf_buf_printf(&cp, "%s/config.json", path);
        c.config = sf_buf_steal(&cp);
        if (!c.id || !c.bundle || !c.config || (ns && !c.ns)) {
                container_release(&c);
                return -ENOMEM;
        }
        pid_t pid = read_pid(dirfd, pidfile);
        c.pid = pid && pid_in(pid, id) ? pid : 0;
        inv->v[inv->n++] = c;
        return 0;
}

static int open_dir(int dirfd, const char *name)
{
        return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

/* Calls fn for each entry of dirfd whose name is id_ok. */
static int each_dir(int dirfd, int (*fn)(void *ctx, int fd, const char *name), void *ctx)
{
        int fd = dup(dirfd);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int r = 0;
        struct dirent *de;
        while (r >= 0 && (de = readdir(d)))
                if (id_ok(de->d_name))
                        r = fn(ctx, dirfd, de->d_name);
        closedir(d);
        return r;
}

typedef struct walk {
        sf_k8s_inventory *inv;
        size_t *cap;
        const char *base; /* the path of the dir being walked */
        const char *ns;
} walk;

static int containerd_task(void *ctx, int nsfd, const char *id)
{
        walk *w = ctx;
        int fd = open_dir(nsfd, id);
        if (fd < 0)
                return 0;
        sf_buf path = { 0 };
        sf_buf_printf(&path, "%s/%s", w->base, id);
        int r = path.oom ? -ENOMEM : add_bundle(w->inv, w->cap, fd, path.s, id, w->ns, "init.pid", false);
        sf_buf_release(&path);
        close(fd);
        return r;
}

static int containerd_ns(void *ctx, int taskfd, const char *ns)
{
        walk *w = ctx;
        int fd = open_dir(taskfd, ns);
        if (fd < 0)
                return 0;
        sf_buf path = { 0 };
        sf_buf_printf(&path, "%s/%s", w->base, ns);
        walk sub = { .inv = w->inv, .cap = w->cap, .base = path.s, .ns = ns };
        int r = path.oom ? -ENOMEM : each_dir(fd, containerd_task, &sub);
        sf_buf_release(&path);
        close(fd);
        return r;
}

static int crio_container(void *ctx, int dirfd, const char *id)
{
        walk *w = ctx;
        int fd = open_dir(dirfd, id);
        if (fd < 0)
                return 0;
        int ufd = open_dir(fd, "userdata");
        close(fd);
        if (ufd < 0)
                return 0;
        sf_buf path = { 0 };
        sf_buf_printf(&path, "%s/%s/userdata", w->base, id);
        int r = path.oom ? -ENOMEM : add_bundle(w->inv, w->cap, ufd, path.s, id, NULL, "pidfile", true);
        sf_buf_release(&path);
        close(ufd);
        return r;
}

/* root/sub opened as a dir (no symlink in sub); -ENOENT when absent. */
static int open_under(const char *root, const char *sub, sf_buf *path)
{
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int sfd = open_dir(fd, sub);
        int e = errno;
        close(fd);
        sf_buf_printf(path, "%s/%s", root, sub);
        return sfd < 0 ? -e : sfd;
}

static const char *s0(const char *s) { return s ? s : ""; }

static int cmp_container(const void *a, const void *b)
{
        const sf_k8s_container *x = a, *y = b;
        int r = strcmp(s0(x->pod_ns), s0(y->pod_ns));
        if (!r)
                r = strcmp(s0(x->pod), s0(y->pod));
        if (!r)
                r = strcmp(s0(x->name), s0(y->name));
        return r ? r : strcmp(x->id, y->id);
}

SF_EXPORT int sf_k8s_inventory_read(const sf_k8s_inventory_opts *o, sf_k8s_inventory *ret, sf_error **err)
{
        sf_k8s_inventory inv = { 0 };
        size_t cap = 0;
        int r = 0;
        const char *roots[2] = { o->containerd_state, o->crio_storage };
        const char *subs[2] = { "io.containerd.runtime.v2.task", "overlay-containers" };
        for (int i = 0; i < 2 && r >= 0; i++) {
                if (!roots[i])
                        continue;
                sf_buf path = { 0 };
                int fd = open_under(roots[i], subs[i], &path);
                if (fd == -ENOENT || fd == -ENOTDIR) {
                        sf_buf_release(&path);
                        continue; /* no such runtime here */
                }
                if (fd < 0) {
                        r = sf_error_set(err, -fd, "%s: cannot open: %s", path.s ? path.s : roots[i], strerror(-fd));
                        sf_buf_release(&path);
                        break;
                }
                walk w = { .inv = &inv, .cap = &cap, .base = path.s };
                r = path.oom ? -ENOMEM : each_dir(fd, i == 0 ? containerd_ns : crio_container, &w);
                if (r < 0)
                        r = sf_error_set(err, -r, "%s: %s", path.s ? path.s : roots[i], strerror(-r));
                close(fd);
                sf_buf_release(&path);
        }
        if (r < 0) {
                sf_k8s_inventory_release(&inv);
                return r;
        }
        if (inv.n)
                qsort(inv.v, inv.n, sizeof(*inv.v), cmp_container);
        *ret = inv;
        return 0;
}

SF_EXPORT void sf_k8s_inventory_release(sf_k8s_inventory *inv)
{
        for (size_t i = 0; i < inv->n; i++)
                container_release(&inv->v[i]);
        free(inv->v);
        sf_diags_release(&inv->notes);
        *inv = (sf_k8s_inventory){ 0 };
}

SF_EXPORT const sf_k8s_container *sf_k8s_inventory_find_pid(const sf_k8s_inventory *inv, pid_t pid)
{
        for (size_t i = 0; i < inv->n; i++)
                if (inv->v[i].pid == pid)
                        return &inv->v[i];
        char buf[8192];
        if (!cgroup_of(pid, buf, sizeof(buf)))
                return NULL;
        for (size_t i = 0; i < inv->n; i++)
                if (strstr(buf, inv->v[i].id))
                        return &inv->v[i];
        return NULL;
}

SF_EXPORT const sf_k8s_container *sf_k8s_inventory_find_id(const sf_k8s_inventory *inv, const char *id)
{
        for (size_t i = 0; i < inv->n; i++)
                if (strcmp(inv->v[i].id, id) == 0)
                        return &inv->v[i];
        return NULL;
}

/* A container id in one cgroup path component [s, s+n): 64 hex digits, alone
 * or between a runtime's prefix ending in '-' and ".scope". */
static bool component_id(const char *s, size_t n, char *buf)
{
        if (n > 6 && memcmp(s + n - 6, ".scope", 6) == 0)
                n -= 6;
        if (n < 64)
                return false;
        const char *id = s + n - 64;
        if (id > s && id[-1] != '-')
                return false;
        for (size_t i = 0; i < 64; i++)
                if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
                        return false;
        memcpy(buf, id, 64);
        buf[64] = 0;
        return true;
}

SF_EXPORT int sf_k8s_pid_container_id(pid_t pid, char *buf, size_t n)
{
        if (n < 65)
                return -EINVAL;
        char path[64], data[4096];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t k = read(fd, data, sizeof(data) - 1);
        int e = errno;
        close(fd);
        if (k < 0)
                return -e;
        data[k] = 0;
        /* "HIERARCHY:CONTROLLERS:PATH" per line; the last component names it */
        for (char *line = data; *line;) {
                char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                const char *end = line + len, *slash = end;
                while (slash > line && slash[-1] != '/')
                        slash--;
                if (slash > line && component_id(slash, (size_t)(end - slash), buf))
                        return 1;
                if (!nl)
                        break;
                line = nl + 1;
        }
        return 0;
}
