/* An instance: one isolate + context running one worker bundle, on its loop's thread,
 * with its limits: every run of its JS is a guarded run (ski_run_begin/ski_run_end). */
#include "runtime.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Safe for a multi-tenant host; documented in ffi/ski.h. */
enum {
  DEFAULT_CPU_MS = 50,
  DEFAULT_WALL_MS = 30000,
  DEFAULT_HEAP_MB = 128,
  DEFAULT_ARRAYBUFFER_MB = 128,
  DEFAULT_STACK_KB = 512,
  MIN_HEAP_MB = 8,
};

#define MS 1000000LL

static void kill_instance(ski_instance *inst, int code, ski_call *culprit);

static void on_timer(uv_timer_t *timer) {
  ski_instance *inst = timer->data;
  ski_run run;
  ski_run_begin(inst, NULL, 0, &run);
  int rc = ski_engine_run_timers(inst->engine);
  if (ski_run_end(inst, &run, rc) == SKI_OK) ski_instance_reap_if_idle(inst);
}

/* Starts `timer` for delay_ms (rounded up). The loop's clock is cached per iteration; a
 * long run of JS would make it stale and the timer fire early (harmless, but a wasted
 * wake-up). */
static void start_timer(ski_instance *inst, uv_timer_t *timer, uv_timer_cb cb, double delay_ms) {
  uv_update_time(&inst->loop->uv);
  double ms = ceil(delay_ms);
  uv_timer_start(timer, cb, ms > 1e12 ? (uint64_t)1e12 : (uint64_t)ms, 0);
}

static void arm_timer(void *host, double delay_ms) {
  ski_instance *inst = host;
  if (delay_ms < 0) uv_timer_stop(inst->timer);
  else start_timer(inst, inst->timer, on_timer, delay_ms);
}

static void background_changed(void *host, uint32_t count) {
  ski_instance *inst = host;
  inst->loop->background = inst->loop->background - inst->background + count;
  inst->background = count;
}

static void console_line(void *host, int level, const char *text, size_t len) {
  ski_instance *inst = host;
  ski_console_emit(inst->loop, inst->handle, level, text, len);
}

static void on_tasks_timer(uv_timer_t *timer);

/* Any thread: V8 posted a foreground task for this instance's isolate. */
static void wake_tasks(void *host) {
  ski_instance *inst = host;
  uv_async_send(inst->tasks_wake);
}

/* V8's own work for the isolate (GC jobs, FinalizationRegistry callbacks): a guarded
 * run like a timer's. The handles are unref'd: this work never keeps a loop alive, so a
 * call waiting on nothing else is still reported stalled. */
static void run_tasks(ski_instance *inst) {
  if (!inst->engine || inst->state == SKI_INSTANCE_DEAD) return;
  ski_run run;
  ski_run_begin(inst, NULL, 0, &run);
  double next_ms;
  int rc = ski_engine_run_tasks(inst->engine, &next_ms);
  if (ski_run_end(inst, &run, rc) != SKI_OK) return; /* a limit killed the instance */
  if (next_ms >= 0) start_timer(inst, inst->tasks_timer, on_tasks_timer, next_ms);
  ski_instance_reap_if_idle(inst);
}

static void on_tasks_wake(uv_async_t *async) { run_tasks(async->data); }
static void on_tasks_timer(uv_timer_t *timer) { run_tasks(timer->data); }

/* A WebAssembly compile is awaited: its completion arrives as a V8 task, so until then
 * the wake-up handle keeps the loop alive (a call waiting on it is not stalled). */
static void host_work_changed(void *host, uint32_t count) {
  ski_instance *inst = host;
  if (count && !inst->host_work) uv_ref((uv_handle_t *)inst->tasks_wake);
  if (!count && inst->host_work) uv_unref((uv_handle_t *)inst->tasks_wake);
  inst->host_work = count;
}

static const ski_engine_callbacks engine_callbacks = {
    .settle = ski_call_settle,
    .arm_timer = arm_timer,
    .background = background_changed,
    .console = console_line,
    .wake = wake_tasks,
    .host_work = host_work_changed,
};

/* ---- limits ---------------------------------------------------------------------------- */

/* The tightest CPU budget and wall deadline among the calls this run may serve: any of
 * them may be the one its JS is working for. A run serving none (a background timer)
 * gets the instance's own limits. */
void ski_run_begin(ski_instance *inst, ski_call *extra, int64_t now, ski_run *run) {
  run->started = 0;
  run->owner = extra;
  if (!inst->guard) return;
  if (!now) now = ski_monotonic_ns();
  int64_t budget = INT64_MAX, deadline = INT64_MAX, limit = inst->cpu_ms * MS;
  for (ski_link *n = inst->pending.next; n != &inst->pending; n = n->next) {
    ski_call *c = SKI_CONTAINER(n, ski_call, link);
    if (c->cpu_limit - c->cpu_used < budget) budget = c->cpu_limit - c->cpu_used, limit = c->cpu_limit;
    if (c->wall_deadline < deadline) deadline = c->wall_deadline;
  }
  if (extra) {
    if (extra->cpu_limit < budget) budget = extra->cpu_limit, limit = extra->cpu_limit;
    if (extra->wall_deadline < deadline) deadline = extra->wall_deadline;
  }
  inst->run_cpu_limit_ms = (uint32_t)(limit / MS); /* what a CPU stop will say was exceeded */
  if (budget == INT64_MAX) budget = inst->cpu_ms * MS;
  if (deadline == INT64_MAX) deadline = now + inst->wall_ms * MS;
  if (budget < 1) budget = 1;
  run->started = now;
  ski_guard_begin(inst->guard, now, budget, deadline);
}

int ski_run_end(ski_instance *inst, ski_run *run, int rc) {
  int reason = 0;
  if (inst->guard) {
    reason = ski_guard_end(inst->guard);
    /* A run's duration is the CPU time it is charged: the loop thread runs JS from its
     * start to its end (reading the thread's CPU clock here would cost a system call
     * per run). */
    int64_t spent = ski_monotonic_ns() - run->started;
    if (spent > 0) {
      inst->cpu_ns += (uint64_t)spent;
      /* Who pays: a dispatch run, the call it starts; a timer run (whose JS may continue
       * any of the calls in flight), those calls in equal shares. Charging every call the
       * whole of every run would kill busy instances: under load a call that merely waits
       * would pay for all the others. */
      if (run->owner) {
        run->owner->cpu_used += spent;
      } else if (inst->pending_calls) {
        int64_t share = spent / (int64_t)inst->pending_calls;
        for (ski_link *n = inst->pending.next; n != &inst->pending; n = n->next)
          SKI_CONTAINER(n, ski_call, link)->cpu_used += share;
      }
    }
  }
  int limit = ski_engine_limit_hit(inst->engine);
  if (limit) reason = limit;
  if (!reason && rc == SKI_ETERMINATED) reason = SKI_ETERMINATED;
  if (!reason) return rc;
  /* a dispatch run's CPU is its call's own; a timer run's cannot be told apart */
  kill_instance(inst, reason, reason == SKI_ECPULIMIT ? run->owner : NULL);
  return reason;
}

/* What a call the limit stopped is told. Calls in flight beside it fail with the same
 * code (the isolate is gone) but are told it was another call's limit, when ski knows
 * which call that was (a dispatch run's CPU, a wall deadline). */
static void death_text(ski_instance *inst, int code, const ski_call *culprit, bool bystander, char *buf,
                       size_t cap) {
  const char *in_flight = "; the worker was stopped with this call in flight";
  uint32_t cpu_ms = inst->run_cpu_limit_ms ? inst->run_cpu_limit_ms : inst->cpu_ms;
  uint32_t wall_ms = culprit ? culprit->wall_ms : inst->wall_ms;
  switch (code) {
  case SKI_ECPULIMIT:
    if (bystander)
      snprintf(buf, cap, "another call on this instance ran past its CPU time limit (%u ms per call)%s", cpu_ms,
               in_flight);
    else
      snprintf(buf, cap, "the worker ran past its CPU time limit (%u ms per call) and was stopped", cpu_ms);
    break;
  case SKI_ETIMEOUT:
    if (bystander)
      snprintf(buf, cap, "another call on this instance ran past its wall time limit (%u ms)%s", wall_ms, in_flight);
    else
      snprintf(buf, cap, "the call ran past its wall time limit (%u ms) and the worker was stopped", wall_ms);
    break;
  case SKI_EHEAPLIMIT:
    snprintf(buf, cap, "the worker's JS heap reached its limit (%u MB) and the worker was stopped", inst->heap_mb);
    break;
  case SKI_EMEMLIMIT:
    snprintf(buf, cap, "the worker's ArrayBuffers reached their limit (%u MB) and the worker was stopped",
             inst->arraybuffer_mb);
    break;
  default:
    snprintf(buf, cap, "the worker was terminated");
  }
}

/* A limit was hit: the engine is disposed at once (its heap may be huge, its state is
 * suspect), every call in flight fails with the same code, later calls get SKI_EDEAD.
 * Only ever called outside a run, so the isolate is not entered. `culprit`: the call
 * whose limit it was, when known. */
static void kill_instance(ski_instance *inst, int code, ski_call *culprit) {
  char text[256];
  death_text(inst, code, culprit, false, text, sizeof text);
  inst->state = SKI_INSTANCE_DEAD;
  inst->dead = code;
  inst->terminations++;
  free(inst->dead_message);
  inst->dead_message = strdup(text);
  if (culprit && culprit->instance == inst) {
    ski_call_fail(culprit, code, text);
    char other[256];
    death_text(inst, code, culprit, true, other, sizeof other);
    ski_calls_fail_pending(inst->loop, inst, code, other);
  } else {
    ski_calls_fail_pending(inst->loop, inst, code, text);
  }
  uv_timer_stop(inst->timer);
  uv_timer_stop(inst->wall_timer);
  uv_timer_stop(inst->tasks_timer);
  host_work_changed(inst, 0);
  inst->wall_armed = 0;
  background_changed(inst, 0);
  ski_guard_detach(inst->guard);
  inst->guard = NULL;
  ski_engine_free(inst->engine);
  inst->engine = NULL;
  ski_instance_reap_if_idle(inst);
}

static void on_wall_timer(uv_timer_t *timer) {
  ski_instance *inst = timer->data;
  inst->wall_armed = 0;
  int64_t now = ski_monotonic_ns(), next = INT64_MAX;
  for (ski_link *n = inst->pending.next; n != &inst->pending; n = n->next) {
    ski_call *c = SKI_CONTAINER(n, ski_call, link);
    if (c->wall_deadline <= now) {
      kill_instance(inst, SKI_ETIMEOUT, c);
      return;
    }
    if (c->wall_deadline < next) next = c->wall_deadline;
  }
  if (next != INT64_MAX) {
    inst->wall_armed = next;
    uv_timer_start(inst->wall_timer, on_wall_timer, (uint64_t)((next - now + MS - 1) / MS), 0);
  }
}

void ski_instance_watch_wall(ski_instance *inst, ski_call *call) {
  if (inst->wall_armed && inst->wall_armed <= call->wall_deadline) return;
  int64_t now = ski_monotonic_ns();
  int64_t wait = call->wall_deadline > now ? call->wall_deadline - now : 0;
  inst->wall_armed = call->wall_deadline;
  uv_update_time(&inst->loop->uv);
  uv_timer_start(inst->wall_timer, on_wall_timer, (uint64_t)((wait + MS - 1) / MS), 0);
}

/* ---- the ABI ------------------------------------------------------------------------- */

/* Close callback of the instance's handles, each malloc'd on its own. */
static void free_closed_handle(uv_handle_t *handle) { free(handle); }

static uint32_t or_default(uint32_t v, uint32_t def) { return v ? v : def; }

ski_engine_limits ski_default_engine_limits(void) {
  return (ski_engine_limits){
      .heap_bytes = (size_t)DEFAULT_HEAP_MB << 20,
      .arraybuffer_bytes = (size_t)DEFAULT_ARRAYBUFFER_MB << 20,
      .stack_bytes = (size_t)DEFAULT_STACK_KB << 10,
  };
}

/* A prewarmed engine of the loop when it has the limits asked for, else a new one. */
static int take_engine(ski_loop *loop, const ski_engine_limits *limits, ski_engine **out) {
  if (loop->spare_count) {
    ski_engine *spare = loop->spares[loop->spare_count - 1];
    const ski_engine_limits *have = ski_engine_get_limits(spare);
    if (have->heap_bytes == limits->heap_bytes && have->arraybuffer_bytes == limits->arraybuffer_bytes &&
        have->stack_bytes == limits->stack_bytes) {
      loop->spares[--loop->spare_count] = NULL;
      *out = spare;
      return SKI_OK;
    }
  }
  return ski_engine_new(limits, out);
}

int ski_loop_prewarm(ski_loop_t handle, size_t count) {
  ski_loop *loop;
  int rc = ski_handle_get(handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  if (count > SKI_MAX_SPARES) return ski_fail(SKI_EINVAL, "count %zu is more than %d", count, SKI_MAX_SPARES);
  while (loop->spare_count > count) ski_engine_free(loop->spares[--loop->spare_count]);
  ski_engine_limits limits = ski_default_engine_limits();
  while (loop->spare_count < count) {
    rc = ski_engine_new(&limits, &loop->spares[loop->spare_count]);
    if (rc != SKI_OK) return rc;
    loop->spare_count++;
  }
  return SKI_OK;
}

int ski_instance_new(ski_loop_t loop_handle, const ski_instance_options *opts, ski_instance_t *out) {
  if (!out) return ski_fail(SKI_EINVAL, "ski_instance_new: out is NULL");
  if (opts && opts->size < sizeof(ski_instance_options))
    return ski_fail(SKI_EINVAL, "ski_instance_options.size is %zu, expected at least %zu",
                    opts->size, sizeof(ski_instance_options));
  ski_instance_options none = {.size = sizeof none};
  if (!opts) opts = &none;
  if (opts->heap_mb > 65536 || opts->arraybuffer_mb > 1048576 || opts->stack_kb > 65536)
    return ski_fail(SKI_EINVAL, "instance limits out of range (heap_mb %u, arraybuffer_mb %u, stack_kb %u)",
                    opts->heap_mb, opts->arraybuffer_mb, opts->stack_kb);
  /* V8 aborts the process (a fatal OOM while deserialising) when the startup snapshot's
   * heap does not fit; it needs about 5 MB. */
  if (opts->heap_mb && opts->heap_mb < MIN_HEAP_MB)
    return ski_fail(SKI_EINVAL, "heap_mb %u is below the minimum of %u MB (an isolate needs about 5 MB to start)",
                    opts->heap_mb, MIN_HEAP_MB);
  ski_loop *loop;
  int rc = ski_handle_get(loop_handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  ski_instance *inst = calloc(1, sizeof *inst);
  uv_timer_t *timer = malloc(sizeof *timer), *wall_timer = malloc(sizeof *wall_timer);
  uv_timer_t *tasks_timer = malloc(sizeof *tasks_timer);
  uv_async_t *tasks_wake = malloc(sizeof *tasks_wake);
  if (!inst || !timer || !wall_timer || !tasks_timer || !tasks_wake ||
      uv_async_init(&loop->uv, tasks_wake, on_tasks_wake) != 0) {
    free(inst);
    free(timer);
    free(wall_timer);
    free(tasks_timer);
    free(tasks_wake);
    return ski_fail(SKI_ENOMEM, "out of memory allocating an instance");
  }
  inst->loop = loop;
  inst->cpu_ms = or_default(opts->cpu_ms, DEFAULT_CPU_MS);
  inst->wall_ms = or_default(opts->wall_ms, DEFAULT_WALL_MS);
  inst->heap_mb = or_default(opts->heap_mb, DEFAULT_HEAP_MB);
  inst->arraybuffer_mb = or_default(opts->arraybuffer_mb, DEFAULT_ARRAYBUFFER_MB);
  ski_engine_limits limits = {
      .heap_bytes = (size_t)inst->heap_mb << 20,
      .arraybuffer_bytes = (size_t)inst->arraybuffer_mb << 20,
      .stack_bytes = (size_t)or_default(opts->stack_kb, DEFAULT_STACK_KB) << 10,
  };
  inst->timer = timer;
  inst->wall_timer = wall_timer;
  uv_timer_init(&loop->uv, timer);
  uv_timer_init(&loop->uv, wall_timer);
  uv_unref((uv_handle_t *)wall_timer); /* never what keeps a loop alive: stalls stay visible */
  timer->data = wall_timer->data = inst;
  inst->tasks_wake = tasks_wake;
  inst->tasks_timer = tasks_timer;
  uv_timer_init(&loop->uv, tasks_timer);
  uv_unref((uv_handle_t *)tasks_timer);
  uv_unref((uv_handle_t *)tasks_wake);
  tasks_timer->data = tasks_wake->data = inst;
  ski_link_init(&inst->link);
  ski_link_init(&inst->pending);
  rc = take_engine(loop, &limits, &inst->engine);
  if (rc == SKI_OK) rc = ski_engine_adopt(inst->engine, &engine_callbacks, inst);
  if (rc == SKI_OK && opts->watchdog) rc = ski_guard_attach(opts->watchdog, inst->engine, &inst->guard);
  if (rc == SKI_OK) rc = ski_handle_new(SKI_KIND_INSTANCE, inst, &inst->handle);
  if (rc != SKI_OK) {
    ski_guard_detach(inst->guard);
    if (inst->engine) ski_engine_free(inst->engine);
    uv_close((uv_handle_t *)timer, free_closed_handle);
    uv_close((uv_handle_t *)wall_timer, free_closed_handle);
    uv_close((uv_handle_t *)tasks_timer, free_closed_handle);
    uv_close((uv_handle_t *)tasks_wake, free_closed_handle);
    free(inst);
    return rc;
  }
  loop->instance_count++;
  ski_link_push(&loop->instances, &inst->link);
  *out = inst->handle;
  return SKI_OK;
}

int ski_instance_load(ski_instance_t handle, const char *name, const char *source, size_t len) {
  ski_instance *inst;
  int rc = ski_handle_get(handle, SKI_KIND_INSTANCE, (void **)&inst);
  if (rc != SKI_OK) return rc;
  if (!source && len) return ski_fail(SKI_EINVAL, "ski_instance_load: source is NULL");
  if (inst->state != SKI_INSTANCE_EMPTY)
    return ski_fail(SKI_ESTATE, "instance 0x%llx was already loaded; create a new instance",
                    (unsigned long long)handle);
  ski_run run;
  ski_run_begin(inst, NULL, 0, &run);
  rc = ski_engine_load(inst->engine, name && *name ? name : "worker.js", source ? source : "", len);
  rc = ski_run_end(inst, &run, rc);
  if (inst->state == SKI_INSTANCE_DEAD)
    return ski_fail(rc, "%s: %s while loading", name && *name ? name : "worker.js", inst->dead_message);
  inst->state = rc == SKI_OK ? SKI_INSTANCE_LOADED : SKI_INSTANCE_FAILED;
  return rc;
}

int ski_instance_set_env(ski_instance_t handle, const char *json, size_t json_len) {
  ski_instance *inst;
  int rc = ski_handle_get(handle, SKI_KIND_INSTANCE, (void **)&inst);
  if (rc != SKI_OK) return rc;
  if (!json) return ski_fail(SKI_EINVAL, "ski_instance_set_env: json is NULL");
  if (inst->state == SKI_INSTANCE_DEAD)
    return ski_fail(SKI_EDEAD, "instance 0x%llx is dead: %s", (unsigned long long)handle, inst->dead_message);
  ski_run run;
  ski_run_begin(inst, NULL, 0, &run);
  rc = ski_engine_set_env(inst->engine, json, json_len);
  return ski_run_end(inst, &run, rc);
}

void ski_instance_destroy(ski_instance *inst) {
  ski_loop *loop = inst->loop;
  ski_calls_fail_pending(loop, inst, SKI_ECANCELED,
                         "the instance was destroyed while the call was in flight");
  ski_guard_detach(inst->guard);
  if (inst->engine) ski_engine_free(inst->engine); /* no task wakes it after this */
  uv_close((uv_handle_t *)inst->timer, free_closed_handle);
  uv_close((uv_handle_t *)inst->wall_timer, free_closed_handle);
  uv_close((uv_handle_t *)inst->tasks_timer, free_closed_handle);
  uv_close((uv_handle_t *)inst->tasks_wake, free_closed_handle);
  loop->background -= inst->background;
  loop->instance_count--;
  if (inst->retired) loop->retired_count--;
  ski_link_remove(&inst->link);
  free(inst->dead_message);
  free(inst);
}

void ski_instance_reap_if_idle(ski_instance *inst) {
  if (inst->retired && inst->pending_calls == 0 && inst->background == 0) ski_instance_destroy(inst);
}

int ski_instance_free(ski_instance_t handle) {
  ski_instance *inst;
  int rc = ski_handle_release(handle, SKI_KIND_INSTANCE, (void **)&inst);
  if (rc != SKI_OK) return rc;
  ski_instance_destroy(inst);
  return SKI_OK;
}

int ski_instance_retire(ski_instance_t handle) {
  ski_instance *inst;
  int rc = ski_handle_release(handle, SKI_KIND_INSTANCE, (void **)&inst);
  if (rc != SKI_OK) return rc;
  inst->handle = 0;
  inst->retired = true;
  inst->loop->retired_count++;
  ski_instance_reap_if_idle(inst);
  return SKI_OK;
}

int ski_instance_pending(ski_instance_t handle, size_t *calls, size_t *tasks) {
  ski_instance *inst;
  int rc = ski_handle_get(handle, SKI_KIND_INSTANCE, (void **)&inst);
  if (rc != SKI_OK) return rc;
  if (calls) *calls = inst->pending_calls;
  if (tasks) *tasks = inst->background;
  return SKI_OK;
}

int ski_instance_get_stats(ski_instance_t handle, ski_instance_stats *out) {
  ski_instance *inst;
  int rc = ski_handle_get(handle, SKI_KIND_INSTANCE, (void **)&inst);
  if (rc != SKI_OK) return rc;
  if (!out || out->size < sizeof(ski_instance_stats))
    return ski_fail(SKI_EINVAL, "ski_instance_get_stats: out is NULL or out->size is too small");
  out->calls = inst->calls_started;
  out->cpu_ns = inst->cpu_ns;
  out->terminations = inst->terminations;
  out->heap_used = out->heap_limit = out->arraybuffer_bytes = 0;
  if (inst->engine) ski_engine_memory(inst->engine, &out->heap_used, &out->heap_limit, &out->arraybuffer_bytes);
  out->dead = inst->dead;
  return SKI_OK;
}
