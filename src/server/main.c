/* SPDX-License-Identifier: MIT */
/*
 * scimd: the SCIM 2.0 provisioning server. Parses the command line,
 * opens the store (creating or migrating its schema), starts
 * libmicrohttpd in thread-pool mode, and on SIGINT/SIGTERM stops
 * accepting, drains, and flushes the SCIM log before exiting.
 *
 *   scimd --db FILE|postgresql://... --listen HOST:PORT
 *         [--threads N] [--no-log] [-v]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sodium.h>

#include "http.h"
#include "server.h"

struct server_opts server_opts = {
    .listen_host = "127.0.0.1",
    .port = 8080,
    .threads = 0,
    .scim_log = 1,
};

static struct store *master;
static volatile sig_atomic_t stopping;

struct store *
server_store(void)
{
    return master;
}

static void
usage(void)
{
    fprintf(stderr,
            "usage: scimd --db FILE|postgresql://URL --listen HOST:PORT\n"
            "             [--threads N] [--no-log] [-v]\n");
    exit(2);
}

static int
parse_listen(const char *arg)
{
    const char *colon = strrchr(arg, ':');
    static char host[64];
    long port;
    char *end;

    if (colon == NULL || (size_t)(colon - arg) >= sizeof(host))
        return -1;
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535)
        return -1;
    server_opts.listen_host = host[0] != '\0' ? host : "127.0.0.1";
    server_opts.port = (unsigned short)port;
    return 0;
}

static void
parse_args(int argc, char **argv)
{
    const char *env = getenv("SCIMD_LOG");
    int i;

    if (env != NULL && strcmp(env, "off") == 0)
        server_opts.scim_log = 0;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            server_opts.db = argv[++i];
        else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            if (parse_listen(argv[++i]) != 0)
                usage();
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            server_opts.threads = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--no-log") == 0)
            server_opts.scim_log = 0;
        else if (strcmp(argv[i], "-v") == 0)
            server_opts.verbose = 1;
        else
            usage();
    }
    if (server_opts.db == NULL)
        usage();
    /*
     * Workers mostly wait: on the disk for their group commit, on the
     * network. More of them make bigger commit batches; each costs one
     * database connection and a thread stack.
     */
    if (server_opts.threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        server_opts.threads = n > 4 ? (unsigned)n * 4 : 16;
    }
}

static void
on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static struct MHD_Daemon *
start_daemon(void)
{
    static struct sockaddr_in sa;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(server_opts.port);
    if (inet_pton(AF_INET, server_opts.listen_host, &sa.sin_addr) != 1) {
        fprintf(stderr, "scimd: --listen needs an IPv4 address: %s\n",
                server_opts.listen_host);
        return NULL;
    }
    return MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
            MHD_USE_ERROR_LOG,
        server_opts.port, NULL, NULL, http_access, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, server_opts.threads,
        MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
        /* libmicrohttpd clears this pool for every request, so it stays
         * at its default; past it, a URL gets libmicrohttpd's own HTML
         * 414. POST .search carries a filter of any length in JSON. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_END);
}

/*
 * The database as the log may show it: a PostgreSQL URL loses its
 * user-info part, which may hold a password.
 */
static const char *
db_for_log(char *buf, size_t size)
{
    const char *db = server_opts.db, *scheme = strstr(db, "://"), *at;

    if (scheme == NULL || (at = strchr(scheme + 3, '@')) == NULL)
        return db;
    snprintf(buf, size, "%.*s***%s", (int)(scheme + 3 - db), db, at);
    return buf;
}

/* The port really bound: --listen HOST:0 lets the kernel choose. */
static unsigned
bound_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

    return info != NULL ? info->port : server_opts.port;
}

int
main(int argc, char **argv)
{
    struct scim_error err = { 0 };
    struct MHD_Daemon *d;
    struct sigaction sa;
    char dbshown[512];

    parse_args(argc, argv);
    log_init(server_opts.verbose);
    if (sodium_init() < 0) {
        fprintf(stderr, "scimd: libsodium failed to initialise\n");
        return 1;
    }
    if (store_open(server_opts.db, &master, &err) != SCIM_OK) {
        fprintf(stderr, "scimd: %s\n", err.detail);
        return 1;
    }
    d = start_daemon();
    if (d == NULL) {
        fprintf(stderr, "scimd: cannot listen on %s:%u: %s\n",
                server_opts.listen_host, server_opts.port, strerror(errno));
        store_close(master);
        return 1;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    log_info("main", "scimd %s serving http://%s:%u%s/ on %s (%s)",
             SCIMD_VERSION, server_opts.listen_host, bound_port(d),
             SCIM_BASE, db_for_log(dbshown, sizeof(dbshown)),
             store_backend(master));
    maintain_start(master);
    while (!stopping)
        pause();

    log_info("main", "stopping");
    MHD_stop_daemon(d);
    maintain_stop();
    http_close_handles();
    tenants_shutdown();
    store_close(master);
    return 0;
}
