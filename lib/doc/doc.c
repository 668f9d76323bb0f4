/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "doc/doc.h"

void sf_doc_release(sf_doc *doc)
{
        sf_arena_release(&doc->arena);
        sf_arena_release(&doc->strings);
        *doc = (sf_doc){ 0 };
}

sf_node *sf_node_get(const sf_node *obj, const char *key)
{
        if (!obj || obj->kind != SF_NODE_OBJ)
                return NULL;
        for (size_t i = 0; i < obj->obj.n; i++)
                if (strcmp(obj->obj.v[i].key, key) == 0)
                        return obj->obj.v[i].val;
        return NULL;
}

const char *sf_node_kind_name(sf_node_kind kind)
{
        switch (kind) {
        case SF_NODE_NULL: return "null";
        case SF_NODE_BOOL: return "boolean";
        case SF_NODE_NUM: return "number";
        case SF_NODE_STR: return "string";
        case SF_NODE_ARR: return "array";
        case SF_NODE_OBJ: return "object";
        }
        return "value";
}
