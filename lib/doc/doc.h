/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A parsed document (JSON or YAML) as one tree type, with the line and column of
 * every value, so the profile loader reads every format the same way and every
 * message can point at the spot. */
#ifndef SF_DOC_H
#define SF_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sysfence/diag.h"
#include "util/util.h"

/* Limits on what a user controls. */
#define SF_DOC_MAX_DEPTH 64
#define SF_DOC_MAX_ITEMS 65536   /* elements in one array or members in one object */
#define SF_DOC_MAX_NODES 1000000 /* values in one document set */
#define SF_DOC_MAX_STRING 65536  /* bytes in one string */
#define SF_DOC_MAX_DOCS 1024     /* YAML documents in one file */

typedef enum sf_node_kind {
        SF_NODE_NULL,
        SF_NODE_BOOL,
        SF_NODE_NUM,
        SF_NODE_STR,
        SF_NODE_ARR,
        SF_NODE_OBJ,
} sf_node_kind;

typedef struct sf_node sf_node;

typedef struct sf_member {
        const char *key; /* NUL-terminated; keys with NUL bytes are rejected */
        sf_node *val;
        unsigned line, col; /* of the key */
} sf_member;

/* 32 bytes: a 16 MiB profile can hold a million of them. */
struct sf_node {
        sf_node_kind kind;
        unsigned line, col; /* 1-based, of the value's first character */
        /* SF_NODE_NUM, beside the union to keep a node at 32 bytes: */
        bool num_is_int;   /* no fraction or exponent */
        bool num_neg;
        bool num_overflow; /* integer magnitude above 2^64-1 */
        union {
                bool b;
                struct {
                        uint64_t mag;     /* |value| when num_is_int && !num_overflow */
                        const char *text; /* the number as written, NUL-terminated */
                } num;
                struct {
                        const char *s; /* NUL-terminated, valid UTF-8, no NUL bytes */
                        size_t len;
                } str;
                struct {
                        sf_node **v;
                        size_t n;
                } arr;
                struct {
                        sf_member *v;
                        size_t n;
                } obj;
        };
};
_Static_assert(sizeof(sf_node) == 32, "sf_node is 32 bytes");

typedef struct sf_doc {
        sf_arena arena;   /* owns every node and array */
        sf_arena strings; /* owns every string: a loaded profile keeps these and frees the nodes */
        sf_node **docs;  /* one for JSON; one per document for YAML */
        size_t n_docs;
        bool yaml;
} sf_doc;

/* Parse strict RFC 8259 JSON.  Duplicate keys, invalid UTF-8, NUL in strings,
 * trailing data and nesting deeper than SF_DOC_MAX_DEPTH are errors.  On error,
 * adds one diagnostic (file, line:col, what was expected) and returns -EINVAL. */
int sf_json_parse(const char *data, size_t len, const char *file, sf_doc *doc, sf_diags *diags);

/* Parse YAML (one or many documents) into the same tree.  Plain scalars become
 * null/bool/number per the YAML 1.2 core schema; quoted scalars are strings;
 * aliases, non-string keys and duplicate keys are errors. */
int sf_yaml_parse(const char *data, size_t len, const char *file, sf_doc *doc, sf_diags *diags);

void sf_doc_release(sf_doc *doc);

/* Member lookup; NULL when absent. */
sf_node *sf_node_get(const sf_node *obj, const char *key);
const char *sf_node_kind_name(sf_node_kind kind); /* "string", "array", … */

#endif
