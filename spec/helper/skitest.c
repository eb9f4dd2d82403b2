/* Test helper for the specs: runs one libski call on a second thread, so a spec can
 * prove that every handle-taking function answers SKI_EWRONGTHREAD there. */
#include <pthread.h>
#include <stdint.h>

typedef int (*abi_fn)(uint64_t, uint64_t, uint64_t, uint64_t);

typedef struct job {
  abi_fn fn;
  uint64_t args[4];
  int result;
} job;

static void *run_job(void *arg) {
  job *j = arg;
  j->result = j->fn(j->args[0], j->args[1], j->args[2], j->args[3]);
  return NULL;
}

/* Calls fn with up to four integer or pointer arguments on a new thread and returns its
 * status, or -1000 if the thread could not be started. Every ski_* function takes only
 * integer-class arguments, which the x86-64 and AArch64 calling conventions pass in
 * registers, so calling through this wider type passes them unchanged. */
__attribute__((visibility("default"))) int skitest_call_on_thread(void *fn, int nargs, const uint64_t *args) {
  job j = {.result = -1000};
  *(void **)&j.fn = fn;
  for (int i = 0; i < nargs && i < 4; i++) j.args[i] = args[i];
  pthread_t t;
  if (pthread_create(&t, NULL, run_job, &j) != 0) return -1000;
  pthread_join(t, NULL);
  return j.result;
}
