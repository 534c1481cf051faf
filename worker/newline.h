/*
 * Newlines as cookiecutter writes them: a rendered file keeps the newline
 * its template used (or the template's _new_lines), as Python's text mode
 * reads and writes it.
 */

#ifndef DJASS_NEWLINE_H
#define DJASS_NEWLINE_H

#include <stddef.h>


/* "\n", "\r\n" or "\r": the newline of the text p, as Python reads it */
const char *djass_detect_newline(const char *p, size_t len);

/* "\n" -> nl, as Python's text mode writes; p is consumed, the result is
 * malloc'd (maybe p itself); NULL when out of memory */
char *djass_translate_newlines(char *p, size_t *len, const char *nl);

#endif /* DJASS_NEWLINE_H */
