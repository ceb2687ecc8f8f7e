/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_CMD_CMD_H
#define RCR_CMD_CMD_H

#include <stdbool.h>

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
   printing a usage error (the caller returns 125), 'h' for --help. Stops at the first
   operand so a container command's own flags are never taken as rcr's. */
int cmd_getopt (const struct rcr_verb *verb, int argc, char **argv, const struct cmd_option *opts, int *optind,
                const char **optarg);

/* Prints JSON (pretty) on stdout. */
void cmd_print_json (json_object *obj);

/* Prints JSON as podman prints YAML for `info`. */
void cmd_print_yaml (json_object *obj);

/* --format handling shared by the verbs: "json" or a Go-template subset ({{.A.B}},
   {{json .A}}) looked up case-insensitively in the JSON. */
int cmd_print_formatted (const struct rcr_verb *verb, const char *format, json_object *obj);

#endif
