/*
 * mhd_static: make bench's floor, libmicrohttpd alone.  Every request with
 * the right x-api-key gets one static JSON answer (401 without it) from a
 * 2-thread epoll pool: what visitsd's library costs with no work behind it.
 *   mhd_static PORT KEY
 */
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *key;
static struct MHD_Response *ok, *denied;

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	const char *k;

	(void)cls, (void)url, (void)method, (void)version, (void)upload;
	if (*state == NULL) {	/* the first call: headers only */
		*state = c;
		return MHD_YES;
	}
	if (*upload_len != 0) {	/* a body: ignored */
		*upload_len = 0;
		return MHD_YES;
	}
	k = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-api-key");
	if (k == NULL || strcmp(k, key) != 0)
		return MHD_queue_response(c, 401, denied);
	return MHD_queue_response(c, 200, ok);
}

int
main(int argc, char *argv[])
{
	static const char body[] = "{\"id\":\"bench\",\"visits\":1}";
	sigset_t s;
	int sig;

	if (argc != 3)
		return 2;
	key = argv[2];
	ok = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
	    MHD_RESPMEM_PERSISTENT);
	denied = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(ok, "Content-Type", "application/json");
	sigemptyset(&s);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	if (MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD, (uint16_t)atoi(argv[1]),
	    NULL, NULL, handler, NULL, MHD_OPTION_THREAD_POOL_SIZE, 2,
	    MHD_OPTION_CONNECTION_LIMIT, 4096, MHD_OPTION_END) == NULL)
		return 1;
	sigwait(&s, &sig);
	return 0;
}
