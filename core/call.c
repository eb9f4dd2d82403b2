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

void ski_calls_fail_pending(ski_loop *loop, ski_instance *instance, int code, const char *message) {
  ski_link *node = loop->pending_calls.next;
  while (node != &loop->pending_calls) {
    ski_link *next = node->next;
    ski_call *call = SKI_CONTAINER(node, ski_call, link);
    if (!instance || call->instance == instance) call_settle(call, code, message, NULL);
    node = next;
  }
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
  if (inst->state != SKI_INSTANCE_LOADED)
    return ski_fail(SKI_ESTATE, "instance 0x%llx has no worker loaded%s",
                    (unsigned long long)inst_handle,
                    inst->state == SKI_INSTANCE_FAILED ? " (its load failed)" : "");

  ski_call *call = calloc(1, sizeof *call);
  if (!call) return ski_fail(SKI_ENOMEM, "out of memory allocating a call");
  call->code = SKI_EAGAIN;
  call->instance = inst;
  rc = ski_handle_new(SKI_KIND_CALL, call, &call->handle);
  if (rc != SKI_OK) {
    free(call);
    return rc;
  }
  ski_link_push(&inst->loop->pending_calls, &call->link);
  inst->pending_calls++;
  rc = ski_engine_dispatch(inst->engine, call->handle, req);
  if (rc != SKI_OK) {
    inst->pending_calls--;
    ski_link_remove(&call->link);
    ski_handle_release(call->handle, SKI_KIND_CALL, (void **)&call);
    free(call->response);
    free(call);
    return rc;
  }
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
  }
  free(call->response);
  free(call->message);
  free(call);
  if (inst) ski_instance_reap_if_idle(inst); /* a retired instance need not finish it */
  return SKI_OK;
}
