/* A loop: one per thread that runs JS, owning a libuv loop and the calls in flight on it. */
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
  ski_link_init(&loop->pending_calls);
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
  if (loop->instance_count)
    return ski_fail(SKI_EBUSY, "loop 0x%llx still has %zu instance(s); free them first",
                    (unsigned long long)handle, loop->instance_count);
  ski_handle_release(handle, SKI_KIND_LOOP, (void **)&loop);
  uv_close((uv_handle_t *)&loop->run_timeout, NULL);
  uv_run(&loop->uv, UV_RUN_DEFAULT); /* runs the close callbacks; nothing else is left */
  uv_loop_close(&loop->uv);
  free(loop);
  return SKI_OK;
}

static void on_run_timeout(uv_timer_t *timer) {
  ski_loop *loop = SKI_CONTAINER(timer, ski_loop, run_timeout);
  loop->timed_out = true;
}

int ski_loop_run(ski_loop_t handle, int timeout_ms) {
  ski_loop *loop;
  int rc = ski_handle_get(handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  if (timeout_ms < -1) return ski_fail(SKI_EINVAL, "timeout_ms is %d; use -1 for no limit", timeout_ms);
  loop->timed_out = timeout_ms == 0;
  if (timeout_ms > 0) uv_timer_start(&loop->run_timeout, on_run_timeout, (uint64_t)timeout_ms, 0);
  for (;;) {
    if (ski_link_empty(&loop->pending_calls)) break;
    if (!uv_loop_alive(&loop->uv)) {
      /* Every pending call waits on a promise, and nothing left in the loop (no timer,
       * no I/O) can ever settle one: fail them rather than block forever. */
      ski_calls_fail_pending(loop, NULL, SKI_ESTALLED,
                             "the handler's promise is still pending, but no timer or I/O "
                             "is left that could settle it");
      break;
    }
    uv_run(&loop->uv, loop->timed_out ? UV_RUN_NOWAIT : UV_RUN_ONCE);
    if (loop->timed_out) break;
  }
  uv_timer_stop(&loop->run_timeout);
  if (!ski_link_empty(&loop->pending_calls))
    return ski_fail(SKI_EAGAIN, "calls are still pending after %d ms", timeout_ms);
  return SKI_OK;
}
