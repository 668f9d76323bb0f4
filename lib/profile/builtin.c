/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runtimes' default profiles, embedded at build time (profiles/). */
#include <string.h>

#include "profile/profile-internal.h"

extern const struct {
        const char *name;
        const char *text;
        size_t len;
} sf_builtin_profiles[];

SF_EXPORT const char *sf_builtin_profile(const char *name, size_t *ret_len)
{
        for (size_t i = 0; sf_builtin_profiles[i].name; i++)
                if (strcmp(sf_builtin_profiles[i].name, name) == 0) {
                        if (ret_len)
                                *ret_len = sf_builtin_profiles[i].len;
                        return sf_builtin_profiles[i].text;
                }
        return NULL;
}

SF_EXPORT const char *sf_builtin_profile_name(size_t i)
{
        for (size_t k = 0; sf_builtin_profiles[k].name; k++)
                if (k == i)
                        return sf_builtin_profiles[k].name;
        return NULL;
}
