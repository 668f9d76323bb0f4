/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp audit records: decoding every source format from lines captured on
 * a real kernel (tests/data/audit/), the hostile cases (rate-limit notes, cut
 * lines, garbage), and the live netlink reader: 300 SECCOMP_RET_LOG records
 * made in a burst must all arrive, where the kernel log keeps about 10.
 *
 * The live test needs CAP_AUDIT_READ (feature "audit-read" of feature.h): it
 * is skipped where the probe cannot join the group, and fails where the probe
 * can but sysfence cannot. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sysfence/audit.h"
#include "util/util.h"

#include "tap.h"

#define N_TESTS 42
#define LIVE_CALLS 300

/* --- data files ------------------------------------------------------------------- */

static char source_dir[4096];

static void find_source_dir(void)
{
        const char *env = getenv("SF_SOURCE");
        if (env && *env) {
                snprintf(source_dir, sizeof(source_dir), "%s", env);
                return;
        }
        /* __FILE__ is this file's path as the compiler was given it */
        const char *tail = "tests/unit/test-audit.c";
        size_t n = strlen(__FILE__), t = strlen(tail);
        if (n >= t && strcmp(&__FILE__[n - t], tail) == 0)
                snprintf(source_dir, sizeof(source_dir), "%.*s", (int)(n - t), __FILE__);
        if (!source_dir[0])
                snprintf(source_dir, sizeof(source_dir), ".");
}

typedef struct parsed {
        size_t lines, records;
        sf_audit_record v[64];
} parsed;

/* Splits a data file into lines (bytes as they are: NULs included) and
 * decodes each; false when it cannot be read. */
static bool parse_file(const char *name, parsed *p)
{
        char path[4200];
        snprintf(path, sizeof(path), "%s/tests/data/audit/%s", source_dir, name);
        char *data = NULL;
        size_t len = 0;
        sf_error *err = NULL;
        memset(p, 0, sizeof(*p));
        if (sf_read_file(path, 16 << 20, &data, &len, &err) < 0) {
                printf("# %s\n", sf_error_message(err));
                sf_error_free(err);
                return false;
        }
        for (size_t off = 0; off < len;) {
                const char *nl = memchr(data + off, '\n', len - off);
                size_t n = nl ? (size_t)(nl - data) - off : len - off;
                sf_audit_record r;
                p->lines++;
                if (sf_audit_parse_line(data + off, n, &r) == 1) {
                        if (p->records < ARRAY_SIZE(p->v))
                                p->v[p->records] = r;
                        p->records++;
                }
                off += n + 1;
        }
        free(data);
        return true;
}

static size_t count_where(const parsed *p, bool (*pred)(const sf_audit_record *))
{
        size_t n = 0;
        for (size_t i = 0; i < p->records && i < ARRAY_SIZE(p->v); i++)
                n += pred(&p->v[i]);
        return n;
}

static bool is_x32_getpid(const sf_audit_record *r)
{
        return r->arch == SF_ARCH_X32 && r->syscall == (0x40000000L | 39) && r->syscall_name &&
               strcmp(r->syscall_name, "getpid") == 0;
}

static bool is_log_getppid(const sf_audit_record *r)
{
        return r->arch == SF_ARCH_X86_64 && r->syscall_name && strcmp(r->syscall_name, "getppid") == 0 &&
               r->code == SECCOMP_RET_LOG;
}

static bool is_runc_init(const sf_audit_record *r)
{
        return strcmp(r->comm, "runc:[2:INIT]") == 0 && strcmp(r->exe, "/usr/bin/runc") == 0;
}

static void test_files(void)
{
        parsed p;

        /* dmesg: two records of the live test, then a session of records made
         * by the data generator, two "callbacks suppressed" notes and others */
        bool ok = parse_file("dmesg.txt", &p);
        TEST(ok && p.lines == 30 && p.records == 26, "dmesg.txt: 26 records in 30 lines (got %zu)", p.records);
        const sf_audit_record *r = &p.v[0];
        TEST(ok && r->time_sec == 1795479415 && r->time_msec == 144 && r->serial == 78542 && r->pid == 25540 &&
                     r->uid == 0 && strcmp(r->comm, "test-live") == 0 &&
                     strcmp(r->exe, "/work/main/build/tests/test-live") == 0 && r->sig == 31 && r->compat &&
                     r->code == 0,
             "dmesg.txt: every field of a real kill record");
        TEST(ok && r->audit_arch == AUDIT_ARCH_I386 && r->arch == SF_ARCH_X86 && r->syscall == 237 &&
                     r->syscall_name && strcmp(r->syscall_name, "fremovexattr") == 0,
             "dmesg.txt: arch=40000003 syscall=237 is x86 fremovexattr");
        r = &p.v[1];
        TEST(ok && r->arch == SF_ARCH_X32 && r->audit_arch == AUDIT_ARCH_X86_64 && r->syscall == 1073741912 &&
                     r->syscall_name && strcmp(r->syscall_name, "symlink") == 0 && !r->compat,
             "dmesg.txt: x86_64 with bit 30 set is x32 (1073741912: symlink)");
        TEST(ok && count_where(&p, is_x32_getpid) == 2, "dmesg.txt: two x32 getpid records");
        TEST(ok && count_where(&p, is_log_getppid) == 13, "dmesg.txt: 13 LOG getppid records");

        ok = parse_file("kmsg.txt", &p);
        TEST(ok && p.lines == 28 && p.records == 24, "kmsg.txt (/dev/kmsg): 24 records in 28 lines (got %zu)",
             p.records);
        TEST(ok && p.v[0].serial == 80350 && p.v[0].pid == 4564 && strcmp(p.v[0].comm, "gen") == 0 &&
                     p.v[0].code == SECCOMP_RET_LOG && p.v[0].syscall == 110,
             "kmsg.txt: the first record after the PRI,SEQ,USEC,FLAGS; prefix");

        ok = parse_file("journal.txt", &p);
        TEST(ok && p.lines == 29 && p.records == 24, "journal.txt (journalctl -k -o short): 24 records (got %zu)",
             p.records);
        TEST(ok && p.v[23].serial == 80393 && p.v[23].syscall_name && strcmp(p.v[23].syscall_name, "uname") == 0,
             "journal.txt: the last record");

        ok = parse_file("audit.log", &p);
        TEST(ok && p.lines == 32 && p.records == 27,
             "audit.log (auditd): 27 SECCOMP records, SYSCALL and others skipped (got %zu)", p.records);
        TEST(ok && p.v[0].code == SECCOMP_RET_LOG && p.v[0].serial == 80350,
             "audit.log: code= ends at the 0x1d before the interpreted fields");
        TEST(ok && count_where(&p, is_runc_init) == 3,
             "audit.log: records after an AppArmor subj= label with a space (runc:[2:INIT])");
        size_t kills = 0;
        for (size_t i = 0; ok && i < p.records; i++)
                kills += p.v[i].code == SECCOMP_RET_KILL_PROCESS && p.v[i].sig == 31;
        TEST(kills == 3, "audit.log: three KILL_PROCESS records (code=0x80000000, sig=31)");

        ok = parse_file("hostile.txt", &p);
        TEST(ok && p.records == 10,
             "hostile.txt: exactly the 10 whole records among suppressed notes, cut lines and garbage (got %zu)",
             p.records);
        static const uint64_t want[] = { 80350, 80351, 80353, 80355, 80356, 80360, 80361, 80362, 80364, 80365 };
        bool same = ok && p.records == ARRAY_SIZE(want);
        for (size_t i = 0; same && i < ARRAY_SIZE(want); i++)
                same = p.v[i].serial == want[i];
        TEST(same, "hostile.txt: the records around the bad lines are the right ones");
}

/* --- single lines ------------------------------------------------------------------ */

static const char real[] =
        "[ 3367.784254] audit: type=1326 audit(1795479756.004:80353): auid=4294967295 uid=0 gid=0 "
        "ses=4294967295 pid=6160 comm=6D792070726F67 exe=2F746D702F7366612F6D792070726F67 sig=0 "
        "arch=c000003e syscall=63 compat=0 ip=0x7f1651eb1829 code=0x7ffc0000";

static int parse(const char *s, sf_audit_record *r)
{
        return sf_audit_parse_line(s, strlen(s), r);
}

static void test_lines(void)
{
        sf_audit_record r;
        TEST(parse(real, &r) == 1 && strcmp(r.comm, "my prog") == 0 && strcmp(r.exe, "/tmp/sfa/my prog") == 0,
             "hex-encoded comm and exe are decoded (6D792070726F67: \"my prog\")");
        TEST(parse(real, &r) == 1 && r.arch == SF_ARCH_X86_64 && r.syscall_name &&
                     strcmp(r.syscall_name, "uname") == 0 && r.code == 0x7ffc0000,
             "arch, syscall name and code of a real line");

        /* every prefix that stops before code='s value is not a record */
        size_t cut = (size_t)(strstr(real, "code=0x") - real) + strlen("code=0x");
        bool none = true;
        for (size_t n = 0; n < cut && none; n++) {
                sf_audit_record t;
                none = sf_audit_parse_line(real, n, &t) == 0;
                if (!none)
                        printf("# a prefix of %zu bytes decoded\n", n);
        }
        TEST(none, "a line cut anywhere before code='s value is no record (%zu prefixes)", cut);

        sf_audit_record keep;
        memset(&keep, 0x5a, sizeof(keep));
        sf_audit_record t;
        memcpy(&t, &keep, sizeof(t));
        TEST(sf_audit_parse_line(real, cut - 3, &t) == 0 && memcmp(&t, &keep, sizeof(t)) == 0,
             "nothing is written for a line that is not a record");

        const char *body = strstr(real, "audit(");
        TEST(parse(body, &r) == 1 && r.serial == 80353, "a netlink payload (the record body alone)");

        TEST(parse("type=SECCOMP msg=audit(1795479415.160:78546): auid=4294967295 uid=0 gid=0 ses=4294967295 "
                   "pid=25544 comm=\"x\" exe=\"/bin/x\" sig=0 arch=c000003e syscall=39 compat=0 ip=0x1 "
                   "code=0x7ffc0000\x1d" "AUID=\"unset\" UID=\"root\" GID=\"root\" ARCH=x86_64 SYSCALL=getpid",
                   &r) == 1 &&
                     r.time_sec == 1795479415 && r.time_msec == 160 && r.serial == 78546 && r.code == 0x7ffc0000 &&
                     strcmp(r.syscall_name, "getpid") == 0,
             "audit.log line with the enriched part after 0x1d");

        TEST(parse("Nov 24 00:22:36 node1 audit[6160]: SECCOMP auid=4294967295 uid=1000 gid=0 ses=4294967295 "
                   "subj=unconfined pid=6160 comm=\"curl\" exe=\"/usr/bin/curl\" sig=0 arch=c000003e syscall=41 "
                   "compat=0 ip=0x7f code=0x50000",
                   &r) == 1 &&
                     r.time_sec == 0 && r.uid == 1000 && strcmp(r.syscall_name, "socket") == 0 &&
                     r.code == SECCOMP_RET_ERRNO,
             "journald's audit transport line (no stamp: time 0)");

        TEST(parse("audit: type=1326 audit(1.2:3): pid=7 comm=\"a\" arch=c000003e syscall=1073741824 code=0x0",
                   &r) == 1 &&
                     r.arch == SF_ARCH_X32 && strcmp(r.syscall_name, "read") == 0 && r.uid == -1,
             "x32: 0x40000000 is x32 read; uid absent is -1");
        TEST(parse("audit: type=1326 audit(1.2:3): pid=7 comm=\"a\" arch=c000003e syscall=0 code=0x0", &r) == 1 &&
                     r.arch == SF_ARCH_X86_64 && strcmp(r.syscall_name, "read") == 0,
             "x86_64 0 stays x86_64 read");
        TEST(parse("audit: type=1326 audit(1.2:3): pid=7 comm=\"a\" arch=deadbeef syscall=5 code=0x0", &r) == 1 &&
                     r.arch == SF_ARCH_NONE && r.syscall_name == NULL && r.audit_arch == 0xdeadbeef,
             "an unknown arch is kept with no name");
        TEST(parse("audit: type=1326 audit(1.2:3): pid=7 comm=\"a\" arch=c00000b7 syscall=172 code=0x80000000",
                   &r) == 1 &&
                     r.arch == SF_ARCH_AARCH64 && strcmp(r.syscall_name, "getpid") == 0 &&
                     r.code == SECCOMP_RET_KILL_PROCESS,
             "aarch64 172 is getpid");

        TEST(parse("[ 3409.842086] kauditd_printk_skb: 20 callbacks suppressed", &r) == 0,
             "a \"callbacks suppressed\" note is no record");
        TEST(parse("audit: audit_lost=1843 audit_rate_limit=0 audit_backlog_limit=64", &r) == 0,
             "an audit_lost note is no record");
        TEST(parse("", &r) == 0 && sf_audit_parse_line(NULL, 5, &r) == 0, "empty and NULL input");
        TEST(parse("audit: type=1326 audit(1.2:3): pid=7 comm=\"a\" arch=c000003e syscall=1 syscall=2 code=0x0",
                   &r) == 0,
             "a repeated field is no record");
        TEST(parse("audit: type=1326 audit(1.2:3): pid=7 comm=\"a\" arch=c000003e syscall=1 code=0x100000000",
                   &r) == 0 &&
                     parse("audit: type=1326 audit(1.2:3): pid=99999999999 comm=\"a\" arch=c000003e syscall=1 code=0x0",
                           &r) == 0 &&
                     parse("audit: type=1326 audit(1.2:3): pid=7 comm=\"a\" arch=c000003e syscall=1 code=7ffc0000",
                           &r) == 0,
             "out-of-range numbers and code without 0x are no record");
        TEST(parse("audit: type=1326 audit(1.2:3): pid=7 comm=\"a\" arch=x86_64 syscall=getpid code=0x0", &r) == 0,
             "interpreted (ausearch -i) values are no record");

        /* a record cut short runs into the next one; a whole one into a cut one */
        char glued[1024];
        snprintf(glued, sizeof(glued), "%.*s%s", 120, real,
                 "[ 1.0] audit: type=1326 audit(5.006:77): pid=8 comm=\"b\" arch=c000003e syscall=39 code=0x7ffc0000");
        TEST(parse(glued, &r) == 1 && r.serial == 77 && r.pid == 8, "a cut record glued to a whole one: the whole one");
        snprintf(glued, sizeof(glued), "%s %s", real, "[ 1.0] audit: type=1326 audit(5.006:77): pid=8 comm=\"b");
        TEST(parse(glued, &r) == 1 && r.serial == 80353, "a whole record glued to a cut one: the whole one");
        char nul[600];
        memcpy(nul, "\0\xff\xfe\x01", 4);
        memcpy(nul + 4, real, sizeof(real));
        TEST(sf_audit_parse_line(nul, 4 + strlen(real), &r) == 1 && r.serial == 80353,
             "binary garbage with NULs before a record on the same line");
        snprintf(glued, sizeof(glued), "%s\r\n", real);
        TEST(parse(glued, &r) == 1 && r.code == 0x7ffc0000, "a CRLF line");
        TEST(parse("audit: type=1326 audit(1.2:3): pid=7 comm=\"a\" exe=(null) arch=c000003e syscall=1 code=0x0",
                   &r) == 1 && strcmp(r.exe, "(null)") == 0,
             "exe=(null) of a kernel thread");

        /* hostile bytes: flips of a real line never crash nor read out of bounds */
        char buf[sizeof(real)];
        unsigned seed = 12345;
        int decoded = 0;
        for (int i = 0; i < 20000; i++) {
                memcpy(buf, real, sizeof(real));
                for (int k = 0; k < 3; k++) {
                        seed = seed * 1103515245u + 12345u;
                        buf[(seed >> 8) % (sizeof(real) - 1)] = (char)(seed >> 20);
                }
                seed = seed * 1103515245u + 12345u;
                size_t n = (seed >> 8) % sizeof(real);
                /* a heap copy of exactly n bytes, so a sanitizer catches any overread */
                char *h = malloc(n ? n : 1);
                memcpy(h, buf, n);
                decoded += sf_audit_parse_line(h, n, &r);
                free(h);
        }
        TEST(decoded >= 0, "20000 mutated lines decode without a fault (%d records)", decoded);
}

/* --- live: the netlink reader ----------------------------------------------------- */

typedef struct live {
        pid_t pid;
        int got, other;
} live;

static void on_record(void *ctx, const sf_audit_record *r)
{
        live *l = ctx;
        if (r->pid != l->pid)
                return;
        if (r->code == SECCOMP_RET_LOG && r->syscall == __NR_getppid && r->syscall_name &&
            strcmp(r->syscall_name, "getppid") == 0)
                l->got++;
        else
                l->other++;
}

static long now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* How many of the child's records /dev/kmsg kept (for the log only). */
static int kernel_log_kept(pid_t pid)
{
        int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -1;
        int n = 0;
        char buf[8192];
        for (;;) {
                ssize_t k = read(fd, buf, sizeof(buf));
                if (k < 0 && errno == EPIPE)
                        continue;
                if (k <= 0)
                        break;
                sf_audit_record r;
                if (sf_audit_parse_line(buf, (size_t)k, &r) == 1 && r.pid == pid)
                        n++;
        }
        close(fd);
        return n;
}

static void test_live(void)
{
        const char *why = feature_missing("audit-read");
        int fd = -1;
        sf_error *err = NULL;
        if (why) {
                SKIP_FOR("audit-read", why, "live: the netlink socket is O_CLOEXEC");
                SKIP_FOR("audit-read", why, "live: %d SECCOMP_RET_LOG records all arrive over netlink", LIVE_CALLS);
                SKIP_FOR("audit-read", why, "live: nothing else from the child");
                return;
        }
        if (sf_audit_netlink_open(&fd, &err) < 0) {
                TEST(false, "live: the audit netlink group can be joined, but not by sysfence: %s",
                     sf_error_message(err));
                TEST(false, "live: not run");
                TEST(false, "live: not run");
                sf_error_free(err);
                return;
        }
        int fl = fcntl(fd, F_GETFD);
        TEST(fl >= 0 && (fl & FD_CLOEXEC), "live: the netlink socket is O_CLOEXEC");

        live l = { 0 };
        l.pid = fork();
        if (l.pid == 0) {
                /* LOG getppid, allow the rest: every call makes one record */
                struct sock_filter f[] = {
                        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
                        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG),
                        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                };
                struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                        _exit(100);
                for (int i = 0; i < LIVE_CALLS; i++)
                        syscall(__NR_getppid);
                _exit(0);
        }
        int st = 0;
        bool exited = false;
        long deadline = now_ms() + 10000, quiet_until = 0;
        while (now_ms() < deadline) {
                int r = sf_audit_netlink_read(fd, 200, on_record, &l);
                if (r < 0 && r != -EINTR) {
                        printf("# netlink read: %s\n", strerror(-r));
                        if (r != -ENOBUFS)
                                break;
                }
                if (!exited && waitpid(l.pid, &st, WNOHANG) == l.pid)
                        exited = true;
                /* all made and read: wait a little longer for any extra */
                if (exited && l.got >= LIVE_CALLS) {
                        if (!quiet_until)
                                quiet_until = now_ms() + 300;
                        else if (now_ms() >= quiet_until)
                                break;
                }
        }
        if (!exited) {
                kill(l.pid, SIGKILL);
                waitpid(l.pid, &st, 0);
        }
        close(fd);
        bool child_ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        if (!child_ok)
                printf("# the child could not install its filter (status 0x%x)\n", st);
        int kept = kernel_log_kept(l.pid);
        if (kept >= 0)
                printf("# the kernel log kept %d of the %d records\n", kept, LIVE_CALLS);
        TEST(child_ok && l.got == LIVE_CALLS, "live: %d SECCOMP_RET_LOG records all arrive over netlink (got %d)",
             LIVE_CALLS, l.got);
        TEST(l.other == 0, "live: nothing else from the child (got %d)", l.other);
}

int main(void)
{
        find_source_dir();
        printf("1..%d\n", N_TESTS);
        test_files();
        test_lines();
        test_live();
        if (test_no != N_TESTS)
                printf("# planned %d tests, ran %d\n", N_TESTS, test_no);
        return failed || test_no != N_TESTS ? 1 : 0;
}
