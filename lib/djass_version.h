/*
 * The product's version, in one place for the programs that name it
 * (the webhook User-Agent, --version).  The Makefile may define
 * DJASS_VERSION from a VERSION file; without it this default holds.
 */

#ifndef DJASS_VERSION_H
#define DJASS_VERSION_H

#ifndef DJASS_VERSION
#define DJASS_VERSION  "1.0.0"
#endif

#endif /* DJASS_VERSION_H */
