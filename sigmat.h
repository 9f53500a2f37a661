/* sigmat.h - the public API of libsigmat: transit messages (WCO-DM),
 * identifiers, SGTP/1 headers and client, signatures, hardened XML input,
 * logging, configuration files and service notifications; every symbol
 * the library exports starts with sg_ (docs/architecture.md). Include this
 * one header and link with `pkg-config --cflags --libs libsigmat`. */
#ifndef SIGMAT_H_INCLUDED
#define SIGMAT_H_INCLUDED

#include <sigmat/sg.h>
#include <sigmat/archive.h>
#include <sigmat/buf.h>
#include <sigmat/code.h>
#include <sigmat/conf.h>
#include <sigmat/file.h>
#include <sigmat/hash.h>
#include <sigmat/http.h>
#include <sigmat/log.h>
#include <sigmat/notify.h>
#include <sigmat/ident.h>
#include <sigmat/msg.h>
#include <sigmat/schema.h>
#include <sigmat/sign.h>
#include <sigmat/xmlsafe.h>
#include <sigmat/client.h>
#include <sigmat/header.h>
#include <sigmat/link.h>

#endif
