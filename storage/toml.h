/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_STORAGE_TOML_H
#define RCR_STORAGE_TOML_H

#include <json-c/json.h>
#include <stddef.h>

#include "common/error.h"

/* A strict parser for the TOML subset used by containers-registries.conf(5) and its
   siblings: comments, `key = value` with bare, "basic" and 'literal' keys, basic strings
   with escapes, literal strings, booleans, decimal integers, (multi-line) arrays, [tables],
   [a.b] tables and [[arrays.of.tables]].  Dotted keys, inline tables, multi-line strings,
   floats and dates are rejected with an error naming the construct.

   The document becomes json-c objects: tables are objects (members in file order), arrays of
   tables are arrays of objects.  Errors read: "FILE" line N: what is wrong. */

/* Parses len bytes of text (NUL bytes are rejected); filename only names the source in errors. */
int rcr_toml_parse (const char *text, size_t len, const char *filename, json_object **out, rcr_error_t *err);

/* Reads and parses a TOML file of at most max_size bytes; a missing file fails with status ENOENT. */
int rcr_toml_parse_file (const char *path, size_t max_size, json_object **out, rcr_error_t *err);

/* The 1-based line where a table, array of tables element or value returned by
   rcr_toml_parse was defined (for a value: the line of its key); 0 when unknown. */
int rcr_toml_line (json_object *obj);

#endif
