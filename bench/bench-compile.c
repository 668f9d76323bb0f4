/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-compile: sysfence against libseccomp, built the way runc builds a filter,
 * on the same profiles and in one run:
 *
 *   1. compile time in-process (file read → BPF written), and whole-process
 *      instruction counts under callgrind;
 *   2. the programs: length, instructions executed per x86_64 syscall number,
 *      and how many argument-free ALLOWs the kernel's action cache can mark;
 *   3. the in-kernel cost per syscall of each installed filter, in forked
 *      children pinned to one CPU.
 *
 * It prints numbers and ratios; it asserts nothing about time.
 *
 * usage: bench-compile [--reps N] [--calls N] [--rounds N] [--cpu N]
 *                      [--sysfence PATH] [--no-kernel] [--no-callgrind] PROFILE...
 *        bench-compile --once sysfence|libseccomp|libseccomp-opt PROFILE OUT
 * The second form runs one path once and writes the program to OUT: it is the
 * whole process that callgrind measures. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <sched.h>
#include <seccomp.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "sysfence/bpf.h"
#include "sysfence/profile.h"
#include "util/util.h"
#include "scmp.h"

extern char **environ;

/* What every measurement compiles for: a runtime on an x86_64 node. */
static const sf_arch target_arches[] = { SF_ARCH_X86_64, SF_ARCH_X86, SF_ARCH_X32 };

enum variant { V_SYSFENCE, V_SCMP, V_SCMP_OPT, V__COUNT };
static const char *const variant_names[V__COUNT] = { "sysfence", "libseccomp", "libseccomp opt=2" };

static uint64_t clock_ns(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wall time, and the CPU time of this thread: on a busy machine the second leaves
 * out the time the thread waited for a CPU, which hits long runs more often than
 * short ones. */
typedef struct stamp {
        uint64_t wall, cpu;
} stamp;

static stamp stamp_now(void)
{
        return (stamp){ clock_ns(CLOCK_MONOTONIC), clock_ns(CLOCK_THREAD_CPUTIME_ID) };
}

/* Along one compile: start, profile parsed, program written. */
typedef struct stamps {
        stamp start, parsed, written;
} stamps;

static void report_error(const char *what, sf_error **err)
{
        fprintf(stderr, "bench-compile: %s: %s\n", what, sf_error_message(*err));
        sf_error_free(*err);
        *err = NULL;
}

/* Parses the file; each of the benchmarked files holds exactly one profile. */
static int load_one(const char *file, sf_profile **ret)
{
        sf_diags d = { 0 };
        sf_profile **v = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        int r = sf_profile_load_file(file, NULL, &v, &n, &d, &err);
        sf_diags_release(&d);
        if (r < 0) {
                report_error(file, &err);
                return r;
        }
        if (n != 1) {
                fprintf(stderr, "bench-compile: %s: holds %zu profiles, expected one\n", file, n);
                sf_profiles_free(v, n);
                return -EINVAL;
        }
        *ret = v[0];
        free(v);
        return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t w = write(fd, p, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0)
                        return -errno;
                p += w;
                len -= (size_t)w;
        }
        return 0;
}

/* Empties the output so each repetition writes the program as a new file would. */
static int rewind_out(int fd)
{
        if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return 0;
}

/* sysfence: load, compile, serialize, write to fd.  On success *ret_prog (if not
 * NULL) keeps the program; the stamps exclude freeing. */
static int run_sysfence(const char *file, const sf_target *t, int fd, stamps *st, sf_prog **ret_prog)
{
        st->start = stamp_now();
        sf_profile *p = NULL;
        int r = load_one(file, &p);
        if (r < 0)
                return r;
        st->parsed = stamp_now();
        sf_compile_opts co = { .target = *t, .arches = target_arches, .n_arches = ARRAY_SIZE(target_arches) };
        sf_diags d = { 0 };
        sf_prog *prog = NULL;
        sf_error *err = NULL;
        void *bytes = NULL;
        size_t size = 0;
        r = sf_compile(p, &co, &prog, &d, &err);
        if (r >= 0)
                r = sf_prog_serialize(prog, &bytes, &size, &err);
        if (r >= 0)
                r = write_all(fd, bytes, size);
        st->written = stamp_now();
        if (r < 0 && err)
                report_error(file, &err);
        else if (r < 0)
                fprintf(stderr, "bench-compile: %s: write: %s\n", file, strerror(-r));
        free(bytes);
        sf_diags_release(&d);
        sf_profile_free(p);
        if (r >= 0 && ret_prog)
                *ret_prog = TAKE_PTR(prog);
        sf_prog_free(prog);
        return r < 0 ? r : 0;
}

static bool same_action(sf_action a, sf_action b)
{
        if (a.kind != b.kind)
                return false;
        /* only ERRNO and TRACE carry data into the program */
        return (a.kind != SF_ACT_ERRNO && a.kind != SF_ACT_TRACE) || a.data == b.data;
}

/* Adds the rules of a resolved profile as runc does: a rule whose action is the
 * default is left out (libseccomp refuses it); conditions on one argument index
 * given twice become one rule per condition, since libseccomp rejects a rule
 * that compares the same argument twice. */
static int scmp_add_rules(scmp_filter_ctx ctx, const sf_profile *p)
{
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *rule = &p->rules[i];
                if (same_action(rule->action, p->default_action))
                        continue;
                bool repeated = false;
                struct scmp_arg_cmp conds[SF_PROFILE_MAX_ARGS];
                for (size_t x = 0; x < rule->n_args && x < SF_PROFILE_MAX_ARGS; x++) {
                        const sf_arg *g = &rule->args[x];
                        for (size_t y = 0; y < x; y++)
                                repeated |= g->index == rule->args[y].index;
                        conds[x] = (struct scmp_arg_cmp){ g->index, scmp_ops[g->op], g->value, g->value_two };
                }
                uint32_t action = scmp_action(rule->action);
                for (size_t j = 0; j < rule->n_names; j++) {
                        int nr = seccomp_syscall_resolve_name(rule->names[j]);
                        if (nr == __NR_SCMP_ERROR)
                                continue; /* runc skips names this libseccomp does not know */
                        int r = 0;
                        if (repeated)
                                for (size_t x = 0; x < rule->n_args && r == 0; x++)
                                        r = seccomp_rule_add_array(ctx, action, nr, 1, &conds[x]);
                        else
                                r = seccomp_rule_add_array(ctx, action, nr, (unsigned)rule->n_args, conds);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int scmp_add_arches(scmp_filter_ctx ctx)
{
        uint32_t native = seccomp_arch_native();
        bool has_native = false;
        for (size_t i = 0; i < ARRAY_SIZE(target_arches); i++)
                has_native |= scmp_token(target_arches[i]) == native;
        int r = has_native ? 0 : seccomp_arch_remove(ctx, native);
        for (size_t i = 0; i < ARRAY_SIZE(target_arches) && r == 0; i++) {
                uint32_t a = scmp_token(target_arches[i]);
                if (a == native)
                        continue;
                r = seccomp_arch_add(ctx, a);
                if (r == -EEXIST)
                        r = 0;
        }
        return r;
}

/* libseccomp: the same parse (sysfence's loader: libseccomp has none), resolution
 * for the node, the filter built rule by rule, exported to fd. */
static int run_libseccomp(const char *file, const sf_target *t, bool optimize, int fd, stamps *st)
{
        st->start = stamp_now();
        sf_profile *p = NULL;
        int r = load_one(file, &p);
        if (r < 0)
                return r;
        st->parsed = stamp_now();
        sf_profile *rp = NULL;
        sf_error *err = NULL;
        if ((r = sf_profile_resolve(p, t, &rp, &err)) < 0) {
                report_error(file, &err);
                sf_profile_free(p);
                return r;
        }
        scmp_filter_ctx ctx = seccomp_init(scmp_action(rp->default_action));
        r = ctx ? scmp_add_arches(ctx) : -ENOMEM;
        if (r == 0 && optimize)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r == 0)
                r = scmp_add_rules(ctx, rp);
        if (r == 0)
                r = seccomp_export_bpf(ctx, fd);
        st->written = stamp_now();
        if (r < 0)
                fprintf(stderr, "bench-compile: %s: libseccomp: %s\n", file, strerror(-r));
        if (ctx)
                seccomp_release(ctx);
        sf_profile_free(rp);
        sf_profile_free(p);
        return r < 0 ? r : 0;
}

/* The program libseccomp wrote to fd. */
static int read_prog(int fd, struct sock_filter **ret, size_t *ret_len)
{
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0)
                return -EIO;
        struct sock_filter *f = malloc((size_t)size);
        if (!f)
                return -ENOMEM;
        if (pread(fd, f, (size_t)size, 0) != size) {
                free(f);
                return -EIO;
        }
        *ret = f;
        *ret_len = (size_t)size / sizeof(*f);
        return 0;
}

static int run_variant(enum variant v, const char *file, const sf_target *t, int fd, stamps *st)
{
        int r = rewind_out(fd);
        if (r < 0)
                return r;
        if (v == V_SYSFENCE)
                return run_sysfence(file, t, fd, st, NULL);
        return run_libseccomp(file, t, v == V_SCMP_OPT, fd, st);
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return (x > y) - (x < y);
}

static uint64_t median_u64(uint64_t *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_u64);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static double median_double(double *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct prog_stats {
        size_t len;
        double avg_steps;
        size_t max_steps;
        size_t n_numbers;      /* x86_64 numbers walked */
        double avg_steps_all;  /* over every number 0..max, unassigned ones too */
        size_t max_steps_all;
        size_t free_allows;    /* argument-free ALLOWs over all target arches */
        size_t cacheable;      /* of those, the ones the kernel's cache marks */
        size_t steps_getppid, steps_personality; /* the two calls timed in the kernel */
} prog_stats;

/* Instructions executed for every number the x86_64 table knows (args zero), and
 * cache coverage of the argument-free ALLOWs the profile decides (taken from
 * sysfence's decision tables; the differential test proves libseccomp decides
 * the same). */
static void prog_measure(const struct sock_filter *insns, size_t len, const sf_prog *decisions, prog_stats *ret)
{
        prog_stats s = { .len = len };
        uint64_t total = 0;
        size_t n = sf_syscall_count(SF_ARCH_X86_64);
        for (size_t i = 0; i < n; i++) {
                int nr;
                if (!sf_syscall_at(SF_ARCH_X86_64, i, &nr, NULL))
                        continue;
                struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
                size_t steps = 0;
                sf_bpf_run(insns, len, &d, &steps, NULL);
                total += steps;
                if (steps > s.max_steps)
                        s.max_steps = steps;
                s.n_numbers++;
        }
        s.avg_steps = s.n_numbers ? (double)total / (double)s.n_numbers : 0;
        int max_nr = sf_syscall_max(SF_ARCH_X86_64);
        total = 0;
        for (int nr = 0; nr <= max_nr; nr++) {
                struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64 };
                size_t steps = 0;
                sf_bpf_run(insns, len, &d, &steps, NULL);
                total += steps;
                if (steps > s.max_steps_all)
                        s.max_steps_all = steps;
        }
        s.avg_steps_all = max_nr >= 0 ? (double)total / (double)(max_nr + 1) : 0;
        struct seccomp_data g = { .nr = SYS_getppid, .arch = AUDIT_ARCH_X86_64 };
        struct seccomp_data p = { .nr = SYS_personality, .arch = AUDIT_ARCH_X86_64, .args = { 0xffffffffu } };
        sf_bpf_run(insns, len, &g, &s.steps_getppid, NULL);
        sf_bpf_run(insns, len, &p, &s.steps_personality, NULL);
        for (size_t a = 0; a < ARRAY_SIZE(target_arches); a++) {
                uint32_t audit = sf_arch_audit(target_arches[a]);
                size_t count = sf_syscall_count(target_arches[a]);
                for (size_t i = 0; i < count; i++) {
                        int nr;
                        sf_verdict v;
                        static const uint64_t zero[6];
                        if (!sf_syscall_at(target_arches[a], i, &nr, NULL) ||
                            sf_prog_lookup(decisions, audit, (uint32_t)nr, zero, &v) < 0)
                                continue;
                        if (v.action.kind != SF_ACT_ALLOW || v.conditional || v.bad_arch)
                                continue;
                        s.free_allows++;
                        s.cacheable += sf_bpf_cacheable(insns, len, audit, nr);
                }
        }
        *ret = s;
}

/* ---- in-kernel cost ---- */

enum { CALL_GETPPID, CALL_PERSONALITY, CALL__COUNT };

/* ns per call, wall and CPU time, for each call. */
typedef struct call_cost {
        double wall[CALL__COUNT], cpu[CALL__COUNT];
} call_cost;

static void time_calls(long calls, call_cost *ret, bool *ret_ok)
{
        bool ok = true;
        /* warm caches and the kernel's per-filter action cache */
        for (long i = 0; i < 10000; i++) {
                ok &= syscall(SYS_getppid) > 0;
                ok &= syscall(SYS_personality, 0xffffffffUL) >= 0;
        }
        stamp t0 = stamp_now();
        for (long i = 0; i < calls; i++)
                syscall(SYS_getppid);
        stamp t1 = stamp_now();
        for (long i = 0; i < calls; i++)
                syscall(SYS_personality, 0xffffffffUL);
        stamp t2 = stamp_now();
        ret->wall[CALL_GETPPID] = (double)(t1.wall - t0.wall) / (double)calls;
        ret->cpu[CALL_GETPPID] = (double)(t1.cpu - t0.cpu) / (double)calls;
        ret->wall[CALL_PERSONALITY] = (double)(t2.wall - t1.wall) / (double)calls;
        ret->cpu[CALL_PERSONALITY] = (double)(t2.cpu - t1.cpu) / (double)calls;
        *ret_ok = ok;
}

/* Forks a child pinned to cpu that installs the program (NULL: none) the way a
 * runtime does, then times the calls. */
static int kernel_measure(const struct sock_filter *insns, size_t len, int cpu, long calls, call_cost *ret)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(pfd[0]);
                close(pfd[1]);
                return -e;
        }
        if (pid == 0) {
                struct {
                        int status;
                        call_cost cost;
                } res = { 0 };
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(cpu, &set);
                close(pfd[0]);
                if (sched_setaffinity(0, sizeof(set), &set) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                        res.status = errno;
                } else if (insns) {
                        struct sock_fprog fp = { .len = (unsigned short)len, .filter = (struct sock_filter *)insns };
                        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
                                res.status = errno;
                }
                if (res.status == 0) {
                        bool ok;
                        time_calls(calls, &res.cost, &ok);
                        if (!ok)
                                res.status = EPERM; /* the filter denied a call the profile allows */
                }
                ssize_t w = write(pfd[1], &res, sizeof(res));
                _exit(w == (ssize_t)sizeof(res) ? 0 : 1);
        }
        close(pfd[1]);
        struct {
                int status;
                call_cost cost;
        } res;
        ssize_t n;
        do
                n = read(pfd[0], &res, sizeof(res));
        while (n < 0 && errno == EINTR);
        close(pfd[0]);
        int wst;
        while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
                ;
        if (n != (ssize_t)sizeof(res))
                return -EIO;
        if (res.status != 0)
                return -res.status;
        *ret = res.cost;
        return 0;
}

/* The last CPU this process may run on: usually not the one taking most interrupts. */
static int pick_cpu(void)
{
        cpu_set_t set;
        if (sched_getaffinity(0, sizeof(set), &set) < 0)
                return 0;
        int cpu = 0;
        for (int i = 0; i < CPU_SETSIZE; i++)
                if (CPU_ISSET(i, &set))
                        cpu = i;
        return cpu;
}

/* ---- whole process under callgrind ---- */

/* Runs argv under callgrind with its output discarded; *ret_ir: total instructions. */
static int callgrind_ir(const char *dir, char *const argv[], uint64_t *ret_ir)
{
        char outfile[4200], opt[4300];
        snprintf(outfile, sizeof(outfile), "%s/callgrind.out", dir);
        snprintf(opt, sizeof(opt), "--callgrind-out-file=%s", outfile);
        unlink(outfile);
        char *args[32];
        size_t k = 0;
        args[k++] = (char *)"valgrind";
        args[k++] = (char *)"--tool=callgrind";
        args[k++] = opt;
        for (size_t i = 0; argv[i] && k < ARRAY_SIZE(args) - 1; i++)
                args[k++] = argv[i];
        args[k] = NULL;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        fflush(stdout);
        int r = posix_spawnp(&pid, "valgrind", &fa, NULL, args, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return -ECHILD;
        FILE *f = fopen(outfile, "re");
        if (!f)
                return -errno;
        char line[512];
        int found = -ENODATA;
        while (fgets(line, sizeof(line), f)) {
                const char *v = NULL;
                if (strncmp(line, "summary:", 8) == 0)
                        v = line + 8;
                else if (strncmp(line, "totals:", 7) == 0)
                        v = line + 7;
                if (!v)
                        continue;
                while (*v == ' ')
                        v++;
                char num[32];
                size_t i = 0;
                while (v[i] >= '0' && v[i] <= '9' && i < sizeof(num) - 1) {
                        num[i] = v[i];
                        i++;
                }
                num[i] = 0;
                if (sf_parse_u64(num, 10, ret_ir) == 0) {
                        found = 0;
                        break;
                }
        }
        fclose(f);
        return found;
}

/* ---- the one-shot form, for callgrind ---- */

static int once(const char *variant, const char *file, const char *out)
{
        sf_target t;
        sf_target_default(&t);
        enum variant v;
        if (strcmp(variant, "sysfence") == 0)
                v = V_SYSFENCE;
        else if (strcmp(variant, "libseccomp") == 0)
                v = V_SCMP;
        else if (strcmp(variant, "libseccomp-opt") == 0)
                v = V_SCMP_OPT;
        else {
                fprintf(stderr, "bench-compile: unknown variant \"%s\"\n", variant);
                return 2;
        }
        _cleanup_close_ int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                fprintf(stderr, "bench-compile: %s: %s\n", out, strerror(errno));
                return 1;
        }
        stamps st;
        return run_variant(v, file, &t, fd, &st) < 0 ? 1 : 0;
}

/* ---- the whole run ---- */

/* Medians over the repetitions, in ns. */
typedef struct compile_time {
        uint64_t wall, parse_wall, rest_wall, cpu;
} compile_time;

typedef struct profile_result {
        const char *file;
        const char *base;
        compile_time time[V__COUNT];
        prog_stats stats[V__COUNT];
        struct sock_filter *insns[V__COUNT];
        size_t len[V__COUNT];
        call_cost kernel[V__COUNT];
        uint64_t ir[V__COUNT + 1]; /* the three one-shot paths, then the sysfence CLI */
        bool have_ir[V__COUNT + 1];
} profile_result;

enum { T_WALL, T_PARSE, T_REST, T_CPU, T__COUNT };

static int bench_compile_time(profile_result *pr, const sf_target *t, size_t reps)
{
        _cleanup_close_ int fd = memfd_create("bench-bpf", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* samples[(v * T__COUNT + kind) * reps + i] */
        _cleanup_free_ uint64_t *samples = calloc(V__COUNT * T__COUNT * reps, sizeof(uint64_t));
        if (!samples)
                return -ENOMEM;
        /* one untimed pass each warms the page cache, the allocator and libseccomp's tables */
        for (int v = 0; v < V__COUNT; v++) {
                stamps st;
                int r = run_variant(v, pr->file, t, fd, &st);
                if (r < 0)
                        return r;
        }
        /* The variants alternate so that drift in the machine's speed hits all alike,
         * and the order rotates: the one run right after libseccomp's finds the
         * caches cold, and that must not always be the same one. */
        for (size_t i = 0; i < reps; i++)
                for (int vv = 0; vv < V__COUNT; vv++) {
                        int v = (vv + (int)(i % V__COUNT)) % V__COUNT;
                        stamps st;
                        int r = run_variant(v, pr->file, t, fd, &st);
                        if (r < 0)
                                return r;
                        uint64_t *row = samples + (size_t)v * T__COUNT * reps + i;
                        row[T_WALL * reps] = st.written.wall - st.start.wall;
                        row[T_PARSE * reps] = st.parsed.wall - st.start.wall;
                        row[T_REST * reps] = st.written.wall - st.parsed.wall;
                        row[T_CPU * reps] = st.written.cpu - st.start.cpu;
                }
        for (int v = 0; v < V__COUNT; v++) {
                uint64_t *base = samples + (size_t)v * T__COUNT * reps;
                pr->time[v] = (compile_time){
                        .wall = median_u64(base + T_WALL * reps, reps),
                        .parse_wall = median_u64(base + T_PARSE * reps, reps),
                        .rest_wall = median_u64(base + T_REST * reps, reps),
                        .cpu = median_u64(base + T_CPU * reps, reps),
                };
        }
        return 0;
}

static int bench_programs(profile_result *pr, const sf_target *t)
{
        _cleanup_close_ int fd = memfd_create("bench-bpf", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        stamps st;
        sf_prog *prog = NULL;
        int r = run_sysfence(pr->file, t, fd, &st, &prog);
        if (r < 0)
                return r;
        pr->len[V_SYSFENCE] = prog->len;
        pr->insns[V_SYSFENCE] = malloc(prog->len * sizeof(struct sock_filter));
        if (!pr->insns[V_SYSFENCE]) {
                sf_prog_free(prog);
                return -ENOMEM;
        }
        memcpy(pr->insns[V_SYSFENCE], prog->insns, prog->len * sizeof(struct sock_filter));
        for (int v = V_SCMP; v < V__COUNT && r >= 0; v++) {
                r = rewind_out(fd);
                if (r >= 0)
                        r = run_libseccomp(pr->file, t, v == V_SCMP_OPT, fd, &st);
                if (r >= 0)
                        r = read_prog(fd, &pr->insns[v], &pr->len[v]);
        }
        for (int v = 0; v < V__COUNT && r >= 0; v++) {
                sf_error *err = NULL;
                if (sf_bpf_validate(pr->insns[v], pr->len[v], &err) < 0) {
                        fprintf(stderr, "bench-compile: %s: %s's program: %s\n", pr->base, variant_names[v],
                                sf_error_message(err));
                        sf_error_free(err);
                        r = -EINVAL;
                        break;
                }
                prog_measure(pr->insns[v], pr->len[v], prog, &pr->stats[v]);
        }
        sf_prog_free(prog);
        return r;
}

static void bench_callgrind(profile_result *pr, const char *sysfence_cli)
{
        char dir[] = "/tmp/bench-compile.XXXXXX";
        if (!mkdtemp(dir))
                return;
        char out[64], self[4096];
        snprintf(out, sizeof(out), "%s/out.bpf", dir);
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = 0;
                static const char *const names[V__COUNT] = { "sysfence", "libseccomp", "libseccomp-opt" };
                for (int v = 0; v < V__COUNT; v++) {
                        char *argv[] = { self, (char *)"--once", (char *)names[v], (char *)pr->file, out, NULL };
                        pr->have_ir[v] = callgrind_ir(dir, argv, &pr->ir[v]) == 0;
                }
        }
        if (sysfence_cli && access(sysfence_cli, X_OK) == 0) {
                char *argv[] = { (char *)sysfence_cli, (char *)"compile", (char *)pr->file, (char *)"--arch",
                                 (char *)"amd64,x86,x32", (char *)"-q", (char *)"-o", out, NULL };
                pr->have_ir[V__COUNT] = callgrind_ir(dir, argv, &pr->ir[V__COUNT]) == 0;
        }
        char p[128];
        snprintf(p, sizeof(p), "%s/callgrind.out", dir);
        unlink(p);
        unlink(out);
        rmdir(dir);
}

/* The configurations every profile is compared with. */
enum { BASE_NONE, BASE_ALLOW, BASE__COUNT };
static const char *const base_names[BASE__COUNT] = { "no filter", "RET ALLOW only" };

/* All configurations in turn, rounds times; each value is the median of the rounds.
 * The one-instruction filter shows what any filter costs before it runs: the
 * syscall entry takes the slow path once a task has a filter. */
static int bench_kernel(profile_result *prs, size_t n_prs, int cpu, long calls, size_t rounds,
                        call_cost ret_base[BASE__COUNT])
{
        static const struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        size_t n_cfg = BASE__COUNT + n_prs * V__COUNT;
        _cleanup_free_ call_cost *samples = calloc(n_cfg * rounds, sizeof(call_cost));
        _cleanup_free_ double *v = calloc(rounds, sizeof(double));
        if (!samples || !v)
                return -ENOMEM;
        for (size_t round = 0; round < rounds; round++)
                for (size_t c = 0; c < n_cfg; c++) {
                        const struct sock_filter *insns = NULL;
                        size_t len = 0;
                        if (c == BASE_ALLOW) {
                                insns = allow;
                                len = ARRAY_SIZE(allow);
                        } else if (c >= BASE__COUNT) {
                                const profile_result *pr = &prs[(c - BASE__COUNT) / V__COUNT];
                                insns = pr->insns[(c - BASE__COUNT) % V__COUNT];
                                len = pr->len[(c - BASE__COUNT) % V__COUNT];
                        }
                        int r = kernel_measure(insns, len, cpu, calls, &samples[c * rounds + round]);
                        if (r < 0) {
                                fprintf(stderr, "bench-compile: kernel measurement %zu: %s\n", c, strerror(-r));
                                return r;
                        }
                }
        for (size_t c = 0; c < n_cfg; c++) {
                call_cost m;
                for (int k = 0; k < CALL__COUNT; k++) {
                        for (size_t round = 0; round < rounds; round++)
                                v[round] = samples[c * rounds + round].wall[k];
                        m.wall[k] = median_double(v, rounds);
                        for (size_t round = 0; round < rounds; round++)
                                v[round] = samples[c * rounds + round].cpu[k];
                        m.cpu[k] = median_double(v, rounds);
                }
                if (c < BASE__COUNT)
                        ret_base[c] = m;
                else
                        prs[(c - BASE__COUNT) / V__COUNT].kernel[(c - BASE__COUNT) % V__COUNT] = m;
        }
        return 0;
}

static void print_results(const profile_result *prs, size_t n_prs, size_t reps, bool kernel, int cpu, long calls,
                          size_t rounds, const call_cost base[BASE__COUNT], bool callgrind)
{
        for (size_t i = 0; i < n_prs; i++) {
                const profile_result *pr = &prs[i];
                const compile_time *sf = &pr->time[V_SYSFENCE];
                printf("\n== %s (x86_64+x86+x32, default capabilities)\n\n", pr->base);
                printf("compile, file read -> BPF written: ms, median of %zu; ratio = this / sysfence\n", reps);
                printf("  %-18s %8s %8s %8s %8s %11s %10s\n", "", "wall", "parse", "rest", "cpu", "wall ratio",
                       "cpu ratio");
                for (int v = 0; v < V__COUNT; v++) {
                        const compile_time *ct = &pr->time[v];
                        printf("  %-18s %8.3f %8.3f %8.3f %8.3f %10.1fx %9.1fx\n", variant_names[v], ct->wall / 1e6,
                               ct->parse_wall / 1e6, ct->rest_wall / 1e6, ct->cpu / 1e6,
                               (double)ct->wall / (double)sf->wall, (double)ct->cpu / (double)sf->cpu);
                }
                bool any_ir = false;
                for (int v = 0; v <= V__COUNT; v++)
                        any_ir |= pr->have_ir[v];
                if (callgrind && !any_ir)
                        printf("\nwhole process under callgrind: not measured (valgrind missing or failed)\n");
                if (any_ir) {
                        printf("\nwhole process under callgrind: instructions (Ir); ratio = this / the CLI\n");
                        if (pr->have_ir[V__COUNT])
                                printf("  %-36s %11ju\n", "sysfence compile (the CLI)", (uintmax_t)pr->ir[V__COUNT]);
                        static const char *const once_names[V__COUNT] = {
                                "bench-compile --once sysfence",
                                "bench-compile --once libseccomp",
                                "bench-compile --once libseccomp-opt",
                        };
                        for (int v = 0; v < V__COUNT; v++)
                                if (pr->have_ir[v] && pr->have_ir[V__COUNT])
                                        printf("  %-36s %11ju %6.1fx\n", once_names[v], (uintmax_t)pr->ir[v],
                                               (double)pr->ir[v] / (double)pr->ir[V__COUNT]);
                                else if (pr->have_ir[v])
                                        printf("  %-36s %11ju\n", once_names[v], (uintmax_t)pr->ir[v]);
                }
                printf("\nprogram: insns; steps (avg/max) = instructions executed for x86_64 numbers, args 0:\n"
                       "the %zu the table knows, and 0..%d with the gaps; for the two calls timed below;\n"
                       "argument-free ALLOWs (all 3 arches) the kernel can cache\n",
                       pr->stats[V_SYSFENCE].n_numbers, sf_syscall_max(SF_ARCH_X86_64));
                char all_head[32];
                snprintf(all_head, sizeof(all_head), "0..%d", sf_syscall_max(SF_ARCH_X86_64));
                printf("  %-18s %6s %9s %12s %9s %9s %11s\n", "", "insns", "known", all_head, "getppid",
                       "personal.", "cacheable");
                for (int v = 0; v < V__COUNT; v++) {
                        const prog_stats *st = &pr->stats[v];
                        char known[32], all[32], cache[32];
                        snprintf(known, sizeof(known), "%.1f/%zu", st->avg_steps, st->max_steps);
                        snprintf(all, sizeof(all), "%.1f/%zu", st->avg_steps_all, st->max_steps_all);
                        snprintf(cache, sizeof(cache), "%zu/%zu", st->cacheable, st->free_allows);
                        printf("  %-18s %6zu %9s %12s %9zu %9zu %11s\n", variant_names[v], st->len, known, all,
                               st->steps_getppid, st->steps_personality, cache);
                }
                if (!kernel)
                        continue;
                printf("\nin-kernel cost: ns per call, median of %zu runs of %ld calls on CPU %d; ratio = cpu / no filter's\n",
                       rounds, calls, cpu);
                printf("  %-18s %24s   %24s\n", "", "getppid", "personality(0xffffffff)");
                printf("  %-18s %8s %8s %6s   %8s %8s %6s\n", "", "cpu", "wall", "ratio", "cpu", "wall", "ratio");
                for (int v = -BASE__COUNT; v < V__COUNT; v++) {
                        const call_cost *c = v < 0 ? &base[v + BASE__COUNT] : &pr->kernel[v];
                        const call_cost *none = &base[BASE_NONE];
                        printf("  %-18s", v < 0 ? base_names[v + BASE__COUNT] : variant_names[v]);
                        for (int k = 0; k < CALL__COUNT; k++)
                                printf(" %8.1f %8.1f %5.2fx%s", c->cpu[k], c->wall[k], c->cpu[k] / none->cpu[k],
                                       k + 1 < CALL__COUNT ? "  " : "\n");
                }
        }
}

/* The 1, 5 and 15 minute load averages. */
static const char *load_now(char *buf, size_t size)
{
        snprintf(buf, size, "?");
        FILE *f = fopen("/proc/loadavg", "re");
        if (!f)
                return buf;
        double l[3];
        if (fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) == 3)
                snprintf(buf, size, "%.2f %.2f %.2f", l[0], l[1], l[2]);
        fclose(f);
        return buf;
}

static int parse_size_arg(const char *opt, const char *s, uint64_t min, uint64_t *ret)
{
        if (sf_parse_u64(s, 10, ret) < 0 || *ret < min) {
                fprintf(stderr, "bench-compile: %s: bad number \"%s\"\n", opt, s);
                return -EINVAL;
        }
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 5 && strcmp(argv[1], "--once") == 0)
                return once(argv[2], argv[3], argv[4]);

        uint64_t reps = 200, calls = 2000000, rounds = 5, cpu = (uint64_t)pick_cpu();
        const char *sysfence_cli = "build/sysfence";
        bool kernel = true, callgrind = true;
        int i;
        for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
                const char *o = argv[i];
                int r = 0;
                if (strcmp(o, "--no-kernel") == 0)
                        kernel = false;
                else if (strcmp(o, "--no-callgrind") == 0)
                        callgrind = false;
                else if (i + 1 >= argc)
                        r = -EINVAL;
                else if (strcmp(o, "--reps") == 0)
                        r = parse_size_arg(o, argv[++i], 1, &reps);
                else if (strcmp(o, "--calls") == 0)
                        r = parse_size_arg(o, argv[++i], 1, &calls);
                else if (strcmp(o, "--rounds") == 0)
                        r = parse_size_arg(o, argv[++i], 1, &rounds);
                else if (strcmp(o, "--cpu") == 0)
                        r = parse_size_arg(o, argv[++i], 0, &cpu);
                else if (strcmp(o, "--sysfence") == 0)
                        sysfence_cli = argv[++i];
                else
                        r = -EINVAL;
                if (r < 0 || cpu >= CPU_SETSIZE || reps > 100000 || rounds > 1000 || calls > 1000000000) {
                        fprintf(stderr, "usage: bench-compile [--reps N] [--calls N] [--rounds N] [--cpu N]\n"
                                        "                     [--sysfence PATH] [--no-kernel] [--no-callgrind] PROFILE...\n"
                                        "       bench-compile --once sysfence|libseccomp|libseccomp-opt PROFILE OUT\n");
                        return 2;
                }
        }
        if (i >= argc) {
                fprintf(stderr, "bench-compile: no profile given\n");
                return 2;
        }
        size_t n_prs = (size_t)(argc - i);
        profile_result *prs = calloc(n_prs, sizeof(*prs));
        if (!prs)
                return 1;
        sf_target t;
        sf_target_default(&t);
        char load_start[64], load_end[64];
        load_now(load_start, sizeof(load_start));

        int status = 0;
        for (size_t k = 0; k < n_prs && status == 0; k++) {
                profile_result *pr = &prs[k];
                pr->file = argv[i + (int)k];
                const char *slash = strrchr(pr->file, '/');
                pr->base = slash ? slash + 1 : pr->file;
                fprintf(stderr, "bench-compile: %s: programs\n", pr->base);
                if (bench_programs(pr, &t) < 0) {
                        status = 1;
                        break;
                }
                fprintf(stderr, "bench-compile: %s: compile time, %ju repetitions\n", pr->base, (uintmax_t)reps);
                if (bench_compile_time(pr, &t, reps) < 0)
                        status = 1;
                if (status == 0 && callgrind) {
                        fprintf(stderr, "bench-compile: %s: callgrind\n", pr->base);
                        bench_callgrind(pr, sysfence_cli);
                }
        }
        call_cost base[BASE__COUNT] = { 0 };
        if (status == 0 && kernel) {
                fprintf(stderr, "bench-compile: in-kernel cost, %ju rounds of %zu configurations\n", (uintmax_t)rounds,
                        BASE__COUNT + n_prs * V__COUNT);
                if (bench_kernel(prs, n_prs, (int)cpu, (long)calls, rounds, base) < 0)
                        status = 1;
        }
        if (status == 0) {
                struct utsname u;
                if (uname(&u) < 0)
                        snprintf(u.release, sizeof(u.release), "?");
                printf("sysfence bench-compile: kernel %s, %ld CPUs online, libseccomp %u.%u.%u\n", u.release,
                       sysconf(_SC_NPROCESSORS_ONLN), seccomp_version()->major, seccomp_version()->minor,
                       seccomp_version()->micro);
                /* other work on the machine skews time, not instruction counts: say how busy it was */
                printf("load average at start: %s, at end: %s\n", load_start, load_now(load_end, sizeof(load_end)));
                print_results(prs, n_prs, (size_t)reps, kernel, (int)cpu, (long)calls, (size_t)rounds, base,
                              callgrind);
        }
        for (size_t k = 0; k < n_prs; k++)
                for (int v = 0; v < V__COUNT; v++)
                        free(prs[k].insns[v]);
        free(prs);
        return status;
}
