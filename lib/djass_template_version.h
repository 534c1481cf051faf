/*
 * A template's version: the SHA-256 of its folder's contents, the same
 * in nginx (the catalog) and in the worker.  The rule (README.md,
 * "Template versions"):
 *
 *   every entry under the folder (the folder itself excepted), found
 *   without following symlinks, named by its path relative to the
 *   folder with "/" between the parts, in byte-wise order of those
 *   paths; for each, one record is hashed:
 *
 *     <mode> SP <length of path> ":" <path> SP <length of data> ":"
 *     <data> LF
 *
 *   mode (as git writes it): "40000" a folder (data empty), "100644" a
 *   regular file, "100755" one whose owner may execute it (data: its
 *   bytes), "120000" a symlink (data: its target, as readlink says).
 *   Lengths are decimal byte counts.  Any other kind of file (FIFO,
 *   socket, device) is an error.
 *
 * The version is the lowercase hex SHA-256 of the whole, 64 digits.
 */

#ifndef DJASS_TEMPLATE_VERSION_H
#define DJASS_TEMPLATE_VERSION_H

#include <stddef.h>


#define DJASS_TEMPLATE_VERSION_LEN   64

/* at most this many entries and this long a path (bytes) */
#define DJASS_TEMPLATE_MAX_ENTRIES   100000
#define DJASS_TEMPLATE_MAX_PATH      4000


/*
 * hex gets the version (DJASS_TEMPLATE_VERSION_LEN digits and a NUL), and
 * *newest (unless NULL) the newest modification time of an entry (Unix
 * seconds; not part of the version): 0; -1 with err set ("<path>: <what>")
 * when the folder cannot be read or holds something the rule refuses.
 * Reads files only: blocking I/O, for start and reload.
 */
int djass_template_version(const char *dir, char *hex, long long *newest,
    char *err, size_t errlen);

#endif /* DJASS_TEMPLATE_VERSION_H */
