/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "arch/caps.h"
#include "util/util.h"

/* Numbers from <linux/capability.h>; the table is indexed by them. */
static const char *const cap_names[SF_CAP_LAST + 1] = {
        [0]  = "CAP_CHOWN",
        [1]  = "CAP_DAC_OVERRIDE",
        [2]  = "CAP_DAC_READ_SEARCH",
        [3]  = "CAP_FOWNER",
        [4]  = "CAP_FSETID",
        [5]  = "CAP_KILL",
        [6]  = "CAP_SETGID",
        [7]  = "CAP_SETUID",
        [8]  = "CAP_SETPCAP",
        [9]  = "CAP_LINUX_IMMUTABLE",
        [10] = "CAP_NET_BIND_SERVICE",
        [11] = "CAP_NET_BROADCAST",
        [12] = "CAP_NET_ADMIN",
        [13] = "CAP_NET_RAW",
        [14] = "CAP_IPC_LOCK",
        [15] = "CAP_IPC_OWNER",
        [16] = "CAP_SYS_MODULE",
        [17] = "CAP_SYS_RAWIO",
        [18] = "CAP_SYS_CHROOT",
        [19] = "CAP_SYS_PTRACE",
        [20] = "CAP_SYS_PACCT",
        [21] = "CAP_SYS_ADMIN",
        [22] = "CAP_SYS_BOOT",
        [23] = "CAP_SYS_NICE",
        [24] = "CAP_SYS_RESOURCE",
        [25] = "CAP_SYS_TIME",
        [26] = "CAP_SYS_TTY_CONFIG",
        [27] = "CAP_MKNOD",
        [28] = "CAP_LEASE",
        [29] = "CAP_AUDIT_WRITE",
        [30] = "CAP_AUDIT_CONTROL",
        [31] = "CAP_SETFCAP",
        [32] = "CAP_MAC_OVERRIDE",
        [33] = "CAP_MAC_ADMIN",
        [34] = "CAP_SYSLOG",
        [35] = "CAP_WAKE_ALARM",
        [36] = "CAP_BLOCK_SUSPEND",
        [37] = "CAP_AUDIT_READ",
        [38] = "CAP_PERFMON",
        [39] = "CAP_BPF",
        [40] = "CAP_CHECKPOINT_RESTORE",
};

#define CAP_BIT(n) (UINT64_C(1) << (n))

int sf_cap_from_name(const char *name)
{
        if (!name)
                return -1;
        for (int i = 0; i <= SF_CAP_LAST; i++)
                if (strcmp(name, cap_names[i]) == 0)
                        return i;
        return -1;
}

const char *sf_cap_name(int cap)
{
        return cap >= 0 && cap <= SF_CAP_LAST ? cap_names[cap] : NULL;
}

/* Number of the capability spelled name[0..len) with or without "CAP_", in any
 * case; -1 when unknown. */
static int cap_lookup_loose(const char *name, size_t len)
{
        if (len >= 4 && strncasecmp(name, "CAP_", 4) == 0) {
                name += 4;
                len -= 4;
        }
        for (int i = 0; i <= SF_CAP_LAST; i++) {
                const char *bare = cap_names[i] + 4;
                if (strlen(bare) == len && strncasecmp(name, bare, len) == 0)
                        return i;
        }
        return -1;
}

const char *sf_cap_suggest(const char *name)
{
        if (!name || sf_cap_from_name(name) >= 0)
                return NULL;
        int cap = cap_lookup_loose(name, strlen(name));
        if (cap >= 0)
                return cap_names[cap];

        const char *best = NULL;
        unsigned best_d = 3;  /* at most 2 edits */
        for (int i = 0; i <= SF_CAP_LAST && best_d > 1; i++) {
                unsigned d = sf_edit_distance(name, cap_names[i], 2);
                if (d < best_d) {
                        best_d = d;
                        best = cap_names[i];
                }
        }
        return best;
}

uint64_t sf_caps_default(void)
{
        /* The set Docker (moby) and containerd grant a container by default. */
        return CAP_BIT(0)  /* CHOWN */
             | CAP_BIT(1)  /* DAC_OVERRIDE */
             | CAP_BIT(3)  /* FOWNER */
             | CAP_BIT(4)  /* FSETID */
             | CAP_BIT(5)  /* KILL */
             | CAP_BIT(6)  /* SETGID */
             | CAP_BIT(7)  /* SETUID */
             | CAP_BIT(8)  /* SETPCAP */
             | CAP_BIT(10) /* NET_BIND_SERVICE */
             | CAP_BIT(13) /* NET_RAW */
             | CAP_BIT(18) /* SYS_CHROOT */
             | CAP_BIT(27) /* MKNOD */
             | CAP_BIT(29) /* AUDIT_WRITE */
             | CAP_BIT(31) /* SETFCAP */;
}

uint64_t sf_caps_all(void)
{
        return CAP_BIT(SF_CAP_LAST + 1) - 1;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t';
}

int sf_caps_parse(const char *list, uint64_t *ret, const char **ret_bad)
{
        if (!list)
                return -EINVAL;

        uint64_t caps = 0;
        const char *p = list;
        for (;;) {
                const char *end = p + strcspn(p, ",");
                const char *s = p, *e = end;
                while (s < e && is_space(*s))
                        s++;
                while (e > s && is_space(e[-1]))
                        e--;
                size_t len = (size_t)(e - s);
                int cap;

                if (len == 7 && strncasecmp(s, "default", len) == 0) {
                        caps |= sf_caps_default();
                } else if (len == 3 && strncasecmp(s, "all", len) == 0) {
                        caps |= sf_caps_all();
                } else if (len == 4 && strncasecmp(s, "none", len) == 0) {
                        /* adds nothing: "none,net_admin" reads better than "net_admin" */
                } else if (len > 0 && (cap = cap_lookup_loose(s, len)) >= 0) {
                        caps |= CAP_BIT(cap);
                } else {
                        /* an empty item too: "a,,b" or "" is a mistake, not "none" */
                        if (ret_bad)
                                *ret_bad = s;
                        return -EINVAL;
                }

                if (*end == '\0')
                        break;
                p = end + 1;
        }
        *ret = caps;
        return 0;
}
