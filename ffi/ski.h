/*
 * ski.h — the public C ABI of libski, an embeddable WinterCG JavaScript runtime.
 *
 * Rules that hold for every function below (docs/abi.md is the full reference):
 *
 *  - Every function returns an int: 0 on success, a negative SKI_E* code on failure
 *    (except the few that return a version or a string, which say so).
 *    ski_strerror() names a code; ski_last_error() gives this thread's detail.
 *  - Objects are opaque 64-bit handles (always below 2^53, so a Lua number holds one
 *    exactly). A handle is owned by the thread that created it: any call passing it from
 *    another thread returns SKI_EWRONGTHREAD and touches nothing. A freed, forged or
 *    wrong-kind handle returns SKI_EBADHANDLE. Freeing twice returns SKI_EBADHANDLE.
 *  - Inputs are copied before the function returns. Outputs are borrowed for as long as
 *    the function's comment says, never longer.
 *  - Option structs start with their own size, so the ABI grows without breaking hosts
 *    built against an older header. A NULL options pointer means the defaults.
 *
 * This header never mentions V8, libuv or any other dependency.
 */
#ifndef SKI_H
#define SKI_H

#ifndef SKI_CDEF /* the LuaJIT cdef spec preprocesses this header without system headers */
#include <stddef.h>
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a function, struct field or code is added; never for a change of
 * meaning, because meanings do not change. */
#define SKI_ABI_VERSION 2

#if defined(__GNUC__) && !defined(SKI_CDEF)
#define SKI_API __attribute__((visibility("default")))
#else
#define SKI_API
#endif

/* Status codes. Host misuse is -1..-19, a failing worker is -20 and below.
 * The numbers are part of the ABI: codes are only ever appended. */
#define SKI_ERRORS(X)                                                                      \
  X(EINVAL, -1, "invalid argument")                                                      \
  X(EBADHANDLE, -2, "bad handle: freed, forged or of the wrong kind")                    \
  X(EWRONGTHREAD, -3, "handle belongs to another thread")                                \
  X(EBUSY, -4, "object still has live dependants")                                       \
  X(ENOMEM, -5, "out of memory")                                                         \
  X(EFORKED, -6, "ski was initialised in a parent process and cannot run in this fork")  \
  X(EVERSION, -7, "V8 library does not match the V8 headers ski was built with")         \
  X(ESTATE, -8, "object is not in a state that allows this call")                        \
  X(EAGAIN, -9, "call has not completed yet")                                            \
  X(EENGINE, -10, "the JavaScript engine could not create an isolate")                   \
  X(ESYNTAX, -20, "worker has a syntax error")                                           \
  X(EIMPORT, -21, "worker imports or requires a module: bundle it first")                \
  X(ENOHANDLER, -22, "worker has no fetch handler")                                      \
  X(ETHROWN, -23, "worker threw an exception")                                           \
  X(EREJECTED, -24, "worker's promise was rejected")                                     \
  X(ENOTRESPONSE, -25, "fetch handler did not produce a Response")                       \
  X(ESTALLED, -26, "call can never complete: nothing pending could settle it")           \
  X(ECANCELED, -27, "call canceled: its instance was destroyed")                        \
  X(ECPULIMIT, -28, "worker exceeded its CPU time limit")                                \
  X(ETIMEOUT, -29, "worker exceeded its wall time limit")                                \
  X(EHEAPLIMIT, -30, "worker exceeded its JS heap limit")                                \
  X(EMEMLIMIT, -31, "worker exceeded its ArrayBuffer memory limit")                      \
  X(EDEAD, -32, "instance is dead: a limit was hit; create a new one")                   \
  X(ETERMINATED, -33, "worker was terminated")

enum ski_status {
  SKI_OK = 0,
#define SKI_ERROR_ENUM_(name, code, text) SKI_##name = code,
  SKI_ERRORS(SKI_ERROR_ENUM_)
#undef SKI_ERROR_ENUM_
};

/* Handles. Plain integers on purpose: a struct passed by value stops LuaJIT's JIT. */
typedef uint64_t ski_loop_t;
typedef uint64_t ski_instance_t;
typedef uint64_t ski_call_t;
typedef uint64_t ski_watchdog_t;

/* ---- library ---------------------------------------------------------------------- */

/* Any thread. Returns SKI_ABI_VERSION of the library (not of the header you hold). */
SKI_API int ski_abi_version(void);

/* Any thread. Static string, e.g. "ski 0.1.0 (abi 1; V8 10.2.154.26-node.37)". */
SKI_API const char *ski_version(void);

/* Any thread. Static strings: a sentence for the code, and its name ("SKI_EINVAL").
 * Unknown codes give "unknown error" and "SKI_EUNKNOWN". */
SKI_API const char *ski_strerror(int code);
SKI_API const char *ski_error_name(int code);

/* Any thread. The detail of the last failure on this thread (JS message with file:line
 * and stack, or which argument was wrong). "" if none. Borrowed: valid until the next
 * ski_* call on this thread. */
SKI_API const char *ski_last_error(void);

typedef struct ski_init_options {
  size_t size;          /* sizeof(ski_init_options) */
  const char *v8_flags; /* passed to V8 before it starts, e.g. "--stack-size=900"; or NULL */
  const char *snapshot_path; /* a startup snapshot file made by ski-mksnapshot; NULL: built in */
} ski_init_options;

/* Any thread, once per process; later calls are no-ops returning 0 (their options are
 * ignored). Starts the V8 platform, which is never torn down. Returns SKI_EFORKED in a
 * forked child of a process that had initialised ski, SKI_EVERSION if the V8 library
 * found at run time is not the one ski was built for, SKI_EENGINE if the startup
 * snapshot fails its checks (it is verified before V8 reads it). ski_loop_new calls it
 * for you. */
SKI_API int ski_init(const ski_init_options *opts);

/* ---- loop: one per thread that runs JS ---------------------------------------------- */

/* Creates a loop owned by the calling thread. *out is set only on success. */
SKI_API int ski_loop_new(ski_loop_t *out);

/* Owner thread. SKI_EBUSY (and nothing freed) while instances live on the loop. */
SKI_API int ski_loop_free(ski_loop_t loop);

/* Owner thread; blocks for at most timeout_ms (-1: no limit, 0: one pass, never blocks).
 * Runs timers and I/O until no call and no ctx.waitUntil() task on the loop is pending.
 * Returns 0 then, SKI_EAGAIN if work is still pending at the timeout. Calls that
 * nothing left in the loop could ever settle fail with SKI_ESTALLED instead of blocking
 * forever (background tasks stuck the same way are no longer waited for). */
SKI_API int ski_loop_run(ski_loop_t loop, int timeout_ms);

/* Owner thread. For hosts with their own event loop: *timeout_ms is how long the host
 * may sleep before calling ski_loop_run(loop, 0) again (the next timer), 0 if work is
 * ready now, -1 if the loop has nothing scheduled. */
SKI_API int ski_loop_next_deadline(ski_loop_t loop, int *timeout_ms);

/* Owner thread. *fd is a descriptor that becomes readable when the loop has I/O to
 * process (libuv's backend fd), for hosts that poll; timers are not signalled through
 * it: combine with ski_loop_next_deadline. */
SKI_API int ski_loop_fd(ski_loop_t loop, int *fd);

typedef struct ski_loop_stats {
  size_t size;      /* set by the caller to sizeof(ski_loop_stats) */
  size_t instances; /* instances the host holds on this loop */
  size_t retiring;  /* retired instances still finishing their work */
  size_t calls;     /* calls in flight */
  size_t tasks;     /* ctx.waitUntil() promises pending */
  size_t spares;    /* prewarmed isolates ready (ski_loop_prewarm) */
} ski_loop_stats;

/* Owner thread; blocks while it makes them (a few ms each). Keeps `count` (at most 16)
 * isolates deserialised from the startup snapshot and ready, so that ski_instance_new
 * with the default heap, ArrayBuffer and stack limits takes one instead of making it:
 * the host chooses when to pay for instance creation (when idle, say), and a new
 * instance on the request path costs only its load. Taken ones are made again at the
 * next call; 0 frees them all. */
SKI_API int ski_loop_prewarm(ski_loop_t loop, size_t count);

/* Owner thread. What the loop is carrying now, for hosts to log and meter. */
SKI_API int ski_loop_get_stats(ski_loop_t loop, ski_loop_stats *out);

/* Console output of the instances on a loop. By default each line goes to stderr. */
enum ski_log_level { SKI_LOG_DEBUG = 0, SKI_LOG_INFO = 1, SKI_LOG_WARN = 2, SKI_LOG_ERROR = 3 };

/* One console line: console.debug is DEBUG; log, info, trace and dir are INFO; warn is
 * WARN; error, failed asserts and uncaught exceptions are ERROR. `instance` is 0 for a
 * retired instance. `text` is UTF-8, not NUL-terminated. */
typedef void (*ski_console_fn)(void *userdata, ski_instance_t instance, int level,
                               const char *text, size_t text_len);

/* Owner thread. Sends console lines to fn, called on the loop's thread during the ski
 * call that ran the JS (it must not call ski functions on this loop). fn NULL restores
 * stderr. Replaces buffering. */
SKI_API int ski_loop_set_console(ski_loop_t loop, ski_console_fn fn, void *userdata);

typedef struct ski_console_line {
  size_t size;             /* set by the caller to sizeof(ski_console_line) */
  ski_instance_t instance;
  int level;
  const char *text;        /* borrowed until the next ski_loop_next_console on this loop */
  size_t text_len;
  size_t dropped;          /* lines lost to a full buffer just before this one */
} ski_console_line;

/* Owner thread. For hosts that poll rather than take callbacks (LuaJIT): keeps up to
 * max_lines console lines (the oldest are dropped beyond that) for
 * ski_loop_next_console. 0 turns buffering off (back to stderr). Replaces a callback. */
SKI_API int ski_loop_buffer_console(ski_loop_t loop, size_t max_lines);

/* Owner thread. Takes the oldest buffered line: 0 and *out filled, or SKI_EAGAIN when
 * there is none (which leaves ski_last_error() as it was). */
SKI_API int ski_loop_next_console(ski_loop_t loop, ski_console_line *out);

/* ---- instance: one isolate + context + worker bundle -------------------------------- */

/* Limits of an instance. 0 in any field means the default (in brackets). CPU and wall
 * time running JS are enforced by an attached watchdog; a call that waits (awaits a
 * timer, say) past its wall time is failed by the loop, watchdog or not. Heap,
 * ArrayBuffer memory and stack are enforced by V8 itself. Hitting the CPU, wall, heap
 * or ArrayBuffer limit fails the call with SKI_ECPULIMIT, SKI_ETIMEOUT, SKI_EHEAPLIMIT
 * or SKI_EMEMLIMIT and kills the instance: its other calls fail the same way, later
 * calls get SKI_EDEAD. A stack overflow is a RangeError the worker can catch. */
typedef struct ski_instance_options {
  size_t size;             /* sizeof(ski_instance_options) */
  ski_watchdog_t watchdog; /* 0: none (CPU time is then not limited) */
  uint32_t cpu_ms;         /* CPU time per call, and for the load [50 ms] */
  uint32_t wall_ms;        /* wall time per call, and for the load [30,000 ms] */
  uint32_t heap_mb;        /* V8 heap [128 MB]; at least 8 */
  uint32_t arraybuffer_mb; /* all ArrayBuffers together [128 MB] */
  uint32_t stack_kb;       /* native stack JS may use per entry [512 KB] */
} ski_instance_options;

/* Owner thread of loop. Creates an empty instance on it; load a worker next. */
SKI_API int ski_instance_new(ski_loop_t loop, const ski_instance_options *opts,
                             ski_instance_t *out);

/* Owner thread. Loads a fully bundled worker once: an ES module with
 * `export default { fetch }` or `export default function`, or a classic script calling
 * addEventListener("fetch", ...). `name` (NUL-terminated) names the file in errors.
 * Fails with SKI_ESYNTAX, SKI_EIMPORT, SKI_ETHROWN (top level threw), SKI_ENOHANDLER,
 * or SKI_ESTATE if already loaded (loaded or failed: one load per instance). */
SKI_API int ski_instance_load(ski_instance_t inst, const char *name, const char *source,
                              size_t source_len);

/* Owner thread. (ABI 2) Sets the `env` a module worker's fetch(request, env, ctx)
 * receives, from a JSON object of json_len bytes (UTF-8): names to values, such as
 * configuration and secrets. Calls started afterwards see it; before any call it is {}.
 * Fails with SKI_EINVAL (NULL, not JSON, not an object), SKI_EDEAD. */
SKI_API int ski_instance_set_env(ski_instance_t inst, const char *json, size_t json_len);

/* Owner thread. Destroys the isolate. Calls still in flight fail with SKI_ECANCELED;
 * their handles stay valid until freed. */
SKI_API int ski_instance_free(ski_instance_t inst);

/* Owner thread. For hot swap: the handle is released at once (no new calls), and the
 * loop destroys the instance as soon as its calls in flight and ctx.waitUntil() tasks
 * are done (or stalled). Those calls' handles keep working. */
SKI_API int ski_instance_retire(ski_instance_t inst);

/* Owner thread. How many calls are in flight on the instance and how many
 * ctx.waitUntil() promises it still has pending. Either pointer may be NULL. */
SKI_API int ski_instance_pending(ski_instance_t inst, size_t *calls, size_t *tasks);

typedef struct ski_instance_stats {
  size_t size;            /* set by the caller to sizeof(ski_instance_stats) */
  uint64_t calls;         /* calls started */
  uint64_t cpu_ns;        /* CPU time spent running its JS (load included) */
  uint64_t terminations;  /* times a limit stopped its JS */
  size_t heap_used;       /* V8 heap bytes in use */
  size_t heap_limit;      /* the heap limit in bytes */
  size_t arraybuffer_bytes; /* ArrayBuffer memory held */
  int dead;               /* 0, or the code that killed it (SKI_ECPULIMIT, ...) */
} ski_instance_stats;

/* Owner thread. Counters and gauges for hosts to log and meter. */
SKI_API int ski_instance_get_stats(ski_instance_t inst, ski_instance_stats *out);

/* ---- watchdog: a thread that stops runaway JS ----------------------------------------- */

/* ANY thread. Starts a watchdog thread. It holds only deadlines and isolate references,
 * and only signals (V8 TerminateExecution); it never runs JS. Attach instances of any
 * number of loops and threads through ski_instance_options.watchdog. */
SKI_API int ski_watchdog_new(ski_watchdog_t *out);

/* ANY thread. Stops and joins the thread. Instances still attached keep running
 * without CPU enforcement. */
SKI_API int ski_watchdog_free(ski_watchdog_t watchdog);

typedef struct ski_watchdog_stats {
  size_t size;           /* set by the caller to sizeof(ski_watchdog_stats) */
  size_t instances;      /* attached now */
  uint64_t terminations; /* runs it stopped */
  uint64_t wakeups;      /* times its thread woke */
} ski_watchdog_stats;

/* ANY thread. */
SKI_API int ski_watchdog_get_stats(ski_watchdog_t watchdog, ski_watchdog_stats *out);

/* ---- call: one request in flight ----------------------------------------------------- */

typedef struct ski_header {
  const char *name;
  size_t name_len;
  const char *value;
  size_t value_len;
} ski_header;

typedef struct ski_request {
  size_t size;              /* sizeof(ski_request) */
  const char *method;       /* e.g. "GET"; NULL means GET */
  size_t method_len;
  const char *url;          /* absolute URL, e.g. "http://localhost/path?q" */
  size_t url_len;
  const ski_header *headers;
  size_t header_count;      /* at most 65,536 */
  const void *body;         /* NULL: no body */
  size_t body_len;
  uint32_t cpu_ms;          /* this call's CPU limit; 0: the instance's */
  uint32_t wall_ms;         /* this call's wall time limit; 0: the instance's */
} ski_request;

typedef struct ski_response {
  size_t size;              /* set by the caller to sizeof(ski_response) */
  int status;
  const char *status_text;
  size_t status_text_len;
  const ski_header *headers; /* in the Headers iteration order; Set-Cookie repeated */
  size_t header_count;
  const void *body;
  size_t body_len;
} ski_response;

/* Owner thread of inst. Sends one request to the loaded worker and runs it until it
 * completes or awaits. Everything in *req is copied. On success *out is a new call,
 * whatever the worker does; read its outcome with ski_call_response. */
SKI_API int ski_call_start(ski_instance_t inst, const ski_request *req, ski_call_t *out);

/* Owner thread. 0 and *out filled when the call completed with a Response; SKI_EAGAIN
 * while it is pending (drive the loop); otherwise the worker's failure code, with
 * ski_last_error() set to its message. The memory *out points to is owned by the call
 * and valid until ski_call_free. */
SKI_API int ski_call_response(ski_call_t call, ski_response *out);

/* Owner thread; blocks for at most timeout_ms (-1: no limit, 0: one pass). Runs the
 * call's loop (other calls progress too) until this call is done: 0, then read it with
 * ski_call_response; SKI_EAGAIN at the timeout. */
SKI_API int ski_call_wait(ski_call_t call, int timeout_ms);

/* Owner thread. Releases the call. A pending call's JS is not stopped (it goes on when the
 * loop runs for other work); its result is dropped, and nothing waits for it. */
SKI_API int ski_call_free(ski_call_t call);

#ifdef __cplusplus
}
#endif
#endif /* SKI_H */
