/* SPDX-License-Identifier: Apache-2.0 */
/* The monitor: parent of the container's first process. It relays the terminal, writes
   the log (podman's k8s-file format), forwards signals, records the exit status and
   removes --rm containers. Attached runs use the CLI process itself; detached runs a
   double-forked, session-leading copy. */
#define _GNU_SOURCE
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "common/util.h"
#include "runtime/attach.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/spawn.h"
#include "storage/driver.h"

static int64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the spawn configuration, from config.json ---- */

struct spawn_storage
{
  struct rcr_spawn_config sc;
  char **layers;
  char *upper, *work, *rootfs;
  char **argv, **env;
  struct rcr_mount_spec *mounts;
  struct rcr_ulimit *ulimits;
  void *seccomp_bpf;
  struct rcr_seccomp *seccomp_filter;
  char *vfs_root;
  struct rcr_fuse_overlayfs fuse;
  char *fuse_program, *fuse_log;
};

static char **
strv_from_json (json_object *arr)
{
  size_t n = arr ? json_object_array_length (arr) : 0;
  char **v = rcr_xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    v[i] = rcr_xstrdup (json_object_get_string (json_object_array_get_idx (arr, i)));
  return v;
}

static void
storage_clear (struct spawn_storage *s)
{
  rcr_cleanup_strvp (&s->layers);
  rcr_cleanup_strvp (&s->argv);
  rcr_cleanup_strvp (&s->env);
  free (s->upper);
  free (s->work);
  free (s->rootfs);
  for (size_t i = 0; i < s->sc.n_mounts; i++)
    {
      free (s->mounts[i].source);
      free (s->mounts[i].dest);
      free (s->mounts[i].options);
    }
  free (s->mounts);
  free (s->ulimits);
  free (s->seccomp_bpf);
  rcr_seccomp_free (s->seccomp_filter);
  free (s->vfs_root);
  free (s->fuse_program);
  free (s->fuse_log);
}

static void
add_mount (struct spawn_storage *s, const char *source, const char *dest, const char *options, bool ro, bool tmpfs,
           bool create_file)
{
  struct rcr_mount_spec *m;
  s->mounts = rcr_xrealloc (s->mounts, (s->sc.n_mounts + 1) * sizeof (*s->mounts));
  m = &s->mounts[s->sc.n_mounts++];
  m->source = rcr_xstrdup (source);
  m->dest = rcr_xstrdup (dest);
  m->options = rcr_xstrdup (options);
  m->readonly = ro;
  m->tmpfs = tmpfs;
  m->create_file = create_file;
}

static int
build_spawn (const struct rcr_context *ctx, struct rcr_container *c, struct spawn_storage *s, rcr_error_t *err)
{
  json_object *cfg = c->config;
  json_object *layers = rcr_json_get_array (cfg, "layers");
  json_object *mounts = rcr_json_get_array (cfg, "mounts");
  json_object *ulimits = rcr_json_get_array (cfg, "ulimits");
  cleanup_strv char **cap_add = strv_from_json (rcr_json_get_array (cfg, "capAdd"));
  cleanup_strv char **cap_drop = strv_from_json (rcr_json_get_array (cfg, "capDrop"));
  size_t n_layers = layers ? json_object_array_length (layers) : 0;
  bool privileged = rcr_json_get_bool (cfg, "privileged", false);
  static const struct
  {
    const char *file, *dest;
    bool run_dir; /* written for this start, else made with the container */
  } etc_files[] = { { "hosts", "/etc/hosts", true },
                    { "hostname", "/etc/hostname", true },
                    { "resolv.conf", "/etc/resolv.conf", true },
                    { ".containerenv", "/run/.containerenv", true },
                    /* --userns=keep-id: the image's files with the user's entry added */
                    { "passwd", "/etc/passwd", false },
                    { "group", "/etc/group", false } };
  const char *lower_root = rcr_json_get_string (cfg, "lowerRoot", NULL);

  memset (s, 0, sizeof (*s));
  if (n_layers == 0)
    return rcr_make_error (err, 0, "container %s has no image layers", c->id);
  if (lower_root)
    n_layers = 1;
  s->layers = rcr_xmalloc0 ((n_layers + 1) * sizeof (char *));
  if (lower_root)
    {
      s->layers[0] = rcr_xstrdup (lower_root);
      if (access (lower_root, F_OK) < 0)
        return rcr_make_error (err, errno, "the keep-id copy of the image of container %s", c->id);
    }
  for (size_t i = 0; !lower_root && i < n_layers; i++)
    {
      const char *diff = json_object_get_string (json_object_array_get_idx (layers, i));
      s->layers[i] = rcr_strdup_printf ("%s/storage/layers/%s/diff", ctx->paths.root, diff + 7);
      if (access (s->layers[i], F_OK) < 0)
        return rcr_make_error (err, errno, "layer %s of container %s", diff, c->id);
    }
  s->upper = rcr_strdup_printf ("%s/upper", c->dir);
  s->work = rcr_strdup_printf ("%s/work", c->dir);
  /* the root is mounted only in the container's own mount namespace, so every container
     can use the same empty directory as its mount point: nothing to make or remove per
     container */
  s->rootfs = rcr_strdup_printf ("%s/rootfs", ctx->paths.runroot);
  /* the run directory too: a reboot may have emptied it since the container ran */
  if (rcr_mkdir_p (s->rootfs, 0700, err) < 0 || rcr_mkdir_p (c->run_dir, 0700, err) < 0)
    return -1;
  s->argv = strv_from_json (rcr_json_get_array (cfg, "command"));
  s->env = strv_from_json (rcr_json_get_array (cfg, "env"));

  /* rcr's own files first, so that a -v onto the same path (podman allows it) wins */
  for (size_t i = 0; i < sizeof (etc_files) / sizeof (etc_files[0]); i++)
    {
      cleanup_free char *src = rcr_strdup_printf ("%s/%s", etc_files[i].run_dir ? c->run_dir : c->dir, etc_files[i].file);
      bool user_owns = false;
      for (size_t k = 0; mounts && k < json_object_array_length (mounts); k++)
        user_owns = user_owns
                    || strcmp (rcr_json_get_string (json_object_array_get_idx (mounts, k), "destination", ""),
                               etc_files[i].dest)
                           == 0;
      /* the run directory's files are written while the id maps are (start_meanwhile) */
      if (!user_owns
          && (etc_files[i].run_dir ? rcr_container_has_run_file (c, etc_files[i].file) : access (src, F_OK) == 0))
        add_mount (s, src, etc_files[i].dest, NULL, false, false, true);
    }
  for (size_t i = 0; mounts && i < json_object_array_length (mounts); i++)
    {
      json_object *m = json_object_array_get_idx (mounts, i);
      const char *type = rcr_json_get_string (m, "type", "bind");
      add_mount (s, rcr_json_get_string (m, "source", NULL), rcr_json_get_string (m, "destination", "/"),
                 rcr_json_get_string (m, "options", NULL), rcr_json_get_bool (m, "readonly", false),
                 strcmp (type, "tmpfs") == 0, false);
    }
  s->ulimits = rcr_xmalloc0 (((ulimits ? json_object_array_length (ulimits) : 0) + 1) * sizeof (*s->ulimits));
  for (size_t i = 0; ulimits && i < json_object_array_length (ulimits); i++)
    {
      if (rcr_ulimit_parse (json_object_get_string (json_object_array_get_idx (ulimits, i)), &s->ulimits[i], err) < 0)
        return -1;
      s->sc.n_ulimits++;
    }

  s->sc.layers = s->layers;
  s->sc.n_layers = n_layers;
  s->sc.upper = s->upper;
  s->sc.work = s->work;
  s->sc.rootfs_dir = s->rootfs;
  if (strcmp (rcr_json_get_string (cfg, "storageDriver", "overlay"), "vfs") == 0)
    {
      s->vfs_root = rcr_strdup_printf ("%s/vfs-root", c->dir);
      s->sc.vfs_root = s->vfs_root;
    }
  else if (strcmp (rcr_json_get_string (cfg, "storageDriver", "overlay"), "fuse-overlayfs") == 0)
    {
      if (rcr_driver_check_fuse (&s->fuse_program, err) < 0)
        return rcr_error_wrap (err, "container %s uses the fuse-overlayfs storage driver", c->id);
      s->fuse_log = rcr_strdup_printf ("%s/fuse-overlayfs.log", c->run_dir);
      s->fuse = (struct rcr_fuse_overlayfs){ .program = s->fuse_program,
                                             .lower = s->layers,
                                             .n_lower = n_layers,
                                             .upper = s->upper,
                                             .work = s->work,
                                             .log_path = s->fuse_log };
      s->sc.fuse = &s->fuse;
    }
  s->sc.read_only = rcr_json_get_bool (cfg, "readOnly", false);
  /* podman mounts a --rm container's overlay "volatile": nothing of it outlives the
     container, so nothing is synced, and its unmount does not sync the whole file system
     the store is on. The kernel leaves work/work/incompat/volatile behind and refuses a
     later mount while it is there (after a killed monitor, a new start of the same
     container): work/work is overlay's scratch space, remade at every mount, so a start
     removes what an earlier one left (its mode is 0, rcr_rm_rf copes). */
  s->sc.volatile_upper = rcr_json_get_bool (cfg, "autoRemove", false);
  if (s->sc.volatile_upper)
    {
      cleanup_free char *scratch = rcr_strdup_printf ("%s/work/work", c->dir);
      struct stat st;
      /* the kernel made it as the container's root, which is not us under keep-id */
      if (lstat (scratch, &st) == 0 && rcr_rm_rf_as_container (ctx, scratch, err) < 0)
        return rcr_error_wrap (err, "clear overlay's work directory of container %s", c->id);
    }
  s->sc.privileged = privileged;
  s->sc.argv = s->argv;
  s->sc.env = s->env;
  s->sc.cwd = rcr_json_get_string (cfg, "workdir", "/");
  s->sc.user = rcr_json_get_string (cfg, "user", "");
  s->sc.hostname = rcr_json_get_string (cfg, "hostname", NULL);
  s->sc.tty = rcr_json_get_bool (cfg, "tty", false);
  s->sc.init = rcr_json_get_bool (cfg, "init", false);
  if (rcr_caps_compute (privileged ? rcr_caps_all () : rcr_caps_default (), cap_add, cap_drop, &s->sc.caps, err) < 0
      || rcr_caps_user (cap_add, &s->sc.user_caps, err) < 0)
    return -1;
  s->sc.no_new_privs = rcr_json_get_bool (cfg, "noNewPrivileges", false);
  {
    const char *profile = privileged ? "unconfined" : rcr_json_get_string (cfg, "seccomp", NULL);
    if (profile && strcmp (profile, "unconfined") != 0
        && rcr_seccomp_from_file (profile, s->sc.caps, &s->seccomp_filter, err) < 0)
      return -1;
    s->sc.seccomp_filter = s->seccomp_filter;
    s->sc.no_seccomp = profile != NULL && strcmp (profile, "unconfined") == 0;
  }
  if (!s->sc.no_seccomp && s->seccomp_filter == NULL)
    {
      cleanup_free char *cache = rcr_strdup_printf ("%s/seccomp", ctx->paths.runroot);
      if (rcr_seccomp_cached_bpf (cache, s->sc.caps, &s->seccomp_bpf, &s->sc.seccomp_bpf_len, err) < 0)
        return -1;
      s->sc.seccomp_bpf = s->seccomp_bpf;
    }
  s->sc.ulimits = s->ulimits;
  s->sc.new_netns = strcmp (rcr_json_get_string (cfg, "network", "none"), "host") != 0;
  s->sc.rootless = ctx->paths.rootless;
  if (strcmp (rcr_json_get_string (cfg, "userns", ""), "keep-id") == 0)
    {
      s->sc.userns_mode = RCR_USERNS_KEEP_ID;
      s->sc.keep_id_gid = (gid_t)rcr_json_get_int64 (cfg, "keepIdGid", (int64_t)getegid ());
    }
  s->sc.mounts = s->mounts;
  s->sc.stdio[0] = s->sc.stdio[1] = s->sc.stdio[2] = -1;
  return 0;
}

/* ---- the log ---- */

struct log_stream
{
  const char *name; /* "stdout" / "stderr" */
  int out;          /* our terminal fd, or -1 */
  char partial[8192];
  size_t len;
};

static void
log_write (int logfd, const char *stream, const char *data, size_t len, bool complete)
{
  char ts[64], head[128];
  struct timespec t;
  struct tm tm;
  struct iovec iov[3];
  int n;

  if (logfd < 0)
    return;
  clock_gettime (CLOCK_REALTIME, &t);
  gmtime_r (&t.tv_sec, &tm);
  strftime (ts, sizeof (ts), "%Y-%m-%dT%H:%M:%S", &tm);
  n = snprintf (head, sizeof (head), "%s.%09ldZ %s %c ", ts, t.tv_nsec, stream, complete ? 'F' : 'P');
  iov[0] = (struct iovec){ head, (size_t)n };
  iov[1] = (struct iovec){ (void *)data, len };
  iov[2] = (struct iovec){ (void *)"\n", 1 };
  (void)!writev (logfd, iov, 3);
}

/* Logs every complete line; keeps a trailing partial line for the next read. */
static void
log_data (int logfd, struct log_stream *s, const char *data, size_t len)
{
  for (size_t i = 0; i < len; i++)
    {
      if (data[i] == '\n')
        {
          log_write (logfd, s->name, s->partial, s->len, true);
          s->len = 0;
          continue;
        }
      if (s->len == sizeof (s->partial))
        {
          log_write (logfd, s->name, s->partial, s->len, false);
          s->len = 0;
        }
      s->partial[s->len++] = data[i];
    }
}

/* ---- the loop ---- */

#define MAX_CLIENTS 4
/* output a client may fall behind by before it is dropped */
#define CLIENT_QUEUE_MAX (4u << 20)

/* An `rcr attach` connection and the messages it has not taken yet, each stored as its
   length (uint32_t) and bytes. */
struct attach_client
{
  int fd;
  char *queue;
  size_t head, len; /* unsent bytes at queue + head */
};

struct relay
{
  int sigfd;
  int logfd;
  int pipes[2]; /* container stdout/stderr read ends, or -1 */
  struct log_stream streams[2];
  int pty; /* master, or -1 */
  int in;  /* our stdin to copy into the pty, or -1 */
  pid_t pid;
  bool sig_proxy;
  /* detached: `rcr attach` clients (see runtime/attach.h) */
  int listener; /* or -1 */
  struct attach_client clients[MAX_CLIENTS];
  int stdin_w;         /* the container's stdin pipe, or -1 */
  bool pty_input;      /* clients may type into the pty (-i) */
  char pending[65536]; /* client input the container has not taken yet */
  size_t pending_len, pending_off;
  bool stdin_eof; /* close stdin_w once pending is written */
};

static void
copy_winsize (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    ioctl (to, TIOCSWINSZ, &ws);
}

static void
drop_client (struct relay *r, int i)
{
  close (r->clients[i].fd);
  free (r->clients[i].queue);
  r->clients[i] = (struct attach_client){ .fd = -1 };
}

/* Sends the queued messages the client will take now; false when it must be dropped. */
static bool
flush_client (struct attach_client *cl)
{
  while (cl->len > 0)
    {
      uint32_t n;
      ssize_t w;
      memcpy (&n, cl->queue + cl->head, sizeof (n));
      w = send (cl->fd, cl->queue + cl->head + sizeof (n), n, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        return true;
      if (w < 0)
        return false;
      cl->head += sizeof (n) + n;
      cl->len -= sizeof (n) + n;
    }
  free (cl->queue);
  cl->queue = NULL;
  cl->head = 0;
  return true;
}

static bool
enqueue (struct attach_client *cl, char type, const char *data, size_t len)
{
  uint32_t n = (uint32_t)len + 1;
  if (cl->len + sizeof (n) + n > CLIENT_QUEUE_MAX)
    return false;
  /* room at the end: move what is left to the front and grow to the largest we allow */
  if (cl->queue == NULL)
    cl->queue = rcr_xmalloc0 (CLIENT_QUEUE_MAX);
  else if (cl->head + cl->len + sizeof (n) + n > CLIENT_QUEUE_MAX)
    {
      memmove (cl->queue, cl->queue + cl->head, cl->len);
      cl->head = 0;
    }
  memcpy (cl->queue + cl->head + cl->len, &n, sizeof (n));
  cl->queue[cl->head + cl->len + sizeof (n)] = type;
  memcpy (cl->queue + cl->head + cl->len + sizeof (n) + 1, data, len);
  cl->len += sizeof (n) + n;
  return true;
}

/* Output goes to every client without ever waiting: what a client cannot take now waits
   in its queue, and one that falls too far behind (or is gone) is dropped rather than
   stall the container or the log. */
static void
broadcast (struct relay *r, char type, const char *data, size_t len)
{
  struct iovec iov[2] = { { &type, 1 }, { (void *)data, len } };
  struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

  for (int i = 0; i < MAX_CLIENTS; i++)
    {
      struct attach_client *cl = &r->clients[i];
      if (cl->fd < 0)
        continue;
      if (cl->len == 0 && sendmsg (cl->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
        continue;
      if ((cl->len == 0 && errno != EAGAIN) || !enqueue (cl, type, data, len))
        drop_client (r, i);
    }
}

/* At the end: the last output, then RCR_ATTACH_END so that clients know they saw it
   all. A client that takes nothing for 10 s is left behind. */
static void
finish_clients (struct relay *r)
{
  broadcast (r, RCR_ATTACH_END, NULL, 0);
  for (;;)
    {
      struct pollfd fds[MAX_CLIENTS];
      int n = 0;
      for (int i = 0; i < MAX_CLIENTS; i++)
        fds[i] = (struct pollfd){ .fd = r->clients[i].len > 0 ? r->clients[i].fd : -1, .events = POLLOUT };
      for (int i = 0; i < MAX_CLIENTS; i++)
        n += fds[i].fd >= 0;
      if (n == 0)
        break;
      n = poll (fds, MAX_CLIENTS, 10000);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      for (int i = 0; i < MAX_CLIENTS; i++)
        if (fds[i].fd >= 0 && fds[i].revents && !flush_client (&r->clients[i]))
          drop_client (r, i);
    }
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (r->clients[i].fd >= 0)
      drop_client (r, i);
}

static int
input_target (const struct relay *r)
{
  if (r->stdin_w >= 0)
    return r->stdin_w;
  return r->pty_input ? r->pty : -1;
}

static void
close_stdin_if_done (struct relay *r)
{
  if (r->stdin_eof && r->pending_len == 0 && r->stdin_w >= 0)
    {
      close (r->stdin_w);
      r->stdin_w = -1;
    }
}

/* Writes what the container will take now; the rest waits for POLLOUT (its stdin may
   never be read, and the monitor must keep relaying output meanwhile). */
static void
flush_pending (struct relay *r)
{
  int fd = input_target (r);
  while (r->pending_len > 0)
    {
      ssize_t w = fd < 0 ? -1 : write (fd, r->pending + r->pending_off, r->pending_len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        return;
      if (w <= 0)
        {
          r->pending_len = 0; /* nobody reads it any more */
          break;
        }
      r->pending_off += (size_t)w;
      r->pending_len -= (size_t)w;
    }
  r->pending_off = 0;
  close_stdin_if_done (r);
}

static void
client_message (struct relay *r, int i)
{
  char msg[1 + sizeof (r->pending)];
  ssize_t n = recv (r->clients[i].fd, msg, sizeof (msg), MSG_DONTWAIT);

  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      drop_client (r, i);
      return;
    }
  switch (msg[0])
    {
    case RCR_ATTACH_STDIN:
      if (n == 1)
        {
          /* the client's stdin ended: so does the container's, as with podman */
          r->stdin_eof = true;
          close_stdin_if_done (r);
        }
      else if (input_target (r) >= 0)
        {
          memcpy (r->pending, msg + 1, (size_t)n - 1);
          r->pending_len = (size_t)n - 1;
          r->pending_off = 0;
          flush_pending (r);
        }
      break;
    case RCR_ATTACH_WINSIZE:
      if (r->pty >= 0 && (size_t)n == 1 + sizeof (struct winsize))
        {
          struct winsize ws;
          memcpy (&ws, msg + 1, sizeof (ws));
          ioctl (r->pty, TIOCSWINSZ, &ws);
        }
      break;
    default:
      drop_client (r, i);
    }
}

static void
accept_client (struct relay *r)
{
  int fd = accept4 (r->listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0)
    return;
  for (int i = 0; i < MAX_CLIENTS; i++)
    if (r->clients[i].fd < 0)
      {
        r->clients[i].fd = fd;
        return;
      }
  close (fd); /* too many: the client sees the end at once */
}

static int
relay_loop (struct relay *r)
{
  bool exited = false;
  int status = 0;

  for (;;)
    {
      struct pollfd fds[7 + MAX_CLIENTS];
      int nfds = 0, idx_sig, idx_pipe[2] = { -1, -1 }, idx_pty = -1, idx_in = -1, idx_listen = -1, idx_out = -1;
      int idx_client[MAX_CLIENTS];
      char buf[65536];

      fds[nfds] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
      idx_sig = nfds++;
      for (int k = 0; k < 2; k++)
        if (r->pipes[k] >= 0)
          {
            fds[nfds] = (struct pollfd){ .fd = r->pipes[k], .events = POLLIN };
            idx_pipe[k] = nfds++;
          }
      if (r->pty >= 0)
        {
          fds[nfds] = (struct pollfd){ .fd = r->pty, .events = POLLIN };
          idx_pty = nfds++;
        }
      if (r->in >= 0)
        {
          fds[nfds] = (struct pollfd){ .fd = r->in, .events = POLLIN };
          idx_in = nfds++;
        }
      if (r->listener >= 0 && !exited)
        {
          fds[nfds] = (struct pollfd){ .fd = r->listener, .events = POLLIN };
          idx_listen = nfds++;
        }
      if (r->pending_len > 0 && input_target (r) >= 0)
        {
          fds[nfds] = (struct pollfd){ .fd = input_target (r), .events = POLLOUT };
          idx_out = nfds++;
        }
      for (int i = 0; i < MAX_CLIENTS; i++)
        {
          idx_client[i] = -1;
          /* no more input from anyone until the container took the last */
          if (r->clients[i].fd >= 0)
            {
              fds[nfds] = (struct pollfd){ .fd = r->clients[i].fd,
                                           .events = (short)((r->pending_len > 0 ? 0 : POLLIN)
                                                             | (r->clients[i].len > 0 ? POLLOUT : 0)) };
              idx_client[i] = nfds++;
            }
        }
      /* once the process is gone, drain what is left and stop */
      if (exited && r->pipes[0] < 0 && r->pipes[1] < 0 && r->pty < 0)
        break;
      if (poll (fds, (nfds_t)nfds, exited ? 100 : -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (fds[idx_sig].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (r->sigfd, &si, sizeof (si)) == sizeof (si))
            {
              if (si.ssi_signo == SIGCHLD)
                {
                  pid_t p;
                  int st;
                  while ((p = waitpid (-1, &st, WNOHANG)) > 0)
                    if (p == r->pid)
                      {
                        status = st;
                        exited = true;
                      }
                }
              else if (si.ssi_signo == SIGWINCH && r->pty >= 0 && r->in >= 0)
                copy_winsize (r->in, r->pty);
              else if (r->sig_proxy && !exited)
                kill (r->pid, (int)si.ssi_signo);
            }
        }
      for (int k = 0; k < 2; k++)
        if (idx_pipe[k] >= 0 && (fds[idx_pipe[k]].revents & (POLLIN | POLLHUP | POLLERR)))
          {
            ssize_t n = read (r->pipes[k], buf, sizeof (buf));
            if (n > 0)
              {
                if (r->streams[k].out >= 0)
                  (void)rcr_write_all (r->streams[k].out, buf, (size_t)n);
                log_data (r->logfd, &r->streams[k], buf, (size_t)n);
                broadcast (r, (char)(k == 0 ? RCR_ATTACH_STDOUT : RCR_ATTACH_STDERR), buf, (size_t)n);
              }
            else if (n == 0 || (errno != EINTR && errno != EAGAIN))
              {
                close (r->pipes[k]);
                r->pipes[k] = -1;
              }
          }
      if (idx_pty >= 0 && (fds[idx_pty].revents & (POLLIN | POLLHUP | POLLERR)))
        {
          ssize_t n = read (r->pty, buf, sizeof (buf));
          if (n > 0)
            {
              (void)rcr_write_all (STDOUT_FILENO, buf, (size_t)n);
              log_data (r->logfd, &r->streams[0], buf, (size_t)n);
              broadcast (r, RCR_ATTACH_STDOUT, buf, (size_t)n);
            }
          else if (n == 0 || (errno != EINTR && errno != EAGAIN))
            {
              close (r->pty);
              r->pty = -1;
              r->pending_len = 0;
            }
        }
      if (idx_in >= 0 && (fds[idx_in].revents & (POLLIN | POLLHUP | POLLERR)))
        {
          ssize_t n = read (r->in, buf, sizeof (buf));
          if (n > 0 && r->pty >= 0)
            (void)rcr_write_all (r->pty, buf, (size_t)n);
          else if (n <= 0)
            r->in = -1; /* our stdin ended; the terminal stays */
        }
      if (idx_out >= 0 && fds[idx_out].revents)
        flush_pending (r);
      for (int i = 0; i < MAX_CLIENTS; i++)
        {
          short ev = idx_client[i] >= 0 ? fds[idx_client[i]].revents : 0;
          if ((ev & POLLOUT) && !flush_client (&r->clients[i]))
            drop_client (r, i);
          if (r->clients[i].fd < 0)
            continue;
          if (ev & POLLIN)
            client_message (r, i);
          else if ((ev & (POLLHUP | POLLERR)) && r->pending_len > 0)
            drop_client (r, i); /* gone, with input the container has not taken: not worth waiting for */
          else if (ev & (POLLHUP | POLLERR))
            client_message (r, i);
        }
      if (idx_listen >= 0 && (fds[idx_listen].revents & POLLIN))
        accept_client (r);
      if (exited && r->pipes[0] < 0 && r->pipes[1] < 0 && r->pty < 0)
        break;
    }
  for (int k = 0; k < 2; k++)
    if (r->streams[k].len > 0)
      log_write (r->logfd, r->streams[k].name, r->streams[k].partial, r->streams[k].len, false);
  if (!exited)
    while (waitpid (r->pid, &status, 0) < 0 && errno == EINTR)
      ;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

/* The socket `rcr attach` connects to, made before the container is reported running
   so that an attach right after `run -d` finds it. Its path goes through an fd of the
   directory: run_dir can be longer than sun_path allows. */
static int
attach_listen (const char *run_dir, int *dirfd_out, rcr_error_t *err)
{
  cleanup_close int dirfd = open (run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int fd = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  char path[64];

  if (dirfd < 0)
    return rcr_make_error (err, errno, "open \"%s\"", run_dir);
  snprintf (path, sizeof (path), "/proc/self/fd/%d/%s", dirfd, RCR_ATTACH_SOCKET);
  snprintf (addr.sun_path, sizeof (addr.sun_path), "%s", path);
  fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return rcr_make_error (err, errno, "socket");
  unlinkat (dirfd, RCR_ATTACH_SOCKET, 0); /* a previous run's */
  if (bind (fd, (struct sockaddr *)&addr, sizeof (addr)) < 0)
    return rcr_make_error (err, errno, "bind \"%s/%s\"", run_dir, RCR_ATTACH_SOCKET);
  if (fchmodat (dirfd, RCR_ATTACH_SOCKET, 0600, 0) < 0 || listen (fd, MAX_CLIENTS) < 0)
    return rcr_make_error (err, errno, "listen on \"%s/%s\"", run_dir, RCR_ATTACH_SOCKET);
  *dirfd_out = steal_fd (&dirfd);
  return steal_fd (&fd);
}

static int
block_signals (sigset_t *old)
{
  sigset_t set;
  static const int sigs[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  sigemptyset (&set);
  for (size_t i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++)
    sigaddset (&set, sigs[i]);
  sigprocmask (SIG_BLOCK, &set, old);
  return signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Work of the monitor's that the container needs only once it is mapped (or not at all),
   done while the id-map helpers run: the files rcr binds in (written for every start),
   the "has run" marker, the monitor's own start time and the prune of old exit codes. */
struct start_meanwhile
{
  const struct rcr_context *ctx;
  struct rcr_container *c;
  const char *started;
};

static int
start_meanwhile (void *arg, rcr_error_t *err)
{
  struct start_meanwhile *m = arg;
  /* the marker tells a container that ran from one never started once the run directory
     is gone (a --rm container too: its monitor may die with the machine) */
  int fd = open (m->started, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0)
    close (fd);
  m->c->state.monitor_start_time = rcr_pid_start_time (getpid ());
  rcr_exit_codes_prune (m->ctx);
  return rcr_container_write_run_files (m->c, err);
}

/* Runs the container to its end; called in the process that is its monitor. ready() is
   told once the command runs (or why it could not). */
static int
monitor_run (const struct rcr_context *ctx, struct rcr_container *c, const struct rcr_start_opts *o, bool terminal,
             void (*ready) (void *arg, int status, const char *msg), void *ready_arg, int *exit_code, rcr_error_t *err)
{
  struct spawn_storage s;
  struct rcr_spawned sp = { -1, -1, -1 };
  struct relay r = { .sigfd = -1,
                     .logfd = -1,
                     .pipes = { -1, -1 },
                     .pty = -1,
                     .in = -1,
                     .listener = -1,
                     .clients = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 }, { .fd = -1 } },
                     .stdin_w = -1 };
  cleanup_close int run_dirfd = -1;
  /* detached -i: a pipe whose write end we keep, for `rcr attach` to feed */
  bool interactive = o->interactive || rcr_json_get_bool (c->config, "interactive", false);
  int in_pipe[2] = { -1, -1 };
  cleanup_free char *log_path = rcr_strdup_printf ("%s/ctr.log", c->dir);
  cleanup_free char *started = rcr_strdup_printf ("%s/started", c->dir);
  int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
  struct termios saved_tio;
  struct start_meanwhile meanwhile;
  bool raw = false;
  sigset_t oldmask;
  int code, ret = 0;

  if (build_spawn (ctx, c, &s, err) < 0)
    {
      storage_clear (&s);
      return -1;
    }
  if (!terminal)
    {
      r.listener = attach_listen (c->run_dir, &run_dirfd, err);
      if (r.listener < 0)
        {
          storage_clear (&s);
          return rcr_error_wrap (err, "the attach socket of container %s", c->id);
        }
    }
  r.streams[0] = (struct log_stream){ .name = "stdout", .out = terminal ? STDOUT_FILENO : -1 };
  r.streams[1] = (struct log_stream){ .name = "stderr", .out = terminal ? STDERR_FILENO : -1 };
  /* an attached --rm run leaves no log to read: the container writes to our terminal */
  if (!(terminal && o->remove))
    {
      r.logfd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (r.logfd < 0)
        rcr_warn ("cannot open the log \"%s\": %s", log_path, strerror (errno));
    }
  if (!s.sc.tty)
    {
      if (terminal && o->remove)
        {
          s.sc.stdio[1] = STDOUT_FILENO;
          s.sc.stdio[2] = STDERR_FILENO;
        }
      else if (pipe2 (out_pipe, O_CLOEXEC) < 0 || pipe2 (err_pipe, O_CLOEXEC) < 0)
        {
          storage_clear (&s);
          return rcr_make_error (err, errno, "pipe");
        }
      else
        {
          s.sc.stdio[1] = out_pipe[1];
          s.sc.stdio[2] = err_pipe[1];
        }
      if (terminal && o->interactive)
        s.sc.stdio[0] = STDIN_FILENO;
      else if (!terminal && interactive)
        {
          if (pipe2 (in_pipe, O_CLOEXEC) < 0)
            {
              storage_clear (&s);
              return rcr_make_error (err, errno, "pipe");
            }
          s.sc.stdio[0] = in_pipe[0];
        }
    }

  r.sigfd = block_signals (&oldmask);
  meanwhile = (struct start_meanwhile){ .ctx = ctx, .c = c, .started = started };
  s.sc.meanwhile = start_meanwhile;
  s.sc.meanwhile_arg = &meanwhile;
  c->state.status = RCR_STATUS_RUNNING;
  c->state.started_at_ns = now_ns ();
  c->state.finished_at_ns = 0;
  c->state.exit_code = -1;
  c->state.monitor_pid = getpid ();
  free (c->state.error);
  c->state.error = NULL;

  rcr_debug ("spawning");
  if (rcr_spawn (&s.sc, &sp, err) < 0)
    {
      c->state.status = RCR_STATUS_EXITED;
      c->state.finished_at_ns = now_ns ();
      c->state.error = rcr_xstrdup ((*err)->msg);
      c->state.exit_code = (*err)->status == RCR_SPAWN_NOT_FOUND       ? 127
                           : (*err)->status == RCR_SPAWN_CANNOT_INVOKE ? 126
                                                                       : 125;
      rcr_container_save_state (ctx, c, NULL);
      if (ready)
        ready (ready_arg, (*err)->status, (*err)->msg);
      ret = -1;
      goto out;
    }
  c->state.pid = sp.pid;
  c->state.pid_start_time = rcr_pid_start_time (sp.pid);
  if (rcr_container_save_state (ctx, c, err) < 0)
    rcr_error_release (err);
  rcr_debug ("container process %d running", (int)sp.pid);
  if (ready)
    ready (ready_arg, 0, NULL);
  /* the monitor lives as long as the container: give back what only the start needed
     (trimming the heap costs about a millisecond, worth it for a detached monitor only) */
  storage_clear (&s);
  memset (&s, 0, sizeof (s));
  if (!terminal)
    malloc_trim (0);

  if (out_pipe[1] >= 0)
    {
      close (out_pipe[1]);
      close (err_pipe[1]);
      out_pipe[1] = err_pipe[1] = -1;
      r.pipes[0] = out_pipe[0];
      r.pipes[1] = err_pipe[0];
    }
  if (in_pipe[1] >= 0)
    {
      close (in_pipe[0]);
      in_pipe[0] = -1;
      r.stdin_w = steal_fd (&in_pipe[1]);
      fcntl (r.stdin_w, F_SETFL, O_NONBLOCK);
    }
  r.pty = sp.pty_master;
  if (r.pty >= 0 && !terminal && interactive)
    {
      r.pty_input = true;
      fcntl (r.pty, F_SETFL, O_NONBLOCK);
    }
  if (r.pty >= 0 && terminal)
    {
      if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved_tio) == 0)
        {
          struct termios rawt = saved_tio;
          cfmakeraw (&rawt);
          raw = tcsetattr (STDIN_FILENO, TCSANOW, &rawt) == 0;
          copy_winsize (STDIN_FILENO, r.pty);
        }
      if (o->interactive)
        r.in = STDIN_FILENO;
    }
  r.pid = sp.pid;
  r.sig_proxy = o->sig_proxy && r.pty < 0;
  code = relay_loop (&r);
  /* from now on an attach finds no socket and learns the container has ended */
  if (r.listener >= 0)
    {
      unlinkat (run_dirfd, RCR_ATTACH_SOCKET, 0);
      close (r.listener);
      r.listener = -1;
    }
  /* the container's mount namespace is gone, so the daemon is ending: leave nothing
     behind (nor let --rm remove its directories under it) */
  if (sp.fuse_pid > 0)
    rcr_fuse_overlayfs_reap (sp.fuse_pid, 5000);
  if (raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved_tio);

  rcr_debug ("container exited with %d", code);
  c->state.status = RCR_STATUS_EXITED;
  c->state.exit_code = code;
  c->state.finished_at_ns = now_ns ();
  if (o->remove)
    {
      /* `rcr wait` on a --rm container still learns how it ended */
      rcr_error_t tmp = NULL;
      if (rcr_exit_code_record (ctx, c->id, code, &tmp) < 0)
        rcr_error_release (&tmp);
      if (rcr_container_delete (ctx, c, err) < 0)
        ret = rcr_error_wrap (err, "remove container %s", c->id);
    }
  else if (rcr_container_save_state (ctx, c, err) < 0)
    ret = -1;
  *exit_code = code;
  rcr_debug ("state recorded");

out:
  /* the attached clients end only now, so that the exit status they ask for is recorded */
  finish_clients (&r);
  if (r.listener >= 0)
    {
      unlinkat (run_dirfd, RCR_ATTACH_SOCKET, 0);
      close (r.listener);
    }
  if (r.stdin_w >= 0)
    close (r.stdin_w);
  for (int k = 0; k < 2; k++)
    {
      rcr_cleanup_closep (&in_pipe[k]);
      rcr_cleanup_closep (&out_pipe[k]);
      rcr_cleanup_closep (&err_pipe[k]);
      if (r.pipes[k] >= 0 && r.pipes[k] != out_pipe[0] && r.pipes[k] != err_pipe[0])
        close (r.pipes[k]);
    }
  if (r.pty >= 0)
    close (r.pty);
  if (r.logfd >= 0)
    close (r.logfd);
  if (r.sigfd >= 0)
    close (r.sigfd);
  sigprocmask (SIG_SETMASK, &oldmask, NULL);
  storage_clear (&s);
  return ret;
}

/* ---- detached ---- */

struct ready_pipe
{
  int fd;
};

static void
ready_to_pipe (void *arg, int status, const char *msg)
{
  struct ready_pipe *rp = arg;
  char buf[4096];
  int n = snprintf (buf, sizeof (buf), "%d %s", status, msg ? msg : "");
  (void)!write (rp->fd, buf, (size_t)(n < (int)sizeof (buf) ? n : (int)sizeof (buf) - 1));
  close (rp->fd);
  rp->fd = -1;
}

int
rcr_container_start (const struct rcr_context *ctx, struct rcr_container *c, const struct rcr_start_opts *o,
                     int *exit_code, rcr_error_t *err)
{
  int p[2];
  pid_t child;
  char buf[4096];
  ssize_t n;
  int status = 0;

  *exit_code = 0;
  if (c->state.status == RCR_STATUS_RUNNING || c->state.status == RCR_STATUS_PAUSED)
    return rcr_make_error (err, 0, "container %s is already running", c->id);
  if (o->attach)
    return monitor_run (ctx, c, o, true, NULL, NULL, exit_code, err);

  if (pipe2 (p, O_CLOEXEC) < 0)
    return rcr_make_error (err, errno, "pipe");
  fflush (NULL);
  child = fork ();
  if (child < 0)
    return rcr_make_error (err, errno, "fork the monitor");
  if (child == 0)
    {
      struct ready_pipe rp = { .fd = p[1] };
      int devnull, code = 0;
      rcr_error_t merr = NULL;

      close (p[0]);
      if (setsid () < 0 || fork () != 0)
        _exit (0);
      /* the monitor outlives us: it keeps none of our caller's fds (a pipe held open would
         never see EOF; a directory would be reachable through /proc/PID/fd) */
      if (rp.fd > 3)
        syscall (SYS_close_range, 3, (unsigned)rp.fd - 1, 0);
      syscall (SYS_close_range, (unsigned)rp.fd + 1, ~0U, 0);
      /* the monitor: no terminal, not our caller's pipes */
      devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
      if (devnull >= 0)
        {
          dup2 (devnull, 0);
          dup2 (devnull, 1);
          dup2 (devnull, 2);
        }
      if (chdir ("/") < 0)
        _exit (1);
      /* a container that leaves its stdin pipe unread must not kill us on a write: the
         write fails with EPIPE instead (the container resets its mask) */
      {
        sigset_t pipe_set;
        sigemptyset (&pipe_set);
        sigaddset (&pipe_set, SIGPIPE);
        sigprocmask (SIG_BLOCK, &pipe_set, NULL);
      }
      if (monitor_run (ctx, c, o, false, ready_to_pipe, &rp, &code, &merr) < 0)
        {
          if (rp.fd >= 0)
            ready_to_pipe (&rp, merr ? merr->status : 0, merr ? merr->msg : "failed");
          _exit (1);
        }
      _exit (0);
    }
  close (p[1]);
  while (waitpid (child, NULL, 0) < 0 && errno == EINTR)
    ;
  n = read (p[0], buf, sizeof (buf) - 1);
  close (p[0]);
  if (n <= 0)
    return rcr_make_error (err, 0, "the monitor of container %s died before it started", c->id);
  buf[n] = '\0';
  if (sscanf (buf, "%d", &status) != 1 || status != 0 || strchr (buf, ' ')[1] != '\0')
    {
      const char *msg = strchr (buf, ' ');
      int r = rcr_make_error (err, 0, "%s", msg ? msg + 1 : buf);
      (*err)->status = status;
      return r;
    }
  return 0;
}
