/* json.h: the one piece of JSON writing the image formats and the SBOM
 * share (strings, escaped the canonical way), and a small reader for the
 * documents mkbase writes itself (the build record). */
#ifndef MK_JSON_H
#define MK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* Write s as a JSON string: "..." with \" \\ and control characters
 * escaped (\n \t ..., else \u00XX); UTF-8 as it is, a byte that is not
 * valid UTF-8 as \ufffd, so the same input always gives the same bytes. */
void mk_json_string (FILE *f, const char *s);

enum
{
  MK_JSON_NULL,
  MK_JSON_BOOL,
  MK_JSON_NUMBER,
  MK_JSON_STRING,
  MK_JSON_ARRAY,
  MK_JSON_OBJECT,
};

/* A parsed value.  Arrays and objects hold n items (objects: keys[i] names
 * items[i], in document order). */
struct mk_json
{
  int type;
  bool boolean;
  double number;
  uint64_t u64;       /* a non-negative integer number, exactly */
  char *str;
  char **keys;
  struct mk_json **items;
  size_t n;
};

/* Parse a whole document (RFC 8259; nesting is limited to 64 levels).
 * Errors name the byte offset; `what` names the document. */
int mk_json_parse (const char *text, const char *what, struct mk_json **out,
                   mk_error_t *err);
void mk_json_free (struct mk_json *v);
static inline void
cleanup_jsonp (struct mk_json **v)
{
  mk_json_free (*v);
}
#define cleanup_json __attribute__ ((cleanup (cleanup_jsonp)))

/* Lookups that tolerate a missing key or a wrong type: NULL, "" or 0. */
const struct mk_json *mk_json_get (const struct mk_json *obj,
                                   const char *key);
const char *mk_json_get_str (const struct mk_json *obj, const char *key);
uint64_t mk_json_get_u64 (const struct mk_json *obj, const char *key);
/* An array of strings as a new NULL-terminated vector (a non-string item
 * as ""), NULL when the key is missing or no array.  Caller frees. */
char **mk_json_get_strv (const struct mk_json *obj, const char *key);

/* Write v (NULL: empty) as a JSON array of strings, sep between items
 * ("," for the compact documents whose digests count, ", " otherwise). */
void mk_json_strv (FILE *f, char *const *v, const char *sep);

#endif
