/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live test: the kernel makes the decisions the emulator predicts.
 *
 * For every syscall number of x86_64, x32 and i386 (via int 0x80 from this 64-bit
 * process), a forked child installs a guard filter (ERRNO(4095) for everything
 * but what the child needs to install filters and exit), then the compiled
 * profile, then makes the call.  Stacked filters take the most restrictive
 * action, and among equal ones the newest filter's data, so: the profile's
 * ALLOW shows as -4095 (and nothing runs), its ERRNO(n) as -n, KILL/TRAP as a
 * signal.  The child reports through shared memory, making no other syscall. */
#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfence/bpf.h"
#include "util/util.h"

#include "tap.h"

#define GUARD_ERRNO 4095


#if defined(__x86_64__)
static long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f)
{
        long ret;
        register long r10 __asm__("r10") = d;
        register long r8 __asm__("r8") = e;
        register long r9 __asm__("r9") = f;
        __asm__ volatile("syscall"
                         : "=a"(ret)
                         : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
        return ret;
}

/* A 32-bit call from this 64-bit process: the kernel sees AUDIT_ARCH_I386. */
static long int80(long nr, long a, long b, long c, long d, long e)
{
        long ret;
        __asm__ volatile("push %%rbp\n\tmov %6, %%rbp\n\tint $0x80\n\tpop %%rbp"
                         : "=a"(ret)
                         : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                         : "memory", "r8", "r9", "r10", "r11");
        return ret;
}
#endif

static const struct sock_filter guard[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | GUARD_ERRNO),
};

typedef struct shared {
        volatile long result;
        volatile int done;
} shared;

/* What the child saw: -errno, or 1000+signal. */
static long run_case(const sf_prog *prog, int mode, long nr, const long args[6], shared *sh)
{
        sh->done = 0;
        sh->result = 0;
        pid_t pid = fork();
        if (pid < 0)
                return -99999;
        if (pid == 0) {
                /* default dispositions: a sanitizer's handler would make syscalls
                 * the filters deny and never finish */
                signal(SIGSEGV, SIG_DFL);
                signal(SIGSYS, SIG_DFL);
                signal(SIGBUS, SIG_DFL);
                struct sock_fprog g = { .len = ARRAY_SIZE(guard), .filter = (struct sock_filter *)guard };
                struct sock_fprog f = { .len = (unsigned short)prog->len, .filter = prog->insns };
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &g) < 0 ||
                    syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f) < 0)
                        _exit(100);
#if defined(__x86_64__)
                long r = mode == 1 ? int80(nr, args[0], args[1], args[2], args[3], args[4])
                                   : raw_syscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
#else
                long r = -1;
#endif
                sh->result = r;
                sh->done = 1;
                raw_syscall6(__NR_exit_group, 0, 0, 0, 0, 0, 0);
                raw_syscall6(__NR_exit, 0, 0, 0, 0, 0, 0);
                *(volatile int *)0 = 0;
        }
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        /* the call returned: what it returned counts, not how the child ended
         * (a profile that denies exit_group leaves it to die by SIGSEGV) */
        if (sh->done)
                return sh->result;
        if (WIFSIGNALED(st))
                return 1000 + WTERMSIG(st);
        return WIFEXITED(st) && WEXITSTATUS(st) == 100 ? -99998 : -99997;
}

static long expected(uint32_t ret)
{
        switch (ret & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ERRNO: return -(long)(ret & SECCOMP_RET_DATA);
        case SECCOMP_RET_KILL_THREAD:
        case SECCOMP_RET_KILL_PROCESS:
        case SECCOMP_RET_TRAP: return 1000 + SIGSYS;
        default: return -GUARD_ERRNO; /* ALLOW, LOG, TRACE, USER_NOTIF lose to the guard's ERRNO */
        }
}

/* fork() under AddressSanitizer copies its shadow mappings and costs ~100x; the
 * sanitizer build takes every 7th number (the plain build takes them all). */
#if defined(__SANITIZE_ADDRESS__)
static const size_t stride = 7;
#else
static const size_t stride = 1;
#endif

static int test_profile(const char *file, const sf_arch *arches, size_t n_arches, shared *sh)
{
        sf_profile **v = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        int r = sf_profile_load_file(file, NULL, &v, &n, NULL, &err);
        if (r < 0) {
                TEST(0, "%s: %s", file, sf_error_message(err));
                sf_error_free(err);
                return -1;
        }
        sf_compile_opts co = { .arches = arches, .n_arches = n_arches };
        sf_target_default(&co.target);
        sf_prog *prog = NULL;
        if (sf_compile(v[0], &co, &prog, NULL, &err) < 0) {
                TEST(0, "%s: %s", file, sf_error_message(err));
                sf_error_free(err);
                sf_profiles_free(v, n);
                return -1;
        }
        static const long argsets[][6] = {
                { 0, 0, 0, 0, 0, 0 },
                { -1, -1, -1, -1, -1, -1 },
                { 0x7e020000, 1, 2, 3, 4, 5 },
                { 8, 0x20000, 9, 16, 0x5401, 0 },
                { 10, 0xffffffff, 0x100000000L, 40, 39, 38 },
                { 1, 2, 3, 4, 5, 6 },
                { 2, 10, 0, 0, 0, 0 },
        };
        const struct {
                const char *name;
                uint32_t audit;
                int mode; /* 0: syscall, 1: int 0x80 */
                uint32_t bit;
                sf_arch table;
        } paths[] = {
                { "x86_64", AUDIT_ARCH_X86_64, 0, 0, SF_ARCH_X86_64 },
                { "x32 (bit 30)", AUDIT_ARCH_X86_64, 0, 0, SF_ARCH_X32 },
                { "i386 (int 0x80)", AUDIT_ARCH_I386, 1, 0, SF_ARCH_X86 },
        };
        for (size_t pi = 0; pi < ARRAY_SIZE(paths); pi++) {
                const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
                const char *feature = paths[pi].mode == 1 ? "int80" : paths[pi].table == SF_ARCH_X32 ? "x32" : NULL;
                const char *why = feature ? feature_missing(feature) : NULL;
                if (why) {
                        /* test-diff decides these numbers in the emulator against libseccomp */
                        SKIP_FOR(feature, why, "%s: %s: the kernel matches the emulator", base, paths[pi].name);
                        continue;
                }
                size_t cases = 0, bad = 0;
                char first[256] = "";
                for (size_t k = 0; k < sf_syscall_count(paths[pi].table); k += stride) {
                        int nr;
                        const char *name;
                        sf_syscall_at(paths[pi].table, k, &nr, &name);
                        /* what the child itself needs, calls that never return, and
                         * uretprobe (335), which x86_64 kernels since 6.12 let
                         * through every seccomp filter unfiltered */
                        if ((paths[pi].table == SF_ARCH_X86_64 &&
                             (nr == __NR_seccomp || nr == __NR_exit_group || nr == __NR_exit || nr == 335)))
                                continue;
                        for (size_t a = 0; a < ARRAY_SIZE(argsets); a++) {
                                struct seccomp_data d = { .nr = nr, .arch = paths[pi].audit };
                                for (int i = 0; i < 6; i++) {
                                        uint64_t x = (uint64_t)argsets[a][i];
                                        /* int 0x80 passes 32-bit registers, zero-extended */
                                        d.args[i] = paths[pi].mode == 1 ? (uint32_t)x : x;
                                }
                                if (paths[pi].mode == 1)
                                        d.args[5] = 0; /* ebp is not set by our int80 helper */
                                uint32_t ret = sf_bpf_run(prog->insns, prog->len, &d, NULL, NULL);
                                long want = expected(ret);
                                long args[6];
                                for (int i = 0; i < 6; i++)
                                        args[i] = (long)d.args[i];
                                long got = run_case(prog, paths[pi].mode, nr, args, sh);
                                cases++;
                                if (got != want) {
                                        if (!bad++) {
                                                char rb[32];
                                                snprintf(first, sizeof(first),
                                                         "%s nr %d (%s) args set %zu: emulator %s (expect %ld), kernel %ld",
                                                         paths[pi].name, nr, name, a, sf_ret_name(ret, rb, sizeof(rb)),
                                                         want, got);
                                        }
                                }
                                if (a == 0 && ((ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW ||
                                               (ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) && k % 4)
                                        break; /* plain decisions: one argument set is enough for most */
                        }
                }
                TEST(bad == 0, "%s: %s: %zu calls in the kernel match the emulator%s%s", base, paths[pi].name, cases - bad,
                    bad ? "; first mismatch: " : "", first);
        }
        sf_prog_free(prog);
        sf_profiles_free(v, n);
        return 0;
}

int main(int argc, char **argv)
{
#if !defined(__x86_64__)
        printf("1..0 # SKIP the live test drives x86_64, x32 and int 0x80 calls\n");
        return 0;
#else
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL) {
                printf("1..0 # SKIP the kernel has no seccomp\n");
                return 0;
        }
        shared *sh = mmap(NULL, sizeof(shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED)
                return 1;
        if (argc != 4) {
                fprintf(stderr, "usage: test-live MOBY-DEFAULT.json CONTAINERS-COMMON.json EVERY-OPERATOR.json\n");
                return 2;
        }
        /* every-operator.json: distinctive errnos and every operator, so each path is
         * told apart (test-diff decides it against libseccomp too, i386 included) */
        const char *moby = argv[1], *cc = argv[2], *argtest = argv[3];
        static const sf_arch all[] = { SF_ARCH_X86_64, SF_ARCH_X86, SF_ARCH_X32 };
        static const sf_arch native[] = { SF_ARCH_X86_64 };
        printf("1..%d\n", 3 * 5);
        test_profile(moby, all, 3, sh);
        test_profile(cc, all, 3, sh);
        test_profile(argtest, all, 3, sh);
        test_profile(argtest, native, 1, sh);
        test_profile(moby, native, 1, sh);
        return failed ? 1 : 0;
#endif
}
