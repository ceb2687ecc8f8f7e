/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_COMMON_JSON_H
#define RCR_COMMON_JSON_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

static inline void
rcr_cleanup_jsonp (json_object **j)
{
  if (*j)
    json_object_put (*j);
}
#define cleanup_json __attribute__ ((cleanup (rcr_cleanup_jsonp)))

/* Parses a JSON document; the error names the source. */
int rcr_json_parse (const char *text, const char *source, json_object **out, rcr_error_t *err);

/* Reads and parses a JSON file of at most max_size bytes. */
int rcr_json_read_file (const char *path, size_t max_size, json_object **out, rcr_error_t *err);

/* Serialises (pretty) and writes atomically: tmp + fsync + rename. */
int rcr_json_write_file (const char *path, json_object *obj, mode_t mode, rcr_error_t *err);
/* ... with the fsync optional (see rcr_write_file_replace). */
int rcr_json_write_file_sync (const char *path, json_object *obj, mode_t mode, bool sync, rcr_error_t *err);

/* Tolerant getters: a missing field or one of the wrong type gives the default. */
const char *rcr_json_get_string (json_object *obj, const char *key, const char *def);
int64_t rcr_json_get_int64 (json_object *obj, const char *key, int64_t def);
bool rcr_json_get_bool (json_object *obj, const char *key, bool def);
json_object *rcr_json_get_object (json_object *obj, const char *key);
json_object *rcr_json_get_array (json_object *obj, const char *key);

/* Adds a string member only when value is not NULL. */
void rcr_json_add_string (json_object *obj, const char *key, const char *value);

#endif
