/* Process-wide state: V8 starts once, in the process that will run JS, and never stops. */
#include "internal.h"
#include "v8/engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef SKI_VERSION_STRING
#error "the build defines SKI_VERSION_STRING"
#endif

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int init_status = 1; /* 1: not yet tried; then 0 or the failure code, for good */
static char init_failure[512];
static atomic_long init_pid;
static atomic_bool forked_child;

/* V8's platform threads do not survive fork(); a child that used the parent's V8 would
 * run with half a runtime (and hang at exit). A flag, not getpid(), keeps the check off
 * the syscall path of every handle lookup. */
static void mark_forked_child(void) { atomic_store(&forked_child, true); }

bool ski_is_forked_child(void) { return atomic_load_explicit(&forked_child, memory_order_relaxed); }

long ski_init_pid(void) { return atomic_load(&init_pid); }

int ski_init(const ski_init_options *opts) {
  if (opts && opts->size < sizeof(ski_init_options))
    return ski_fail(SKI_EINVAL, "ski_init_options.size is %zu, expected at least %zu",
                    opts->size, sizeof(ski_init_options));
  pthread_mutex_lock(&init_lock);
  int rc = init_status;
  if (ski_is_forked_child()) {
    rc = ski_fail(SKI_EFORKED, "ski was initialised in process %ld; forked child %ld cannot use it",
                  ski_init_pid(), (long)getpid());
  } else if (rc == 1) {
    rc = ski_engine_init(opts ? opts->v8_flags : NULL, opts ? opts->snapshot_path : NULL);
    if (rc == SKI_OK) {
      atomic_store(&init_pid, (long)getpid());
      pthread_atfork(NULL, NULL, mark_forked_child);
    } else {
      snprintf(init_failure, sizeof init_failure, "%s", ski_last_error());
    }
    init_status = rc;
  } else if (rc != SKI_OK) {
    ski_fail(rc, "%s", init_failure); /* V8 cannot be started twice: the first failure stands */
  }
  pthread_mutex_unlock(&init_lock);
  return rc;
}

int ski_abi_version(void) { return SKI_ABI_VERSION; }

static char version_text[128];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void version_make(void) {
  snprintf(version_text, sizeof version_text, "ski %s (abi %d; V8 %s)", SKI_VERSION_STRING,
           SKI_ABI_VERSION, ski_engine_v8_version());
}

const char *ski_version(void) {
  pthread_once(&version_once, version_make);
  return version_text;
}
