/* main.c - sigmat-asycuda, the adapter beside ASYCUDA World: everything
 * is in the asy_ modules; see asy_cli.c for the commands. */
#include "asy_cli.h"
#include "xmlsafe.h"

int
main (int argc, char **argv)
{
    sg_xmlsafe_init ();
    return asy_cli_main (argc, argv);
}
