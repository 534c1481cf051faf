/*
 * The git repository of a generated project (issue 25): one commit on
 * main whose tree is exactly the ZIP's files (modes kept: 100755 for a
 * file with an executable bit, 100644 otherwise, 120000 for a symlink),
 * written as one packfile and its version 2 index, without libgit2:
 * blobs, trees and the commit, zlib-deflated, undeltified.
 *
 * The commit is pinned: author and committer "Djass <djass@localhost>",
 * both dated the project's created_at (+0000), the message
 * "Generate <slug> from template <template_version>\n", and the parent
 * of an upgrade.  Nothing else goes in (no clock, no host), and trees are
 * sorted as git sorts them, so the same ZIP and inputs give the same
 * commit id.  The pack of an upgrade holds its parent's pack's objects
 * too (copied as they are: the same offsets and CRCs), so that each
 * project's repository is complete on its own: one pack, one index,
 * stored beside the ZIP (projects/NNN/<id>.pack and .idx).
 */

#ifndef DJASS_GITREPO_H
#define DJASS_GITREPO_H

#include <stddef.h>


typedef struct djass_git_in_s {
    const char  *slug;
    const char  *template_version;
    const char  *parent;          /* 40 hex digits, or NULL */
    const char  *parent_pack;     /* the parent's pack and index (files),
                                     or NULL: then the repository holds
                                     no parent objects */
    const char  *parent_idx;
    long long    created_at;
} djass_git_in_t;


typedef struct {
    char  commit[41];             /* lowercase hex */
    char  pack[41];               /* the pack's name: its SHA-1 trailer */
} djass_git_out_t;


/* reads the ZIP zip, writes pack and idx; -1 with a message in err */
int djass_git_write(const char *zip, const char *pack, const char *idx,
    const djass_git_in_t *in, djass_git_out_t *out, char *err, size_t len);

/* 1 when s is 40 lowercase hex digits */
int djass_git_is_sha(const char *s);

#endif /* DJASS_GITREPO_H */
