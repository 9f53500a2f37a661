/* sigmat.h - the public API of libsigmat: transit messages (WCO-DM),
 * identifiers, SGTP/1 headers, signatures, hardened XML input, logging,
 * configuration files and the SGTP/1 client. Include this one header and
 * link with `pkg-config --cflags --libs libsigmat`. */
#ifndef SIGMAT_H_INCLUDED
#define SIGMAT_H_INCLUDED

#include <sigmat/sg.h>
#include <sigmat/log.h>
#include <sigmat/conf.h>
#include <sigmat/ident.h>
#include <sigmat/header.h>
#include <sigmat/sign.h>
#include <sigmat/xmlsafe.h>
#include <sigmat/schema.h>
#include <sigmat/msg.h>

#endif
