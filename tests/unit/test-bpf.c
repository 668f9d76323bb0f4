/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BPF emulator, validator, cache model and disassembler.  Hand-written
 * programs run in the emulator with expected actions and step counts, and the
 * same programs (plus random ones) are loaded into the running kernel in forked
 * children, so that both the validator's verdicts and the emulator's results are
 * checked against the real thing.  Live checks are skipped where seccomp is not
 * usable (feature "seccomp"; a failure where SF_TEST_REQUIRE names it). */
#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysfence/bpf.h"
#include "sysfence/error.h"

#define N_TESTS 81

#include "tap.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__x86_64__) && !defined(__ILP32__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#elif defined(__s390x__)
#define NATIVE_ARCH AUDIT_ARCH_S390X
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__i386__)
#define NATIVE_ARCH AUDIT_ARCH_I386
#else
#define NATIVE_ARCH 0 /* live checks are skipped */
#endif
#define OTHER_ARCH (NATIVE_ARCH == AUDIT_ARCH_I386 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_I386)

/* The 32-bit halves of args[i] as the kernel lays them out on this host. */
#define BIG_ENDIAN_HOST (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
#define ARG_LO(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i) + 4 * BIG_ENDIAN_HOST))
#define ARG_HI(i) ((uint32_t)(offsetof(struct seccomp_data, args) + 8 * (i) + 4 * !BIG_ENDIAN_HOST))

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARCH BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ERRNO(n) (SECCOMP_RET_ERRNO | (n))

/* Syscalls that ignore their arguments, so any args can be passed to them. */
#define NR_PROBE SYS_getppid
#define NR_OTHER1 SYS_getuid
#define NR_OTHER2 SYS_getgid
#define NR_OTHER3 SYS_getpid

/* Arch check, dispatch on three numbers, then on args[0] of NR_PROBE: its high
 * word, a JSET on the low word and a range check. */
static const struct sock_filter prog_dispatch[] = {
        /*  0 */ LD_ARCH,
        /*  1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
        /*  2 */ RET(SECCOMP_RET_KILL_PROCESS),
        /*  3 */ LD_NR,
        /*  4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_OTHER1, 8, 0),
        /*  5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_OTHER2, 8, 0),
        /*  6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_PROBE, 0, 6),
        /*  7 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(0)),
        /*  8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 6),
        /*  9 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
        /* 10 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 5, 0),
        /* 11 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 100, 5, 0),
        /* 12 */ RET(ERRNO(1)),
        /* 13 */ RET(SECCOMP_RET_ALLOW),
        /* 14 */ RET(ERRNO(5)),
        /* 15 */ RET(ERRNO(7)),
        /* 16 */ RET(ERRNO(9)),
        /* 17 */ RET(ERRNO(11)),
};

/* ALU on two arguments through M[] and X, the result returned with RET A. */
static const struct sock_filter prog_alu[] = {
        /*  0 */ LD_NR,
        /*  1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_PROBE, 1, 0),
        /*  2 */ RET(SECCOMP_RET_ALLOW),
        /*  3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
        /*  4 */ BPF_STMT(BPF_ST, 0),
        /*  5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
        /*  6 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
        /*  7 */ BPF_STMT(BPF_LD | BPF_MEM, 0),
        /*  8 */ BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
        /*  9 */ BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 3),
        /* 10 */ BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, 5),
        /* 11 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 1),
        /* 12 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff),
        /* 13 */ BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
        /* 14 */ BPF_STMT(BPF_RET | BPF_A, 0),
};

/* Shift by X (taken modulo 32), NEG, SUB. */
static const struct sock_filter prog_shift[] = {
        /*  0 */ LD_NR,
        /*  1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_PROBE, 1, 0),
        /*  2 */ RET(SECCOMP_RET_ALLOW),
        /*  3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
        /*  4 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
        /*  5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
        /*  6 */ BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0),
        /*  7 */ BPF_STMT(BPF_ALU | BPF_NEG, 0),
        /*  8 */ BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 1),
        /*  9 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff),
        /* 10 */ BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
        /* 11 */ BPF_STMT(BPF_RET | BPF_A, 0),
};

/* JEQ X and DIV X; the kernel returns 0 (KILL_THREAD) on a division by X = 0. */
static const struct sock_filter prog_divx[] = {
        /*  0 */ LD_NR,
        /*  1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_PROBE, 1, 0),
        /*  2 */ RET(SECCOMP_RET_ALLOW),
        /*  3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
        /*  4 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
        /*  5 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
        /*  6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 4, 0),
        /*  7 */ BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
        /*  8 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff),
        /*  9 */ BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
        /* 10 */ BPF_STMT(BPF_RET | BPF_A, 0),
        /* 11 */ RET(ERRNO(33)),
};

/* M[2] written on both branches, read after they join (JA over the else). */
static const struct sock_filter prog_mem[] = {
        /*  0 */ LD_NR,
        /*  1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_PROBE, 1, 0),
        /*  2 */ RET(SECCOMP_RET_ALLOW),
        /*  3 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
        /*  4 */ BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 10, 0, 3),
        /*  5 */ BPF_STMT(BPF_LD | BPF_IMM, 7),
        /*  6 */ BPF_STMT(BPF_ST, 2),
        /*  7 */ BPF_JUMP(BPF_JMP | BPF_JA, 2, 0, 0),
        /*  8 */ BPF_STMT(BPF_LD | BPF_IMM, 9),
        /*  9 */ BPF_STMT(BPF_ST, 2),
        /* 10 */ BPF_STMT(BPF_LDX | BPF_MEM, 2),
        /* 11 */ BPF_STMT(BPF_MISC | BPF_TXA, 0),
        /* 12 */ BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
        /* 13 */ BPF_STMT(BPF_RET | BPF_A, 0),
};

/* A mask on nr (AND K) before the allow: still constant for the cache. */
static const struct sock_filter prog_masked[] = {
        /*  0 */ LD_ARCH,
        /*  1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
        /*  2 */ RET(SECCOMP_RET_KILL_PROCESS),
        /*  3 */ LD_NR,
        /*  4 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x40000000),
        /*  5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
        /*  6 */ RET(ERRNO(38)),
        /*  7 */ RET(SECCOMP_RET_ALLOW),
};

/* Allows everything, but through JEQ X: the cache can't tell. */
static const struct sock_filter prog_jeqx[] = {
        LD_NR,
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0),
        RET(SECCOMP_RET_ALLOW),
        RET(SECCOMP_RET_ALLOW),
};

typedef struct prog {
        const char *name;
        const struct sock_filter *insns;
        size_t len;
} prog;

#define PROG(p) { #p, p, LEN(p) }
static const prog progs[] = {
        PROG(prog_dispatch), PROG(prog_alu), PROG(prog_shift), PROG(prog_divx),
        PROG(prog_mem),      PROG(prog_masked), PROG(prog_jeqx),
};

typedef struct run_case {
        const struct sock_filter *insns;
        size_t len;
        const char *desc;
        uint32_t arch;
        long nr;
        uint64_t args[6];
        uint32_t want;
        size_t steps, pc;
} run_case;

#define RUN(p, ...) p, LEN(p), __VA_ARGS__
static const run_case run_cases[] = {
        { RUN(prog_dispatch, "other1 allowed", NATIVE_ARCH, NR_OTHER1, { 0 }, SECCOMP_RET_ALLOW, 5, 13) },
        { RUN(prog_dispatch, "other2 errno 5", NATIVE_ARCH, NR_OTHER2, { 0 }, ERRNO(5), 6, 14) },
        { RUN(prog_dispatch, "unlisted allowed", NATIVE_ARCH, NR_OTHER3, { 0 }, SECCOMP_RET_ALLOW, 7, 13) },
        { RUN(prog_dispatch, "wrong arch killed", OTHER_ARCH, NR_OTHER1,
              { 0 }, SECCOMP_RET_KILL_PROCESS, 3, 2) },
        { RUN(prog_dispatch, "small arg", NATIVE_ARCH, NR_PROBE, { 5 }, ERRNO(1), 12, 12) },
        { RUN(prog_dispatch, "arg 99", NATIVE_ARCH, NR_PROBE, { 99 }, ERRNO(1), 12, 12) },
        { RUN(prog_dispatch, "arg 100 (jge)", NATIVE_ARCH, NR_PROBE, { 100 }, ERRNO(11), 12, 17) },
        { RUN(prog_dispatch, "arg bit 0x80 (jset)", NATIVE_ARCH, NR_PROBE, { 0x80 }, ERRNO(9), 11, 16) },
        { RUN(prog_dispatch, "high word set", NATIVE_ARCH, NR_PROBE, { 0x100000005ull }, ERRNO(7), 9, 15) },
        { RUN(prog_dispatch, "only high word set", NATIVE_ARCH, NR_PROBE, { 0xffffffff00000000ull }, ERRNO(7), 9,
              15) },
        { RUN(prog_alu, "(10+20)*3^5>>1", NATIVE_ARCH, NR_PROBE, { 10, 20 }, ERRNO(47), 14, 14) },
        { RUN(prog_alu, "wrapping add", NATIVE_ARCH, NR_PROBE, { 0xffffffff, 2 }, ERRNO(3), 14, 14) },
        { RUN(prog_alu, "other syscall", NATIVE_ARCH, NR_OTHER1, { 0 }, SECCOMP_RET_ALLOW, 3, 2) },
        { RUN(prog_shift, "-(3<<4)-1", NATIVE_ARCH, NR_PROBE, { 3, 4 }, ERRNO(0xfcf), 11, 11) },
        { RUN(prog_shift, "shift by x=36 is by 4", NATIVE_ARCH, NR_PROBE, { 3, 36 }, ERRNO(0xfcf), 11, 11) },
        { RUN(prog_shift, "shift by x=32 is by 0", NATIVE_ARCH, NR_PROBE, { 1, 32 }, ERRNO(0xffe), 11, 11) },
        { RUN(prog_divx, "100/7", NATIVE_ARCH, NR_PROBE, { 100, 7 }, ERRNO(14), 10, 10) },
        { RUN(prog_divx, "jeq x taken", NATIVE_ARCH, NR_PROBE, { 5, 5 }, ERRNO(33), 7, 11) },
        { RUN(prog_divx, "division by x=0 returns 0", NATIVE_ARCH, NR_PROBE, { 5, 0 },
              SECCOMP_RET_KILL_THREAD, 7, 7) },
        { RUN(prog_mem, "then branch", NATIVE_ARCH, NR_PROBE, { 11 }, ERRNO(7), 11, 13) },
        { RUN(prog_mem, "else branch", NATIVE_ARCH, NR_PROBE, { 3 }, ERRNO(9), 10, 13) },
        { RUN(prog_masked, "masked nr allowed", NATIVE_ARCH, NR_OTHER1, { 0 }, SECCOMP_RET_ALLOW, 6, 7) },
        { RUN(prog_masked, "x32-style nr refused", NATIVE_ARCH, 0x40000000 | NR_OTHER1, { 0 }, ERRNO(38), 6, 6) },
};

static struct seccomp_data make_data(uint32_t arch, long nr, const uint64_t args[6])
{
        struct seccomp_data d = { .nr = (int)nr, .arch = arch };
        for (int i = 0; i < 6; i++)
                d.args[i] = args[i];
        return d;
}

/* ---- the running kernel ---- */

typedef struct live_result {
        int load_errno;  /* 0: the filter was installed */
        bool installed;
        bool returned;   /* the syscall returned: ret, err */
        long before, ret;
        int err;
        int sig;         /* the child died of this signal */
} live_result;

typedef struct live_shared {
        volatile int load_errno, installed, done;
        volatile long before, ret;
        volatile int err;
} live_shared;

static live_shared *shared;
static bool live_ok;
static const char *live_why = "seccomp not usable here";

/* Installs insns in a forked child, then (if nr >= 0) calls nr with args there. */
static int live_run(const struct sock_filter *insns, size_t len, long nr, const uint64_t args[6],
                    live_result *res)
{
        memset((void *)shared, 0, sizeof(*shared));
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* No core files from the expected SIGSYS deaths.  If the filter
                 * refuses exit_group, glibc's _exit() ends in a SIGSEGV: let it kill
                 * rather than run the sanitizers' handlers under the filter. */
                prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
                signal(SIGSEGV, SIG_DFL);
                signal(SIGBUS, SIG_DFL);
                signal(SIGILL, SIG_DFL);
                signal(SIGFPE, SIG_DFL);
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(100);
                if (nr >= 0)
                        shared->before = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
                struct sock_fprog fp = { .len = (unsigned short)len, .filter = (struct sock_filter *)insns };
                if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0) {
                        shared->load_errno = errno ? errno : -1;
                        _exit(0);
                }
                shared->installed = 1;
                if (nr >= 0) {
                        errno = 0;
                        long r = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
                        shared->err = errno;
                        shared->ret = r;
                }
                shared->done = 1;
                _exit(0);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        *res = (live_result){
                .load_errno = shared->load_errno,
                .installed = shared->installed,
                .returned = shared->done,
                .before = shared->before,
                .ret = shared->ret,
                .err = shared->err,
                .sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0,
        };
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
                return -EIO;
        return 0;
}

/* 1: the kernel accepts the program, 0: EINVAL, -1: something else went wrong. */
static int kernel_accepts(const struct sock_filter *insns, size_t len)
{
        live_result res;
        if (live_run(insns, len, -1, NULL, &res) < 0)
                return -1;
        /* What runs next (exit_group) may be refused or killed by the filter. */
        if (res.load_errno == 0 && res.installed)
                return 1;
        return res.load_errno == EINVAL ? 0 : -1;
}

static void live_setup(void)
{
        static const struct sock_filter allow[] = { RET(SECCOMP_RET_ALLOW) };

        shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED) {
                shared = NULL;
                live_why = "no shared memory";
                return;
        }
        if (NATIVE_ARCH == 0) {
                live_why = "unknown native arch";
                return;
        }
        live_ok = kernel_accepts(allow, 1) == 1;
}

/* Whether the child's fate is what the kernel does for action ret. */
static bool live_matches(uint32_t ret, const live_result *r, char *why, size_t size)
{
        uint32_t data = ret & SECCOMP_RET_DATA;

        if (r->load_errno) {
                snprintf(why, size, "load failed: %s", strerror(r->load_errno));
                return false;
        }
        switch (ret & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ERRNO:
                if (data > 4095) /* MAX_ERRNO */
                        data = 4095;
                snprintf(why, size, "want %s, got ret %ld errno %d signal %d",
                         data ? "errno" : "ret 0", r->ret, r->err, r->sig);
                return r->returned && (data ? r->ret == -1 && (uint32_t)r->err == data : r->ret == 0);
        case SECCOMP_RET_ALLOW:
        case SECCOMP_RET_LOG:
                snprintf(why, size, "want ret %ld, got ret %ld errno %d signal %d", r->before, r->ret,
                         r->err, r->sig);
                return r->returned && r->before >= 0 && r->ret == r->before;
        case SECCOMP_RET_TRACE:
        case SECCOMP_RET_USER_NOTIF:
                /* No tracer, no listener: ENOSYS. */
                snprintf(why, size, "want ENOSYS, got ret %ld errno %d signal %d", r->ret, r->err, r->sig);
                return r->returned && r->ret == -1 && r->err == ENOSYS;
        default: /* KILL_PROCESS, KILL_THREAD, TRAP and unknown actions */
                snprintf(why, size, "want SIGSYS, got ret %ld errno %d signal %d", r->ret, r->err, r->sig);
                return !r->returned && r->sig == SIGSYS;
        }
}

/* ---- emulator ---- */

static void test_run(void)
{
        char want_name[32], got_name[32];

        for (size_t i = 0; i < LEN(run_cases); i++) {
                const run_case *c = &run_cases[i];
                struct seccomp_data d = make_data(c->arch, c->nr, c->args);
                size_t steps = 0, pc = 0;
                uint32_t got = sf_bpf_run(c->insns, c->len, &d, &steps, &pc);
                CHECK(got == c->want && steps == c->steps && pc == c->pc,
                      "run: %s: %s in %zu steps at %zu (got %s, %zu, %zu)", c->desc,
                      sf_ret_name(c->want, want_name, sizeof(want_name)), c->steps, c->pc,
                      sf_ret_name(got, got_name, sizeof(got_name)),
                      steps, pc);
        }

        /* Never out of bounds, even on programs the validator refuses. */
        static const struct sock_filter falls_off[] = { LD_NR };
        static const struct sock_filter far_jump[] = { BPF_JUMP(BPF_JMP | BPF_JA, 0xffffffffu, 0, 0), RET(0) };
        static const struct sock_filter bad_load[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), RET(0) };
        static const struct sock_filter bad_mem[] = { BPF_STMT(BPF_LD | BPF_MEM, 16), RET(0) };
        static const struct sock_filter bad_op[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), RET(0) };
        static const struct sock_filter cond_far[] = { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 200, 200), RET(0) };
        const uint64_t none[6] = { 0 };
        struct seccomp_data d = make_data(NATIVE_ARCH, 1, none);
        size_t steps, pc;
        bool all = sf_bpf_run(falls_off, LEN(falls_off), &d, &steps, &pc) == SECCOMP_RET_KILL_PROCESS &&
                   steps == 1 && pc == 1;
        all = all && sf_bpf_run(far_jump, LEN(far_jump), &d, NULL, NULL) == SECCOMP_RET_KILL_PROCESS;
        all = all && sf_bpf_run(bad_load, LEN(bad_load), &d, NULL, NULL) == SECCOMP_RET_KILL_PROCESS;
        all = all && sf_bpf_run(bad_mem, LEN(bad_mem), &d, NULL, NULL) == SECCOMP_RET_KILL_PROCESS;
        all = all && sf_bpf_run(bad_op, LEN(bad_op), &d, NULL, NULL) == SECCOMP_RET_KILL_PROCESS;
        all = all && sf_bpf_run(cond_far, LEN(cond_far), &d, NULL, NULL) == SECCOMP_RET_KILL_PROCESS;
        all = all && sf_bpf_run(NULL, 0, &d, &steps, NULL) == SECCOMP_RET_KILL_PROCESS && steps == 0;
        CHECK(all, "run: invalid programs give KILL_PROCESS without reading out of bounds");
}

static void test_run_live(void)
{
        for (size_t i = 0; i < LEN(run_cases); i++) {
                const run_case *c = &run_cases[i];
                if (c->arch != NATIVE_ARCH)
                        continue;
                if (!live_ok) {
                        SKIP_FOR("seccomp", live_why, "kernel: %s", c->desc);
                        continue;
                }
                struct seccomp_data d = make_data(c->arch, c->nr, c->args);
                uint32_t want = sf_bpf_run(c->insns, c->len, &d, NULL, NULL);
                live_result r;
                char why[128] = "fork failed";
                bool ok = live_run(c->insns, c->len, c->nr, c->args, &r) == 0 &&
                          live_matches(want, &r, why, sizeof(why));
                CHECK(ok, "kernel: %s (%s)", c->desc, why);
        }
}

/* ---- validator ---- */

typedef struct bad_case {
        const char *desc;
        const struct sock_filter *insns;
        size_t len;
        const char *msg; /* expected start of the message */
} bad_case;

static void test_validate(void)
{
        static const struct sock_filter jump_past[] = {
                LD_NR, BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0), RET(SECCOMP_RET_ALLOW),
        };
        static const struct sock_filter ja_past[] = {
                BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0), RET(SECCOMP_RET_ALLOW),
        };
        static const struct sock_filter no_ret[] = { RET(SECCOMP_RET_ALLOW), LD_NR };
        static const struct sock_filter unaligned[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), RET(0) };
        static const struct sock_filter load64[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), RET(0) };
        static const struct sock_filter div0[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET(0) };
        static const struct sock_filter mem_unset[] = { BPF_STMT(BPF_LD | BPF_MEM, 0), BPF_STMT(BPF_RET | BPF_A, 0) };
        static const struct sock_filter mem_one_path[] = {
                LD_NR,
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
                BPF_STMT(BPF_ST, 3),
                BPF_STMT(BPF_LDX | BPF_MEM, 3),
                RET(SECCOMP_RET_ALLOW),
        };
        static const struct sock_filter ldh[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), RET(0) };
        static const struct sock_filter mod[] = { BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), RET(0) };
        static const struct sock_filter ind[] = { BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), RET(0) };
        static const struct sock_filter ret_x[] = { BPF_STMT(BPF_RET | BPF_X, 0) };
        static const struct sock_filter wide[] = { BPF_STMT(0x106, SECCOMP_RET_ALLOW) };
        static const struct sock_filter shift32[] = { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), RET(0) };
        static const struct sock_filter m16[] = { BPF_STMT(BPF_ST, 16), RET(0) };
        static struct sock_filter many[SF_BPF_MAX_INSNS + 1];
        for (size_t i = 0; i < LEN(many); i++)
                many[i] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);

        static const bad_case bad[] = {
                { "conditional jump past the end", jump_past, LEN(jump_past), "instruction 1: jump to 3" },
                { "ja past the end", ja_past, LEN(ja_past), "instruction 0: jump to 2" },
                { "no ret at the end", no_ret, LEN(no_ret), "instruction 1: the last instruction is not a ret" },
                { "unaligned load", unaligned, LEN(unaligned), "instruction 0: load offset 2 is not 32-bit aligned" },
                { "load at offset 64", load64, LEN(load64), "instruction 0: load offset 64 is outside" },
                { "division by constant 0", div0, LEN(div0), "instruction 0: division by constant 0" },
                { "M[0] read before any store", mem_unset, LEN(mem_unset), "instruction 0: M[0] is read" },
                { "M[3] stored on one path only", mem_one_path, LEN(mem_one_path), "instruction 3: M[3] is read" },
                { "ldh (16-bit load)", ldh, LEN(ldh), "instruction 0: opcode 0x28 is not allowed" },
                { "mod", mod, LEN(mod), "instruction 0: opcode 0x94 is not allowed" },
                { "indirect load", ind, LEN(ind), "instruction 0: opcode 0x40 is not allowed" },
                { "ret x", ret_x, LEN(ret_x), "instruction 0: opcode 0x0e is not allowed" },
                { "opcode above 0xff", wide, LEN(wide), "instruction 0: opcode 0x106 is not allowed" },
                { "constant shift by 32", shift32, LEN(shift32), "instruction 0: shift by 32" },
                { "M[16]", m16, LEN(m16), "instruction 0: scratch memory M[16] does not exist" },
                { "4097 instructions", many, SF_BPF_MAX_INSNS + 1, "program has 4097 instructions" },
                { "0 instructions", many, 0, "empty program" },
        };

        for (size_t i = 0; i < LEN(bad); i++) {
                sf_error *err = NULL;
                int r = sf_bpf_validate(bad[i].insns, bad[i].len, &err);
                const char *msg = sf_error_message(err);
                bool ok = r == -EINVAL && err && strncmp(msg, bad[i].msg, strlen(bad[i].msg)) == 0;
                int k = live_ok ? kernel_accepts(bad[i].insns, bad[i].len) : -2;
                if (k != -2)
                        ok = ok && k == 0;
                CHECK(ok, "validate rejects %s: \"%s\"%s", bad[i].desc, msg,
                      k == -2 ? " (kernel not asked)" : k == 0 ? ", so does the kernel" : ", the kernel does not");
                sf_error_free(err);
        }

        static const struct sock_filter len_loads[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1), RET(SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_RET | BPF_A, 0),
        };
        /* Unreachable code after a JA counts as having every cell written. */
        static const struct sock_filter unreachable_mem[] = {
                BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0), BPF_STMT(BPF_LD | BPF_MEM, 5), RET(SECCOMP_RET_ALLOW),
        };
        const struct { const char *desc; const struct sock_filter *insns; size_t len; } good[] = {
                { "hand-written programs", NULL, 0 },
                { "4096 instructions", many, SF_BPF_MAX_INSNS },
                { "len loads", len_loads, LEN(len_loads) },
                { "M[] read in code only reachable by ja", unreachable_mem, LEN(unreachable_mem) },
        };
        for (size_t i = 0; i < LEN(good); i++) {
                sf_error *err = NULL;
                bool ok = true;
                int k = live_ok ? 1 : -2;
                if (!good[i].insns) {
                        for (size_t j = 0; j < LEN(progs); j++) {
                                ok = ok && sf_bpf_validate(progs[j].insns, progs[j].len, &err) == 0;
                                if (live_ok && kernel_accepts(progs[j].insns, progs[j].len) != 1)
                                        k = 0;
                        }
                } else {
                        ok = sf_bpf_validate(good[i].insns, good[i].len, &err) == 0;
                        if (live_ok)
                                k = kernel_accepts(good[i].insns, good[i].len);
                }
                CHECK(ok && k != 0 && k != -1, "validate accepts %s%s%s", good[i].desc, err ? ": " : "",
                      err ? err->msg : k == -2 ? " (kernel not asked)" : k == 1 ? ", so does the kernel" : ", the kernel does not");
                sf_error_free(err);
        }

        sf_error *err = NULL;
        CHECK(sf_bpf_validate(NULL, 3, &err) == -EINVAL && sf_bpf_validate(no_ret, 2, NULL) == -EINVAL &&
              err != NULL, "validate: NULL program and NULL err");
        sf_error_free(err);
}

/* ---- random programs against the kernel ---- */

static uint64_t rng_state = 0x5f3759df2545f491ull;

static uint32_t rnd(uint32_t n)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return n ? (uint32_t)(rng_state % n) : 0;
}

static uint32_t rnd_k(void)
{
        static const uint32_t ks[] = { 0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 20, 31, 32, 33, 60, 63, 64, 100,
                                       0xfff, 0x7fffffff, 0x80000000, 0xfffff000, 0xffffffff };
        return rnd(3) ? ks[rnd(LEN(ks))] : (uint32_t)rnd(0xffffffffu);
}

/* Any opcode the kernel might know, some it refuses, weighted to the allowed. */
static uint16_t rnd_code(bool only_allowed)
{
        static const uint16_t allowed[] = {
                0x20, 0x80, 0x81, 0x00, 0x01, 0x60, 0x61, 0x02, 0x03, 0x04, 0x0c, 0x14, 0x1c, 0x24,
                0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0xa4, 0xac,
                0x07, 0x87, 0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x06, 0x16,
        };
        if (only_allowed || rnd(8))
                return allowed[rnd(LEN(allowed))];
        return (uint16_t)(rnd(5) ? rnd(0x100) : rnd(0x10000));
}

static void test_random_validate(void)
{
        size_t n = 0, disagree = 0, accepted = 0;
        struct sock_filter insns[8];

        if (!live_ok) {
                SKIP_FOR("seccomp", live_why, "random programs: validator agrees with the kernel");
                return;
        }
        /* Every other program only stores, loads M[] and jumps: the kernel's
         * scratch memory check has quirks worth hitting. */
        static const uint16_t mem_codes[] = {
                BPF_ST, BPF_STX, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_JMP | BPF_JA,
                BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JSET | BPF_X, BPF_RET | BPF_K,
        };
        for (int iter = 0; iter < 2000; iter++) {
                size_t len = 1 + rnd(LEN(insns));
                for (size_t i = 0; i < len; i++) {
                        uint16_t code = iter % 2 ? mem_codes[rnd(LEN(mem_codes))] : rnd_code(false);
                        uint32_t k = rnd_k();
                        if (BPF_CLASS(code) == BPF_ST || BPF_CLASS(code) == BPF_STX ||
                            BPF_MODE(code) == BPF_MEM)
                                k = rnd(4) ? rnd(4) : k;
                        if (code == (BPF_JMP | BPF_JA))
                                k = rnd(4) ? rnd((uint32_t)(len - i) + 1) : k;
                        insns[i] = (struct sock_filter){ code, (uint8_t)rnd((uint32_t)(len - i) + 1),
                                                         (uint8_t)rnd((uint32_t)(len - i) + 1), k };
                }
                if (rnd(5))
                        insns[len - 1] = (struct sock_filter)RET(rnd_k());
                int v = sf_bpf_validate(insns, len, NULL) == 0;
                int k = kernel_accepts(insns, len);
                n++;
                accepted += k == 1;
                if (v != k) {
                        disagree++;
                        if (disagree <= 5) {
                                printf("# validator %s, kernel %d:\n", v ? "accepts" : "rejects", k);
                                char *text = sf_bpf_disasm(insns, len, NULL, NULL);
                                for (char *s = text, *e; s && *s; s = e + 1) {
                                        e = strchr(s, '\n');
                                        printf("#   %.*s\n", (int)(e - s), s);
                                }
                                free(text);
                        }
                }
        }
        CHECK(disagree == 0 && accepted > 200, "random programs: validator agrees with the kernel on %zu of %zu (%zu accepted)",
              n - disagree, n, accepted);
}

/* Random straight-line and branching ALU code between a prologue that lets
 * every other syscall through and an epilogue that returns 12 bits of A as an
 * errno, run at three shifts so that all of A is compared. */
static void test_random_run(void)
{
        enum { BODY = 12, PRE = 3, POST = 4 };
        struct sock_filter insns[PRE + BODY + POST];
        size_t programs = 0, runs = 0, bad = 0, kills = 0;

        if (!live_ok) {
                SKIP_FOR("seccomp", live_why, "random programs: emulator agrees with the kernel");
                return;
        }
        insns[0] = (struct sock_filter)LD_NR;
        insns[1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_PROBE, 1, 0);
        insns[2] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
        const size_t epi = PRE + BODY;
        insns[epi] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 0);
        insns[epi + 1] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfff);
        insns[epi + 2] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO);
        insns[epi + 3] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);

        for (int attempt = 0; programs < 300 && attempt < 20000; attempt++) {
                for (size_t pc = PRE; pc < epi; pc++) {
                        struct sock_filter *f = &insns[pc];
                        do
                                f->code = rnd_code(true);
                        while (BPF_CLASS(f->code) == BPF_RET);
                        f->k = rnd_k();
                        uint32_t room = (uint32_t)(epi - pc); /* up to the epilogue */
                        f->jt = (uint8_t)rnd(room);
                        f->jf = (uint8_t)rnd(room);
                        if (f->code == (BPF_LD | BPF_W | BPF_ABS)) {
                                /* Not instruction_pointer: it differs between runs. */
                                static const uint32_t offs[] = { 0, 4, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60 };
                                f->k = offs[rnd(LEN(offs))];
                        } else if (BPF_CLASS(f->code) == BPF_ST || BPF_CLASS(f->code) == BPF_STX ||
                                   BPF_MODE(f->code) == BPF_MEM) {
                                f->k = rnd(3);
                        } else if (f->code == (BPF_JMP | BPF_JA)) {
                                f->k = rnd(room);
                        } else if (BPF_OP(f->code) == BPF_LSH || BPF_OP(f->code) == BPF_RSH) {
                                if (BPF_SRC(f->code) == BPF_K)
                                        f->k &= 31;
                        } else if (f->code == (BPF_ALU | BPF_DIV | BPF_K) && f->k == 0) {
                                f->k = 3;
                        }
                }
                if (sf_bpf_validate(insns, LEN(insns), NULL) < 0)
                        continue; /* M[] read before written: tried above */
                programs++;

                uint64_t args[6];
                static const uint64_t vals[] = { 0, 1, 5, 31, 32, 33, 64, 0xfff, 0x7fffffff, 0x80000000,
                                                 0xffffffff, 0x100000000ull, 0xffffffffffffffffull };
                for (int i = 0; i < 6; i++)
                        args[i] = rnd(2) ? vals[rnd(LEN(vals))] : ((uint64_t)rnd(0xffffffffu) << 32 | rnd(0xffffffffu));
                for (uint32_t shift = 0; shift < 32; shift += 12) {
                        insns[epi] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, shift);
                        struct seccomp_data d = make_data(NATIVE_ARCH, NR_PROBE, args);
                        uint32_t want = sf_bpf_run(insns, LEN(insns), &d, NULL, NULL);
                        live_result r;
                        char why[128] = "fork failed";
                        runs++;
                        kills += (want & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ERRNO;
                        if (live_run(insns, LEN(insns), NR_PROBE, args, &r) == 0 &&
                            live_matches(want, &r, why, sizeof(why)))
                                continue;
                        if (++bad <= 3) {
                                char name[32];
                                printf("# emulator %s, kernel: %s; args %#" PRIx64 " %#" PRIx64 "\n",
                                       sf_ret_name(want, name, sizeof(name)), why, args[0], args[1]);
                                char *text = sf_bpf_disasm(insns, LEN(insns), NULL, NULL);
                                for (char *s = text, *e; s && *s; s = e + 1) {
                                        e = strchr(s, '\n');
                                        printf("#   %.*s\n", (int)(e - s), s);
                                }
                                free(text);
                        }
                }
        }
        CHECK(bad == 0 && programs == 300, "random programs: emulator agrees with the kernel on %zu of %zu runs (%zu programs, %zu killed)",
              runs - bad, runs, programs, kills);
}

/* ---- action cache ---- */

static void test_cacheable(void)
{
        static const struct sock_filter allow_data[] = { RET(SECCOMP_RET_ALLOW | 1) };
        static const struct sock_filter ip_load[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
                RET(SECCOMP_RET_ALLOW),
        };
        static const struct sock_filter ja_allow[] = {
                BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0), RET(0), RET(SECCOMP_RET_ALLOW),
        };

        CHECK(sf_bpf_cacheable(prog_dispatch, LEN(prog_dispatch), NATIVE_ARCH, NR_OTHER1) &&
              sf_bpf_cacheable(prog_dispatch, LEN(prog_dispatch), NATIVE_ARCH, NR_OTHER3),
              "cacheable: allowlist path (arch, nr, jeq, ret ALLOW)");
        CHECK(!sf_bpf_cacheable(prog_dispatch, LEN(prog_dispatch), NATIVE_ARCH, NR_PROBE),
              "cacheable: not when the path reads args");
        CHECK(!sf_bpf_cacheable(prog_dispatch, LEN(prog_dispatch), NATIVE_ARCH, NR_OTHER2) &&
              !sf_bpf_cacheable(prog_dispatch, LEN(prog_dispatch), OTHER_ARCH,
                                NR_OTHER1),
              "cacheable: not when the constant path ends in ERRNO or KILL");
        const uint64_t none[6] = { 0 };
        struct seccomp_data d = make_data(NATIVE_ARCH, NR_OTHER1, none);
        CHECK(!sf_bpf_cacheable(prog_jeqx, LEN(prog_jeqx), NATIVE_ARCH, NR_OTHER1) &&
              sf_bpf_run(prog_jeqx, LEN(prog_jeqx), &d, NULL, NULL) == SECCOMP_RET_ALLOW,
              "cacheable: not through jeq x, although it allows");
        CHECK(sf_bpf_cacheable(prog_masked, LEN(prog_masked), NATIVE_ARCH, NR_OTHER1) &&
              !sf_bpf_cacheable(prog_masked, LEN(prog_masked), NATIVE_ARCH, 0x40000000 | NR_OTHER1),
              "cacheable: and #k on nr");
        CHECK(!sf_bpf_cacheable(allow_data, 1, NATIVE_ARCH, 0) && !sf_bpf_cacheable(ip_load, 2, NATIVE_ARCH, 0) &&
              sf_bpf_cacheable(ja_allow, 3, NATIVE_ARCH, 0) && !sf_bpf_cacheable(prog_alu, LEN(prog_alu), NATIVE_ARCH, NR_PROBE) &&
              !sf_bpf_cacheable(NULL, 0, NATIVE_ARCH, 0),
              "cacheable: ALLOW with data, ip loads, ja, ALU, empty");
}

/* Every constant RET ERRNO, and nothing else, becomes USER_NOTIF; the
 * original still decides each call (what run's listener answers with). */
static void test_errno_to_notify(void)
{
        struct sock_filter *out = NULL;
        size_t n = 0;
        int r = sf_bpf_errno_to_notify(prog_dispatch, LEN(prog_dispatch), &out, &n, NULL);
        size_t errnos = 0, same = 0;
        for (size_t pc = 0; r == 0 && pc < LEN(prog_dispatch); pc++) {
                bool is_errno = prog_dispatch[pc].code == (BPF_RET | BPF_K) &&
                                (prog_dispatch[pc].k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO;
                errnos += is_errno;
                if (is_errno ? out[pc].k == SECCOMP_RET_USER_NOTIF && out[pc].code == prog_dispatch[pc].code
                             : memcmp(&out[pc], &prog_dispatch[pc], sizeof(out[pc])) == 0)
                        same++;
        }
        CHECK(r == 0 && errnos > 0 && n == errnos && same == LEN(prog_dispatch) &&
              sf_bpf_validate(out, LEN(prog_dispatch), NULL) == 0,
              "errno_to_notify: %zu ERRNO returns become USER_NOTIF, the rest is unchanged", n);
        free(out);
}

/* ---- names and listing ---- */

static void test_names(void)
{
        static const struct {
                uint32_t ret;
                const char *name;
        } names[] = {
                { SECCOMP_RET_KILL_PROCESS, "KILL_PROCESS" },
                { SECCOMP_RET_KILL_THREAD, "KILL_THREAD" },
                { SECCOMP_RET_TRAP, "TRAP" },
                { SECCOMP_RET_TRAP | 3, "TRAP(3)" },
                { SECCOMP_RET_ERRNO | 1, "ERRNO(1)" },
                { SECCOMP_RET_ERRNO, "ERRNO(0)" },
                { SECCOMP_RET_USER_NOTIF, "USER_NOTIF" },
                { SECCOMP_RET_TRACE | 5, "TRACE(5)" },
                { SECCOMP_RET_LOG, "LOG" },
                { SECCOMP_RET_ALLOW, "ALLOW" },
                { SECCOMP_RET_ALLOW | 1, "0x7fff0001" },
                { 0x12340000, "0x12340000" },
        };
        bool ok = true;
        char buf[32];
        for (size_t i = 0; i < LEN(names); i++) {
                const char *got = sf_ret_name(names[i].ret, buf, sizeof(buf));
                if (strcmp(got, names[i].name) != 0) {
                        printf("# %#x: want %s, got %s\n", names[i].ret, names[i].name, got);
                        ok = false;
                }
        }
        CHECK(ok, "sf_ret_name: every action");

        CHECK(sf_action_ret((sf_action){ SF_ACT_KILL_PROCESS, 0 }) == SECCOMP_RET_KILL_PROCESS &&
              sf_action_ret((sf_action){ SF_ACT_KILL_THREAD, 0 }) == SECCOMP_RET_KILL_THREAD &&
              sf_action_ret((sf_action){ SF_ACT_TRAP, 0 }) == SECCOMP_RET_TRAP &&
              sf_action_ret((sf_action){ SF_ACT_ERRNO, EPERM }) == (SECCOMP_RET_ERRNO | EPERM) &&
              sf_action_ret((sf_action){ SF_ACT_ERRNO, 70000 }) == (SECCOMP_RET_ERRNO | 4095) &&
              sf_action_ret((sf_action){ SF_ACT_USER_NOTIF, 0 }) == SECCOMP_RET_USER_NOTIF &&
              sf_action_ret((sf_action){ SF_ACT_TRACE, 0x10005 }) == (SECCOMP_RET_TRACE | 5) &&
              sf_action_ret((sf_action){ SF_ACT_LOG, 0 }) == SECCOMP_RET_LOG &&
              sf_action_ret((sf_action){ SF_ACT_ALLOW, 0 }) == SECCOMP_RET_ALLOW,
              "sf_action_ret: every kind, errno capped, trace data masked");
}

static const char *annotate_rets(void *ctx, size_t pc, char *buf, size_t size)
{
        const struct sock_filter *insns = ctx;
        if (BPF_CLASS(insns[pc].code) != BPF_RET)
                return NULL;
        snprintf(buf, size, "rule %zu", pc);
        return buf;
}

static void test_disasm(void)
{
        static const struct sock_filter golden[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 0, 9),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
                BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 7, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 59, 0, 5),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 52),
                BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1, 2, 0),
                BPF_STMT(BPF_MISC | BPF_TAX, 0),
                BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
                RET(SECCOMP_RET_ERRNO | 1),
                RET(SECCOMP_RET_ALLOW),
                RET(SECCOMP_RET_KILL_PROCESS),
                BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff),
                BPF_STMT(BPF_LD | BPF_MEM, 3),
                BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
                BPF_STMT(BPF_RET | BPF_A, 0),
                BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 2),
                BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 7),
                BPF_STMT(0x1234, 9),
                BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
                BPF_STMT(BPF_ST, 15),
                BPF_STMT(BPF_ALU | BPF_NEG, 0),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 8),
                BPF_STMT(BPF_ALU | BPF_NEG | BPF_X, 0),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 17),
                BPF_STMT(BPF_LD | BPF_W | BPF_IMM, 5000),
        };
        static const char want[] =
                "  0: ld  [4]                ; arch\n"
                "  1: jeq #0xc000003e, 2, 11\n"
                "  2: ld  [0]                ; nr\n"
                "  3: jge #0x40000000, 11, 4\n"
                "  4: jeq #59, 5, 10\n"
                "  5: ld  [52]               ; args[4].hi\n"
                "  6: jset #0x1, 9, 7\n"
                "  7: tax\n"
                "  8: ja  10\n"
                "  9: ret ERRNO(1)  ; rule 9\n"
                " 10: ret ALLOW  ; rule 10\n"
                " 11: ret KILL_PROCESS  ; rule 11\n"
                " 12: and #0xff\n"
                " 13: ld  M[3]\n"
                " 14: div x\n"
                " 15: ret a  ; rule 15\n"
                " 16: ldh [2]\n"
                " 17: mod #7\n"
                " 18: .insn 0x1234, 0, 0, 0x00000009\n"
                " 19: ldx #len\n"
                " 20: st  M[15]\n"
                " 21: neg\n"
                " 22: ld  [8]                ; ip.lo\n"
                " 23: .insn 0x008c, 0, 0, 0x00000000\n"
                " 24: ld  [17]\n"
                " 25: ld  #0x1388\n";
        char *text = sf_bpf_disasm(golden, LEN(golden), annotate_rets, (void *)golden);
        bool ok = text && strcmp(text, want) == 0;
        if (!ok && text)
                for (char *s = text, *e; *s; s = e + 1) {
                        e = strchr(s, '\n');
                        printf("# got: %.*s\n", (int)(e - s), s);
                }
        CHECK(ok, "disasm: golden listing");
        free(text);

        text = sf_bpf_disasm(golden, 0, NULL, NULL);
        CHECK(text && text[0] == 0, "disasm: empty program gives an empty string");
        free(text);
}

int main(void)
{
        printf("1..%d\n", N_TESTS);
        live_setup();
        test_run();
        test_run_live();
        test_validate();
        test_random_validate();
        test_random_run();
        test_cacheable();
        test_errno_to_notify();
        test_names();
        test_disasm();
        if (test_no != N_TESTS) {
                printf("# planned %d tests, ran %d\n", N_TESTS, test_no);
                return EXIT_FAILURE;
        }
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
