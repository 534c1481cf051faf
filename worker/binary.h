/*
 * Binary detection: a file that is binary is copied, never rendered.
 */

#ifndef DJASS_BINARY_H
#define DJASS_BINARY_H

#include <stddef.h>


/* 1 when the file name (its extension) or its first bytes say binary */
int djass_is_binary(const char *name, const char *p, size_t len);

#endif /* DJASS_BINARY_H */
