/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* errno names, for the "errno"/"defaultErrno" strings of containers-common profiles. */
#include <errno.h>
#include <string.h>

#include "profile/profile-internal.h"

static const struct {
        const char *name;
        int value;
} errnos[] = {
        { "EPERM", EPERM },
        { "ENOENT", ENOENT },
        { "ESRCH", ESRCH },
        { "EINTR", EINTR },
        { "EIO", EIO },
        { "ENXIO", ENXIO },
        { "E2BIG", E2BIG },
        { "ENOEXEC", ENOEXEC },
        { "EBADF", EBADF },
        { "ECHILD", ECHILD },
        { "EAGAIN", EAGAIN },
        { "ENOMEM", ENOMEM },
        { "EACCES", EACCES },
        { "EFAULT", EFAULT },
        { "ENOTBLK", ENOTBLK },
        { "EBUSY", EBUSY },
        { "EEXIST", EEXIST },
        { "EXDEV", EXDEV },
        { "ENODEV", ENODEV },
        { "ENOTDIR", ENOTDIR },
        { "EISDIR", EISDIR },
        { "EINVAL", EINVAL },
        { "ENFILE", ENFILE },
        { "EMFILE", EMFILE },
        { "ENOTTY", ENOTTY },
        { "ETXTBSY", ETXTBSY },
        { "EFBIG", EFBIG },
        { "ENOSPC", ENOSPC },
        { "ESPIPE", ESPIPE },
        { "EROFS", EROFS },
        { "EMLINK", EMLINK },
        { "EPIPE", EPIPE },
        { "EDOM", EDOM },
        { "ERANGE", ERANGE },
        { "EDEADLK", EDEADLK },
        { "ENAMETOOLONG", ENAMETOOLONG },
        { "ENOLCK", ENOLCK },
        { "ENOSYS", ENOSYS },
        { "ENOTEMPTY", ENOTEMPTY },
        { "ELOOP", ELOOP },
        { "ENOMSG", ENOMSG },
        { "EIDRM", EIDRM },
        { "ECHRNG", ECHRNG },
        { "EL2NSYNC", EL2NSYNC },
        { "EL3HLT", EL3HLT },
        { "EL3RST", EL3RST },
        { "ELNRNG", ELNRNG },
        { "EUNATCH", EUNATCH },
        { "ENOCSI", ENOCSI },
        { "EL2HLT", EL2HLT },
        { "EBADE", EBADE },
        { "EBADR", EBADR },
        { "EXFULL", EXFULL },
        { "ENOANO", ENOANO },
        { "EBADRQC", EBADRQC },
        { "EBADSLT", EBADSLT },
        { "EBFONT", EBFONT },
        { "ENOSTR", ENOSTR },
        { "ENODATA", ENODATA },
        { "ETIME", ETIME },
        { "ENOSR", ENOSR },
        { "ENONET", ENONET },
        { "ENOPKG", ENOPKG },
        { "EREMOTE", EREMOTE },
        { "ENOLINK", ENOLINK },
        { "EADV", EADV },
        { "ESRMNT", ESRMNT },
        { "ECOMM", ECOMM },
        { "EPROTO", EPROTO },
        { "EMULTIHOP", EMULTIHOP },
        { "EDOTDOT", EDOTDOT },
        { "EBADMSG", EBADMSG },
        { "EOVERFLOW", EOVERFLOW },
        { "ENOTUNIQ", ENOTUNIQ },
        { "EBADFD", EBADFD },
        { "EREMCHG", EREMCHG },
        { "ELIBACC", ELIBACC },
        { "ELIBBAD", ELIBBAD },
        { "ELIBSCN", ELIBSCN },
        { "ELIBMAX", ELIBMAX },
        { "ELIBEXEC", ELIBEXEC },
        { "EILSEQ", EILSEQ },
        { "ERESTART", ERESTART },
        { "ESTRPIPE", ESTRPIPE },
        { "EUSERS", EUSERS },
        { "ENOTSOCK", ENOTSOCK },
        { "EDESTADDRREQ", EDESTADDRREQ },
        { "EMSGSIZE", EMSGSIZE },
        { "EPROTOTYPE", EPROTOTYPE },
        { "ENOPROTOOPT", ENOPROTOOPT },
        { "EPROTONOSUPPORT", EPROTONOSUPPORT },
        { "ESOCKTNOSUPPORT", ESOCKTNOSUPPORT },
        { "EOPNOTSUPP", EOPNOTSUPP },
        { "EPFNOSUPPORT", EPFNOSUPPORT },
        { "EAFNOSUPPORT", EAFNOSUPPORT },
        { "EADDRINUSE", EADDRINUSE },
        { "EADDRNOTAVAIL", EADDRNOTAVAIL },
        { "ENETDOWN", ENETDOWN },
        { "ENETUNREACH", ENETUNREACH },
        { "ENETRESET", ENETRESET },
        { "ECONNABORTED", ECONNABORTED },
        { "ECONNRESET", ECONNRESET },
        { "ENOBUFS", ENOBUFS },
        { "EISCONN", EISCONN },
        { "ENOTCONN", ENOTCONN },
        { "ESHUTDOWN", ESHUTDOWN },
        { "ETOOMANYREFS", ETOOMANYREFS },
        { "ETIMEDOUT", ETIMEDOUT },
        { "ECONNREFUSED", ECONNREFUSED },
        { "EHOSTDOWN", EHOSTDOWN },
        { "EHOSTUNREACH", EHOSTUNREACH },
        { "EALREADY", EALREADY },
        { "EINPROGRESS", EINPROGRESS },
        { "ESTALE", ESTALE },
        { "EUCLEAN", EUCLEAN },
        { "ENOTNAM", ENOTNAM },
        { "ENAVAIL", ENAVAIL },
        { "EISNAM", EISNAM },
        { "EREMOTEIO", EREMOTEIO },
        { "EDQUOT", EDQUOT },
        { "ENOMEDIUM", ENOMEDIUM },
        { "EMEDIUMTYPE", EMEDIUMTYPE },
        { "ECANCELED", ECANCELED },
        { "ENOKEY", ENOKEY },
        { "EKEYEXPIRED", EKEYEXPIRED },
        { "EKEYREVOKED", EKEYREVOKED },
        { "EKEYREJECTED", EKEYREJECTED },
        { "EOWNERDEAD", EOWNERDEAD },
        { "ENOTRECOVERABLE", ENOTRECOVERABLE },
        { "ERFKILL", ERFKILL },
        { "EHWPOISON", EHWPOISON },
};

int sf_errno_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
                if (strcmp(errnos[i].name, name) == 0)
                        return errnos[i].value;
        return -1;
}

const char *sf_errno_name(int e)
{
        for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
                if (errnos[i].value == e)
                        return errnos[i].name;
        return NULL;
}

const char *sf_errno_suggest(const char *name)
{
        const char *best = NULL;
        unsigned bestd = 3;
        for (size_t i = 0; i < ARRAY_SIZE(errnos); i++) {
                unsigned d = sf_edit_distance(name, errnos[i].name, 2);
                if (d < bestd) {
                        bestd = d;
                        best = errnos[i].name;
                }
        }
        return best;
}
