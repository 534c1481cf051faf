#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "signals.h"


volatile sig_atomic_t  djass_stop;
volatile sig_atomic_t  djass_reload;
volatile sig_atomic_t  djass_reload_template;


static void
djass_signals_hup(int signo)
{
    djass_reload = 1;
    djass_reload_template = 1;
}


static void
djass_signals_handler(int signo)
{
    if (djass_stop < 100) {
        djass_stop++;
    }
}


void
djass_signals_init(void)
{
    struct sigaction  sa;

    memset(&sa, 0, sizeof(struct sigaction));
    sa.sa_handler = djass_signals_handler;
    sigemptyset(&sa.sa_mask);

    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    /* a reload interrupts nothing it can restart */
    sa.sa_handler = djass_signals_hup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);

    /* a write to a closed pipe or socket is an error return, not a death */
    signal(SIGPIPE, SIG_IGN);
}


void
djass_signals_ignore(void)
{
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
}


pid_t
djass_signals_fork(const djass_conf_t *conf,
    int (*run)(const djass_conf_t *conf))
{
    pid_t  pid, parent;

    parent = getpid();
    pid = fork();

    if (pid != 0) {
        return pid;
    }

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) {
        _exit(0);
    }

    srand((unsigned) getpid() ^ (unsigned) time(NULL));
    exit(run(conf));
}
