/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence — running a command under a seccomp program as a container runtime
 * loads it: in a child, with no_new_privs, as the very last step before
 * execve; and learning what the filter did to it. */
#ifndef SYSFENCE_RUN_H
#define SYSFENCE_RUN_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <sysfence/arch.h>
#include <sysfence/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sf_run_opts {
        const char *path;            /* the program, resolved (an execve path) */
        char *const *argv;
        char *const *envp;
        const struct sock_fprog *prog;
        unsigned flags;              /* SECCOMP_FILTER_FLAG_* to load it with */
        /* Name what the filter did: a kill from the audit stream (root), and
         * the calls it denied with ERRNO: as root by SECCOMP_FILTER_FLAG_LOG
         * and the audit stream, otherwise by a user-notification listener (the
         * filter returns USER_NOTIF where the program returns ERRNO and each
         * call is answered with the program's own errno; not under TSYNC, nor
         * when this process is already under a filter).  Decisions never change. */
        bool name;
        /* Called in the parent right after the fork, with every signal still
         * blocked: the caller can point its handlers at the child. */
        void (*on_child)(void *ctx, pid_t pid);
        void *ctx;
} sf_run_opts;

typedef struct sf_run_denial {
        sf_arch arch;     /* SF_ARCH_NONE if unknown */
        long nr;
        const char *name; /* static, or NULL */
        unsigned long count;
} sf_run_denial;

#define SF_RUN_MAX_DENIALS 8

typedef enum sf_run_stage {
        SF_RUN_RAN = 0,        /* the command ran: see status */
        SF_RUN_NO_NEW_PRIVS,   /* prctl(PR_SET_NO_NEW_PRIVS) failed: it did not run */
        SF_RUN_LOAD,           /* the filter did not load: it did not run */
        SF_RUN_EXEC,           /* execve failed under the filter */
} sf_run_stage;

typedef struct sf_run_result {
        sf_run_stage stage;
        int err;               /* errno of the failed stage */
        int status;            /* the wait status (stage SF_RUN_RAN) */
        bool kill_known;       /* a seccomp kill, named from the audit stream */
        sf_arch kill_arch;
        long kill_nr;
        const char *kill_name; /* static, or NULL */
        sf_run_denial denied[SF_RUN_MAX_DENIALS]; /* calls denied with ERRNO, in order seen */
        size_t n_denied;
        unsigned long more;    /* denials of other calls beyond SF_RUN_MAX_DENIALS */
        int listener_err;      /* the listener failed (errno): later denied calls got ENOSYS */
} sf_run_result;

/* Runs o->argv under o->prog and waits for it.  < 0 (and *err) only when
 * nothing ran: no memory, no fork.  Otherwise 0, with *ret saying how it went. */
int sf_run(const sf_run_opts *o, sf_run_result *ret, sf_error **err);

#ifdef __cplusplus
}
#endif
#endif
