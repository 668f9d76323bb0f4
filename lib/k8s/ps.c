/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* k8s ps: the filter each container really runs under.  The kernel keeps no
 * profile name, only programs: /proc/PID/status says how many filters a
 * process has, and PTRACE_SECCOMP_GET_FILTER hands each program over (to a
 * tracer with CAP_SYS_ADMIN, of a stopped tracee: the init is seized, which
 * does not stop it, interrupted, read, and detached; a sleeping call restarts
 * and no signal reaches the process).  The program runc loaded was made by
 * libseccomp from the OCI struct containerd wrote, so it is never the bytes
 * sysfence compiles from the same profile: a program is named by decisions,
 * run in the BPF emulator (lib/bpf/emu.c) against the profiles installed
 * under <kubelet-root>/seccomp/ and containerd's default compiled for this
 * node, for every syscall number of the node's arches and the argument
 * values either program compares with. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "k8s-internal.h"
#include "sysfence/profile.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

#define MAX_PROFILES 1024
#define MAX_DEPTH 4
#define MAX_PAIRS 256
#define NR_MARGIN 64

/* --- the filters of a process ------------------------------------------------ */

static void status_field(const char *buf, const char *key, long *ret)
{
        const char *p = strstr(buf, key);
        if (!p || (p != buf && p[-1] != '\n'))
                return;
        p += strlen(key);
        while (*p == ' ' || *p == '\t')
                p++;
        char *end;
        long v = strtol(p, &end, 10);
        if (end != p)
                *ret = v;
}

SF_EXPORT void sf_k8s_filters_release(sf_k8s_filters *f)
{
        for (size_t i = 0; i < f->n; i++)
                free(f->progs[i]);
        free(f->progs);
        free(f->lens);
        *f = (sf_k8s_filters){ .mode = -1 };
}

/* The first half: the counts from /proc/PID/status and, where there are
 * filters, the process seized and interrupted (*seized).  Seized, it runs on;
 * interrupted, it stops in a state only the tracer sees (PTRACE_EVENT_STOP),
 * and detaching resumes it.  Many processes are interrupted first and read
 * after, so that their stops overlap instead of adding up. */
static int filters_begin(pid_t pid, sf_k8s_filters *f, bool *seized, sf_error **err)
{
        *f = (sf_k8s_filters){ .mode = -1 };
        *seized = false;
        char path[64], buf[8192];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return sf_error_set_errno(err, errno, "%s", path);
        ssize_t k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k <= 0)
                return sf_error_set(err, EIO, "%s: cannot read", path);
        buf[k] = 0;
        long mode = -1, count = 0;
        status_field(buf, "Seccomp:", &mode);
        status_field(buf, "Seccomp_filters:", &count);
        f->mode = (int)mode;
        f->count = count > 0 && count < 1024 ? (unsigned)count : 0;
        if (f->mode != 2 || f->count == 0)
                return 0;
        f->progs = calloc(f->count, sizeof(*f->progs));
        f->lens = calloc(f->count, sizeof(*f->lens));
        if (!f->progs || !f->lens) {
                sf_k8s_filters_release(f);
                return sf_error_set(err, ENOMEM, "out of memory");
        }
        if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0) {
                int e = errno;
                sf_k8s_filters_release(f);
                return sf_error_set(err, e, "pid %d: cannot seize: %s", (int)pid, strerror(e));
        }
        *seized = true;
        if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0) {
                int e = errno;
                ptrace(PTRACE_DETACH, pid, 0, 0);
                *seized = false;
                sf_k8s_filters_release(f);
                return sf_error_set(err, e, "pid %d: cannot stop: %s", (int)pid, strerror(e));
        }
        return 0;
}

/* The second half: waits for the stop, reads every program, detaches. */
static int filters_end(pid_t pid, sf_k8s_filters *f, sf_error **err)
{
        int r = 0, st;
        if (waitpid(pid, &st, __WALL) != pid) {
                r = sf_error_set(err, errno, "pid %d: cannot stop: %s", (int)pid, strerror(errno));
                goto detach;
        }
        for (unsigned i = 0; i < f->count; i++) {
                long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)(uintptr_t)i, NULL);
                if (n <= 0 || n > 4096) {
                        r = sf_error_set(err, n < 0 ? errno : EINVAL, "pid %d: filter %u: %s", (int)pid, i,
                                         n < 0 ? strerror(errno) : "bad length");
                        break;
                }
                struct sock_filter *p = calloc((size_t)n, sizeof(*p));
                if (!p) {
                        r = sf_error_set(err, ENOMEM, "out of memory");
                        break;
                }
                if (ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)(uintptr_t)i, p) != n) {
                        free(p);
                        r = sf_error_set(err, errno, "pid %d: filter %u: %s", (int)pid, i, strerror(errno));
                        break;
                }
                f->progs[f->n] = p;
                f->lens[f->n++] = (size_t)n;
        }
detach:
        /* detaching from a stopped tracee resumes it without a signal */
        ptrace(PTRACE_DETACH, pid, 0, 0);
        if (r < 0)
                sf_k8s_filters_release(f);
        return r;
}

SF_EXPORT int sf_k8s_filters_read(pid_t pid, sf_k8s_filters *ret, sf_error **err)
{
        sf_k8s_filters f;
        bool seized;
        int r = filters_begin(pid, &f, &seized, err);
        if (r == 0 && seized)
                r = filters_end(pid, &f, err);
        if (r == 0)
                *ret = f;
        return r;
}

/* --- decision equality ---------------------------------------------------------- */

typedef struct pair {
        uint32_t off, k;
} pair;

/* The (word, constant) pairs a program compares argument words with: the
 * boundary values worth probing. */
static size_t pairs_of(const struct sock_filter *p, size_t n, pair *v, size_t nv, size_t max)
{
        uint32_t off = 0;
        for (size_t i = 0; i < n; i++) {
                uint16_t c = p[i].code;
                if (c == (BPF_LD | BPF_W | BPF_ABS)) {
                        off = p[i].k;
                } else if (BPF_CLASS(c) == BPF_JMP && BPF_OP(c) != BPF_JA && BPF_SRC(c) == BPF_K && off >= 16) {
                        bool dup = false;
                        for (size_t j = 0; j < nv && !dup; j++)
                                dup = v[j].off == off && v[j].k == p[i].k;
                        if (!dup && nv < max)
                                v[nv++] = (pair){ off, p[i].k };
                }
        }
        return nv;
}

static void set_word(struct seccomp_data *d, uint32_t off, uint32_t v)
{
        if (off + 4 <= sizeof(*d))
                memcpy((char *)d + off, &v, 4);
}

#define RET_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)

typedef struct cmp {
        const struct sock_filter *a, *b;
        size_t na, nb;
        uint32_t b_default;
        int stub; /* a's ENOSYS stub starts here on the arch being probed (INT_MAX: none) */
} cmp;

/* Whether a and b decide alike on d.  runc puts a stub before the filter that
 * libseccomp made: numbers above the highest its libseccomp knows, and -1,
 * return ENOSYS (so that a newer libc falls back); where b leaves such a
 * number to its default, that is the same profile. */
static bool same_ret(const cmp *c, int nr, uint32_t x, uint32_t y)
{
        return x == y || (x == RET_ENOSYS && y == c->b_default && (nr == -1 || nr >= c->stub));
}

static bool same_at(const cmp *c, const struct seccomp_data *d)
{
        return same_ret(c, d->nr, sf_bpf_run(c->a, c->na, d, NULL, NULL), sf_bpf_run(c->b, c->nb, d, NULL, NULL));
}

/* The pairs a program can compare on (arch, nr): every path from the start,
 * with nr and arch known and the arguments not, the branches on an argument
 * word both taken.  Programs jump only forward, so a path ends; a walk that
 * grows too long, or meets an instruction beyond loads of seccomp_data, ANDs,
 * K jumps and RET K, gives up (false): then every pair of the program counts. */
static bool pairs_on(const struct sock_filter *p, size_t n, uint32_t audit, int nr, pair *v, size_t *nv,
                     size_t max)
{
        struct st {
                size_t pc;
                bool known;
                uint32_t a, off;
        } stack[64];
        size_t sp = 0, steps = 0;
        stack[sp++] = (struct st){ 0 };
        while (sp) {
                struct st s = stack[--sp];
                while (s.pc < n) {
                        const struct sock_filter *f = &p[s.pc];
                        if (++steps > 8 * n + 64)
                                return false;
                        uint16_t c = f->code;
                        if (c == (BPF_LD | BPF_W | BPF_ABS)) {
                                s.known = f->k == 0 || f->k == 4;
                                s.a = f->k == 0 ? (uint32_t)nr : audit;
                                s.off = f->k;
                                s.pc++;
                                continue;
                        }
                        if (c == (BPF_ALU | BPF_AND | BPF_K)) {
                                s.a &= f->k;
                                s.pc++;
                                continue;
                        }
                        if (c == (BPF_RET | BPF_K))
                                break;
                        if (c == (BPF_JMP | BPF_JA)) {
                                s.pc += 1 + f->k;
                                continue;
                        }
                        bool taken;
                        switch (c) {
                        case BPF_JMP | BPF_JEQ | BPF_K: taken = s.a == f->k; break;
                        case BPF_JMP | BPF_JGT | BPF_K: taken = s.a > f->k; break;
                        case BPF_JMP | BPF_JGE | BPF_K: taken = s.a >= f->k; break;
                        case BPF_JMP | BPF_JSET | BPF_K: taken = (s.a & f->k) != 0; break;
                        default: return false;
                        }
                        if (s.known) {
                                s.pc += 1 + (taken ? f->jt : f->jf);
                                continue;
                        }
                        bool dup = false;
                        for (size_t j = 0; j < *nv && !dup; j++)
                                dup = v[j].off == s.off && v[j].k == f->k;
                        if (!dup) {
                                if (*nv == max)
                                        return false;
                                v[(*nv)++] = (pair){ s.off, f->k };
                        }
                        if (sp == ARRAY_SIZE(stack))
                                return false;
                        stack[sp++] = (struct st){ s.pc + 1 + f->jt, false, 0, s.off };
                        s.pc += 1 + f->jf;
                }
        }
        return true;
}

SF_EXPORT bool sf_k8s_prog_equal(const struct sock_filter *a, size_t na, const struct sock_filter *b, size_t nb,
                                 uint32_t b_default, const sf_arch *arches, size_t n_arches)
{
        if (na == nb && memcmp(a, b, na * sizeof(*a)) == 0)
                return true;
        pair pairs[MAX_PAIRS];
        size_t np = pairs_of(a, na, pairs, 0, MAX_PAIRS);
        np = pairs_of(b, nb, pairs, np, MAX_PAIRS);
        cmp c = { .a = a, .b = b, .na = na, .nb = nb, .b_default = b_default, .stub = INT_MAX };
        /* a foreign arch: the bad-arch action of both */
        struct seccomp_data d = { .nr = 0, .arch = AUDIT_ARCH_AARCH64 };
        if (sf_arch_native() != SF_ARCH_AARCH64 && !same_at(&c, &d))
                return false;
        for (size_t ai = 0; ai < n_arches; ai++) {
                uint32_t audit = sf_arch_audit(arches[ai]);
                int lo = arches[ai] == SF_ARCH_X32 ? 0x40000000 : 0;
                int hi = sf_syscall_max(arches[ai]) + NR_MARGIN;
                c.stub = hi + 1;
                for (;;) {
                        uint32_t x;
                        if (c.stub <= lo || !sf_bpf_const_ret(a, na, audit, c.stub - 1, &x) || x != RET_ENOSYS)
                                break;
                        c.stub--;
                }
                /* the tracer's skip (-1) and the numbers each arch knows, with a margin */
                for (int nr = lo ? lo : -1; nr <= hi; nr++) {
                        /* most numbers are decided before any argument is read: no probes */
                        uint32_t x, y;
                        bool cx = sf_bpf_const_ret(a, na, audit, nr, &x), cy = sf_bpf_const_ret(b, nb, audit, nr, &y);
                        if (cx && cy) {
                                if (!same_ret(&c, nr, x, y))
                                        return false;
                                continue;
                        }
                        d = (struct seccomp_data){ .nr = nr, .arch = audit };
                        if (!same_at(&c, &d))
                                return false;
                        /* the boundaries this number's paths test, else every one */
                        pair local[MAX_PAIRS];
                        size_t nl = 0;
                        const pair *pv = local;
                        if (!pairs_on(a, na, audit, nr, local, &nl, MAX_PAIRS) ||
                            !pairs_on(b, nb, audit, nr, local, &nl, MAX_PAIRS)) {
                                pv = pairs;
                                nl = np;
                        }
                        for (size_t i = 0; i < nl; i++) {
                                uint32_t k = pv[i].k;
                                uint32_t vals[3] = { k, k + 1, k - 1 };
                                for (int j = 0; j < 3; j++) {
                                        d = (struct seccomp_data){ .nr = nr, .arch = audit };
                                        set_word(&d, pv[i].off, vals[j]);
                                        if (!same_at(&c, &d))
                                                return false;
                                }
                        }
                }
        }
        return true;
}

/* --- the profiles to match against ---------------------------------------------- */

typedef struct known {
        char *name;
        sf_prog *prog;
} known;

typedef struct matcher {
        known *v;
        size_t n;
        sf_arch arches[SF_ARCH__COUNT];
        size_t n_arches;
        /* programs already named: a node runs many containers under one profile */
        struct seen {
                struct sock_filter *insns;
                size_t len;
                const char *name; /* NULL: none matched */
        } *seen;
        size_t n_seen;
        struct spec_seen {
                uint64_t hash;
                char *name;
        } *spec_seen;
        size_t n_spec_seen;
} matcher;

/* An installed profile means what containerd reads in it (DESIGN: the plain
 * OCI struct): archMap, includes and excludes are dropped and every rule
 * applies.  The runtime's default, containerd's own Go logic, is evaluated
 * for the node instead. */
static void as_containerd_reads(sf_profile *p)
{
        p->n_arch_map = 0;
        for (size_t i = 0; i < p->n_rules; i++) {
                p->rules[i].includes = (sf_filter_cond){ 0 };
                p->rules[i].excludes = (sf_filter_cond){ 0 };
        }
}

static int compile_text(const char *data, size_t len, const char *name, bool plain, sf_prog **ret)
{
        sf_profile **ps = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        sf_diags d = { 0 };
        int r = sf_profile_load_data(data, len, name, NULL, &ps, &n, &d, &err);
        if (r == 0 && n == 1 && plain)
                as_containerd_reads(ps[0]);
        if (r == 0 && n == 1) {
                sf_compile_opts co = { 0 };
                sf_target_default(&co.target);
                r = sf_compile(ps[0], &co, ret, &d, &err);
        } else if (r == 0) {
                r = -EINVAL;
        }
        sf_error_free(err);
        sf_diags_release(&d);
        sf_profiles_free(ps, n);
        return r;
}

static int add_known(matcher *m, const char *name, const char *data, size_t len, bool plain, sf_diags *notes)
{
        sf_prog *prog = NULL;
        if (compile_text(data, len, name, plain, &prog) < 0) {
                sf_diags_add(notes, SF_SEV_WARNING, "not-a-profile", name, "", 0, 0, NULL,
                             "not a profile sysfence compiles: not compared");
                return 0;
        }
        known *nv = m->n < MAX_PROFILES ? realloc(m->v, (m->n + 1) * sizeof(*nv)) : NULL;
        char *nm = strdup(name);
        if (!nv || !nm) {
                free(nm);
                sf_prog_free(prog);
                if (nv)
                        m->v = nv;
                return m->n < MAX_PROFILES ? -ENOMEM : 0;
        }
        m->v = nv;
        m->v[m->n++] = (known){ .name = nm, .prog = prog };
        return 0;
}

/* Every regular file below dirfd (rel: its path under seccomp/), no symlinks,
 * no dot-names, a few levels deep. */
static int scan(matcher *m, int dirfd, const char *rel, unsigned depth, sf_diags *notes)
{
        int fd = dup(dirfd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        int r = 0;
        struct dirent *de;
        while (r >= 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                sf_buf path = { 0 };
                /* the name as shown: a byte outside [-._a-zA-Z0-9] as \xHH */
                sf_buf_printf(&path, "%s%s", rel, *rel ? "/" : "");
                k8s_name_escape(&path, de->d_name);
                if (path.oom) {
                        r = -ENOMEM;
                        break;
                }
                struct stat st;
                if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        sf_buf_release(&path);
                        continue;
                }
                if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
                        int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        if (sub >= 0) {
                                r = scan(m, sub, path.s, depth + 1, notes);
                                close(sub);
                        }
                } else if (S_ISREG(st.st_mode) && (size_t)st.st_size <= SF_PROFILE_MAX_FILE) {
                        int ffd = openat(dirfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
                        if (ffd >= 0) {
                                char *data = malloc((size_t)st.st_size + 1);
                                ssize_t k = data ? read(ffd, data, (size_t)st.st_size) : -1;
                                if (k >= 0) {
                                        data[k] = 0;
                                        r = add_known(m, path.s, data, (size_t)k, true, notes);
                                }
                                free(data);
                                close(ffd);
                        }
                }
                sf_buf_release(&path);
        }
        closedir(d);
        return r;
}

static void matcher_release(matcher *m)
{
        for (size_t i = 0; i < m->n; i++) {
                free(m->v[i].name);
                sf_prog_free(m->v[i].prog);
        }
        free(m->v);
        for (size_t i = 0; i < m->n_seen; i++)
                free(m->seen[i].insns);
        free(m->seen);
        for (size_t i = 0; i < m->n_spec_seen; i++)
                free(m->spec_seen[i].name);
        free(m->spec_seen);
}

static const char *match_prog(matcher *m, const struct sock_filter *p, size_t len, int *ret_r)
{
        *ret_r = 0;
        for (size_t i = 0; i < m->n_seen; i++)
                if (m->seen[i].len == len && memcmp(m->seen[i].insns, p, len * sizeof(*p)) == 0)
                        return m->seen[i].name;
        const char *name = NULL;
        for (size_t i = 0; i < m->n && !name; i++)
                if (sf_k8s_prog_equal(p, len, m->v[i].prog->insns, m->v[i].prog->len,
                                       sf_action_ret(m->v[i].prog->default_action), m->arches, m->n_arches))
                        name = m->v[i].name;
        struct seen *nv = realloc(m->seen, (m->n_seen + 1) * sizeof(*nv));
        struct sock_filter *copy = malloc(len * sizeof(*p));
        if (!nv || !copy) {
                free(copy);
                if (nv)
                        m->seen = nv;
                *ret_r = -ENOMEM;
                return NULL;
        }
        memcpy(copy, p, len * sizeof(*p));
        m->seen = nv;
        m->seen[m->n_seen++] = (struct seen){ .insns = copy, .len = len, .name = name };
        return name;
}

/* What the container's config.json asks for, named like a loaded filter. */
static char *match_spec(matcher *m, const sf_k8s_container *c, int *ret_r)
{
        *ret_r = 0;
        if (!c->seccomp)
                return strdup("unconfined");
        for (size_t i = 0; i < m->n_spec_seen; i++)
                if (m->spec_seen[i].hash == c->seccomp_hash)
                        return strdup(m->spec_seen[i].name);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        sf_error *err = NULL;
        sf_prog *prog = NULL;
        const char *name = "invalid profile";
        if (sf_read_file(c->config, SF_PROFILE_MAX_FILE, &data, &len, &err) == 0 &&
            compile_text(data, len, c->config, true, &prog) == 0) {
                int r;
                name = match_prog(m, prog->insns, prog->len, &r);
                if (r < 0) {
                        sf_prog_free(prog);
                        *ret_r = r;
                        return NULL;
                }
                if (!name)
                        name = "unknown profile";
        }
        sf_error_free(err);
        sf_prog_free(prog);
        char *s = strdup(name);
        struct spec_seen *nv = realloc(m->spec_seen, (m->n_spec_seen + 1) * sizeof(*nv));
        char *copy = strdup(name);
        if (!s || !nv || !copy) {
                free(copy);
                free(s);
                if (nv)
                        m->spec_seen = nv;
                *ret_r = -ENOMEM;
                return NULL;
        }
        m->spec_seen = nv;
        m->spec_seen[m->n_spec_seen++] = (struct spec_seen){ .hash = c->seccomp_hash, .name = copy };
        return s;
}

/* --- ps --------------------------------------------------------------------------- */

SF_EXPORT void sf_k8s_ps_release(sf_k8s_ps *ps)
{
        for (size_t i = 0; i < ps->n; i++) {
                free(ps->v[i].spec);
                free(ps->v[i].match);
                free(ps->v[i].why);
        }
        free(ps->v);
        sf_k8s_inventory_release(&ps->inv);
        sf_diags_release(&ps->notes);
        *ps = (sf_k8s_ps){ 0 };
}

/* A container's filters as read (fr < 0: the read failed, err says why). */
typedef struct reading {
        sf_k8s_filters f;
        bool seized;
        int r;
        sf_error *err;
} reading;

static int row_fill(matcher *m, const sf_k8s_container *c, sf_k8s_ps_row *row, reading *rd)
{
        int r;
        row->c = c;
        if (!(row->spec = match_spec(m, c, &r)))
                return r < 0 ? r : -ENOMEM;
        if (c->pid == 0) {
                row->loaded = SF_K8S_LOADED_STOPPED;
                return 0;
        }
        if (rd->r < 0) {
                row->loaded = SF_K8S_LOADED_UNREADABLE;
                row->why = strdup(sf_error_message(rd->err));
                return row->why ? 0 : -ENOMEM;
        }
        sf_k8s_filters f = rd->f;
        row->n_filters = f.count;
        if (f.mode == 0) {
                row->loaded = SF_K8S_LOADED_NONE;
        } else if (f.mode == 1) {
                row->loaded = SF_K8S_LOADED_STRICT;
        } else if (f.n != 1) {
                /* stacked filters all run: no single profile names them */
                row->loaded = SF_K8S_LOADED_UNKNOWN;
                for (size_t i = 0; i < f.n; i++)
                        row->insns += f.lens[i];
        } else if (sf_bpf_validate(f.progs[0], f.lens[0], NULL) < 0) {
                row->loaded = SF_K8S_LOADED_UNKNOWN;
                row->insns = f.lens[0];
        } else {
                const char *name = match_prog(m, f.progs[0], f.lens[0], &r);
                if (r < 0)
                        return r;
                row->loaded = name ? SF_K8S_LOADED_MATCH : SF_K8S_LOADED_UNKNOWN;
                row->insns = f.lens[0];
                if (name && !(row->match = strdup(name)))
                        return -ENOMEM;
        }
        return 0;
}

static void readings_free(reading *rd, size_t n)
{
        for (size_t i = 0; rd && i < n; i++) {
                sf_k8s_filters_release(&rd[i].f);
                sf_error_free(rd[i].err);
        }
        free(rd);
}

SF_EXPORT int sf_k8s_ps_read(const sf_k8s_ps_opts *o, sf_k8s_ps *ret, sf_error **err)
{
        sf_k8s_ps ps = { 0 };
        matcher m = { 0 };
        reading *rd = NULL;
        int r = sf_k8s_inventory_read(&o->inv, &ps.inv, err);
        if (r < 0)
                return r;
        /* the filters first, every process interrupted before any is waited for */
        if (!(rd = calloc(ps.inv.n ? ps.inv.n : 1, sizeof(*rd))))
                goto oom;
        for (size_t i = 0; i < ps.inv.n; i++) {
                const sf_k8s_container *c = &ps.inv.v[i];
                bool listed = o->sandboxes || !c->type || strcmp(c->type, "sandbox") != 0;
                if (listed && c->pid)
                        rd[i].r = filters_begin(c->pid, &rd[i].f, &rd[i].seized, &rd[i].err);
        }
        for (size_t i = 0; i < ps.inv.n; i++)
                if (rd[i].seized)
                        rd[i].r = filters_end(ps.inv.v[i].pid, &rd[i].f, &rd[i].err);
        /* the node's arches: the native one and the compat ABIs it runs */
        m.arches[m.n_arches++] = sf_arch_native();
        if (sf_arch_native() == SF_ARCH_X86_64) {
                m.arches[m.n_arches++] = SF_ARCH_X86;
                m.arches[m.n_arches++] = SF_ARCH_X32;
        }
        size_t len = 0;
        const char *def = sf_builtin_profile(SF_BUILTIN_DEFAULT, &len);
        if (def && (r = add_known(&m, "RuntimeDefault", def, len, false, &ps.notes)) < 0)
                goto oom;
        if (o->kubelet_root) {
                sf_buf path = { 0 };
                sf_buf_printf(&path, "%s/seccomp", o->kubelet_root);
                int fd = path.oom ? -1 : open(path.s, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 && errno != ENOENT)
                        sf_diags_add(&ps.notes, SF_SEV_WARNING, "kubelet-root", path.s ? path.s : "", "", 0, 0, NULL,
                                     "cannot open: %s", strerror(errno));
                sf_buf_release(&path);
                if (fd >= 0) {
                        r = scan(&m, fd, "", 0, &ps.notes);
                        close(fd);
                        if (r < 0)
                                goto oom;
                }
        }
        ps.n_profiles = m.n;
        ps.v = calloc(ps.inv.n ? ps.inv.n : 1, sizeof(*ps.v));
        if (!ps.v)
                goto oom;
        for (size_t i = 0; i < ps.inv.n; i++) {
                const sf_k8s_container *c = &ps.inv.v[i];
                if (!o->sandboxes && c->type && strcmp(c->type, "sandbox") == 0)
                        continue;
                if ((r = row_fill(&m, c, &ps.v[ps.n++], &rd[i])) < 0)
                        goto oom;
        }
        k8s_diags_move(&ps.notes, &ps.inv.notes);
        readings_free(rd, ps.inv.n);
        matcher_release(&m);
        *ret = ps;
        return 0;
oom:
        readings_free(rd, ps.inv.n);
        matcher_release(&m);
        sf_k8s_ps_release(&ps);
        return sf_error_set(err, ENOMEM, "out of memory");
}
