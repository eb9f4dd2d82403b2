/* HTTP field syntax as Fetch checks it (§2.2), for the request a host hands to ski. The JS
 * layer checks what workers build (Headers); this checks what hosts send, before V8 sees
 * it, so that a call starts from input already in the form Headers keeps. */
#ifndef SKI_OPS_HTTP_H
#define SKI_OPS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 9110 token (1*tchar): methods and header names. */
bool ski_http_is_token(const char *s, size_t n);

/* Writes s[0..n) lowercased (ASCII) to out; returns whether anything changed. */
bool ski_http_lower(const char *s, size_t n, char *out);

/* Fetch "normalize" (strip leading and trailing HTTP whitespace) of a header value: sets
 * *start and *len to the kept part. Returns false if it then contains NUL, CR or LF, which
 * header values must not. */
bool ski_http_value(const char *s, size_t n, size_t *start, size_t *len);

/* Fetch "normalize a method": the canonical uppercase spelling if `s` is DELETE, GET,
 * HEAD, OPTIONS, POST or PUT in any case, else NULL (the method stays as given). */
const char *ski_http_normal_method(const char *s, size_t n);

/* An http(s) URL that the URL parser would give back unchanged, recognised without
 * parsing it: lowercase scheme and host, a host that is a plain domain or a dotted-decimal
 * IPv4 address (not an IPv4 number the parser would rewrite, nor punycode it would have
 * to validate), no default or malformed port, a path with no dot segments and nothing to
 * percent-encode, a query likewise, no credentials, no fragment. Requests almost always
 * look like this; anything else goes to the full parser. */
bool ski_http_is_canonical_url(const char *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif
