/* SPDX-License-Identifier: Apache-2.0 */
/* OCI distribution client: ping, manifests, blobs; Bearer token and Basic auth; manual
   redirects so Authorization never leaves the registry's host and https never becomes http. */
#define _GNU_SOURCE
#include "registry.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/auth.h"
#include "storage/digest.h"
#include "storage/manifest.h"
#include "storage/ref.h"

#define MAX_REDIRECTS 5
#define MAX_ERROR_BODY 4096
#define TOKEN_MAX_SIZE (1024 * 1024)

struct rcr_registry_client
{
  char *host;     /* as configured: "docker.io" */
  char *api_host; /* as contacted: "registry-1.docker.io" */
  const char *scheme;
  bool insecure;
  char *username;
  char *password;
  char *token; /* Bearer token for token_scope */
  char *token_scope;
  bool use_basic; /* the registry asked for Basic auth */
};

static void
cleanup_curlp (CURL **c)
{
  if (*c)
    curl_easy_cleanup (*c);
}
#define cleanup_curl __attribute__ ((cleanup (cleanup_curlp)))

static void
cleanup_slistp (struct curl_slist **l)
{
  curl_slist_free_all (*l);
}
#define cleanup_slist __attribute__ ((cleanup (cleanup_slistp)))

static void
cleanup_curlup (CURLU **u)
{
  if (*u)
    curl_url_cleanup (*u);
}
#define cleanup_curlu __attribute__ ((cleanup (cleanup_curlup)))

/* An authentication failure: status EACCES, without a strerror text after the message. */
static int __attribute__ ((format (printf, 2, 3))) auth_error (rcr_error_t *err, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  int r;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof (buf), fmt, ap);
  va_end (ap);
  r = rcr_make_error (err, 0, "%s", buf);
  if (err && *err)
    (*err)->status = EACCES;
  return r;
}

const char *
rcr_registry_api_host (const char *domain)
{
  if (strcmp (domain, "docker.io") == 0)
    return "registry-1.docker.io";
  return domain;
}

int
rcr_registry_new (const struct rcr_registry_opts *opts, struct rcr_registry_client **out, rcr_error_t *err)
{
  static bool curl_ready;
  struct rcr_registry_client *r;

  if (!curl_ready)
    {
      if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return rcr_make_error (err, 0, "initialise libcurl");
      curl_ready = true;
    }
  r = rcr_xmalloc0 (sizeof (*r));
  r->host = rcr_xstrdup (opts->host);
  r->api_host = rcr_xstrdup (rcr_registry_api_host (opts->host));
  r->insecure = opts->insecure || !opts->tls_verify;
  r->username = rcr_xstrdup (opts->username);
  r->password = rcr_xstrdup (opts->password);
  *out = r;
  return 0;
}

void
rcr_registry_free (struct rcr_registry_client *r)
{
  if (r == NULL)
    return;
  free (r->host);
  free (r->api_host);
  free (r->username);
  if (r->password)
    explicit_bzero (r->password, strlen (r->password));
  free (r->password);
  free (r->token);
  free (r->token_scope);
  free (r);
}

/* ---- one blocking request ---- */

struct response
{
  long code;
  char *body;
  size_t len;
  size_t max;
  bool too_large;
  char *content_type;
  char *www_authenticate;
  char *content_digest;
  char *location;
  char curl_error[CURL_ERROR_SIZE];
};

static void
response_clear (struct response *resp)
{
  free (resp->body);
  free (resp->content_type);
  free (resp->www_authenticate);
  free (resp->content_digest);
  free (resp->location);
  memset (resp, 0, sizeof (*resp));
}

static size_t
body_cb (char *data, size_t size, size_t nmemb, void *userdata)
{
  struct response *resp = userdata;
  size_t n = size * nmemb;
  if (resp->len + n > resp->max)
    {
      resp->too_large = true;
      return 0;
    }
  resp->body = rcr_xrealloc (resp->body, resp->len + n + 1);
  memcpy (resp->body + resp->len, data, n);
  resp->len += n;
  resp->body[resp->len] = '\0';
  return n;
}

/* Stores the value of header `name` from a raw header line into *slot. */
static void
take_header (const char *line, size_t len, const char *name, char **slot)
{
  size_t nl = strlen (name);
  const char *v, *end = line + len;
  if (len <= nl || strncasecmp (line, name, nl) != 0 || line[nl] != ':')
    return;
  v = line + nl + 1;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  free (*slot);
  *slot = strndup (v, (size_t)(end - v));
}

static size_t
header_cb (char *data, size_t size, size_t nmemb, void *userdata)
{
  struct response *resp = userdata;
  size_t n = size * nmemb;
  take_header (data, n, "content-type", &resp->content_type);
  take_header (data, n, "www-authenticate", &resp->www_authenticate);
  take_header (data, n, "docker-content-digest", &resp->content_digest);
  take_header (data, n, "location", &resp->location);
  return n;
}

static void
set_common_options (struct rcr_registry_client *r, CURL *c, char *errbuf)
{
  curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt (c, CURLOPT_CONNECTTIMEOUT, 30L);
  /* A registry that stops sending for two minutes is dead; a slow one is not. */
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (c, CURLOPT_LOW_SPEED_TIME, 120L);
  curl_easy_setopt (c, CURLOPT_USERAGENT, "rcr/" RCR_VERSION);
  curl_easy_setopt (c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (c, CURLOPT_ACCEPT_ENCODING, "identity");
  if (r->insecure)
    {
      curl_easy_setopt (c, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt (c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

static char *
auth_header (struct rcr_registry_client *r)
{
  if (r->token)
    return rcr_strdup_printf ("Authorization: Bearer %s", r->token);
  if (r->use_basic && r->username)
    {
      cleanup_free char *b64 = rcr_auth_encode (r->username, r->password ? r->password : "");
      char *h = rcr_strdup_printf ("Authorization: Basic %s", b64);
      explicit_bzero (b64, strlen (b64));
      return h;
    }
  return NULL;
}

static int
perform (struct rcr_registry_client *r, const char *url, const char *accept, bool with_auth, size_t max_body,
         struct response *resp, rcr_error_t *err)
{
  cleanup_curl CURL *c = curl_easy_init ();
  cleanup_slist struct curl_slist *headers = NULL;
  cleanup_free char *auth = NULL;
  CURLcode rc;

  if (c == NULL)
    return rcr_make_error (err, ENOMEM, "curl_easy_init");
  response_clear (resp);
  resp->max = max_body;
  set_common_options (r, c, resp->curl_error);
  curl_easy_setopt (c, CURLOPT_URL, url);
  curl_easy_setopt (c, CURLOPT_WRITEFUNCTION, body_cb);
  curl_easy_setopt (c, CURLOPT_WRITEDATA, resp);
  curl_easy_setopt (c, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (c, CURLOPT_HEADERDATA, resp);
  if (accept)
    {
      cleanup_free char *h = rcr_strdup_printf ("Accept: %s", accept);
      headers = curl_slist_append (headers, h);
    }
  if (with_auth && (auth = auth_header (r)) != NULL)
    headers = curl_slist_append (headers, auth);
  curl_easy_setopt (c, CURLOPT_HTTPHEADER, headers);
  rc = curl_easy_perform (c);
  if (auth)
    explicit_bzero (auth, strlen (auth));
  if (rc != CURLE_OK)
    {
      if (resp->too_large)
        return rcr_make_error (err, EFBIG, "GET %s: response larger than %zu bytes", url, max_body);
      return rcr_make_error (err, 0, "GET %s: %s", url,
                             resp->curl_error[0] ? resp->curl_error : curl_easy_strerror (rc));
    }
  curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &resp->code);
  return 0;
}

/* ---- authentication ---- */

/* Parses `Bearer realm="...",service="...",scope="..."` (or Basic) into its parts. */
static void
parse_challenge (const char *h, char **scheme, char **realm, char **service, char **scope)
{
  const char *p = h;
  size_t sl = strcspn (p, " ");

  *scheme = strndup (p, sl);
  p += sl;
  while (*p)
    {
      const char *key, *eq;
      char *val;
      size_t kl;

      while (*p == ' ' || *p == ',')
        p++;
      key = p;
      eq = strchr (p, '=');
      if (eq == NULL)
        break;
      kl = (size_t)(eq - key);
      p = eq + 1;
      if (*p == '"')
        {
          const char *q = strchr (p + 1, '"');
          if (q == NULL)
            break;
          val = strndup (p + 1, (size_t)(q - p - 1));
          p = q + 1;
        }
      else
        {
          size_t vl = strcspn (p, ",");
          val = strndup (p, vl);
          p += vl;
        }
      if (kl == 5 && strncasecmp (key, "realm", 5) == 0 && *realm == NULL)
        *realm = val;
      else if (kl == 7 && strncasecmp (key, "service", 7) == 0 && *service == NULL)
        *service = val;
      else if (kl == 5 && strncasecmp (key, "scope", 5) == 0 && *scope == NULL)
        *scope = val;
      else
        free (val);
    }
}

static bool
realm_on_registry_host (struct rcr_registry_client *r, const char *realm)
{
  cleanup_curlu CURLU *u = curl_url ();
  char *host = NULL, *port = NULL;
  cleanup_free char *hostport = NULL;
  bool same;

  if (curl_url_set (u, CURLUPART_URL, realm, 0) != CURLUE_OK || curl_url_get (u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
    return false;
  if (curl_url_get (u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
    port = NULL;
  hostport = port ? rcr_strdup_printf ("%s:%s", host, port) : rcr_xstrdup (host);
  same = strcasecmp (hostport, r->api_host) == 0;
  curl_free (host);
  curl_free (port);
  return same;
}

static int
fetch_token (struct rcr_registry_client *r, const char *realm, const char *service, const char *scope, rcr_error_t *err)
{
  cleanup_curl CURL *esc = curl_easy_init ();
  cleanup_free char *url = NULL;
  cleanup_json json_object *j = NULL;
  struct response resp = { 0 };
  bool send_creds;
  const char *tok;
  int ret;

  if (!rcr_has_prefix (realm, "https://") && !rcr_has_prefix (realm, "http://"))
    return rcr_make_error (err, 0, "registry %s: bad token realm \"%s\"", r->host, realm);
  {
    char *s = service ? curl_easy_escape (esc, service, 0) : NULL;
    char *sc = scope ? curl_easy_escape (esc, scope, 0) : NULL;
    url = rcr_strdup_printf ("%s%s%s%s%s%s", realm, strchr (realm, '?') ? "&" : "?", s ? "service=" : "", s ? s : "",
                             sc ? (s ? "&scope=" : "scope=") : "", sc ? sc : "");
    curl_free (s);
    curl_free (sc);
  }
  /* Credentials go to the realm only over TLS, or in plain http to the insecure registry's
     own host: never in clear text to another host. */
  send_creds
      = r->username && (rcr_has_prefix (realm, "https://") || (r->insecure && realm_on_registry_host (r, realm)));
  {
    bool saved = r->use_basic;
    char *saved_token = r->token;
    r->token = NULL;
    r->use_basic = send_creds;
    ret = perform (r, url, "application/json", send_creds, TOKEN_MAX_SIZE, &resp, err);
    r->use_basic = saved;
    r->token = saved_token;
  }
  if (ret < 0)
    {
      response_clear (&resp);
      return rcr_error_wrap (err, "get token for %s", r->host);
    }
  if (resp.code == 401 || resp.code == 403)
    {
      response_clear (&resp);
      return auth_error (err, "registry %s: invalid username or password", r->host);
    }
  if (resp.code != 200)
    {
      long code = resp.code;
      response_clear (&resp);
      return rcr_make_error (err, 0, "registry %s: token endpoint answered HTTP %ld", r->host, code);
    }
  ret = rcr_json_parse (resp.body ? resp.body : "", "token response", &j, err);
  response_clear (&resp);
  if (ret < 0)
    return ret;
  tok = rcr_json_get_string (j, "token", NULL);
  if (tok == NULL || *tok == '\0')
    tok = rcr_json_get_string (j, "access_token", NULL);
  if (tok == NULL || *tok == '\0' || strpbrk (tok, "\r\n"))
    return rcr_make_error (err, 0, "registry %s: token response has no usable token", r->host);
  free (r->token);
  r->token = rcr_xstrdup (tok);
  free (r->token_scope);
  r->token_scope = rcr_xstrdup (scope);
  return 0;
}

/* Answers a 401: fetches a token or switches to Basic. Fails when a retry cannot help. */
static int
handle_challenge (struct rcr_registry_client *r, const char *challenge, const char *default_scope, int attempt,
                  rcr_error_t *err)
{
  cleanup_free char *scheme = NULL, *realm = NULL, *service = NULL, *scope = NULL;

  if (challenge == NULL)
    return auth_error (err, "registry %s: unauthorized (no WWW-Authenticate challenge)", r->host);
  parse_challenge (challenge, &scheme, &realm, &service, &scope);
  if (attempt > 0)
    {
      if (r->username)
        return auth_error (err, "registry %s: invalid username or password", r->host);
      return auth_error (err, "registry %s: authentication required; log in with: rcr login %s", r->host, r->host);
    }
  if (strcasecmp (scheme, "bearer") == 0)
    {
      if (realm == NULL)
        return auth_error (err, "registry %s: Bearer challenge without realm", r->host);
      return fetch_token (r, realm, service, scope ? scope : default_scope, err);
    }
  if (strcasecmp (scheme, "basic") == 0)
    {
      if (r->username == NULL)
        return auth_error (err, "registry %s: authentication required; log in with: rcr login %s", r->host, r->host);
      r->use_basic = true;
      return 0;
    }
  return auth_error (err, "registry %s: unsupported authentication scheme \"%s\"", r->host, scheme);
}

/* Picks https, or http for an insecure registry that does not speak TLS. */
static int
ensure_scheme (struct rcr_registry_client *r, rcr_error_t *err)
{
  cleanup_free char *url = NULL;
  struct response resp = { 0 };
  rcr_error_t tmp = NULL;

  if (r->scheme)
    return 0;
  url = rcr_strdup_printf ("https://%s/v2/", r->api_host);
  if (perform (r, url, NULL, false, MAX_ERROR_BODY, &resp, &tmp) == 0)
    {
      response_clear (&resp);
      r->scheme = "https";
      return 0;
    }
  if (!r->insecure)
    {
      /* the hint only where TLS itself failed, not for a name that does not resolve */
      bool tls = strstr (tmp->msg, "SSL") || strstr (tmp->msg, "TLS") || strstr (tmp->msg, "certificate")
                 || strstr (tmp->msg, "wrong version number");
      if (err)
        *err = tmp;
      else
        rcr_error_release (&tmp);
      if (tls)
        return rcr_error_wrap (err,
                               "ping registry %s (for a registry without TLS set insecure = true in "
                               "registries.conf or pass --tls-verify=false)",
                               r->host);
      return rcr_error_wrap (err, "ping registry %s", r->host);
    }
  rcr_debug ("registry %s: https failed (%s), trying http", r->host, tmp->msg);
  rcr_error_release (&tmp);
  r->scheme = "http";
  return 0;
}

/* GET with auth challenges answered; the response must then not be 401. */
static int
get_authed (struct rcr_registry_client *r, const char *path, const char *accept, const char *scope, size_t max_body,
            struct response *resp, rcr_error_t *err)
{
  cleanup_free char *url = NULL;

  if (ensure_scheme (r, err) < 0)
    return -1;
  url = rcr_strdup_printf ("%s://%s%s", r->scheme, r->api_host, path);
  for (int attempt = 0;; attempt++)
    {
      if (perform (r, url, accept, true, max_body, resp, err) < 0)
        return -1;
      if (resp->code != 401)
        return 0;
      if (handle_challenge (r, resp->www_authenticate, scope, attempt, err) < 0)
        return -1;
    }
}

int
rcr_registry_ping (struct rcr_registry_client *r, rcr_error_t *err)
{
  struct response resp = { 0 };
  int ret = get_authed (r, "/v2/", NULL, NULL, MAX_ERROR_BODY, &resp, err);
  long code = resp.code;
  response_clear (&resp);
  if (ret < 0)
    return ret;
  /* A token service may hand out anonymous tokens: with credentials, make sure they were used. */
  if (code != 200)
    return rcr_make_error (err, 0, "registry %s: /v2/ answered HTTP %ld", r->host, code);
  return 0;
}

static const char *const manifest_accept = "application/vnd.oci.image.manifest.v1+json, "
                                           "application/vnd.oci.image.index.v1+json, "
                                           "application/vnd.docker.distribution.manifest.v2+json, "
                                           "application/vnd.docker.distribution.manifest.list.v2+json";

static int
http_error (struct rcr_registry_client *r, const char *what, struct response *resp, rcr_error_t *err)
{
  const char *msg = NULL;
  cleanup_json json_object *j = NULL;
  rcr_error_t tmp = NULL;

  /* {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]} */
  if (resp->body && rcr_json_parse (resp->body, "error", &j, &tmp) == 0)
    {
      json_object *errs = rcr_json_get_array (j, "errors");
      if (errs && json_object_array_length (errs) > 0)
        msg = rcr_json_get_string (json_object_array_get_idx (errs, 0), "message", NULL);
    }
  rcr_error_release (&tmp);
  if (resp->code == 404)
    {
      int ret
          = rcr_make_error (err, 0, "%s: not found in registry %s%s%s", what, r->host, msg ? ": " : "", msg ? msg : "");
      if (err && *err)
        (*err)->status = ENOENT;
      return ret;
    }
  return rcr_make_error (err, 0, "%s: registry %s answered HTTP %ld%s%s", what, r->host, resp->code, msg ? ": " : "",
                         msg ? msg : "");
}

int
rcr_registry_get_manifest (struct rcr_registry_client *r, const char *repo, const char *reference, char **body,
                           size_t *len, char **media_type, char **digest, rcr_error_t *err)
{
  cleanup_free char *path = rcr_strdup_printf ("/v2/%s/manifests/%s", repo, reference);
  cleanup_free char *scope = rcr_strdup_printf ("repository:%s:pull", repo);
  cleanup_free char *what = rcr_strdup_printf ("manifest %s:%s", repo, reference);
  cleanup_free char *computed = NULL;
  cleanup_json json_object *j = NULL;
  struct response resp = { 0 };
  const char *body_type, *ct;
  int ret;

  ret = get_authed (r, path, manifest_accept, scope, RCR_MANIFEST_MAX_BYTES, &resp, err);
  if (ret < 0)
    {
      response_clear (&resp);
      return rcr_error_wrap (err, "%s", what);
    }
  if (resp.code != 200)
    {
      ret = http_error (r, what, &resp, err);
      response_clear (&resp);
      return ret;
    }
  computed = rcr_sha256_digest (resp.body ? resp.body : "", resp.len);
  if (rcr_has_prefix (reference, "sha256:") && strcmp (reference, computed) != 0)
    {
      response_clear (&resp);
      return rcr_make_error (err, 0, "%s: content has digest %s, not the requested one", what, computed);
    }
  if (resp.content_digest && rcr_has_prefix (resp.content_digest, "sha256:")
      && strcmp (resp.content_digest, computed) != 0)
    {
      ret = rcr_make_error (err, 0, "%s: registry says digest %s but the content has %s", what, resp.content_digest,
                            computed);
      response_clear (&resp);
      return ret;
    }
  if (rcr_json_parse (resp.body ? resp.body : "", what, &j, err) < 0 || !json_object_is_type (j, json_type_object))
    {
      response_clear (&resp);
      if (err && *err)
        return rcr_error_code (*err);
      return rcr_make_error (err, 0, "%s: not a JSON object", what);
    }
  ct = resp.content_type;
  body_type = rcr_json_get_string (j, "mediaType", NULL);
  if (ct)
    {
      /* strip parameters such as "; charset=utf-8" */
      size_t l = strcspn (ct, "; ");
      resp.content_type[l] = '\0';
    }
  if (body_type && ct && strcmp (ct, body_type) != 0 && strcmp (ct, "application/json") != 0
      && strcmp (ct, "text/plain") != 0)
    {
      ret = rcr_make_error (err, 0, "%s: served as %s but the document says %s", what, ct, body_type);
      response_clear (&resp);
      return ret;
    }
  *media_type = rcr_xstrdup (body_type ? body_type : ct);
  *digest = steal_pointer (&computed);
  *body = steal_pointer (&resp.body);
  *len = resp.len;
  response_clear (&resp);
  return 0;
}

/* ---- blobs, several at once ---- */

struct transfer
{
  struct rcr_registry_client *r;
  struct rcr_blob_fetch *blob;
  CURL *easy;
  struct curl_slist *headers;
  EVP_MD_CTX *md;
  char *url;
  bool auth_allowed;
  bool is_https;
  int redirects;
  int auth_attempts;
  long code;
  bool oversize;
  bool write_failed;
  int write_errno;
  struct response hdr; /* headers, and the body of a non-200 answer */
  rcr_progress_fn progress;
  void *progress_ctx;
};

static size_t
blob_write_cb (char *data, size_t size, size_t nmemb, void *userdata)
{
  struct transfer *t = userdata;
  size_t n = size * nmemb;
  const char *p = data;
  size_t left = n;

  if (t->code == 0)
    curl_easy_getinfo (t->easy, CURLINFO_RESPONSE_CODE, &t->code);
  if (t->code != 200)
    return body_cb (data, size, nmemb, &t->hdr) == n ? n : 0;
  if (t->blob->received + (int64_t)n > t->blob->size)
    {
      t->oversize = true;
      return 0;
    }
  EVP_DigestUpdate (t->md, data, n);
  while (left > 0)
    {
      ssize_t w = pwrite (t->blob->fd, p, left, t->blob->received + (int64_t)(n - left));
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          t->write_failed = true;
          t->write_errno = errno;
          return 0;
        }
      left -= (size_t)w;
      p += w;
    }
  t->blob->received += (int64_t)n;
  if (t->progress)
    t->progress (t->progress_ctx, t->blob);
  return n;
}

static int
transfer_start (struct transfer *t, CURLM *multi, rcr_error_t *err)
{
  cleanup_free char *auth = NULL;

  if (t->easy)
    {
      curl_multi_remove_handle (multi, t->easy);
      curl_easy_cleanup (t->easy);
    }
  curl_slist_free_all (t->headers);
  t->headers = NULL;
  response_clear (&t->hdr);
  t->hdr.max = MAX_ERROR_BODY;
  t->code = 0;
  t->blob->received = 0;
  if (ftruncate (t->blob->fd, 0) < 0)
    return rcr_make_error (err, errno, "truncate download of %s", t->blob->digest);
  EVP_DigestInit_ex (t->md, EVP_sha256 (), NULL);

  t->easy = curl_easy_init ();
  if (t->easy == NULL)
    return rcr_make_error (err, ENOMEM, "curl_easy_init");
  set_common_options (t->r, t->easy, t->hdr.curl_error);
  curl_easy_setopt (t->easy, CURLOPT_URL, t->url);
  curl_easy_setopt (t->easy, CURLOPT_WRITEFUNCTION, blob_write_cb);
  curl_easy_setopt (t->easy, CURLOPT_WRITEDATA, t);
  curl_easy_setopt (t->easy, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (t->easy, CURLOPT_HEADERDATA, &t->hdr);
  curl_easy_setopt (t->easy, CURLOPT_PRIVATE, t);
  if (t->auth_allowed && (auth = auth_header (t->r)) != NULL)
    {
      t->headers = curl_slist_append (t->headers, auth);
      explicit_bzero (auth, strlen (auth));
    }
  curl_easy_setopt (t->easy, CURLOPT_HTTPHEADER, t->headers);
  if (curl_multi_add_handle (multi, t->easy) != CURLM_OK)
    return rcr_make_error (err, 0, "curl_multi_add_handle");
  return 0;
}

static void
transfer_free (struct transfer *t, CURLM *multi)
{
  if (t->easy)
    {
      curl_multi_remove_handle (multi, t->easy);
      curl_easy_cleanup (t->easy);
    }
  curl_slist_free_all (t->headers);
  EVP_MD_CTX_free (t->md);
  free (t->url);
  response_clear (&t->hdr);
}

/* Follows a redirect by hand: resolves a relative Location, refuses https → http, and
   stops sending Authorization once the target is another host. */
static int
transfer_redirect (struct transfer *t, rcr_error_t *err)
{
  cleanup_curlu CURLU *u = curl_url ();
  char *next = NULL, *host = NULL, *port = NULL, *scheme = NULL;
  cleanup_free char *origin = NULL;
  cleanup_free char *target = NULL;
  int ret = 0;

  if (t->hdr.location == NULL)
    return rcr_make_error (err, 0, "blob %s: redirect without Location", t->blob->digest);
  if (++t->redirects > MAX_REDIRECTS)
    return rcr_make_error (err, 0, "blob %s: more than %d redirects", t->blob->digest, MAX_REDIRECTS);
  if (curl_url_set (u, CURLUPART_URL, t->url, 0) != CURLUE_OK
      || curl_url_set (u, CURLUPART_URL, t->hdr.location, 0) != CURLUE_OK
      || curl_url_get (u, CURLUPART_URL, &next, 0) != CURLUE_OK
      || curl_url_get (u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
      || curl_url_get (u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
    return rcr_make_error (err, 0, "blob %s: bad redirect Location \"%s\"", t->blob->digest, t->hdr.location);
  if (curl_url_get (u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
    port = NULL;
  if (strcasecmp (scheme, "https") != 0 && strcasecmp (scheme, "http") != 0)
    ret = rcr_make_error (err, 0, "blob %s: redirect to unsupported scheme %s", t->blob->digest, scheme);
  else if (t->is_https && strcasecmp (scheme, "http") == 0)
    ret = rcr_make_error (err, 0, "blob %s: refusing redirect from https to http (%s)", t->blob->digest, next);
  else
    {
      target = port ? rcr_strdup_printf ("%s:%s", host, port) : rcr_xstrdup (host);
      origin = rcr_xstrdup (t->r->api_host);
      if (strcasecmp (target, origin) != 0)
        t->auth_allowed = false;
      t->is_https = strcasecmp (scheme, "https") == 0;
      free (t->url);
      t->url = rcr_xstrdup (next);
    }
  curl_free (next);
  curl_free (host);
  curl_free (port);
  curl_free (scheme);
  return ret;
}

static int
transfer_finish (struct transfer *t, CURLM *multi, CURLcode result, bool *restart, rcr_error_t *err)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  cleanup_free char *got = NULL;

  *restart = false;
  if (t->code == 0)
    curl_easy_getinfo (t->easy, CURLINFO_RESPONSE_CODE, &t->code);
  if (t->oversize)
    return rcr_make_error (err, 0, "blob %s: registry sent more than the declared %lld bytes", t->blob->digest,
                           (long long)t->blob->size);
  if (t->write_failed)
    return rcr_make_error (err, t->write_errno, "blob %s: write", t->blob->digest);
  if (result != CURLE_OK)
    return rcr_make_error (err, 0, "blob %s: %s", t->blob->digest,
                           t->hdr.curl_error[0] ? t->hdr.curl_error : curl_easy_strerror (result));
  if (t->code >= 300 && t->code < 400)
    {
      if (transfer_redirect (t, err) < 0)
        return -1;
      *restart = true;
      return transfer_start (t, multi, err);
    }
  if (t->code == 401 && t->auth_allowed)
    {
      if (handle_challenge (t->r, t->hdr.www_authenticate, NULL, t->auth_attempts++, err) < 0)
        return -1;
      *restart = true;
      return transfer_start (t, multi, err);
    }
  if (t->code != 200)
    {
      cleanup_free char *what = rcr_strdup_printf ("blob %s", t->blob->digest);
      return http_error (t->r, what, &t->hdr, err);
    }
  if (t->blob->received != t->blob->size)
    return rcr_make_error (err, 0, "blob %s: received %lld bytes, expected %lld", t->blob->digest,
                           (long long)t->blob->received, (long long)t->blob->size);
  EVP_DigestFinal_ex (t->md, md, &mdlen);
  got = rcr_sha256_hex_to_digest (md, mdlen);
  if (strcmp (got, t->blob->digest) != 0)
    return rcr_make_error (err, 0, "blob %s: content has digest %s; refusing it", t->blob->digest, got);
  t->blob->done = true;
  return 0;
}

int
rcr_registry_fetch_blobs (struct rcr_registry_client *r, const char *repo, struct rcr_blob_fetch *blobs, size_t n,
                          int parallel, rcr_progress_fn progress, void *progress_ctx, rcr_error_t *err)
{
  CURLM *multi;
  struct transfer *ts;
  size_t next = 0, active = 0, finished = 0;
  int ret = 0;

  if (n == 0)
    return 0;
  if (ensure_scheme (r, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (!rcr_digest_valid (blobs[i].digest) || blobs[i].size < 0)
      return rcr_make_error (err, 0, "invalid blob descriptor %s", blobs[i].digest ? blobs[i].digest : "(none)");
  if (parallel < 1)
    parallel = 1;
  multi = curl_multi_init ();
  if (multi == NULL)
    return rcr_make_error (err, ENOMEM, "curl_multi_init");
  ts = rcr_xmalloc0 (n * sizeof (*ts));
  for (size_t i = 0; i < n; i++)
    {
      ts[i].r = r;
      ts[i].blob = &blobs[i];
      ts[i].md = EVP_MD_CTX_new ();
      ts[i].url = rcr_strdup_printf ("%s://%s/v2/%s/blobs/%s", r->scheme, r->api_host, repo, blobs[i].digest);
      ts[i].auth_allowed = true;
      ts[i].is_https = strcmp (r->scheme, "https") == 0;
      ts[i].progress = progress;
      ts[i].progress_ctx = progress_ctx;
      blobs[i].done = false;
    }

  while (finished < n && ret == 0)
    {
      int running = 0, numfds, msgs;
      CURLMsg *m;

      while (active < (size_t)parallel && next < n)
        {
          if (transfer_start (&ts[next], multi, err) < 0)
            {
              ret = -1;
              break;
            }
          next++;
          active++;
        }
      if (ret < 0)
        break;
      if (curl_multi_perform (multi, &running) != CURLM_OK)
        {
          ret = rcr_make_error (err, 0, "curl_multi_perform failed");
          break;
        }
      while ((m = curl_multi_info_read (multi, &msgs)) != NULL)
        {
          struct transfer *t = NULL;
          bool restart = false;
          if (m->msg != CURLMSG_DONE)
            continue;
          curl_easy_getinfo (m->easy_handle, CURLINFO_PRIVATE, (char **)&t);
          if (transfer_finish (t, multi, m->data.result, &restart, err) < 0)
            {
              ret = -1;
              break;
            }
          if (!restart)
            {
              curl_multi_remove_handle (multi, t->easy);
              curl_easy_cleanup (t->easy);
              t->easy = NULL;
              active--;
              finished++;
            }
        }
      if (ret == 0 && finished < n)
        curl_multi_poll (multi, NULL, 0, 1000, &numfds);
    }

  for (size_t i = 0; i < n; i++)
    transfer_free (&ts[i], multi);
  free (ts);
  curl_multi_cleanup (multi);
  if (ret < 0)
    return rcr_error_wrap (err, "pull %s from %s", repo, r->host);
  return 0;
}
