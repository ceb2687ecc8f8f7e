/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_COMMON_ERROR_H
#define RCR_COMMON_ERROR_H

#include <stdarg.h>

/* An error travels up as an object; only cmd/ prints it and picks the exit code. */
typedef struct rcr_error_s
{
  int status; /* errno value, 0 when none applies */
  char *msg;
} * rcr_error_t;

/* Records "MSG: strerror(errno_)" (or just MSG when errno_ is 0); returns -errno_-1. */
int rcr_make_error (rcr_error_t *err, int errno_, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* Prefixes the existing error with "CONTEXT: "; returns the error's return code. */
int rcr_error_wrap (rcr_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Frees the error and sets *err to NULL; accepts NULL. */
void rcr_error_release (rcr_error_t *err);

/* The return code rcr_make_error would have returned for this error. */
int rcr_error_code (rcr_error_t err);

#endif
