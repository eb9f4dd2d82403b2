/* Status codes and the per-thread detail of the last failure. */
#include "internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ski_strerror(int code) {
  switch (code) {
  case SKI_OK: return "success";
#define SKI_ERROR_TEXT_(name, value, text) \
  case SKI_##name: return text;
    SKI_ERRORS(SKI_ERROR_TEXT_)
#undef SKI_ERROR_TEXT_
  }
  return "unknown error";
}

const char *ski_error_name(int code) {
  switch (code) {
  case SKI_OK: return "SKI_OK";
#define SKI_ERROR_NAME_(name, value, text) \
  case SKI_##name: return "SKI_" #name;
    SKI_ERRORS(SKI_ERROR_NAME_)
#undef SKI_ERROR_NAME_
  }
  return "SKI_EUNKNOWN";
}

/* The message lives in a heap buffer per thread (JS stacks have no useful bound); a
 * pthread key frees it when the thread exits, so short-lived host threads leak nothing. */
static pthread_key_t error_key;
static pthread_once_t error_key_once = PTHREAD_ONCE_INIT;
static _Thread_local char *error_buf;
static _Thread_local size_t error_cap;

static void error_buf_free(void *buf) { free(buf); }
static void error_key_make(void) { pthread_key_create(&error_key, error_buf_free); }

static void error_store(const char *text, size_t len) {
  if (len + 1 > error_cap) {
    size_t cap = len + 1 < 256 ? 256 : len + 1;
    char *buf = realloc(error_buf, cap);
    if (!buf) return; /* keep the old message rather than fail the failure path */
    if (!error_buf) {
      pthread_once(&error_key_once, error_key_make);
      pthread_setspecific(error_key, buf);
    } else if (buf != error_buf) {
      pthread_setspecific(error_key, buf);
    }
    error_buf = buf;
    error_cap = cap;
  }
  memcpy(error_buf, text, len);
  error_buf[len] = '\0';
}

const char *ski_last_error(void) { return error_buf ? error_buf : ""; }

int ski_fail_text(int code, const char *text, size_t len) {
  error_store(text, len);
  return code;
}

int ski_fail(int code, const char *fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) return ski_fail_text(code, ski_strerror(code), strlen(ski_strerror(code)));
  if ((size_t)n < sizeof small) return ski_fail_text(code, small, (size_t)n);
  char *big = malloc((size_t)n + 1);
  if (!big) return ski_fail_text(code, small, sizeof small - 1);
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  ski_fail_text(code, big, (size_t)n);
  free(big);
  return code;
}
