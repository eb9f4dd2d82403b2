/* An instance: one isolate + context running one worker bundle, on its loop's thread. */
#include "runtime.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void on_timer(uv_timer_t *timer) {
  ski_instance *inst = timer->data;
  ski_engine_run_timers(inst->engine);
  ski_instance_reap_if_idle(inst);
}

static void arm_timer(void *host, double delay_ms) {
  ski_instance *inst = host;
  if (delay_ms < 0) {
    uv_timer_stop(inst->timer);
    return;
  }
  /* The loop's clock is cached per iteration; a long handler would make it stale and
   * the timer fire early (harmless, but a wasted wake-up). */
  uv_update_time(&inst->loop->uv);
  double ms = ceil(delay_ms);
  uv_timer_start(inst->timer, on_timer, ms > 1e12 ? (uint64_t)1e12 : (uint64_t)ms, 0);
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

static const ski_engine_callbacks engine_callbacks = {
    .settle = ski_call_settle,
    .arm_timer = arm_timer,
    .background = background_changed,
    .console = console_line,
};

static void timer_closed(uv_handle_t *handle) { free(handle); }

int ski_instance_new(ski_loop_t loop_handle, const ski_instance_options *opts, ski_instance_t *out) {
  if (!out) return ski_fail(SKI_EINVAL, "ski_instance_new: out is NULL");
  if (opts && opts->size < sizeof(ski_instance_options))
    return ski_fail(SKI_EINVAL, "ski_instance_options.size is %zu, expected at least %zu",
                    opts->size, sizeof(ski_instance_options));
  ski_loop *loop;
  int rc = ski_handle_get(loop_handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  ski_instance *inst = calloc(1, sizeof *inst);
  uv_timer_t *timer = malloc(sizeof *timer);
  if (!inst || !timer) {
    free(inst);
    free(timer);
    return ski_fail(SKI_ENOMEM, "out of memory allocating an instance");
  }
  inst->loop = loop;
  inst->timer = timer;
  uv_timer_init(&loop->uv, timer);
  timer->data = inst;
  ski_link_init(&inst->link);
  rc = ski_engine_new(&engine_callbacks, inst, &inst->engine);
  if (rc == SKI_OK) rc = ski_handle_new(SKI_KIND_INSTANCE, inst, &inst->handle);
  if (rc != SKI_OK) {
    if (inst->engine) ski_engine_free(inst->engine);
    uv_close((uv_handle_t *)timer, timer_closed);
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
  rc = ski_engine_load(inst->engine, name && *name ? name : "worker.js", source ? source : "", len);
  inst->state = rc == SKI_OK ? SKI_INSTANCE_LOADED : SKI_INSTANCE_FAILED;
  return rc;
}

void ski_instance_destroy(ski_instance *inst) {
  ski_loop *loop = inst->loop;
  ski_calls_fail_pending(loop, inst, SKI_ECANCELED,
                         "the instance was destroyed while the call was in flight");
  ski_engine_free(inst->engine);
  uv_close((uv_handle_t *)inst->timer, timer_closed);
  loop->background -= inst->background;
  loop->instance_count--;
  if (inst->retired) loop->retired_count--;
  ski_link_remove(&inst->link);
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
