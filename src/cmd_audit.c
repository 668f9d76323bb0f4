/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence audit: decode seccomp audit records (type=1326 / SECCOMP) from the
 * kernel log, audit.log, the journal or a file; group and count them, and turn
 * what was logged into an allowlist profile. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "sysfence/audit.h"

#define CMD "audit"
#define AUDIT_LOG "/var/log/audit/audit.log"
#define KMSG "/dev/kmsg"
/* Distinct (comm, arch, syscall, action) groups kept; beyond, only counted. */
#define MAX_GROUPS 100000


static const char usage[] =
        "usage: sysfence audit [--source kmsg|auditd|journal|FILE|-] [--follow] [--pid P]\n"
        "                      [--comm C] [--since T] [--json] [--raw] [--to-profile OUT]\n"
        "                      [--pod [NS/]NAME] [--namespace NS] [--container C]\n"
        "                      [--state-dir DIR] [--crio-storage DIR] [--merge FILE]\n"
        "\n"
        "Decode seccomp audit records: type=1326 in the kernel log, type=SECCOMP in\n"
        "audit.log, and the journal.  Each record gives the time, pid, comm, exe, arch,\n"
        "syscall and the action the filter took (from code=).  Records are grouped by\n"
        "(comm, arch, syscall, action) and counted.  Rate-limit notes (\"callbacks\n"
        "suppressed\", audit_lost=), truncated lines and garbage are skipped without\n"
        "losing the records around them.\n"
        "\n"
        "  --source S       kmsg: the kernel log (/dev/kmsg); auditd: " AUDIT_LOG ";\n"
        "                   journal: 'journalctl -k'; FILE or -: a file or standard input\n"
        "                   in any of these formats (also dmesg output).  Default: auditd\n"
        "                   when its log is readable, else kmsg.  (Name a file ./kmsg.)\n"
        "  -f, --follow     print each record as it comes, from now on (with --since T,\n"
        "                   the source's records from T first), until interrupted; with\n"
        "                   --json one JSON object per line.  With kmsg, as root, new\n"
        "                   records come from the audit netlink multicast group, which\n"
        "                   loses none\n"
        "  --pid P          only records of process P\n"
        "  --comm C         only records whose comm (command name) is C\n"
        "  --since T        only records from T on: seconds since the epoch, or a time ago:\n"
        "                   30s, 10m, 2h, 1d\n"
        "  --pod [NS/]NAME  only records of the pod NAME (in namespace NS)\n"
        "  --namespace NS   only records of pods in namespace NS\n"
        "  --container C    only records of containers named C\n"
        "  --state-dir DIR  containerd's state dir (default /run/containerd)\n"
        "  --crio-storage DIR  CRI-O's run storage (default /run/containers/storage)\n"
        "  --raw            one decoded record per line: time pid comm arch syscall action,\n"
        "                   then pod namespace container for a record of a pod's container\n"
        "  --json           JSON: the groups (with --raw or --follow: one object per record)\n"
        "  --to-profile OUT write (atomically) a Docker profile that allows every syscall\n"
        "                   logged, on the arches seen, and denies the rest with EPERM\n"
        "  --merge FILE     with --to-profile: FILE (a profile tried in complain mode,\n"
        "                   defaultAction SCMP_ACT_LOG) plus an ALLOW rule for each syscall\n"
        "                   its LOG records name that FILE does not allow yet; records of\n"
        "                   other actions are not added.  OUT may be FILE (in place)\n"
        "  -h, --help       show this help\n"
        "\n"
        "A record of a process in a Kubernetes pod's container is named by its pod,\n"
        "namespace and container (columns POD NAMESPACE CONTAINER, JSON fields pod,\n"
        "namespace, container): its pid's cgroup names the container, whose OCI\n"
        "annotations (containerd's or CRI-O's) name the pod.  Each pid is resolved at\n"
        "its first record and remembered, so records read after it exited are named\n"
        "too; with --follow as root, processes are also learned at their fork (the\n"
        "kernel's process connector), so one that exited before its first record was\n"
        "read is named by its parent's container, and a pid taken by a new process is\n"
        "never named by the old one's.  Records of other processes keep the plain\n"
        "form (no such columns when none is a pod's).\n"
        "\n"
        "The kernel log (kmsg, journal) passes at most 10 records per 5 seconds when no\n"
        "audit daemon runs; the rest are dropped.  For a complete list run auditd, or\n"
        "use --follow as root while the workload runs.\n"
        "\n"
        "examples:\n"
        "  sysfence audit                                 # what was logged, grouped\n"
        "  sysfence audit --source journal --since 1h --comm nginx\n"
        "  dmesg | sysfence audit --source - --raw\n"
        "  sysfence audit --follow --to-profile app.json  # as root; Ctrl-C writes app.json\n"
        "  sysfence audit --source /var/log/audit/audit.log --json\n"
        "  sysfence audit --follow --pod web --to-profile app.json --merge app.json\n"
        "\n"
        "exit status: 0 records decoded or none found, 1 unreadable source, 2 usage error\n";

typedef struct audit_state {
        /* options */
        bool follow, raw, json;
        bool quiet; /* the profile goes to stdout: nothing else does */
        sf_audit_filter f;
        sf_audit_attr *attr;
        bool any_pod;
        bool batched; /* stdout flushed after each netlink batch */
        const char *profile;

        sf_audit_groups *groups;

        /* for the profile: what the records ask for, and --merge's profile */
        sf_audit_allow *allow;
        const char *merge;
        sf_profile **base;
        size_t nbase;
        uint64_t not_logged; /* with --merge: records of another action than LOG */

        uint64_t total, unmatched;
        /* what the kernel log says it dropped */
        sf_audit_loss loss;
        unsigned overruns, long_lines;

        /* serials read from the kernel log before switching to netlink */
        sf_audit_serials serials;
        bool dedupe;
        /* with --since: loss notes count from the first record in the window */
        bool in_window;
        bool oom;
} audit_state;

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
        (void)sig;
        stop_requested = 1;
}

static void action_text(uint32_t code, char *buf, size_t n)
{
        const char *a = sf_audit_action_name(code);
        if (a)
                snprintf(buf, n, "%s", a);
        else
                snprintf(buf, n, "0x%08x", code & 0xffff0000U);
}

static void arch_text(sf_arch arch, uint32_t audit_arch, char *buf, size_t n)
{
        if (arch != SF_ARCH_NONE)
                snprintf(buf, n, "%s", sf_arch_short_name(arch));
        else
                snprintf(buf, n, "0x%08x", audit_arch);
}

static void syscall_text(const char *name, long nr, char *buf, size_t n)
{
        if (name)
                snprintf(buf, n, "%s", name);
        else
                snprintf(buf, n, "#%ld", nr);
}

/* A comm or exe as one word: as it is when printable and without spaces, else
 * quoted with C escapes (audit hex-decoded it; it may hold anything). */
static void word_text(const char *s, char *buf, size_t n)
{
        bool plain = *s != 0;
        for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
                plain = *p > 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
        if (plain) {
                snprintf(buf, n, "%s", s);
                return;
        }
        size_t o = 0;
        buf[o++] = '"';
        for (const unsigned char *p = (const unsigned char *)s; *p && o + 6 < n; p++) {
                if (*p == '"' || *p == '\\')
                        o += (size_t)snprintf(buf + o, n - o, "\\%c", *p);
                else if (*p < 0x20 || *p >= 0x7f)
                        o += (size_t)snprintf(buf + o, n - o, "\\x%02x", *p);
                else
                        buf[o++] = (char)*p;
        }
        buf[o++] = '"';
        buf[o] = 0;
}

/* JSON string of bytes that need not be UTF-8 (a hex-decoded comm): valid UTF-8
 * passes, any other byte becomes \u00XX, so the document always parses. */
static void json_bytes(sf_buf *b, const char *s)
{
        const unsigned char *p = (const unsigned char *)s;
        sf_buf_putc(b, '"');
        while (*p) {
                unsigned c = *p;
                size_t len = c < 0x80            ? 1
                             : (c & 0xe0) == 0xc0 ? 2
                             : (c & 0xf0) == 0xe0 ? 3
                             : (c & 0xf8) == 0xf0 ? 4
                                                  : 0;
                bool ok = len > 0 && !(len == 2 && c < 0xc2);
                for (size_t i = 1; ok && i < len; i++)
                        ok = (p[i] & 0xc0) == 0x80;
                if (!ok || (len == 1 && c < 0x20)) {
                        sf_buf_printf(b, "\\u%04x", c);
                        p++;
                } else if (len == 1 && (c == '"' || c == '\\')) {
                        sf_buf_printf(b, "\\%c", c);
                        p++;
                } else {
                        sf_buf_add(b, (const char *)p, len);
                        p += len;
                }
        }
        sf_buf_putc(b, '"');
}

static void time_text(const sf_audit_record *r, char *buf, size_t n)
{
        struct tm tm;
        time_t t = (time_t)r->time_sec;
        if (r->time_sec == 0 || !localtime_r(&t, &tm)) {
                snprintf(buf, n, "-");
                return;
        }
        char date[32], zone[8];
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
        strftime(zone, sizeof(zone), "%z", &tm);
        snprintf(buf, n, "%s.%03u%s", date, r->time_msec, zone);
}

/* --- counting ----------------------------------------------------------------- */

static void note_name(audit_state *s, const sf_audit_record *r)
{
        if (!s->profile)
                return;
        /* under a complain-mode profile, LOG is what its rules did not allow */
        if (s->merge && (r->code & 0xffff0000U) != 0x7ffc0000U /* SECCOMP_RET_LOG */) {
                s->not_logged++;
                return;
        }
        if (sf_audit_allow_add(s->allow, r) < 0)
                s->oom = true;
}

static void json_origin(sf_buf *b, const sf_audit_origin *o)
{
        if (!o->pod)
                return;
        sf_buf_puts(b, ",\"pod\":");
        json_bytes(b, o->pod);
        sf_buf_puts(b, ",\"namespace\":");
        json_bytes(b, o->pod_ns);
        sf_buf_puts(b, ",\"container\":");
        json_bytes(b, o->container);
}

static void print_record(audit_state *s, const sf_audit_record *r, const sf_audit_origin *o)
{
        char t[64], arch[32], sc[32], act[16];
        time_text(r, t, sizeof(t));
        arch_text(r->arch, r->audit_arch, arch, sizeof(arch));
        syscall_text(r->syscall_name, r->syscall, sc, sizeof(sc));
        action_text(r->code, act, sizeof(act));
        if (s->json) {
                sf_buf b = { 0 };
                sf_buf_printf(&b, "{\"time\":%llu.%03u,\"serial\":%llu,\"pid\":%d,\"uid\":",
                              (unsigned long long)r->time_sec, r->time_msec, (unsigned long long)r->serial, r->pid);
                if (r->uid < 0)
                        sf_buf_puts(&b, "null");
                else
                        sf_buf_printf(&b, "%ld", r->uid);
                sf_buf_puts(&b, ",\"comm\":");
                json_bytes(&b, r->comm);
                sf_buf_puts(&b, ",\"exe\":");
                json_bytes(&b, r->exe);
                sf_buf_puts(&b, ",\"arch\":");
                cli_json_str(&b, arch);
                sf_buf_printf(&b, ",\"audit_arch\":\"%08x\",\"syscall\":", r->audit_arch);
                if (r->syscall_name)
                        cli_json_str(&b, r->syscall_name);
                else
                        sf_buf_puts(&b, "null");
                sf_buf_printf(&b, ",\"nr\":%ld,\"compat\":%s,\"sig\":%d,\"code\":\"0x%08x\",", r->syscall,
                              r->compat ? "true" : "false", r->sig, r->code);
                cli_json_ret(&b, r->code);
                json_origin(&b, o);
                sf_buf_puts(&b, "}\n");
                if (b.oom)
                        s->oom = true;
                else
                        fwrite(b.s, 1, b.len, stdout);
                sf_buf_release(&b);
        } else {
                char comm[300];
                word_text(r->comm, comm, sizeof(comm));
                if (o->pod) {
                        char pod[300], ns[300], ctr[300];
                        word_text(o->pod, pod, sizeof(pod));
                        word_text(o->pod_ns, ns, sizeof(ns));
                        word_text(o->container, ctr, sizeof(ctr));
                        printf("%s %d %s %s %s %s %s %s %s\n", t, r->pid, comm, arch, sc, act, pod, ns, ctr);
                } else {
                        printf("%s %d %s %s %s %s\n", t, r->pid, comm, arch, sc, act);
                }
        }
        /* netlink's batches are flushed by their reader; a line source each line */
        if (s->follow && !s->batched)
                fflush(stdout);
}

static void take_record(audit_state *s, const sf_audit_record *r)
{
        sf_audit_origin o = { 0 };
        if (!sf_audit_filter_record(&s->f, r)) {
                s->unmatched++;
                return;
        }
        sf_audit_attr_find(s->attr, r, &o);
        if (!sf_audit_filter_origin(&s->f, &o)) {
                s->unmatched++;
                return;
        }
        if (o.pod)
                s->any_pod = true;
        s->total++;
        if (sf_audit_groups_add(s->groups, r, &o) < 0)
                s->oom = true;
        note_name(s, r);
        if ((s->raw || s->follow) && !s->quiet)
                print_record(s, r, &o);
}

static void handle_line(void *ctx, const char *line, size_t len)
{
        audit_state *s = ctx;
        sf_audit_record r;
        if (sf_audit_parse_line(line, len, &r) == 1) {
                if (!s->f.has_since || r.time_sec >= s->f.since)
                        s->in_window = true;
                if (s->dedupe)
                        sf_audit_serials_add(&s->serials, r.serial);
                take_record(s, &r);
        } else if (s->in_window) {
                sf_audit_loss_note(&s->loss, line, len);
        }
}

/* --- reading ------------------------------------------------------------------ */

/* The library's readers, their errors printed. */
static int read_lines(audit_state *s, int fd, const char *path, bool follow)
{
        sf_error *err = NULL;
        int r = sf_audit_read_fd(fd, path, follow, &stop_requested, handle_line, s, &s->long_lines, &err);
        if (r < 0)
                cli_fail(CMD, &err);
        return r;
}

static int read_kmsg(audit_state *s, int fd, bool follow)
{
        sf_error *err = NULL;
        int r = sf_audit_kmsg_read(fd, follow, &stop_requested, handle_line, s, &s->overruns, &err);
        if (r < 0)
                cli_fail(CMD, &err);
        return r;
}

static int open_kmsg(int *ret_fd)
{
        sf_error *err = NULL;
        int r = sf_audit_kmsg_open(ret_fd, &err);
        if (r < 0)
                cli_fail(CMD, &err);
        return r;
}

static void netlink_record(void *ctx, const sf_audit_record *rec)
{
        audit_state *s = ctx;
        /* a record the kernel log gave us already, before the switch */
        if (s->serials.n > 0 && sf_audit_serials_has(&s->serials, rec->serial))
                return;
        take_record(s, rec);
}

static void flush_batch(void *ctx)
{
        (void)ctx;
        fflush(stdout);
}

static void kernel_log_note(void)
{
        cli_error(CMD, "reading the kernel log: it passes at most 10 records per 5 s when no audit daemon "
                       "runs and may have dropped records (for every record: run auditd, or "
                       "'sysfence audit --follow' as root)");
}

/* kmsg, --follow: with --since, the records already in the kernel log from
 * then; then every new one from the audit netlink group when we may join it,
 * else the kernel log. */
static int source_kmsg(audit_state *s)
{
        _cleanup_close_ int kfd = -1, nfd = -1;
        sf_error *err = NULL;
        if (open_kmsg(&kfd) < 0)
                return EXIT_INVALID;
        if (!s->follow) {
                cli_error(CMD, "source: " KMSG);
                kernel_log_note();
                read_kmsg(s, kfd, false);
                return EXIT_OK;
        }
        /* Join the group first: a record made while the kernel log is read
         * then comes from both, and its serial drops the second copy. */
        /* --follow starts at now: the kernel log's older records only when asked */
        if (!s->f.has_since && lseek(kfd, 0, SEEK_END) < 0) {
                cli_error(CMD, KMSG ": cannot seek to its end: %s", strerror(errno));
                return EXIT_INVALID;
        }
        if (sf_audit_netlink_open(&nfd, &err) < 0) {
                cli_error(CMD, "source: " KMSG "%s (%s)", s->f.has_since ? "" : ", from now on", sf_error_message(err));
                sf_error_free(err);
                kernel_log_note();
                read_kmsg(s, kfd, true);
                return EXIT_OK;
        }
        if (s->f.has_since)
                cli_error(CMD, "source: the records in " KMSG " since --since, then the audit netlink multicast group "
                               "(lossless)");
        else
                cli_error(CMD, "source: the audit netlink multicast group (lossless), from now on (--since T shows "
                               "the kernel log's records from T first)");
        /* processes are learned at their fork from now on, so one gone before
         * its first record was read is still named */
        if (sf_audit_attr_watch(s->attr, &err) < 0) {
                cli_error(CMD, "%s: a process that exits before its first record is read is not named",
                          sf_error_message(err));
                sf_error_free(err);
                err = NULL;
        }
        s->dedupe = true;
        if (s->f.has_since)
                read_kmsg(s, kfd, false);
        s->dedupe = false;
        /* what the kernel log lost is about the records above, not what follows */
        if (s->loss.suppressed)
                cli_error(CMD,
                          "the kernel log dropped %llu audit message%s before now (\"callbacks suppressed\"): "
                          "older records are incomplete; from now on none are lost",
                          (unsigned long long)s->loss.suppressed, s->loss.suppressed == 1 ? "" : "s");
        s->loss = (sf_audit_loss){ 0 };
        s->batched = true;
        for (;;) {
                int r = sf_audit_netlink_follow(nfd, s->attr, &stop_requested, netlink_record, flush_batch, s, &err);
                if (r == -ENOBUFS) {
                        s->overruns++;
                        cli_error(CMD, "%s", sf_error_message(err));
                        sf_error_freep(&err);
                        continue;
                }
                if (r < 0)
                        return cli_fail(CMD, &err);
                break;
        }
        return EXIT_OK;
}

static int source_file(audit_state *s, const char *path)
{
        if (strcmp(path, "-") == 0)
                return read_lines(s, STDIN_FILENO, "<stdin>", s->follow) < 0 ? EXIT_INVALID : EXIT_OK;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                cli_error(CMD, "%s: cannot open: %s", path, strerror(errno));
                return EXIT_INVALID;
        }
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
                cli_error(CMD, "%s: is a directory", path);
                return EXIT_INVALID;
        }
        /* --follow starts at now, as tail -f -n 0 does, unless --since asks for older records */
        if (s->follow && !s->f.has_since && S_ISREG(st.st_mode) && lseek(fd, 0, SEEK_END) < 0) {
                cli_error(CMD, "%s: cannot seek to its end: %s", path, strerror(errno));
                return EXIT_INVALID;
        }
        return read_lines(s, fd, path, s->follow) < 0 ? EXIT_INVALID : EXIT_OK;
}

static int source_journal(audit_state *s)
{
        int fd;
        pid_t pid;
        sf_error *err = NULL;
        if (sf_audit_journal_open(s->follow, !s->f.has_since, &fd, &pid, &err) < 0)
                return cli_fail(CMD, &err);
        cli_error(CMD, "source: journalctl -k (the kernel log)");
        kernel_log_note();
        read_lines(s, fd, "journalctl", false);
        close(fd);
        if (sf_audit_journal_close(pid, stop_requested, &err) < 0)
                return cli_fail(CMD, &err);
        return EXIT_OK;
}

/* --- output ------------------------------------------------------------------- */

static void print_table(audit_state *s)
{
        size_t ng;
        uint64_t ungrouped;
        const sf_audit_group *v = sf_audit_groups_get(s->groups, &ng, &ungrouped);
        int wc = 5, wn = 4, wa = 4, ws = 7, wact = 6, wp = 3, wns = 9;
        char cnt[32];
        snprintf(cnt, sizeof(cnt), "%llu", (unsigned long long)s->total);
        if ((int)strlen(cnt) > wc)
                wc = (int)strlen(cnt);
        for (size_t i = 0; i < ng; i++) {
                const sf_audit_group *g = &v[i];
                char comm[300], arch[32], sc[32];
                word_text(g->comm, comm, sizeof(comm));
                arch_text(g->arch, g->audit_arch, arch, sizeof(arch));
                syscall_text(g->name, g->nr, sc, sizeof(sc));
                if ((int)strlen(comm) > wn)
                        wn = (int)strlen(comm);
                if ((int)strlen(arch) > wa)
                        wa = (int)strlen(arch);
                if ((int)strlen(sc) > ws)
                        ws = (int)strlen(sc);
                char act[16];
                action_text(g->action, act, sizeof(act));
                if ((int)strlen(act) > wact)
                        wact = (int)strlen(act);
                if (g->o.pod && (int)strlen(g->o.pod) > wp)
                        wp = (int)strlen(g->o.pod);
                if (g->o.pod && (int)strlen(g->o.pod_ns) > wns)
                        wns = (int)strlen(g->o.pod_ns);
        }
        /* the pod columns only when a record is a pod's: else today's table */
        if (s->any_pod)
                printf("%*s  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wc, "COUNT", wn, "COMM", wa, "ARCH", ws,
                       "SYSCALL", wact, "ACTION", wp, "POD", wns, "NAMESPACE", "CONTAINER");
        else
                printf("%*s  %-*s  %-*s  %-*s  %s\n", wc, "COUNT", wn, "COMM", wa, "ARCH", ws, "SYSCALL", "ACTION");
        for (size_t i = 0; i < ng; i++) {
                const sf_audit_group *g = &v[i];
                char comm[300], arch[32], sc[32], act[16];
                word_text(g->comm, comm, sizeof(comm));
                arch_text(g->arch, g->audit_arch, arch, sizeof(arch));
                syscall_text(g->name, g->nr, sc, sizeof(sc));
                action_text(g->action, act, sizeof(act));
                if (s->any_pod)
                        printf("%*llu  %-*s  %-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wc, (unsigned long long)g->count, wn,
                               comm, wa, arch, ws, sc, wact, act, wp, g->o.pod ? g->o.pod : "-", wns,
                               g->o.pod ? g->o.pod_ns : "-", g->o.pod ? g->o.container : "-");
                else
                        printf("%*llu  %-*s  %-*s  %-*s  %s\n", wc, (unsigned long long)g->count, wn, comm, wa, arch, ws,
                               sc, act);
        }
        if (ungrouped)
                printf("%*llu  (more groups than %d: not listed)\n", wc, (unsigned long long)ungrouped, MAX_GROUPS);
        printf("%*llu  total (%zu group%s)\n", wc, (unsigned long long)s->total, ng, ng == 1 ? "" : "s");
}

static void print_json(audit_state *s, const char *source)
{
        size_t ng;
        const sf_audit_group *v = sf_audit_groups_get(s->groups, &ng, NULL);
        sf_buf b = { 0 };
        sf_buf_puts(&b, "{\"source\":");
        cli_json_str(&b, source);
        sf_buf_printf(&b, ",\"records\":%llu,\"suppressed\":%llu,\"audit_lost\":%llu,\"groups\":[",
                      (unsigned long long)s->total, (unsigned long long)s->loss.suppressed,
                      (unsigned long long)s->loss.audit_lost);
        for (size_t i = 0; i < ng; i++) {
                const sf_audit_group *g = &v[i];
                char arch[32];
                arch_text(g->arch, g->audit_arch, arch, sizeof(arch));
                sf_buf_puts(&b, i ? ",\n  {\"comm\":" : "\n  {\"comm\":");
                json_bytes(&b, g->comm);
                sf_buf_puts(&b, ",\"arch\":");
                cli_json_str(&b, arch);
                sf_buf_puts(&b, ",\"syscall\":");
                if (g->name)
                        cli_json_str(&b, g->name);
                else
                        sf_buf_puts(&b, "null");
                sf_buf_printf(&b, ",\"nr\":%ld,", g->nr);
                cli_json_ret(&b, g->action);
                json_origin(&b, &g->o);
                sf_buf_printf(&b, ",\"count\":%llu}", (unsigned long long)g->count);
        }
        sf_buf_puts(&b, ng ? "\n]}\n" : "]}\n");
        if (b.oom)
                cli_error(CMD, "out of memory");
        else
                fwrite(b.s, 1, b.len, stdout);
        sf_buf_release(&b);
}

/* The profile, in the canonical Docker form (what 'sysfence convert' writes). */
static int write_profile(audit_state *s)
{
        sf_audit_allow_stats st;
        sf_audit_allow_stats_get(s->allow, &st);
        if (st.nameless) {
                char arch[32];
                arch_text(st.nameless_arch, st.nameless_audit_arch, arch, sizeof(arch));
                cli_error(CMD,
                          "%llu record%s name syscalls with no known name (first: %s #%ld): left out of the profile",
                          (unsigned long long)st.nameless, st.nameless == 1 ? "" : "s", arch, st.nameless_nr);
        }
        if (s->not_logged)
                cli_error(CMD, "%llu record%s of another action than LOG: not added (only a complain-mode "
                               "profile's LOG records say what its rules lack)",
                          (unsigned long long)s->not_logged, s->not_logged == 1 ? "" : "s");
        if (!s->merge && st.names == 0) {
                cli_error(CMD, "%s: not written: no syscall named in the records", s->profile);
                return EXIT_INVALID;
        }
        sf_diags d = { 0 };
        sf_error *err = NULL;
        char *text = NULL;
        size_t added = 0;
        int r = sf_audit_allow_profile(s->allow, s->merge ? s->base[0] : NULL, &text, &added, &d, &err);
        cli_print_diags(&d, true);
        sf_diags_release(&d);
        if (r >= 0)
                r = sf_write_file_atomic(s->profile, text, strlen(text), 0644, &err);
        free(text);
        if (r < 0)
                return cli_fail(CMD, &err);
        if (s->merge && strcmp(s->profile, "-") != 0)
                cli_error(CMD, "wrote %s: %s and %zu syscall%s it did not allow", s->profile, s->merge, added,
                          added == 1 ? "" : "s");
        else if (strcmp(s->profile, "-") != 0)
                cli_error(CMD, "wrote %s: %zu syscall%s", s->profile, added, added == 1 ? "" : "s");
        return EXIT_OK;
}

static void report_loss(audit_state *s)
{
        if (s->loss.suppressed)
                cli_error(CMD,
                          "the kernel log dropped %llu audit message%s (\"kauditd_printk_skb: N callbacks "
                          "suppressed\"): records are missing from these counts",
                          (unsigned long long)s->loss.suppressed, s->loss.suppressed == 1 ? "" : "s");
        if (s->loss.audit_lost)
                cli_error(CMD, "the kernel reports audit_lost=%llu: audit records lost since boot",
                          (unsigned long long)s->loss.audit_lost);
        if (s->loss.limit_notes)
                cli_error(CMD, "the kernel reported %u time%s that an audit rate or backlog limit was exceeded",
                          s->loss.limit_notes, s->loss.limit_notes == 1 ? "" : "s");
        if (s->overruns)
                cli_error(CMD, "%u overrun%s while reading: records were lost", s->overruns,
                          s->overruns == 1 ? "" : "s");
        if (s->long_lines)
                cli_error(CMD, "skipped %u line%s longer than %zu bytes", s->long_lines, s->long_lines == 1 ? "" : "s",
                          SF_AUDIT_MAX_LINE);
}

static void state_release(audit_state *s)
{
        sf_audit_groups_free(s->groups);
        sf_audit_allow_free(s->allow);
        sf_profiles_free(s->base, s->nbase);
        sf_audit_serials_release(&s->serials);
        sf_audit_attr_free(s->attr);
}

int cmd_audit(int argc, char **argv)
{
        static const struct option opts[] = {
                { "source", required_argument, NULL, 's' }, { "follow", no_argument, NULL, 'f' },
                { "pid", required_argument, NULL, 'p' },    { "comm", required_argument, NULL, 'c' },
                { "since", required_argument, NULL, 'S' },  { "json", no_argument, NULL, 'j' },
                { "raw", no_argument, NULL, 'r' },          { "to-profile", required_argument, NULL, 'o' },
                { "pod", required_argument, NULL, 'P' },    { "namespace", required_argument, NULL, 'N' },
                { "container", required_argument, NULL, 'C' }, { "state-dir", required_argument, NULL, 'D' },
                { "crio-storage", required_argument, NULL, 'R' }, { "merge", required_argument, NULL, 'M' },
                { "help", no_argument, NULL, 'h' },         { 0 },
        };
        audit_state s = { .in_window = true };
        sf_k8s_inventory_opts inv = { .containerd_state = "/run/containerd", .crio_storage = "/run/containers/storage" };
        const char *source = NULL;
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        if (!*optarg)
                                return cli_usage_error(CMD, "empty --source (kmsg, auditd, journal, a file or -)");
                        source = optarg;
                        break;
                case 'f': s.follow = true; break;
                case 'p': {
                        uint64_t v;
                        if (sf_parse_u64(optarg, 10, &v) < 0 || v == 0 || v > INT_MAX)
                                return cli_usage_error(CMD, "invalid --pid \"%s\" (a process id)", optarg);
                        s.f.pid = (int)v;
                        s.f.has_pid = true;
                        break;
                }
                case 'c':
                        if (!*optarg)
                                return cli_usage_error(CMD, "empty --comm");
                        s.f.comm = optarg;
                        break;
                case 'S':
                        if (sf_audit_parse_since(optarg, (uint64_t)time(NULL), &s.f.since) < 0)
                                return cli_usage_error(
                                        CMD, "invalid --since \"%s\" (seconds since the epoch, or 30s, 10m, 2h, 1d)",
                                        optarg);
                        s.f.has_since = true;
                        s.in_window = false;
                        break;
                case 'P': {
                        const char *slash = strchr(optarg, '/');
                        if (slash) {
                                static char ns[256];
                                if ((size_t)(slash - optarg) >= sizeof(ns) || slash == optarg || !slash[1])
                                        return cli_usage_error(CMD, "invalid --pod \"%s\" (NAME or NAMESPACE/NAME)",
                                                               optarg);
                                memcpy(ns, optarg, (size_t)(slash - optarg));
                                ns[slash - optarg] = 0;
                                s.f.pod_ns = ns;
                                s.f.pod = slash + 1;
                        } else if (!*optarg) {
                                return cli_usage_error(CMD, "empty --pod");
                        } else {
                                s.f.pod = optarg;
                        }
                        break;
                }
                case 'N':
                        if (!*optarg)
                                return cli_usage_error(CMD, "empty --namespace");
                        s.f.pod_ns = optarg;
                        break;
                case 'C':
                        if (!*optarg)
                                return cli_usage_error(CMD, "empty --container");
                        s.f.container = optarg;
                        break;
                case 'D':
                        if (!*optarg)
                                return cli_usage_error(CMD, "empty --state-dir");
                        inv.containerd_state = optarg;
                        break;
                case 'R':
                        if (!*optarg)
                                return cli_usage_error(CMD, "empty --crio-storage");
                        inv.crio_storage = optarg;
                        break;
                case 'j': s.json = true; break;
                case 'r': s.raw = true; break;
                case 'o':
                        if (!*optarg)
                                return cli_usage_error(CMD, "empty --to-profile");
                        s.profile = optarg;
                        break;
                case 'M':
                        if (!*optarg)
                                return cli_usage_error(CMD, "empty --merge");
                        s.merge = optarg;
                        break;
                case 'h': fputs(usage, stdout); return EXIT_OK;
                default: return cli_usage_error(CMD, "invalid option");
                }
        }
        if (optind < argc)
                return cli_usage_error(CMD, "unexpected argument \"%s\" (a file is read with --source FILE)",
                                       argv[optind]);
        if (s.merge && !s.profile)
                return cli_usage_error(CMD, "--merge FILE needs --to-profile OUT (OUT may be FILE: written in place)");
        s.quiet = s.profile && strcmp(s.profile, "-") == 0;
        {
                sf_error *err = NULL;
                if (sf_audit_groups_new(MAX_GROUPS, &s.groups, &err) < 0 ||
                    (s.profile && sf_audit_allow_new(&s.allow, &err) < 0)) {
                        state_release(&s);
                        return cli_fail(CMD, &err);
                }
                /* the profile to add to is read first: a bad one fails before any waiting */
                if (s.merge) {
                        sf_diags d = { 0 };
                        int r = sf_profile_load_file(s.merge, NULL, &s.base, &s.nbase, &d, &err);
                        cli_print_diags(&d, false);
                        if (r < 0 && d.errors == 0)
                                cli_error(CMD, "%s", sf_error_message(err));
                        sf_error_freep(&err);
                        sf_diags_release(&d);
                        if (r == 0 && s.nbase != 1)
                                cli_error(CMD, "%s: holds %zu profiles; --merge takes one", s.merge, s.nbase);
                        if (r < 0 || s.nbase != 1) {
                                state_release(&s);
                                return EXIT_INVALID;
                        }
                }
                if (sf_audit_attr_new(&inv, &s.attr, &err) < 0) {
                        state_release(&s);
                        return cli_fail(CMD, &err);
                }
        }
        bool automatic = !source;
        if (!source)
                source = access(AUDIT_LOG, R_OK) == 0 ? "auditd" : "kmsg";

        if (s.follow) {
                /* end cleanly on Ctrl-C: counts, losses and the profile still come out */
                struct sigaction sa = { .sa_handler = on_stop };
                sigemptyset(&sa.sa_mask);
                sigaction(SIGINT, &sa, NULL);
                sigaction(SIGTERM, &sa, NULL);
        }

        int status;
        if (strcmp(source, "kmsg") == 0) {
                status = source_kmsg(&s);
        } else if (strcmp(source, "journal") == 0) {
                status = source_journal(&s);
        } else if (strcmp(source, "auditd") == 0) {
                if (automatic || s.follow)
                        cli_error(CMD, "source: " AUDIT_LOG);
                status = source_file(&s, AUDIT_LOG);
                if (status != EXIT_OK && access(AUDIT_LOG, F_OK) < 0)
                        cli_error(CMD, "is auditd installed and running? (--source kmsg reads the kernel log)");
        } else {
                status = source_file(&s, source);
        }
        if (status != EXIT_OK) {
                state_release(&s);
                return status;
        }

        /* --raw and --follow printed each record as it came */
        if (!s.quiet && !s.raw && !s.follow) {
                sf_audit_groups_sort(s.groups);
                if (s.json)
                        print_json(&s, source);
                else if (s.total > 0)
                        print_table(&s);
        }
        fflush(stdout);
        report_loss(&s);
        if (s.oom)
                cli_error(CMD, "out of memory: some records are not counted");
        if (s.total == 0) {
                if (s.unmatched)
                        cli_error(CMD, "no seccomp records found (%llu did not match --pid/--comm/--since/--pod/--namespace/--container)",
                                  (unsigned long long)s.unmatched);
                else
                        cli_error(CMD, "no seccomp records found");
                if (s.profile)
                        cli_error(CMD, "%s: not written", s.profile);
        } else {
                if (s.follow)
                        cli_error(CMD, "%llu record%s", (unsigned long long)s.total, s.total == 1 ? "" : "s");
                sf_audit_attr_stats st;
                sf_audit_attr_stats_get(s.attr, &st);
                if (s.any_pod && st.gone)
                        cli_error(CMD,
                                  "%llu record%s of a process that had exited before its first record was read: "
                                  "not named (%llu scans of the containers' processes)",
                                  (unsigned long long)st.gone, st.gone == 1 ? "" : "s", (unsigned long long)st.scans);
                if (s.profile)
                        status = write_profile(&s);
        }
        state_release(&s);
        return status;
}
