/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libseccomp path a runtime takes, for comparison with `sysfence run`:
 * read a profile, resolve it for this node, build the filter with libseccomp
 * rule by rule (as runc does), load it, exec the command.
 * usage: scmp-exec PROFILE CMD [ARG...] */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysfence/profile.h"
#include "scmp.h"

int main(int argc, char **argv)
{
        if (argc < 3)
                return 2;
        sf_profile **v = NULL, *p = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        sf_target t;
        sf_target_default(&t);
        if (sf_profile_load_file(argv[1], NULL, &v, &n, NULL, &err) < 0 || sf_profile_resolve(v[0], &t, &p, &err) < 0) {
                fprintf(stderr, "%s\n", sf_error_message(err));
                return 1;
        }
        scmp_filter_ctx ctx = seccomp_init(scmp_action(p->default_action));
        for (size_t i = 0; i < p->n_arches; i++)
                seccomp_arch_add(ctx, seccomp_arch_resolve_name(sf_arch_short_name(p->arches[i])) ?: 0);
        for (size_t i = 0; i < p->n_rules; i++) {
                const sf_rule *r = &p->rules[i];
                if (r->action.kind == p->default_action.kind && r->action.data == p->default_action.data)
                        continue;
                struct scmp_arg_cmp c[6];
                for (size_t k = 0; k < r->n_args; k++)
                        c[k] = (struct scmp_arg_cmp){ r->args[k].index, scmp_ops[r->args[k].op], r->args[k].value,
                                                      r->args[k].value_two };
                for (size_t j = 0; j < r->n_names; j++) {
                        int nr = seccomp_syscall_resolve_name(r->names[j]);
                        if (nr != __NR_SCMP_ERROR)
                                seccomp_rule_add_array(ctx, scmp_action(r->action), nr, (unsigned)r->n_args, c);
                }
        }
        if (seccomp_load(ctx) < 0) {
                fprintf(stderr, "seccomp_load failed\n");
                return 1;
        }
        execv(argv[2], argv + 2);
        return 127;
}
