/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysfence diff: what each of two profiles allows that the other does not, per
 * arch, from their compiled decisions. */
#include <string.h>

#include "cli.h"
#include "sysfence/bpf.h"

static const char usage[] =
        "usage: sysfence diff A B [--arch LIST] [--caps LIST] [--kernel X.Y] [--json]\n"
        "\n"
        "Compile both profiles for the same node and compare, for every syscall each\n"
        "arch knows, what they decide with zero arguments and whether the decision\n"
        "depends on the arguments.  Per arch it lists the syscalls allowed only by A,\n"
        "those allowed only by B, those with different actions (ERRNO(1) against\n"
        "ERRNO(38), KILL_PROCESS against ERRNO(1)), and those whose argument rules\n"
        "differ or that depend on their arguments in one profile only.  Different\n"
        "default actions are reported too.\n"
        "\n"
        "  --arch LIST    arches, e.g. amd64,x86,x32 (default: those each profile's\n"
        "                 filter holds on this machine, united)\n"
        "  --caps LIST    capabilities for includes/excludes (default: default)\n"
        "  --kernel X.Y   kernel version for minKernel (default: this machine's)\n"
        "  --json         machine-readable output\n"
        "  -h, --help     show this help\n"
        "\n"
        "exit status (as diff(1)): 0 the profiles decide alike, 1 they differ, 2 a\n"
        "usage error or an input that cannot be read or compiled.  Where only the\n"
        "default actions differ, one line says so.\n"
        "\n"
        "examples:\n"
        "  sysfence diff moby-default.json containers-common-seccomp.json\n"
        "  sysfence diff old.json new.json --arch amd64 --json\n";

typedef struct side {
        const char *file;
        sf_profile *p;
        sf_profile *rp;  /* resolved for the node: the rules that apply there */
        sf_prog *prog;
} side;

/* What one side does with one syscall. */
typedef struct decision {
        sf_action action;  /* with zero arguments */
        bool conditional;
        bool bad_arch;
        char *text;        /* "ALLOW", or "ALLOW if arg0 == 0x0; else ERRNO(1)" (malloc'd) */
} decision;

enum { D_ONLY_A, D_ONLY_B, D_ACTIONS, D_CONDITIONS, D__COUNT };

static const char *const kind_key[D__COUNT] = {
        "allowed_only_by_a", "allowed_only_by_b", "different_actions", "different_conditions",
};

static bool same_action(sf_action a, sf_action b)
{
        return a.kind == b.kind && ((a.kind != SF_ACT_ERRNO && a.kind != SF_ACT_TRACE) || a.data == b.data);
}

static const char *act(sf_action a, char *buf, size_t size) { return sf_ret_name(sf_action_ret(a), buf, size); }

static const char *op_sym(sf_op op)
{
        switch (op) {
        case SF_OP_NE: return "!=";
        case SF_OP_LT: return "<";
        case SF_OP_LE: return "<=";
        case SF_OP_EQ: return "==";
        case SF_OP_GE: return ">=";
        case SF_OP_GT: return ">";
        case SF_OP_MASKED_EQ: return "==";
        }
        return "?";
}

static bool names_has(const sf_rule *r, const char *name)
{
        for (size_t j = 0; j < r->n_names; j++)
                if (strcmp(r->names[j], name) == 0)
                        return true;
        return false;
}


static const char *const socket_calls[] = {
        "socket", "bind", "connect", "listen", "accept", "getsockname", "getpeername",
        "socketpair", "send", "recv", "sendto", "recvfrom", "shutdown", "setsockopt",
        "getsockopt", "sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg", NULL,
};
static const char *const ipc_calls[] = {
        "semop", "semget", "semctl", "semtimedop", "msgsnd", "msgrcv",
        "msgget", "msgctl", "shmat", "shmdt", "shmget", "shmctl", NULL,
};

/* " if arg0 == 0x1 && arg1 & 0xff == 0x8" */
static void args_text(sf_buf *b, const sf_rule *r)
{
        for (size_t k = 0; k < r->n_args; k++) {
                const sf_arg *g = &r->args[k];
                sf_buf_printf(b, "%sarg%u ", k ? " && " : " if ", g->index);
                if (g->op == SF_OP_MASKED_EQ)
                        sf_buf_printf(b, "& 0x%jx ", (uintmax_t)g->value);
                sf_buf_printf(b, "%s 0x%jx", op_sym(g->op),
                              (uintmax_t)(g->op == SF_OP_MASKED_EQ ? g->value_two : g->value));
        }
}

/* The rules of the calls muxed through socketcall/ipc, as "accept4: ALLOW". */
static void muxed_text(sf_buf *b, const sf_profile *rp, const char *const *calls, size_t *n)
{
        char ab[32];
        for (const char *const *c = calls; *c; c++)
                for (size_t i = 0; i < rp->n_rules; i++) {
                        const sf_rule *r = &rp->rules[i];
                        if (same_action(r->action, rp->default_action) || !names_has(r, *c))
                                continue;
                        sf_buf_printf(b, "%s%s: %s", (*n)++ ? "; " : "", *c, act(r->action, ab, sizeof(ab)));
                        args_text(b, r);
                }
}

/* Whether the "; "-separated list [s, end) holds the entry e. */
static bool list_has(const char *s, const char *end, const char *e, size_t len)
{
        while (s < end) {
                const char *sep = strstr(s, "; ");
                const char *stop = sep && sep < end ? sep : end;
                if ((size_t)(stop - s) == len && memcmp(s, e, len) == 0)
                        return true;
                s = stop + 2;
        }
        return false;
}

/* The argument rules that apply to `name`, as text in rule order, each once,
 * then the fallback. */
static void conditions_text(sf_buf *b, const sf_profile *rp, sf_arch arch, const char *name)
{
        char ab[32];
        size_t n = 0;
        if (sf_arch_muxes(arch) && strcmp(name, "socketcall") == 0)
                muxed_text(b, rp, socket_calls, &n);
        else if (sf_arch_muxes(arch) && strcmp(name, "ipc") == 0)
                muxed_text(b, rp, ipc_calls, &n);
        size_t start = b->len;
        for (size_t i = 0; i < rp->n_rules; i++) {
                const sf_rule *r = &rp->rules[i];
                if (!r->n_args || same_action(r->action, rp->default_action) || !names_has(r, name))
                        continue;
                sf_buf one = { 0 };
                sf_buf_puts(&one, act(r->action, ab, sizeof(ab)));
                args_text(&one, r);
                /* the same conditions in another rule add nothing */
                if (!one.oom && !b->oom && !list_has(b->s ? b->s + start : "", b->s ? b->s + b->len : "", one.s,
                                                     one.len)) {
                        sf_buf_printf(b, "%s%s", n++ ? "; " : "", one.s);
                }
                b->oom |= one.oom;
                sf_buf_release(&one);
        }
        sf_buf_printf(b, "%selse %s", n ? "; " : "", act(rp->default_action, ab, sizeof(ab)));
}

static void decide(const side *s, sf_arch arch, int nr, const char *name, decision *d)
{
        sf_verdict v;
        sf_prog_lookup(s->prog, sf_arch_audit(arch), (uint32_t)nr, NULL, &v);
        char ab[32];
        sf_buf b = { 0 };
        *d = (decision){ .action = v.action, .conditional = v.conditional, .bad_arch = v.bad_arch };
        if (v.conditional)
                conditions_text(&b, s->rp, arch, name);
        else
                sf_buf_puts(&b, act(v.action, ab, sizeof(ab)));
        d->text = sf_buf_steal(&b);
}

/* One difference, for the lists. */
typedef struct entry {
        int nr;
        const char *name;
        int kind;
        char *a, *b;              /* the decisions as text */
        sf_action aa, ba;         /* as actions, where not conditional */
        bool a_cond, b_cond;
} entry;

typedef struct arch_diff {
        sf_arch arch;
        bool in_a, in_b;
        sf_action missing;  /* what the filter without the arch returns there */
        entry *v;
        size_t n, cap;
        bool oom;
        size_t count[D__COUNT];
} arch_diff;

static void add_entry(arch_diff *ad, int kind, int nr, const char *name, decision *da, decision *db)
{
        if (ad->n == ad->cap) {
                size_t cap = ad->cap ? 2 * ad->cap : 64;
                entry *v = realloc(ad->v, cap * sizeof(*v));
                if (!v) {
                        ad->oom = true;
                        return;
                }
                ad->v = v;
                ad->cap = cap;
        }
        ad->v[ad->n++] = (entry){ .nr = nr, .name = name, .kind = kind, .a = TAKE_PTR(da->text),
                                  .b = TAKE_PTR(db->text), .aa = da->action, .ba = db->action,
                                  .a_cond = da->conditional, .b_cond = db->conditional };
        ad->count[kind]++;
}

static void compare_arch(const side *a, const side *b, arch_diff *ad)
{
        size_t count = sf_syscall_count(ad->arch);
        for (size_t i = 0; i < count; i++) {
                int nr;
                const char *name;
                if (!sf_syscall_at(ad->arch, i, &nr, &name))
                        continue;
                decision da, db;
                decide(a, ad->arch, nr, name, &da);
                decide(b, ad->arch, nr, name, &db);
                if (da.bad_arch || db.bad_arch)
                        ad->missing = da.bad_arch ? da.action : db.action;
                if (!da.text || !db.text) {
                        ad->oom = true;
                } else if (da.bad_arch != db.bad_arch) {
                        /* one filter lacks the arch: only what the other lets through */
                        const decision *in = da.bad_arch ? &db : &da;
                        if (in->conditional)
                                add_entry(ad, D_CONDITIONS, nr, name, &da, &db);
                        else if (in->action.kind == SF_ACT_ALLOW)
                                add_entry(ad, da.bad_arch ? D_ONLY_B : D_ONLY_A, nr, name, &da, &db);
                } else if (!da.conditional && !db.conditional) {
                        if (!same_action(da.action, db.action)) {
                                int kind = da.action.kind == SF_ACT_ALLOW   ? D_ONLY_A
                                           : db.action.kind == SF_ACT_ALLOW ? D_ONLY_B
                                                                            : D_ACTIONS;
                                add_entry(ad, kind, nr, name, &da, &db);
                        }
                } else if (da.conditional != db.conditional || strcmp(da.text, db.text) != 0) {
                        add_entry(ad, D_CONDITIONS, nr, name, &da, &db);
                }
                free(da.text);
                free(db.text);
        }
}

static bool prog_has(const sf_prog *prog, sf_arch arch)
{
        for (size_t i = 0; i < prog->n_arches; i++)
                if (prog->arches[i] == arch)
                        return true;
        return false;
}

/* "  title (n): a b c", wrapped under the title. */
static void print_names(const char *title, const arch_diff *ad, int kind)
{
        if (!ad->count[kind])
                return;
        int w = printf("  %s (%zu):", title, ad->count[kind]);
        size_t col = w > 0 ? (size_t)w : 0;
        for (size_t i = 0; i < ad->n; i++) {
                if (ad->v[i].kind != kind)
                        continue;
                size_t len = strlen(ad->v[i].name);
                if (col + len + 1 > 78) {
                        printf("\n     ");
                        col = 5;
                }
                printf(" %s", ad->v[i].name);
                col += len + 1;
        }
        printf("\n");
}

/* Whether the entry is only the two default actions meeting: a call neither
 * profile names, or the same argument rules falling through to each default. */
static bool by_defaults(const entry *e, const char *da, const char *db)
{
        if (!da)
                return false;
        if (e->kind == D_ACTIONS)
                return strcmp(e->a, da) == 0 && strcmp(e->b, db) == 0;
        if (e->kind != D_CONDITIONS)
                return false;
        size_t la = strlen(e->a), lb = strlen(e->b), lda = strlen(da), ldb = strlen(db);
        if (la < lda + 5 || lb < ldb + 5 || la - lda != lb - ldb)
                return false;
        size_t prefix = la - lda;
        return strcmp(e->a + prefix, da) == 0 && strcmp(e->b + prefix, db) == 0 &&
               strncmp(e->a + prefix - 5, "else ", 5) == 0 && strncmp(e->a, e->b, prefix) == 0;
}

static void print_pairs(const char *title, const arch_diff *ad, int kind)
{
        if (!ad->count[kind])
                return;
        printf("  %s (%zu):\n", title, ad->count[kind]);
        for (size_t i = 0; i < ad->n; i++) {
                const entry *e = &ad->v[i];
                if (e->kind != kind)
                        continue;
                if (kind == D_ACTIONS)
                        printf("    %s: %s / %s\n", e->name, e->a, e->b);
                else
                        printf("    %s:\n      A: %s\n      B: %s\n", e->name, e->a, e->b);
        }
}

static void print_text(const side *a, const side *b, const arch_diff *ads, size_t n_ads)
{
        char ab[32], bb[32];
        printf("A: %s (default %s)\n", a->file, act(a->prog->default_action, ab, sizeof(ab)));
        printf("B: %s (default %s)\n", b->file, act(b->prog->default_action, bb, sizeof(bb)));
        /* with different defaults, every call no rule names differs: where nothing
         * else does, one line says so instead of listing them all */
        bool defaults_differ = !same_action(a->prog->default_action, b->prog->default_action);
        const char *da = defaults_differ ? ab : NULL, *db = defaults_differ ? bb : NULL;
        size_t other = 0, unnamed = 0;
        for (size_t i = 0; i < n_ads; i++) {
                other += !ads[i].in_a || !ads[i].in_b;
                for (size_t k = 0; k < ads[i].n; k++) {
                        bool d = by_defaults(&ads[i].v[k], da, db);
                        unnamed += d;
                        other += !d;
                }
        }
        if (defaults_differ && !other) {
                printf("only the default actions differ: %s in A, %s in B (%zu calls no rule names); every rule decides "
                       "the same\n",
                       ab, bb, unnamed);
                return;
        }
        if (defaults_differ)
                printf("the default actions differ: %s in A, %s in B\n", ab, bb);
        for (size_t i = 0; i < n_ads; i++) {
                const arch_diff *ad = &ads[i];
                const char *an = sf_arch_short_name(ad->arch);
                size_t total = ad->n;
                if (!ad->in_a || !ad->in_b)
                        printf("\n%s: not an arch of %s's filter, which returns %s for every call there\n", an,
                               ad->in_a ? "B" : "A", act(ad->missing, ab, sizeof(ab)));
                else
                        printf("\n%s:%s\n", an, total ? "" : " no difference");
                print_names("allowed only by A", ad, D_ONLY_A);
                print_names("allowed only by B", ad, D_ONLY_B);
                print_pairs("different actions (A / B)", ad, D_ACTIONS);
                print_pairs("different argument rules", ad, D_CONDITIONS);
        }
}

/* One side's decision: {"action":...} or, decided by arguments, {"rules":"..."}. */
static void json_side(sf_buf *j, bool conditional, sf_action a, const char *text)
{
        sf_buf_putc(j, '{');
        if (conditional) {
                sf_buf_puts(j, "\"rules\":");
                cli_json_str(j, text);
        } else {
                cli_json_action(j, a);
        }
        sf_buf_putc(j, '}');
}

static void json_arch(sf_buf *j, const arch_diff *ad)
{
        sf_buf_printf(j, "{\"arch\":\"%s\",\"in_a\":%s,\"in_b\":%s", sf_arch_short_name(ad->arch),
                      ad->in_a ? "true" : "false", ad->in_b ? "true" : "false");
        for (int kind = 0; kind < D__COUNT; kind++) {
                sf_buf_printf(j, ",\"%s\":[", kind_key[kind]);
                bool first = true;
                for (size_t i = 0; i < ad->n; i++) {
                        const entry *e = &ad->v[i];
                        if (e->kind != kind)
                                continue;
                        sf_buf_printf(j, "%s{\"syscall\":", first ? "" : ",");
                        cli_json_str(j, e->name);
                        sf_buf_printf(j, ",\"nr\":%d,\"a\":", e->nr);
                        json_side(j, e->a_cond, e->aa, e->a);
                        sf_buf_puts(j, ",\"b\":");
                        json_side(j, e->b_cond, e->ba, e->b);
                        sf_buf_puts(j, "}");
                        first = false;
                }
                sf_buf_puts(j, "]");
        }
        sf_buf_puts(j, "}");
}

static void print_json(const side *a, const side *b, const arch_diff *ads, size_t n_ads, bool differ)
{
        sf_buf j = { 0 };
        sf_buf_puts(&j, "{\"a\":");
        cli_json_str(&j, a->file);
        sf_buf_puts(&j, ",\"b\":");
        cli_json_str(&j, b->file);
        sf_buf_printf(&j, ",\"identical\":%s,\"default\":{\"a\":", differ ? "false" : "true");
        json_side(&j, false, a->prog->default_action, NULL);
        sf_buf_puts(&j, ",\"b\":");
        json_side(&j, false, b->prog->default_action, NULL);
        sf_buf_puts(&j, "},\"arches\":[");
        for (size_t i = 0; i < n_ads; i++) {
                if (i)
                        sf_buf_putc(&j, ',');
                json_arch(&j, &ads[i]);
        }
        sf_buf_puts(&j, "]}\n");
        if (j.oom)
                cli_error("diff", "out of memory");
        else
                fputs(j.s, stdout);
        sf_buf_release(&j);
}

static int load_side(side *s, const sf_compile_opts *co, bool json)
{
        int r = cli_compile_profile("diff", s->file, co, &s->p, &s->prog, !json);
        if (r)
                return r;
        sf_error *err = NULL;
        if (sf_profile_resolve(s->p, &co->target, &s->rp, &err) < 0)
                return cli_fail("diff", &err);
        return 0;
}

int cmd_diff(int argc, char **argv)
{
        sf_compile_opts co = { 0 };
        sf_arch arches[SF_ARCH__COUNT];
        bool json = false;
        int r = cli_compile_json_opts("diff", argc, argv, usage, &co, arches, &json);
        if (r >= 0)
                return r;
        if (argc - optind != 2)
                return cli_usage_error("diff", "give two profiles (got %d)", argc - optind);

        side a = { .file = argv[optind] }, b = { .file = argv[optind + 1] };
        /* as diff(1): 0 the same, 1 different, 2 trouble (usage, or an input
         * that cannot be read or compiled: there is no answer) */
        int status = load_side(&a, &co, json);
        if (status == EXIT_OK)
                status = load_side(&b, &co, json);
        if (status != EXIT_OK)
                status = EXIT_USAGE;

        /* A's arches, then those only B's filter holds. */
        arch_diff ads[2 * SF_ARCH__COUNT];
        size_t n_ads = 0;
        bool differ = false;
        if (status == EXIT_OK) {
                const sf_prog *progs[2] = { a.prog, b.prog };
                for (size_t k = 0; k < 2; k++)
                        for (size_t i = 0; i < progs[k]->n_arches; i++) {
                                sf_arch arch = progs[k]->arches[i];
                                bool seen = false;
                                for (size_t m = 0; m < n_ads; m++)
                                        seen |= ads[m].arch == arch;
                                if (!seen)
                                        ads[n_ads++] = (arch_diff){ .arch = arch, .in_a = prog_has(a.prog, arch),
                                                                    .in_b = prog_has(b.prog, arch) };
                        }
                differ = !same_action(a.prog->default_action, b.prog->default_action);
                for (size_t i = 0; i < n_ads; i++) {
                        compare_arch(&a, &b, &ads[i]);
                        differ |= ads[i].n > 0 || !ads[i].in_a || !ads[i].in_b;
                        if (ads[i].oom) {
                                cli_error("diff", "out of memory");
                                status = EXIT_INVALID;
                        }
                }
        }
        if (status == EXIT_OK) {
                if (json)
                        print_json(&a, &b, ads, n_ads, differ);
                else
                        print_text(&a, &b, ads, n_ads);
                status = differ ? EXIT_INVALID : EXIT_OK;
        }
        for (size_t i = 0; i < n_ads; i++) {
                for (size_t k = 0; k < ads[i].n; k++) {
                        free(ads[i].v[k].a);
                        free(ads[i].v[k].b);
                }
                free(ads[i].v);
        }
        sf_prog_free(a.prog);
        sf_prog_free(b.prog);
        sf_profile_free(a.rp);
        sf_profile_free(b.rp);
        sf_profile_free(a.p);
        sf_profile_free(b.p);
        return status;
}
