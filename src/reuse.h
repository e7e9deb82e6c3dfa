/* reuse.h: whole-image reuse.  A build whose inputs (the program, the
 * recipe, the profile, the resolved package files, the options) are the
 * ones of an earlier build finds that build's outputs by a key over those
 * inputs and reuses them, instead of unpacking and packing again
 * (docs/performance.md). */
#ifndef MK_REUSE_H
#define MK_REUSE_H

#include <stdbool.h>

#include "error.h"

struct mk_reuse_key;

/* A key being made: every input goes in as a labelled line or file. */
struct mk_reuse_key *mk_reuse_key_new (void);
void mk_reuse_key_free (struct mk_reuse_key *k);
void mk_reuse_key_add (struct mk_reuse_key *k, const char *label,
                       const char *value);
/* The bytes of the file at path (or that it is missing). */
int mk_reuse_key_add_file (struct mk_reuse_key *k, const char *label,
                           const char *path, mk_error_t *err);
/* The key, hex; k is freed. */
char *mk_reuse_key_finish (struct mk_reuse_key *k);

/* The entry `key` in dir: true when every output it lists is still
 * there with the bytes it had, *sha256 then being the image's digest
 * (caller frees).  A file whose identity (device, inode, size, mtime,
 * ctime) is the one recorded was not written since; any other is hashed
 * again and must have its recorded sha256 (the entry is then brought up to
 * date).  Anything else, a missing or damaged entry included, is a miss. */
bool mk_reuse_find (const char *dir, const char *key, char **sha256);

/* Record the outputs of a finished build under key: outputs[0] is the
 * image, whose digest is sha256; the others are hashed now. */
int mk_reuse_store (const char *dir, const char *key, const char *sha256,
                    char *const *outputs, mk_error_t *err);

#endif
