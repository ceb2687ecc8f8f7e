/* SPDX-License-Identifier: Apache-2.0 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "storage/auth.h"
#include "storage/registries.h"
#include "storage/registry.h"

enum
{
  OPT_USER = 1,
  OPT_PASSWORD,
  OPT_PASSWORD_STDIN,
  OPT_AUTHFILE,
  OPT_TLS_VERIFY,
  OPT_GET_LOGIN,
  OPT_ALL,
};

/* "https://quay.io/org" → "quay.io/org": the auth.json key podman uses */
static char *
registry_key (const char *arg)
{
  const char *p = arg;
  size_t len;
  if (rcr_has_prefix (p, "https://"))
    p += 8;
  else if (rcr_has_prefix (p, "http://"))
    p += 7;
  len = strlen (p);
  while (len > 0 && p[len - 1] == '/')
    len--;
  return rcr_xstrndup (p, len);
}

static char *
read_line (FILE *in, bool echo)
{
  struct termios old, quiet;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  bool restore = false;

  if (!echo && isatty (fileno (in)) && tcgetattr (fileno (in), &old) == 0)
    {
      quiet = old;
      quiet.c_lflag &= (tcflag_t)~ECHO;
      restore = tcsetattr (fileno (in), TCSAFLUSH, &quiet) == 0;
    }
  n = getline (&line, &cap, in);
  if (restore)
    {
      tcsetattr (fileno (in), TCSAFLUSH, &old);
      fputc ('\n', stderr);
    }
  if (n < 0)
    {
      free (line);
      return NULL;
    }
  line[strcspn (line, "\r\n")] = '\0';
  return line;
}

static int
run_login (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "username", 'u', true, OPT_USER },
    { "password", 'p', true, OPT_PASSWORD },
    { "password-stdin", 0, false, OPT_PASSWORD_STDIN },
    { "authfile", 0, true, OPT_AUTHFILE },
    { "tls-verify", 0, false, OPT_TLS_VERIFY },
    { "get-login", 0, false, OPT_GET_LOGIN },
    { NULL, 0, false, 0 },
  };
  cleanup_free char *user = NULL, *password = NULL, *key = NULL, *host = NULL;
  cleanup_registries struct rcr_registries *regs = NULL;
  const char *authfile = NULL, *arg;
  bool password_stdin = false, get_login = false;
  int tls_verify = -1, optind = 1, c, ret = 0;
  struct rcr_registry_client *client = NULL;
  struct rcr_registry_opts ro = { 0 };
  rcr_error_t err = NULL;

  (void)ctx;
  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case OPT_USER:
        free (user);
        user = rcr_xstrdup (arg);
        break;
      case OPT_PASSWORD:
        free (password);
        password = rcr_xstrdup (arg);
        break;
      case OPT_PASSWORD_STDIN:
        password_stdin = true;
        break;
      case OPT_AUTHFILE:
        authfile = arg;
        break;
      case OPT_TLS_VERIFY:
        tls_verify = 1;
        break;
      case -OPT_TLS_VERIFY:
        tls_verify = 0;
        break;
      case OPT_GET_LOGIN:
        get_login = true;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (argc - optind > 1)
    return cmd_usage_error (verb, "login accepts only one registry to log in to");
  if (password && password_stdin)
    return cmd_usage_error (verb, "--password and --password-stdin are mutually exclusive");
  if (rcr_registries_load (NULL, &regs, &err) < 0)
    return cmd_fail (&err);
  if (optind < argc)
    key = registry_key (argv[optind]);
  else if (regs->search && regs->search[0])
    key = rcr_xstrdup (regs->search[0]);
  else
    return cmd_usage_error (verb, "please provide a registry to log in to");
  if (*key == '\0')
    return cmd_usage_error (verb, "registry name is empty");
  host = rcr_xstrndup (key, strcspn (key, "/"));

  if (get_login)
    {
      cleanup_free char *found = NULL;
      if (rcr_auth_lookup (authfile, host, strchr (key, '/') ? strchr (key, '/') + 1 : NULL, &found, NULL, NULL, &err)
          < 0)
        return cmd_fail (&err);
      if (found == NULL)
        {
          fprintf (stderr, "Error: not logged into %s\n", key);
          return RCR_EXIT_FAILURE;
        }
      printf ("%s\n", found);
      return 0;
    }

  if (user == NULL)
    {
      if (!isatty (STDIN_FILENO) || password_stdin)
        return cmd_usage_error (verb, "a username is required: pass --username");
      fputs ("Username: ", stderr);
      user = read_line (stdin, true);
      if (user == NULL || *user == '\0')
        return cmd_usage_error (verb, "a username is required");
    }
  if (password == NULL)
    {
      if (password_stdin)
        password = read_line (stdin, true);
      else if (isatty (STDIN_FILENO))
        {
          fputs ("Password: ", stderr);
          password = read_line (stdin, false);
        }
      if (password == NULL)
        return cmd_usage_error (verb, "a password is required: pass --password-stdin or --password");
    }
  if (*password == '\0')
    return cmd_usage_error (verb, "the password is empty");

  {
    const struct rcr_registry *conf = rcr_registries_find (regs, key);
    ro.insecure = tls_verify == 0 || (tls_verify < 0 && conf && conf->insecure);
  }
  ro.host = host;
  ro.tls_verify = !ro.insecure;
  ro.username = user;
  ro.password = password;
  if (rcr_registry_new (&ro, &client, &err) < 0 || rcr_registry_ping (client, &err) < 0)
    {
      rcr_registry_free (client);
      explicit_bzero (password, strlen (password));
      rcr_error_wrap (&err, "logging into \"%s\"", key);
      return cmd_fail (&err);
    }
  rcr_registry_free (client);
  if (rcr_auth_store (authfile, key, user, password, &err) < 0)
    ret = cmd_fail (&err);
  else
    puts ("Login Succeeded!");
  explicit_bzero (password, strlen (password));
  return ret;
}

const struct rcr_verb rcr_verb_login = {
  .name = "login",
  .summary = "Log in to a container registry",
  .usage = "  rcr login [options] [REGISTRY]\n"
           "\n"
           "Checks the credentials against REGISTRY and stores them in auth.json (mode 0600):\n"
           "$REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json.\n"
           "\n"
           "Options:\n"
           "      --authfile string   path of the authentication file\n"
           "      --get-login         return the current login user for the registry\n"
           "  -p, --password string   password for the registry\n"
           "      --password-stdin    take the password from stdin\n"
           "      --tls-verify        require HTTPS and verify certificates (default true)\n"
           "  -u, --username string   username for the registry\n",
  .run = run_login,
};

static int
run_logout (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "authfile", 0, true, OPT_AUTHFILE },
    { "all", 'a', false, OPT_ALL },
    { NULL, 0, false, 0 },
  };
  const char *authfile = NULL, *arg;
  cleanup_free char *key = NULL;
  bool all = false;
  rcr_error_t err = NULL;
  int optind = 1, c;

  (void)ctx;
  while ((c = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (c)
      {
      case 'h':
        return cmd_print_help (verb);
      case OPT_AUTHFILE:
        authfile = arg;
        break;
      case OPT_ALL:
        all = true;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (all && optind < argc)
    return cmd_usage_error (verb, "--all takes no registry");
  if (!all && argc - optind != 1)
    return cmd_usage_error (verb, "please provide one registry to log out from, or --all");
  if (!all)
    key = registry_key (argv[optind]);
  if (rcr_auth_remove (authfile, key, all, &err) < 0)
    return cmd_fail (&err);
  if (all)
    puts ("Removed login credentials for all registries");
  else
    printf ("Removed login credentials for %s\n", key);
  return 0;
}

const struct rcr_verb rcr_verb_logout = {
  .name = "logout",
  .summary = "Log out of a container registry",
  .usage = "  rcr logout [options] REGISTRY\n"
           "\n"
           "Options:\n"
           "  -a, --all               remove the credentials of all registries\n"
           "      --authfile string   path of the authentication file\n",
  .run = run_logout,
};
