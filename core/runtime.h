/* The objects behind the loop, instance and call handles, shared by loop.c,
 * instance.c and call.c. */
#ifndef SKI_RUNTIME_H
#define SKI_RUNTIME_H

#include "internal.h"
#include "v8/engine.h"
#include "watchdog.h"

#include <uv.h>

typedef struct ski_link {
  struct ski_link *prev, *next;
} ski_link;

static inline void ski_link_init(ski_link *head) { head->prev = head->next = head; }
static inline bool ski_link_empty(const ski_link *head) { return head->next == head; }
static inline void ski_link_push(ski_link *head, ski_link *node) {
  node->prev = head->prev;
  node->next = head;
  head->prev->next = node;
  head->prev = node;
}
static inline void ski_link_remove(ski_link *node) {
  node->prev->next = node->next;
  node->next->prev = node->prev;
  node->prev = node->next = node;
}
#define SKI_CONTAINER(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

typedef struct ski_console_entry {
  ski_instance_t instance;
  int level;
  char *text;
  size_t len;
  size_t dropped;
} ski_console_entry;

/* Where console lines go (console.c): stderr, a host callback, or a bounded ring. */
typedef struct ski_console_sink {
  ski_console_fn fn;
  void *userdata;
  ski_console_entry *ring; /* buffering when non-NULL */
  size_t cap, head, count;
  size_t dropped;          /* lost with no kept line after them yet */
  char *taken;             /* text of the line last handed out, freed on the next take */
} ski_console_sink;

#define SKI_MAX_SPARES 16

typedef struct ski_loop {
  uint64_t handle;
  uv_loop_t uv;
  uv_timer_t run_timeout; /* bounds a blocking run; unref'd so it never keeps the loop alive */
  bool timed_out;
  size_t instance_count;  /* live and retired */
  size_t retired_count;
  size_t background;      /* ctx.waitUntil() promises pending, over all instances */
  ski_link instances;     /* ski_instance.link */
  size_t pending_calls;   /* calls not yet settled, over all instances */
  ski_console_sink console;
  ski_engine *spares[SKI_MAX_SPARES]; /* prewarmed engines with the default limits */
  size_t spare_count;
} ski_loop;

typedef enum ski_instance_state {
  SKI_INSTANCE_EMPTY,
  SKI_INSTANCE_LOADED,
  SKI_INSTANCE_FAILED,
  SKI_INSTANCE_DEAD, /* a limit was hit; its engine is gone */
} ski_instance_state;

typedef struct ski_instance {
  uint64_t handle;        /* 0 once retired: the host no longer holds it */
  ski_loop *loop;
  ski_engine *engine;     /* NULL once dead */
  ski_instance_state state;
  uv_timer_t *timer;      /* fires the JS layer's earliest timer; freed by its close callback */
  uv_timer_t *wall_timer; /* fails calls that wait past their wall time; unref'd */
  uv_async_t *tasks_wake;  /* V8 posted foreground tasks (from any thread); unref'd */
  uv_timer_t *tasks_timer; /* the next delayed V8 task is due; unref'd */
  uint32_t host_work;      /* V8 operations JS awaits (tasks_wake is ref'd while > 0) */
  int64_t wall_armed;     /* deadline wall_timer is armed for (monotonic ns); 0: none */
  ski_guard *guard;       /* when a watchdog is attached */
  uint32_t cpu_ms, wall_ms, heap_mb, arraybuffer_mb; /* effective limits */
  uint32_t run_cpu_limit_ms; /* the CPU limit the current run is held to */
  ski_link pending;       /* ski_call.link of its calls not yet settled */
  size_t pending_calls;
  uint32_t background;    /* ctx.waitUntil() promises pending */
  bool retired;           /* freed by the loop once idle */
  int dead;               /* the code that killed it */
  char *dead_message;
  uint64_t calls_started, cpu_ns, terminations;
  ski_link link;          /* in loop->instances */
} ski_instance;

typedef struct ski_call {
  uint64_t handle;
  ski_instance *instance; /* NULL once settled */
  int code;               /* SKI_EAGAIN while pending, then 0 or the failure */
  char *message;          /* failure text */
  ski_response *response; /* on success: one block owning all response memory */
  int64_t wall_deadline;  /* monotonic ns */
  uint32_t wall_ms;       /* the wall limit the deadline came from, for messages */
  int64_t cpu_limit, cpu_used; /* ns */
  ski_link link;          /* in instance->pending while pending */
} ski_call;

/* instance.c: the engine limits of an instance made with default options. */
ski_engine_limits ski_default_engine_limits(void);

/* instance.c: destroys an instance (its handle already released), canceling its calls. */
void ski_instance_destroy(ski_instance *inst);
/* instance.c: frees a retired instance that has nothing left in flight. */
void ski_instance_reap_if_idle(ski_instance *inst);
/* instance.c: a run of JS on inst (load, dispatch, timers), guarded by its limits.
 * `extra` is a call about to start, counted with the pending ones; `now` the monotonic
 * time if the caller has just read it, else 0. run_end returns rc, or the limit code if
 * the run was stopped (the instance is then dead). */
typedef struct ski_run {
  int64_t started; /* monotonic ns; 0: not timed (no watchdog) */
  ski_call *owner; /* the call a dispatch run starts; NULL for timers and loads */
} ski_run;
void ski_run_begin(ski_instance *inst, ski_call *extra, int64_t now, ski_run *run);
int ski_run_end(ski_instance *inst, ski_run *run, int rc);
/* instance.c: arms the wall-time timer for a call that is left waiting. */
void ski_instance_watch_wall(ski_instance *inst, ski_call *call);

/* console.c: routes one line from `instance` (0 if retired); frees the sink's memory. */
void ski_console_emit(ski_loop *loop, ski_instance_t instance, int level, const char *text, size_t len);
void ski_console_sink_free(ski_console_sink *sink);

/* call.c: settles every pending call of `instance` (or of every instance of `loop` when
 * instance is NULL) with `code` and `message`. */
void ski_calls_fail_pending(ski_loop *loop, ski_instance *instance, int code, const char *message);
/* call.c: fails one pending call (nothing if it is settled already). */
void ski_call_fail(ski_call *call, int code, const char *message);
/* loop.c: runs `loop` until `call` settles (or, when NULL, until no call or background
 * task is pending), or timeout_ms passes; SKI_EAGAIN then. */
int ski_loop_drive(ski_loop *loop, int timeout_ms, ski_call *call);
/* call.c: the engine's settle callback. */
void ski_call_settle(void *host, uint64_t token, const ski_engine_outcome *outcome);

#endif
