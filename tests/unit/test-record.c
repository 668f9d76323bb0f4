/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The recorder's observations and synthesis, without tracing: counts per arch
 * (x86_64, i386, x32 by bit 30, unknown arches and numbers), argument values,
 * the exact profile text, determinism, what the compiled profile decides, the
 * --hot text.  Then the live recorder on small commands: exit statuses, exec
 * failures, a 32-bit call, children and threads. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfence/bpf.h"
#include "sysfence/record.h"
#include "util/util.h"

#include "tap.h"

#define N_TESTS 39

static const uint64_t no_args[6];

static sf_record *new_record(const char *const *args, size_t n)
{
        sf_record_opts o = { .args = args, .n_args = n };
        sf_record *r = NULL;
        sf_error *err = NULL;
        if (sf_record_new(&o, &r, &err) < 0) {
                printf("# %s\n", sf_error_message(err));
                sf_error_free(err);
                exit(1);
        }
        return r;
}

static int spec_error(const char *spec, char *msg, size_t size)
{
        sf_record_opts o = { .args = &spec, .n_args = 1 };
        sf_record *r = NULL;
        sf_error *err = NULL;
        int rr = sf_record_new(&o, &r, &err);
        snprintf(msg, size, "%s", err ? sf_error_message(err) : "");
        sf_error_free(err);
        sf_record_free(r);
        return rr;
}

static unsigned n_new;
static void count_new(void *ctx, sf_arch arch, long nr, const char *name)
{
        (void)ctx, (void)arch, (void)nr, (void)name;
        n_new++;
}

static void test_specs(void)
{
        char msg[256];
        TEST(spec_error("socket", msg, sizeof(msg)) == 0, "--args socket is accepted");
        TEST(spec_error("ioctl:1", msg, sizeof(msg)) == 0, "--args NAME:INDEX is accepted");
        TEST(spec_error("opn", msg, sizeof(msg)) == -EINVAL && strstr(msg, "did you mean \"open\""),
             "an unknown syscall is refused with a hint: %s", msg);
        TEST(spec_error("openat", msg, sizeof(msg)) == -EINVAL && strstr(msg, "openat:INDEX"),
             "a syscall without a known argument needs an index: %s", msg);
        TEST(spec_error("socket:6", msg, sizeof(msg)) == -EINVAL, "an index above 5 is refused: %s", msg);
        const char *twice[] = { "socket", "socket:1" };
        sf_record_opts o = { .args = twice, .n_args = 2 };
        sf_record *r = NULL;
        sf_error *err = NULL;
        TEST(sf_record_new(&o, &r, &err) == -EINVAL, "the same syscall twice is refused: %s", sf_error_message(err));
        sf_error_free(err);
}

/* A small record: execve/read/write on x86_64, getpid on i386, one x32 call, one
 * call on an arch the tables lack, one number beyond the table, socket families. */
static sf_record *sample(void)
{
        static const char *const args[] = { "socket", "clone" };
        sf_record_opts o = { .args = args, .n_args = 2, .on_new = count_new };
        sf_record *r = NULL;
        if (sf_record_new(&o, &r, NULL) < 0)
                exit(1);
        uint64_t a[6] = { 0 };
        sf_record_add(r, AUDIT_ARCH_X86_64, 59, no_args);                /* execve */
        for (int i = 0; i < 5; i++)
                sf_record_add(r, AUDIT_ARCH_X86_64, 0, no_args);         /* read */
        for (int i = 0; i < 3; i++)
                sf_record_add(r, AUDIT_ARCH_X86_64, 1, no_args);         /* write */
        sf_record_add(r, AUDIT_ARCH_I386, 20, no_args);                  /* getpid */
        sf_record_add(r, AUDIT_ARCH_X86_64, 0x40000000 | 39, no_args);   /* x32 getpid */
        a[0] = 10;                                                       /* AF_INET6 */
        sf_record_add(r, AUDIT_ARCH_X86_64, 41, a);
        a[0] = 2;                                                        /* AF_INET */
        sf_record_add(r, AUDIT_ARCH_X86_64, 41, a);
        sf_record_add(r, AUDIT_ARCH_X86_64, 41, a);
        a[0] = 0x01200011;                                               /* fork's flags */
        sf_record_add(r, AUDIT_ARCH_X86_64, 56, a);
        sf_record_add(r, 0x12345678, 7, no_args);                        /* an unknown arch */
        sf_record_add(r, AUDIT_ARCH_X86_64, 4000, no_args);              /* beyond the table */
        return r;
}

static void test_observations(void)
{
        n_new = 0;
        sf_record *r = sample();
        sf_record_entry *e = NULL;
        size_t n = 0;
        TEST(sf_record_entries(r, &e, &n, NULL) == 0 && n == 9, "nine distinct (arch, syscall) pairs (%zu)", n);
        bool sorted = true;
        for (size_t i = 1; i + 2 < n; i++)
                if (e[i - 1].arch > e[i].arch || (e[i - 1].arch == e[i].arch && e[i - 1].nr >= e[i].nr))
                        sorted = false;
        TEST(sorted && e[0].arch == SF_ARCH_X86_64 && e[0].nr == 0 && e[0].count == 5 && strcmp(e[0].name, "read") == 0,
             "sorted by arch then number; read counted five times");
        bool i386 = false, x32 = false, unknown_arch = false, beyond = false;
        for (size_t i = 0; i < n; i++) {
                if (e[i].arch == SF_ARCH_X86 && e[i].nr == 20 && e[i].name && strcmp(e[i].name, "getpid") == 0)
                        i386 = true;
                if (e[i].arch == SF_ARCH_X32 && e[i].nr == (0x40000000 | 39) && e[i].name &&
                    strcmp(e[i].name, "getpid") == 0)
                        x32 = true;
                if (e[i].arch == SF_ARCH_NONE && e[i].audit_arch == 0x12345678 && !e[i].name)
                        unknown_arch = true;
                if (e[i].arch == SF_ARCH_X86_64 && e[i].nr == 4000 && !e[i].name)
                        beyond = true;
        }
        TEST(i386 && x32, "an i386 call (AUDIT_ARCH_I386) and an x32 call (bit 30) count on their own arches");
        TEST(unknown_arch && beyond, "an unknown arch and a number beyond the table are kept, unnamed");
        TEST(n_new == 9, "the new-syscall callback fires once per pair (%u)", n_new);
        TEST(sf_record_total(r) == 17, "17 calls in all (%ju)", (uintmax_t)sf_record_total(r));
        const char *name;
        unsigned index;
        const uint64_t *v;
        size_t nv;
        bool over;
        TEST(sf_record_arg_values(r, 0, &name, &index, &v, &nv, &over) && strcmp(name, "socket") == 0 && index == 0 &&
                     nv == 2 && v[0] == 2 && v[1] == 10 && !over,
             "socket families: distinct and sorted (2, 10)");
        TEST(sf_record_arg_values(r, 1, &name, &index, &v, &nv, &over) && nv == 1 && v[0] == 0,
             "clone keeps only the namespace bits of its flags (none)");
        free(e);
        sf_record_free(r);
}

static const char expected_kill[] =
        "{\n"
        "  \"defaultAction\": \"SCMP_ACT_KILL_PROCESS\",\n"
        "  \"architectures\": [\n"
        "    \"SCMP_ARCH_X86_64\",\n"
        "    \"SCMP_ARCH_X86\",\n"
        "    \"SCMP_ARCH_X32\"\n"
        "  ],\n"
        "  \"syscalls\": [\n"
        "    {\n"
        "      \"names\": [\n"
        "        \"execve\",\n"
        "        \"getpid\",\n"
        "        \"read\",\n"
        "        \"write\"\n"
        "      ],\n"
        "      \"action\": \"SCMP_ACT_ALLOW\"\n"
        "    },\n"
        "    {\n"
        "      \"names\": [\n"
        "        \"clone\"\n"
        "      ],\n"
        "      \"action\": \"SCMP_ACT_ALLOW\",\n"
        "      \"args\": [\n"
        "        {\n"
        "          \"index\": 0,\n"
        "          \"value\": 2114060288,\n"
        "          \"valueTwo\": 0,\n"
        "          \"op\": \"SCMP_CMP_MASKED_EQ\"\n"
        "        }\n"
        "      ]\n"
        "    },\n"
        "    {\n"
        "      \"names\": [\n"
        "        \"socket\"\n"
        "      ],\n"
        "      \"action\": \"SCMP_ACT_ALLOW\",\n"
        "      \"args\": [\n"
        "        {\n"
        "          \"index\": 0,\n"
        "          \"value\": 2,\n"
        "          \"valueTwo\": 0,\n"
        "          \"op\": \"SCMP_CMP_EQ\"\n"
        "        }\n"
        "      ]\n"
        "    },\n"
        "    {\n"
        "      \"names\": [\n"
        "        \"socket\"\n"
        "      ],\n"
        "      \"action\": \"SCMP_ACT_ALLOW\",\n"
        "      \"args\": [\n"
        "        {\n"
        "          \"index\": 0,\n"
        "          \"value\": 10,\n"
        "          \"valueTwo\": 0,\n"
        "          \"op\": \"SCMP_CMP_EQ\"\n"
        "        }\n"
        "      ]\n"
        "    }\n"
        "  ]\n"
        "}\n";

static sf_prog *compile_text(const char *text)
{
        sf_profile **v = NULL;
        size_t n = 0;
        sf_prog *prog = NULL;
        if (sf_profile_load_data(text, strlen(text), "t.json", NULL, &v, &n, NULL, NULL) < 0)
                return NULL;
        sf_compile_opts co = { 0 };
        sf_target_default(&co.target);
        sf_compile(v[0], &co, &prog, NULL, NULL);
        sf_profiles_free(v, n);
        return prog;
}

static sf_action_kind decide(const sf_prog *prog, uint32_t arch, uint32_t nr, uint64_t arg0)
{
        uint64_t a[6] = { arg0 };
        sf_verdict vd;
        if (sf_prog_lookup(prog, arch, nr, a, &vd) < 0)
                return SF_ACT_TRAP;
        return vd.action.kind;
}

static void test_synthesis(void)
{
        sf_record *r = sample();
        sf_synth_opts so = { .default_action = SF_ACT_KILL_PROCESS, .format = SF_FORMAT_DOCKER };
        char *text = NULL, *again = NULL;
        sf_diags d = { 0 };
        TEST(sf_record_to_profile(r, &so, &text, &d, NULL) == 0 && strcmp(text, expected_kill) == 0,
             "the profile: arches seen, sorted names, one rule per argument value");
        if (text && strcmp(text, expected_kill) != 0)
                printf("# got:\n%s", text);
        TEST(d.warnings == 2, "two warnings: the unknown arch and the unnamed number (%zu)", d.warnings);
        sf_diags_release(&d);
        sf_record_to_profile(r, &so, &again, NULL, NULL);
        TEST(again && text && strcmp(again, text) == 0, "synthesis is deterministic");

        sf_prog *prog = text ? compile_text(text) : NULL;
        TEST(prog != NULL, "the profile compiles");
        if (prog) {
                TEST(decide(prog, AUDIT_ARCH_X86_64, 0, 0) == SF_ACT_ALLOW &&
                             decide(prog, AUDIT_ARCH_X86_64, 2, 0) == SF_ACT_KILL_PROCESS,
                     "read is allowed, open (never seen) is killed");
                TEST(decide(prog, AUDIT_ARCH_X86_64, 41, 2) == SF_ACT_ALLOW &&
                             decide(prog, AUDIT_ARCH_X86_64, 41, 10) == SF_ACT_ALLOW &&
                             decide(prog, AUDIT_ARCH_X86_64, 41, 16) == SF_ACT_KILL_PROCESS,
                     "socket: AF_INET and AF_INET6 allowed, AF_NETLINK killed");
                TEST(decide(prog, AUDIT_ARCH_X86_64, 56, 0x01200011) == SF_ACT_ALLOW &&
                             decide(prog, AUDIT_ARCH_X86_64, 56, 0x01200011 | 0x40000000) == SF_ACT_KILL_PROCESS,
                     "clone: allowed without namespace flags, killed with CLONE_NEWNET");
                TEST(decide(prog, AUDIT_ARCH_I386, 20, 0) == SF_ACT_ALLOW, "getpid on i386 is allowed");
                sf_prog_free(prog);
        }
        free(text);
        free(again);

        so.default_action = SF_ACT_ERRNO;
        so.default_errno = 0;
        text = NULL;
        TEST(sf_record_to_profile(r, &so, &text, NULL, NULL) == 0 && strstr(text, "\"defaultErrnoRet\": 1,"),
             "errno default: SCMP_ACT_ERRNO with defaultErrnoRet 1 (EPERM)");
        free(text);
        so.format = SF_FORMAT_CRD;
        so.name = "My Workload.json";
        text = NULL;
        TEST(sf_record_to_profile(r, &so, &text, NULL, NULL) == 0 && strstr(text, "kind: SeccompProfile\n") &&
                     strstr(text, "  name: my-workload\n"),
             "--format crd: a SeccompProfile named from the output");
        free(text);
        so.format = SF_FORMAT_DOCKER;
        so.name = NULL;
        so.base = "crun";
        text = NULL;
        TEST(sf_record_to_profile(r, &so, &text, NULL, NULL) == 0 && strstr(text, "\"setresuid\""),
             "--base crun adds the runtime's calls");
        free(text);
        so.base = "docker";
        sf_error *err = NULL;
        TEST(sf_record_to_profile(r, &so, &text, NULL, &err) == -EINVAL, "an unknown base is refused: %s",
             sf_error_message(err));
        sf_error_free(err);
        so.base = NULL;
        so.default_action = SF_ACT_ALLOW;
        err = NULL;
        TEST(sf_record_to_profile(r, &so, &text, NULL, &err) == -EINVAL, "an ALLOW default is refused");
        sf_error_free(err);

        char *hot = NULL;
        TEST(sf_record_hot(r, &hot, NULL) == 0 &&
                     strcmp(hot, "read 5\nsocket 3\nwrite 3\ngetpid 2\nclone 1\nexecve 1\n") == 0,
             "--hot: summed over arches, most frequent first, then by name");
        if (hot && strcmp(hot, "read 5\nsocket 3\nwrite 3\ngetpid 2\nclone 1\nexecve 1\n") != 0)
                printf("# got:\n%s", hot);
        free(hot);
        sf_record_free(r);

        /* more values than are kept: the syscall is allowed whatever the value */
        const char *ioctl = "ioctl";
        r = new_record(&ioctl, 1);
        uint64_t a[6] = { 0 };
        for (int i = 0; i < SF_RECORD_MAX_VALUES + 10; i++) {
                a[1] = 0x5400 + (uint64_t)i;
                sf_record_add(r, AUDIT_ARCH_X86_64, 16, a);
        }
        d = (sf_diags){ 0 };
        so.default_action = SF_ACT_KILL_PROCESS;
        text = NULL;
        TEST(sf_record_to_profile(r, &so, &text, &d, NULL) == 0 && d.warnings == 1 && !strstr(text, "\"args\"") &&
                     strstr(text, "\"ioctl\""),
             "over %d values: ioctl allowed without a condition, with a warning", SF_RECORD_MAX_VALUES);
        sf_diags_release(&d);
        free(text);
        sf_record_free(r);
}

/* --- live --------------------------------------------------------------------------------- */

static bool seen(const sf_record *r, sf_arch arch, const char *name)
{
        sf_record_entry *e = NULL;
        size_t n = 0;
        bool found = false;
        if (sf_record_entries(r, &e, &n, NULL) < 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (e[i].arch == arch && e[i].name && strcmp(e[i].name, name) == 0)
                        found = true;
        free(e);
        return found;
}

/* Records argv; returns sf_recorder_wait's result, the status in *status. */
static int run(char *const argv[], int *status, sf_recorder **ret, sf_error **err)
{
        sf_recorder *rec = NULL;
        int r = sf_recorder_new(NULL, &rec, err);
        if (r == 0)
                r = sf_recorder_spawn(rec, argv, err);
        if (r == 0)
                r = sf_recorder_wait(rec, status, err);
        *ret = rec;
        return r;
}

static void *thread_fn(void *arg)
{
        (void)arg;
        syscall(SYS_getppid);
        return NULL;
}

static void test_live(const char *self)
{
        sf_recorder *rec = NULL;
        sf_error *err = NULL;
        int status = -1;
        char *true_argv[] = { (char *)"true", NULL };
        TEST(run(true_argv, &status, &rec, &err) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                     seen(sf_recorder_record(rec), SF_ARCH_X86_64, "execve") &&
                     seen(sf_recorder_record(rec), SF_ARCH_X86_64, "exit_group"),
             "true: exit 0, from its execve to its exit_group");
        sf_recorder_free(rec);
        sf_error_freep(&err);

        char *exit_argv[] = { (char *)"/bin/sh", (char *)"-c", (char *)"/bin/true; exit 3", NULL };
        TEST(run(exit_argv, &status, &rec, &err) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 3 &&
                     seen(sf_recorder_record(rec), SF_ARCH_X86_64, "wait4"),
             "sh -c '/bin/true; exit 3': exit 3, the child followed");
        sf_recorder_free(rec);
        sf_error_freep(&err);

        char *missing[] = { (char *)"/nonexistent/x", NULL };
        TEST(run(missing, &status, &rec, &err) == -ENOENT, "a missing command: -ENOENT (%s)", sf_error_message(err));
        sf_recorder_free(rec);
        sf_error_freep(&err);

        char plain[] = "/tmp/sf-test-record.XXXXXX";
        int fd = mkostemp(plain, O_CLOEXEC);
        if (fd >= 0)
                close(fd);
        char *noexec[] = { plain, NULL };
        TEST(fd >= 0 && run(noexec, &status, &rec, &err) == -EACCES, "a file that is not executable: -EACCES from wait (%s)",
             sf_error_message(err));
        sf_recorder_free(rec);
        sf_error_freep(&err);
        unlink(plain);

        const char *no_i386 = feature_missing("int80");
        if (no_i386) {
                /* the record's side of i386 calls is tested above without executing one (sf_record_add) */
                SKIP_FOR("int80", no_i386, "an int $0x80 getpid counts on i386");
        } else {
                char *i386[] = { (char *)self, (char *)"--int80", NULL };
                TEST(run(i386, &status, &rec, &err) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                             seen(sf_recorder_record(rec), SF_ARCH_X86, "getpid"),
                     "an int $0x80 getpid counts on i386");
                sf_recorder_free(rec);
                sf_error_freep(&err);
        }

        char *threads[] = { (char *)self, (char *)"--threads", NULL };
        TEST(run(threads, &status, &rec, &err) == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                     seen(sf_recorder_record(rec), SF_ARCH_X86_64, "getppid"),
             "a call made by a second thread is seen");
        sf_recorder_free(rec);
        sf_error_freep(&err);

        /* pinned to one CPU, the tree is still told of every CPU it would have had */
        cpu_set_t all;
        if (sched_getaffinity(0, sizeof(all), &all) == 0 && CPU_COUNT(&all) > 1) {
                sf_record_opts po = { .pin = SF_RECORD_PIN_ALL, .cpu = (unsigned)sched_getcpu() };
                char *aff[] = { (char *)self, (char *)"--affinity", NULL };
                int code = -1;
                if (sf_recorder_new(&po, &rec, &err) == 0 && sf_recorder_spawn(rec, aff, &err) == 0 &&
                    sf_recorder_wait(rec, &status, &err) == 0 && WIFEXITED(status))
                        code = WEXITSTATUS(status);
                /* the child's exit code: 100 + CPUs it was told of, +50 when it runs on one */
                TEST(code == 150 + CPU_COUNT(&all), "pinned to one CPU, sched_getaffinity still says %d CPUs (%d)",
                     CPU_COUNT(&all), code);
                sf_recorder_free(rec);
                sf_error_freep(&err);
        } else {
                printf("ok %d - pinned affinity # SKIP one CPU\n", ++test_no);
        }

        char *killed[] = { (char *)"/bin/sh", (char *)"-c", (char *)"kill -TERM $$", NULL };
        TEST(run(killed, &status, &rec, &err) == 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
             "a command killed by SIGTERM: its wait status says so");
        sf_recorder_free(rec);
        sf_error_freep(&err);
}

static volatile sig_atomic_t caught;
static void on_usr1(int sig) { caught = sig; }

/* What a spawned command gets of the caller's signals: no handler, the mask of
 * before the spawn, ignored signals still ignored; an interrupt before the
 * spawn starts nothing. */
static void test_signals(void)
{
        struct sigaction h = { .sa_handler = on_usr1 }, ign = { .sa_handler = SIG_IGN }, old1, old2;
        sigemptyset(&h.sa_mask);
        sigemptyset(&ign.sa_mask);
        sigaction(SIGUSR1, &h, &old1);
        sigaction(SIGUSR2, &ign, &old2);
        sigset_t orig, before, old, now;
        sigemptyset(&before);
        sigaddset(&before, SIGWINCH);
        sigprocmask(SIG_SETMASK, &before, &orig);
        sf_signals_block(&old);
        pid_t pid = fork();
        if (pid == 0) {
                sf_child_signals_reset(&old);
                struct sigaction a, b;
                sigaction(SIGUSR1, NULL, &a);
                sigaction(SIGUSR2, NULL, &b);
                sigprocmask(SIG_SETMASK, NULL, &now);
                int bad = (a.sa_handler != SIG_DFL) | (b.sa_handler != SIG_IGN) << 1 |
                          (!sigismember(&now, SIGWINCH) || sigismember(&now, SIGTERM)) << 2;
                _exit(bad);
        }
        sigprocmask(SIG_SETMASK, NULL, &now);
        bool all_blocked = sigismember(&now, SIGTERM) && sigismember(&now, SIGINT);
        sf_signals_restore(&old);
        sigprocmask(SIG_SETMASK, NULL, &now);
        bool restored = sigismember(&now, SIGWINCH) && !sigismember(&now, SIGTERM);
        int status = -1;
        while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        TEST(pid > 0 && all_blocked && restored && WIFEXITED(status) && WEXITSTATUS(status) == 0,
             "around a spawn: the parent blocks every signal, then its mask returns; the child has no handler of the caller's, "
             "keeps what was ignored and the mask of before (child's verdict %d)",
             WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        sigprocmask(SIG_SETMASK, &orig, NULL);
        sigaction(SIGUSR1, &old1, NULL);
        sigaction(SIGUSR2, &old2, NULL);

        char mark[] = "/tmp/sf-test-record-eintr.XXXXXX";
        int fd = mkstemp(mark);
        if (fd >= 0)
                close(fd);
        unlink(mark);
        char script[128];
        snprintf(script, sizeof(script), "touch %s", mark);
        char *touch[] = { (char *)"/bin/sh", (char *)"-c", script, NULL };
        sf_recorder *rec = NULL;
        sf_error *err = NULL;
        int r = sf_recorder_new(NULL, &rec, &err);
        if (r == 0) {
                sf_recorder_interrupt(rec, SIGTERM);
                r = sf_recorder_spawn(rec, touch, &err);
        }
        usleep(100000);
        TEST(r == -EINTR && access(mark, F_OK) < 0, "interrupted before the spawn: -EINTR, the command never runs (%s)",
             err ? sf_error_message(err) : "no error");
        unlink(mark);
        sf_recorder_free(rec);
        sf_error_freep(&err);
}

int main(int argc, char **argv)
{
        if (argc > 1 && strcmp(argv[1], "--int80") == 0) {
#if defined(__x86_64__)
                long r;
                __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
                return r == (long)getpid() ? 0 : 1;
#else
                return 0;
#endif
        }
        if (argc > 1 && strcmp(argv[1], "--affinity") == 0) {
                cpu_set_t set;
                if (sched_getaffinity(0, sizeof(set), &set) < 0)
                        return 1;
                FILE *f = fopen("/proc/self/status", "re");
                char line[256];
                bool one = false;
                while (f && fgets(line, sizeof(line), f))
                        if (strncmp(line, "Cpus_allowed_list:", 18) == 0)
                                one = !strpbrk(line + 18, ",-");
                if (f)
                        fclose(f);
                return 100 + CPU_COUNT(&set) + (one ? 50 : 0);
        }
        if (argc > 1 && strcmp(argv[1], "--threads") == 0) {
                pthread_t t;
                if (pthread_create(&t, NULL, thread_fn, NULL) != 0)
                        return 1;
                return pthread_join(t, NULL) != 0;
        }
        /* The children this test records are itself: under a sanitizer, its leak
         * checker would clone an untraced helper (CLONE_UNTRACED), which escapes
         * the tracer and whose every call then fails with ENOSYS. */
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
        printf("1..%d\n", N_TESTS);
        test_specs();
        test_observations();
        test_synthesis();
        test_live(argv[0]);
        test_signals();
        if (test_no != N_TESTS)
                printf("# planned %d tests but ran %d\n", N_TESTS, test_no);
        return failed || test_no != N_TESTS;
}
