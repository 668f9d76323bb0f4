/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Differential test: sysfence's program against libseccomp's for the same profile
 * (built the way runc builds it), both run in the emulator over every syscall
 * number of each target arch and boundary argument values.  Any decision that
 * differs is a failure.
 *
 * Usage: test-diff [--random N] [--overlap N] [--seed S] [PROFILE...]
 * --random: N random profiles; --overlap: N profiles made of conditional rules
 * of different actions whose conditions overlap (libseccomp decides those by
 * its rule tree; see lib/compile/tree.c).  SF_DIFF_TRACE=1 prints each random
 * profile (and a pseudo filter code line it cannot read) to stderr.
 * By hand (issue 14's acceptance): test-diff --random 0 --overlap 20000 --seed 0x5eed
 * The profiles are the arguments (meson passes the real ones from Debian's
 * packages, the tutorial's and tests/data/good/every-operator.json). */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile/compile-internal.h"
#include "profile/profile-internal.h"
#include "sysfence/bpf.h"
#include "scmp.h"
#include "tap.h"
#include "values.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

/* Big-endian targets: a 32-bit load at args[i] reads the high word first.  The
 * emulator runs on this (little-endian) machine, so present the data that way. */
static bool big_endian_data;

static bool valid_action(uint32_t k)
{
        switch (k & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_TRAP:
        case SECCOMP_RET_ERRNO:
        case SECCOMP_RET_TRACE:
                return true;
        case SECCOMP_RET_KILL_PROCESS:
        case SECCOMP_RET_KILL_THREAD:
        case SECCOMP_RET_USER_NOTIF:
        case SECCOMP_RET_LOG:
        case SECCOMP_RET_ALLOW:
                return (k & SECCOMP_RET_DATA) == 0; /* libseccomp never adds data to these */
        }
        return false;
}

/* libseccomp's program for a resolved profile, added rule by rule as runc does.
 * Returns 1 when libseccomp refuses the profile (runc would fail too). */
static char *scmp_pfc_text; /* set by scmp_build when scmp_want_pfc: the filter as seccomp_export_pfc() writes it */
static bool scmp_want_pfc;

static int scmp_build(const sf_profile *p, const sf_arch *arches, size_t n, bool optimize, struct sock_filter **ret,
                      size_t *ret_len)
{
        scmp_filter_ctx ctx = seccomp_init(scmp_action(p->default_action));
        if (!ctx)
                return 1; /* refused: ERRNO(4095), which sysfence check warns of */
        int r = 0;
        bool native = false;
        for (size_t i = 0; i < n; i++)
                native |= scmp_token(arches[i]) == seccomp_arch_native();
        if (!native)
                r = seccomp_arch_remove(ctx, seccomp_arch_native());
        for (size_t i = 0; i < n && r == 0; i++)
                if (scmp_token(arches[i]) != seccomp_arch_native()) {
                        r = seccomp_arch_add(ctx, scmp_token(arches[i]));
                        if (r == -EEXIST)
                                r = 0;
                }
        if (r < 0)
                fprintf(stderr, "# libseccomp: arches: %s\n", strerror(-r));
        if (optimize && r == 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        for (size_t i = 0; i < p->n_rules && r == 0; i++) {
                const sf_rule *rule = &p->rules[i];
                sf_action a = rule->action;
                if (a.kind == p->default_action.kind &&
                    ((a.kind != SF_ACT_ERRNO && a.kind != SF_ACT_TRACE) || a.data == p->default_action.data))
                        continue;
                bool repeat = false;
                for (size_t x = 0; x < rule->n_args; x++)
                        for (size_t y = 0; y < x; y++)
                                repeat |= rule->args[x].index == rule->args[y].index;
                struct scmp_arg_cmp conds[SF_PROFILE_MAX_ARGS];
                for (size_t x = 0; x < rule->n_args; x++)
                        conds[x] = (struct scmp_arg_cmp){ rule->args[x].index, scmp_ops[rule->args[x].op],
                                                          rule->args[x].value, rule->args[x].value_two };
                for (size_t j = 0; j < rule->n_names && r == 0; j++) {
                        int nr = seccomp_syscall_resolve_name(rule->names[j]);
                        if (nr == __NR_SCMP_ERROR)
                                continue;
                        if (repeat) {
                                for (size_t x = 0; x < rule->n_args && r == 0; x++)
                                        r = seccomp_rule_add_array(ctx, scmp_action(a), nr, 1, &conds[x]);
                        } else {
                                r = seccomp_rule_add_array(ctx, scmp_action(a), nr, (unsigned)rule->n_args, conds);
                        }
                }
        }
        if (r < 0) {
                seccomp_release(ctx);
                return 1;
        }
        if (scmp_want_pfc) {
                int pfd = memfd_create("pfc", MFD_CLOEXEC);
                if (pfd >= 0 && seccomp_export_pfc(ctx, pfd) == 0) {
                        off_t psize = lseek(pfd, 0, SEEK_END);
                        char *t = psize > 0 ? malloc((size_t)psize + 1) : NULL;
                        if (t && pread(pfd, t, (size_t)psize, 0) == psize) {
                                t[psize] = 0;
                                free(scmp_pfc_text);
                                scmp_pfc_text = t;
                        } else {
                                free(t);
                        }
                }
                if (pfd >= 0)
                        close(pfd);
        }
        int fd = memfd_create("bpf", MFD_CLOEXEC);
        r = seccomp_export_bpf(ctx, fd);
        seccomp_release(ctx);
        if (r < 0) {
                /* libseccomp could not generate it (seen: -EFAULT for a TRACE
                 * rule on semop with x32 among the arches): runc fails too */
                close(fd);
                return 1;
        }
        off_t size = lseek(fd, 0, SEEK_END);
        struct sock_filter *f = malloc((size_t)size);
        if (!f || pread(fd, f, (size_t)size, 0) != size) {
                free(f);
                close(fd);
                return -EIO;
        }
        close(fd);
        *ret = f;
        *ret_len = (size_t)size / sizeof(*f);
        /* libseccomp writes code and k in the target's byte order, except in the
         * RET copies it inserts for long jumps, which keep this machine's order
         * (a libseccomp quirk when generating for the other byte order). */
        if (big_endian_data)
                for (size_t i = 0; i < *ret_len; i++) {
                        f[i].code = __builtin_bswap16(f[i].code);
                        if (f[i].code == (BPF_RET | BPF_K) && valid_action(f[i].k) &&
                            !valid_action(__builtin_bswap32(f[i].k)))
                                continue;
                        f[i].k = __builtin_bswap32(f[i].k);
                }
        return 0;
}

typedef struct diffres {
        size_t runs, mismatches;
        size_t scmp_bug; /* mismatches on a path through libseccomp's mis-generated code */
        size_t scmp_bug_checked; /* ... where libseccomp's pseudo filter code agrees with sysfence */
        char first[256];
} diffres;

/* libseccomp 2.5.4 mis-generates some programs; two shapes seen here:
 *  - no load of the syscall number after an arch check (when the arch's first
 *    rule names a multiplexed syscall, such as semop through ipc on x86, or
 *    socketcall on aarch64, which has none): the arch's whole block compares
 *    the arch word with syscall numbers, and every call on that arch falls to
 *    the default action;
 *  - no reload of an argument where two rules' blocks join: an instruction that
 *    tests arg0 is reached with arg1 (masked) still in A on one path.
 * Such a program makes decisions its own rules do not (seccomp_export_pfc of
 * the same filter shows the intended ones).  scmp_suspects() marks every
 * instruction that reads A while A may hold different things depending on the
 * path (BPF jumps only forward, so one pass in order is a dataflow pass);
 * scmp_bug_on_path() runs the program on d and tells whether it went through a
 * marked instruction or compared the arch word with something that is not an
 * arch.  A mismatch on such a path is libseccomp's bug, counted apart. */
typedef struct acc_state {
        int32_t off;   /* seccomp_data offset A was loaded from; -1 unknown */
        uint32_t mask; /* ANDed into it since */
} acc_state;

#define ACC_MAX 4

typedef struct acc_set {
        acc_state v[ACC_MAX];
        uint8_t n;
        bool many;
} acc_set;

static void acc_add(acc_set *s, acc_state x)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->v[i].off == x.off && s->v[i].mask == x.mask)
                        return;
        if (s->n == ACC_MAX)
                s->many = true;
        else
                s->v[s->n++] = x;
}

static void acc_merge(acc_set *to, const acc_set *from)
{
        for (size_t i = 0; i < from->n; i++)
                acc_add(to, from->v[i]);
        to->many |= from->many;
}

static bool *scmp_suspects(const struct sock_filter *f, size_t len)
{
        acc_set *in = calloc(len + 1, sizeof(*in));
        bool *bad = calloc(len + 1, sizeof(*bad));
        if (!in || !bad) {
                free(in);
                free(bad);
                return NULL;
        }
        acc_add(&in[0], (acc_state){ -1, 0 });
        for (size_t pc = 0; pc < len; pc++) {
                const struct sock_filter *x = &f[pc];
                if (in[pc].n == 0)
                        continue; /* unreachable */
                bool reads = BPF_CLASS(x->code) == BPF_ALU ||
                             (BPF_CLASS(x->code) == BPF_JMP && BPF_OP(x->code) != BPF_JA);
                if (reads && (in[pc].n > 1 || in[pc].many))
                        bad[pc] = true;
                acc_set out = in[pc];
                if (x->code == (BPF_LD | BPF_W | BPF_ABS)) {
                        out = (acc_set){ .n = 1, .v = { { (int32_t)x->k, UINT32_MAX } } };
                } else if (x->code == (BPF_ALU | BPF_AND | BPF_K)) {
                        for (size_t i = 0; i < out.n; i++)
                                out.v[i].mask &= x->k;
                } else if (BPF_CLASS(x->code) == BPF_ALU || BPF_CLASS(x->code) == BPF_LD ||
                           BPF_CLASS(x->code) == BPF_MISC) {
                        out = (acc_set){ .n = 1, .v = { { -1, 0 } } };
                }
                if (BPF_CLASS(x->code) == BPF_RET)
                        continue;
                if (BPF_CLASS(x->code) == BPF_JMP) {
                        if (BPF_OP(x->code) == BPF_JA) {
                                if (pc + 1 + x->k < len)
                                        acc_merge(&in[pc + 1 + x->k], &out);
                        } else {
                                if (pc + 1 + x->jt < len)
                                        acc_merge(&in[pc + 1 + x->jt], &out);
                                if (pc + 1 + x->jf < len)
                                        acc_merge(&in[pc + 1 + x->jf], &out);
                        }
                } else if (pc + 1 < len) {
                        acc_merge(&in[pc + 1], &out);
                }
        }
        free(in);
        return bad;
}

static const bool *scmp_suspect; /* scmp_suspects() of the libseccomp program being compared */
/* Where libseccomp's program goes through mis-generated code, what libseccomp
 * meant is its pseudo filter code (seccomp_export_pfc), which it prints from
 * its rule tree, not from the program: nested `if (COND)` / `else` blocks
 * (two spaces a level), `action X;`.  A level runs its statements in turn: an
 * `if` whose taken block decides nothing goes on with the next statement, as
 * the tree's levels do.  pfc_run() evaluates it. */
typedef struct pfc_line {
        int indent;
        enum { PFC_IF, PFC_ELSE, PFC_ACTION } kind;
        bool word;        /* an argument word, else arch or syscall */
        bool arch;
        bool x32;         /* the block of x32, which shares x86_64's $arch: numbers with 0x40000000 */
        bool shared;      /* an arch block whose $arch another has too (x86_64 with x32) */
        unsigned arg;
        bool hi;
        uint32_t mask;
        char op;          /* '=' '>' 'g' (>=) */
        uint64_t k;
        uint32_t action;
} pfc_line;

typedef struct pfc {
        pfc_line *v;
        size_t n;
} pfc;

static pfc scmp_pfc;

static bool pfc_action(const char *s, uint32_t *ret)
{
        unsigned x;
        if (sscanf(s, "ERRNO(%u)", &x) == 1)
                return *ret = SECCOMP_RET_ERRNO | (x & SECCOMP_RET_DATA), true;
        if (sscanf(s, "TRACE(%u)", &x) == 1)
                return *ret = SECCOMP_RET_TRACE | (x & SECCOMP_RET_DATA), true;
        static const struct {
                const char *name;
                uint32_t ret;
        } names[] = { { "ALLOW;", SECCOMP_RET_ALLOW },        { "KILL_PROCESS;", SECCOMP_RET_KILL_PROCESS },
                      { "KILL;", SECCOMP_RET_KILL_THREAD },   { "TRAP;", SECCOMP_RET_TRAP },
                      { "LOG;", SECCOMP_RET_LOG },            { "NOTIFY;", SECCOMP_RET_USER_NOTIF } };
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(s, names[i].name) == 0)
                        return *ret = names[i].ret, true;
        return false;
}

static char pfc_last[256];

/* false if a line is not one this reads (then nothing is checked with it) */
static bool pfc_parse(const char *text, pfc *ret)
{
        pfc p = { 0 };
        size_t cap = 0;
        bool next_x32 = false;
        for (const char *l = text; l && *l;) {
                const char *e = strchr(l, '\n');
                size_t len = e ? (size_t)(e - l) : strlen(l);
                char line[256];
                if (len >= sizeof(line))
                        goto bad;
                memcpy(line, l, len);
                line[len] = 0;
                if (getenv("SF_DIFF_TRACE"))
                        snprintf(pfc_last, sizeof(pfc_last), "%s", line);
                l = e ? e + 1 : NULL;
                int ind = 0;
                while (line[ind] == ' ')
                        ind++;
                const char *t = line + ind;
                if (strstr(t, "# filter for arch x32 "))
                        next_x32 = true;
                if (*t == '#' || *t == 0)
                        continue;
                if (p.n == cap) {
                        cap = cap ? cap * 2 : 64;
                        pfc_line *v = realloc(p.v, cap * sizeof(*v));
                        if (!v)
                                goto bad;
                        p.v = v;
                }
                pfc_line *x = &p.v[p.n++];
                *x = (pfc_line){ .indent = ind, .mask = UINT32_MAX };
                char w[8], op[4];
                unsigned long long k, mask;
                unsigned arg;
                if (strcmp(t, "else") == 0) {
                        x->kind = PFC_ELSE;
                } else if (strncmp(t, "action ", 7) == 0) {
                        x->kind = PFC_ACTION;
                        if (!pfc_action(t + 7, &x->action))
                                goto bad;
                } else if (sscanf(t, "if ($arch == %llu)", &k) == 1) {
                        *x = (pfc_line){ .indent = ind, .kind = PFC_IF, .arch = true, .op = '=', .k = k, .x32 = next_x32 };
                        next_x32 = false;
                        for (size_t j = 0; j + 1 < p.n; j++)
                                if (p.v[j].arch && p.v[j].k == k)
                                        p.v[j].shared = x->shared = true;
                } else if (sscanf(t, "if ($syscall == %llu)", &k) == 1) {
                        *x = (pfc_line){ .indent = ind, .kind = PFC_IF, .op = '=', .k = k };
                } else if (sscanf(t, "if ($a%u.%4[a-z0-9] & 0x%llx %3[=>] %llu)", &arg, w, &mask, op, &k) == 5 ||
                           (mask = UINT32_MAX, sscanf(t, "if ($a%u.%4[a-z0-9] %3[=>] %llu)", &arg, w, op, &k) == 4)) {
                        *x = (pfc_line){ .indent = ind, .kind = PFC_IF, .word = true, .arg = arg,
                                         .hi = strcmp(w, "hi32") == 0, .mask = (uint32_t)mask, .k = k,
                                         .op = strcmp(op, "==") == 0 ? '=' : strcmp(op, ">") == 0 ? '>' : 'g' };
                        if (arg > 5 || (strcmp(w, "hi32") && strcmp(w, "lo32")))
                                goto bad;
                } else if (sscanf(t, "if ($a%u & 0x%llx %3[=>] %llu)", &arg, &mask, op, &k) == 4 ||
                           (mask = UINT32_MAX, sscanf(t, "if ($a%u %3[=>] %llu)", &arg, op, &k) == 3)) {
                        /* a 32-bit arch: the argument is its low word */
                        *x = (pfc_line){ .indent = ind, .kind = PFC_IF, .word = true, .arg = arg, .mask = (uint32_t)mask,
                                         .k = k, .op = strcmp(op, "==") == 0 ? '=' : strcmp(op, ">") == 0 ? '>' : 'g' };
                        if (arg > 5)
                                goto bad;
                } else {
                        goto bad;
                }
        }
        *ret = p;
        return true;
bad:
        if (getenv("SF_DIFF_TRACE"))
                fprintf(stderr, "# pfc line not read: %s\n", pfc_last);
        free(p.v);
        return false;
}

/* Runs the statements of one block from line i (indent ind); *i ends past it.
 * 1: an action decided (*ret). */
static int pfc_block(const pfc *p, size_t *i, int ind, const struct seccomp_data *d, uint32_t *ret)
{
        while (*i < p->n && p->v[*i].indent == ind) {
                const pfc_line *x = &p->v[(*i)++];
                if (x->kind == PFC_ACTION) {
                        *ret = x->action;
                        return 1;
                }
                if (x->kind == PFC_ELSE)
                        return -1; /* not where an else can be */
                bool t;
                if (x->arch) {
                        t = d->arch == x->k && (!x->shared || x->x32 == (((uint32_t)d->nr & 0x40000000u) != 0));
                } else if (!x->word) {
                        t = (uint32_t)d->nr == x->k;
                } else {
                        uint64_t v = d->args[x->arg];
                        uint32_t wv = (x->hi ? (uint32_t)(v >> 32) : (uint32_t)v) & x->mask;
                        t = x->op == '=' ? wv == x->k : x->op == '>' ? wv > x->k : wv >= x->k;
                }
                int r = 0;
                /* the taken branch runs, the other is skipped */
                for (int br = 1; br >= 0; br--) {
                        if (br == 0) {
                                if (*i < p->n && p->v[*i].indent == ind && p->v[*i].kind == PFC_ELSE)
                                        (*i)++;
                                else
                                        break;
                        }
                        size_t start = *i;
                        if (t == (br == 1) && r == 0) {
                                r = pfc_block(p, i, ind + 2, d, ret);
                                if (r < 0)
                                        return r;
                        }
                        /* skip what is left of the block */
                        *i = start;
                        while (*i < p->n && p->v[*i].indent > ind)
                                (*i)++;
                }
                if (r == 1) {
                        /* skip the rest of this block: an action decided */
                        while (*i < p->n && p->v[*i].indent >= ind)
                                (*i)++;
                        return 1;
                }
        }
        return 0;
}

static bool pfc_run(const pfc *p, const struct seccomp_data *d, uint32_t *ret)
{
        size_t i = 0;
        return p->n && pfc_block(p, &i, 0, d, ret) == 1;
}

static bool is_audit_arch(uint32_t k)
{
        for (int a = 1; a < SF_ARCH__COUNT; a++)
                if (sf_arch_audit((sf_arch)a) == k)
                        return true;
        return false;
}

static bool scmp_bug_on_path(const struct sock_filter *f, size_t len, const bool *suspect, const struct seccomp_data *d)
{
        uint32_t a = 0;
        int64_t src = -1; /* offset A was last loaded from; -1 after arithmetic */
        const unsigned char *data = (const unsigned char *)d;
        for (size_t pc = 0, steps = 0; pc < len && steps < 4096; steps++) {
                const struct sock_filter *in = &f[pc];
                if (suspect && suspect[pc])
                        return true;
                switch (in->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (in->k > sizeof(*d) - 4)
                                return false;
                        memcpy(&a, data + in->k, 4);
                        src = in->k;
                        pc++;
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        a &= in->k;
                        src = -1;
                        pc++;
                        break;
                case BPF_JMP | BPF_JA:
                        pc += 1 + in->k;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                case BPF_JMP | BPF_JGT | BPF_K:
                case BPF_JMP | BPF_JGE | BPF_K:
                case BPF_JMP | BPF_JSET | BPF_K: {
                        if (src == offsetof(struct seccomp_data, arch) && !is_audit_arch(in->k))
                                return true;
                        bool t;
                        switch (BPF_OP(in->code)) {
                        case BPF_JEQ: t = a == in->k; break;
                        case BPF_JGT: t = a > in->k; break;
                        case BPF_JGE: t = a >= in->k; break;
                        default: t = (a & in->k) != 0; break;
                        }
                        pc += 1 + (t ? in->jt : in->jf);
                        break;
                }
                default:
                        return false; /* RET, or an instruction libseccomp does not emit */
                }
        }
        return false;
}

static void compare_one(const sf_prog *a, const struct sock_filter *b, size_t blen, const struct seccomp_data *d0,
                        diffres *res)
{
        struct seccomp_data dd = *d0;
        const struct seccomp_data *d = d0;
        if (big_endian_data) {
                for (int i = 0; i < 6; i++)
                        dd.args[i] = (dd.args[i] << 32) | (dd.args[i] >> 32);
                d = &dd;
        }
        uint32_t ra = sf_bpf_run(a->insns, a->len, d, NULL, NULL);
        uint32_t rb = sf_bpf_run(b, blen, d, NULL, NULL);
        d = d0;
        res->runs++;
        const struct seccomp_data *dx = big_endian_data ? &dd : d0;
        bool mismatch = false;
        if (ra != rb && !scmp_bug_on_path(b, blen, scmp_suspect, dx)) {
                mismatch = true;
        } else if (ra != rb) {
                /* through mis-generated code: what libseccomp meant decides */
                uint32_t rc;
                if (!pfc_run(&scmp_pfc, d0, &rc)) {
                        res->scmp_bug++;
                } else {
                        res->scmp_bug_checked += rc == ra;
                        mismatch = rc != ra;
                        rb = rc;
                }
        }
        if (mismatch) {
                if (res->mismatches++ == 0) {
                        char x[32], y[32];
                        snprintf(res->first, sizeof(res->first),
                                 "arch 0x%x nr %d args %jx %jx %jx %jx: sysfence %s, libseccomp %s", d->arch, d->nr,
                                 (uintmax_t)d->args[0], (uintmax_t)d->args[1], (uintmax_t)d->args[2],
                                 (uintmax_t)d->args[3], sf_ret_name(ra, x, sizeof(x)), sf_ret_name(rb, y, sizeof(y)));
                }
        }
}

static void compare_nr(const sf_prog *a, const struct sock_filter *b, size_t blen, uint32_t audit, uint32_t nr,
                       const test_values *pl, size_t random_combos, diffres *res)
{
        struct seccomp_data d = { .nr = (int)nr, .arch = audit };
        compare_one(a, b, blen, &d, res);
        for (unsigned i = 0; i < 6; i++)
                for (size_t k = 0; k < pl->n[i]; k++) {
                        struct seccomp_data e = d;
                        e.args[i] = pl->v[i][k];
                        compare_one(a, b, blen, &e, res);
                }
        for (size_t c = 0; c < random_combos; c++) {
                struct seccomp_data e = d;
                for (unsigned i = 0; i < 6; i++)
                        e.args[i] = pl->v[i][rnd() % pl->n[i]];
                compare_one(a, b, blen, &e, res);
        }
}

static void compare_all(const sf_prog *a, const struct sock_filter *b, size_t blen, const sf_arch *arches,
                        size_t n, const test_values *pl, const uint32_t *only, size_t n_only, size_t combos, diffres *res)
{
        for (size_t i = 0; i < n; i++) {
                uint32_t audit = sf_arch_audit(arches[i]);
                if (only) {
                        for (size_t k = 0; k < n_only; k++) {
                                int nr = sf_syscall_nr(arches[i], sf_syscall_name(arches[0], (int)only[k]) ?: "");
                                (void)nr;
                        }
                }
                size_t cnt = sf_syscall_count(arches[i]);
                for (size_t k = 0; k < cnt; k++) {
                        int nr;
                        sf_syscall_at(arches[i], k, &nr, NULL);
                        if (only) {
                                bool want = false;
                                for (size_t m = 0; m < n_only; m++)
                                        want |= only[m] == (uint32_t)nr;
                                if (!want && rnd() % 32)
                                        continue;
                        }
                        compare_nr(a, b, blen, audit, (uint32_t)nr, pl, combos, res);
                }
                uint32_t max = (uint32_t)sf_syscall_max(arches[i]);
                uint32_t special[] = { max + 1, max + 7, 0x3fffffff, 0x40000000, 0x40000001, 0x400001ff, 0x7fffffff,
                                       0x80000000, 0xfffffffe, 0xffffffff, 1000, 4095, 0x0f0001 };
                for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++)
                        compare_nr(a, b, blen, audit, special[k], pl, 0, res);
        }
        /* an arch that is not a target */
        uint32_t foreign[] = { AUDIT_ARCH_AARCH64, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, 0, 0xffffffff };
        for (size_t k = 0; k < sizeof(foreign) / sizeof(foreign[0]); k++) {
                struct seccomp_data d = { .nr = 0, .arch = foreign[k] };
                compare_one(a, b, blen, &d, res);
        }
}

/* Numbers of the names in the profile on each target arch, plus socketcall/ipc. */
static size_t profile_numbers(const sf_profile *p, const sf_arch *arches, size_t n, uint32_t *v, size_t max)
{
        size_t k = 0;
        for (size_t a = 0; a < n; a++) {
                const char *extra[] = { "socketcall", "ipc" };
                for (size_t e = 0; e < 2; e++) {
                        int nr = sf_syscall_nr(arches[a], extra[e]);
                        if (nr >= 0 && k < max)
                                v[k++] = (uint32_t)nr;
                }
                for (size_t r = 0; r < p->n_rules; r++)
                        for (size_t j = 0; j < p->rules[r].n_names; j++) {
                                int nr = sf_syscall_nr(arches[a], p->rules[r].names[j]);
                                if (nr >= 0 && k < max)
                                        v[k++] = (uint32_t)nr;
                        }
        }
        return k;
}

typedef struct outcome {
        bool refused_by_libseccomp;
        bool overlap_warned;   /* overlapping conditional rules of different actions */
        bool bug_warned;       /* a rule libseccomp < 2.6.1 merges wrongly */
        bool refuse_warned;    /* a rule sysfence says libseccomp refuses */
        bool hang_warned;      /* a rule sysfence says libseccomp never returns from */
        bool hang_confirmed;   /* and libseccomp, in a child, did not return within seconds */
        diffres res;
        size_t our_len, their_len;
        size_t suspects; /* instructions of libseccomp's program scmp_suspects() marks */
} outcome;

static int diff_profile(const sf_profile *p, const sf_arch *arches, size_t n, const sf_target *t, bool all_numbers,
                        size_t combos, bool compat, outcome *o)
{
        sf_compile_opts co = { .target = *t, .arches = arches, .n_arches = n, .libseccomp_254 = compat };
        sf_diags d = { 0 };
        sf_prog *prog = NULL;
        sf_error *err = NULL;
        *o = (outcome){ 0 };
        if (sf_compile(p, &co, &prog, &d, &err) < 0) {
                fprintf(stderr, "# compile: %s\n", sf_error_message(err));
                sf_error_free(err);
                sf_diags_release(&d);
                return -1;
        }
        for (size_t i = 0; i < d.n; i++)
                if (strcmp(d.v[i].id, "overlapping-rules") == 0)
                        o->overlap_warned = true;
                else if (strcmp(d.v[i].id, "libseccomp-64bit-merge") == 0)
                        o->bug_warned = true;
                else if (strcmp(d.v[i].id, "libseccomp-refuses") == 0)
                        o->refuse_warned = true;
                else if (strcmp(d.v[i].id, "libseccomp-hangs") == 0)
                        o->hang_warned = true;
        sf_diags_release(&d);
        sf_error *verr = NULL;
        if (sf_bpf_validate(prog->insns, prog->len, &verr) < 0) {
                fprintf(stderr, "# invalid program: %s\n", sf_error_message(verr));
                sf_error_free(verr);
                sf_prog_free(prog);
                return -1;
        }
        big_endian_data = prog->big_endian;
        sf_profile *rp = NULL;
        if (sf_profile_resolve(p, t, &rp, &err) < 0) {
                fprintf(stderr, "# resolve: %s\n", sf_error_message(err));
                sf_error_free(err);
                sf_prog_free(prog);
                return -1;
        }
        struct sock_filter *b = NULL;
        size_t blen = 0;
        int r;
        if (o->hang_warned) {
                /* libseccomp would not return here: see that it does not, in a child */
                fflush(NULL);
                pid_t pid = fork();
                if (pid == 0) {
                        alarm(3);
                        _exit(scmp_build(rp, arches, n, false, &b, &blen) == 0 ? 0 : 1);
                }
                int status = 0;
                bool waited = pid > 0 && waitpid(pid, &status, 0) == pid;
                o->hang_confirmed = waited && WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
                /* runc stops at the first rule libseccomp refuses: one before the hang */
                o->refused_by_libseccomp = waited && WIFEXITED(status) && WEXITSTATUS(status) == 1;
                sf_profile_free(rp);
                sf_prog_free(prog);
                return 0;
        }
        r = scmp_build(rp, arches, n, false, &b, &blen);
        if (r == 1) {
                o->refused_by_libseccomp = true;
        } else if (r == 0) {
                test_values pl = { { { 0 } } };
                test_values_of(&pl, rp, NULL, 0);
                bool *suspect = scmp_suspects(b, blen);
                scmp_suspect = suspect;
                for (size_t i = 0; suspect && i < blen; i++)
                        o->suspects += suspect[i];
                if (o->suspects) {
                        /* libseccomp's pseudo filter code, to tell what it meant */
                        struct sock_filter *again = NULL;
                        size_t again_len = 0;
                        scmp_want_pfc = true;
                        if (scmp_build(rp, arches, n, false, &again, &again_len) == 0 && scmp_pfc_text &&
                            !pfc_parse(scmp_pfc_text, &scmp_pfc))
                                fprintf(stderr, "# libseccomp's pseudo filter code did not parse\n");
                        scmp_want_pfc = false;
                        free(again);
                        free(scmp_pfc_text);
                        scmp_pfc_text = NULL;
                }
                uint32_t only[4096];
                size_t n_only = all_numbers ? 0 : profile_numbers(rp, arches, n, only, 4096);
                compare_all(prog, b, blen, arches, n, &pl, all_numbers ? NULL : only, n_only, combos, &o->res);
                scmp_suspect = NULL;
                free(scmp_pfc.v);
                scmp_pfc = (pfc){ 0 };
                free(suspect);
        }
        o->our_len = prog->len;
        o->their_len = blen;
        free(b);
        sf_profile_free(rp);
        sf_prog_free(prog);
        return r < 0 ? -1 : 0;
}

static const char *const pool_names[] = {
        "read", "write", "personality", "socket", "ioctl", "clone", "mmap", "prctl", "futex", "getpid",
        "accept", "bind", "shmget", "semop", "open", "openat", "kill", "socketcall", "ipc", "mprotect",
        "setsockopt", "clock_gettime", "exit_group", "x32_bogus_name", "ppoll",
};
static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                       "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_TRACE" };
static const char *const ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                                   "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };

static uint64_t rnd_value(void)
{
        static const uint64_t interesting[] = { 0, 1, 2, 8, 16, 38, 0x7fffffff, 0x80000000, 0xffffffff,
                                                0x100000000ull, 0x1ffffffffull, 0xffffffff00000000ull,
                                                0x8000000000000000ull, UINT64_MAX, 0x7e020000, 0x20008 };
        switch (rnd() % 3) {
        case 0: return interesting[rnd() % (sizeof(interesting) / sizeof(interesting[0]))];
        case 1: return rnd() % 64;
        default: return rnd();
        }
}

static void rnd_action(sf_buf *b, const char *key, const char *errkey)
{
        const char *a = actions[rnd() % (sizeof(actions) / sizeof(actions[0]))];
        sf_buf_printf(b, "\"%s\": \"%s\"", key, a);
        if ((strcmp(a, "SCMP_ACT_ERRNO") == 0 || strcmp(a, "SCMP_ACT_TRACE") == 0) && rnd() % 2)
                sf_buf_printf(b, ", \"%s\": %u", errkey, (unsigned)(rnd() % 3 ? rnd() % 40 : rnd() % 4096));
}

static char *random_profile(void)
{
        sf_buf b = { 0 };
        sf_buf_puts(&b, "{");
        rnd_action(&b, "defaultAction", "defaultErrnoRet");
        sf_buf_puts(&b, ", \"syscalls\": [");
        unsigned nrules = 1 + (unsigned)(rnd() % 8);
        for (unsigned r = 0; r < nrules; r++) {
                sf_buf_puts(&b, r ? ", {\"names\": [" : "{\"names\": [");
                unsigned nn = 1 + (unsigned)(rnd() % 4);
                for (unsigned k = 0; k < nn; k++)
                        sf_buf_printf(&b, "%s\"%s\"", k ? ", " : "",
                                      pool_names[rnd() % (sizeof(pool_names) / sizeof(pool_names[0]))]);
                sf_buf_puts(&b, "], ");
                rnd_action(&b, "action", "errnoRet");
                unsigned na = rnd() % 3 ? (unsigned)(rnd() % 3) : 0;
                if (na) {
                        sf_buf_puts(&b, ", \"args\": [");
                        for (unsigned k = 0; k < na; k++)
                                sf_buf_printf(&b, "%s{\"index\": %u, \"value\": %ju, \"valueTwo\": %ju, \"op\": \"%s\"}",
                                              k ? ", " : "", (unsigned)(rnd() % 3), (uintmax_t)rnd_value(),
                                              (uintmax_t)rnd_value(), ops[rnd() % 7]);
                        sf_buf_puts(&b, "]");
                }
                sf_buf_puts(&b, "}");
        }
        sf_buf_puts(&b, "]}");
        return sf_buf_steal(&b);
}

/* Rules for a few syscalls whose conditions overlap: small values on the same
 * and on different arguments, every operator, different actions, now and then
 * an unconditional rule; the syscalls include socket (multiplexed on x86). */
static char *overlap_profile(void)
{
        static const char *const names[] = { "getpgid", "getpgid", "personality", "socket", "shmget" };
        static const uint64_t values[] = { 0, 1, 3, 5, 8, 100, 0xffffffff, 0x100000000ull, 0x100000005ull,
                                           0x200000000ull, UINT64_MAX, 0x8000000000000000ull };
        static const char *const acts[] = { "\"SCMP_ACT_ALLOW\"", "\"SCMP_ACT_ERRNO\", \"errnoRet\": 11",
                                            "\"SCMP_ACT_ERRNO\", \"errnoRet\": 22", "\"SCMP_ACT_TRAP\"",
                                            "\"SCMP_ACT_KILL\"", "\"SCMP_ACT_LOG\"",
                                            "\"SCMP_ACT_TRACE\", \"errnoRet\": 3" };
        const size_t n_values = sizeof(values) / sizeof(values[0]), n_acts = sizeof(acts) / sizeof(acts[0]);
        sf_buf b = { 0 };
        sf_buf_printf(&b, "{\"defaultAction\": %s, \"syscalls\": [", acts[rnd() % n_acts]);
        const char *name = names[rnd() % 5], *other = names[rnd() % 5];
        unsigned nrules = 2 + (unsigned)(rnd() % 4);
        for (unsigned r = 0; r < nrules; r++) {
                sf_buf_printf(&b, "%s{\"names\": [\"%s\"], \"action\": %s", r ? ", " : "",
                              rnd() % 5 ? name : other, acts[rnd() % n_acts]);
                unsigned na = rnd() % 8 ? 1 + (unsigned)(rnd() % 2) : 0;
                if (na)
                        sf_buf_puts(&b, ", \"args\": [");
                unsigned first = (unsigned)(rnd() % 2);
                for (unsigned k = 0; k < na; k++)
                        sf_buf_printf(&b, "%s{\"index\": %u, \"value\": %ju, \"valueTwo\": %ju, \"op\": \"%s\"}",
                                      k ? ", " : "", k ? (first + 1 + (unsigned)(rnd() % 2)) % 3 : first,
                                      (uintmax_t)values[rnd() % n_values], (uintmax_t)values[rnd() % n_values],
                                      ops[rnd() % 7]);
                sf_buf_puts(&b, na ? "]}" : "}");
        }
        sf_buf_puts(&b, "]}");
        return sf_buf_steal(&b);
}

typedef struct arch_set {
        const sf_arch *v;
        size_t n;
        const char *name;
} arch_set;

/* Compares n profiles from gen on the arch sets in turn.  libseccomp older
 * than 2.6.1 merges some 64-bit LT/LE rules wrongly: where sysfence said so,
 * a differing decision is that bug (counted apart), and sysfence deciding as
 * the old libseccomp (libseccomp_254) must then agree with it too.  A rule
 * sysfence says libseccomp refuses must be refused. */
static void run_random(size_t n, char *(*gen)(void), const char *what, const arch_set *sets, sf_target t)
{
        size_t runs = 0, mism = 0, refused = 0, refused_said = 0, overlap = 0, compared = 0, mism_profiles = 0;
        size_t bug_profiles = 0, bug_decisions = 0, scmp_bug = 0, scmp_bug_profiles = 0, hangs = 0, scmp_checked = 0;
        char first[4096] = "";
        for (size_t i = 0; i < n; i++) {
                char *text = gen();
                sf_profile **v = NULL;
                size_t nv = 0;
                sf_error *err = NULL;
                if (!text || sf_profile_load_data(text, strlen(text), "random.json", NULL, &v, &nv, NULL, &err) < 0) {
                        snprintf(first, sizeof(first), "random profile failed to load: %s", sf_error_message(err));
                        mism++;
                        sf_error_free(err);
                        free(text);
                        continue;
                }
                const arch_set *as = &sets[i % 4];
                if (getenv("SF_DIFF_TRACE"))
                        fprintf(stderr, "# %s on %s\n", text, as->name);
                outcome o;
                if (diff_profile(v[0], as->v, as->n, &t, false, 32, false, &o) < 0) {
                        mism++;
                        snprintf(first, sizeof(first), "compile failed: %s", text);
                } else if (o.hang_warned && o.refused_by_libseccomp && o.refuse_warned) {
                        refused++;
                        refused_said++;
                } else if (o.hang_warned) {
                        hangs += o.hang_confirmed;
                        if (!o.hang_confirmed) {
                                mism++;
                                mism_profiles++;
                                snprintf(first, sizeof(first), "%s on %s: sysfence says libseccomp hangs, it returned",
                                         text, as->name);
                                printf("# mismatch: %s\n", first);
                        }
                } else if (o.refused_by_libseccomp) {
                        refused++;
                        refused_said += o.refuse_warned;
                } else if (o.refuse_warned) {
                        mism++;
                        mism_profiles++;
                        snprintf(first, sizeof(first), "%s on %s: sysfence says libseccomp refuses a rule, it does not",
                                 text, as->name);
                        printf("# mismatch: %s\n", first);
                } else {
                        compared++;
                        overlap += o.overlap_warned;
                        runs += o.res.runs;
                        scmp_bug += o.res.scmp_bug;
                        scmp_checked += o.res.scmp_bug_checked;
                        scmp_bug_profiles += o.res.scmp_bug > 0;
                        size_t bad = o.res.mismatches;
                        char why[320];
                        snprintf(why, sizeof(why), "%s", o.res.first);
                        if (bad && o.bug_warned) {
                                bug_profiles++;
                                bug_decisions += bad;
                                outcome c;
                                bad = 0;
                                if (diff_profile(v[0], as->v, as->n, &t, false, 32, true, &c) < 0 || c.res.mismatches) {
                                        bad = c.res.mismatches ? c.res.mismatches : 1;
                                        snprintf(why, sizeof(why), "as libseccomp 2.5.4: %s", c.res.first);
                                }
                        }
                        mism += bad;
                        if (bad) {
                                if (mism_profiles < 5)
                                        printf("# mismatch: %s on %s: %s\n", text, as->name, why);
                                mism_profiles++;
                                if (!*first)
                                        snprintf(first, sizeof(first), "%s on %s: %s", text, as->name, why);
                        }
                }
                sf_profiles_free(v, nv);
                free(text);
        }
        if (bug_profiles)
                printf("# warning: %zu profiles hit libseccomp's 64-bit LT/LE merge bug (GHSA-4q85-33p6-j5g6): %zu decisions of libseccomp 2.5.4 differ from sysfence's (and from libseccomp 2.6.1's); sysfence said so for each, and deciding as 2.5.4 it agrees\n",
                       bug_profiles, bug_decisions);
        TEST(mism == 0,
            "%zu %s: %zu compared over %zu runs (%zu with overlapping conditional rules of different actions), %zu mismatches in %zu profiles; %zu hit libseccomp < 2.6.1's 64-bit merge bug (%zu decisions, warned, counted apart); %zu refused by libseccomp (%zu as sysfence said); %zu on which libseccomp hangs (as sysfence said, seen in a child); %zu decisions on paths through code libseccomp mis-generated (a syscall number or argument not loaded) differ from its program and agree with its pseudo filter code (seccomp_export_pfc), %zu could not be checked (in %zu profiles)%s%s",
            n, what, compared, runs, overlap, mism, mism_profiles, bug_profiles, bug_decisions, refused, refused_said,
            hangs, scmp_checked, scmp_bug, scmp_bug_profiles, *first ? "; first: " : "", first);
}

/* The rows of issue 14's table, measured in the kernel with libseccomp 2.5.4's
 * filters (getpgid, default ERRNO(33)): each in both rule orders. */
static void table_cases(void)
{
        static const struct {
                const char *name, *r1, *r2;
                uint64_t a0, a1;
                uint32_t want;
        } rows[] = {
                { "a0 == 1 ALLOW, a1 == 3 ERRNO(22)", "{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}], \"action\": \"SCMP_ACT_ALLOW\"",
                  "{\"index\": 1, \"value\": 3, \"op\": \"SCMP_CMP_EQ\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22", 1, 3,
                  SECCOMP_RET_ERRNO | 22 },
                { "a0 == 1 ERRNO(11), a1 == 3 ERRNO(22)", "{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 11",
                  "{\"index\": 1, \"value\": 3, \"op\": \"SCMP_CMP_EQ\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22", 1, 3,
                  SECCOMP_RET_ERRNO | 22 },
                { "a0 >= 8 ALLOW, a0 > 100 ERRNO(22)", "{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_GE\"}], \"action\": \"SCMP_ACT_ALLOW\"",
                  "{\"index\": 0, \"value\": 100, \"op\": \"SCMP_CMP_GT\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22", 200, 0,
                  SECCOMP_RET_ERRNO | 22 },
                { "a0 >= 8 ERRNO(11), a0 > 100 ERRNO(22)", "{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_GE\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 11",
                  "{\"index\": 0, \"value\": 100, \"op\": \"SCMP_CMP_GT\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22", 200, 0,
                  SECCOMP_RET_ERRNO | 22 },
                { "a0 != 5 ERRNO(11), a0 == 1 ERRNO(22)", "{\"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_NE\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 11",
                  "{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22", 1, 0,
                  SECCOMP_RET_ERRNO | 11 },
                { "a0 == 1 ERRNO(11), a0 <= 5 ERRNO(22)", "{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 11",
                  "{\"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_LE\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22", 1, 0,
                  SECCOMP_RET_ERRNO | 11 },
                { "a0 == 1 ALLOW, a0 <= 5 ERRNO(22)", "{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}], \"action\": \"SCMP_ACT_ALLOW\"",
                  "{\"index\": 0, \"value\": 5, \"op\": \"SCMP_CMP_LE\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22", 1, 0,
                  SECCOMP_RET_ALLOW },
                { "a0 == 1 ERRNO(11), unconditional ERRNO(22)", "{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 11",
                  NULL, 1, 0, SECCOMP_RET_ERRNO | 22 },
        };
        int nr = sf_syscall_nr(SF_ARCH_X86_64, "getpgid");
        static const sf_arch x86_64[] = { SF_ARCH_X86_64 };
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                for (int order = 0; order < 2; order++) {
                        char r1[256], r2[256];
                        snprintf(r1, sizeof(r1), "{\"names\": [\"getpgid\"], \"args\": [%s}", rows[i].r1);
                        if (rows[i].r2)
                                snprintf(r2, sizeof(r2), "{\"names\": [\"getpgid\"], \"args\": [%s}", rows[i].r2);
                        else
                                snprintf(r2, sizeof(r2), "{\"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22}");
                        char text[768];
                        snprintf(text, sizeof(text),
                                 "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 33, \"syscalls\": [%s, %s]}",
                                 order ? r2 : r1, order ? r1 : r2);
                        sf_profile **v = NULL;
                        size_t n = 0;
                        sf_prog *prog = NULL;
                        sf_compile_opts co = { .arches = x86_64, .n_arches = 1 };
                        uint32_t got = 0, scmp = 0;
                        struct sock_filter *b = NULL;
                        size_t blen = 0;
                        struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64, .args = { rows[i].a0, rows[i].a1 } };
                        if (sf_profile_load_data(text, strlen(text), "row.json", NULL, &v, &n, NULL, NULL) == 0 &&
                            sf_compile(v[0], &co, &prog, NULL, NULL) == 0) {
                                got = sf_bpf_run(prog->insns, prog->len, &d, NULL, NULL);
                                big_endian_data = false;
                                if (scmp_build(v[0], x86_64, 1, false, &b, &blen) == 0)
                                        scmp = sf_bpf_run(b, blen, &d, NULL, NULL);
                        }
                        char x[32], y[32], z[32];
                        TEST(got == rows[i].want && scmp == rows[i].want,
                            "table: %s (%s order), args (%ju, %ju): sysfence %s, libseccomp %s, measured %s", rows[i].name,
                            order ? "reverse" : "issue's", (uintmax_t)rows[i].a0, (uintmax_t)rows[i].a1,
                            sf_ret_name(got, x, sizeof(x)), sf_ret_name(scmp, y, sizeof(y)),
                            sf_ret_name(rows[i].want, z, sizeof(z)));
                        free(b);
                        sf_prog_free(prog);
                        sf_profiles_free(v, n);
                }
}

int main(int argc, char **argv)
{
        size_t n_random = 1000, n_overlap = 1000;
        int first_file = 1;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--random") == 0 && i + 1 < argc) {
                        sf_parse_u64(argv[++i], 10, (uint64_t *)&n_random);
                        first_file = i + 1;
                } else if (strcmp(argv[i], "--overlap") == 0 && i + 1 < argc) {
                        sf_parse_u64(argv[++i], 10, (uint64_t *)&n_overlap);
                        first_file = i + 1;
                } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
                        sf_parse_u64(argv[++i], 0, &rng_state);
                        first_file = i + 1;
                }
        }
        /* the profiles to compare: the arguments after the options (meson passes the
         * real profiles from Debian's packages and the tutorial's) */
        char files[16][1024];
        size_t n_files = 0;
        for (int i = first_file; i < argc && n_files < 16; i++)
                snprintf(files[n_files++], sizeof(files[0]), "%s", argv[i]);

        static const sf_arch x86_all[] = { SF_ARCH_X86_64, SF_ARCH_X86, SF_ARCH_X32 };
        static const sf_arch x86_64_only[] = { SF_ARCH_X86_64 };
        static const sf_arch arm[] = { SF_ARCH_AARCH64, SF_ARCH_ARM };
        static const sf_arch be[] = { SF_ARCH_S390X, SF_ARCH_S390, SF_ARCH_PPC64 };
        const arch_set sets[] = {
                { x86_all, 3, "x86_64+x86+x32" },
                { x86_64_only, 1, "x86_64" },
                { arm, 2, "aarch64+arm" },
                { be, 3, "s390x+s390+ppc64" },
        };
        sf_target t;
        sf_target_default(&t);

        printf("1..%zu\n", n_files * 2 * 4 + 2 + 16);
        for (size_t f = 0; f < n_files; f++) {
                sf_profile **v = NULL;
                size_t n = 0;
                sf_error *err = NULL;
                if (sf_profile_load_file(files[f], NULL, &v, &n, NULL, &err) < 0) {
                        for (size_t s = 0; s < 8; s++)
                                TEST(0, "%s: %s", files[f], sf_error_message(err));
                        sf_error_free(err);
                        continue;
                }
                for (size_t s = 0; s < 4; s++)
                        for (int caps = 0; caps < 2; caps++) {
                                sf_target tt = t;
                                tt.caps = caps ? 0 : tt.caps;
                                outcome o;
                                int r = diff_profile(v[0], sets[s].v, sets[s].n, &tt, true, 16, false, &o);
                                /* libseccomp's programs for real profiles are sound: the
                                 * detector of its mis-generated code finds nothing there */
                                TEST(r == 0 && !o.refused_by_libseccomp && o.res.mismatches == 0 &&
                                            o.res.scmp_bug == 0 && o.suspects == 0,
                                    "%s on %s, %s caps: %zu runs, %zu mismatches, %zu suspect libseccomp instructions%s%s (%zu vs %zu instructions)",
                                    strrchr(files[f], '/') ? strrchr(files[f], '/') + 1 : files[f], sets[s].name,
                                    caps ? "no" : "default", o.res.runs, o.res.mismatches, o.suspects,
                                    o.res.mismatches ? "; first: " : "", o.res.first, o.our_len, o.their_len);
                        }
                sf_profiles_free(v, n);
        }

        /* random profiles, then profiles made of overlapping conditional rules */
        run_random(n_random, random_profile, "random profiles", sets, t);
        run_random(n_overlap, overlap_profile, "profiles of overlapping conditional rules", sets, t);
        table_cases();
        return failed ? 1 : 0;
}
