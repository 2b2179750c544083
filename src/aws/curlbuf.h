/*
 * curlbuf: the libcurl plumbing the AWS client (client.c) and the HTTP
 * credential providers (creds_http.c) share: an answer buffer filled by a
 * CURLOPT_WRITEFUNCTION with a size cap, and header lists whose lines may
 * carry tokens, picking one header out of an answer, and the TLS trust
 * both use (AWS_CA_BUNDLE).  The buffers and lists may hold secrets (an SSM
 * parameter, container credentials, a session token), so every copy is
 * wiped before its memory is released.  Allocation failures abort
 * (util.h's policy).
 */
#ifndef VISITSD_AWS_CURLBUF_H
#define VISITSD_AWS_CURLBUF_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

/* An answer body; zero it, set max, then hand it to curlbuf_write. */
struct curlbuf {
	char	*data;		/* NUL-terminated once a byte arrived, else NULL */
	size_t	 len;
	size_t	 cap;		/* allocated, for the buffer's own use */
	size_t	 max;		/* more than this fails the transfer */
	bool	 overflow;	/* the answer was larger than max */
};

/*
 * CURLOPT_WRITEFUNCTION with CURLOPT_WRITEDATA a struct curlbuf: appends
 * (an outgrown copy is wiped) and keeps data NUL-terminated; past max it
 * sets overflow and returns 0, which makes libcurl fail the transfer.
 */
size_t	curlbuf_write(char *data, size_t size, size_t nmemb, void *buf);
/* Wipe and free the data; everything but max is zeroed.  b is borrowed. */
void	curlbuf_cleanup(struct curlbuf *b);

/*
 * For a CURLOPT_HEADERFUNCTION: when the header line data[0..n) is header
 * name (any case), copy its value, trimmed, into out as a string; a value
 * that does not fit, and any other line, leaves out as it was.
 */
void	curlbuf_header_value(const char *data, size_t n, const char *name,
	    char *out, size_t outlen);

/* Append "name: value" to *h (borrowed strings; the temporary is wiped). */
void	curlbuf_header_add(struct curl_slist **h, const char *name,
	    const char *value);
/*
 * Append line as it is to *h: "Expect:" (nothing after the colon) stops
 * libcurl from sending a header of its own.  line is borrowed.
 */
void	curlbuf_header_append(struct curl_slist **h, const char *line);
/* Wipe every line of h, then free the list.  Accepts NULL. */
void	curlbuf_headers_free(struct curl_slist *h);

/*
 * The CA bundle every AWS transfer verifies TLS peers with: the path in
 * AWS_CA_BUNDLE, read on the first call and kept for the process (borrowed,
 * never freed), or NULL when the variable is unset or empty (libcurl's
 * default trust store).  Thread-safe.
 */
const char	*curlbuf_ca_bundle(void);
/* Set CURLOPT_CAINFO on h to curlbuf_ca_bundle() when there is one. */
void	curlbuf_ca_bundle_apply(CURL *h);

#endif
