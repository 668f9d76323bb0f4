/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sf_yaml_parse(): the tree, its positions, scalar resolution, and every error
 * path (run under ASan/LeakSanitizer, so leaks on error paths fail too).
 * TAP output.  The first argument is the Kubernetes tutorial's flow-style pod
 * (examples/tutorial/manifests/k8s-website-alpha-fine-pod.yaml). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"
#include "sysfence/bpf.h"
#include "sysfence/error.h"

/* Fails the current test with the condition's text and returns. */
#define EXPECT(cond)                                                                               \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        printf("#   %s:%d: expected %s\n", __FILE__, __LINE__, #cond);             \
                        return false;                                                              \
                }                                                                                  \
        } while (0)

static void diags_releasep(sf_diags *d) { sf_diags_release(d); }

static const sf_node *get(const sf_node *n, const char *key) { return sf_node_get(n, key); }

static const sf_node *item(const sf_node *n, size_t i)
{
        return n && n->kind == SF_NODE_ARR && i < n->arr.n ? n->arr.v[i] : NULL;
}

static bool is_str(const sf_node *n, const char *s)
{
        return n && n->kind == SF_NODE_STR && n->str.len == strlen(s) && strcmp(n->str.s, s) == 0;
}

static bool is_uint(const sf_node *n, uint64_t v)
{
        return n && n->kind == SF_NODE_NUM && n->num_is_int && !n->num_neg && !n->num_overflow &&
               n->num.mag == v;
}

static bool at(const sf_node *n, unsigned line, unsigned col)
{
        if (n && n->line == line && n->col == col)
                return true;
        if (n)
                printf("#   node at %u:%u, expected %u:%u\n", n->line, n->col, line, col);
        return false;
}

static const sf_member *member(const sf_node *obj, const char *key)
{
        for (size_t i = 0; obj && obj->kind == SF_NODE_OBJ && i < obj->obj.n; i++)
                if (strcmp(obj->obj.v[i].key, key) == 0)
                        return &obj->obj.v[i];
        return NULL;
}

static int parse(const char *text, size_t len, sf_doc *doc, sf_diags *d)
{
        int r = sf_yaml_parse(text, len, "test.yaml", doc, d);
        for (size_t i = 0; i < d->n; i++) {
                _cleanup_free_ char *s = sf_diag_format(&d->v[i]);
                printf("#   %s\n", s ? s : "(out of memory)");
        }
        return r;
}

static bool test_spo_profiles(void)
{
        static const char text[] =
                "# two profiles, one file\n"                                    /* 1 */
                "---\n"                                                         /* 2 */
                "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\n"    /* 3 */
                "kind: SeccompProfile\n"                                        /* 4 */
                "metadata:\n"                                                   /* 5 */
                "  name: profile-allow\n"                                       /* 6 */
                "spec:\n"                                                       /* 7 */
                "  defaultAction: SCMP_ACT_ERRNO\n"                             /* 8 */
                "  architectures:\n"                                            /* 9 */
                "  - SCMP_ARCH_X86_64\n"                                        /* 10 */
                "  - SCMP_ARCH_AARCH64\n"                                       /* 11 */
                "  syscalls:\n"                                                 /* 12 */
                "    - action: SCMP_ACT_ALLOW\n"                                /* 13 */
                "      names:\n"                                                /* 14 */
                "        - read\n"                                              /* 15 */
                "        - write\n"                                             /* 16 */
                "    - action: SCMP_ACT_ERRNO\n"                                /* 17 */
                "      names: [personality]\n"                                  /* 18 */
                "      args:\n"                                                 /* 19 */
                "        - index: 0\n"                                          /* 20 */
                "          value: 18446744073709551615\n"                       /* 21 */
                "          op: SCMP_CMP_NE\n"                                   /* 22 */
                "---\n"                                                         /* 23 */
                "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\n"    /* 24 */
                "kind: SeccompProfile\n"                                        /* 25 */
                "metadata: {name: profile-log}\n"                               /* 26 */
                "spec:\n"                                                       /* 27 */
                "  defaultAction: \"SCMP_ACT_LOG\"\n"                           /* 28 */
                "---\n";                                                        /* 29: empty */
        _cleanup_(sf_doc_release) sf_doc doc = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };

        EXPECT(parse(text, sizeof(text) - 1, &doc, &d) == 0);
        EXPECT(d.n == 0);
        EXPECT(doc.yaml);
        EXPECT(doc.n_docs == 2);

        const sf_node *p = doc.docs[0];
        EXPECT(p && p->kind == SF_NODE_OBJ && p->obj.n == 4);
        EXPECT(at(p, 3, 1));
        EXPECT(strcmp(p->obj.v[0].key, "apiVersion") == 0 && p->obj.v[0].line == 3 && p->obj.v[0].col == 1);
        EXPECT(is_str(get(p, "apiVersion"), "security-profiles-operator.x-k8s.io/v1beta1"));
        EXPECT(at(get(p, "apiVersion"), 3, 13));
        EXPECT(is_str(get(p, "kind"), "SeccompProfile"));
        EXPECT(is_str(get(get(p, "metadata"), "name"), "profile-allow"));

        const sf_node *spec = get(p, "spec");
        EXPECT(spec && spec->kind == SF_NODE_OBJ && spec->obj.n == 3);
        EXPECT(at(spec, 8, 3));
        EXPECT(is_str(get(spec, "defaultAction"), "SCMP_ACT_ERRNO"));
        const sf_node *arches = get(spec, "architectures");
        EXPECT(arches && arches->kind == SF_NODE_ARR && arches->arr.n == 2);
        EXPECT(at(arches, 10, 3));
        EXPECT(is_str(item(arches, 0), "SCMP_ARCH_X86_64") && at(item(arches, 0), 10, 5));
        EXPECT(is_str(item(arches, 1), "SCMP_ARCH_AARCH64") && at(item(arches, 1), 11, 5));

        const sf_node *sys = get(spec, "syscalls");
        EXPECT(sys && sys->kind == SF_NODE_ARR && sys->arr.n == 2);
        const sf_member *names = member(item(sys, 0), "names");
        EXPECT(names && names->line == 14 && names->col == 7);
        EXPECT(names->val->kind == SF_NODE_ARR && names->val->arr.n == 2);
        EXPECT(is_str(item(names->val, 0), "read") && at(item(names->val, 0), 15, 11));
        EXPECT(is_str(item(names->val, 1), "write") && at(item(names->val, 1), 16, 11));
        EXPECT(is_str(get(item(sys, 0), "action"), "SCMP_ACT_ALLOW"));
        EXPECT(at(item(sys, 1), 17, 7));
        EXPECT(is_str(item(get(item(sys, 1), "names"), 0), "personality"));
        EXPECT(at(get(item(sys, 1), "names"), 18, 14));

        const sf_node *arg = item(get(item(sys, 1), "args"), 0);
        EXPECT(is_uint(get(arg, "index"), 0));
        const sf_node *v = get(arg, "value");
        EXPECT(is_uint(v, UINT64_MAX));
        EXPECT(strcmp(v->num.text, "18446744073709551615") == 0);
        EXPECT(at(v, 21, 18));
        EXPECT(member(arg, "value")->line == 21 && member(arg, "value")->col == 11);
        EXPECT(is_str(get(arg, "op"), "SCMP_CMP_NE"));

        p = doc.docs[1];
        EXPECT(p && p->kind == SF_NODE_OBJ && at(p, 24, 1));
        EXPECT(is_str(get(get(p, "metadata"), "name"), "profile-log"));
        EXPECT(at(get(p, "metadata"), 26, 11));
        EXPECT(is_str(get(get(p, "spec"), "defaultAction"), "SCMP_ACT_LOG"));
        EXPECT(at(get(get(p, "spec"), "defaultAction"), 28, 18));
        return true;
}

static bool test_flow_pod(void)
{
        static const char text[] =
                "{apiVersion: \"v1\", kind: \"Pod\", metadata: {annotations: "
                "{seccomp.security.alpha.kubernetes.io/pod: \"localhost/x.json\"}}}";
        _cleanup_(sf_doc_release) sf_doc doc = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };

        EXPECT(parse(text, sizeof(text) - 1, &doc, &d) == 0);
        EXPECT(doc.n_docs == 1);
        const sf_node *p = doc.docs[0];
        EXPECT(p->kind == SF_NODE_OBJ && p->obj.n == 3 && at(p, 1, 1));
        EXPECT(is_str(get(p, "apiVersion"), "v1") && at(get(p, "apiVersion"), 1, 14));
        EXPECT(is_str(get(p, "kind"), "Pod"));
        const sf_node *ann = get(get(p, "metadata"), "annotations");
        EXPECT(ann && ann->kind == SF_NODE_OBJ && ann->obj.n == 1 && at(ann, 1, 57));
        EXPECT(is_str(get(ann, "seccomp.security.alpha.kubernetes.io/pod"), "localhost/x.json"));
        EXPECT(ann->obj.v[0].line == 1 && ann->obj.v[0].col == 58);
        return true;
}

/* Same tree, node for node and position for position (num_neg is compared for
 * integers only: what it means for a fraction is not settled). */
static bool same_tree(const sf_node *a, const sf_node *b)
{
        if (!a || !b || a->kind != b->kind || a->line != b->line || a->col != b->col) {
                if (a && b)
                        printf("#   differ at %u:%u / %u:%u\n", a->line, a->col, b->line, b->col);
                return false;
        }
        switch (a->kind) {
        case SF_NODE_NULL:
                return true;
        case SF_NODE_BOOL:
                return a->b == b->b;
        case SF_NODE_NUM:
                return strcmp(a->num.text, b->num.text) == 0 && a->num_is_int == b->num_is_int &&
                       (!a->num_is_int || (a->num_neg == b->num_neg && a->num.mag == b->num.mag &&
                                           a->num_overflow == b->num_overflow));
        case SF_NODE_STR:
                return a->str.len == b->str.len && memcmp(a->str.s, b->str.s, a->str.len + 1) == 0;
        case SF_NODE_ARR:
                if (a->arr.n != b->arr.n)
                        return false;
                for (size_t i = 0; i < a->arr.n; i++)
                        if (!same_tree(a->arr.v[i], b->arr.v[i]))
                                return false;
                return true;
        case SF_NODE_OBJ:
                if (a->obj.n != b->obj.n)
                        return false;
                for (size_t i = 0; i < a->obj.n; i++) {
                        const sf_member *x = &a->obj.v[i], *y = &b->obj.v[i];
                        if (strcmp(x->key, y->key) != 0 || x->line != y->line || x->col != y->col ||
                            !same_tree(x->val, y->val))
                                return false;
                }
                return true;
        }
        return false;
}

static bool test_same_as_json(void)
{
        static const char text[] =
                "{\n"
                "\t\"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
                "\t\"defaultErrnoRet\": 1,\n"
                "\t\"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],\n"
                "\t\"flags\": [],\n"
                "\t\"listenerMetadata\": \"caf\\u00e9 \\\"q\\\" \\\\ \\/ \\t \xe2\x82\xac\",\n"
                "\t\"syscalls\": [\n"
                "\t\t{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"comment\": null,\n"
                "\t\t \"args\": [{\"index\": 0, \"value\": 18446744073709551615, \"valueTwo\": 0,\n"
                "\t\t           \"op\": \"SCMP_CMP_EQ\"}], \"includes\": {},\n"
                "\t\t \"x\": [true, false, -7, 1.5e3, 99999999999999999999, -0]}\n"
                "\t]\n"
                "}\n";
        _cleanup_(sf_doc_release) sf_doc json = { 0 };
        _cleanup_(sf_doc_release) sf_doc yaml = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };

        EXPECT(sf_json_parse(text, sizeof(text) - 1, "test.json", &json, &d) == 0);
        EXPECT(parse(text, sizeof(text) - 1, &yaml, &d) == 0);
        EXPECT(json.n_docs == 1 && yaml.n_docs == 1);
        EXPECT(same_tree(json.docs[0], yaml.docs[0]));
        return true;
}

static bool test_real_manifest(const char *path)
{
        _cleanup_(sf_doc_release) sf_doc doc = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };
        _cleanup_free_ char *data = NULL;
        size_t len;
        sf_error *err = NULL;

        if (sf_read_file(path, 1 << 20, &data, &len, &err) < 0) {
                printf("#   %s\n", sf_error_message(err));
                sf_error_free(err);
                return false;
        }
        EXPECT(parse(data, len, &doc, &d) == 0);
        EXPECT(doc.n_docs == 1);
        const sf_node *p = doc.docs[0];
        EXPECT(at(p, 2, 1));
        EXPECT(is_str(get(p, "apiVersion"), "v1") && is_str(get(p, "kind"), "Pod"));
        EXPECT(is_str(get(get(p, "metadata"), "name"), "fine-pod"));
        const sf_member *a = member(get(get(p, "metadata"), "annotations"),
                                    "seccomp.security.alpha.kubernetes.io/pod");
        EXPECT(a && a->line == 11 && a->col == 7);
        EXPECT(is_str(a->val, "localhost/profiles/fine-grained.json") && at(a->val, 11, 49));
        const sf_node *c = item(get(get(p, "spec"), "containers"), 0);
        EXPECT(c && c->kind == SF_NODE_OBJ && at(c, 15, 18));
        EXPECT(is_str(get(c, "image"), "hashicorp/http-echo:0.2.3"));
        EXPECT(is_str(item(get(c, "args"), 0), "-text=just made some syscalls!"));
        const sf_node *ape = get(get(c, "securityContext"), "allowPrivilegeEscalation");
        EXPECT(ape && ape->kind == SF_NODE_BOOL && !ape->b && at(ape, 22, 35));
        return true;
}

typedef struct scalar_case {
        const char *text; /* the value in "v: <text>" */
        sf_node_kind kind;
        const char *str;  /* SF_NODE_STR: the string; SF_NODE_NUM: num.text */
        bool b;           /* SF_NODE_BOOL */
        bool is_int, neg, overflow;
        uint64_t mag;
} scalar_case;

#define NUL_(t) { t, SF_NODE_NULL, NULL, false, false, false, false, 0 }
#define BOOL_(t, v) { t, SF_NODE_BOOL, NULL, v, false, false, false, 0 }
#define INT_(t, neg, mag) { t, SF_NODE_NUM, t, false, true, neg, false, mag }
#define BIG_(t, neg) { t, SF_NODE_NUM, t, false, true, neg, true, 0 }
#define FLT_(t, neg) { t, SF_NODE_NUM, t, false, false, neg, false, 0 }
#define STR_(t, s) { t, SF_NODE_STR, s, false, false, false, false, 0 }

static const scalar_case scalar_cases[] = {
        NUL_(""), NUL_("~"), NUL_("null"), NUL_("Null"), NUL_("NULL"), NUL_("!!null ''"),
        BOOL_("true", true), BOOL_("True", true), BOOL_("TRUE", true),
        BOOL_("false", false), BOOL_("False", false), BOOL_("FALSE", false),
        BOOL_("!!bool true", true),
        /* YAML 1.1's booleans, as go-yaml v2 (sigs.k8s.io/yaml) reads them */
        BOOL_("yes", true), BOOL_("Yes", true), BOOL_("YES", true), BOOL_("y", true), BOOL_("Y", true),
        BOOL_("on", true), BOOL_("On", true), BOOL_("ON", true), BOOL_("!!bool on", true),
        BOOL_("no", false), BOOL_("No", false), BOOL_("NO", false), BOOL_("n", false), BOOL_("N", false),
        BOOL_("off", false), BOOL_("Off", false), BOOL_("OFF", false),
        INT_("0", false, 0), INT_("-0", false, 0), INT_("+0", false, 0), INT_("42", false, 42),
        INT_("+42", false, 42), INT_("-42", true, 42),
        INT_("0x1F", false, 31), INT_("0xffffffffffffffff", false, UINT64_MAX), INT_("0o17", false, 15),
        INT_("18446744073709551615", false, UINT64_MAX), INT_("-18446744073709551615", true, UINT64_MAX),
        INT_("4294967296", false, 4294967296ULL),
        /* Go's ParseInt(s, 0, 64) after go-yaml drops every '_' */
        INT_("010", false, 8), INT_("012", false, 10), INT_("-010", true, 8), INT_("00", false, 0),
        INT_("0o10", false, 8), INT_("0O10", false, 8), INT_("0x10", false, 16), INT_("0X1F", false, 31),
        INT_("0b10", false, 2), INT_("0B101", false, 5), INT_("+0b101", false, 5), INT_("-0x1", true, 1),
        INT_("1_000", false, 1000), INT_("1__0_", false, 10), INT_("0_10", false, 8), INT_("0x_ff", false, 255),
        INT_("-_1", true, 1), INT_("0b1111_1111", false, 255),
        INT_("01777777777777777777777", false, UINT64_MAX), INT_("0x8000000000000000", false, 1ULL << 63),
        INT_("+9223372036854775807", false, INT64_MAX), INT_("-9223372036854775808", true, 1ULL << 63),
        INT_("-0x8000000000000000", true, 1ULL << 63), INT_("-9223372036854775809", true, (1ULL << 63) + 1),
        BIG_("18446744073709551616", false), BIG_("-99999999999999999999999", true),
        BIG_("0x10000000000000000", false), BIG_("0x1_0000_0000_0000_0000", false),
        BIG_("02000000000000000000000", false), BIG_("+18446744073709551616", false),
        { "!!int \"7\"", SF_NODE_NUM, "7", false, true, false, false, 7 },
        { "!!int 010", SF_NODE_NUM, "010", false, true, false, false, 8 },
        FLT_("1.5", false), FLT_("-1.5", true), FLT_(".5", false), FLT_("1.", false),
        FLT_("1e3", false), FLT_("-2.5E-3", true), FLT_("+1e+9", false),
        FLT_(".inf", false), FLT_("-.Inf", true), FLT_("+.INF", false),
        FLT_(".nan", false), FLT_(".NaN", false), FLT_(".NAN", false),
        { "!!float 3", SF_NODE_NUM, "3", false, false, false, false, 0 },
        { "!!float 0x10", SF_NODE_NUM, "0x10", false, false, false, false, 0 },
        FLT_("1_0.5", false), FLT_("-1_0e1_0", true),
        /* near misses stay strings, as go-yaml keeps them */
        STR_("yES", "yES"), STR_("oN", "oN"), STR_("nO", "nO"), STR_("ye", "ye"),
        STR_("nULL", "nULL"), STR_("tRUE", "tRUE"), STR_("0x", "0x"), STR_("0b", "0b"), STR_("0o", "0o"),
        STR_("0o8", "0o8"), STR_("0b2", "0b2"), STR_("0x1g", "0x1g"), STR_("_1", "_1"), STR_("+_", "+_"),
        STR_("._5", "._5"), STR_("-0x8000000000000001", "-0x8000000000000001"),
        STR_("+0x8000000000000000", "+0x8000000000000000"), STR_("<<", "<<"),
        STR_("+-1", "+-1"), STR_("1e", "1e"), STR_(".", "."), STR_("e3", "e3"),
        STR_(".infinity", ".infinity"), STR_("-.nan", "-.nan"), STR_("1.2.3", "1.2.3"),
        STR_("12:30", "12:30"),
        STR_("2001-12-14", "2001-12-14"), STR_("SCMP_ACT_ALLOW", "SCMP_ACT_ALLOW"), STR_("a b  c", "a b  c"),
        STR_("\"caf\xc3\xa9\"", "caf\xc3\xa9"),
        /* quoted and block scalars are strings whatever they read */
        STR_("\"123\"", "123"), STR_("'true'", "true"), STR_("'~'", "~"), STR_("\"\"", ""), STR_("''", ""),
        STR_("\"a\\tb\\u00e9\"", "a\tb\xc3\xa9"), STR_("'it''s'", "it's"),
        STR_("|\n  line 1\n  line 2\n", "line 1\nline 2\n"), STR_(">-\n  folded\n  text\n", "folded text"),
        STR_("!!str 123", "123"), STR_("! 123", "123"), STR_("!!str", ""),
        STR_("plain\n  continued", "plain continued"),
};

static bool check_scalar(const scalar_case *c)
{
        char text[256];
        snprintf(text, sizeof(text), "v: %s\n", c->text);
        _cleanup_(sf_doc_release) sf_doc doc = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };

        EXPECT(parse(text, strlen(text), &doc, &d) == 0);
        EXPECT(doc.n_docs == 1);
        const sf_node *n = get(doc.docs[0], "v");
        EXPECT(n && n->kind == c->kind);
        /* An empty value is where libyaml finds it: right after the ':'. */
        EXPECT(at(n, 1, *c->text ? 4 : 3));
        switch (c->kind) {
        case SF_NODE_BOOL:
                EXPECT(n->b == c->b);
                break;
        case SF_NODE_NUM:
                EXPECT(strcmp(n->num.text, c->str) == 0);
                EXPECT(n->num_is_int == c->is_int && n->num_neg == c->neg && n->num_overflow == c->overflow);
                EXPECT(!c->is_int || c->overflow || n->num.mag == c->mag);
                break;
        case SF_NODE_STR:
                EXPECT(n->str.len == strlen(c->str) && strcmp(n->str.s, c->str) == 0);
                break;
        default:
                break;
        }
        return true;
}

static bool test_scalars(void)
{
        bool ok = true;
        for (size_t i = 0; i < ARRAY_SIZE(scalar_cases); i++)
                if (!check_scalar(&scalar_cases[i])) {
                        printf("#   ^ scalar case \"%s\"\n", scalar_cases[i].text);
                        ok = false;
                }
        return ok;
}

/* Keys are stored by their text, whatever a value of that text would be. */
static bool test_keys(void)
{
        static const char text[] = "1: a\ntrue: b\n~: c\n\"q\": d\n? e\n: f\n0x10: g\n";
        _cleanup_(sf_doc_release) sf_doc doc = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };

        EXPECT(parse(text, sizeof(text) - 1, &doc, &d) == 0);
        const sf_node *p = doc.docs[0];
        EXPECT(p->obj.n == 6);
        EXPECT(is_str(get(p, "1"), "a") && is_str(get(p, "true"), "b") && is_str(get(p, "~"), "c"));
        EXPECT(is_str(get(p, "q"), "d") && is_str(get(p, "e"), "f") && is_str(get(p, "0x10"), "g"));
        EXPECT(p->obj.v[4].line == 5 && p->obj.v[4].col == 3);
        return true;
}

static bool test_documents(void)
{
        static const struct {
                const char *text;
                size_t n_docs;
                sf_node_kind first;
        } cases[] = {
                { "", 0, 0 },
                { "# only a comment\n", 0, 0 },
                { "---\n", 0, 0 },
                { "--- # empty\n...\n---\n", 0, 0 },
                { "---\n...\n--- 5\n---\n", 1, SF_NODE_NUM },
                { "--- null\n", 1, SF_NODE_NULL },
                { "--- ~\n--- ''\n", 2, SF_NODE_NULL },
                { "a: 1\n---\nb: 2\n--- [1]\n", 3, SF_NODE_OBJ },
                { "%YAML 1.2\n---\nx\n", 1, SF_NODE_STR },
                { "{}", 1, SF_NODE_OBJ },
                { "[]", 1, SF_NODE_ARR },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_(sf_doc_release) sf_doc doc = { 0 };
                _cleanup_(diags_releasep) sf_diags d = { 0 };
                printf("#   documents case %zu\n", i);
                EXPECT(parse(cases[i].text, strlen(cases[i].text), &doc, &d) == 0);
                EXPECT(doc.yaml && doc.n_docs == cases[i].n_docs);
                EXPECT(!doc.n_docs || (doc.docs[0] && doc.docs[0]->kind == cases[i].first));
                EXPECT(!doc.n_docs || doc.docs[doc.n_docs - 1]);
        }
        /* A UTF-8 byte order mark is allowed and takes no column. */
        static const char bom[] = "\xEF\xBB\xBFkind: x\n";
        _cleanup_(sf_doc_release) sf_doc doc = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };
        EXPECT(parse(bom, sizeof(bom) - 1, &doc, &d) == 0);
        EXPECT(doc.docs[0]->obj.v[0].col == 1 && at(get(doc.docs[0], "kind"), 1, 7));
        /* Columns count characters, not bytes. */
        static const char wide[] = "\xc3\xa9\xc3\xa9: [\xe2\x82\xac, x]\n";
        _cleanup_(sf_doc_release) sf_doc doc2 = { 0 };
        EXPECT(parse(wide, sizeof(wide) - 1, &doc2, &d) == 0);
        EXPECT(at(item(get(doc2.docs[0], "\xc3\xa9\xc3\xa9"), 1), 1, 9));
        return true;
}

/* Nesting at the limit parses; one more level is an error (values at depth 65). */
static bool test_depth_limit(void)
{
        char text[512];
        size_t o = 0;
        for (int i = 0; i < SF_DOC_MAX_DEPTH; i++)
                text[o++] = '[';
        for (int i = 0; i < SF_DOC_MAX_DEPTH; i++)
                text[o++] = ']';
        _cleanup_(sf_doc_release) sf_doc doc = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };
        EXPECT(parse(text, o, &doc, &d) == 0);
        const sf_node *n = doc.docs[0];
        for (int i = 1; i < SF_DOC_MAX_DEPTH; i++)
                n = item(n, 0);
        EXPECT(n && n->kind == SF_NODE_ARR && n->arr.n == 0);
        return true;
}

static bool test_big_but_allowed(void)
{
        /* SF_DOC_MAX_ITEMS items, and a string of SF_DOC_MAX_STRING bytes. */
        _cleanup_(sf_buf_release) sf_buf b = { 0 };
        sf_buf_puts(&b, "big: [");
        for (int i = 0; i < SF_DOC_MAX_ITEMS; i++)
                sf_buf_puts(&b, "0,");
        sf_buf_puts(&b, "]\nlong: ");
        for (int i = 0; i < SF_DOC_MAX_STRING; i++)
                sf_buf_putc(&b, 'x');
        sf_buf_putc(&b, '\n');
        EXPECT(!b.oom);
        _cleanup_(sf_doc_release) sf_doc doc = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };
        EXPECT(parse(b.s, b.len, &doc, &d) == 0);
        EXPECT(get(doc.docs[0], "big")->arr.n == SF_DOC_MAX_ITEMS);
        EXPECT(get(doc.docs[0], "long")->str.len == SF_DOC_MAX_STRING);
        return true;
}

/* One parse that must fail with -EINVAL and exactly one error at line:col
 * (col 0: any) whose message contains msg. */
static bool check_error(const char *text, size_t len, unsigned line, unsigned col, const char *msg)
{
        _cleanup_(sf_doc_release) sf_doc doc = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };

        EXPECT(parse(text, len, &doc, &d) == -EINVAL);
        EXPECT(d.n == 1 && d.errors == 1 && d.warnings == 0);
        EXPECT(d.v[0].severity == SF_SEV_ERROR);
        EXPECT(strcmp(d.v[0].id, "yaml-syntax") == 0 && strcmp(d.v[0].file, "test.yaml") == 0);
        EXPECT(d.v[0].line == line);
        EXPECT(col == 0 || d.v[0].col == col);
        EXPECT(strstr(d.v[0].msg, msg));
        /* Nothing half-built is handed back, and a fresh doc is left empty. */
        EXPECT(doc.n_docs == 0 && !doc.docs && !doc.yaml && !doc.arena.head);
        return true;
}

#define ERR(text, line, col, msg) { text, sizeof(text) - 1, line, col, msg }

static const struct error_case {
        const char *text;
        size_t len;
        unsigned line, col;
        const char *msg;
} error_cases[] = {
        ERR("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key \"a\" (first at line 1, column 1)"),
        ERR("spec:\n  syscalls:\n  - names: [a]\n    action: x\n    names: [b]\n", 5, 5,
            "duplicate key \"names\" (first at line 3, column 5)"),
        ERR("{x: {k: 1, k: 2}}", 1, 12, "duplicate key \"k\" (first at line 1, column 6)"),
        ERR("z: 1\ny: 1\ny: 2\nz: 2\n", 3, 1, "duplicate key \"y\" (first at line 2, column 1)"),
        ERR("1: a\n\"1\": b\n", 2, 1, "duplicate key \"1\""),
        ERR("base: &b {a: 1}\nother: *b\n", 2, 8, "yaml aliases are not supported (\"b\")"),
        ERR("- &x 1\n- [2, *x]\n", 2, 7, "yaml aliases are not supported"),
        ERR("apiVersion: v1\nkind: Pod\nspec: a: b\n", 3, 8,
            "yaml syntax: mapping values are not allowed in this context"),
        ERR("a: [1, 2\nb: 3\n", 0, 0, "yaml syntax: "),
        ERR("a: \"unterminated\n", 2, 1, "yaml syntax: found unexpected end of stream"),
        ERR("a:\n  - 1\n - 2\n", 3, 2, "yaml syntax: "),
        ERR("spec:\n\tdefaultAction: x\n", 2, 1, "yaml syntax: found character that cannot start any token"),
        ERR("a: 1\nb: 2\nc: \"x\xff\"\n", 3, 6, "yaml syntax: invalid leading UTF-8 octet (byte 0xff)"),
        ERR("a: \xc3\n", 1, 5, "yaml syntax: invalid trailing UTF-8 octet (byte 0x0a)"),
        ERR("a: \xc0\x80\n", 1, 4, "yaml syntax: "),
        ERR("a: \xed\xa0\x80\n", 1, 4, "yaml syntax: invalid Unicode character"),
        ERR("\xff\xfe" "a\0:\0", 1, 1, "yaml syntax: invalid leading UTF-8 octet"),
        ERR("a: b\0c\n", 1, 5, "yaml syntax: control characters are not allowed (U+0000)"),
        ERR("a: \"x\\0y\"\n", 1, 4, "NUL byte in \"x\\x00y\""),
        ERR("k: \"\\x00\"\n", 1, 4, "NUL byte"),
        ERR("? [a]\n: 1\n", 1, 3, "a mapping key must be a scalar, not a sequence"),
        ERR("{{a: 1}: 2}", 1, 2, "a mapping key must be a scalar, not a mapping"),
        ERR("a: !foo x\n", 1, 4, "unsupported yaml tag \"!foo\""),
        ERR("a: !!binary eA==\n", 1, 4, "unsupported yaml tag \"!!binary\""),
        ERR("a: !!int abc\n", 1, 4, "\"abc\" is not a valid \"!!int\""),
        ERR("a: !!int 1.5\n", 1, 4, "\"1.5\" is not a valid \"!!int\""),
        ERR("a: !!bool maybe\n", 1, 4, "\"maybe\" is not a valid \"!!bool\""),
        ERR("a: !!int 0x1g\n", 1, 4, "\"0x1g\" is not a valid \"!!int\""),
        ERR("a: !!null 0\n", 1, 4, "\"0\" is not a valid \"!!null\""),
        ERR("a: !!float x\n", 1, 4, "\"x\" is not a valid \"!!float\""),
        ERR("!!int k: v\n", 1, 1, "unsupported yaml tag \"!!int\" on a mapping key"),
        ERR("a: !!map [1]\n", 1, 4, "unsupported yaml tag \"!!map\" on a sequence"),
        ERR("- ok\n- !!seq {a: 1}\n", 2, 3, "unsupported yaml tag \"!!seq\" on a mapping"),
        /* integers go-yaml reads through a float64: refused, not given another value */
        ERR("v: 08\n", 1, 4, "\"08\" is read by go-yaml (Kubernetes) as a decimal float: a leading 0 means "
            "octal (010 is 8), but 8 and 9 are not octal digits"),
        ERR("a: 1\nv: [1, 0_9]\n", 2, 8, "\"0_9\" is read by go-yaml (Kubernetes) as a decimal float"),
        ERR("v: -0789\n", 1, 4, "\"-0789\" is read by go-yaml"),
        ERR("v: !!int 08\n", 1, 4, "\"08\" is read by go-yaml"),
        ERR("v: +9223372036854775808\n", 1, 4, "\"+9223372036854775808\" is above 9223372036854775807 "
            "with a sign, so go-yaml (Kubernetes) reads it as a float64, which keeps 53 bits of it"),
        ERR("v: +18446744073709551615\n", 1, 4, "reads it as a float"),
        /* merge keys: go-yaml applies them, so they are refused where they are */
        ERR("<<: {a: 1}\nb: 2\n", 1, 1, "yaml merge keys (<<) are not supported: go-yaml (Kubernetes) "
            "would merge another mapping into this one"),
        ERR("base: &b {action: SCMP_ACT_ALLOW}\nrule:\n  names: [read]\n  <<: *b\n", 4, 3,
            "yaml merge keys (<<) are not supported"),
        ERR("- {names: [a], <<: [{x: 1}, {y: 2}]}\n", 1, 16, "yaml merge keys (<<) are not supported"),
};

static bool test_errors(void)
{
        bool ok = true;
        for (size_t i = 0; i < ARRAY_SIZE(error_cases); i++) {
                const struct error_case *c = &error_cases[i];
                unsigned line = c->line;
                if (line == 0) /* wherever libyaml sees it; check only that it is reported */
                        line = 2;
                if (!check_error(c->text, c->len, line, c->col, c->msg)) {
                        printf("#   ^ error case %zu\n", i);
                        ok = false;
                }
        }
        return ok;
}

static bool test_limits(void)
{
        _cleanup_(sf_buf_release) sf_buf b = { 0 };

        /* A value nested 65 deep in flow style, reported at the value. */
        for (int i = 0; i < SF_DOC_MAX_DEPTH; i++)
                sf_buf_putc(&b, '[');
        sf_buf_puts(&b, "1");
        for (int i = 0; i < SF_DOC_MAX_DEPTH; i++)
                sf_buf_putc(&b, ']');
        EXPECT(!b.oom && check_error(b.s, b.len, 1, SF_DOC_MAX_DEPTH + 1, "nesting deeper than 64 levels"));

        /* The same in block style, one mapping per line, the last value on line 64. */
        sf_buf_truncate(&b, 0);
        for (int i = 0; i < SF_DOC_MAX_DEPTH; i++) {
                for (int j = 0; j < i; j++)
                        sf_buf_putc(&b, ' ');
                sf_buf_puts(&b, i < SF_DOC_MAX_DEPTH - 1 ? "k:\n" : "k: v\n");
        }
        EXPECT(!b.oom && check_error(b.s, b.len, SF_DOC_MAX_DEPTH, SF_DOC_MAX_DEPTH + 3,
                                     "nesting deeper than 64 levels"));

        /* Items in one sequence and entries in one mapping. */
        sf_buf_truncate(&b, 0);
        sf_buf_puts(&b, "[");
        for (int i = 0; i <= SF_DOC_MAX_ITEMS; i++)
                sf_buf_puts(&b, "0,");
        sf_buf_puts(&b, "]");
        EXPECT(!b.oom && check_error(b.s, b.len, 1, 2 + 2 * SF_DOC_MAX_ITEMS,
                                     "more than 65536 items in one sequence"));
        sf_buf_truncate(&b, 0);
        for (int i = 0; i <= SF_DOC_MAX_ITEMS; i++)
                sf_buf_printf(&b, "k%d: 0\n", i);
        EXPECT(!b.oom && check_error(b.s, b.len, SF_DOC_MAX_ITEMS + 1, 1,
                                     "more than 65536 entries in one mapping"));

        /* Values in all documents together: 16 x 65536 + 1 > 1,000,000. */
        sf_buf_truncate(&b, 0);
        for (int doc = 0; doc < 16; doc++) {
                sf_buf_puts(&b, "--- [");
                for (int i = 0; i < 65535; i++)
                        sf_buf_puts(&b, "0,");
                sf_buf_puts(&b, "]\n");
        }
        EXPECT(!b.oom && check_error(b.s, b.len, 16, 0, "more than 1000000 values in one file"));

        /* Documents, the empty ones included. */
        sf_buf_truncate(&b, 0);
        for (int i = 0; i <= SF_DOC_MAX_DOCS; i++)
                sf_buf_puts(&b, i % 2 ? "---\n" : "--- a\n");
        EXPECT(!b.oom && check_error(b.s, b.len, SF_DOC_MAX_DOCS + 1, 1, "more than 1024 yaml documents"));

        /* A string one byte over the limit, as a value and as a key. */
        sf_buf_truncate(&b, 0);
        sf_buf_puts(&b, "a: 1\nb: '");
        for (int i = 0; i <= SF_DOC_MAX_STRING; i++)
                sf_buf_putc(&b, 'x');
        sf_buf_puts(&b, "'\n");
        EXPECT(!b.oom && check_error(b.s, b.len, 2, 4,
                                     "string of 65537 bytes is longer than the limit of 65536"));
        sf_buf_truncate(&b, 0);
        sf_buf_puts(&b, "? ");
        for (int i = 0; i <= SF_DOC_MAX_STRING; i++)
                sf_buf_putc(&b, 'k');
        sf_buf_puts(&b, "\n: v\n");
        EXPECT(!b.oom && check_error(b.s, b.len, 1, 3, "string of 65537 bytes"));
        return true;
}

/* End to end: `value: 010` is personality(8) for the program, as for the
 * cluster (go-yaml); sysfence used to compile it as personality(10).  The
 * second rule's numbers were strings to sysfence; -0 is go-yaml's int 0. */
static bool test_octal_compiles_as_go_yaml(void)
{
        static const char text[] =
                "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\n"
                "kind: SeccompProfile\n"
                "metadata: {name: octal}\n"
                "spec:\n"
                "  defaultAction: SCMP_ACT_ALLOW\n"
                "  syscalls:\n"
                "  - names: [personality]\n"
                "    action: SCMP_ACT_ERRNO\n"
                "    errnoRet: 1_3\n"
                "    args:\n"
                "    - {index: 0, value: 010, op: SCMP_CMP_EQ}\n"
                "  - names: [prctl]\n"
                "    action: SCMP_ACT_ERRNO\n"
                "    errnoRet: -0\n"
                "    args:\n"
                "    - {index: 0o1, value: 0x_FFFF_FFFF, valueTwo: 0X10, op: SCMP_CMP_MASKED_EQ}\n"
                "    - {index: 0b10, value: 1_000, op: SCMP_CMP_EQ}\n";
        _cleanup_(diags_releasep) sf_diags d = { 0 };
        sf_profile **v = NULL;
        size_t n = 0;
        sf_error *err = NULL;
        sf_prog *prog = NULL;

        int r = sf_profile_load_data(text, sizeof(text) - 1, "octal.yaml", NULL, &v, &n, &d, &err);
        for (size_t i = 0; i < d.n; i++) {
                _cleanup_free_ char *m = sf_diag_format(&d.v[i]);
                printf("#   %s\n", m ? m : "(out of memory)");
        }
        bool ok = r == 0 && n == 1;
        if (ok) {
                sf_compile_opts co = { 0 };
                sf_target_default(&co.target);
                ok = sf_compile(v[0], &co, &prog, &d, &err) == 0;
        }
        if (!ok) {
                printf("#   %s\n", err ? sf_error_message(err) : "no profile");
                sf_error_free(err);
                sf_profiles_free(v, n);
                return false;
        }
        const sf_rule *pr = v[0]->n_rules == 2 ? &v[0]->rules[1] : NULL;
        /* errnoRet -0 is 0, which the operator drops (omitempty): EPERM */
        bool values = pr && pr->action.data == EPERM && pr->n_args == 2 && pr->args[0].index == 1 &&
                      pr->args[0].value == 0xFFFFFFFF && pr->args[0].value_two == 16 && pr->args[1].index == 2 &&
                      pr->args[1].value == 1000;
        sf_arch arch = sf_arch_native();
        struct seccomp_data sd = { .nr = sf_syscall_nr(arch, "personality"), .arch = sf_arch_audit(arch) };
        sd.args[0] = 8;
        uint32_t eight = sf_bpf_run(prog->insns, prog->len, &sd, NULL, NULL);
        sd.args[0] = 10;
        uint32_t ten = sf_bpf_run(prog->insns, prog->len, &sd, NULL, NULL);
        sf_prog_free(prog);
        sf_profiles_free(v, n);
        printf("#   personality(8): 0x%08x, personality(10): 0x%08x\n", eight, ten);
        EXPECT(values);
        EXPECT(eight == (SECCOMP_RET_ERRNO | 13));
        EXPECT(ten == SECCOMP_RET_ALLOW);
        return true;
}

/* A doc that already holds memory keeps it on error; sf_doc_release() frees it. */
static bool test_error_into_used_doc(void)
{
        _cleanup_(sf_doc_release) sf_doc doc = { 0 };
        _cleanup_(diags_releasep) sf_diags d = { 0 };

        EXPECT(sf_arena_strdup(&doc.arena, "earlier"));
        EXPECT(parse("a: [1, {b: 2, b: 3}]\n", 21, &doc, &d) == -EINVAL);
        EXPECT(d.n == 1 && doc.n_docs == 0 && !doc.docs);
        return true;
}

int main(int argc, char **argv)
{
        const char *manifest = argc > 1 ? argv[1] : "examples/tutorial/manifests/k8s-website-alpha-fine-pod.yaml";
        static const struct {
                const char *name;
                bool (*fn)(void);
        } tests[] = {
                { "multi-document SPO SeccompProfile: tree, positions, uint64 argument", test_spo_profiles },
                { "flow-style pod with a seccomp annotation", test_flow_pod },
                { "JSON text gives the JSON parser's tree, positions included", test_same_as_json },
                { "scalars as go-yaml v2 resolves them (010 is 8, 1_000 is 1000, yes is true), quoted and block strings, tags",
                  test_scalars },
                { "mapping keys are kept as written", test_keys },
                { "documents: empty ones skipped, null roots kept, BOM, columns in characters",
                  test_documents },
                { "64 nested containers parse", test_depth_limit },
                { "65536 items and a 65536-byte string parse", test_big_but_allowed },
                { "errors: duplicates, aliases, merge keys, numbers go-yaml reads as floats, syntax, tabs, UTF-8, NUL, keys, tags", test_errors },
                { "errors: depth, items, values, documents and string limits", test_limits },
                { "error into a doc that already holds memory", test_error_into_used_doc },
                { "a SeccompProfile's value: 010 compiles to personality(8), as go-yaml reads it",
                  test_octal_compiles_as_go_yaml },
        };
        unsigned failed = 0, n = 0;

        printf("1..%zu\n", ARRAY_SIZE(tests) + 1);
        for (size_t i = 0; i < ARRAY_SIZE(tests); i++) {
                bool ok = tests[i].fn();
                printf("%s %u - %s\n", ok ? "ok" : "not ok", ++n, tests[i].name);
                failed += !ok;
        }
        bool ok = test_real_manifest(manifest);
        printf("%s %u - real manifest %s\n", ok ? "ok" : "not ok", ++n, manifest);
        failed += !ok;
        return failed ? 1 : 0;
}
