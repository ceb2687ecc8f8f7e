/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_CMD_CMD_H
#define RCR_CMD_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/json.h"
#include "runtime/context.h"

/* Exit codes, as podman's (only cmd/ chooses them). */
enum
{
  RCR_EXIT_OK = 0,
  RCR_EXIT_FAILURE = 125, /* rcr itself failed */
  RCR_EXIT_CANNOT_INVOKE = 126,
  RCR_EXIT_NOT_FOUND = 127,
};

struct rcr_verb
{
  const char *name;
  const char *summary;
  const char *usage; /* full --help text, without the "Usage:" header line */
  int (*run) (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv);
  /* run/exec: flags after the first operand belong to the container's command */
  bool stop_at_operand;
};

extern const struct rcr_verb rcr_verb_info;
extern const struct rcr_verb rcr_verb_version;

/* Prints "Error: MSG" and returns 125. */
int cmd_fail (rcr_error_t *err);

/* Prints "Error: MSG" plus "See 'rcr VERB --help'" on stderr; returns 125. */
int cmd_usage_error (const struct rcr_verb *verb, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Prints the verb's --help text on stdout; returns 0. */
int cmd_print_help (const struct rcr_verb *verb);

/* Parses a verb's flags; a tiny getopt replacement that gives podman's messages.
   Each option: long name, optional short letter, whether it takes a value. */
struct cmd_option
{
  const char *name;
  char short_name;
  bool has_arg;
  int id;
};

/* Returns the option id, 0 at the end (then *optind is the first operand), '?' after
   printing a usage error (the caller returns 125), 'h' for --help. Flags may follow
   operands, as with podman, unless verb->stop_at_operand (then a container command's
   own flags are never taken as rcr's); argv is reordered in place for that. */
int cmd_getopt (const struct rcr_verb *verb, int argc, char **argv, const struct cmd_option *opts, int *optind,
                const char **optarg);

/* inspect's output: the array as JSON, or the template applied to each object. */
int cmd_print_objects (const struct rcr_verb *verb, const char *format, json_object *arr);

/* Prints JSON (pretty) on stdout. */
void cmd_print_json (json_object *obj);

/* Prints JSON as podman prints YAML for `info`. */
void cmd_print_yaml (json_object *obj);

/* --format handling shared by the verbs: "json" or a Go-template subset ({{.A.B}},
   {{json .A}}) looked up case-insensitively in the JSON. */
int cmd_print_formatted (const struct rcr_verb *verb, const char *format, json_object *obj);
/* A "table ..." format (given without "table "): aligned columns with podman's header;
   aliases are {field, header} pairs ("ID", "IMAGE ID"), NULL-ended. */
int cmd_print_table_format (const struct rcr_verb *verb, const char *format, json_object *rows,
                            const char *const *aliases, bool heading);

/* Podman's human units: "7.34 MB" (decimal, 3 significant digits). */
char *cmd_human_size (int64_t bytes);
/* Podman's "2 weeks ago" for a time in the past (seconds since the epoch). */
char *cmd_human_age (int64_t then_secs);
/* Parses an RFC 3339 time ("2023-11-14T22:13:20Z", fractions and offsets allowed) into
   seconds since the epoch; -1 when it cannot. */
int64_t cmd_parse_rfc3339 (const char *s);

/* A table like podman's: columns padded to the widest cell, separated by two spaces. */
struct cmd_table
{
  size_t ncols;
  size_t nrows;
  char ***rows; /* rows[r][c], malloc'd strings; row 0 is the header */
};
void cmd_table_init (struct cmd_table *t, const char *const *header);
void cmd_table_add (struct cmd_table *t, char **cells); /* takes ownership of the cells */
void cmd_table_print (struct cmd_table *t, bool header);
void cmd_table_clear (struct cmd_table *t);

/* Opens the image store, mapping failures to a message. */
struct rcr_store;
int cmd_open_store (struct rcr_context *ctx, struct rcr_store **out);

/* Parses "--tls-verify" style booleans given as "true"/"false"; -1 when neither. */
int cmd_parse_bool (const char *s);

/* Pulls with podman's progress output on stderr (quiet: none); shared by pull and run. */
struct rcr_pull_opts;
int cmd_pull_image (struct rcr_store *store, const char *name, struct rcr_pull_opts *po, bool quiet, char **id,
                    rcr_error_t *err);

extern const struct rcr_verb rcr_verb_pull;
extern const struct rcr_verb rcr_verb_images;
extern const struct rcr_verb rcr_verb_rmi;
extern const struct rcr_verb rcr_verb_tag;
extern const struct rcr_verb rcr_verb_image;
extern const struct rcr_verb rcr_verb_login;
extern const struct rcr_verb rcr_verb_logout;
extern const struct rcr_verb rcr_verb_unshare;
extern const struct rcr_verb rcr_verb_attach;
extern const struct rcr_verb rcr_verb_run;
extern const struct rcr_verb rcr_verb_create;
extern const struct rcr_verb rcr_verb_start;
extern const struct rcr_verb rcr_verb_ps;
extern const struct rcr_verb rcr_verb_rm;
extern const struct rcr_verb rcr_verb_stop;
extern const struct rcr_verb rcr_verb_kill;
extern const struct rcr_verb rcr_verb_wait;
extern const struct rcr_verb rcr_verb_inspect;
extern const struct rcr_verb rcr_verb_logs;
extern const struct rcr_verb rcr_verb_rename;
extern const struct rcr_verb rcr_verb_volume;
extern const struct rcr_verb rcr_verb_exec;
extern const struct rcr_verb rcr_verb_restart;
extern const struct rcr_verb rcr_verb_top;
extern const struct rcr_verb rcr_verb_port;
extern const struct rcr_verb rcr_verb_pause;
extern const struct rcr_verb rcr_verb_unpause;
extern const struct rcr_verb rcr_verb_image_inspect;

#endif
