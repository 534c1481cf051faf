#include <string.h>

#include "signals.h"


volatile sig_atomic_t  djass_stop;


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

    /* a write to a closed pipe or socket is an error return, not a death */
    signal(SIGPIPE, SIG_IGN);
}


void
djass_signals_ignore(void)
{
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
}
