/* SPDX-License-Identifier: Apache-2.0 */
/* Errors, help, flag parsing and output formats shared by every verb. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"

int
cmd_fail (rcr_error_t *err)
{
  fprintf (stderr, "Error: %s\n", (err && *err) ? (*err)->msg : "unknown error");
  rcr_error_release (err);
  return RCR_EXIT_FAILURE;
}

int
cmd_usage_error (const struct rcr_verb *verb, const char *fmt, ...)
{
  va_list ap;
  fputs ("Error: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, "\nSee 'rcr %s --help'\n", verb->name);
  return RCR_EXIT_FAILURE;
}

int
cmd_print_help (const struct rcr_verb *verb)
{
  printf ("%s\n\nUsage:\n%s", verb->summary, verb->usage);
  return 0;
}

static const struct cmd_option *
find_long (const struct cmd_option *opts, const char *name, size_t len)
{
  for (; opts->name; opts++)
    if (strlen (opts->name) == len && strncmp (opts->name, name, len) == 0)
      return opts;
  return NULL;
}

static const struct cmd_option *
find_short (const struct cmd_option *opts, char c)
{
  for (; opts->name; opts++)
    if (opts->short_name == c)
      return opts;
  return NULL;
}

/* Does this argument take the next one as its value? */
static bool
takes_next (const struct cmd_option *opts, const char *a)
{
  const struct cmd_option *o;
  if (a[1] == '-')
    {
      const char *name = a + 2;
      if (strchr (name, '='))
        return false;
      o = find_long (opts, name, strlen (name));
      return o && o->has_arg;
    }
  for (const char *c = a + 1; *c; c++)
    {
      o = find_short (opts, *c);
      if (o == NULL)
        return false;
      if (o->has_arg)
        return c[1] == '\0';
    }
  return false;
}

/* Moves operands after the options, keeping both in order; "--" ends option parsing. */
static void
permute (int argc, char **argv, const struct cmd_option *opts)
{
  char **ops = calloc ((size_t)argc, sizeof (char *));
  char **operands = calloc ((size_t)argc, sizeof (char *));
  int n_ops = 0, n_operands = 0, i;

  if (ops == NULL || operands == NULL)
    abort ();
  for (i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--") == 0)
        break;
      if (a[0] == '-' && a[1] != '\0')
        {
          ops[n_ops++] = argv[i];
          if (takes_next (opts, a) && i + 1 < argc)
            ops[n_ops++] = argv[++i];
        }
      else
        operands[n_operands++] = argv[i];
    }
  if (n_operands > 0 && i < argc)
    {
      /* keep "--" right before the operands so parsing still stops there */
      ops[n_ops++] = argv[i++];
    }
  for (int k = 0; k < n_operands; k++)
    ops[n_ops++] = operands[k];
  for (; i < argc; i++)
    ops[n_ops++] = argv[i];
  memcpy (argv + 1, ops, (size_t)n_ops * sizeof (char *));
  free (ops);
  free (operands);
}

int
cmd_getopt (const struct rcr_verb *verb, int argc, char **argv, const struct cmd_option *opts, int *optind,
            const char **optarg)
{
  /* position inside a group of short flags such as "-it" */
  static const char *short_pos;
  const struct cmd_option *o;
  const char *a;

  *optarg = NULL;
  if (*optind == 1 && short_pos == NULL && !verb->stop_at_operand)
    permute (argc, argv, opts);
  if (short_pos && *short_pos)
    goto short_flag;
  short_pos = NULL;
  if (*optind >= argc)
    return 0;
  a = argv[*optind];
  if (a[0] != '-' || a[1] == '\0')
    return 0;
  if (strcmp (a, "--") == 0)
    {
      (*optind)++;
      return 0;
    }
  if (a[1] == '-')
    {
      const char *name = a + 2, *eq = strchr (name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen (name);
      (*optind)++;
      if (len == 4 && strncmp (name, "help", 4) == 0)
        return 'h';
      o = find_long (opts, name, len);
      if (o == NULL)
        {
          cmd_usage_error (verb, "unknown flag: --%.*s", (int)len, name);
          return '?';
        }
      if (!o->has_arg)
        {
          if (eq && strcmp (eq + 1, "true") != 0)
            {
              /* podman accepts --flag=true|false for booleans */
              if (strcmp (eq + 1, "false") == 0)
                return -o->id;
              cmd_usage_error (verb, "invalid argument \"%s\" for \"--%s\" flag: use true or false", eq + 1, o->name);
              return '?';
            }
          return o->id;
        }
      if (eq)
        *optarg = eq + 1;
      else if (*optind < argc)
        *optarg = argv[(*optind)++];
      else
        {
          cmd_usage_error (verb, "flag needs an argument: --%s", o->name);
          return '?';
        }
      return o->id;
    }
  short_pos = a + 1;
  (*optind)++;

short_flag:
  {
    char c = *short_pos++;
    if (c == 'h')
      {
        short_pos = NULL;
        return 'h';
      }
    o = find_short (opts, c);
    if (o == NULL)
      {
        short_pos = NULL;
        cmd_usage_error (verb, "unknown shorthand flag: '%c' in -%c", c, c);
        return '?';
      }
    if (!o->has_arg)
      return o->id;
    if (*short_pos)
      *optarg = short_pos;
    else if (*optind < argc)
      *optarg = argv[(*optind)++];
    else
      {
        short_pos = NULL;
        cmd_usage_error (verb, "flag needs an argument: '%c' in -%c", c, c);
        return '?';
      }
    short_pos = NULL;
    return o->id;
  }
}

void
cmd_print_json (json_object *obj)
{
  puts (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                                 | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static bool
yaml_needs_quotes (const char *s)
{
  if (*s == '\0' || isspace ((unsigned char)s[0]) || strchr ("-?:,[]{}#&*!|>'\"%@`", s[0]))
    return true;
  if (strcmp (s, "true") == 0 || strcmp (s, "false") == 0 || strcmp (s, "null") == 0)
    return true;
  if (strstr (s, ": ") || strstr (s, " #") || strchr (s, '\n'))
    return true;
  for (const char *p = s; *p; p++)
    if (!isdigit ((unsigned char)*p) && *p != '.')
      return false;
  return true; /* looks like a number */
}

static void
yaml_scalar (json_object *v)
{
  if (v == NULL)
    fputs ("null", stdout);
  else if (json_object_is_type (v, json_type_string))
    {
      const char *s = json_object_get_string (v);
      if (yaml_needs_quotes (s))
        fputs (json_object_to_json_string_ext (v, JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
      else
        fputs (s, stdout);
    }
  else
    fputs (json_object_to_json_string (v), stdout);
}

static bool
is_container (json_object *v)
{
  return v && (json_object_is_type (v, json_type_object) || json_object_is_type (v, json_type_array));
}

static bool
is_empty_container (json_object *v)
{
  if (json_object_is_type (v, json_type_object))
    return json_object_object_length (v) == 0;
  return json_object_array_length (v) == 0;
}

static void yaml_value (json_object *v, int indent);

static void
yaml_object (json_object *obj, int indent, bool first_inline)
{
  bool first = true;
  json_object_object_foreach (obj, key, val)
  {
    if (!(first && first_inline))
      printf ("%*s", indent, "");
    first = false;
    printf ("%s:", key);
    if (is_container (val) && !is_empty_container (val))
      {
        putchar ('\n');
        yaml_value (val, json_object_is_type (val, json_type_array) ? indent : indent + 2);
      }
    else
      {
        putchar (' ');
        if (is_container (val))
          fputs (json_object_is_type (val, json_type_array) ? "[]" : "{}", stdout);
        else
          yaml_scalar (val);
        putchar ('\n');
      }
  }
}

static void
yaml_value (json_object *v, int indent)
{
  if (json_object_is_type (v, json_type_object))
    yaml_object (v, indent, false);
  else if (json_object_is_type (v, json_type_array))
    for (size_t i = 0; i < json_object_array_length (v); i++)
      {
        json_object *e = json_object_array_get_idx (v, i);
        printf ("%*s- ", indent, "");
        if (json_object_is_type (e, json_type_object) && !is_empty_container (e))
          yaml_object (e, indent + 2, true);
        else
          {
            yaml_scalar (e);
            putchar ('\n');
          }
      }
}

void
cmd_print_yaml (json_object *obj)
{
  yaml_value (obj, 0);
}

/* An exact key wins over one that differs only in case ("ID" vs "Id"). */
static json_object *
find_key (json_object *obj, const char *seg, size_t seglen)
{
  struct json_object_iterator it = json_object_iter_begin (obj), end = json_object_iter_end (obj);
  json_object *folded = NULL;

  for (; !json_object_iter_equal (&it, &end); json_object_iter_next (&it))
    {
      const char *key = json_object_iter_peek_name (&it);
      if (strlen (key) != seglen)
        continue;
      if (strncmp (key, seg, seglen) == 0)
        return json_object_iter_peek_value (&it);
      if (folded == NULL && strncasecmp (key, seg, seglen) == 0)
        folded = json_object_iter_peek_value (&it);
    }
  return folded;
}

/* Looks up ".A.B.C" with case-insensitive keys, as Go templates over podman's structs let
   users write {{.Host.Kernel}} for the JSON key host.kernel. */
static json_object *
template_lookup (json_object *obj, const char *path, size_t len)
{
  const char *p = path, *end = path + len;

  if (len == 1 && *p == '.')
    return obj;
  while (p < end)
    {
      const char *seg, *dot;
      size_t seglen;
      json_object *next = NULL;

      if (*p != '.')
        return NULL;
      seg = p + 1;
      dot = memchr (seg, '.', (size_t)(end - seg));
      seglen = dot ? (size_t)(dot - seg) : (size_t)(end - seg);
      if (obj == NULL || !json_object_is_type (obj, json_type_object))
        return NULL;
      next = find_key (obj, seg, seglen);
      if (next == NULL)
        return NULL;
      obj = next;
      p = seg + seglen;
    }
  return obj;
}

static int
cmp_keys (const void *a, const void *b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

/* As Go's text/template prints values: [a b] for lists, map[k:v] with sorted keys. */
static void
print_go_value (FILE *out, json_object *v)
{
  if (v == NULL)
    fputs ("<no value>", out);
  else if (json_object_is_type (v, json_type_array))
    {
      fputc ('[', out);
      for (size_t i = 0; i < json_object_array_length (v); i++)
        {
          if (i)
            fputc (' ', out);
          print_go_value (out, json_object_array_get_idx (v, i));
        }
      fputc (']', out);
    }
  else if (json_object_is_type (v, json_type_object))
    {
      size_t n = (size_t)json_object_object_length (v), k = 0;
      const char **keys = calloc (n + 1, sizeof (char *));
      if (keys == NULL)
        abort ();
      json_object_object_foreach (v, key, val)
      {
        (void)val;
        keys[k++] = key;
      }
      qsort (keys, n, sizeof (char *), cmp_keys);
      fputs ("map[", out);
      for (size_t i = 0; i < n; i++)
        {
          fprintf (out, "%s%s:", i ? " " : "", keys[i]);
          print_go_value (out, json_object_object_get (v, keys[i]));
        }
      fputc (']', out);
      free (keys);
    }
  else
    fputs (json_object_get_string (v), out);
}

static void
print_template_value (FILE *out, json_object *v, bool as_json)
{
  if (as_json)
    fputs (json_object_to_json_string_ext (v, JSON_C_TO_STRING_NOSLASHESCAPE), out);
  else
    print_go_value (out, v);
}

/* podman turns the two characters \\t in a format into a tab */
static char *
unescape_tabs (const char *format)
{
  char *out = rcr_xstrdup (format), *w = out;
  for (const char *p = format; *p; p++)
    if (p[0] == '\\' && p[1] == 't')
      {
        *w++ = '\t';
        p++;
      }
    else
      *w++ = *p;
  *w = '\0';
  return out;
}

/* podman's header for "table {{.Repository}}\t{{.ID}}": the field names in capitals,
   a few spelled out ("ID" → "IMAGE ID") */
static char *
template_header (const char *format, const char *const *aliases)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&buf, &len);

  if (out == NULL)
    abort ();
  for (const char *p = format; *p;)
    {
      const char *open = strstr (p, "{{"), *close;
      if (open == NULL)
        {
          fputs (p, out);
          break;
        }
      fwrite (p, 1, (size_t)(open - p), out);
      close = strstr (open, "}}");
      if (close == NULL)
        break;
      {
        const char *f = open + 2, *e = close;
        bool aliased = false;
        while (f < e && (*f == ' ' || *f == '.'))
          f++;
        while (e > f && e[-1] == ' ')
          e--;
        for (const char *const *a = aliases; a && *a; a += 2)
          if (strlen (a[0]) == (size_t)(e - f) && strncmp (a[0], f, (size_t)(e - f)) == 0)
            {
              fputs (a[1], out);
              aliased = true;
            }
        if (!aliased)
          for (const char *c = f; c < e; c++)
            fputc (toupper ((unsigned char)*c), out);
      }
      p = close + 2;
    }
  fclose (out);
  return buf;
}

/* Renders a template into a string (no newline); a usage error returns 125. */
static int
format_string (const struct rcr_verb *verb, const char *format, json_object *obj, char **result)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *out = NULL;
  const char *p;

  /* Validate the whole template before rendering anything. */
  for (int pass = 0; pass < 2; pass++)
    {
      if (pass && (out = open_memstream (&buf, &len)) == NULL)
        abort ();
      for (p = format; *p;)
        {
          const char *open = strstr (p, "{{"), *close, *expr, *expr_end;
          bool as_json = false;
          json_object *v;

          if (open == NULL)
            {
              if (pass)
                fputs (p, out);
              break;
            }
          if (pass)
            fwrite (p, 1, (size_t)(open - p), out);
          close = strstr (open, "}}");
          if (close == NULL)
            return cmd_usage_error (verb, "template: unclosed action in \"%s\"", format);
          expr = open + 2;
          expr_end = close;
          while (expr < expr_end && *expr == ' ')
            expr++;
          while (expr_end > expr && expr_end[-1] == ' ')
            expr_end--;
          if (expr_end - expr > 5 && strncmp (expr, "json ", 5) == 0)
            {
              as_json = true;
              expr += 5;
            }
          if (expr >= expr_end || *expr != '.')
            return cmd_usage_error (
                verb, "template: unsupported action \"%.*s\" (supported: {{.Field.Sub}}, {{json .Field}})",
                (int)(close - open - 2), open + 2);
          v = template_lookup (obj, expr, (size_t)(expr_end - expr));
          if (v == NULL && pass == 0)
            return cmd_usage_error (verb, "template: can't evaluate field \"%.*s\"", (int)(expr_end - expr), expr);
          if (pass)
            print_template_value (out, v, as_json);
          p = close + 2;
        }
    }
  fclose (out);
  *result = buf;
  return 0;
}

int
cmd_print_formatted (const struct rcr_verb *verb, const char *format_in, json_object *obj)
{
  cleanup_free char *format = unescape_tabs (format_in);
  cleanup_free char *line = NULL;

  if (strcasecmp (format, "json") == 0 || strcmp (format, "{{json .}}") == 0)
    {
      cmd_print_json (obj);
      return 0;
    }
  if (format_string (verb, format, obj, &line) != 0)
    return RCR_EXIT_FAILURE;
  puts (line);
  return 0;
}

int
cmd_print_objects (const struct rcr_verb *verb, const char *format, json_object *arr)
{
  if (format == NULL || strcasecmp (format, "json") == 0)
    {
      cmd_print_json (arr);
      return 0;
    }
  for (size_t i = 0; i < json_object_array_length (arr); i++)
    if (cmd_print_formatted (verb, format, json_object_array_get_idx (arr, i)) != 0)
      return RCR_EXIT_FAILURE;
  return 0;
}

/* Splits a rendered line at tabs into table cells. */
static char **
split_tabs (const char *line, size_t ncols)
{
  char **cells = rcr_xmalloc0 ((ncols + 1) * sizeof (char *));
  const char *p = line;
  for (size_t c = 0; c < ncols; c++)
    {
      const char *t = c + 1 < ncols ? strchr (p, '\t') : NULL;
      cells[c] = t ? rcr_xstrndup (p, (size_t)(t - p)) : rcr_xstrdup (p);
      p = t ? t + 1 : p + strlen (p);
    }
  return cells;
}

int
cmd_print_table_format (const struct rcr_verb *verb, const char *format_in, json_object *rows,
                        const char *const *aliases, bool heading)
{
  cleanup_free char *unescaped = unescape_tabs (format_in);
  cleanup_free char *format = rcr_xstrdup (unescaped);
  cleanup_free char *header = NULL;
  struct cmd_table t = { 0 };
  size_t ncols = 1;
  char *w = format;

  /* podman: in a table, the blanks between fields are column breaks */
  for (const char *p = unescaped; *p;)
    {
      if (p[0] == '{' && p[1] == '{')
        {
          const char *close = strstr (p, "}}");
          size_t l = close ? (size_t)(close + 2 - p) : strlen (p);
          memmove (w, p, l);
          w += l;
          p += l;
          continue;
        }
      if (*p == ' ' || *p == '\t')
        {
          while (*p == ' ' || *p == '\t')
            p++;
          *w++ = '\t';
          ncols++;
          continue;
        }
      *w++ = *p++;
    }
  *w = '\0';
  header = template_header (format, aliases);
  t.ncols = ncols;
  cmd_table_add (&t, split_tabs (header, ncols));
  for (size_t i = 0; i < json_object_array_length (rows); i++)
    {
      cleanup_free char *line = NULL;
      if (format_string (verb, format, json_object_array_get_idx (rows, i), &line) != 0)
        {
          cmd_table_clear (&t);
          return RCR_EXIT_FAILURE;
        }
      cmd_table_add (&t, split_tabs (line, ncols));
    }
  cmd_table_print (&t, heading);
  cmd_table_clear (&t);
  return 0;
}
