/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence — seccomp BPF programs: the compiler's output, an emulator that runs
 * them exactly as the kernel would, and a disassembler. */
#ifndef SYSFENCE_BPF_H
#define SYSFENCE_BPF_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysfence/arch.h>
#include <sysfence/diag.h>
#include <sysfence/error.h>
#include <sysfence/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SF_BPF_MAX_INSNS 4096 /* BPF_MAXINSNS: the kernel refuses longer filters */

/* Where an instruction's decision came from, for disasm and explain. */
typedef struct sf_src {
        int rule;  /* index in the profile's rules, or -1 */
        int name;  /* index in that rule's names, or -1 */
} sf_src;

typedef struct sf_prog {
        struct sock_filter *insns;
        size_t len;
        sf_src *src;        /* one per instruction (meaningful on RET), may be NULL */
        sf_arch *arches;    /* the arches the program dispatches on */
        size_t n_arches;
        bool big_endian;    /* the targets are big-endian: insns are in this machine's
                             * order; sf_prog_serialize() writes the target's */
        sf_action default_action;
        void *internal_;    /* the decision tables, for sf_prog_lookup() */
} sf_prog;

/* What the compiled profile decides for one syscall, from the compiler's tables
 * (the program makes the same decision; the tests prove it). */
typedef struct sf_verdict {
        sf_action action;
        sf_src src;          /* the rule and name that decided; {-1,-1}: the default */
        bool conditional;    /* the decision depends on arguments */
        bool bad_arch;       /* the arch is not a target */
} sf_verdict;

int sf_prog_lookup(const sf_prog *prog, uint32_t audit_arch, uint32_t nr, const uint64_t args[6],
                   sf_verdict *ret);

typedef struct sf_compile_opts {
        sf_target target;          /* caps/kernel for includes/excludes; arch: native */
        const sf_arch *arches;     /* NULL: the target arch plus the sub-arches the profile lists */
        size_t n_arches;
        bool enosys_unknown;       /* numbers above the highest known return ENOSYS (runc) */
        bool strict;               /* unknown syscall names are errors */
        bool libseccomp_254;       /* decide as libseccomp < 2.6.1 does where its 64-bit LT/LE merge is wrong (tests) */
        /* Optional syscall frequencies (per arch, by number) to weight the search. */
        const uint64_t *(*hot)(void *ctx, sf_arch arch, size_t *ret_n);
        void *hot_ctx;
} sf_compile_opts;

/* Compiles a profile (resolving includes/excludes/archMap for opts->target).
 * Warnings (skipped names, dropped conflicting rules) go to diags. */
int sf_compile(const sf_profile *p, const sf_compile_opts *opts, sf_prog **ret, sf_diags *diags,
               sf_error **err);
void sf_prog_free(sf_prog *prog);
/* The program as the target kernel reads it (struct sock_filter array in the
 * target's byte order).  malloc'd; *ret_size bytes. */
int sf_prog_serialize(const sf_prog *prog, void **ret, size_t *ret_size, sf_error **err);

/* Checks a program as the kernel's seccomp loader does (opcodes, jumps in range,
 * aligned 32-bit loads inside seccomp_data, ends in RET, length 1..4096). */
int sf_bpf_validate(const struct sock_filter *insns, size_t len, sf_error **err);

/* Runs a (validated) program on one syscall.  *ret_steps: instructions executed;
 * *ret_pc: the index of the RET that decided (may be NULL). */
uint32_t sf_bpf_run(const struct sock_filter *insns, size_t len, const struct seccomp_data *d,
                    size_t *ret_steps, size_t *ret_pc);

/* A copy of a (validated) program in which every RET of SECCOMP_RET_ERRNO
 * returns SECCOMP_RET_USER_NOTIF instead, for a listener that answers each
 * notification with the original program's own decision (sf_bpf_run on the
 * notification's seccomp_data): the decisions stay those of the program, and
 * the listener learns every call it denies with ERRNO.  *ret_n: how many RETs
 * changed (0: the program never returns ERRNO).  malloc'd. */
int sf_bpf_errno_to_notify(const struct sock_filter *insns, size_t len, struct sock_filter **ret, size_t *ret_n,
                           sf_error **err);

/* Whether the kernel's action cache (Linux >= 5.11) would mark (arch, nr) as
 * always allowed: the path to RET ALLOW only reads nr/arch. */
bool sf_bpf_cacheable(const struct sock_filter *insns, size_t len, uint32_t audit_arch, int nr);
/* Whether the program decides (arch, nr) without reading the arguments (or
 * anything but nr and arch), as that same walk; the decision in *ret. */
bool sf_bpf_const_ret(const struct sock_filter *insns, size_t len, uint32_t audit_arch, int nr, uint32_t *ret);

/* A readable listing; annotate(ctx, pc) may return text to append to a line. */
char *sf_bpf_disasm(const struct sock_filter *insns, size_t len,
                    const char *(*annotate)(void *ctx, size_t pc, char *buf, size_t size), void *ctx);

/* "ALLOW", "ERRNO(1)", "KILL_PROCESS", "TRACE(5)", … into buf. */
const char *sf_ret_name(uint32_t ret, char *buf, size_t size);
/* SECCOMP_RET_* for a profile action. */
uint32_t sf_action_ret(sf_action a);

#ifdef __cplusplus
}
#endif
#endif
