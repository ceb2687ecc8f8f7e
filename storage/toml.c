/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include "storage/toml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/util.h"

/* Deep enough for any configuration file, shallow enough that hostile input cannot
   exhaust the stack. */
#define MAX_ARRAY_DEPTH 32

/* Long tokens are cut in messages so that an error stays one readable line. */
#define MAX_TOKEN_SHOWN 40

struct ptr_set
{
  json_object **v;
  size_t n, cap;
};

struct parser
{
  const char *p;
  const char *end;
  const char *filename;
  int line;
  json_object *root;
  json_object *current;
  struct ptr_set defined_tables; /* [headers] seen, so that a table is defined once */
  struct ptr_set table_arrays;   /* arrays created by [[headers]], the only ones [[ ]] may extend */
  rcr_error_t *err;
};

struct strbuf
{
  char *s;
  size_t len, cap;
};

static void
parser_clear (struct parser *ps)
{
  free (ps->defined_tables.v);
  free (ps->table_arrays.v);
  if (ps->root)
    json_object_put (ps->root);
}

static void
ptr_set_add (struct ptr_set *set, json_object *o)
{
  if (set->n == set->cap)
    {
      set->cap = set->cap ? set->cap * 2 : 16;
      set->v = rcr_xrealloc (set->v, set->cap * sizeof (*set->v));
    }
  set->v[set->n++] = o;
}

static bool
ptr_set_has (const struct ptr_set *set, json_object *o)
{
  for (size_t i = 0; i < set->n; i++)
    if (set->v[i] == o)
      return true;
  return false;
}

static void
strbuf_add (struct strbuf *b, const char *data, size_t len)
{
  if (b->len + len + 1 > b->cap)
    {
      while (b->len + len + 1 > b->cap)
        b->cap = b->cap ? b->cap * 2 : 32;
      b->s = rcr_xrealloc (b->s, b->cap);
    }
  memcpy (b->s + b->len, data, len);
  b->len += len;
  b->s[b->len] = '\0';
}

static void
strbuf_clear (struct strbuf *b)
{
  free (b->s);
}

static void
set_line (json_object *o, int line)
{
  json_object_set_userdata (o, (void *)(uintptr_t)line, NULL);
}

int
rcr_toml_line (json_object *obj)
{
  if (obj == NULL)
    return 0;
  return (int)(uintptr_t)json_object_get_userdata (obj);
}

static int __attribute__ ((format (printf, 3, 4))) parse_error (struct parser *ps, int line, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (ps->filename)
    return rcr_make_error (ps->err, 0, "\"%s\" line %d: %s", ps->filename, line, msg);
  return rcr_make_error (ps->err, 0, "line %d: %s", line, msg);
}

static int
peek (const struct parser *ps, size_t off)
{
  if ((size_t)(ps->end - ps->p) <= off)
    return -1;
  return (unsigned char)ps->p[off];
}

static bool
at_eof (const struct parser *ps)
{
  return ps->p >= ps->end;
}

static void
skip_ws (struct parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t'))
    ps->p++;
}

static bool
is_delimiter (int c)
{
  return c < 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ']' || c == '[' || c == '#'
         || c == '=';
}

static bool
is_bare_key_char (int c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool
is_control (int c)
{
  return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/* Length of the run of non-delimiter characters at the cursor, for error messages. */
static int
token_len (const struct parser *ps)
{
  size_t n = 0;
  while (!is_delimiter (peek (ps, n)) && n < MAX_TOKEN_SHOWN)
    n++;
  return (int)n;
}

/* Describes the character at the cursor for "expected X, found Y" messages. */
static const char *
describe_here (const struct parser *ps, char buf[static 16])
{
  int c = peek (ps, 0);
  if (c < 0)
    return "end of file";
  if (c == '\n' || c == '\r')
    return "end of line";
  if (c > 0x20 && c < 0x7f)
    snprintf (buf, 16, "'%c'", c);
  else
    snprintf (buf, 16, "byte 0x%02x", (unsigned)c);
  return buf;
}

/* Consumes a line break; a lone carriage return is not one. */
static int
consume_newline (struct parser *ps)
{
  if (peek (ps, 0) == '\r')
    {
      if (peek (ps, 1) != '\n')
        return parse_error (ps, ps->line, "carriage return not followed by a newline");
      ps->p++;
    }
  ps->p++;
  ps->line++;
  return 0;
}

static int
skip_comment (struct parser *ps)
{
  /* Control characters other than tab are not allowed in comments either. */
  while (ps->p < ps->end && *ps->p != '\n' && *ps->p != '\r')
    {
      if (is_control ((unsigned char)*ps->p))
        return parse_error (ps, ps->line, "control character 0x%02x in comment", (unsigned)(unsigned char)*ps->p);
      ps->p++;
    }
  return 0;
}

/* After a value or header only whitespace and a comment may follow on the line. */
static int
expect_end_of_line (struct parser *ps, const char *after)
{
  char buf[16];

  skip_ws (ps);
  if (peek (ps, 0) == '#' && skip_comment (ps) < 0)
    return -1;
  if (at_eof (ps))
    return 0;
  if (*ps->p == '\n' || *ps->p == '\r')
    return consume_newline (ps);
  return parse_error (ps, ps->line, "unexpected %s after %s; put each key = value on its own line",
                      describe_here (ps, buf), after);
}

/* Whitespace, newlines and comments, as allowed between array elements. */
static int
skip_ws_newlines_comments (struct parser *ps)
{
  for (;;)
    {
      int c;
      skip_ws (ps);
      c = peek (ps, 0);
      if (c == '#')
        {
          if (skip_comment (ps) < 0)
            return -1;
        }
      else if (c == '\n' || c == '\r')
        {
          if (consume_newline (ps) < 0)
            return -1;
        }
      else
        return 0;
    }
}

static int
hex_value (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static void
append_utf8 (struct strbuf *b, uint32_t cp)
{
  char u[4];
  size_t n;

  if (cp < 0x80)
    {
      u[0] = (char)cp;
      n = 1;
    }
  else if (cp < 0x800)
    {
      u[0] = (char)(0xc0 | (cp >> 6));
      u[1] = (char)(0x80 | (cp & 0x3f));
      n = 2;
    }
  else if (cp < 0x10000)
    {
      u[0] = (char)(0xe0 | (cp >> 12));
      u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
      u[2] = (char)(0x80 | (cp & 0x3f));
      n = 3;
    }
  else
    {
      u[0] = (char)(0xf0 | (cp >> 18));
      u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
      u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
      u[3] = (char)(0x80 | (cp & 0x3f));
      n = 4;
    }
  strbuf_add (b, u, n);
}

static int
parse_unicode_escape (struct parser *ps, int digits, struct strbuf *b)
{
  uint32_t cp = 0;

  for (int i = 0; i < digits; i++)
    {
      int h = hex_value (peek (ps, (size_t)i));
      if (h < 0)
        return parse_error (ps, ps->line, "invalid escape sequence: \\%c needs %d hexadecimal digits",
                            digits == 4 ? 'u' : 'U', digits);
      cp = cp * 16 + (uint32_t)h;
    }
  if (cp == 0)
    return parse_error (ps, ps->line, "escape sequence \\%c%0*X: NUL characters are not allowed",
                        digits == 4 ? 'u' : 'U', digits, cp);
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return parse_error (ps, ps->line, "escape sequence \\%c%0*X is not a Unicode scalar value", digits == 4 ? 'u' : 'U',
                        digits, cp);
  ps->p += digits;
  append_utf8 (b, cp);
  return 0;
}

/* A "basic string" on one line, cursor on the opening quote; the result is malloc'd. */
static int
parse_basic_string (struct parser *ps, char **out, size_t *out_len)
{
  __attribute__ ((cleanup (strbuf_clear))) struct strbuf b = { 0 };

  if (peek (ps, 1) == '"' && peek (ps, 2) == '"')
    return parse_error (ps, ps->line, "multi-line strings (\"\"\") are not supported; use a \"string\" on one line");
  ps->p++;
  for (;;)
    {
      int c = peek (ps, 0);
      if (c < 0 || c == '\n' || c == '\r')
        return parse_error (ps, ps->line, "unterminated string: missing closing '\"'");
      if (c == '"')
        {
          ps->p++;
          break;
        }
      if (c == '\\')
        {
          char esc = 0;
          int e = peek (ps, 1);
          ps->p += 2;
          switch (e)
            {
            case 'b':
              esc = '\b';
              break;
            case 't':
              esc = '\t';
              break;
            case 'n':
              esc = '\n';
              break;
            case 'f':
              esc = '\f';
              break;
            case 'r':
              esc = '\r';
              break;
            case '"':
              esc = '"';
              break;
            case '\\':
              esc = '\\';
              break;
            case 'u':
              if (parse_unicode_escape (ps, 4, &b) < 0)
                return -1;
              continue;
            case 'U':
              if (parse_unicode_escape (ps, 8, &b) < 0)
                return -1;
              continue;
            case -1:
            case '\n':
            case '\r':
              return parse_error (ps, ps->line, "unterminated string: missing closing '\"'");
            default:
              if (e > 0x20 && e < 0x7f)
                return parse_error (ps, ps->line, "invalid escape sequence '\\%c'; write a backslash as '\\\\'", e);
              return parse_error (ps, ps->line, "invalid escape sequence: backslash followed by byte 0x%02x",
                                  (unsigned)e);
            }
          strbuf_add (&b, &esc, 1);
          continue;
        }
      if (is_control (c))
        return parse_error (ps, ps->line, "control character 0x%02x in string; use an escape sequence", (unsigned)c);
      strbuf_add (&b, ps->p, 1);
      ps->p++;
    }
  if (b.s == NULL)
    strbuf_add (&b, "", 0);
  *out_len = b.len;
  *out = steal_pointer (&b.s);
  return 0;
}

/* A 'literal string' on one line, cursor on the opening quote. */
static int
parse_literal_string (struct parser *ps, char **out, size_t *out_len)
{
  const char *start;

  if (peek (ps, 1) == '\'' && peek (ps, 2) == '\'')
    return parse_error (ps, ps->line, "multi-line strings (''') are not supported; use a 'string' on one line");
  start = ++ps->p;
  for (;;)
    {
      int c = peek (ps, 0);
      if (c < 0 || c == '\n' || c == '\r')
        return parse_error (ps, ps->line, "unterminated string: missing closing \"'\"");
      if (c == '\'')
        break;
      if (is_control (c))
        return parse_error (ps, ps->line, "control character 0x%02x in string", (unsigned)c);
      ps->p++;
    }
  *out_len = (size_t)(ps->p - start);
  *out = rcr_xmalloc0 (*out_len + 1);
  memcpy (*out, start, *out_len);
  ps->p++;
  return 0;
}

/* One key (bare, "basic" or 'literal'), cursor on its first character. */
static int
parse_key (struct parser *ps, const char *what, char **out)
{
  size_t len = 0, n = 0;
  cleanup_free char *key = NULL;
  char buf[16];
  int c = peek (ps, 0);

  if (c == '"' || c == '\'')
    {
      if ((c == '"' ? parse_basic_string (ps, &key, &len) : parse_literal_string (ps, &key, &len)) < 0)
        return -1;
      /* The key becomes a C string in json-c, so it cannot hold a NUL (already refused). */
      *out = steal_pointer (&key);
      return 0;
    }
  while (is_bare_key_char (peek (ps, n)))
    n++;
  if (n == 0)
    {
      if (c == '=')
        return parse_error (ps, ps->line, "missing key before '='");
      return parse_error (ps, ps->line, "expected %s, found %s", what, describe_here (ps, buf));
    }
  *out = strndup (ps->p, n);
  if (*out == NULL)
    abort ();
  ps->p += n;
  return 0;
}

static int parse_value (struct parser *ps, int depth, json_object **out);

static int
parse_array (struct parser *ps, int depth, json_object **out)
{
  cleanup_json json_object *arr = json_object_new_array ();
  int start_line = ps->line;
  char buf[16];

  if (depth >= MAX_ARRAY_DEPTH)
    return parse_error (ps, ps->line, "arrays nested more than %d deep", MAX_ARRAY_DEPTH);
  ps->p++;
  for (;;)
    {
      json_object *v = NULL;

      if (skip_ws_newlines_comments (ps) < 0)
        return -1;
      if (at_eof (ps))
        return parse_error (ps, start_line, "unterminated array: missing ']'");
      if (*ps->p == ']')
        break;
      if (parse_value (ps, depth + 1, &v) < 0)
        return -1;
      json_object_array_add (arr, v);
      if (skip_ws_newlines_comments (ps) < 0)
        return -1;
      if (at_eof (ps))
        return parse_error (ps, start_line, "unterminated array: missing ']'");
      if (*ps->p == ']')
        break;
      if (*ps->p != ',')
        return parse_error (ps, ps->line, "expected ',' or ']' in array, found %s", describe_here (ps, buf));
      ps->p++;
    }
  ps->p++;
  *out = steal_pointer (&arr);
  return 0;
}

/* TOML decimal integers: optional sign, no leading zeros, '_' only between digits. */
static int
parse_integer (struct parser *ps, json_object **out)
{
  const char *start = ps->p;
  bool negative = false;
  uint64_t v = 0, limit;
  size_t digits = 0;
  int c = peek (ps, 0);

  if (c == '+' || c == '-')
    {
      negative = c == '-';
      ps->p++;
    }
  limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (;;)
    {
      c = peek (ps, 0);
      if (c == '_' && digits > 0 && peek (ps, 1) >= '0' && peek (ps, 1) <= '9')
        {
          ps->p++;
          continue;
        }
      if (c < '0' || c > '9')
        break;
      if (digits == 1 && v == 0)
        goto unsupported;
      if (v > (limit - (uint64_t)(c - '0')) / 10)
        {
          ps->p = start;
          return parse_error (ps, ps->line, "integer %.*s is out of range", token_len (ps), start);
        }
      v = v * 10 + (uint64_t)(c - '0');
      digits++;
      ps->p++;
    }
  if (digits == 0 || !is_delimiter (peek (ps, 0)))
    goto unsupported;
  if (negative)
    *out = json_object_new_int64 (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v);
  else
    *out = json_object_new_int64 ((int64_t)v);
  return 0;

unsupported:
  ps->p = start;
  return parse_error (ps, ps->line,
                      "unsupported value %.*s: only decimal integers are supported (no floats, dates, leading zeros "
                      "or 0x/0o/0b)",
                      token_len (ps), start);
}

static bool
match_word (const struct parser *ps, const char *word)
{
  size_t n = strlen (word);
  return (size_t)(ps->end - ps->p) >= n && memcmp (ps->p, word, n) == 0 && is_delimiter (peek (ps, n));
}

static int
parse_value (struct parser *ps, int depth, json_object **out)
{
  char buf[16];
  int c = peek (ps, 0);
  int n;

  switch (c)
    {
    case '"':
    case '\'':
      {
        cleanup_free char *s = NULL;
        size_t len = 0;
        if ((c == '"' ? parse_basic_string (ps, &s, &len) : parse_literal_string (ps, &s, &len)) < 0)
          return -1;
        *out = json_object_new_string_len (s, (int)len);
        break;
      }
    case '[':
      if (parse_array (ps, depth, out) < 0)
        return -1;
      break;
    case '{':
      return parse_error (ps, ps->line, "inline tables ({ ... }) are not supported; use a [table] section instead");
    case '+':
    case '-':
    case '0' ... '9':
      if (parse_integer (ps, out) < 0)
        return -1;
      break;
    case -1:
    case '\n':
    case '\r':
      return parse_error (ps, ps->line, "missing value");
    default:
      if (match_word (ps, "true") || match_word (ps, "false"))
        {
          bool b = *ps->p == 't';
          ps->p += b ? 4 : 5;
          *out = json_object_new_boolean (b);
          break;
        }
      n = token_len (ps);
      if (n == 0)
        return parse_error (ps, ps->line, "expected a value, found %s", describe_here (ps, buf));
      return parse_error (ps, ps->line,
                          "invalid value '%.*s': expected a \"string\", an integer, true, false or an array; strings "
                          "must be quoted",
                          n, ps->p);
    }
  set_line (*out, ps->line);
  return 0;
}

static const char *
type_name (json_object *o)
{
  if (json_object_is_type (o, json_type_object))
    return "a table";
  if (json_object_is_type (o, json_type_array))
    return "an array";
  return "a value";
}

static int
parse_key_value (struct parser *ps)
{
  cleanup_free char *key = NULL;
  json_object *existing = NULL, *value = NULL;
  int line = ps->line;
  char buf[16];

  if (parse_key (ps, "a key or [table]", &key) < 0)
    return -1;
  skip_ws (ps);
  if (peek (ps, 0) == '.')
    return parse_error (ps, line, "dotted keys (%s.…) are not supported; use a [%s] table instead", key, key);
  if (peek (ps, 0) != '=')
    return parse_error (ps, line, "expected '=' after key '%s', found %s", key, describe_here (ps, buf));
  if (json_object_object_get_ex (ps->current, key, &existing))
    {
      if (rcr_toml_line (existing) > 0)
        return parse_error (ps, line, "duplicate key '%s' (first defined on line %d)", key, rcr_toml_line (existing));
      return parse_error (ps, line, "duplicate key '%s'", key);
    }
  ps->p++;
  skip_ws (ps);
  if (parse_value (ps, 0, &value) < 0)
    return -1;
  set_line (value, line);
  json_object_object_add (ps->current, key, value);
  return expect_end_of_line (ps, "value");
}

/* Joins header parts for messages: [a.b]. */
static char *
join_path (char **parts, size_t n)
{
  struct strbuf b = { 0 };
  for (size_t i = 0; i < n; i++)
    {
      if (i > 0)
        strbuf_add (&b, ".", 1);
      strbuf_add (&b, parts[i], strlen (parts[i]));
    }
  return b.s;
}

static int
open_table (struct parser *ps, char **parts, size_t n, bool array, int line)
{
  cleanup_free char *path = join_path (parts, n);
  json_object *t = ps->root, *v = NULL;

  /* Every part but the last names a table to descend into, created implicitly if absent;
     an array of tables stands for its latest element. */
  for (size_t i = 0; i + 1 < n; i++)
    {
      if (!json_object_object_get_ex (t, parts[i], &v))
        {
          v = json_object_new_object ();
          set_line (v, line);
          json_object_object_add (t, parts[i], v);
        }
      else if (json_object_is_type (v, json_type_array) && ptr_set_has (&ps->table_arrays, v))
        v = json_object_array_get_idx (v, json_object_array_length (v) - 1);
      else if (!json_object_is_type (v, json_type_object))
        return parse_error (ps, line, "cannot define [%s]: '%s' is already %s (line %d)", path, parts[i], type_name (v),
                            rcr_toml_line (v));
      t = v;
    }

  if (!json_object_object_get_ex (t, parts[n - 1], &v))
    {
      v = array ? json_object_new_array () : json_object_new_object ();
      set_line (v, line);
      json_object_object_add (t, parts[n - 1], v);
      if (array)
        ptr_set_add (&ps->table_arrays, v);
    }
  else if (array)
    {
      if (!json_object_is_type (v, json_type_array) || !ptr_set_has (&ps->table_arrays, v))
        return parse_error (ps, line, "cannot define [[%s]]: '%s' is already %s (line %d)", path, parts[n - 1],
                            type_name (v), rcr_toml_line (v));
    }
  else
    {
      if (json_object_is_type (v, json_type_array) && ptr_set_has (&ps->table_arrays, v))
        return parse_error (ps, line, "cannot define [%s]: it is an array of tables [[%s]] (line %d)", path, path,
                            rcr_toml_line (v));
      if (!json_object_is_type (v, json_type_object))
        return parse_error (ps, line, "cannot define [%s]: '%s' is already %s (line %d)", path, parts[n - 1],
                            type_name (v), rcr_toml_line (v));
      if (ptr_set_has (&ps->defined_tables, v))
        return parse_error (ps, line, "table [%s] is defined twice (first on line %d)", path, rcr_toml_line (v));
      /* An implicitly created table now gets its own header line. */
      set_line (v, line);
    }

  if (array)
    {
      json_object *elem = json_object_new_object ();
      set_line (elem, line);
      json_object_array_add (v, elem);
      v = elem;
    }
  ptr_set_add (&ps->defined_tables, v);
  ps->current = v;
  return 0;
}

static int
parse_header (struct parser *ps)
{
  cleanup_strv char **parts = NULL;
  cleanup_free char *path = NULL;
  size_t n = 0;
  int line = ps->line;
  bool array = peek (ps, 1) == '[';
  char buf[16];

  ps->p += array ? 2 : 1;
  for (;;)
    {
      char *part = NULL;
      skip_ws (ps);
      if (parse_key (ps, "a table name", &part) < 0)
        return -1;
      parts = rcr_xrealloc (parts, (n + 2) * sizeof (*parts));
      parts[n++] = part;
      parts[n] = NULL;
      skip_ws (ps);
      if (peek (ps, 0) != '.')
        break;
      ps->p++;
    }
  path = join_path (parts, n);
  if (array)
    {
      if (peek (ps, 0) != ']' || peek (ps, 1) != ']')
        return parse_error (ps, line, "expected ']]' to close [[%s, found %s", path, describe_here (ps, buf));
      ps->p += 2;
    }
  else
    {
      if (peek (ps, 0) != ']')
        return parse_error (ps, line, "expected ']' to close [%s, found %s", path, describe_here (ps, buf));
      ps->p++;
    }
  if (open_table (ps, parts, n, array, line) < 0)
    return -1;
  return expect_end_of_line (ps, "table header");
}

/* Returns the offset of the first byte that is not part of valid UTF-8 (no overlong forms,
   no surrogates, nothing above U+10FFFF), or len when the text is valid. */
static size_t
utf8_invalid_offset (const unsigned char *s, size_t len)
{
  size_t i = 0;
  while (i < len)
    {
      unsigned char c = s[i];
      size_t n;
      uint32_t cp;

      if (c < 0x80)
        {
          i++;
          continue;
        }
      if (c >= 0xc2 && c <= 0xdf)
        n = 1, cp = c & 0x1f;
      else if (c >= 0xe0 && c <= 0xef)
        n = 2, cp = c & 0x0f;
      else if (c >= 0xf0 && c <= 0xf4)
        n = 3, cp = c & 0x07;
      else
        return i;
      for (size_t k = 1; k <= n; k++)
        {
          if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
            return i;
          cp = (cp << 6) | (s[i + k] & 0x3f);
        }
      if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return i;
      i += n + 1;
    }
  return len;
}

static int
line_of_offset (const char *text, size_t off)
{
  int line = 1;
  for (size_t i = 0; i < off; i++)
    if (text[i] == '\n')
      line++;
  return line;
}

int
rcr_toml_parse (const char *text, size_t len, const char *filename, json_object **out, rcr_error_t *err)
{
  __attribute__ ((cleanup (parser_clear))) struct parser ps = { 0 };
  const char *nul;
  size_t bad;

  ps.filename = filename;
  ps.err = err;
  ps.line = 1;
  if (text == NULL)
    text = "", len = 0;

  nul = memchr (text, '\0', len);
  if (nul)
    return parse_error (&ps, line_of_offset (text, (size_t)(nul - text)), "NUL byte in file");
  bad = utf8_invalid_offset ((const unsigned char *)text, len);
  if (bad < len)
    return parse_error (&ps, line_of_offset (text, bad), "invalid UTF-8 (byte 0x%02x)",
                        (unsigned)(unsigned char)text[bad]);

  ps.p = text;
  ps.end = text + len;
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    ps.p += 3;
  ps.root = json_object_new_object ();
  set_line (ps.root, 1);
  ps.current = ps.root;

  while (!at_eof (&ps))
    {
      int c;
      skip_ws (&ps);
      c = peek (&ps, 0);
      if (c == '#')
        {
          if (skip_comment (&ps) < 0)
            return -1;
          continue;
        }
      if (c == '\n' || c == '\r')
        {
          if (consume_newline (&ps) < 0)
            return -1;
          continue;
        }
      if (c < 0)
        break;
      if (c == '[')
        {
          if (parse_header (&ps) < 0)
            return -1;
          continue;
        }
      if (parse_key_value (&ps) < 0)
        return -1;
    }
  *out = steal_pointer (&ps.root);
  return 0;
}

int
rcr_toml_parse_file (const char *path, size_t max_size, json_object **out, rcr_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;

  if (rcr_read_file (path, max_size, &text, &len, err) < 0)
    return -1;
  return rcr_toml_parse (text, len, path, out, err);
}
