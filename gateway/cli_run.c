/* placeholder: being written */
#include <stdio.h>

#include "cli.h"

int gw_cli_run(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "fieldgate %s: not implemented yet\n", argv[0]);
	return 1;
}
