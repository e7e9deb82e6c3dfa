/* unpack.h: put packages into the staging tree and the manifest. */
#ifndef MK_UNPACK_H
#define MK_UNPACK_H

#include "error.h"
#include "extract.h"
#include "rpm.h"
#include "tree.h"

struct mk_unpacker;

/* rootfd: an O_PATH or O_DIRECTORY fd of the (empty) staging root. */
struct mk_unpacker *mk_unpacker_new (struct mk_tree *t, int rootfd);
void mk_unpacker_free (struct mk_unpacker *u);

/* Unpack one package.  File conflicts with earlier packages are collected
 * (the package's other files still go in) and reported by finish. */
int mk_unpacker_add (struct mk_unpacker *u, struct mk_rpm *p,
                     mk_error_t *err);
/* How extracted content reaches the image. */
enum mk_content_mode
{
  MK_CONTENT_SOURCE, /* it stays where it is, and the tar reads it from
                        there (mk_tree_add_source): no staging file.  w's
                        files must outlive the tree's use */
  MK_CONTENT_MOVE,   /* moved (scratch) or hardlinked (cache) into the
                        staging tree */
  MK_CONTENT_COPY,   /* copied: scriptlets will write to the staging
                        tree, which must share no inode with the cache */
};

/* The same for a package whose content a worker extracted or the
 * unpacked cache kept (extract.h: mk_extractor_wait says where); p comes
 * from mk_rpm_open_header. */
int mk_unpacker_add_extracted (struct mk_unpacker *u, struct mk_rpm *p,
                               const struct mk_extracted *w,
                               enum mk_content_mode mode, mk_error_t *err);
/* Put a file mkbase makes itself (content read from src_fd) at path:
 * root-owned, no package's, dated mtime.  *out (when not NULL) is its
 * entry; an entry already at path is reused in place. */
int mk_unpacker_put_file (struct mk_unpacker *u, const char *path,
                          mode_t mode, int src_fd, int64_t mtime,
                          struct mk_entry **out, mk_error_t *err);
/* Fail with the list of file conflicts, if any. */
int mk_unpacker_finish (struct mk_unpacker *u, mk_error_t *err);

#endif
