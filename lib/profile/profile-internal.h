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
} sf_store;

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
