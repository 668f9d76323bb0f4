/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The observations of a recording, shared by the recorder and the synthesis. */
#ifndef SF_RECORD_INTERNAL_H
#define SF_RECORD_INTERNAL_H

#include <signal.h>

#include "sysfence/record.h"
#include "util/util.h"

#define SF_X32_BIT 0x40000000L

/* Every namespace flag clone(2) takes; CLONE_NEWTIME shares its bit with the
 * exit signal there, so only unshare(2) adds it. */
#define SF_CLONE_NS_MASK UINT64_C(0x7e020000)
#define SF_UNSHARE_NS_MASK (SF_CLONE_NS_MASK | UINT64_C(0x80))

/* One argument whose values are kept. */
typedef struct sf_arg_spec {
        char *name;
        unsigned index;
        uint64_t mask;   /* 0: the whole value; else only these bits (MASKED_EQ rules) */
        uint64_t *values;/* sorted, distinct */
        size_t n, cap;
        bool overflow;
} sf_arg_spec;

/* Counts of one arch, indexed by number (x32: without its bit). */
typedef struct sf_arch_obs {
        uint64_t *count;
        uint16_t *spec;  /* 1 + index into specs, or 0 */
        size_t n;
} sf_arch_obs;

/* Calls the tables cannot place: an unknown arch, or a number beyond the table. */
typedef struct sf_unknown_obs {
        uint32_t audit_arch;
        long nr;
        uint64_t count;
} sf_unknown_obs;

struct sf_record {
        sf_arch_obs arch[SF_ARCH__COUNT];
        sf_arg_spec *specs;
        size_t n_specs;
        sf_unknown_obs *unknown;
        size_t n_unknown;
        uint64_t total;
        uint32_t last_audit; /* a one-entry cache of the audit arch's sf_arch */
        sf_arch last_arch;
        void (*on_new)(void *ctx, sf_arch arch, long nr, const char *name);
        void *ctx;
};

/* Calls fn for every child of every thread of process pid
 * (/proc/PID/task/TID/children), until fn returns nonzero, which is returned. */
int sf_proc_each_child(pid_t pid, int (*fn)(void *ctx, pid_t child), void *ctx);

/* The command a recorder is to start: argv[0] found in PATH (*ret_path,
 * malloc'd), or an error naming it. */
int sf_spawn_path(char *const argv[], char **ret_path, sf_error **err);

/* The start of a recorder's spawn: two close-on-exec pipes (sync: the
 * parent's go, which the child reads; fail: the child's report), every signal
 * blocked (the old mask in *old: an interrupt now waits until the recorder can
 * pass it to the command), and a fork, unless an interrupt came first
 * (*interrupts, read once signals are blocked, not 0: -EINTR, and nothing is
 * started).  The child's pid to the parent, with signals blocked until it
 * calls sf_signals_restore(old); 0 to the child, with the caller's handlers
 * undone and the old mask back; or an error, with nothing left open. */
pid_t sf_spawn_fork(const volatile sig_atomic_t *interrupts, int sync[2], int fail[2], sigset_t *old, sf_error **err);

#endif
