/*
 * The product's version, for the programs that name it (the webhook
 * User-Agent, --version).  Its one source is the file VERSION at the top
 * of the repository: the Makefile passes it as -DDJASS_VERSION.
 */

#ifndef DJASS_VERSION_H
#define DJASS_VERSION_H

#ifndef DJASS_VERSION
#error "DJASS_VERSION is set by the Makefile, from the file VERSION"
#endif

#endif /* DJASS_VERSION_H */
