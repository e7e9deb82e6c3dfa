/* json.h: the one piece of JSON writing the image formats and the SBOM
 * share: strings, escaped the canonical way. */
#ifndef MK_JSON_H
#define MK_JSON_H

#include <stdio.h>

/* Write s as a JSON string: "..." with \" \\ and control characters
 * escaped (\n \t ..., else \u00XX); UTF-8 as it is, a byte that is not
 * valid UTF-8 as \ufffd, so the same input always gives the same bytes. */
void mk_json_string (FILE *f, const char *s);

#endif
