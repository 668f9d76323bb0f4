/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp records named by their pod: the record's pid, the container id its
 * cgroup names (/proc/PID/cgroup), and that container's CRI annotations from
 * the runtime's bundle (lib/k8s/inventory.c).
 *
 * A record carries only the pid, and a short-lived process may be gone when
 * its record is read.  Each pid is resolved at its first record and cached
 * (direct-mapped on the pid, bounded), so every later record of it is named
 * after it exited.  Containers are cached by id with copies of their names, so
 * a container whose bundle is gone still names its processes.
 *
 * Watching (sf_audit_attr_watch, root), processes are also learned at their
 * fork from the kernel's process connector: the child of a pod's process is in
 * its parent's cgroup (clone3's CLONE_INTO_CGROUP aside, which only a runtime
 * on the host uses), so it is named at once, and any other child is asked
 * about then, while it most likely lives.  The fork event is queued before the
 * child runs, so reading the events after a record was stamped (the audit
 * stamp is the coarse wall clock: a drain begun in a later millisecond) makes
 * its process known.  Each fork starts a new process on its pid, the one before
 * kept: a record goes to the process whose life holds its stamp, and where the
 * stamp could be either's (within the clocks' slack) it is named only when both
 * are in the same container.  When fork events were lost (the socket
 * overflowed) a process known from before is trusted for later records only
 * while /proc still shows it.  Without watching, a pid that started after the
 * record's time is a reused pid (or the record an old one): not attributed
 * rather than misattributed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "sysfence/audit.h"
#include "util/util.h"

#define PID_SLOTS 65536u
#define MAX_CONTAINERS 65536
/* how far a start time read from /proc/PID/stat may be off: its ticks are
 * 10 ms, and the clocks it is converted through drift */
#define PROC_START_ERR_MS 1000
/* how far a fork event's time may be off as a wall-clock time, in ms */
#define FORK_ERR_MS 2
/* how far a record's stamp may lag the syscall: the audit stamp is the coarse
 * wall clock (one jiffy, at most 10 ms at HZ=100) */
#define STAMP_LAG_MS 12
/* what the fork events' socket may hold while the reader is busy */
#define CN_RCVBUF (4 * 1024 * 1024)

enum {
        CTR_NONE = -1,       /* in no pod's container (or gone when first asked) */
        CTR_UNRESOLVED = -2, /* learned from its fork, not asked yet */
};

typedef struct ctr {
        char id[65];
        char *pod, *pod_ns, *name; /* pod NULL: not a pod's container */
        int procs;                 /* its cgroup.procs, opened once; -1 unknown */
} ctr;

/* One process that held a pid: when it started and which container it is in. */
typedef struct gen {
        int ctr;              /* index in ctrs, or CTR_* */
        bool forked;          /* learned from its fork event: born_ns is exact */
        unsigned epoch;       /* the fork-event loss it was checked after */
        int64_t born_ms;      /* its start, wall clock ms; 0 unknown */
        int born_err_ms;
        int64_t born_ns;      /* forked: the fork's CLOCK_MONOTONIC time */
} gen;

typedef struct pid_slot {
        int pid;          /* 0: empty */
        bool has_prev;
        gen cur, prev;    /* the pid's latest process, and the one before it */
} pid_slot;

struct sf_audit_attr {
        sf_k8s_inventory_opts o;
        char *containerd_state, *crio_storage;
        ctr *ctrs;
        size_t n, cap;
        pid_slot *slots;
        struct timespec last_scan;
        long hz;
        /* the process connector: fork events, -1 when not watching */
        int cn;
        int64_t drained_ms;   /* CLOCK_REALTIME_COARSE ms when the last drain began */
        int64_t mono_to_real_ns, boot_to_mono_ns;
        unsigned loss_epoch;  /* fork events lost (the socket overflowed) */
        int64_t loss_ms;      /* when the last were lost */
        sf_audit_attr_stats st;
};

static int64_t clock_ns(clockid_t c)
{
        struct timespec ts;
        clock_gettime(c, &ts);
        return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void clock_offsets(sf_audit_attr *a)
{
        int64_t m = clock_ns(CLOCK_MONOTONIC);
        a->mono_to_real_ns = clock_ns(CLOCK_REALTIME) - m;
        a->boot_to_mono_ns = m - clock_ns(CLOCK_BOOTTIME);
}

/* The process's start (field 22 of /proc/PID/stat, boot-time clock ticks) as
 * CLOCK_MONOTONIC ns; -1 gone, 0 unknown. */
static int64_t start_ns(const sf_audit_attr *a, int pid)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k <= 0)
                return -1;
        buf[k] = 0;
        /* comm may hold anything: the fields follow its last ')' */
        char *p = strrchr(buf, ')');
        if (!p || a->hz <= 0)
                return 0;
        unsigned long long start = 0;
        /* field 22 (starttime) is the 20th after ") " */
        p++;
        for (int f = 0; f < 19 && p; f++)
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p, " %llu", &start) != 1)
                return 0;
        return (int64_t)(start * (1000000000ULL / (unsigned long long)a->hz)) + a->boot_to_mono_ns;
}

static int64_t mono_to_real_ms(const sf_audit_attr *a, int64_t ns)
{
        return (ns + a->mono_to_real_ns) / 1000000;
}

/* The cgroup.procs of pid's cgroup, opened: from the lines of /proc/PID/cgroup
 * ("H:CONTROLLERS:PATH"), the unified one at /sys/fs/cgroup or (hybrid)
 * /sys/fs/cgroup/unified, else a v1 hierarchy at /sys/fs/cgroup/CONTROLLER;
 * -1 when none opens. */
static int open_procs(int pid)
{
        char path[64], data[4096];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t k = read(fd, data, sizeof(data) - 1);
        close(fd);
        if (k <= 0)
                return -1;
        data[k] = 0;
        fd = -1;
        for (char *line = data; fd < 0 && line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                        *nl++ = 0;
                char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (c2 && c2[1] == '/' && strcmp(c2 + 1, "/") != 0 && !strstr(c2 + 1, "/..")) {
                        *c2 = 0;
                        char *ctrl = c1 + 1, *comma = strchr(ctrl, ',');
                        if (comma)
                                *comma = 0;
                        if (strncmp(ctrl, "name=", 5) == 0)
                                ctrl += 5;
                        const char *dirs[2] = { *ctrl ? ctrl : "", *ctrl ? NULL : "unified" };
                        for (int i = 0; i < 2 && fd < 0; i++) {
                                if (!dirs[i])
                                        continue;
                                sf_buf b = { 0 };
                                sf_buf_printf(&b, "/sys/fs/cgroup%s%s%s/cgroup.procs", *dirs[i] ? "/" : "", dirs[i],
                                              c2 + 1);
                                fd = b.oom ? -1 : open(b.s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                                sf_buf_release(&b);
                        }
                }
                line = nl;
        }
        return fd;
}

/* A process gone before its first record was read cannot be asked any more:
 * learn the pids living now in every pod container seen, so that the records
 * still queued behind find their process known (at most every 2 ms). */
static void learn_living(sf_audit_attr *a)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long us = (now.tv_sec - a->last_scan.tv_sec) * 1000000LL + (now.tv_nsec - a->last_scan.tv_nsec) / 1000;
        if (us < 2000)
                return;
        a->last_scan = now;
        a->st.scans++;
        char buf[65536];
        for (size_t i = 0; i < a->n; i++) {
                if (!a->ctrs[i].pod || a->ctrs[i].procs < 0)
                        continue;
                ssize_t k = pread(a->ctrs[i].procs, buf, sizeof(buf) - 1, 0);
                if (k <= 0)
                        continue;
                buf[k] = 0;
                for (char *p = buf; *p;) {
                        char *end;
                        long pid = strtol(p, &end, 10);
                        if (end == p)
                                break;
                        if (pid > 0 && pid <= 4194304) {
                                pid_slot *s = &a->slots[(unsigned)pid % PID_SLOTS];
                                if (s->pid != (int)pid)
                                        *s = (pid_slot){ .pid = (int)pid, .cur = { .ctr = (int)i, .epoch = a->loss_epoch } };
                        }
                        p = *end ? end + 1 : end;
                }
        }
}

static int find_ctr(const sf_audit_attr *a, const char *id)
{
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->ctrs[i].id, id) == 0)
                        return (int)i;
        return -1;
}

static char *dup0(const char *s) { return s ? strdup(s) : NULL; }

/* Adds id (named from inventory c, or NULL: a container of no pod). */
static int add_ctr(sf_audit_attr *a, const char *id, const sf_k8s_container *c)
{
        if (a->n == a->cap) {
                size_t nc = a->cap ? 2 * a->cap : 32;
                ctr *nv = nc > MAX_CONTAINERS ? NULL : realloc(a->ctrs, nc * sizeof(*nv));
                if (!nv)
                        return -1;
                a->ctrs = nv;
                a->cap = nc;
        }
        ctr *x = &a->ctrs[a->n];
        memset(x, 0, sizeof(*x));
        x->procs = -1;
        snprintf(x->id, sizeof(x->id), "%s", id);
        if (c && c->pod) {
                bool sandbox = c->type && strcmp(c->type, "sandbox") == 0;
                x->pod = strdup(c->pod);
                x->pod_ns = dup0(c->pod_ns ? c->pod_ns : "");
                x->name = strdup(sandbox || !c->name ? "(sandbox)" : c->name);
                if (!x->pod || !x->pod_ns || !x->name) {
                        free(x->pod);
                        free(x->pod_ns);
                        free(x->name);
                        return -1;
                }
        }
        return (int)a->n++;
}

/* The container of id, reading the inventory again when it is new. */
static int resolve_id(sf_audit_attr *a, const char *id)
{
        int i = find_ctr(a, id);
        if (i >= 0)
                return i;
        sf_k8s_inventory inv = { 0 };
        sf_error *err = NULL;
        a->st.inventory_reads++;
        if (sf_k8s_inventory_read(&a->o, &inv, &err) < 0) {
                sf_error_free(err);
                return add_ctr(a, id, NULL);
        }
        /* every container the runtime knows now, so one read serves many */
        for (size_t k = 0; k < inv.n; k++)
                if (find_ctr(a, inv.v[k].id) < 0 && strlen(inv.v[k].id) == 64)
                        add_ctr(a, inv.v[k].id, &inv.v[k]);
        i = find_ctr(a, id);
        if (i < 0)
                i = add_ctr(a, id, NULL);
        sf_k8s_inventory_release(&inv);
        return i;
}

SF_EXPORT int sf_audit_attr_new(const sf_k8s_inventory_opts *o, sf_audit_attr **ret, sf_error **err)
{
        sf_audit_attr *a = calloc(1, sizeof(*a));
        if (a) {
                a->cn = -1;
                a->slots = calloc(PID_SLOTS, sizeof(*a->slots));
        }
        if (a && o->containerd_state)
                a->o.containerd_state = a->containerd_state = strdup(o->containerd_state);
        if (a && o->crio_storage)
                a->o.crio_storage = a->crio_storage = strdup(o->crio_storage);
        if (!a || !a->slots || (o->containerd_state && !a->containerd_state) ||
            (o->crio_storage && !a->crio_storage)) {
                sf_audit_attr_free(a);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        a->hz = sysconf(_SC_CLK_TCK);
        clock_offsets(a);
        *ret = a;
        return 0;
}

/* Asks /proc which container g's process (pid) is in.  A forked g is only
 * answered by the process whose start is g's fork: a later holder of the pid
 * is another process.  cgroup is read before stat, so a stat that matches
 * proves the cgroup was g's (a pid is held without a gap).  Gone: CTR_NONE. */
static void resolve_gen(sf_audit_attr *a, int pid, gen *g)
{
        char id[65];
        a->st.proc_reads++;
        int k = sf_k8s_pid_container_id(pid, id, sizeof(id));
        int64_t t = k < 0 ? -1 : start_ns(a, pid);
        /* a known start that differs: another process holds the pid now */
        bool other = t > 0 && (g->forked ? t < g->born_ns - 20000000LL || t > g->born_ns + 20000000LL
                                         : g->born_ms && llabs(mono_to_real_ms(a, t) - g->born_ms) > g->born_err_ms);
        if (t < 0 || other) {
                a->st.gone++;
                g->ctr = CTR_NONE;
                return;
        }
        g->ctr = k == 1 ? resolve_id(a, id) : CTR_NONE;
        if (g->ctr < 0)
                g->ctr = CTR_NONE;
        if (!g->forked && t > 0) {
                g->born_ms = mono_to_real_ms(a, t);
                g->born_err_ms = PROC_START_ERR_MS;
        }
        if (g->ctr >= 0 && a->ctrs[g->ctr].pod && a->ctrs[g->ctr].procs < 0)
                a->ctrs[g->ctr].procs = open_procs(pid);
}

static bool in_pod(const sf_audit_attr *a, const gen *g)
{
        return g->ctr >= 0 && a->ctrs[g->ctr].pod;
}

/* A fork: the child's cgroup is its parent's (clone3's CLONE_INTO_CGROUP
 * aside, which only a runtime on the host uses, from outside any pod).  The
 * child of a pod's process is named by its parent at once; any other child is
 * asked about at its first record (runc's init is forked on the host and moved
 * into the container's cgroup, so "in no pod" is not inherited). */
static void on_fork(sf_audit_attr *a, int parent, int child, int64_t ns)
{
        if (parent <= 0 || child <= 0)
                return;
        a->st.forks++;
        gen g = { .ctr = CTR_UNRESOLVED, .forked = true, .epoch = a->loss_epoch,
                  .born_ms = mono_to_real_ms(a, ns), .born_err_ms = FORK_ERR_MS, .born_ns = ns };
        pid_slot *ps = &a->slots[(unsigned)parent % PID_SLOTS];
        if (ps->pid != parent) {
                /* a parent not seen yet: it is usually alive (a shell waiting) */
                *ps = (pid_slot){ .pid = parent, .cur = { .ctr = CTR_UNRESOLVED, .epoch = a->loss_epoch } };
                resolve_gen(a, parent, &ps->cur);
                if (ps->cur.ctr == CTR_NONE && !ps->cur.born_ms)
                        ps->pid = 0; /* gone: asked again at its own record */
        } else if (ps->cur.ctr == CTR_UNRESOLVED) {
                resolve_gen(a, parent, &ps->cur);
        }
        /* the pid's latest process, unless it started after this fork */
        const gen *pg = ps->pid != parent ? NULL : &ps->cur;
        if (pg && pg->born_ms && pg->born_ms - pg->born_err_ms > g.born_ms)
                pg = ps->has_prev ? &ps->prev : NULL;
        if (pg && in_pod(a, pg)) {
                g.ctr = pg->ctr;
                a->st.inherited++;
        } else {
                /* a runtime's child (runc's init) is in the container's cgroup
                 * from its fork on, and may be gone before its first record
                 * is read: asked now.  Only a pod's container is kept: a child
                 * still on the host may be moved into one (runc exec) and is
                 * asked again at its first record. */
                char id[65];
                a->st.proc_reads++;
                if (sf_k8s_pid_container_id(child, id, sizeof(id)) == 1) {
                        /* one read for a child on the host; the start, which
                         * proves it is this fork's, only for one in a container */
                        uint64_t gone = a->st.gone;
                        resolve_gen(a, child, &g);
                        a->st.gone = gone; /* not a record's process (yet) */
                }
                if (in_pod(a, &g))
                        a->st.resolved_at_fork++;
                else
                        g.ctr = CTR_UNRESOLVED;
        }
        pid_slot *s = &a->slots[(unsigned)child % PID_SLOTS];
        /* a new process took the pid: the old one's records may still come */
        if (s->pid == child) {
                s->prev = s->cur;
                s->has_prev = true;
        } else {
                *s = (pid_slot){ .pid = child };
        }
        s->cur = g;
}

/* Reads every fork event queued.  A fork is queued before its child runs, so
 * after a drain begun later than a record was stamped, the record's process
 * is known. */
static void drain(sf_audit_attr *a)
{
        int64_t prev_ms = a->drained_ms;
        a->drained_ms = clock_ns(CLOCK_REALTIME_COARSE) / 1000000;
        clock_offsets(a);
        union {
                struct nlmsghdr h;
                char buf[8192];
        } u;
        for (;;) {
                struct sockaddr_nl from = { 0 };
                socklen_t fl = sizeof(from);
                ssize_t n = recvfrom(a->cn, u.buf, sizeof(u.buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == ENOBUFS) {
                                /* forks were lost: a pid may have a process we never saw */
                                a->loss_epoch++;
                                a->loss_ms = prev_ms; /* lost after the last drain began */
                                a->st.fork_losses++;
                                continue;
                        }
                        break; /* EAGAIN: all read */
                }
                /* only the kernel speaks on this group */
                if (fl < sizeof(from) || from.nl_pid != 0)
                        continue;
                for (struct nlmsghdr *h = &u.h; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
                        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(struct proc_event)))
                                continue;
                        const struct cn_msg *m = NLMSG_DATA(h);
                        if (m->id.idx != CN_IDX_PROC || m->id.val != CN_VAL_PROC || m->len < sizeof(struct proc_event))
                                continue;
                        struct proc_event ev;
                        memcpy(&ev, m->data, sizeof(ev));
                        /* records carry the process's pid (tgid): a new thread is no new process */
                        if (ev.what == PROC_EVENT_FORK &&
                            ev.event_data.fork.child_pid == ev.event_data.fork.child_tgid)
                                on_fork(a, ev.event_data.fork.parent_tgid, ev.event_data.fork.child_tgid,
                                        (int64_t)ev.timestamp_ns);
                }
        }
}

SF_EXPORT int sf_audit_attr_watch_fd(const sf_audit_attr *a)
{
        return a ? a->cn : -1;
}

SF_EXPORT void sf_audit_attr_drain(sf_audit_attr *a)
{
        if (a && a->cn >= 0)
                drain(a);
}

SF_EXPORT int sf_audit_attr_watch(sf_audit_attr *a, sf_error **err)
{
        if (a->cn >= 0)
                return 0;
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
        if (fd < 0)
                return sf_error_set_errno(err, errno, "process connector socket");
        int sz = CN_RCVBUF;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
                (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0 };
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return sf_error_set_errno(err, errno, "cannot join the process connector's group");
        /* Linux 6.6 takes { op, event types } and sends this socket only
         * those (forks: one message per process, not fork, exec and exit);
         * before, that message is ignored and only the op alone listens. */
        struct {
                struct nlmsghdr h;
                struct cn_msg m;
                uint32_t op, events;
        } __attribute__((packed)) req = {
                .h = { .nlmsg_type = NLMSG_DONE },
                .m = { .id = { CN_IDX_PROC, CN_VAL_PROC } },
                .op = PROC_CN_MCAST_LISTEN,
                .events = PROC_EVENT_FORK,
        };
        struct utsname u;
        unsigned major = 0, minor = 0;
        bool filter = uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
                      (major > 6 || (major == 6 && minor >= 6));
        req.m.len = filter ? 2 * sizeof(uint32_t) : sizeof(uint32_t);
        req.h.nlmsg_len = (uint32_t)(sizeof(req.h) + sizeof(req.m) + req.m.len);
        if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
                return sf_error_set_errno(err, errno, "process connector: cannot listen (it needs CAP_NET_ADMIN)");
        a->cn = TAKE_FD(fd);
        drain(a);
        return 0;
}

/* Which of the pid's processes made a record stamped t (ms; 0 unknown): the
 * latest unless the record is surely older; the one before when it is surely
 * older than the latest; NULL when it could be either and they differ, or it
 * is older than every one known. */
static gen *pick(sf_audit_attr *a, pid_slot *s, int64_t t)
{
        gen *c = &s->cur, *p = &s->prev;
        if (!t || !c->born_ms || t > c->born_ms + c->born_err_ms)
                return c;
        bool before = t + STAMP_LAG_MS < c->born_ms - c->born_err_ms;
        if (!s->has_prev)
                return before ? NULL : c;
        if (before)
                return p->born_ms && t + STAMP_LAG_MS < p->born_ms - p->born_err_ms ? NULL : p;
        if (c->ctr == CTR_UNRESOLVED)
                resolve_gen(a, s->pid, c);
        return p->ctr == c->ctr && p->ctr != CTR_UNRESOLVED ? c : NULL;
}

SF_EXPORT int sf_audit_attr_find(sf_audit_attr *a, const sf_audit_record *r, sf_audit_origin *ret)
{
        if (!a || r->pid <= 0)
                return 0;
        a->st.lookups++;
        int64_t t = r->time_sec ? (int64_t)r->time_sec * 1000 + r->time_msec : 0;
        if (a->cn >= 0 && (!t || t >= a->drained_ms)) {
                a->st.drains++;
                drain(a);
        }
        pid_slot *s = &a->slots[(unsigned)r->pid % PID_SLOTS];
        if (s->pid != r->pid) {
                *s = (pid_slot){ .pid = r->pid, .cur = { .ctr = CTR_UNRESOLVED, .epoch = a->loss_epoch } };
                resolve_gen(a, r->pid, &s->cur);
                if (s->cur.ctr == CTR_NONE && !s->cur.born_ms) {
                        /* gone before its first record was read, and not seen
                         * forked: learn the containers' living processes for
                         * the records queued behind this one */
                        learn_living(a);
                        if (s->pid != r->pid || !in_pod(a, &s->cur))
                                *s = (pid_slot){ .pid = r->pid, .cur = { .ctr = CTR_NONE, .epoch = a->loss_epoch } };
                }
        } else {
                a->st.pid_hits++;
        }
        gen *g = pick(a, s, t);
        if (!g)
                return 0;
        if (g->ctr == CTR_UNRESOLVED)
                resolve_gen(a, s->pid, g);
        /* after lost fork events a process may hold the pid unseen: only one
         * that is still there, and the same, is trusted */
        if (g->epoch != a->loss_epoch && (!t || t + STAMP_LAG_MS >= a->loss_ms)) {
                if (g == &s->prev)
                        return 0;
                gen check = *g;
                check.ctr = CTR_UNRESOLVED;
                resolve_gen(a, s->pid, &check);
                if (check.ctr != g->ctr && (in_pod(a, &check) || in_pod(a, g)))
                        return 0;
                g->epoch = a->loss_epoch;
        }
        if (!in_pod(a, g))
                return 0;
        *ret = (sf_audit_origin){ a->ctrs[g->ctr].pod, a->ctrs[g->ctr].pod_ns, a->ctrs[g->ctr].name };
        return 1;
}

SF_EXPORT void sf_audit_attr_stats_get(const sf_audit_attr *a, sf_audit_attr_stats *ret)
{
        *ret = a ? a->st : (sf_audit_attr_stats){ 0 };
}

SF_EXPORT void sf_audit_attr_free(sf_audit_attr *a)
{
        if (!a)
                return;
        for (size_t i = 0; i < a->n; i++) {
                free(a->ctrs[i].pod);
                free(a->ctrs[i].pod_ns);
                free(a->ctrs[i].name);
                if (a->ctrs[i].procs >= 0)
                        close(a->ctrs[i].procs);
        }
        if (a->cn >= 0)
                close(a->cn);
        free(a->ctrs);
        free(a->slots);
        free(a->containerd_state);
        free(a->crio_storage);
        free(a);
}
