/* One entry point per command. Each parses its own options (argv[0] is the
 * command name), prints its own --help, and returns the process exit code:
 * 0 success, 1 runtime failure, 2 bad usage, config or records. */
#ifndef GW_CLI_H
#define GW_CLI_H

int gw_cli_run(int argc, char **argv);
int gw_cli_check(int argc, char **argv);
int gw_cli_sim(int argc, char **argv);
int gw_cli_scan(int argc, char **argv);
int gw_cli_read(int argc, char **argv);
int gw_cli_set_address(int argc, char **argv);
int gw_cli_report(int argc, char **argv);
int gw_cli_verify(int argc, char **argv);
int gw_cli_key(int argc, char **argv);
int gw_cli_console(int argc, char **argv);

#endif
