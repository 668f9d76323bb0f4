/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Just enough of a BTF reader to find where a kernel struct keeps a field:
 * the eBPF recorder reads a handful of fields and asks here for their offsets
 * instead of having libbpf parse all of /sys/kernel/btf/vmlinux for CO-RE. */
#ifndef SF_RECORD_BTF_H
#define SF_RECORD_BTF_H

#include <stddef.h>
#include <stdint.h>

struct sf_error;
typedef struct sf_btf sf_btf;

/* Maps (or reads, where the kernel cannot map it) a BTF file; path NULL is
 * the running kernel's, /sys/kernel/btf/vmlinux.  Errors name the file and,
 * for a malformed one, the byte where it goes wrong. */
int sf_btf_open(const char *path, sf_btf **ret, struct sf_error **err);
void sf_btf_free(sf_btf *btf);

/* The byte offset of a field of struct (or union) `type`: `field` may be a
 * path through nested structs ("thread_info.status"); members of anonymous
 * structs and unions are found as the compiler finds them.  -ENOENT with err
 * naming what is missing; -EINVAL for a bit-field, or for a type record
 * this reader cannot take on the way (types are read as far as a lookup
 * needs, so such a record is found by the lookup, not by sf_btf_open). */
int sf_btf_field_offset(sf_btf *btf, const char *type, const char *field, uint32_t *ret,
                        struct sf_error **err);
/* The size of struct (or union) `type`. */
int sf_btf_struct_size(sf_btf *btf, const char *type, uint32_t *ret, struct sf_error **err);

#endif
