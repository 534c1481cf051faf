/*
 * What djassctl's commands share (ctl/djassctl.c): the options, the exit
 * codes, one way to fail, and the Redis commands that end the program on
 * any error.
 */

#ifndef DJASS_DJASSCTL_H
#define DJASS_DJASSCTL_H

#include <hiredis/hiredis.h>
#include <jansson.h>


#define EXIT_USAGE            1    /* bad input, nothing found */
#define EXIT_REDIS            2    /* Redis unreachable or failing */


typedef struct {
    const char  *redis;
    const char  *password;
    const char  *email;
    const char  *quota;
    const char  *profile;
    const char  *scopes;
    const char  *name;
    const char  *expires_in;
    const char  *url;
    const char  *events;
    const char  *redis_wait;     /* --redis-wait N */
    const char  *arg;            /* the command's argument: ID or KEY */
    const char  *artifacts;      /* gc --artifacts STORE */
    const char  *s3_endpoint;    /* gc --s3-endpoint URL */
    const char  *s3_region;      /* gc --s3-region REGION */
    const char  *s3_credentials; /* gc --s3-credentials FILE */
    int          legacy;
    int          allow_private;
    int          dry_run;        /* gc --dry-run */
} ctl_opts_t;


/* "djassctl: <message>" on stderr, then exit(code) */
void die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* an integer in [min, max], or die naming what it is */
long long ctl_number(const char *what, const char *s, long long min,
    long long max);

/* runs a command (hiredis's format, %b included: no printf check); any
 * transport or Redis error ends the program.  With a Sentinel address, a
 * -READONLY, -LOADING or -MASTERDOWN reply has the Sentinels asked again
 * and the command (with its open MULTI) sent again to the new master,
 * once per run */
redisReply *ctl_command(const char *fmt, ...);

/* with --redis-wait N, after a command's last write and before its output:
 * WAIT for N replicas, or end the program saying the write may be lost */
void ctl_confirm(void);

/* the integer a reply holds (0 when none), and the reply freed */
long long ctl_integer(redisReply *reply);

/* a HGETALL reply as a JSON object of strings */
json_t *ctl_hash_object(redisReply *reply);

/* one compact JSON line on stdout */
void ctl_print_json(json_t *obj);

#endif /* DJASS_DJASSCTL_H */
