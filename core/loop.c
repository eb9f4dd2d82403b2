/* A loop: one per thread that runs JS, owning a libuv loop, its instances, and the
 * calls in flight on them. */
#include "runtime.h"

#include <stdlib.h>

int ski_loop_new(ski_loop_t *out) {
  if (!out) return ski_fail(SKI_EINVAL, "ski_loop_new: out is NULL");
  int rc = ski_init(NULL);
  if (rc != SKI_OK) return rc;
  ski_loop *loop = calloc(1, sizeof *loop);
  if (!loop) return ski_fail(SKI_ENOMEM, "out of memory allocating a loop");
  int uvrc = uv_loop_init(&loop->uv);
  if (uvrc != 0) {
    free(loop);
    return ski_fail(SKI_ENOMEM, "uv_loop_init: %s", uv_strerror(uvrc));
  }
  uv_timer_init(&loop->uv, &loop->run_timeout);
  uv_unref((uv_handle_t *)&loop->run_timeout);
  ski_link_init(&loop->instances);
  rc = ski_handle_new(SKI_KIND_LOOP, loop, &loop->handle);
  if (rc != SKI_OK) {
    uv_close((uv_handle_t *)&loop->run_timeout, NULL);
    uv_run(&loop->uv, UV_RUN_NOWAIT);
    uv_loop_close(&loop->uv);
    free(loop);
    return rc;
  }
  *out = loop->handle;
  return SKI_OK;
}

int ski_loop_free(ski_loop_t handle) {
  ski_loop *loop;
  int rc = ski_handle_get(handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  size_t live = loop->instance_count - loop->retired_count;
  if (live)
    return ski_fail(SKI_EBUSY, "loop 0x%llx still has %zu instance(s); free them first",
                    (unsigned long long)handle, live);
  ski_handle_release(handle, SKI_KIND_LOOP, (void **)&loop);
  /* Retired instances still finishing are the loop's own: cancel what they had left. */
  while (!ski_link_empty(&loop->instances))
    ski_instance_destroy(SKI_CONTAINER(loop->instances.next, ski_instance, link));
  while (loop->spare_count) ski_engine_free(loop->spares[--loop->spare_count]);
  uv_close((uv_handle_t *)&loop->run_timeout, NULL);
  uv_run(&loop->uv, UV_RUN_DEFAULT); /* runs the close callbacks; nothing else is left */
  uv_loop_close(&loop->uv);
  ski_console_sink_free(&loop->console);
  free(loop);
  return SKI_OK;
}

static void on_run_timeout(uv_timer_t *timer) {
  ski_loop *loop = SKI_CONTAINER(timer, ski_loop, run_timeout);
  loop->timed_out = true;
}

static bool drive_done(ski_loop *loop, ski_call *call) {
  if (call) return call->code != SKI_EAGAIN;
  return loop->pending_calls == 0 && loop->background == 0;
}

/* Nothing left in the loop (no timer, no I/O) can settle a pending call: fail them all
 * rather than block forever, and let retired instances go. Background tasks stuck the
 * same way are not waited for. */
static void stall(ski_loop *loop) {
  ski_calls_fail_pending(loop, NULL, SKI_ESTALLED,
                         "the handler's promise is still pending, but no timer or I/O is "
                         "left that could settle it");
  ski_link *node = loop->instances.next;
  while (node != &loop->instances) {
    ski_link *next = node->next;
    ski_instance *inst = SKI_CONTAINER(node, ski_instance, link);
    if (inst->retired) ski_instance_destroy(inst);
    node = next;
  }
}

int ski_loop_drive(ski_loop *loop, int timeout_ms, ski_call *call) {
  if (timeout_ms < -1) return ski_fail(SKI_EINVAL, "timeout_ms is %d; use -1 for no limit", timeout_ms);
  loop->timed_out = false;
  if (timeout_ms == 0) {
    /* A host-driven pass runs whatever is due, whether or not a call waits for it: a
     * timer a handler left behind fires when its host comes back as next_deadline said. */
    if (uv_loop_alive(&loop->uv)) uv_run(&loop->uv, UV_RUN_NOWAIT);
  } else {
    if (timeout_ms > 0) uv_timer_start(&loop->run_timeout, on_run_timeout, (uint64_t)timeout_ms, 0);
    while (!drive_done(loop, call)) {
      if (!uv_loop_alive(&loop->uv)) {
        stall(loop);
        break;
      }
      uv_run(&loop->uv, UV_RUN_ONCE);
      if (loop->timed_out) break;
    }
  }
  uv_timer_stop(&loop->run_timeout);
  if (!drive_done(loop, call)) {
    if (!uv_loop_alive(&loop->uv)) stall(loop);
    if (!drive_done(loop, call))
      return ski_fail(SKI_EAGAIN, "%s still pending after %d ms", call ? "the call is" : "work is",
                      timeout_ms);
  }
  return SKI_OK;
}

int ski_loop_run(ski_loop_t handle, int timeout_ms) {
  ski_loop *loop;
  int rc = ski_handle_get(handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  return ski_loop_drive(loop, timeout_ms, NULL);
}

int ski_loop_next_deadline(ski_loop_t handle, int *timeout_ms) {
  ski_loop *loop;
  int rc = ski_handle_get(handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  if (!timeout_ms) return ski_fail(SKI_EINVAL, "ski_loop_next_deadline: timeout_ms is NULL");
  uv_update_time(&loop->uv);
  /* libuv answers 0 for a loop with nothing to do (its run would return at once);
   * a host must hear "nothing scheduled" instead. */
  *timeout_ms = uv_loop_alive(&loop->uv) ? uv_backend_timeout(&loop->uv) : -1;
  return SKI_OK;
}

int ski_loop_fd(ski_loop_t handle, int *fd) {
  ski_loop *loop;
  int rc = ski_handle_get(handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  if (!fd) return ski_fail(SKI_EINVAL, "ski_loop_fd: fd is NULL");
  *fd = uv_backend_fd(&loop->uv);
  return SKI_OK;
}

int ski_loop_get_stats(ski_loop_t handle, ski_loop_stats *out) {
  ski_loop *loop;
  int rc = ski_handle_get(handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  if (!out || out->size < sizeof(ski_loop_stats))
    return ski_fail(SKI_EINVAL, "ski_loop_get_stats: out is NULL or out->size is too small");
  out->instances = loop->instance_count - loop->retired_count;
  out->retiring = loop->retired_count;
  out->calls = loop->pending_calls;
  out->tasks = loop->background;
  out->spares = loop->spare_count;
  return SKI_OK;
}
