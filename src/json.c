/* json.c: JSON strings for oci.c and sbom.c.  Those files write their
 * documents with fixed key order and no optional whitespace, so a
 * document's bytes (and the digests that name it) depend only on its
 * content; this is the escaping they share.  The reader below parses what
 * mkbase wrote itself (the build record `mkbase inspect` reads), so no
 * JSON library is needed.  libc only. */
#include "json.h"

#include <errno.h>
#include <string.h>

#include "util.h"

/* Length of the valid UTF-8 sequence at p, 0 when it is not one. */
static int
utf8_len (const unsigned char *p)
{
  int n = p[0] >= 0xf0 && p[0] <= 0xf4   ? 4
          : p[0] >= 0xe0                 ? 3
          : p[0] >= 0xc2 && p[0] <= 0xdf ? 2
                                         : 0;
  if (p[0] >= 0xf5)
    return 0;
  for (int i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

void
mk_json_string (FILE *f, const char *s)
{
  putc ('"', f);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    switch (*p)
      {
      case '"':
        fputs ("\\\"", f);
        break;
      case '\\':
        fputs ("\\\\", f);
        break;
      case '\n':
        fputs ("\\n", f);
        break;
      case '\t':
        fputs ("\\t", f);
        break;
      case '\r':
        fputs ("\\r", f);
        break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          fprintf (f, "\\u%04x", *p);
        else if (*p < 0x80)
          putc (*p, f);
        else if (utf8_len (p) == 0)
          fputs ("\\ufffd", f); /* not UTF-8 (a Latin-1 header field) */
        else
          {
            int n = utf8_len (p);
            fwrite (p, 1, (size_t) n, f);
            p += n - 1;
          }
      }
  putc ('"', f);
}

/* ---- reading -------------------------------------------------------------
 *
 * A recursive-descent reader for the documents mkbase writes (the build
 * record next to an image), strict about the grammar so a truncated or
 * edited file is reported rather than half-read. */

#define JSON_MAX_DEPTH 64

struct reader
{
  const char *p, *start;
  int depth;
};

static void
skip_ws (struct reader *r)
{
  while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
    r->p++;
}

static struct mk_json *
new_value (int type)
{
  struct mk_json *v = xcalloc (1, sizeof *v);
  v->type = type;
  return v;
}

/* Append code point cp (at most U+FFFF: \u escapes only) as UTF-8. */
static void
put_utf8 (char *buf, size_t *len, unsigned cp)
{
  unsigned char *b = (unsigned char *) buf + *len;
  if (cp < 0x80)
    {
      b[0] = (unsigned char) cp;
      *len += 1;
    }
  else if (cp < 0x800)
    {
      b[0] = (unsigned char) (0xc0 | cp >> 6);
      b[1] = (unsigned char) (0x80 | (cp & 0x3f));
      *len += 2;
    }
  else
    {
      b[0] = (unsigned char) (0xe0 | cp >> 12);
      b[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
      b[2] = (unsigned char) (0x80 | (cp & 0x3f));
      *len += 3;
    }
}

static int
hex4 (const char *p, unsigned *out)
{
  unsigned v = 0;
  for (int i = 0; i < 4; i++)
    {
      char c = p[i];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= (unsigned) (c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= (unsigned) (c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= (unsigned) (c - 'A' + 10);
      else
        return -1;
    }
  *out = v;
  return 0;
}

/* The string at r->p (after its opening quote); NULL on a bad escape.
 * Surrogate pairs are not needed by anything mkbase writes: a \u escape
 * outside the BMP's non-surrogate range becomes U+FFFD. */
static char *
read_string (struct reader *r)
{
  const char *end = r->p;
  cleanup_free char *buf = NULL;
  size_t len = 0;

  while (*end && *end != '"')
    end += (*end == '\\' && end[1]) ? 2 : 1;
  if (*end != '"')
    return NULL;
  buf = xmalloc ((size_t) (end - r->p) * 3 + 1);
  while (*r->p != '"')
    {
      unsigned char c = (unsigned char) *r->p++;
      unsigned cp;
      if (c < 0x20)
        return NULL;
      if (c != '\\')
        {
          buf[len++] = (char) c;
          continue;
        }
      switch (c = (unsigned char) *r->p++)
        {
        case '"': case '\\': case '/': buf[len++] = (char) c; break;
        case 'b': buf[len++] = '\b'; break;
        case 'f': buf[len++] = '\f'; break;
        case 'n': buf[len++] = '\n'; break;
        case 'r': buf[len++] = '\r'; break;
        case 't': buf[len++] = '\t'; break;
        case 'u':
          if (hex4 (r->p, &cp) < 0)
            return NULL;
          r->p += 4;
          put_utf8 (buf, &len, cp >= 0xd800 && cp < 0xe000 ? 0xfffd : cp);
          break;
        default:
          return NULL;
        }
    }
  r->p++;
  buf[len] = '\0';
  return steal_pointer (&buf);
}

static struct mk_json *read_value (struct reader *r);

static struct mk_json *
read_number (struct reader *r)
{
  const char *s = r->p;
  char *end;
  struct mk_json *v;
  bool integer = true;

  if (*r->p == '-')
    r->p++, integer = false;
  if (*r->p < '0' || *r->p > '9')
    return NULL;
  while ((*r->p >= '0' && *r->p <= '9') || *r->p == '.' || *r->p == 'e'
         || *r->p == 'E' || *r->p == '+' || *r->p == '-')
    {
      if (*r->p < '0' || *r->p > '9')
        integer = false;
      r->p++;
    }
  v = new_value (MK_JSON_NUMBER);
  errno = 0;
  v->number = strtod (s, &end);
  if (end != r->p)
    {
      free (v);
      return NULL;
    }
  if (integer)
    v->u64 = strtoull (s, NULL, 10);
  return v;
}

static void
push_item (struct mk_json *c, char *key, struct mk_json *item)
{
  c->items = xreallocarray (c->items, c->n + 1, sizeof *c->items);
  if (c->type == MK_JSON_OBJECT)
    {
      c->keys = xreallocarray (c->keys, c->n + 1, sizeof *c->keys);
      c->keys[c->n] = key;
    }
  c->items[c->n++] = item;
}

/* An array or object; r->p is past the opening bracket. */
static struct mk_json *
read_container (struct reader *r, int type, char close)
{
  struct mk_json *c = new_value (type);
  skip_ws (r);
  if (*r->p == close)
    {
      r->p++;
      return c;
    }
  for (;;)
    {
      char *key = NULL;
      struct mk_json *item;
      skip_ws (r);
      if (type == MK_JSON_OBJECT)
        {
          if (*r->p != '"' || (r->p++, key = read_string (r)) == NULL)
            break;
          skip_ws (r);
          if (*r->p++ != ':')
            {
              free (key);
              break;
            }
        }
      item = read_value (r);
      if (item == NULL)
        {
          free (key);
          break;
        }
      push_item (c, key, item);
      skip_ws (r);
      if (*r->p == ',')
        r->p++;
      else if (*r->p++ == close)
        return c;
      else
        break;
    }
  mk_json_free (c);
  return NULL;
}

static struct mk_json *
read_literal (struct reader *r)
{
  static const struct { const char *word; int type; bool b; } lits[] = {
    { "true", MK_JSON_BOOL, true }, { "false", MK_JSON_BOOL, false },
    { "null", MK_JSON_NULL, false } };
  for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++)
    if (strncmp (r->p, lits[i].word, strlen (lits[i].word)) == 0)
      {
        struct mk_json *v = new_value (lits[i].type);
        v->boolean = lits[i].b;
        r->p += strlen (lits[i].word);
        return v;
      }
  return NULL;
}

static struct mk_json *
read_value (struct reader *r)
{
  struct mk_json *v = NULL;
  skip_ws (r);
  if (++r->depth > JSON_MAX_DEPTH)
    return NULL;
  if (*r->p == '{')
    r->p++, v = read_container (r, MK_JSON_OBJECT, '}');
  else if (*r->p == '[')
    r->p++, v = read_container (r, MK_JSON_ARRAY, ']');
  else if (*r->p == '"')
    {
      char *s;
      r->p++;
      if ((s = read_string (r)) != NULL)
        {
          v = new_value (MK_JSON_STRING);
          v->str = s;
        }
    }
  else if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
    v = read_number (r);
  else
    v = read_literal (r);
  r->depth--;
  return v;
}

int
mk_json_parse (const char *text, const char *what, struct mk_json **out,
               mk_error_t *err)
{
  struct reader r = { .p = text, .start = text };
  struct mk_json *v = read_value (&r);
  if (v)
    skip_ws (&r);
  if (v == NULL || *r.p != '\0')
    {
      mk_json_free (v);
      return mk_make_error (err, 0, "%s: invalid JSON near byte %zu", what,
                            (size_t) (r.p - r.start));
    }
  *out = v;
  return 0;
}

void
mk_json_free (struct mk_json *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->n; i++)
    {
      mk_json_free (v->items[i]);
      if (v->keys)
        free (v->keys[i]);
    }
  free (v->items);
  free (v->keys);
  free (v->str);
  free (v);
}

const struct mk_json *
mk_json_get (const struct mk_json *obj, const char *key)
{
  if (obj == NULL || obj->type != MK_JSON_OBJECT)
    return NULL;
  for (size_t i = 0; i < obj->n; i++)
    if (strcmp (obj->keys[i], key) == 0)
      return obj->items[i];
  return NULL;
}

const char *
mk_json_get_str (const struct mk_json *obj, const char *key)
{
  const struct mk_json *v = mk_json_get (obj, key);
  return v && v->type == MK_JSON_STRING ? v->str : "";
}

uint64_t
mk_json_get_u64 (const struct mk_json *obj, const char *key)
{
  const struct mk_json *v = mk_json_get (obj, key);
  return v && v->type == MK_JSON_NUMBER ? v->u64 : 0;
}

char **
mk_json_get_strv (const struct mk_json *obj, const char *key)
{
  const struct mk_json *v = mk_json_get (obj, key);
  char **out;
  if (v == NULL || v->type != MK_JSON_ARRAY)
    return NULL;
  out = xcalloc (v->n + 1, sizeof *out);
  for (size_t i = 0; i < v->n; i++)
    out[i] = xstrdup (v->items[i]->type == MK_JSON_STRING ? v->items[i]->str
                                                           : "");
  return out;
}

void
mk_json_strv (FILE *f, char *const *v, const char *sep)
{
  fputc ('[', f);
  for (size_t i = 0; v && v[i]; i++)
    {
      if (i)
        fputs (sep, f);
      mk_json_string (f, v[i]);
    }
  fputc (']', f);
}
