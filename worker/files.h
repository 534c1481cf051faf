/*
 * File helpers shared by the renderer, the ZIP writer and the publisher:
 * they report with errno and -1, never print.
 */

#ifndef DJASS_FILES_H
#define DJASS_FILES_H

#include <stddef.h>
#include <sys/types.h>

#include "djass_tmpl.h"


/*
 * Why writing failed, for the generation child: the first errno noted
 * that says the artifact store is failing (djass_store_transient) or that
 * a bound was hit (EFBIG: --render-output, ENOMEM: --render-memory).
 * djass_file_err notes errno itself; other places that make a message
 * from errno call djass_file_note.  0: nothing noted.
 */
extern int  djass_file_errno;

void djass_file_note(int e);

/* strerror(e), with e noted */
const char *djass_file_strerror(int e);

/* ENOSPC, EDQUOT, EIO, EROFS: the store, not the project, is at fault and
 * a retry once the store is fixed succeeds */
int djass_store_transient(int e);

/* a bound on all the bytes djass_write_all writes in this process (the
 * rendered tree); 0: none.  Going over it fails the write with EFBIG. */
extern long long  djass_file_out_max;


/* err = "rel: what: <errno text>": a template-relative name, never a host
 * path (the worker shows it to API users); returns -1 */
int djass_file_err(djass_err_t *err, const char *rel, const char *what);

/* out = a "/" b (either may be empty); -1 when longer than PATH_MAX */
int djass_path(char *out, const char *a, const char *b);

/* a regular file's bytes, NUL-terminated and malloc'd; NULL with errno */
char *djass_read_file(const char *path, size_t *len);

/* all of p, retrying short writes and EINTR */
int djass_write_all(int fd, const char *p, size_t len);

/* creates or truncates dst (never through a symlink) and sets its mode */
int djass_write_file(const char *dst, const char *p, size_t len,
    mode_t mode);

/* names in byte order (strcmp), as the renderer walks and the ZIP lists */
void djass_names_sort(char **names, size_t n);

/* rm -rf path (never follows symlinks); a missing path is fine; 0 or -1 */
int djass_rm_rf(const char *path);

/* mkdir -p, as cookiecutter creates a missing output folder; *created is
 * set to 1 when the last folder was made here */
int djass_mkdirs(const char *path, int *created);

#endif /* DJASS_FILES_H */
