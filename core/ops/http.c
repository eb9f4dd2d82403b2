/* HTTP field syntax for requests from the host (see http.h). */
#include "http.h"

#include <string.h>

/* What each byte may be, as bits (bytes from 0x80 are none of these):
 *   PATH   copied as is by the URL path state (nothing to percent-encode)
 *   QUERY  likewise for a special URL's query (no ', and ?)
 *   HOST   a lowercase domain label character: a-z 0-9 -
 *   TCHAR  RFC 9110 tchar: ALPHA DIGIT and !#$%&'*+-.^_`|~ */
enum { PATH = 1, QUERY = 2, HOST = 4, TCHAR = 8 };
static const unsigned char byte_class[256] = {
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
     0, 11,  0,  8, 11, 11, 11,  9,  3,  3, 11, 11,  3, 15, 11,  3,
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  3,  3,  0,  3,  0,  2,
     3, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,
    11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,  0,  0,  0,  8, 11,
     8, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
    15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,  0,  8,  0, 11,  0,
};

static bool is(unsigned char c, int what) { return byte_class[c] & what; }

bool ski_http_is_token(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++)
    if (!is((unsigned char)s[i], TCHAR)) return false;
  return true;
}

bool ski_http_lower(const char *s, size_t n, char *out) {
  bool changed = false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') {
      c = (char)(c + ('a' - 'A'));
      changed = true;
    }
    out[i] = c;
  }
  return changed;
}

static bool is_http_whitespace(char c) { return c == '\t' || c == '\n' || c == '\r' || c == ' '; }

bool ski_http_value(const char *s, size_t n, size_t *start, size_t *len) {
  size_t a = 0, b = n;
  while (a < b && is_http_whitespace(s[a])) a++;
  while (b > a && is_http_whitespace(s[b - 1])) b--;
  *start = a;
  *len = b - a;
  for (size_t i = a; i < b; i++)
    if (s[i] == '\0' || s[i] == '\n' || s[i] == '\r') return false;
  return true;
}

const char *ski_http_normal_method(const char *s, size_t n) {
  static const char *const normal[] = {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"};
  for (size_t m = 0; m < sizeof normal / sizeof normal[0]; m++) {
    const char *want = normal[m];
    if (strlen(want) != n) continue;
    size_t i = 0;
    while (i < n && (s[i] == want[i] || s[i] == want[i] + ('a' - 'A'))) i++;
    if (i == n) return want;
  }
  return NULL;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

/* A label the host parser reads as a number: decimal, or 0x followed by hex digits. */
static bool is_numeric_label(const char *s, size_t n) {
  if (n >= 2 && s[0] == '0' && s[1] == 'x') {
    for (size_t i = 2; i < n; i++)
      if (!is_hex(s[i])) return false;
    return true;
  }
  for (size_t i = 0; i < n; i++)
    if (!is_digit(s[i])) return false;
  return n > 0;
}

/* Four decimal octets 0..255 without leading zeros: IPv4 that serialises as itself. */
static bool is_dotted_ipv4(const char *s, size_t n) {
  int parts = 0;
  size_t i = 0;
  while (i <= n) {
    size_t j = i;
    while (j < n && s[j] != '.') j++;
    size_t len = j - i;
    if (len == 0 || len > 3 || (len > 1 && s[i] == '0')) return false;
    int v = 0;
    for (size_t k = i; k < j; k++) {
      if (!is_digit(s[k])) return false;
      v = v * 10 + (s[k] - '0');
    }
    if (v > 255 || ++parts > 4) return false;
    i = j + 1;
  }
  return parts == 4;
}

/* A "." or ".." segment, as the path parser sees them ("%2e" counts as "."). */
static bool has_dot_segment(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '/') continue;
    size_t j = i + 1;
    int dots = 0;
    while (dots < 3) {
      if (j < n && s[j] == '.') j += 1;
      else if (j + 3 <= n && s[j] == '%' && s[j + 1] == '2' && (s[j + 2] == 'e' || s[j + 2] == 'E')) j += 3;
      else break;
      dots++;
    }
    if ((dots == 1 || dots == 2) && (j == n || s[j] == '/')) return true;
  }
  return false;
}

bool ski_http_is_canonical_url(const char *s, size_t n) {
  size_t i;
  bool https;
  if (n >= 7 && memcmp(s, "http://", 7) == 0) i = 7, https = false;
  else if (n >= 8 && memcmp(s, "https://", 8) == 0) i = 8, https = true;
  else return false;
  size_t host = i, label = i;
  for (; i < n && s[i] != ':' && s[i] != '/'; i++) {
    if (s[i] == '.') {
      if (i == label) return false; /* empty label */
      label = i + 1;
    } else if (!is((unsigned char)s[i], HOST)) {
      return false;
    }
  }
  if (i == label) return false; /* empty host or trailing dot */
  const char *h = s + host;
  size_t hn = i - host;
  if (is_numeric_label(s + label, i - label) && !is_dotted_ipv4(h, hn)) return false;
  for (size_t k = 0; k + 4 <= hn; k++)
    if (h[k] == 'x' && memcmp(h + k, "xn--", 4) == 0) return false;
  if (i < n && s[i] == ':') {
    size_t p = ++i;
    long port = 0;
    while (i < n && is_digit(s[i]) && i - p < 6) port = port * 10 + (s[i++] - '0');
    size_t len = i - p;
    if (len == 0 || len > 5 || s[p] == '0' || port > 65535 || port == (https ? 443 : 80)) return false;
  }
  if (i == n || s[i] != '/') return false;
  size_t path = i;
  while (i < n && is((unsigned char)s[i], PATH)) i++;
  size_t path_end = i;
  if (i < n && s[i] == '?')
    while (++i < n && is((unsigned char)s[i], QUERY)) {
    }
  if (i != n) return false;
  return !has_dot_segment(s + path, path_end - path);
}
