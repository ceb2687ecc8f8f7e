/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_COMMON_LOG_H
#define RCR_COMMON_LOG_H

enum rcr_log_level
{
  RCR_LOG_ERROR = 0,
  RCR_LOG_WARN = 1,
  RCR_LOG_INFO = 2,
  RCR_LOG_DEBUG = 3,
};

/* Parses "error|warn|info|debug"; returns -1 when unknown. */
int rcr_log_level_parse (const char *s);
void rcr_log_set_level (enum rcr_log_level level);
enum rcr_log_level rcr_log_get_level (void);

/* Diagnostics go to stderr with a level prefix; warnings are how lower layers tell the
   user about a degraded choice (e.g. a limit that cannot be applied) without printing
   results. */
void rcr_log (enum rcr_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#define rcr_warn(...) rcr_log (RCR_LOG_WARN, __VA_ARGS__)
#define rcr_info(...) rcr_log (RCR_LOG_INFO, __VA_ARGS__)
#define rcr_debug(...) rcr_log (RCR_LOG_DEBUG, __VA_ARGS__)

#endif
