/* SPDX-License-Identifier: MIT */
/*
 * The libmicrohttpd callbacks of scimd (http.c), registered by main.c.
 */
#ifndef SCIMD_SERVER_HTTP_H
#define SCIMD_SERVER_HTTP_H

#include <microhttpd.h>

/* MHD access handler: one SCIM request, body collected first. */
enum MHD_Result http_access(void *cls, struct MHD_Connection *conn,
                            const char *url, const char *method,
                            const char *version, const char *upload_data,
                            size_t *upload_size, void **con_cls);

/* MHD completion callback: releases the request state. */
void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe);

/* Closes every per-thread store handle; call after MHD has stopped. */
void http_close_handles(void);

#endif /* SCIMD_SERVER_HTTP_H */
