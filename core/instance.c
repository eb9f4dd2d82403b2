/* An instance: one isolate + context running one worker bundle, on its loop's thread. */
#include "runtime.h"

#include <stdlib.h>
#include <string.h>

int ski_instance_new(ski_loop_t loop_handle, const ski_instance_options *opts, ski_instance_t *out) {
  if (!out) return ski_fail(SKI_EINVAL, "ski_instance_new: out is NULL");
  if (opts && opts->size < sizeof(ski_instance_options))
    return ski_fail(SKI_EINVAL, "ski_instance_options.size is %zu, expected at least %zu",
                    opts->size, sizeof(ski_instance_options));
  ski_loop *loop;
  int rc = ski_handle_get(loop_handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  ski_instance *inst = calloc(1, sizeof *inst);
  if (!inst) return ski_fail(SKI_ENOMEM, "out of memory allocating an instance");
  inst->loop = loop;
  rc = ski_engine_new(ski_call_settle, inst, &inst->engine);
  if (rc == SKI_OK) rc = ski_handle_new(SKI_KIND_INSTANCE, inst, &inst->handle);
  if (rc != SKI_OK) {
    if (inst->engine) ski_engine_free(inst->engine);
    free(inst);
    return rc;
  }
  loop->instance_count++;
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

int ski_instance_free(ski_instance_t handle) {
  ski_instance *inst;
  int rc = ski_handle_release(handle, SKI_KIND_INSTANCE, (void **)&inst);
  if (rc != SKI_OK) return rc;
  ski_calls_fail_pending(inst->loop, inst, SKI_ECANCELED,
                         "the instance was destroyed while the call was in flight");
  ski_engine_free(inst->engine);
  inst->loop->instance_count--;
  free(inst);
  return SKI_OK;
}
