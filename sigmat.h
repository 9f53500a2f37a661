/* sigmat.h - the public API of libsigmat: transit messages, identifiers,
 * SGTP/1 headers and signatures. Include this one header. */
#ifndef SIGMAT_H_INCLUDED
#define SIGMAT_H_INCLUDED

#include <sigmat/sg.h>

#endif
