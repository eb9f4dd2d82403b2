/* A call: one request in flight on an instance, from ski_call_start to ski_call_free. */
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

static void call_settle(ski_call *call, int code, const char *message, ski_response *response) {
  call->code = code;
  call->response = response;
  if (code != SKI_OK) {
    const char *text = message && *message ? message : ski_strerror(code);
    call->message = strdup(text);
  }
  call->instance->pending_calls--;
  call->instance->loop->pending_calls--;
  call->instance = NULL;
  ski_link_remove(&call->link);
}

void ski_call_settle(void *host, uint64_t token, const ski_engine_outcome *outcome) {
  (void)host;
  ski_call *call = ski_handle_peek(token, SKI_KIND_CALL);
  if (!call || call->code != SKI_EAGAIN) { /* freed by the host meanwhile, or settled */
    free(outcome->response);
    return;
  }
  call_settle(call, outcome->code, outcome->message, outcome->response);
}

void ski_call_fail(ski_call *call, int code, const char *message) {
  if (call->code == SKI_EAGAIN) call_settle(call, code, message, NULL);
}

static void instance_fail_pending(ski_instance *inst, int code, const char *message) {
  while (!ski_link_empty(&inst->pending))
    call_settle(SKI_CONTAINER(inst->pending.next, ski_call, link), code, message, NULL);
}

void ski_calls_fail_pending(ski_loop *loop, ski_instance *instance, int code, const char *message) {
  if (instance) {
    instance_fail_pending(instance, code, message);
    return;
  }
  for (ski_link *n = loop->instances.next; n != &loop->instances; n = n->next)
    instance_fail_pending(SKI_CONTAINER(n, ski_instance, link), code, message);
}

int ski_call_start(ski_instance_t inst_handle, const ski_request *req, ski_call_t *out) {
  if (!out) return ski_fail(SKI_EINVAL, "ski_call_start: out is NULL");
  ski_instance *inst;
  int rc = ski_handle_get(inst_handle, SKI_KIND_INSTANCE, (void **)&inst);
  if (rc != SKI_OK) return rc;
  if (!req) return ski_fail(SKI_EINVAL, "ski_call_start: req is NULL");
  if (req->size < sizeof(ski_request))
    return ski_fail(SKI_EINVAL, "ski_request.size is %zu, expected at least %zu", req->size,
                    sizeof(ski_request));
  if (!req->url || !req->url_len) return ski_fail(SKI_EINVAL, "ski_request.url is empty");
  if (!req->method && req->method_len)
    return ski_fail(SKI_EINVAL, "ski_request.method is NULL but method_len is %zu", req->method_len);
  if (!req->headers && req->header_count)
    return ski_fail(SKI_EINVAL, "ski_request.headers is NULL but header_count is %zu",
                    req->header_count);
  for (size_t i = 0; i < req->header_count; i++)
    if ((!req->headers[i].name && req->headers[i].name_len) ||
        (!req->headers[i].value && req->headers[i].value_len))
      return ski_fail(SKI_EINVAL, "ski_request.headers[%zu] has a NULL name or value", i);
  if (!req->body && req->body_len)
    return ski_fail(SKI_EINVAL, "ski_request.body is NULL but body_len is %zu", req->body_len);
  if (inst->state == SKI_INSTANCE_DEAD)
    return ski_fail(SKI_EDEAD, "instance 0x%llx is dead: %s", (unsigned long long)inst_handle,
                    inst->dead_message ? inst->dead_message : ski_strerror(inst->dead));
  if (inst->state != SKI_INSTANCE_LOADED)
    return ski_fail(SKI_ESTATE, "instance 0x%llx has no worker loaded%s",
                    (unsigned long long)inst_handle,
                    inst->state == SKI_INSTANCE_FAILED ? " (its load failed)" : "");

  ski_call *call = calloc(1, sizeof *call);
  if (!call) return ski_fail(SKI_ENOMEM, "out of memory allocating a call");
  call->code = SKI_EAGAIN;
  call->instance = inst;
  call->cpu_limit = (int64_t)(req->cpu_ms ? req->cpu_ms : inst->cpu_ms) * 1000000;
  int64_t now = ski_monotonic_ns();
  call->wall_ms = req->wall_ms ? req->wall_ms : inst->wall_ms;
  call->wall_deadline = now + (int64_t)call->wall_ms * 1000000;
  rc = ski_handle_new(SKI_KIND_CALL, call, &call->handle);
  if (rc != SKI_OK) {
    free(call);
    return rc;
  }
  ski_run run;
  ski_run_begin(inst, call, now, &run);
  ski_link_push(&inst->pending, &call->link);
  inst->pending_calls++;
  inst->loop->pending_calls++;
  inst->calls_started++;
  rc = ski_engine_dispatch(inst->engine, call->handle, req);
  if (rc != SKI_OK && rc != SKI_ETERMINATED) { /* a host error: no call was started */
    ski_run_end(inst, &run, SKI_OK);
    if (call->code == SKI_EAGAIN) {
      inst->pending_calls--;
      inst->loop->pending_calls--;
      ski_link_remove(&call->link);
    }
    int code = ski_fail(rc, "%s", ski_last_error());
    ski_handle_release(call->handle, SKI_KIND_CALL, (void **)&call);
    free(call->response);
    free(call->message);
    free(call);
    return code;
  }
  ski_run_end(inst, &run, rc); /* a limit hit fails the call with the instance */
  if (call->code == SKI_EAGAIN) ski_instance_watch_wall(inst, call);
  *out = call->handle;
  return SKI_OK;
}

int ski_call_response(ski_call_t handle, ski_response *out) {
  ski_call *call;
  int rc = ski_handle_get(handle, SKI_KIND_CALL, (void **)&call);
  if (rc != SKI_OK) return rc;
  if (!out) return ski_fail(SKI_EINVAL, "ski_call_response: out is NULL");
  if (out->size < sizeof(ski_response))
    return ski_fail(SKI_EINVAL, "ski_response.size is %zu, expected at least %zu", out->size,
                    sizeof(ski_response));
  if (call->code == SKI_EAGAIN)
    return ski_fail(SKI_EAGAIN, "call 0x%llx is still pending; drive its loop",
                    (unsigned long long)handle);
  if (call->code != SKI_OK) return ski_fail(call->code, "%s", call->message ? call->message : "");
  size_t size = out->size;
  memcpy(out, call->response, sizeof(ski_response));
  out->size = size;
  return SKI_OK;
}

int ski_call_wait(ski_call_t handle, int timeout_ms) {
  ski_call *call;
  int rc = ski_handle_get(handle, SKI_KIND_CALL, (void **)&call);
  if (rc != SKI_OK) return rc;
  if (call->code != SKI_EAGAIN) return SKI_OK;
  return ski_loop_drive(call->instance->loop, timeout_ms, call);
}

int ski_call_free(ski_call_t handle) {
  ski_call *call;
  int rc = ski_handle_release(handle, SKI_KIND_CALL, (void **)&call);
  if (rc != SKI_OK) return rc;
  ski_instance *inst = call->code == SKI_EAGAIN ? call->instance : NULL;
  if (inst) {
    ski_link_remove(&call->link);
    inst->pending_calls--;
    inst->loop->pending_calls--;
  }
  free(call->response);
  free(call->message);
  free(call);
  if (inst) ski_instance_reap_if_idle(inst); /* a retired instance need not finish it */
  return SKI_OK;
}
