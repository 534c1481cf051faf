/*
 * cookiecutter's `slugify` filter: python-slugify with its defaults.
 */

#ifndef DJASS_SLUG_H
#define DJASS_SLUG_H

#include <stddef.h>


/* cookiecutter's `slugify` filter (python-slugify
 * defaults: unicode transliterated to ASCII where you can -- at least
 * Latin-1, Latin Extended-A, Greek and Cyrillic -- lowercased, runs of
 * other characters to one "-", trimmed). Writes at most outsize-1 bytes +
 * NUL into out; returns the length. */
size_t djass_slugify(const char *in, size_t len, char *out, size_t outsize);

#endif /* DJASS_SLUG_H */
