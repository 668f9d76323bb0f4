/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Merging profiles: one profile that allows what any of them allows. */
#ifndef SF_PROFILE_MERGE_H
#define SF_PROFILE_MERGE_H

#include <stddef.h>

#include "sysfence/diag.h"
#include "sysfence/error.h"
#include "sysfence/profile.h"

typedef struct sf_merge_opts {
        const sf_action *default_action; /* the merged default; NULL: the inputs must agree */
        const sf_target *target;         /* the node the merge is checked on (NULL: this machine) */
        const char *name;                /* the merged profile's name in messages (NULL: "<merged>") */
        bool prefer_first;               /* the earlier input's unconditional rule wins, whatever its
                                          * action (as before: a recording merged first widens its
                                          * baseline); false: a denial wins */
} sf_merge_opts;

/* Merges n profiles into one (Docker form, canonical when emitted): the rules of
 * every input in input order, a name that an earlier rule already gives the same
 * action under the same conditions left out, argument rules kept; architectures,
 * archMap sub-architectures and flags united.  The inputs must agree on the
 * default action unless opts->default_action says it; architectures in one input
 * and archMap in another are refused (resolve them for a node first).
 *
 * Merging never widens a denial (unless opts->prefer_first): a syscall that one
 * input denies by an unconditional rule (any action but ALLOW and LOG) stays
 * denied though another allows it: the denials of every input come first, and
 * libseccomp keeps the first of two unconditional rules.  Where an input denies
 * a syscall only for some arguments and another allows it unconditionally, the
 * allowing rule becomes rules for the other arguments (the complement of the
 * denial: a0 == 16 denied, a0 != 16 allowed), which cannot overlap the denial;
 * where no rules can say the complement, the syscall keeps only what the denying
 * input allows of it.  Each input whose allowances were held back so gets one
 * warning in diags ("merge-denied") that lists the syscalls.
 *
 * The result is then compiled against every input for opts->target: whatever an
 * input's rule decides without looking at arguments, the merge decides alike,
 * except where another input's unconditional rule for the same syscall comes
 * first (libseccomp keeps the first): each such conflict is a warning in diags.
 * *ret owns its storage (the inputs may be freed first); sf_profile_free() it. */
int sf_profile_merge(sf_profile *const *in, size_t n, const sf_merge_opts *opts, sf_profile **ret,
                     sf_diags *diags, sf_error **err);

#endif
