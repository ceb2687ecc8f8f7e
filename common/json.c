/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "json.h"

#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "util.h"

int
rcr_json_parse (const char *text, const char *source, json_object **out, rcr_error_t *err)
{
  json_tokener *tok = json_tokener_new ();
  json_object *obj;
  enum json_tokener_error jerr;

  if (tok == NULL)
    abort ();
  obj = json_tokener_parse_ex (tok, text, (int)strlen (text));
  jerr = json_tokener_get_error (tok);
  if (obj == NULL || jerr != json_tokener_success || tok->char_offset != (int)strlen (text))
    {
      int off = tok->char_offset;
      json_tokener_free (tok);
      if (obj)
        json_object_put (obj);
      return rcr_make_error (err, 0, "parse JSON %s: %s at offset %d", source,
                             jerr == json_tokener_success ? "trailing data" : json_tokener_error_desc (jerr), off);
    }
  json_tokener_free (tok);
  *out = obj;
  return 0;
}

int
rcr_json_read_file (const char *path, size_t max_size, json_object **out, rcr_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_free char *source = NULL;

  if (rcr_read_file (path, max_size, &text, NULL, err) < 0)
    return -1;
  source = rcr_strdup_printf ("\"%s\"", path);
  return rcr_json_parse (text, source, out, err);
}

int
rcr_json_write_file_sync (const char *path, json_object *obj, mode_t mode, bool sync, rcr_error_t *err)
{
  size_t len;
  const char *s
      = json_object_to_json_string_length (obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
  cleanup_free char *buf = rcr_strdup_printf ("%s\n", s);
  return rcr_write_file_replace (path, buf, len + 1, mode, sync, err);
}

int
rcr_json_write_file (const char *path, json_object *obj, mode_t mode, rcr_error_t *err)
{
  return rcr_json_write_file_sync (path, obj, mode, true, err);
}

const char *
rcr_json_get_string (json_object *obj, const char *key, const char *def)
{
  json_object *v;
  if (obj && json_object_object_get_ex (obj, key, &v) && json_object_is_type (v, json_type_string))
    return json_object_get_string (v);
  return def;
}

int64_t
rcr_json_get_int64 (json_object *obj, const char *key, int64_t def)
{
  json_object *v;
  if (obj && json_object_object_get_ex (obj, key, &v) && json_object_is_type (v, json_type_int))
    return json_object_get_int64 (v);
  return def;
}

bool
rcr_json_get_bool (json_object *obj, const char *key, bool def)
{
  json_object *v;
  if (obj && json_object_object_get_ex (obj, key, &v) && json_object_is_type (v, json_type_boolean))
    return json_object_get_boolean (v);
  return def;
}

json_object *
rcr_json_get_object (json_object *obj, const char *key)
{
  json_object *v;
  if (obj && json_object_object_get_ex (obj, key, &v) && json_object_is_type (v, json_type_object))
    return v;
  return NULL;
}

json_object *
rcr_json_get_array (json_object *obj, const char *key)
{
  json_object *v;
  if (obj && json_object_object_get_ex (obj, key, &v) && json_object_is_type (v, json_type_array))
    return v;
  return NULL;
}

void
rcr_json_add_string (json_object *obj, const char *key, const char *value)
{
  if (value)
    json_object_object_add (obj, key, json_object_new_string (value));
}
