/* SPDX-License-Identifier: Apache-2.0 */
/* attach: join a detached container's output and input through its monitor's socket
   (runtime/attach.h has the protocol). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "runtime/attach.h"
#include "runtime/container.h"
#include "runtime/lifecycle.h"

#define DEFAULT_DETACH_KEYS "ctrl-p,ctrl-q"

/* Podman's detach key format: comma-separated keys, each one character or ctrl-X with X
   one of a-z @ [ \ ] ^ _. Returns the byte count, -1 when invalid. */
static int
parse_detach_keys (const char *spec, char *out, size_t size)
{
  size_t n = 0;
  const char *p = spec;

  if (*spec == '\0')
    return 0;
  for (;;)
    {
      const char *end = strchr (p, ',');
      size_t len = end ? (size_t)(end - p) : strlen (p);
      char key;

      if (len == 1)
        key = p[0];
      else if (len == 6 && strncmp (p, "ctrl-", 5) == 0)
        {
          char x = p[5];
          if (x >= 'a' && x <= 'z')
            key = (char)(x - 'a' + 1);
          else if (x == '@')
            key = 0;
          else if (x >= '[' && x <= '_')
            key = (char)(x - '[' + 27);
          else
            return -1;
        }
      else
        return -1;
      if (n == size)
        return -1;
      out[n++] = key;
      if (!end)
        return (int)n;
      p = end + 1;
    }
}

static int
send_msg (int sock, char type, const void *data, size_t len)
{
  struct iovec iov[2] = { { &type, 1 }, { (void *)data, len } };
  struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
  ssize_t r;

  while ((r = sendmsg (sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    ;
  return r < 0 ? -1 : 0;
}

static void
send_winsize (int sock)
{
  struct winsize ws;
  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    send_msg (sock, RCR_ATTACH_WINSIZE, &ws, sizeof (ws));
}

static int
connect_monitor (struct rcr_container *c, rcr_error_t *err)
{
  cleanup_close int dirfd = open (c->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };

  if (dirfd < 0)
    return rcr_make_error (err, errno, "open \"%s\"", c->run_dir);
  /* run_dir may be longer than sun_path: reach it through the fd */
  snprintf (addr.sun_path, sizeof (addr.sun_path), "/proc/self/fd/%d/%s", dirfd, RCR_ATTACH_SOCKET);
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return rcr_make_error (err, errno, "socket");
  if (connect (fd, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    {
      if (errno == ENOENT || errno == ECONNREFUSED)
        return rcr_make_error (err, errno,
                               "container %s has no attach socket: it ended, or it was started attached "
                               "(only containers started with run -d or start run under a monitor to attach to)",
                               c->id);
      return rcr_make_error (err, errno, "connect to the monitor of container %s", c->id);
    }
  return steal_fd (&fd);
}

struct attach_session
{
  int sock;
  bool send_stdin;
  bool tty;
  bool sig_proxy;
  const char *keys;
  int n_keys;
  int matched; /* how many detach keys were typed so far (held back) */
};

/* Sends what was read, minus the detach sequence; true when it was typed in full. */
static bool
forward_input (struct attach_session *s, const char *data, size_t len)
{
  char out[1 + 2 * 32768];
  size_t n = 0;

  for (size_t i = 0; i < len; i++)
    {
      if (s->n_keys > 0 && data[i] == s->keys[s->matched])
        {
          if (++s->matched == s->n_keys)
            {
              if (n > 0)
                send_msg (s->sock, RCR_ATTACH_STDIN, out, n);
              return true;
            }
          continue;
        }
      /* not the sequence after all: what was held back is input */
      memcpy (out + n, s->keys, (size_t)s->matched);
      n += (size_t)s->matched;
      s->matched = 0;
      if (s->n_keys > 0 && data[i] == s->keys[0])
        {
          s->matched = 1;
          if (s->n_keys == 1)
            {
              if (n > 0)
                send_msg (s->sock, RCR_ATTACH_STDIN, out, n);
              return true;
            }
          continue;
        }
      out[n++] = data[i];
    }
  if (n > 0)
    send_msg (s->sock, RCR_ATTACH_STDIN, out, n);
  return false;
}

enum relay_end
{
  END_EXITED,   /* the container ended and we had all its output */
  END_LOST,     /* the monitor closed without saying so: it dropped us, or died */
  END_DETACHED, /* the detach keys */
  END_SIGNAL,   /* a signal we do not forward ends us */
};

static enum relay_end
relay (struct attach_session *s, struct rcr_container *c, int sigfd, int *signo)
{
  static char buf[65536 + 1];
  bool stdin_open = s->send_stdin, ended = false;

  for (;;)
    {
      struct pollfd fds[3] = { { .fd = s->sock, .events = POLLIN },
                               { .fd = sigfd, .events = POLLIN },
                               { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN } };
      ssize_t n;

      if (poll (fds, 3, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return END_LOST;
        }
      if (fds[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (sigfd, &si, sizeof (si)) == sizeof (si))
            {
              rcr_error_t err = NULL;
              if (si.ssi_signo == SIGWINCH)
                {
                  if (s->tty)
                    send_winsize (s->sock);
                  continue;
                }
              if (!s->sig_proxy)
                {
                  *signo = (int)si.ssi_signo;
                  return END_SIGNAL;
                }
              /* as `rcr kill` would; a container that just ended is no error here */
              if (rcr_container_kill (c, (int)si.ssi_signo, &err) < 0)
                rcr_error_release (&err);
            }
        }
      if (fds[0].revents)
        {
          n = recv (s->sock, buf, sizeof (buf), 0);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            return ended ? END_EXITED : END_LOST;
          if (buf[0] == RCR_ATTACH_END)
            ended = true;
          else if (buf[0] == RCR_ATTACH_STDOUT)
            (void)rcr_write_all (STDOUT_FILENO, buf + 1, (size_t)n - 1);
          else if (buf[0] == RCR_ATTACH_STDERR)
            (void)rcr_write_all (STDERR_FILENO, buf + 1, (size_t)n - 1);
        }
      if (stdin_open && fds[2].revents)
        {
          n = read (STDIN_FILENO, buf, 32768);
          if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
          if (n <= 0)
            {
              /* our stdin ended; the container's ends too, and we keep its output coming */
              stdin_open = false;
              send_msg (s->sock, RCR_ATTACH_STDIN, NULL, 0);
              continue;
            }
          if (forward_input (s, buf, (size_t)n))
            return END_DETACHED;
        }
    }
}

static int
run_attach (struct rcr_context *ctx, const struct rcr_verb *verb, int argc, char **argv)
{
  static const struct cmd_option opts[] = {
    { "no-stdin", 0, false, 1 },
    { "sig-proxy", 0, false, 2 },
    { "detach-keys", 0, true, 3 },
    { NULL, 0, false, 0 },
  };
  static const int proxied[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
  cleanup_container struct rcr_container *c = NULL;
  cleanup_close int sock = -1;
  cleanup_close int sigfd = -1;
  struct attach_session s = { .sig_proxy = true };
  const char *detach_keys = DEFAULT_DETACH_KEYS;
  char keys[64];
  bool no_stdin = false, raw = false;
  struct termios saved;
  enum relay_end end;
  rcr_error_t err = NULL;
  sigset_t set, old;
  const char *arg;
  int optind = 1, ch, signo = 0, code = 0;

  while ((ch = cmd_getopt (verb, argc, argv, opts, &optind, &arg)) != 0)
    switch (ch)
      {
      case 'h':
        return cmd_print_help (verb);
      case 1:
        no_stdin = true;
        break;
      case -1:
        no_stdin = false;
        break;
      case 2:
        s.sig_proxy = true;
        break;
      case -2:
        s.sig_proxy = false;
        break;
      case 3:
        detach_keys = arg;
        break;
      default:
        return RCR_EXIT_FAILURE;
      }
  if (argc - optind != 1)
    return cmd_usage_error (verb, "`rcr attach` requires exactly one container name or ID");
  s.n_keys = parse_detach_keys (detach_keys, keys, sizeof (keys));
  if (s.n_keys < 0)
    return cmd_usage_error (verb,
                            "invalid detach keys \"%s\": give keys like \"ctrl-p,ctrl-q\" (a-z, @, [, \\, ], ^, _ "
                            "after ctrl-, or single characters), or \"\" for none",
                            detach_keys);
  s.keys = keys;
  if (rcr_container_load (ctx, argv[optind], &c, &err) < 0)
    return cmd_fail (&err);
  if (c->state.status != RCR_STATUS_RUNNING && c->state.status != RCR_STATUS_PAUSED)
    {
      fprintf (stderr, "Error: you can only attach to running containers: container %s is %s\n", c->id,
               rcr_status_name (c->state.status));
      return RCR_EXIT_FAILURE;
    }
  s.tty = rcr_json_get_bool (c->config, "tty", false);
  /* a container without -i has /dev/null (or a terminal nobody types into) as stdin */
  s.send_stdin = !no_stdin && rcr_json_get_bool (c->config, "interactive", false);
  /* with a terminal, signals are the container's own business (ctrl-c is a byte) */
  s.sig_proxy = s.sig_proxy && !s.tty;
  sock = connect_monitor (c, &err);
  if (sock < 0)
    return cmd_fail (&err);
  s.sock = sock;

  sigemptyset (&set);
  sigaddset (&set, SIGWINCH);
  for (size_t i = 0; i < sizeof (proxied) / sizeof (proxied[0]); i++)
    sigaddset (&set, proxied[i]);
  sigprocmask (SIG_BLOCK, &set, &old);
  sigfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0)
    {
      sigprocmask (SIG_SETMASK, &old, NULL);
      fprintf (stderr, "Error: signalfd: %s\n", strerror (errno));
      return RCR_EXIT_FAILURE;
    }
  if (s.tty && isatty (STDIN_FILENO))
    {
      send_winsize (sock);
      if (s.send_stdin && tcgetattr (STDIN_FILENO, &saved) == 0)
        {
          struct termios t = saved;
          cfmakeraw (&t);
          raw = tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0;
        }
    }

  end = relay (&s, c, sigfd, &signo);

  if (raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (end == END_DETACHED)
    return 0;
  if (end == END_SIGNAL)
    return 128 + signo;
  if (end == END_LOST)
    {
      fprintf (stderr,
               "Error: lost the connection to the monitor of container %s before the container ended (an attach "
               "that falls more than 4 MiB behind the output is dropped); attach again to follow it\n",
               c->id);
      return RCR_EXIT_FAILURE;
    }
  /* the monitor ends us after it recorded the exit */
  if (rcr_container_wait (ctx, c, &code, &err) < 0)
    return cmd_fail (&err);
  return code;
}

const struct rcr_verb rcr_verb_attach = {
  .name = "attach",
  .summary = "Attach to a running container",
  .usage = "  rcr attach [options] CONTAINER\n"
           "\n"
           "Options:\n"
           "      --detach-keys string  keys that detach from the container, leaving it running (default "
           "\"ctrl-p,ctrl-q\"; \"\" for none)\n"
           "      --no-stdin            do not attach stdin\n"
           "      --sig-proxy           forward the signals rcr receives to the container; ignored with a tty "
           "(default true)\n",
  .run = run_attach,
};
