/*
 * The worker's log: one line per event on stderr, with the UTC time and
 * the process id, so that the lines of N processes interleave readably.
 * Lines never hold an API key or a host path of the artifact store.
 */

#ifndef DJASS_LOG_H
#define DJASS_LOG_H

extern int  djass_log_verbose;

/* a line always written: jobs, problems, process changes */
void djass_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* a line written only with -v */
void djass_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* " request_id=ID" at the end of every line from now on; NULL or "" ends
 * it (the lines of one job carry the request id of its create) */
void djass_log_context(const char *request_id);

/* milliseconds of a monotonic clock, for durations */
long long djass_now_ms(void);

#endif /* DJASS_LOG_H */
