/*
 * djassctl gc --artifacts STORE [--dry-run] (ctl/gc.c).
 */

#ifndef DJASS_GC_H
#define DJASS_GC_H

#include "djassctl.h"


/*
 * Compares the artifact store with the project records: removes the ZIPs
 * no record points to (left by a worker killed between the store and the
 * record, or between a delete and the artifact's removal), and reports
 * the ready records whose ZIP is missing.  Prints one JSON object with the
 * counts.  --dry-run removes nothing.
 */
int ctl_gc(ctl_opts_t *o);

#endif /* DJASS_GC_H */
