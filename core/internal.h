/* Declarations shared by the C core (never exported; only ffi/ski.h is public). */
#ifndef SKI_INTERNAL_H
#define SKI_INTERNAL_H

#include "../ffi/ski.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors (error.c) ---- */

/* Records `fmt` as this thread's last error and returns `code`, so a failing path reads
 * `return ski_fail(SKI_EINVAL, "url is NULL");`. */
int ski_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ski_fail_text(int code, const char *text, size_t len);

/* ---- handles (handle.c) ---- */

typedef enum ski_kind {
  SKI_KIND_LOOP = 1,
  SKI_KIND_INSTANCE = 2,
  SKI_KIND_CALL = 3,
  SKI_KIND_WATCHDOG = 4, /* usable from any thread */
} ski_kind;

/* A process-unique tag for the calling thread; never reused, unlike pthread_t. */
uint64_t ski_thread_tag(void);

/* Allocates a handle for obj, owned by the calling thread. */
int ski_handle_new(ski_kind kind, void *obj, uint64_t *out);
/* Resolves a handle the calling thread owns; on failure records why and returns the
 * code (SKI_EBADHANDLE, SKI_EWRONGTHREAD, SKI_EFORKED) without touching anything. */
int ski_handle_get(uint64_t handle, ski_kind kind, void **obj);
/* Like ski_handle_get, and releases the handle: later lookups fail. */
int ski_handle_release(uint64_t handle, ski_kind kind, void **obj);
/* Lookup for internal callbacks: NULL when gone, never records an error. */
void *ski_handle_peek(uint64_t handle, ski_kind kind);

/* ---- process (init.c) ---- */

/* True in a forked child of a process that had initialised ski. Cheap: no syscall. */
bool ski_is_forked_child(void);
/* The pid that initialised ski, or 0. */
long ski_init_pid(void);

#ifdef __cplusplus
}
#endif
#endif
