/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp records named by their pod: the record's pid, the container id its
 * cgroup names (/proc/PID/cgroup), and that container's CRI annotations from
 * the runtime's bundle (lib/k8s/inventory.c).
 *
 * A record carries only the pid, and a short-lived process may be gone when
 * its record is read.  Each pid is resolved at its first record and cached
 * (direct-mapped on the pid, bounded), so every later record of it is named
 * after it exited; under SCMP_ACT_LOG a process's first record is the execve
 * or the syscall after the fork, made while it lives.  Containers are cached
 * by id with copies of their names, so a container whose bundle is gone still
 * names its processes.  A pid that started after the record's time is a reused
 * pid (or the record an old one): not attributed rather than misattributed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sysfence/audit.h"
#include "util/util.h"

#define PID_SLOTS 65536u
#define MAX_CONTAINERS 65536
/* btime is in whole seconds and the clock drifts: allowed lag of a start time */
#define START_SLACK_SEC 2

typedef struct ctr {
        char id[65];
        char *pod, *pod_ns, *name; /* pod NULL: not a pod's container */
        int procs;                 /* its cgroup.procs, opened once; -1 unknown */
} ctr;

typedef struct pid_slot {
        int pid;     /* 0: empty */
        int ctr;     /* index in ctrs, -1: in no pod (or gone when first seen) */
        long long start; /* the process's start (epoch s), 0 unknown */
} pid_slot;

struct sf_audit_attr {
        sf_k8s_inventory_opts o;
        char *containerd_state, *crio_storage;
        ctr *ctrs;
        size_t n, cap;
        pid_slot *slots;
        uint64_t btime;
        struct timespec last_scan;
        long hz;
        sf_audit_attr_stats st;
};

static uint64_t read_btime(void)
{
        FILE *f = fopen("/proc/stat", "re");
        if (!f)
                return 0;
        char line[256];
        unsigned long long v = 0;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "btime %llu", &v) == 1)
                        break;
        fclose(f);
        return v;
}

/* The process's start, in seconds since the epoch; 0 unknown, -1 gone. */
static long long start_time(const sf_audit_attr *a, int pid)
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
        if (!p || !a->btime || a->hz <= 0)
                return 0;
        unsigned long long start = 0;
        /* field 22 (starttime) is the 20th after ") " */
        p++;
        for (int f = 0; f < 19 && p; f++)
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p, " %llu", &start) != 1)
                return 0;
        return (long long)(a->btime + start / (unsigned long long)a->hz);
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
                                        *s = (pid_slot){ (int)pid, (int)i, 0 };
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
        if (a)
                a->slots = calloc(PID_SLOTS, sizeof(*a->slots));
        if (a && o->containerd_state)
                a->o.containerd_state = a->containerd_state = strdup(o->containerd_state);
        if (a && o->crio_storage)
                a->o.crio_storage = a->crio_storage = strdup(o->crio_storage);
        if (!a || !a->slots || (o->containerd_state && !a->containerd_state) ||
            (o->crio_storage && !a->crio_storage)) {
                sf_audit_attr_free(a);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        a->btime = read_btime();
        a->hz = sysconf(_SC_CLK_TCK);
        *ret = a;
        return 0;
}

SF_EXPORT int sf_audit_attr_find(sf_audit_attr *a, const sf_audit_record *r, sf_audit_origin *ret)
{
        if (!a || r->pid <= 0)
                return 0;
        a->st.lookups++;
        pid_slot *s = &a->slots[(unsigned)r->pid % PID_SLOTS];
        int ci;
        if (s->pid == r->pid) {
                a->st.pid_hits++;
                ci = s->ctr;
                if (r->time_sec && s->start > 0 && (uint64_t)s->start > r->time_sec + START_SLACK_SEC)
                        return 0; /* not the process that made the record */
        } else {
                char id[65];
                a->st.proc_reads++;
                int k = sf_k8s_pid_container_id(r->pid, id, sizeof(id));
                long long t = k < 0 ? -1 : start_time(a, r->pid);
                if (t < 0) {
                        a->st.gone++;
                        learn_living(a);
                        /* remembered as nobody's, unless a scan just learned it */
                        if (s->pid != r->pid)
                                *s = (pid_slot){ r->pid, -1, 0 };
                        return s->ctr >= 0 && a->ctrs[s->ctr].pod ? sf_audit_attr_find(a, r, ret) : 0;
                }
                ci = k == 1 ? resolve_id(a, id) : -1;
                if (ci >= 0 && a->ctrs[ci].pod && a->ctrs[ci].procs < 0)
                        a->ctrs[ci].procs = open_procs(r->pid);
                s->pid = r->pid;
                s->ctr = ci;
                s->start = t;
                if (r->time_sec && t > 0 && (uint64_t)t > r->time_sec + START_SLACK_SEC)
                        return 0; /* not the process that made the record */
        }
        if (ci < 0 || !a->ctrs[ci].pod)
                return 0;
        *ret = (sf_audit_origin){ a->ctrs[ci].pod, a->ctrs[ci].pod_ns, a->ctrs[ci].name };
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
        free(a->ctrs);
        free(a->slots);
        free(a->containerd_state);
        free(a->crio_storage);
        free(a);
}
