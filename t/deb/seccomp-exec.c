/*
 * seccomp-exec ALLOWED_FILE -- COMMAND [ARG...]
 *
 * t/600's stand-in for systemd's seccomp settings of djass-worker.service
 * (there is no systemd to start the unit under in a test): loads, through
 * Debian's libseccomp2 (dlopen: libseccomp-dev is not needed), an
 * allow-list filter of the system calls named in ALLOWED_FILE (one a line:
 * the unit's SystemCallFilter= lines expanded by t/600 with
 * `systemd-analyze syscall-filter`), every other call failing with EPERM
 * (SystemCallErrorNumber=EPERM), native architecture only
 * (SystemCallArchitectures=native: libseccomp's default), then runs
 * COMMAND.  Two settings are filters on arguments, as systemd makes them:
 *   RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6: socket() for those
 *     families only;
 *   MemoryDenyWriteExecute=yes: no mmap() both writable and executable,
 *     no mprotect()/pkey_mprotect() to executable, no shmat(SHM_EXEC).
 * libseccomp sets no_new_privs as it loads the filter (NoNewPrivileges=).
 * Exits 125 when the filter cannot be made or loaded.
 */

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/seccomp.h>


/* libseccomp's ABI */
typedef void  *scmp_ctx;

struct scmp_cmp {
    unsigned int  arg;
    int           op;            /* enum scmp_compare */
    uint64_t      a;
    uint64_t      b;
};

#define CMP_EQ         4
#define CMP_MASKED_EQ  7

#define ACT_ALLOW      SECCOMP_RET_ALLOW
#define ACT_EPERM      (SECCOMP_RET_ERRNO | 1)


static scmp_ctx (*sc_init)(uint32_t);
static int (*sc_resolve)(const char *);
static int (*sc_rule)(scmp_ctx, uint32_t, int, unsigned int, ...);
static int (*sc_load)(scmp_ctx);

static const char  *special[] = {
    "socket", "mmap", "mprotect", "pkey_mprotect", "shmat", NULL
};


static int
special_index(const char *name)
{
    int  i;

    for (i = 0; special[i]; i++) {
        if (strcmp(special[i], name) == 0) {
            return i;
        }
    }

    return -1;
}


/* allows one call when (argument arg & mask) == value */
static int
allow_masked(scmp_ctx ctx, const char *name, unsigned int arg, uint64_t mask,
    uint64_t value)
{
    int              nr;
    struct scmp_cmp  c;

    nr = sc_resolve(name);
    if (nr < 0) {
        return 0;
    }

    c.arg = arg;
    c.op = CMP_MASKED_EQ;
    c.a = mask;
    c.b = value;

    return sc_rule(ctx, ACT_ALLOW, nr, 1, c);
}


static int
allow_socket(scmp_ctx ctx, uint64_t family)
{
    int              nr;
    struct scmp_cmp  c;

    nr = sc_resolve("socket");
    if (nr < 0) {
        return -1;
    }

    c.arg = 0;
    c.op = CMP_EQ;
    c.a = family;
    c.b = 0;

    return sc_rule(ctx, ACT_ALLOW, nr, 1, c);
}


int
main(int argc, char **argv)
{
    int        nr, i, listed[5];
    char       line[128];
    FILE      *f;
    void      *lib;
    scmp_ctx   ctx;
    uint64_t   wx;

    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: seccomp-exec ALLOWED_FILE -- COMMAND...\n");
        return 125;
    }

    lib = dlopen("libseccomp.so.2", RTLD_NOW);
    if (lib == NULL) {
        fprintf(stderr, "seccomp-exec: %s\n", dlerror());
        return 125;
    }

    *(void **) &sc_init = dlsym(lib, "seccomp_init");
    *(void **) &sc_resolve = dlsym(lib, "seccomp_syscall_resolve_name");
    *(void **) &sc_rule = dlsym(lib, "seccomp_rule_add");
    *(void **) &sc_load = dlsym(lib, "seccomp_load");

    if (!sc_init || !sc_resolve || !sc_rule || !sc_load) {
        fprintf(stderr, "seccomp-exec: libseccomp.so.2 lacks a function\n");
        return 125;
    }

    ctx = sc_init(ACT_EPERM);
    if (ctx == NULL) {
        fprintf(stderr, "seccomp-exec: seccomp_init failed\n");
        return 125;
    }

    f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 125;
    }

    memset(listed, 0, sizeof(listed));

    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0') {
            continue;
        }

        i = special_index(line);
        if (i >= 0) {
            listed[i] = 1;
            continue;
        }

        /* a name of another architecture has no number here */
        nr = sc_resolve(line);
        if (nr >= 0 && sc_rule(ctx, ACT_ALLOW, nr, 0) != 0) {
            fprintf(stderr, "seccomp-exec: cannot allow %s\n", line);
            return 125;
        }
    }

    fclose(f);

    wx = PROT_WRITE | PROT_EXEC;

    if ((listed[0]
         && (allow_socket(ctx, AF_UNIX) != 0
             || allow_socket(ctx, AF_INET) != 0
             || allow_socket(ctx, AF_INET6) != 0))
        || (listed[1]
            && (allow_masked(ctx, "mmap", 2, wx, 0) != 0
                || allow_masked(ctx, "mmap", 2, wx, PROT_WRITE) != 0
                || allow_masked(ctx, "mmap", 2, wx, PROT_EXEC) != 0))
        || (listed[2]
            && allow_masked(ctx, "mprotect", 2, PROT_EXEC, 0) != 0)
        || (listed[3]
            && allow_masked(ctx, "pkey_mprotect", 2, PROT_EXEC, 0) != 0)
        || (listed[4]
            && allow_masked(ctx, "shmat", 2, SHM_EXEC, 0) != 0))
    {
        fprintf(stderr, "seccomp-exec: cannot add the argument filters\n");
        return 125;
    }

    if (sc_load(ctx) != 0) {
        fprintf(stderr, "seccomp-exec: seccomp_load failed\n");
        return 125;
    }

    execvp(argv[3], &argv[3]);
    perror(argv[3]);
    return 127;
}
