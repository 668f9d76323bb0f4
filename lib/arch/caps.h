/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Linux capabilities by name, for includes.caps/excludes.caps and for the set of
 * capabilities a target container holds.  Internal to the library. */
#ifndef SF_ARCH_CAPS_H
#define SF_ARCH_CAPS_H

#include <stdint.h>

#define SF_CAP_LAST 40  /* CAP_CHECKPOINT_RESTORE, Linux 5.9 */

/* Capability number of `name`, spelled as in profiles and OCI configs: "CAP_SYS_ADMIN"
 * (exact, upper case).  -1 when unknown. */
int sf_cap_from_name(const char *name);
/* "CAP_SYS_ADMIN" for 21; NULL when out of range. */
const char *sf_cap_name(int cap);
/* The name `name` was probably meant to be: the same name in another case or without
 * "CAP_", else the closest one at most 2 edits away.  NULL if none, or if `name` is
 * already a valid name. */
const char *sf_cap_suggest(const char *name);

/* Bit (1 << cap) for each capability held. */
uint64_t sf_caps_default(void);  /* what Docker and containerd grant by default */
uint64_t sf_caps_all(void);      /* CAP_CHOWN .. SF_CAP_LAST */

/* Parses a user's list: "default", "all", "none", or capability names with or
 * without "CAP_", in any case, separated by commas and combined, as in
 * "default,CAP_SYS_ADMIN" or "none,net_admin".  Spaces around an item are ignored.
 * Returns 0 and sets *ret, or -EINVAL and points *ret_bad (if not NULL) at the first
 * bad item inside `list`; the item ends at the next ',' or at the end. */
int sf_caps_parse(const char *list, uint64_t *ret, const char **ret_bad);

#endif
