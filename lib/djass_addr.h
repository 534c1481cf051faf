/*
 * Redis addresses as the directives and the command lines take them:
 * "host:port", "host" (port 6379), "[::1]:6379" or "unix:/path".
 */

#ifndef DJASS_ADDR_H
#define DJASS_ADDR_H

#include <stddef.h>

typedef struct {
    int   is_unix;
    int   port;
    char  host[256];     /* or the socket path when is_unix */
} djass_addr_t;

/* 0 on success, -1 when the address is malformed */
int djass_addr_parse(const char *s, size_t len, djass_addr_t *addr);

#endif /* DJASS_ADDR_H */
