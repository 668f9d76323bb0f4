/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence — seccomp audit records (type=1326 / SECCOMP): decoding them from the
 * kernel log, audit.log, the journal or a file, and reading them losslessly from
 * the audit netlink multicast group. */
#ifndef SYSFENCE_AUDIT_H
#define SYSFENCE_AUDIT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <sysfence/arch.h>
#include <sysfence/error.h>
#include <sysfence/diag.h>
#include <sysfence/k8s.h>
#include <sysfence/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sf_audit_record {
        uint64_t time_sec;    /* from audit(SEC.MSEC:SERIAL) */
        unsigned time_msec;
        uint64_t serial;
        int pid;
        long uid;             /* -1 when absent */
        char comm[64];        /* unescaped (audit hex-encodes odd names) */
        char exe[512];
        uint32_t audit_arch;  /* the arch= field */
        sf_arch arch;         /* SF_ARCH_NONE if unknown; x32 when syscall has bit 30 on x86_64 */
        long syscall;         /* the syscall= number */
        const char *syscall_name; /* static string, or NULL when unknown */
        bool compat;
        int sig;              /* sig= (31 = SIGSYS for a kill) */
        uint32_t code;        /* code= : the SECCOMP_RET_* value the filter returned */
} sf_audit_record;

/* Decodes one line of any supported source: the kernel log ("audit: type=1326
 * audit(…): …", with or without a dmesg "[ts]" or syslog/journal prefix), audit.log
 * ("type=SECCOMP msg=audit(…): …"), or the body of a netlink message.
 * Returns 1 with *ret filled for a seccomp record, 0 for any other line (including
 * "callbacks suppressed" notes and truncated records), never fails. */
int sf_audit_parse_line(const char *line, size_t len, sf_audit_record *ret);

/* Opens a socket bound to the audit netlink multicast group (AUDIT_NLGRP_READLOG,
 * needs CAP_AUDIT_READ): every record, without the kernel log's rate limit, and
 * without being the audit daemon.  O_CLOEXEC. */
int sf_audit_netlink_open(int *ret_fd, sf_error **err);
/* Reads what is available (waits up to timeout_ms; -1 forever) and calls fn for
 * each seccomp record.  Returns the number of records, or a negative errno. */
int sf_audit_netlink_read(int fd, int timeout_ms, void (*fn)(void *ctx, const sf_audit_record *rec), void *ctx);

/* Reads fd's records until *stop (a signal handler's flag), calling fn for
 * each and batch (may be NULL) after each batch; with attr watching
 * (sf_audit_attr_watch), its fork events are read as they come.  0 once
 * stopped; -ENOBUFS when the socket overflowed (the records before were
 * given; call again to go on); another -errno. */
typedef struct sf_audit_attr sf_audit_attr;
int sf_audit_netlink_follow(int fd, sf_audit_attr *attr, const volatile sig_atomic_t *stop,
                            void (*fn)(void *ctx, const sf_audit_record *rec), void (*batch)(void *ctx), void *ctx,
                            sf_error **err);

/* Where a record came from: the pod, its namespace and the container, from the
 * OCI annotations of the container whose cgroup the record's pid is in.  The
 * strings belong to the sf_audit_attr and live as long as it. */
typedef struct sf_audit_origin {
        const char *pod, *pod_ns, *container; /* NULL when not in a pod */
} sf_audit_origin;


typedef struct sf_audit_attr_stats {
        uint64_t lookups, pid_hits; /* records asked about, answered from the pid cache */
        uint64_t proc_reads;        /* /proc/PID/cgroup reads */
        uint64_t gone;              /* pids that had exited before their first record was seen */
        uint64_t inventory_reads;
        uint64_t scans;             /* cgroup.procs scans of the known containers */
        /* with sf_audit_attr_watch: */
        uint64_t forks;             /* fork events read */
        uint64_t inherited;         /* children named by their parent's container at their fork */
        uint64_t resolved_at_fork;  /* other children found in a pod's container at their fork */
        uint64_t drains;            /* reads of the fork events' socket */
        uint64_t fork_losses;       /* times the fork events' socket overflowed */
} sf_audit_attr_stats;

/* Attribution over the containers the state dirs of o hold (read again when a
 * cgroup names an unknown container).  Each pid is resolved at its first
 * record (pid -> /proc/PID/cgroup -> container id -> annotations) and cached,
 * so its later records are attributed after it exited; a pid that started
 * after the record (a reused pid, an old log) is not attributed. */
int sf_audit_attr_new(const sf_k8s_inventory_opts *o, sf_audit_attr **ret, sf_error **err);
/* Learns processes while they live: joins the kernel's process connector
 * (netlink NETLINK_CONNECTOR, CN_IDX_PROC; root, CAP_NET_ADMIN) and reads its
 * fork events before each record that could be newer than the last read.  A
 * child of a pod's process is named by its parent's container at its fork, so
 * a process gone before its first record was read is still named; each fork
 * starts a new process on its pid, and a record is given to the process that
 * held the pid when the record was stamped (not named when that cannot be
 * told).  For live sources (call it when reading the audit netlink group
 * starts); without it, attribution works as described above. */
int sf_audit_attr_watch(sf_audit_attr *a, sf_error **err);
/* The fork events' socket (-1 when not watching): when it is readable, call
 * sf_audit_attr_drain, so a child is asked about while it still lives (a
 * runtime's child is in its container from its fork on). */
int sf_audit_attr_watch_fd(const sf_audit_attr *a);
void sf_audit_attr_drain(sf_audit_attr *a);
/* 1 with *ret filled when r's process is in a pod's container, else 0. */
int sf_audit_attr_find(sf_audit_attr *a, const sf_audit_record *r, sf_audit_origin *ret);
void sf_audit_attr_stats_get(const sf_audit_attr *a, sf_audit_attr_stats *ret);
void sf_audit_attr_free(sf_audit_attr *a);

/* Which records a reader asked for (lib/audit/select.c). */
typedef struct sf_audit_filter {
        bool has_pid;
        int pid;
        const char *comm;    /* a longer one than the kernel's 15 bytes matches their first 15 */
        bool has_since;
        uint64_t since;      /* seconds since the epoch */
        const char *pod, *pod_ns, *container; /* any set: only records of such a pod's container */
} sf_audit_filter;
/* Whether r passes the pid, comm and time filters (asked before attribution). */
bool sf_audit_filter_record(const sf_audit_filter *f, const sf_audit_record *r);
/* Whether a record from o passes the pod, namespace and container filters. */
bool sf_audit_filter_origin(const sf_audit_filter *f, const sf_audit_origin *o);
/* "1700000000", or a time ago before now: "30s", "10m", "2h", "1d".  -EINVAL. */
int sf_audit_parse_since(const char *arg, uint64_t now, uint64_t *ret);
/* "KILL_PROCESS", "ERRNO", "LOG"... for a code=, or NULL for an unknown action. */
const char *sf_audit_action_name(uint32_t code);

/* What a kernel log says it dropped. */
typedef struct sf_audit_loss {
        uint64_t suppressed;  /* kauditd_printk_skb: N callbacks suppressed */
        uint64_t audit_lost;  /* the largest audit_lost= */
        unsigned limit_notes; /* rate limit / backlog limit exceeded, hold queue overflow */
} sf_audit_loss;
/* A line that is not a record: true when it is a note of loss, counted in l. */
bool sf_audit_loss_note(sf_audit_loss *l, const char *line, size_t len);

/* Serials seen (a record read from two sources is counted once). */
typedef struct sf_audit_serials {
        uint64_t *v;
        size_t n, cap;
        bool sorted;
} sf_audit_serials;
void sf_audit_serials_add(sf_audit_serials *s, uint64_t serial);
bool sf_audit_serials_has(sf_audit_serials *s, uint64_t serial);
void sf_audit_serials_release(sf_audit_serials *s);

/* Whole lines of a stream of chunks, each at most max bytes (a longer one is
 * skipped to its newline and counted), handed to fn without the newline. */
typedef struct sf_audit_lines {
        char *buf;
        size_t len, max;
        bool skipping;
        unsigned long_lines;
        void (*fn)(void *ctx, const char *line, size_t len);
        void *ctx;
} sf_audit_lines;
int sf_audit_lines_init(sf_audit_lines *l, size_t max, void (*fn)(void *ctx, const char *line, size_t len), void *ctx,
                        sf_error **err);
void sf_audit_lines_feed(sf_audit_lines *l, const char *data, size_t n);
/* Hands over a last line without its newline. */
void sf_audit_lines_flush(sf_audit_lines *l);
void sf_audit_lines_release(sf_audit_lines *l);

/* Reading a source line by line (lib/audit/source.c); each stops once *stop
 * is nonzero (a signal handler's flag).  A line longer than
 * SF_AUDIT_MAX_LINE is not a record: skipped, counted in *ret_long_lines. */
#define SF_AUDIT_MAX_LINE ((size_t)64 * 1024)
/* fd until its end; with follow, a regular file is waited on, and path
 * reopened when it is rotated.  0, or -errno with "PATH: cannot read: ...". */
int sf_audit_read_fd(int fd, const char *path, bool follow, const volatile sig_atomic_t *stop,
                     void (*fn)(void *ctx, const char *line, size_t len), void *ctx, unsigned *ret_long_lines,
                     sf_error **err);
/* /dev/kmsg, non-blocking, O_CLOEXEC (EPERM: kernel.dmesg_restrict, said so). */
int sf_audit_kmsg_open(int *ret_fd, sf_error **err);
/* Its messages' text, one per fn call, until none is left (with follow:
 * waits); *ret_overruns counts the times the ring overwrote unread ones. */
int sf_audit_kmsg_read(int fd, bool follow, const volatile sig_atomic_t *stop,
                       void (*fn)(void *ctx, const char *line, size_t len), void *ctx, unsigned *ret_overruns,
                       sf_error **err);

/* journalctl -k (-f when following; -n 0 too when from_now), its output
 * on *ret_fd (O_CLOEXEC); sf_audit_journal_close waits for it (stopped:
 * ends it first) and fails when it did. */
int sf_audit_journal_open(bool follow, bool from_now, int *ret_fd, pid_t *ret_pid, sf_error **err);
int sf_audit_journal_close(pid_t pid, bool stopped, sf_error **err);

/* Records counted by (comm, arch, syscall, action, origin) (lib/audit/groups.c). */
typedef struct sf_audit_group {
        char comm[64];
        uint32_t audit_arch;
        sf_arch arch;
        long nr;
        const char *name;   /* static, or NULL when the number has no name */
        uint32_t action;    /* code & 0xffff0000: SECCOMP_RET_* */
        sf_audit_origin o;  /* pod NULL: in no pod; strings of the sf_audit_attr */
        uint64_t count;
} sf_audit_group;
typedef struct sf_audit_groups sf_audit_groups;
/* At most max groups; records of groups beyond are only counted. */
int sf_audit_groups_new(size_t max, sf_audit_groups **ret, sf_error **err);
/* Counts r (from o): 1 in a group, 0 only counted (beyond max), -ENOMEM. */
int sf_audit_groups_add(sf_audit_groups *g, const sf_audit_record *r, const sf_audit_origin *o);
/* Most records first, then by name, comm, arch and action; adds nothing after. */
void sf_audit_groups_sort(sf_audit_groups *g);
/* The groups (n of them), and how many records are in none. */
const sf_audit_group *sf_audit_groups_get(const sf_audit_groups *g, size_t *ret_n, uint64_t *ret_ungrouped);
void sf_audit_groups_free(sf_audit_groups *g);

/* The allowlist the records ask for (lib/audit/allow.c). */
typedef struct sf_audit_allow sf_audit_allow;
typedef struct sf_audit_allow_stats {
        size_t names;            /* distinct syscall names */
        uint64_t nameless;       /* records of a number with no known name (left out) */
        long nameless_nr;        /* the first of them */
        sf_arch nameless_arch;
        uint32_t nameless_audit_arch;
} sf_audit_allow_stats;
int sf_audit_allow_new(sf_audit_allow **ret, sf_error **err);
/* Adds r's syscall: 1 new, 0 known or nameless, -ENOMEM. */
int sf_audit_allow_add(sf_audit_allow *a, const sf_audit_record *r);
void sf_audit_allow_stats_get(const sf_audit_allow *a, sf_audit_allow_stats *ret);
/* The profile, canonical Docker JSON: without base, one that allows every
 * syscall added, on the arches seen, and denies the rest with EPERM (-ENODATA
 * when none was added); with base (a profile tried in complain mode), base
 * with one more ALLOW rule for the syscalls added that base does not allow
 * unconditionally, its default action kept.  *ret_added (may be NULL): how many
 * syscalls the profile allows that base did not. */
int sf_audit_allow_profile(const sf_audit_allow *a, const sf_profile *base, char **ret_text, size_t *ret_added,
                           sf_diags *d, sf_error **err);
void sf_audit_allow_free(sf_audit_allow *a);

#ifdef __cplusplus
}
#endif
#endif
