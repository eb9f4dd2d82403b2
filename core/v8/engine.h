/* The wall around V8: the only interface between the C core and core/v8/. Everything
 * here is plain C; every V8 touch happens inside one of these functions, in a window
 * that enters the isolate and leaves the thread's V8 enter stack as it found it. */
#ifndef SKI_ENGINE_H
#define SKI_ENGINE_H

#include "../../ffi/ski.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ski_engine ski_engine;

/* How a call ended. code 0: `response` is a malloc'd block that starts with a filled
 * ski_response whose pointers point into the same block; ownership passes to the callee
 * (free() releases it all). code < 0: `message` (NUL-terminated, borrowed for the
 * duration of the callback) says why. */
typedef struct ski_engine_outcome {
  int code;
  const char *message;
  ski_response *response;
} ski_engine_outcome;

/* What an engine tells its host. Each runs on the owner thread from inside an engine
 * function, and must not call back into the same engine. */
typedef struct ski_engine_callbacks {
  /* Call `token` ended. */
  void (*settle)(void *host, uint64_t token, const ski_engine_outcome *outcome);
  /* The JS layer's earliest timer is due in delay_ms (>= 0), or there is none (< 0):
   * call ski_engine_run_timers then. */
  void (*arm_timer)(void *host, double delay_ms);
  /* The number of ctx.waitUntil() promises still pending is now `count`. */
  void (*background)(void *host, uint32_t count);
  /* One console line (level: enum ski_log_level). */
  void (*console)(void *host, int level, const char *text, size_t len);
  /* ANY thread, possibly while the owner is inside the engine: V8 posted work for the
   * engine's thread; call ski_engine_run_tasks there soon. Must only signal (e.g.
   * uv_async_send). */
  void (*wake)(void *host);
  /* JS now awaits `count` operations that V8 finishes through its tasks (WebAssembly
   * compiles): while count > 0 the host keeps its loop alive for the wake-ups. */
  void (*host_work)(void *host, uint32_t count);
} ski_engine_callbacks;

/* Once per process: checks the run-time V8 version against the headers, verifies the
 * startup snapshot (the built-in one, or the file at snapshot_path), applies flags,
 * starts the platform (leaked on purpose: its destructor hangs at exit). */
int ski_engine_init(const char *v8_flags, const char *snapshot_path);
/* Build time (ski-mksnapshot): runs the JS layer, then `warmup` (JS, may be NULL), and
 * writes the startup snapshot with ski's header to `path`. */
int ski_engine_write_snapshot(const char *path, const char *warmup);
/* The run-time V8 version string. */
const char *ski_engine_v8_version(void);

typedef struct ski_engine_limits {
  size_t heap_bytes;        /* V8 heap limit */
  size_t arraybuffer_bytes; /* all ArrayBuffer backing stores together */
  size_t stack_bytes;       /* native stack JS may use below each entry */
} ski_engine_limits;

/* A new isolate + context from the startup snapshot. Until adopted it reports nowhere. */
int ski_engine_new(const ski_engine_limits *limits, ski_engine **out);
/* Binds the engine to its host (an instance) and starts its clocks: an engine may have
 * been made long before (ski_loop_prewarm). */
int ski_engine_adopt(ski_engine *engine, const ski_engine_callbacks *callbacks, void *host);
const ski_engine_limits *ski_engine_get_limits(const ski_engine *engine);
int ski_engine_load(ski_engine *engine, const char *name, const char *source, size_t len);
/* The `env` handlers receive, from a JSON object (SKI_EINVAL for anything else). */
int ski_engine_set_env(ski_engine *engine, const char *json, size_t len);
/* Starts call `token`; the outcome arrives through settle, possibly before this returns.
 * Fails (and settles nothing) only on host errors such as an oversized input. */
int ski_engine_dispatch(ski_engine *engine, uint64_t token, const ski_request *req);
/* The engine functions that run JS (load, dispatch, run_timers) return SKI_ETERMINATED
 * when its execution was terminated: by ski_engine_terminate, or by the engine itself on
 * reaching a memory limit (then ski_engine_limit_hit names it). A terminated engine is
 * never used again: free it. */

/* ANY thread: stops the JS running now (V8 TerminateExecution). */
void ski_engine_terminate(ski_engine *engine);
/* SKI_EHEAPLIMIT or SKI_EMEMLIMIT once the engine hit that limit, else 0. */
int ski_engine_limit_hit(const ski_engine *engine);
/* Heap in use and its limit, and ArrayBuffer bytes held. */
void ski_engine_memory(ski_engine *engine, size_t *heap_used, size_t *heap_limit, size_t *arraybuffer_bytes);

/* Runs the timers that are due, each followed by a microtask checkpoint (HTML 8.1.7.3),
 * then re-arms through arm_timer. */
int ski_engine_run_timers(ski_engine *engine);
/* Runs V8's foreground tasks that are due (GC jobs, FinalizationRegistry callbacks), each
 * followed by a microtask checkpoint. *next_ms: when the next one is due (0: now, more
 * than one batch was waiting), or -1 for none. */
int ski_engine_run_tasks(ski_engine *engine, double *next_ms);
void ski_engine_free(ski_engine *engine);

#ifdef __cplusplus
}
#endif
#endif
