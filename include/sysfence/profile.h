/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence — the profile model: parse every seccomp profile format, check it,
 * resolve it for a node, and write it back out.
 *
 * Every value keeps where it came from (line, column, JSON path) so that each
 * finding can point at the spot.
 */
#ifndef SYSFENCE_PROFILE_H
#define SYSFENCE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sysfence/arch.h>
#include <sysfence/diag.h>
#include <sysfence/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Limits on what a user controls (beyond the document limits of the parsers). */
#define SF_PROFILE_MAX_FILE (16u << 20) /* bytes in one input file */
#define SF_PROFILE_MAX_RULES 16384
#define SF_PROFILE_MAX_NAMES 65536      /* names over all rules */
#define SF_PROFILE_MAX_ARGS 6           /* conditions in one rule */
#define SF_ERRNO_MAX 4095

typedef struct sf_loc {
        unsigned line, col;
        const char *path; /* "syscalls[3].names[5]" */
} sf_loc;

/* In order of precedence when filters stack: the kernel takes the lowest. */
typedef enum sf_action_kind {
        SF_ACT_KILL_PROCESS,
        SF_ACT_KILL_THREAD, /* SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD */
        SF_ACT_TRAP,
        SF_ACT_ERRNO,
        SF_ACT_USER_NOTIF,
        SF_ACT_TRACE,
        SF_ACT_LOG,
        SF_ACT_ALLOW,
} sf_action_kind;

typedef struct sf_action {
        sf_action_kind kind;
        uint32_t data; /* errno for ERRNO (default EPERM), message for TRACE */
} sf_action;

typedef enum sf_op {
        SF_OP_NE,
        SF_OP_LT,
        SF_OP_LE,
        SF_OP_EQ,
        SF_OP_GE,
        SF_OP_GT,
        SF_OP_MASKED_EQ,
} sf_op;

typedef struct sf_arg {
        unsigned index;   /* 0..5 */
        uint64_t value;
        uint64_t value_two;
        sf_op op;
        sf_loc loc;
} sf_arg;

typedef struct sf_filter_cond {
        sf_arch *arches;  /* includes/excludes.arches, as architectures */
        size_t n_arches;
        uint64_t caps;    /* bit per capability */
        unsigned min_kernel_major, min_kernel_minor; /* 0.0 = none */
        bool present;     /* the object was given (and non-empty) */
} sf_filter_cond;

typedef struct sf_rule {
        const char **names;
        sf_loc *name_locs;
        size_t n_names;
        sf_action action;
        bool errno_set;   /* errnoRet given explicitly */
        sf_arg *args;
        size_t n_args;
        sf_filter_cond includes, excludes;
        const char *comment;
        sf_loc loc;
} sf_rule;

typedef struct sf_arch_map {
        sf_arch arch;
        sf_arch *sub;
        size_t n_sub;
        sf_loc loc;
} sf_arch_map;

/* SECCOMP_FILTER_FLAG_* as named in profiles. */
enum {
        SF_FLAG_TSYNC = 1u << 0,
        SF_FLAG_LOG = 1u << 1,
        SF_FLAG_SPEC_ALLOW = 1u << 2,
        SF_FLAG_WAIT_KILLABLE_RECV = 1u << 3,
        SF_FLAG_NEW_LISTENER = 1u << 4,
        SF_FLAG_TSYNC_ESRCH = 1u << 5,
};

typedef enum sf_format {
        SF_FORMAT_DOCKER,    /* Docker/moby JSON */
        SF_FORMAT_OCI,       /* the OCI runtime-spec linux.seccomp object */
        SF_FORMAT_OCI_CONFIG,/* a whole OCI config.json */
        SF_FORMAT_CRD,       /* Security Profiles Operator SeccompProfile */
} sf_format;

typedef struct sf_profile {
        const char *file;        /* as given */
        const char *name;        /* metadata.name for a CRD, else NULL */
        const char *namespace_;  /* metadata.namespace for a CRD, else NULL */
        const char *api_version; /* for a CRD */
        const char **labels;     /* CRD metadata.labels: key, value, key, value... */
        size_t n_labels;         /* pairs */
        const char **annotations;/* CRD metadata.annotations, the same way */
        size_t n_annotations;
        sf_loc name_loc;         /* of metadata.name */
        sf_format format;
        sf_action default_action;
        bool default_errno_set;
        sf_loc default_loc;
        sf_arch *arches;         /* "architectures" */
        size_t n_arches;
        sf_arch_map *arch_map;   /* "archMap" */
        size_t n_arch_map;
        unsigned flags;
        const char *listener_path;
        const char *listener_metadata;
        sf_loc listener_path_loc, listener_metadata_loc;
        sf_rule *rules;
        size_t n_rules;
        const char *base_profile_name; /* CRD spec.baseProfileName; NULL once resolved */
        sf_loc base_loc;         /* of spec.baseProfileName */
        const char *inherited;   /* the bases resolved into the rules, "team-base, runc-v1.1.5"; else NULL */
        bool disabled;           /* CRD spec.disabled */
        void *arena_;            /* owns everything above */
} sf_profile;

/* What loading does with a SeccompProfile's spec.baseProfileName (see inherit.c
 * for the Security Profiles Operator's semantics it follows). */
typedef enum sf_inherit {
        SF_INHERIT_DEFAULT = 0, /* the process default: sf_profile_set_inherit(), else FLATTEN */
        SF_INHERIT_FLATTEN,     /* the rules become the union with every base, as the operator
                                 * installs the profile; baseProfileName is cleared */
        SF_INHERIT_CHECK,       /* every base must resolve, but the object stays as written */
        SF_INHERIT_NONE,        /* not looked at: the object's own rules alone (narrower) */
} sf_inherit;

typedef struct sf_load_opts {
        bool strict;  /* unknown syscall names are errors, not warnings */
        const char *display_name; /* name to use in messages instead of the path */
        sf_inherit inherit;
        /* SeccompProfile files (*.yaml, *.yml, *.json) bases may also come from;
         * NULL: the process default of sf_profile_set_inherit() */
        const char *profiles_dir;
        /* with has_profiles_dirfd: that directory as the caller holds it open
         * (its files are opened below this fd, the path is not opened again) */
        int profiles_dirfd;
        bool has_profiles_dirfd;
        /* who fetches a base "oci://REF"; NULL: the process default of
         * sf_profile_set_oci_puller() (none: such a base is an error) */
        const struct sf_oci_puller *oci;
} sf_load_opts;

/* Fetches the profile a base "oci://REF" names (ref is REF, as written): 0
 * with its bytes in *ret_data (malloc'd, NUL-terminated) and *ret_len;
 * -EINVAL with why in *ret_why (malloc'd, one line, naming the reference, no
 * byte of what a registry answered); -ENOMEM.  lib/profile holds no network
 * code: the caller chooses the puller (the CLI's is sf_artifact_base_pull,
 * the node agent's its own, checked against the admin's registries). */
typedef struct sf_oci_puller {
        int (*pull)(void *ctx, const char *ref, char **ret_data, size_t *ret_len, char **ret_why);
        void *ctx;
} sf_oci_puller;

/* The process-wide puller for loads whose options leave oci NULL (kept, not
 * copied; NULL: none). */
void sf_profile_set_oci_puller(const sf_oci_puller *puller);

/* The process-wide default for loads whose options leave inherit at DEFAULT or
 * profiles_dir NULL (the CLI's --no-inherit and --profiles-dir).  dir is kept,
 * not copied. */
void sf_profile_set_inherit(sf_inherit mode, const char *profiles_dir);

/* The Security Profiles Operator names a runtime's base profile "runc-v1.1.5";
 * sysfence maps the names of the runtime versions its base sets were measured
 * on (lib/record/base.c) to those sets.  sf_profile_runtime_base(i) lists them
 * (NULL at the end), with the runtime ("runc") in *ret_runtime. */
const char *sf_profile_runtime_base(size_t i, const char **ret_runtime);
/* The base name for a runtime ("runc" -> "runc-v1.1.5"); NULL if none. */
const char *sf_profile_runtime_base_for(const char *runtime);

/* Loads every profile in a file (a Docker/OCI JSON, an OCI config.json, or one
 * or many SPO SeccompProfile YAML documents), each SeccompProfile's
 * baseProfileName resolved as opts->inherit says (bases from the same file,
 * opts->profiles_dir, or a runtime base name).  Problems with the input go to
 * diags (may be NULL); on an error, *err says the first one and -EINVAL returns.
 * On success *ret_profiles is an array of *ret_n profiles. */
int sf_profile_load_file(const char *path, const sf_load_opts *opts, sf_profile ***ret_profiles,
                         size_t *ret_n, sf_diags *diags, sf_error **err);
int sf_profile_load_data(const char *data, size_t len, const char *name, const sf_load_opts *opts,
                         sf_profile ***ret_profiles, size_t *ret_n, sf_diags *diags, sf_error **err);
void sf_profile_free(sf_profile *p);
void sf_profiles_free(sf_profile **v, size_t n);

/* Semantic checks beyond what loading rejects: conflicting actions, no-op rules,
 * execve not allowed, fields containerd ignores, MASKED_EQ datum bits outside the
 * mask, unknown names (error when opts->strict).  Adds findings to diags. */
void sf_profile_check(const sf_profile *p, const sf_load_opts *opts, sf_diags *diags);
/* What runc and crun (libseccomp) do with it on these arches (n 0: this
 * machine's and the profile's): rules they refuse or hang on (errors), rules
 * libseccomp < 2.6.1 decides differently, overlapping rules. */
void sf_profile_check_runtimes(const sf_profile *p, const sf_arch *arches, size_t n, sf_diags *diags);

/* The node a profile is resolved for. */
typedef struct sf_target {
        sf_arch arch;          /* the node's native arch; NONE: this machine's */
        uint64_t caps;         /* capabilities held */
        unsigned kernel_major, kernel_minor; /* 0.0: this machine's */
} sf_target;

/* A target with this machine's arch and kernel and the default capability set. */
void sf_target_default(sf_target *t);

/* The plain form of p for target t: archMap replaced by the architectures the
 * runtime would load (t->arch and its sub-arches), includes/excludes evaluated and
 * dropped.  A profile with neither stays as it is. */
int sf_profile_resolve(const sf_profile *p, const sf_target *t, sf_profile **ret, sf_error **err);

/* Drops, from a resolved profile, the names that can never decide: for each
 * syscall the first unconditional rule with a non-default action wins over every
 * other rule naming it (libseccomp's semantics), so those other mentions go, and
 * rules left without names go too.  The decisions do not change. */
int sf_profile_prune_shadowed(sf_profile *p, size_t *ret_removed, sf_error **err);

/* Canonical output: stable key and name order, byte-for-byte deterministic. */
int sf_profile_emit(const sf_profile *p, sf_format format, char **ret_text, sf_error **err);

/* Complain mode, then enforce (lib/profile/mode.c): the default action of an
 * allowlist while it is tried (SCMP_ACT_LOG: everything runs, what the rules
 * lack is logged) and once it is trusted (SCMP_ACT_ERRNO, EPERM). */
typedef enum sf_profile_mode { SF_MODE_COMPLAIN, SF_MODE_ENFORCE } sf_profile_mode;
sf_action sf_profile_mode_action(sf_profile_mode mode);
/* Sets p's default action (its rules are kept). */
void sf_profile_set_default_action(sf_profile *p, sf_action a);
/* "SCMP_ACT_ERRNO", "ERRNO", "SCMP_ACT_ERRNO(38)", "SCMP_ACT_ERRNO(ENOSYS)", "SCMP_ACT_LOG"...:
 * 0 with *ret, or -EINVAL with the reason. */
int sf_action_parse(const char *s, sf_action *ret, sf_error **err);

/* The runtimes' default profiles, built in: "containerd", "docker", "podman".
 * NULL for an unknown name.  sf_builtin_profile_name(i) lists them (NULL at the end). */
#define SF_BUILTIN_DEFAULT "containerd"
const char *sf_builtin_profile(const char *name, size_t *ret_len);
const char *sf_builtin_profile_name(size_t i);

const char *sf_action_name(sf_action_kind kind); /* "SCMP_ACT_ALLOW" */
const char *sf_op_name(sf_op op);                /* "SCMP_CMP_EQ" */

/* ---- intersection (sysfence intersect) ---- */
typedef struct sf_intersect_opts {
        sf_target target;      /* includes/excludes and the native arch; zero: this machine */
        const sf_arch *arches; /* compile every input for exactly these; NULL: as each loads */
        size_t n_arches;
        bool approximate;      /* an inexpressible syscall: unconditional, most restrictive */
        const char *name;      /* the result's name in messages */
} sf_intersect_opts;

/* --explain: one line per syscall where the inputs differ, saying what each
 * decides, the result and which inputs took something away. */
typedef struct sf_intersect_report {
        char **lines;
        size_t n;
} sf_intersect_report;

/* The profile that decides, per (arch, syscall, argument values), the most
 * restrictive of the inputs' decisions (the kernel's precedence; of equal
 * actions the earlier input's errno), written with rules that never overlap
 * where their actions differ.  Refuses (-EINVAL, naming the syscall) what a
 * profile cannot say exactly, unless opts->approximate.  The result is compiled
 * and checked against the inputs before it is returned.  report may be NULL. */
int sf_profile_intersect(sf_profile *const *in, size_t n, const sf_intersect_opts *opts, sf_profile **ret,
                         sf_intersect_report *report, sf_diags *diags, sf_error **err);
void sf_intersect_report_release(sf_intersect_report *r);

#ifdef __cplusplus
}
#endif
#endif
