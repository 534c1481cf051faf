/*
 * `djass-worker render ...`: one render from the command line
 * (worker/render_cli.c).
 */

#ifndef DJASS_RENDER_CLI_H
#define DJASS_RENDER_CLI_H

/* argv[0] is "render"; the exit status: 0, 1 on a failed render, 2 on a
 * bad command line */
int djass_render_main(int argc, char **argv);

#endif /* DJASS_RENDER_CLI_H */
