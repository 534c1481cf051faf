/*
 * The deterministic ZIP of a rendered project (libarchive).
 */

#ifndef DJASS_ZIP_H
#define DJASS_ZIP_H

#include "djass_tmpl.h"


/* deterministic ZIP of project_dir (the project folder as the single
 * top-level folder, entries sorted, fixed timestamps, modes kept, deflate).
 * Written to a temporary name beside zip_path, fsynced and renamed. */
int djass_zip_write(const char *project_dir, const char *zip_path,
    djass_err_t *err);

#endif /* DJASS_ZIP_H */
