/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef SF_PROFILE_INTERNAL_H
#define SF_PROFILE_INTERNAL_H

#include "sysfence/profile.h"
#include "util/util.h"

/* Storage shared by the profiles loaded from one file (a YAML file may hold many):
 * the document arena, whose strings the profiles point into, plus their own. */
typedef struct sf_store {
        sf_arena arena;
        unsigned refs;
        /* other files' stores whose rules profiles of this one share (bases read
         * from a --profiles-dir): a reference each, dropped with this store */
        struct sf_store **kept;
        size_t n_kept;
} sf_store;

/* Drops a reference; the last one frees the store and what it keeps. */
void sf_store_unref(sf_store *s);
/* s keeps other alive (takes a reference). */
int sf_store_keep(sf_store *s, sf_store *other);

/* Resolves spec.baseProfileName for the n profiles just loaded from `file`
 * (inherit.c).  Problems go to d; -EINVAL or -ENOMEM. */
int sf_profile_inherit(sf_profile **v, size_t n, const char *file, const sf_load_opts *opts, sf_diags *d);

static inline sf_arena *profile_arena(const sf_profile *p) { return &((sf_store *)p->arena_)->arena; }

/* Allocates a profile sharing `store` (takes a reference). */
sf_profile *sf_profile_new(sf_store *store);

/* errno names ("EPERM") ↔ numbers, for the string errno fields. */
int sf_errno_from_name(const char *name);
const char *sf_errno_name(int e);
const char *sf_errno_suggest(const char *name);

/* "syscalls[3].names[5]" for a rule's j-th name, into buf. */
const char *sf_rule_name_path(const sf_rule *r, size_t j, char *buf, size_t size);

sf_action_kind sf_action_from_name(const char *s, bool *ok);
#endif
