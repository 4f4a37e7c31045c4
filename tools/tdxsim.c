// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tdxsim command. Only the host layer exists so far: say so.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
	fprintf(stderr, "tdxsim: only the host layer (src/base) is built so far; "
			"the TD launch path does not exist yet\n");
	return 2;
}
