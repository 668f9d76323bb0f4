/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* k8s record: a pod's containers recorded from their start, the seed
 * tutorial's flow made per container and lossless.
 *
 * The pod runs under the audit profile installed here (sysfence/record.json,
 * {"defaultAction": "SCMP_ACT_LOG"}): every call is allowed and the kernel
 * logs each as a type=1326 record.  The kernel log keeps 10 of them per 5 s,
 * so they are read from the audit netlink multicast group instead, which gets
 * every one (DESIGN.md, measured: 217 of 217).  Each record is named by its
 * pod, namespace and container (lib/audit/attr.c: pid -> cgroup -> the
 * container's OCI annotations) and counted for that container's name, so
 * replicas of one workload (--selector) and repeated runs add up per
 * container, not per pod; a set of (arch, syscall) does not depend on the
 * order records or pods come in, and the profile made from it is canonical.
 *
 * The runtime loads the filter before it is done (runc with no_new_privs off:
 * 166 of 277 records, DESIGN.md): its init's records (comm "runc:[2:INIT]" or
 * "crun") are left out and its measured base set (lib/record/base.c) is added
 * instead, as 'record --base' does, so a profile holds what the workload did
 * plus what that runtime version needs, not one run's accidents.
 *
 * A process that exits before its first record is read cannot be named from
 * /proc any more (its cgroup is gone with it): a container's shell forking
 * mkdir lost that mkdir (1 run in 1 here, before).  So attribution watches
 * the kernel's fork events (sf_audit_attr_watch: a child is named by its
 * parent's container at its fork), read here as they come.
 *
 * A pod has ended when its sandbox is gone or stopped, or when every one of
 * its containers has exited and none started for settle_ms (a restartPolicy
 * Never pod's containers exit one by one; the kubelet starts them one after
 * another).  Both are read from the runtime's state dir (lib/k8s/inventory.c),
 * where a container's init.pid names a living process only while it runs
 * (and containerd's CRI deletes an exited container's task, bundle and all).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "doc/doc.h"
#include "k8s-internal.h"
#include "sysfence/audit.h"
#include "sysfence/profile.h"

#define MAX_SELECTOR 16
#define MAX_RECORDED 256          /* container names kept */
#define MAX_PODS 1024
#define POLL_MS 250               /* how often the state dir is read again */
#define DRAIN_MS 300              /* quiet this long after the end: every record is in */
#define DRAIN_MAX_MS 3000         /* or a record stamped that long after the end has come (the
                                   * kernel sends them in order), or this long at most: the
                                   * stream of a busy node never goes quiet */
#define SANDBOX_CONFIG_MAX (1u << 20)
#define AUDIT_PROFILE "{\"defaultAction\": \"SCMP_ACT_LOG\"}\n"

enum { RT_RUNC = 1, RT_CRUN = 2 };

typedef struct label {
        char *key, *value;
} label;

typedef struct rec_ctr {
        char *name;
        sf_record *rec;
        uint64_t calls, runtime_calls;
        unsigned runtimes; /* RT_*: whose init was seen */
} rec_ctr;

typedef struct rec_pod {
        char *ns, *name;
        bool match;          /* a selector's: its labels match */
        bool ended;
        bool sandbox_ran;    /* its sandbox was seen running (while it starts, it has no pid) */
        bool had_ctr;        /* a container of it was seen (containerd removes one's task once it exited) */
        uint64_t idle_since; /* ms: since when none of its containers has run (0: one runs) */
} rec_pod;

struct sf_k8s_recording {
        sf_k8s_record_opts o;
        char *pod_ns, *pod, *container, *kubelet_root, *containerd_state, *crio_storage;
        label sel[MAX_SELECTOR];
        size_t n_sel;
        int nlfd;
        uint64_t newest_ms; /* the latest audit stamp read, ms since the epoch */
        sf_audit_attr *attr;
        rec_ctr *ctrs;
        size_t n_ctrs;
        rec_pod *pods;
        size_t n_pods;
        sf_k8s_record_stats st;
        uint64_t last_lookup; /* ms: the state dir read for a record's unknown pod */
        bool polled;          /* the state dir was read once: a pod seen later started after us */
        int failed; /* -errno from a record's callback (out of memory) */
};

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#define say(r, ...) k8s_log((r)->o.log, (r)->o.log_ctx, SF_K8S_LOG_INFO, __VA_ARGS__)

/* A line about pod ns/name: the names come from the runtime's state, escaped. */
static void say_pod(const sf_k8s_recording *r, const char *ns, const char *name, const char *what)
{
        if (!r->o.log)
                return;
        sf_buf b = { 0 };
        sf_buf_puts(&b, "pod ");
        k8s_name_escape(&b, ns);
        sf_buf_putc(&b, '/');
        k8s_name_escape(&b, name);
        sf_buf_printf(&b, ": %s", what);
        if (!b.oom)
                r->o.log(r->o.log_ctx, SF_K8S_LOG_INFO, b.s);
        sf_buf_release(&b);
}

/* A label key ([prefix/]name) or value: what Kubernetes allows, so that a
 * selector cannot carry anything else into a comparison or a message. */
static bool label_ok(const char *s, bool key)
{
        size_t n = strlen(s);
        if (n > (key ? 316 : 63) || (key && !n))
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      *p == '-' || *p == '_' || *p == '.' || (key && *p == '/')))
                        return false;
        return true;
}

static int parse_selector(sf_k8s_recording *r, const char *s, sf_error **err)
{
        for (const char *p = s;;) {
                const char *e = strchrnul(p, ',');
                const char *eq = memchr(p, '=', (size_t)(e - p));
                if (!eq || r->n_sel == MAX_SELECTOR)
                        return sf_error_set(err, EINVAL, "--selector \"%s\": want KEY=VALUE[,KEY=VALUE...] (at most %d)",
                                            s, MAX_SELECTOR);
                label *l = &r->sel[r->n_sel++];
                l->key = strndup(p, (size_t)(eq - p));
                l->value = strndup(eq + 1, (size_t)(e - eq - 1));
                if (!l->key || !l->value)
                        return sf_error_set(err, ENOMEM, "out of memory");
                if (!label_ok(l->key, true) || !label_ok(l->value, false))
                        return sf_error_set(err, EINVAL, "--selector \"%s\": \"%s=%s\" is not a label (letters, "
                                                         "digits, -, _, . and a / in the key)",
                                            s, l->key, l->value);
                if (!*e)
                        return 0;
                p = e + 1;
        }
}

static char *dup0(const char *s) { return s ? strdup(s) : NULL; }

/* The audit profile, written as k8s install writes: under the dir's lock, a
 * temporary, fsync, rename. */
static int install_audit_profile(const char *root, char **ret_path, sf_error **err)
{
        int dirfd;
        char *dir = NULL, *msg = NULL;
        int r = k8s_dir_open(root, SF_K8S_DEFAULT_SUBDIR, true, &dirfd, &dir, &msg);
        if (r < 0) {
                r = sf_error_set(err, -r, "%s", msg ? msg : strerror(-r));
                free(msg);
                free(dir);
                return r;
        }
        bool waited;
        int lockfd = k8s_dir_lock(dirfd, &waited);
        if (lockfd < 0) {
                r = sf_error_set(err, -lockfd, "%s/" K8S_LOCK_NAME ": cannot lock: %s", dir, strerror(-lockfd));
        } else {
                r = k8s_write_at(dirfd, SF_K8S_RECORD_PROFILE, AUDIT_PROFILE, strlen(AUDIT_PROFILE), 0644);
                if (r < 0)
                        r = sf_error_set(err, -r, "%s/" SF_K8S_RECORD_PROFILE ": cannot write: %s", dir, strerror(-r));
                k8s_dir_sync(dirfd);
                close(lockfd);
        }
        close(dirfd);
        if (r == 0) {
                sf_buf p = { 0 };
                sf_buf_printf(&p, "%s/" SF_K8S_RECORD_PROFILE, dir);
                if (!(*ret_path = sf_buf_steal(&p)))
                        r = sf_error_set(err, ENOMEM, "out of memory");
        }
        free(dir);
        return r;
}

SF_EXPORT int sf_k8s_record_new(const sf_k8s_record_opts *o, sf_k8s_recording **ret, char **ret_profile,
                                sf_error **err)
{
        if (!!o->pod != !!o->pod_ns || !!o->pod == !!o->selector)
                return sf_error_set(err, EINVAL, "give one pod (namespace and name) or a selector");
        sf_k8s_recording *r = calloc(1, sizeof(*r));
        if (!r)
                return sf_error_set(err, ENOMEM, "out of memory");
        r->nlfd = -1;
        r->o = *o;
        r->o.pod = r->pod = dup0(o->pod);
        r->o.pod_ns = r->pod_ns = dup0(o->pod_ns);
        r->o.container = r->container = dup0(o->container);
        r->o.kubelet_root = r->kubelet_root = dup0(o->kubelet_root ? o->kubelet_root : SF_K8S_DEFAULT_ROOT);
        r->o.inv.containerd_state = r->containerd_state = dup0(o->inv.containerd_state);
        r->o.inv.crio_storage = r->crio_storage = dup0(o->inv.crio_storage);
        r->o.selector = NULL;
        if (!r->o.wait_ms)
                r->o.wait_ms = 60000;
        if (!r->o.settle_ms)
                r->o.settle_ms = 1500;
        int e = 0;
        if ((o->pod && (!r->pod || !r->pod_ns)) || (o->container && !r->container) || !r->kubelet_root ||
            (o->inv.containerd_state && !r->containerd_state) || (o->inv.crio_storage && !r->crio_storage))
                e = sf_error_set(err, ENOMEM, "out of memory");
        if (!e && o->selector)
                e = parse_selector(r, o->selector, err);
        _cleanup_free_ char *path = NULL;
        if (!e && o->live) {
                if (o->selector)
                        e = sf_error_set(err, EINVAL, "live recording is of one pod (--pod), not of a selector");
                else if (!sf_ebpf_recorder_supported())
                        e = sf_error_set(err, EOPNOTSUPP, "live recording needs the eBPF recorder, which this "
                                                          "sysfence was built without");
                if (!e) {
                        *ret_profile = NULL;
                        *ret = r;
                        return 0;
                }
        }
        /* the profile first: a pod may be started the moment it is there, and the
         * socket is open before this returns, so none of its records is missed */
        if (!e)
                e = install_audit_profile(r->kubelet_root, &path, err);
        if (!e)
                e = sf_audit_netlink_open(&r->nlfd, err);
        if (!e)
                e = sf_audit_attr_new(&r->o.inv, &r->attr, err);
        sf_error *werr = NULL;
        if (!e && sf_audit_attr_watch(r->attr, &werr) < 0)
                say(r, "warning: no fork events (%s): records of processes gone before their first record was "
                       "read cannot be named", sf_error_message(werr));
        sf_error_free(werr);
        if (e) {
                sf_k8s_record_free(r);
                return e;
        }
        *ret_profile = TAKE_PTR(path);
        *ret = r;
        return 0;
}

/* --- which pods ------------------------------------------------------------------------ */

static rec_pod *pod_find(sf_k8s_recording *r, const char *ns, const char *name)
{
        for (size_t i = 0; i < r->n_pods; i++)
                if (strcmp(r->pods[i].ns, ns) == 0 && strcmp(r->pods[i].name, name) == 0)
                        return &r->pods[i];
        return NULL;
}

static rec_pod *pod_add(sf_k8s_recording *r, const char *ns, const char *name, bool match)
{
        if (r->n_pods == MAX_PODS)
                return NULL;
        rec_pod *v = realloc(r->pods, (r->n_pods + 1) * sizeof(*v));
        if (!v)
                return NULL;
        r->pods = v;
        rec_pod *p = &v[r->n_pods];
        *p = (rec_pod){ .ns = strdup(ns), .name = strdup(name), .match = match };
        if (!p->ns || !p->name) {
                free(p->ns);
                free(p->name);
                return NULL;
        }
        r->n_pods++;
        return p;
}

/* The labels a sandbox's OCI config carries: CRI-O's io.kubernetes.cri-o.Labels
 * (a JSON object in a string), else its annotations (containerd copies the
 * pod's annotations its pod_annotations setting names). */
static bool labels_match(const sf_k8s_recording *r, const sf_k8s_container *c)
{
        int fd = open(c->config, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return false;
        struct stat st;
        _cleanup_free_ char *data = NULL;
        ssize_t n = -1;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= SANDBOX_CONFIG_MAX &&
            (data = malloc((size_t)st.st_size + 1)))
                n = read(fd, data, (size_t)st.st_size);
        close(fd);
        if (n < 0)
                return false;
        sf_doc doc = { 0 }, ldoc = { 0 };
        sf_diags d = { 0 };
        bool ok = false;
        if (sf_json_parse(data, (size_t)n, c->config, &doc, &d) == 0 && doc.n_docs == 1 &&
            doc.docs[0]->kind == SF_NODE_OBJ) {
                const sf_node *anns = sf_node_get(doc.docs[0], "annotations");
                const sf_node *set = anns && anns->kind == SF_NODE_OBJ ? anns : NULL;
                const sf_node *crio = set ? sf_node_get(set, "io.kubernetes.cri-o.Labels") : NULL;
                if (crio && crio->kind == SF_NODE_STR &&
                    sf_json_parse(crio->str.s, crio->str.len, c->config, &ldoc, &d) == 0 && ldoc.n_docs == 1 &&
                    ldoc.docs[0]->kind == SF_NODE_OBJ)
                        set = ldoc.docs[0];
                ok = set != NULL;
                for (size_t i = 0; ok && i < r->n_sel; i++) {
                        const sf_node *v = sf_node_get(set, r->sel[i].key);
                        ok = v && v->kind == SF_NODE_STR && strcmp(v->str.s, r->sel[i].value) == 0;
                }
        }
        sf_diags_release(&d);
        sf_doc_release(&doc);
        sf_doc_release(&ldoc);
        return ok;
}

/* Whether a container (not the sandbox) of pod ns/name runs. */
static bool pod_running(const sf_k8s_inventory *inv, const char *ns, const char *name)
{
        for (size_t i = 0; i < inv->n; i++) {
                const sf_k8s_container *c = &inv->v[i];
                if (c->pod && c->pod_ns && strcmp(c->pod, name) == 0 && strcmp(c->pod_ns, ns) == 0 && c->pid > 0 &&
                    !(c->type && strcmp(c->type, "sandbox") == 0))
                        return true;
        }
        return false;
}

/* Reads the state dir: the selected pods seen (a selector's matched by their
 * sandbox's labels), and which of them have ended. */
static int poll_pods(sf_k8s_recording *r, sf_error **err)
{
        sf_k8s_inventory inv = { 0 };
        int e = sf_k8s_inventory_read(&r->o.inv, &inv, err);
        if (e < 0)
                return e;
        uint64_t now = now_ms();
        for (size_t i = 0; i < inv.n; i++) {
                const sf_k8s_container *c = &inv.v[i];
                if (!c->pod || !c->pod_ns || pod_find(r, c->pod_ns, c->pod))
                        continue;
                bool match;
                if (r->pod)
                        match = strcmp(c->pod, r->pod) == 0 && strcmp(c->pod_ns, r->pod_ns) == 0;
                else if (c->type && strcmp(c->type, "sandbox") == 0)
                        match = labels_match(r, c);
                else
                        continue; /* a selector is matched on the sandbox */
                if (!match && r->pod)
                        continue;
                if (!pod_add(r, c->pod_ns, c->pod, match)) {
                        sf_k8s_inventory_release(&inv);
                        return sf_error_set(err, ENOMEM, "out of memory");
                }
                if (match) {
                        r->st.pods++;
                        say_pod(r, c->pod_ns, c->pod,
                                !r->polled && pod_running(&inv, c->pod_ns, c->pod)
                                        ? "recording its containers; warning: it ran already, so what it did "
                                          "before now is not in the profiles"
                                        : "recording its containers");
                }
        }
        for (size_t i = 0; i < r->n_pods; i++) {
                rec_pod *p = &r->pods[i];
                if (!p->match || p->ended)
                        continue;
                bool sandbox = false, running = false, any = false;
                for (size_t j = 0; j < inv.n; j++) {
                        const sf_k8s_container *c = &inv.v[j];
                        if (!c->pod || !c->pod_ns || strcmp(c->pod, p->name) != 0 || strcmp(c->pod_ns, p->ns) != 0)
                                continue;
                        if (c->type && strcmp(c->type, "sandbox") == 0) {
                                sandbox |= c->pid > 0;
                                continue;
                        }
                        any = true;
                        running |= c->pid > 0;
                }
                p->had_ctr |= any;
                if (running || !p->had_ctr)
                        p->idle_since = 0;
                else if (!p->idle_since)
                        p->idle_since = now;
                bool gone = p->sandbox_ran && !sandbox;
                p->sandbox_ran |= sandbox;
                if (gone || (p->idle_since && now - p->idle_since >= r->o.settle_ms)) {
                        p->ended = true;
                        say_pod(r, p->ns, p->name, gone ? "its sandbox is gone" : "its containers have exited");
                }
        }
        sf_k8s_inventory_release(&inv);
        r->polled = true;
        return 0;
}

/* --- the records ----------------------------------------------------------------------- */

static rec_ctr *ctr_get(sf_k8s_recording *r, const char *name)
{
        for (size_t i = 0; i < r->n_ctrs; i++)
                if (strcmp(r->ctrs[i].name, name) == 0)
                        return &r->ctrs[i];
        if (r->n_ctrs == MAX_RECORDED)
                return NULL;
        rec_ctr *v = realloc(r->ctrs, (r->n_ctrs + 1) * sizeof(*v));
        if (!v)
                return NULL;
        r->ctrs = v;
        rec_ctr *c = &v[r->n_ctrs];
        *c = (rec_ctr){ .name = strdup(name) };
        if (!c->name || sf_record_new(NULL, &c->rec, NULL) < 0) {
                free(c->name);
                return NULL;
        }
        r->n_ctrs++;
        return c;
}

/* Whether a record's pod is one recorded; a selector's pod not yet seen is
 * looked up in the state dir now, so that its first records count too. */
static bool pod_selected(sf_k8s_recording *r, const char *ns, const char *name)
{
        if (r->pod)
                return strcmp(name, r->pod) == 0 && strcmp(ns, r->pod_ns) == 0;
        rec_pod *p = pod_find(r, ns, name);
        if (!p && now_ms() - r->last_lookup >= 50) {
                r->last_lookup = now_ms();
                sf_error *e = NULL;
                if (poll_pods(r, &e) < 0)
                        sf_error_free(e);
                p = pod_find(r, ns, name);
        }
        return p && p->match;
}

SF_EXPORT int sf_k8s_record_add(sf_k8s_recording *r, const struct sf_audit_record *rec,
                                const struct sf_audit_origin *o)
{
        if (!o->pod || !o->pod_ns || !o->container || !pod_selected(r, o->pod_ns, o->pod))
                return 0;
        if (r->container && strcmp(o->container, r->container) != 0)
                return 0;
        /* a container name becomes a file name: Kubernetes' own charset only */
        if (!sf_k8s_dns_label(o->container))
                return 0;
        /* a container that ran between two reads of the state dir was never
         * seen there: its records say it ran */
        rec_pod *p = pod_find(r, o->pod_ns, o->pod);
        if (!p) {
                if (!(p = pod_add(r, o->pod_ns, o->pod, true)))
                        return -ENOMEM;
                r->st.pods++;
                say_pod(r, p->ns, p->name, "recording its containers");
        }
        p->had_ctr = true;
        rec_ctr *c = ctr_get(r, o->container);
        if (!c)
                return -ENOMEM;
        unsigned rt = strcmp(rec->comm, "runc:[2:INIT]") == 0 ? RT_RUNC : strcmp(rec->comm, "crun") == 0 ? RT_CRUN : 0;
        if (rt) {
                c->runtimes |= rt;
                c->runtime_calls++;
                r->st.runtime++;
                return 0;
        }
        static const uint64_t zero[6];
        int e = sf_record_add(c->rec, rec->audit_arch, rec->syscall, zero);
        if (e < 0)
                return e;
        c->calls++;
        r->st.kept++;
        return 0;
}

static void on_record(void *ctx, const sf_audit_record *rec)
{
        sf_k8s_recording *r = ctx;
        r->st.records++;
        uint64_t stamp = rec->time_sec * 1000 + rec->time_msec;
        if (stamp > r->newest_ms)
                r->newest_ms = stamp;
        sf_audit_origin o;
        if (sf_audit_attr_find(r->attr, rec, &o) != 1) {
                r->st.unnamed++;
                return;
        }
        int e = sf_k8s_record_add(r, rec, &o);
        if (e < 0 && !r->failed)
                r->failed = e;
}

/* Reads what the socket holds; waits up to timeout_ms for it.  The number of
 * records read, or -errno. */
static int read_some(sf_k8s_recording *r, int timeout_ms)
{
        int n = sf_audit_netlink_read(r->nlfd, timeout_ms, on_record, r);
        if (n == -ENOBUFS) {
                r->st.lost++;
                return 1;
        }
        return n;
}

static bool all_ended(const sf_k8s_recording *r)
{
        size_t seen = 0;
        for (size_t i = 0; i < r->n_pods; i++) {
                if (!r->pods[i].match)
                        continue;
                seen++;
                if (!r->pods[i].ended)
                        return false;
        }
        return seen > 0;
}

static int run_live(sf_k8s_recording *r, int sigfd, sf_error **err);

SF_EXPORT int sf_k8s_record_run(sf_k8s_recording *r, int sigfd, sf_error **err)
{
        if (r->o.live)
                return run_live(r, sigfd, err);
        uint64_t start = now_ms(), last_poll = 0;
        int result = 0;
        for (;;) {
                uint64_t now = now_ms();
                if (now - last_poll >= POLL_MS) {
                        last_poll = now;
                        int e = poll_pods(r, err);
                        if (e < 0)
                                return e;
                        if (all_ended(r))
                                break;
                        if (!r->st.pods && now - start >= r->o.wait_ms) {
                                if (r->pod)
                                        return sf_error_set(err, ETIMEDOUT, "pod %s/%s: not on this node after %u s",
                                                            r->pod_ns, r->pod, r->o.wait_ms / 1000);
                                return sf_error_set(err, ETIMEDOUT, "no pod on this node matches the selector after %u s",
                                                    r->o.wait_ms / 1000);
                        }
                }
                struct pollfd pf[3] = { { .fd = r->nlfd, .events = POLLIN },
                                        { .fd = sf_audit_attr_watch_fd(r->attr), .events = POLLIN },
                                        { .fd = sigfd, .events = POLLIN } };
                int n = poll(pf, 3, POLL_MS);
                if (n > 0 && (pf[1].revents & POLLIN))
                        sf_audit_attr_drain(r->attr);
                if (n < 0 && errno != EINTR)
                        return sf_error_set_errno(err, errno, "poll");
                if (n > 0 && sigfd >= 0 && (pf[2].revents & POLLIN)) {
                        struct signalfd_siginfo si;
                        (void)!read(sigfd, &si, sizeof(si));
                        result = 1;
                        break;
                }
                if (n > 0 && (pf[0].revents & POLLIN)) {
                        int k = read_some(r, 0);
                        if (k < 0)
                                return sf_error_set_errno(err, -k, "the audit netlink socket");
                }
                if (r->failed)
                        return sf_error_set(err, -r->failed, "out of memory");
        }
        /* the records of the pod's last moments may still be on their way */
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        uint64_t end = (uint64_t)rt.tv_sec * 1000 + (uint64_t)rt.tv_nsec / 1000000, t0 = now_ms();
        while (r->newest_ms <= end + DRAIN_MS && now_ms() - t0 < DRAIN_MAX_MS && read_some(r, DRAIN_MS) > 0)
                ;
        if (r->failed)
                return sf_error_set(err, -r->failed, "out of memory");
        return result;
}

/* --- live: the eBPF recorder on each running container's pid namespace --------------------- */

typedef struct live_ctr {
        char *name;
        sf_ebpf_recorder *rec;
        pthread_t thread;
        bool started;
        int status;
        sf_error *err;
        volatile bool done;
} live_ctr;

static void *live_wait(void *arg)
{
        live_ctr *l = arg;
        (void)sf_ebpf_recorder_wait(l->rec, &l->status, &l->err);
        l->done = true;
        return NULL;
}

/* The running containers of the pod, each recorded in its own pid namespace
 * (two sharing one could not be told apart: refused). */
static int live_start(sf_k8s_recording *r, const sf_k8s_inventory *inv, live_ctr **ret, size_t *ret_n, sf_error **err)
{
        live_ctr *v = calloc(inv->n ? inv->n : 1, sizeof(*v));
        uint64_t *ns = calloc(inv->n ? inv->n : 1, sizeof(*ns));
        size_t n = 0;
        int e = v && ns ? 0 : sf_error_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; !e && i < inv->n; i++) {
                const sf_k8s_container *c = &inv->v[i];
                if (!c->pod || !c->pod_ns || strcmp(c->pod, r->pod) != 0 || strcmp(c->pod_ns, r->pod_ns) != 0 ||
                    c->pid <= 0 || !c->name || !sf_k8s_dns_label(c->name) || (c->type && strcmp(c->type, "sandbox") == 0))
                        continue;
                if (r->container && strcmp(c->name, r->container) != 0)
                        continue;
                char path[64];
                struct stat st;
                snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)c->pid);
                if (stat(path, &st) < 0)
                        continue; /* it has just exited */
                for (size_t j = 0; j < n; j++)
                        if (ns[j] == st.st_ino)
                                e = sf_error_set(err, EINVAL, "containers \"%s\" and \"%s\" share a pid namespace "
                                                              "(shareProcessNamespace): live recording cannot tell "
                                                              "them apart",
                                                 v[j].name, c->name);
                if (e)
                        break;
                live_ctr *l = &v[n];
                ns[n] = st.st_ino;
                n++;
                if (!(l->name = strdup(c->name)))
                        e = sf_error_set(err, ENOMEM, "out of memory");
                else if ((e = sf_ebpf_recorder_new(NULL, &l->rec, err)) == 0 &&
                         (e = sf_ebpf_recorder_pidns_of(l->rec, c->pid, err)) < 0)
                        sf_error_wrap(err, "container \"%s\"", c->name);
                if (!e && pthread_create(&l->thread, NULL, live_wait, l) != 0)
                        e = sf_error_set(err, EAGAIN, "cannot start a thread");
                l->started = !e;
        }
        free(ns);
        *ret = v;
        *ret_n = n;
        return e;
}

/* Stops every recorder and counts what each saw for its container. */
static int live_stop(sf_k8s_recording *r, live_ctr *v, size_t n, sf_error **err)
{
        int e = 0;
        for (size_t i = 0; i < n; i++)
                if (v[i].started)
                        sf_ebpf_recorder_interrupt(v[i].rec, 0);
        for (size_t i = 0; i < n; i++) {
                live_ctr *l = &v[i];
                if (l->started)
                        pthread_join(l->thread, NULL);
                if (!e && l->err) {
                        e = sf_error_set(err, l->err->code, "container \"%s\": %s", l->name, sf_error_message(l->err));
                } else if (!e && l->started) {
                        sf_record_entry *ent = NULL;
                        size_t ne = 0;
                        rec_ctr *c = ctr_get(r, l->name);
                        if (!c || sf_record_entries(sf_ebpf_recorder_record(l->rec), &ent, &ne, err) < 0)
                                e = c ? -ENOMEM : sf_error_set(err, ENOMEM, "out of memory");
                        static const uint64_t zero[6];
                        for (size_t k = 0; !e && k < ne; k++) {
                                if (sf_record_add(c->rec, ent[k].audit_arch, ent[k].nr, zero) < 0)
                                        e = sf_error_set(err, ENOMEM, "out of memory");
                                c->calls += ent[k].count;
                                r->st.kept += ent[k].count;
                        }
                        free(ent);
                }
                sf_error_free(l->err);
                sf_ebpf_recorder_free(l->rec);
                free(l->name);
        }
        free(v);
        return e;
}

static int run_live(sf_k8s_recording *r, int sigfd, sf_error **err)
{
        uint64_t start = now_ms();
        live_ctr *v = NULL;
        size_t n = 0;
        int e;
        for (;;) {
                sf_k8s_inventory inv = { 0 };
                if ((e = sf_k8s_inventory_read(&r->o.inv, &inv, err)) < 0)
                        return e;
                if (pod_running(&inv, r->pod_ns, r->pod)) {
                        e = live_start(r, &inv, &v, &n, err);
                        sf_k8s_inventory_release(&inv);
                        break;
                }
                sf_k8s_inventory_release(&inv);
                if (now_ms() - start >= r->o.wait_ms)
                        return sf_error_set(err, ETIMEDOUT, "pod %s/%s: no container of it runs on this node after %u s",
                                            r->pod_ns, r->pod, r->o.wait_ms / 1000);
                struct pollfd pf = { .fd = sigfd, .events = POLLIN };
                if (poll(&pf, 1, POLL_MS) > 0)
                        return sf_error_set(err, EINTR, "interrupted before the pod ran");
        }
        r->st.pods = 1;
        int result = 0;
        if (!e) {
                say_pod(r, r->pod_ns, r->pod, "recording its running containers from now on (eBPF)");
                /* until a signal, or until every container has ended */
                for (;;) {
                        size_t running = 0;
                        for (size_t i = 0; i < n; i++)
                                running += !v[i].done;
                        if (!running)
                                break;
                        struct pollfd pf = { .fd = sigfd, .events = POLLIN };
                        if (poll(&pf, 1, POLL_MS) > 0) {
                                struct signalfd_siginfo si;
                                (void)!read(sigfd, &si, sizeof(si));
                                result = 1;
                                break;
                        }
                }
        }
        sf_error *serr = NULL;
        int s = live_stop(r, v, n, e ? &serr : err);
        sf_error_free(serr);
        return e ? e : s < 0 ? s : result;
}

SF_EXPORT void sf_k8s_record_stats_get(const sf_k8s_recording *r, sf_k8s_record_stats *ret)
{
        *ret = r->st;
        if (r->attr) {
                sf_audit_attr_stats a;
                sf_audit_attr_stats_get(r->attr, &a);
                ret->by_parent = a.inherited;
                ret->lost += a.fork_losses;
        }
}

/* --- the profiles ----------------------------------------------------------------------- */

static int cmp_ctr(const void *a, const void *b)
{
        return strcmp(((const rec_ctr *)a)->name, ((const rec_ctr *)b)->name);
}

SF_EXPORT void sf_k8s_recorded_release(sf_k8s_recorded *v, size_t n)
{
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].container);
                free(v[i].file);
                free(v[i].localhost_profile);
                free(v[i].text);
        }
        free(v);
}

/* A Kubernetes object name: lower-case letters, digits and '-', at most 253. */
static bool object_name_ok(const char *s)
{
        size_t n = strlen(s);
        if (!n || n > 253 || s[0] == '-' || s[n - 1] == '-')
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
                        return false;
        return s[0] != '.';
}

SF_EXPORT int sf_k8s_record_profiles(const sf_k8s_recording *r, const char *name, const sf_synth_opts *so,
                                     bool inline_base, sf_k8s_recorded **ret, size_t *ret_n, sf_diags *d,
                                     sf_error **err)
{
        const char *prefix = name ? name : r->pod ? r->pod : r->sel[0].value;
        if (!object_name_ok(prefix))
                return sf_error_set(err, EINVAL, "\"%s\" cannot name a profile (lower-case letters, digits, - and .)",
                                    prefix);
        /* the names in order, whatever order the containers were first seen in */
        rec_ctr *sorted = r->n_ctrs ? malloc(r->n_ctrs * sizeof(*sorted)) : NULL;
        if (r->n_ctrs && !sorted)
                return sf_error_set(err, ENOMEM, "out of memory");
        if (r->n_ctrs) {
                memcpy(sorted, r->ctrs, r->n_ctrs * sizeof(*sorted));
                qsort(sorted, r->n_ctrs, sizeof(*sorted), cmp_ctr);
        }
        sf_k8s_recorded *v = calloc(r->n_ctrs ? r->n_ctrs : 1, sizeof(*v));
        size_t n = 0;
        int e = v ? 0 : sf_error_set(err, ENOMEM, "out of memory");
        bool crd = so->format == SF_FORMAT_CRD;
        for (size_t i = 0; !e && i < r->n_ctrs; i++) {
                const rec_ctr *c = &sorted[i];
                if (!c->calls) {
                        sf_diags_add(d, SF_SEV_WARNING, "k8s-record-empty", c->name, "", 0, 0,
                                     "is its profile localhostProfile: " SF_K8S_DEFAULT_SUBDIR "/" SF_K8S_RECORD_PROFILE "?",
                                     "container \"%s\": none of its workload's calls was seen (%ju of its runtime's): "
                                     "no profile",
                                     c->name, (uintmax_t)c->runtime_calls);
                        continue;
                }
                sf_k8s_recorded *out = &v[n];
                const char *rt = NULL;
                if (so->base && strcmp(so->base, "auto") == 0)
                        rt = c->runtimes & RT_RUNC ? "runc" : c->runtimes & RT_CRUN ? "crun" : "runc";
                else if (so->base && strcmp(so->base, "none") != 0)
                        rt = so->base;
                sf_buf full = { 0 };
                sf_buf_printf(&full, "%s-%s", prefix, c->name);
                sf_buf file = { 0 }, lp = { 0 };
                sf_buf_printf(&file, "%s%s", full.s ? full.s : "", crd ? ".yaml" : ".json");
                if (crd)
                        sf_buf_printf(&lp, "operator/%s/%s.json", r->pod_ns ? r->pod_ns : "NAMESPACE", full.s ? full.s : "");
                else
                        sf_buf_printf(&lp, SF_K8S_DEFAULT_SUBDIR "/%s", file.s ? file.s : "");
                sf_synth_opts one = *so;
                one.base = rt;
                one.name = full.s;
                one.base_by_name = !inline_base;
                out->container = strdup(c->name);
                out->runtime = rt;
                out->calls = c->calls;
                sf_record_entry *ent = NULL;
                if (sf_record_entries(c->rec, &ent, &out->syscalls, NULL) == 0)
                        free(ent);
                if (full.oom || !out->container || !(out->file = sf_buf_steal(&file)) ||
                    !(out->localhost_profile = sf_buf_steal(&lp)))
                        e = sf_error_set(err, ENOMEM, "out of memory");
                else if ((e = sf_record_to_profile(c->rec, &one, &out->text, d, err)) < 0)
                        sf_error_wrap(err, "container \"%s\"", c->name);
                n++;
                sf_buf_release(&full);
                sf_buf_release(&file);
                sf_buf_release(&lp);
        }
        free(sorted);
        if (!e && !n && r->pod)
                e = sf_error_set(err, ENOENT, "no records of any container of pod %s/%s: did it run under "
                                              "localhostProfile " SF_K8S_DEFAULT_SUBDIR "/" SF_K8S_RECORD_PROFILE "?",
                                 r->pod_ns, r->pod);
        else if (!e && !n)
                e = sf_error_set(err, ENOENT, "no records of any container of the selected pods: did they run under "
                                              "localhostProfile " SF_K8S_DEFAULT_SUBDIR "/" SF_K8S_RECORD_PROFILE "?");
        if (e) {
                sf_k8s_recorded_release(v, n);
                return e;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

SF_EXPORT int sf_k8s_record_dir_check(const char *dir, sf_error **err)
{
        struct stat st;
        if (stat(dir, &st) < 0)
                return sf_error_set_errno(err, errno, "%s", dir);
        if (!S_ISDIR(st.st_mode))
                return sf_error_set(err, ENOTDIR, "%s: not a directory", dir);
        if (access(dir, W_OK | X_OK) < 0)
                return sf_error_set_errno(err, errno, "%s: cannot write in it", dir);
        return 0;
}

/* Every profile or none: each written whole under a dot-named temporary
 * first (where a full disk or a permission fails), then all renamed. */
SF_EXPORT int sf_k8s_record_write(const char *dir, const sf_k8s_recorded *v, size_t n, sf_error **err)
{
        int e = sf_k8s_record_dir_check(dir, err);
        char **tmp = e ? NULL : calloc(n ? n : 1, sizeof(*tmp));
        if (!e && !tmp)
                e = sf_error_set(err, ENOMEM, "out of memory");
        size_t done = 0;
        for (; !e && done < n; done++) {
                sf_buf p = { 0 };
                sf_buf_printf(&p, "%s/.%s.sysfence-tmp", dir, v[done].file);
                if (!(tmp[done] = sf_buf_steal(&p)))
                        e = sf_error_set(err, ENOMEM, "out of memory");
                else if ((e = sf_write_file_atomic(tmp[done], v[done].text, strlen(v[done].text), 0644, err)) < 0)
                        unlink(tmp[done]);
        }
        for (size_t i = 0; !e && i < n; i++) {
                sf_buf p = { 0 };
                sf_buf_printf(&p, "%s/%s", dir, v[i].file);
                if (p.oom)
                        e = sf_error_set(err, ENOMEM, "out of memory");
                else if (rename(tmp[i], p.s) < 0)
                        e = sf_error_set_errno(err, errno, "%s", p.s);
                else {
                        free(tmp[i]);
                        tmp[i] = NULL;
                }
                sf_buf_release(&p);
        }
        for (size_t i = 0; tmp && i < done; i++) {
                if (tmp[i])
                        unlink(tmp[i]);
                free(tmp[i]);
        }
        free(tmp);
        return e;
}

SF_EXPORT void sf_k8s_record_free(sf_k8s_recording *r)
{
        if (!r)
                return;
        if (r->nlfd >= 0)
                close(r->nlfd);
        sf_audit_attr_free(r->attr);
        for (size_t i = 0; i < r->n_ctrs; i++) {
                free(r->ctrs[i].name);
                sf_record_free(r->ctrs[i].rec);
        }
        free(r->ctrs);
        for (size_t i = 0; i < r->n_pods; i++) {
                free(r->pods[i].ns);
                free(r->pods[i].name);
        }
        free(r->pods);
        for (size_t i = 0; i < r->n_sel; i++) {
                free(r->sel[i].key);
                free(r->sel[i].value);
        }
        free(r->pod);
        free(r->pod_ns);
        free(r->container);
        free(r->kubelet_root);
        free(r->containerd_state);
        free(r->crio_storage);
        free(r);
}
