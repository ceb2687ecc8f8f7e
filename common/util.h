/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RCR_COMMON_UTIL_H
#define RCR_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/* Parses a podman-style size: "256m", "1g", "512k", "100b", "1024" (bytes), case
   insensitive, optional trailing "b" ("256mb"). Binary multiples, as podman. */
int rcr_parse_size (const char *s, int64_t *out, rcr_error_t *err);

/* Reads an open file to its end (at most max_size bytes) into a NUL-terminated buffer;
   what names it in errors. */
int rcr_read_fd (int fd, const char *what, size_t max_size, char **out, size_t *len, rcr_error_t *err);

/* Reads a whole file (at most max_size bytes) into a NUL-terminated buffer. */
int rcr_read_file (const char *path, size_t max_size, char **out, size_t *len, rcr_error_t *err);

/* Every signal back to its default action and none blocked: for a child about to
   become something else (the container, a helper daemon). */
void rcr_signals_reset (void);

/* Writes all of data to fd, retrying after EINTR and short writes; -1 with errno on failure. */
int rcr_write_all (int fd, const void *data, size_t len);

/* Writes data to path through a temporary file in the same directory, fsync, rename. */
int rcr_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, rcr_error_t *err);

/* The same, with the fsync optional: for files rebuilt from others or dying with a
   process, where a crash loses nothing that matters. Still never half-written. */
int rcr_write_file_replace (const char *path, const void *data, size_t len, mode_t mode, bool sync, rcr_error_t *err);

/* mkdir -p with the given mode for every directory it creates. */
int rcr_mkdir_p (const char *path, mode_t mode, rcr_error_t *err);

/* Removes a directory tree without following symlinks or crossing mount points. */
int rcr_rm_rf (const char *path, rcr_error_t *err);

/* Finds an executable in $PATH (or the given absolute path); returns a malloc'd path or NULL. */
/* UID's user name and home directory: /etc/passwd, else NSS (getpwuid). -1 when
   unknown. Either pointer may be NULL; the strings are the caller's. */
int rcr_user_lookup (uid_t uid, char **name, char **home);
/* The first entry of UID in TEXT (a passwd file's contents, modified); false when there
   is none or when the file has NIS compat entries (+/-), which *COMPAT then says. */
bool rcr_passwd_find (char *text, uid_t uid, char **name, char **home, bool *compat);

char *rcr_find_executable (const char *name);

/* malloc'd printf; aborts on out-of-memory like every allocation in rcr. */
char *rcr_strdup_printf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
char *rcr_xstrdup (const char *s);
char *rcr_xstrndup (const char *s, size_t n);
void *rcr_xmalloc0 (size_t size);
void *rcr_xrealloc (void *p, size_t size);

bool rcr_has_prefix (const char *s, const char *prefix);
bool rcr_has_suffix (const char *s, const char *suffix);

/* Number of entries in a NULL-terminated string vector. */
size_t rcr_strv_len (char **v);

/* Parses an unsigned decimal integer that must fill the whole string. */
int rcr_parse_u64 (const char *s, uint64_t *out);

#endif
