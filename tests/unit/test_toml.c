/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/util.h"
#include "storage/toml.h"
#include "tap.h"

#define FILE_NAME "/etc/containers/registries.conf"

static json_object *
parse_ok (const char *text, const char *what)
{
  json_object *out = NULL;
  rcr_error_t err = NULL;
  int r = rcr_toml_parse (text, strlen (text), FILE_NAME, &out, &err);
  tap_ok (r == 0 && out != NULL, "%s: parses", what);
  if (err)
    printf ("#   error: %s\n", err->msg);
  rcr_error_release (&err);
  return out;
}

/* Parses text (len bytes) that must fail with exactly want_msg. */
static void
parse_fails_len (const char *text, size_t len, const char *want_msg, const char *what)
{
  json_object *out = NULL;
  rcr_error_t err = NULL;
  int r = rcr_toml_parse (text, len, FILE_NAME, &out, &err);
  tap_ok (r < 0 && out == NULL, "%s: rejected", what);
  tap_is_str (err ? err->msg : NULL, want_msg, "%s: message", what);
  if (out)
    json_object_put (out);
  rcr_error_release (&err);
}

static void
parse_fails (const char *text, const char *want_msg, const char *what)
{
  parse_fails_len (text, strlen (text), want_msg, what);
}

/* Follows a path of object keys and array indexes ("registry", "#1", "mirror"). */
static json_object *
get (json_object *o, const char *path)
{
  cleanup_free char *copy = rcr_xstrdup (path);
  char *save = NULL;
  for (char *part = strtok_r (copy, "/", &save); part && o; part = strtok_r (NULL, "/", &save))
    {
      if (part[0] == '#')
        o = json_object_is_type (o, json_type_array) ? json_object_array_get_idx (o, (size_t)atoi (part + 1)) : NULL;
      else if (!json_object_is_type (o, json_type_object) || !json_object_object_get_ex (o, part, &o))
        o = NULL;
    }
  return o;
}

/* -1 when the path does not lead to an array, so that a broken parse fails instead of aborting. */
static long
get_len (json_object *o, const char *path)
{
  json_object *v = get (o, path);
  return v && json_object_is_type (v, json_type_array) ? (long)json_object_array_length (v) : -1;
}

static const char *
get_str (json_object *o, const char *path)
{
  json_object *v = get (o, path);
  return v && json_object_is_type (v, json_type_string) ? json_object_get_string (v) : NULL;
}

static void
test_registries_file (void)
{
  cleanup_json json_object *root = parse_ok ("# podman user config\n"
                                             "unqualified-search-registries = [\"docker.io\", 'quay.io']\n"
                                             "short-name-mode = \"enforcing\"\n"
                                             "\n"
                                             "[[registry]]\n"
                                             "prefix = \"docker.io\"\n"
                                             "location = \"registry-1.docker.io\"  # primary\n"
                                             "[[registry.mirror]]\n"
                                             "location = \"127.0.0.1:5000\"\n"
                                             "insecure = true\n"
                                             "[[registry.mirror]]\n"
                                             "location = \"mirror.example.com\"\n"
                                             "\n"
                                             "[[registry]]\n"
                                             "location = \"quay.io\"\n"
                                             "blocked = true\n"
                                             "[[registry.mirror]]\n"
                                             "location = \"quay-mirror.local\"\n",
                                             "registries.conf");
  tap_ok (get_len (root, "registry") == 2 && json_object_is_type (get (root, "registry/#1"), json_type_object),
          "[[registry]] becomes an array of 2 objects");
  tap_is_str (get_str (root, "unqualified-search-registries/#0"), "docker.io", "search[0]");
  tap_is_str (get_str (root, "unqualified-search-registries/#1"), "quay.io", "search[1] from a literal string");
  tap_is_str (get_str (root, "registry/#0/location"), "registry-1.docker.io", "registry 0 location");
  tap_is_int (get_len (root, "registry/#0/mirror"), 2, "registry 0 has its 2 mirrors");
  tap_is_str (get_str (root, "registry/#0/mirror/#0/location"), "127.0.0.1:5000", "first mirror location");
  tap_ok (json_object_get_boolean (get (root, "registry/#0/mirror/#0/insecure")), "first mirror insecure = true");
  tap_is_str (get_str (root, "registry/#0/mirror/#1/location"), "mirror.example.com", "second mirror location");
  tap_is_int (get_len (root, "registry/#1/mirror"), 1, "a mirror after the second [[registry]] belongs to it");
  tap_is_str (get_str (root, "registry/#1/mirror/#0/location"), "quay-mirror.local", "second registry's mirror");
  tap_ok (json_object_is_type (get (root, "registry/#1/blocked"), json_type_boolean)
              && json_object_get_boolean (get (root, "registry/#1/blocked")),
          "blocked is a boolean true");
  tap_is_int (rcr_toml_line (get (root, "registry/#1")), 14, "line of the second [[registry]] header");
  tap_is_int (rcr_toml_line (get (root, "registry/#0/location")), 7, "line of a value is its key's line");
  tap_is_int (rcr_toml_line (get (root, "registry/#1/mirror/#0")), 17, "line of a [[registry.mirror]] element");
  tap_is_int (rcr_toml_line (get (root, "registry/#0/mirror/#0/insecure")), 10,
              "booleans carry their own line (not shared objects)");
}

static void
test_escapes (void)
{
  cleanup_json json_object *root = parse_ok ("a = \"q\\\"uote\\\\ back\\nnl\\ttab\"\n"
                                             "b = \"\\u00e9\\U0001F600\\b\\f\\r\"\n"
                                             "c = 'C:\\path\\no\\escapes \"here\"'\n"
                                             "d = \"\"\n"
                                             "e = \"caf\xc3\xa9 raw utf-8\"\n",
                                             "escapes");
  tap_is_str (get_str (root, "a"), "q\"uote\\ back\nnl\ttab", "\\\" \\\\ \\n \\t escapes");
  tap_is_str (get_str (root, "b"), "\xc3\xa9\xf0\x9f\x98\x80\b\f\r", "\\u and \\U escapes become UTF-8");
  tap_is_str (get_str (root, "c"), "C:\\path\\no\\escapes \"here\"", "literal strings keep backslashes");
  tap_is_str (get_str (root, "d"), "", "empty string");
  tap_is_str (get_str (root, "e"), "caf\xc3\xa9 raw utf-8", "raw UTF-8 kept");
}

static void
test_scalars (void)
{
  cleanup_json json_object *root = parse_ok ("t = true\nf = false\n"
                                             "i = 42\nn = -17\np = +5\nz = 0\nu = 1_000_000\n"
                                             "max = 9223372036854775807\nmin = -9223372036854775808\n",
                                             "scalars");
  tap_ok (json_object_is_type (get (root, "t"), json_type_boolean) && json_object_get_boolean (get (root, "t")),
          "true");
  tap_ok (json_object_is_type (get (root, "f"), json_type_boolean) && !json_object_get_boolean (get (root, "f")),
          "false");
  tap_is_int (json_object_get_int64 (get (root, "i")), 42, "integer");
  tap_is_int (json_object_get_int64 (get (root, "n")), -17, "negative integer");
  tap_is_int (json_object_get_int64 (get (root, "p")), 5, "explicit plus sign");
  tap_is_int (json_object_get_int64 (get (root, "z")), 0, "zero");
  tap_is_int (json_object_get_int64 (get (root, "u")), 1000000, "underscores between digits");
  tap_ok (json_object_get_int64 (get (root, "max")) == INT64_MAX, "INT64_MAX");
  tap_ok (json_object_get_int64 (get (root, "min")) == INT64_MIN, "INT64_MIN");
}

static void
test_multiline_arrays (void)
{
  cleanup_json json_object *root = parse_ok ("unqualified-search-registries = [\n"
                                             "  \"registry.fedoraproject.org\",  # Fedora\n"
                                             "  # a comment line inside the array\n"
                                             "\n"
                                             "  \"docker.io\",\n"
                                             "]\n"
                                             "empty = [ ]\n"
                                             "nested = [ [1, 2], [\"x\"], true ]\n"
                                             "after = 1\n",
                                             "multi-line arrays");
  tap_is_int (get_len (root, "unqualified-search-registries"), 2,
              "trailing comma, comments and blank lines inside the array");
  tap_is_str (get_str (root, "unqualified-search-registries/#1"), "docker.io", "second element");
  tap_is_int (get_len (root, "empty"), 0, "empty array");
  tap_is_int (json_object_get_int64 (get (root, "nested/#0/#1")), 2, "nested array element");
  tap_is_int (rcr_toml_line (get (root, "after")), 9, "line counting continues after a multi-line array");
}

static void
test_tables_and_keys (void)
{
  cleanup_json json_object *root = parse_ok ("\xef\xbb\xbf"
                                             "top = 1\r\n"
                                             "[aliases]\r\n"
                                             "  \"alpine\" = \"docker.io/library/alpine\"\r\n"
                                             "  'rhel/toolbox' = \"registry.access.redhat.com/ubi8/toolbox\"\r\n"
                                             "  bare-key_1 = \"x\"\r\n"
                                             "[a.b]\r\n"
                                             "c = 1\r\n"
                                             "[ a . \"quoted part\" ]\r\n"
                                             "d = 2\r\n"
                                             "[a]\r\n"
                                             "e = 3\r\n",
                                             "tables, quoted keys, CRLF, BOM");
  tap_is_int (json_object_get_int64 (get (root, "top")), 1, "root key before any table");
  tap_is_str (get_str (root, "aliases/alpine"), "docker.io/library/alpine", "\"quoted\" key");
  {
    json_object *aliases = get (root, "aliases"), *v = NULL;
    tap_ok (aliases && json_object_object_get_ex (aliases, "rhel/toolbox", &v)
                && strcmp (json_object_get_string (v), "registry.access.redhat.com/ubi8/toolbox") == 0,
            "'literal' key with a slash");
  }
  tap_is_str (get_str (root, "aliases/bare-key_1"), "x", "bare key with - and _");
  tap_is_int (json_object_get_int64 (get (root, "a/b/c")), 1, "[a.b] creates nested tables");
  tap_is_int (json_object_get_int64 (get (root, "a/quoted part/d")), 2, "[a.\"quoted part\"] with spaces");
  tap_is_int (json_object_get_int64 (get (root, "a/e")), 3, "[a] may be defined after it was created implicitly");
}

static void
test_table_in_array_element (void)
{
  cleanup_json json_object *root = parse_ok ("[[registry]]\nlocation = \"a\"\n"
                                             "[[registry]]\nlocation = \"b\"\n"
                                             "[registry.extra]\nk = 1\n",
                                             "[registry.x] after [[registry]]");
  tap_is_int (json_object_get_int64 (get (root, "registry/#1/extra/k")), 1, "a sub-table goes into the latest element");
  tap_ok (get (root, "registry/#0/extra") == NULL, "and not into the earlier one");
}

static void
test_errors (void)
{
  parse_fails ("a = 1\nfoo bar = 2\n", "\"" FILE_NAME "\" line 2: expected '=' after key 'foo', found 'b'",
               "missing '='");
  parse_fails ("location = \"a\"\n\nlocation = \"b\"\n",
               "\"" FILE_NAME "\" line 3: duplicate key 'location' (first defined on line 1)", "duplicate key");
  parse_fails ("[[registry]]\nlocation = \"a\"\ninsecure = true\ninsecure = false\n",
               "\"" FILE_NAME "\" line 4: duplicate key 'insecure' (first defined on line 3)",
               "duplicate key inside [[registry]]");
  parse_fails ("a = 1\nb = \"open\n", "\"" FILE_NAME "\" line 2: unterminated string: missing closing '\"'",
               "unterminated basic string");
  parse_fails ("b = 'open", "\"" FILE_NAME "\" line 1: unterminated string: missing closing \"'\"",
               "unterminated literal string at end of file");
  parse_fails ("a = [\n\"x\",\n\"y\"\n", "\"" FILE_NAME "\" line 1: unterminated array: missing ']'",
               "unterminated array names the line it started on");
  parse_fails_len ("a = 1\nb = 2\nc = \"x\0y\"\n", 20, "\"" FILE_NAME "\" line 3: NUL byte in file", "NUL byte");
  parse_fails ("a = \"bad \\q escape\"\n",
               "\"" FILE_NAME "\" line 1: invalid escape sequence '\\q'; write a backslash as '\\\\'",
               "invalid escape");
  parse_fails ("a = \"\\u12\"\n", "\"" FILE_NAME "\" line 1: invalid escape sequence: \\u needs 4 hexadecimal digits",
               "short \\u escape");
  parse_fails ("a = \"\\u0000\"\n", "\"" FILE_NAME "\" line 1: escape sequence \\u0000: NUL characters are not allowed",
               "\\u0000");
  parse_fails ("a = \"\\uD800\"\n", "\"" FILE_NAME "\" line 1: escape sequence \\uD800 is not a Unicode scalar value",
               "surrogate escape");
  parse_fails ("x = 1\nmirror = { location = \"a\" }\n",
               "\"" FILE_NAME "\" line 2: inline tables ({ ... }) are not supported; use a [table] section instead",
               "inline table");
  parse_fails ("registry.location = \"a\"\n",
               "\"" FILE_NAME "\" line 1: dotted keys (registry.…) are not supported; use a [registry] table instead",
               "dotted key");
  parse_fails ("location = docker.io\n",
               "\"" FILE_NAME "\" line 1: invalid value 'docker.io': expected a \"string\", an integer, true, false or "
               "an array; strings must be quoted",
               "unquoted string");
  parse_fails ("a = 1.5\n",
               "\"" FILE_NAME "\" line 1: unsupported value 1.5: only decimal integers are supported (no floats, "
               "dates, leading zeros or 0x/0o/0b)",
               "float");
  parse_fails ("a = 007\n",
               "\"" FILE_NAME "\" line 1: unsupported value 007: only decimal integers are supported (no floats, "
               "dates, leading zeros or 0x/0o/0b)",
               "leading zeros");
  parse_fails ("a = 9223372036854775808\n", "\"" FILE_NAME "\" line 1: integer 9223372036854775808 is out of range",
               "integer overflow");
  parse_fails ("a = \"\"\"multi\nline\"\"\"\n",
               "\"" FILE_NAME "\" line 1: multi-line strings (\"\"\") are not supported; use a \"string\" on one line",
               "multi-line basic string");
  parse_fails ("[a]\nx = 1\n[b]\n[a]\n", "\"" FILE_NAME "\" line 4: table [a] is defined twice (first on line 1)",
               "table defined twice");
  parse_fails ("registry = [\"a\"]\n[[registry]]\n",
               "\"" FILE_NAME "\" line 2: cannot define [[registry]]: 'registry' is already an array (line 1)",
               "[[x]] cannot extend a static array");
  parse_fails ("[[registry]]\n[registry]\n",
               "\"" FILE_NAME "\" line 2: cannot define [registry]: it is an array of tables [[registry]] (line 1)",
               "[x] after [[x]]");
  parse_fails ("a = \"x\"\n[a.b]\n", "\"" FILE_NAME "\" line 2: cannot define [a.b]: 'a' is already a value (line 1)",
               "table through a value");
  parse_fails ("a = 1\r\nb = 2\rc = 3\n", "\"" FILE_NAME "\" line 2: carriage return not followed by a newline",
               "lone carriage return");
  parse_fails ("a = \"tab\tok but bell\a not\"\n",
               "\"" FILE_NAME "\" line 1: control character 0x07 in string; use an escape sequence",
               "control character in string");
  parse_fails ("# ok\n# caf\xc3 broken\n", "\"" FILE_NAME "\" line 2: invalid UTF-8 (byte 0xc3)", "invalid UTF-8");
  parse_fails ("a =\nb = 1\n", "\"" FILE_NAME "\" line 1: missing value", "missing value");
  parse_fails ("a = [\"x\" \"y\"]\n", "\"" FILE_NAME "\" line 1: expected ',' or ']' in array, found '\"'",
               "missing comma in array");
  parse_fails ("a = [,]\n", "\"" FILE_NAME "\" line 1: expected a value, found ','", "leading comma in array");
  parse_fails ("a = \"x\" \"y\"\n",
               "\"" FILE_NAME "\" line 1: unexpected '\"' after value; put each key = value on its own line",
               "text after value");
  parse_fails ("[registry\nlocation = \"x\"\n",
               "\"" FILE_NAME "\" line 1: expected ']' to close [registry, found end of line", "unclosed table header");
  parse_fails ("[[registry]\n", "\"" FILE_NAME "\" line 1: expected ']]' to close [[registry, found ']'",
               "half-closed array of tables header");
  parse_fails ("[]\n", "\"" FILE_NAME "\" line 1: expected a table name, found ']'", "empty table name");
  parse_fails ("= 1\n", "\"" FILE_NAME "\" line 1: missing key before '='", "missing key");
  parse_fails ("[registries.search]\nregistries = ['a']\n[registries]\nsearch = 1\n",
               "\"" FILE_NAME "\" line 4: duplicate key 'search' (first defined on line 1)",
               "key clashing with an implicitly created table");
  parse_fails ("a = "
               "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
               "\"" FILE_NAME "\" line 1: arrays nested more than 32 deep", "nesting limit");

  {
    json_object *out = NULL;
    rcr_error_t err = NULL;
    int r = rcr_toml_parse ("x = [\n1,\n2 3]", 13, NULL, &out, &err);
    tap_ok (r < 0, "error without a file name");
    tap_is_str (err ? err->msg : NULL, "line 3: expected ',' or ']' in array, found '3'",
                "error without a file name: message");
    rcr_error_release (&err);
  }
}

static void
test_files (void)
{
  char dir[] = "/tmp/rcr-test-toml-XXXXXX";
  cleanup_free char *path = NULL;
  json_object *out = NULL;
  rcr_error_t err = NULL;
  FILE *f;

  if (mkdtemp (dir) == NULL)
    {
      tap_ok (0, "mkdtemp: %s", strerror (errno));
      return;
    }
  path = rcr_strdup_printf ("%s/registries.conf", dir);
  tap_ok (rcr_toml_parse_file (path, 1 << 20, &out, &err) < 0 && err && err->status == ENOENT,
          "missing file fails with ENOENT");
  rcr_error_release (&err);

  f = fopen (path, "w");
  fputs ("unqualified-search-registries = [\"docker.io\"]\n", f);
  fclose (f);
  tap_ok (rcr_toml_parse_file (path, 1 << 20, &out, &err) == 0, "parse a file");
  tap_is_str (get_str (out, "unqualified-search-registries/#0"), "docker.io", "file content");
  if (out)
    json_object_put (out);
  out = NULL;

  f = fopen (path, "w");
  fputs ("a = 1\nb c\n", f);
  fclose (f);
  tap_ok (rcr_toml_parse_file (path, 1 << 20, &out, &err) < 0, "parse a bad file");
  {
    cleanup_free char *want = rcr_strdup_printf ("\"%s\" line 2: expected '=' after key 'b', found 'c'", path);
    tap_is_str (err ? err->msg : NULL, want, "file errors name the path and the line");
  }
  rcr_error_release (&err);
  unlink (path);
  rmdir (dir);
}

int
main (void)
{
  test_registries_file ();
  test_escapes ();
  test_scalars ();
  test_multiline_arrays ();
  test_tables_and_keys ();
  test_table_in_array_element ();
  test_errors ();
  test_files ();
  return tap_done ();
}
