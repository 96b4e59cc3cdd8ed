/* cli_locate.h - `bloodcell locate` (cli_locate.c); argv as main's, argv[1] == "locate". Returns the exit status. */
#ifndef BC_CLI_LOCATE_H
#define BC_CLI_LOCATE_H

int bc_cli_locate(int argc, char **argv, const char *default_model);

#endif
