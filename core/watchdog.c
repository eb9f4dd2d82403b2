/* The watchdog thread. Invariant 4: it holds engines only to signal them
 * (ski_engine_terminate is V8's TerminateExecution, safe from any thread) and never
 * enters an isolate.
 *
 * A run that the watchdog stops is always ended by the instance's own thread in
 * ski_guard_end, under the watchdog's lock: the watchdog signals only a guard that is
 * still `running`, so a late signal can never reach a later run. */
#include "watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

/* While runs keep starting, the thread wakes every tick so that a new run need not wake
 * it (a futex wake per call would cost more than a hello call); after LINGER_NS without a
 * new run it sleeps until signalled. Once the thread has seen a run it knows when the run
 * could at the earliest exhaust its budget (CPU time cannot pass faster than wall time)
 * and looks again exactly then, so a tick only has to be shorter than any budget for
 * every run to be seen in time: a quarter of the smallest budget any run was given,
 * between TICK_MIN_NS and TICK_MAX_NS. With the default 50 ms that is ~80 wake-ups a
 * second on a busy loop, not 1000; each one is a context switch on the loop's core. */
#define TICK_MIN_NS 1000000LL
#define TICK_MAX_NS 20000000LL
#define LINGER_NS (2 * TICK_MAX_NS)

enum { PHASE_IDLE = 0, PHASE_RUNNING = 1, PHASE_STOPPING = 2, PHASE_STOPPED = 3 };
#define STATE(run, phase) ((run) << 2 | (phase))
#define PHASE(state) ((state)&3)

struct ski_watchdog {
  uint64_t handle;
  pthread_t thread;
  pthread_mutex_t lock; /* the guard list, the counters, and sleeping */
  pthread_cond_t wake;
  bool stopping;
  size_t refs;          /* the handle's, plus one per attached guard */
  ski_guard *guards;    /* doubly linked */
  size_t instances;
  uint64_t terminations, wakeups;
  _Atomic uint64_t runs; /* runs begun: the thread notices new ones between ticks */
  _Atomic bool idle;     /* sleeping until signalled */
  _Atomic int64_t min_budget; /* the smallest CPU budget a run was given (ns): sets the tick */
};

/* Serialises a watchdog's lookup-and-reference against its release, so an instance
 * attaching on one thread cannot take a watchdog another thread is freeing. */
static pthread_mutex_t lifetime_lock = PTHREAD_MUTEX_INITIALIZER;

int64_t ski_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t ski_cpu_ns(clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) return 0;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void watchdog_unref_locked(ski_watchdog *wd, bool *free_it) {
  *free_it = --wd->refs == 0;
}

static void watchdog_destroy(ski_watchdog *wd) {
  pthread_mutex_destroy(&wd->lock);
  pthread_cond_destroy(&wd->wake);
  free(wd);
}

/* Claims the run (RUNNING -> STOPPING) unless it has ended meanwhile, signals it, and
 * lets the loop thread end it (STOPPED). */
static void stop_run(ski_watchdog *wd, ski_guard *g, uint64_t seen, int reason) {
  uint64_t run = seen >> 2;
  if (!atomic_compare_exchange_strong(&g->state, &seen, STATE(run, PHASE_STOPPING))) return;
  g->reason = reason;
  ski_engine_terminate(g->engine);
  atomic_store_explicit(&g->state, STATE(run, PHASE_STOPPED), memory_order_release);
  wd->terminations++;
}

/* The CPU clocks read in one pass, so that guards sharing a thread read it once. */
typedef struct clock_reading {
  clockid_t clock;
  int64_t ns;
} clock_reading;

static int64_t read_clock(clock_reading *cache, size_t *n, size_t cap, clockid_t clock) {
  for (size_t i = 0; i < *n; i++)
    if (cache[i].clock == clock) return cache[i].ns;
  int64_t ns = ski_cpu_ns(clock);
  if (*n < cap) cache[(*n)++] = (clock_reading){clock, ns};
  return ns;
}

static void *watchdog_main(void *arg) {
  ski_watchdog *wd = arg;
  uint64_t runs_seen = 0;
  int64_t active_until = 0;
  clock_reading clocks[16];
  pthread_mutex_lock(&wd->lock);
  while (!wd->stopping) {
    int64_t now = ski_monotonic_ns();
    int64_t next = INT64_MAX;
    size_t nclocks = 0;
    bool running = false;
    for (ski_guard *g = wd->guards; g; g = g->next) {
      /* (without a CPU clock for the thread, wall time stands in for it) */
      int64_t cpu = g->cpu_clock_ok ? read_clock(clocks, &nclocks, 16, g->cpu_clock) : now;
      int64_t cpu_before = g->cpu_at_wake;
      g->cpu_at_wake = cpu;
      uint64_t seen = atomic_load_explicit(&g->state, memory_order_acquire);
      if (PHASE(seen) != PHASE_RUNNING) continue;
      int64_t started = atomic_load_explicit(&g->started, memory_order_relaxed);
      int64_t deadline = atomic_load_explicit(&g->wall_deadline, memory_order_relaxed);
      int64_t budget = atomic_load_explicit(&g->cpu_budget, memory_order_relaxed);
      /* the limits belong to this run only if the run is still the same one */
      if (atomic_load_explicit(&g->state, memory_order_acquire) != seen) continue;
      running = true;
      if (deadline && now >= deadline) {
        stop_run(wd, g, seen, SKI_ETIMEOUT);
        continue;
      }
      if (deadline && deadline < next) next = deadline;
      if (budget) {
        if (g->seen_run != seen >> 2) {
          /* First sight of this run. What it used before is at most its wall time so far
           * and at most what its thread used since the previous pass: the first bound is
           * exact for a run that had the CPU, the second keeps a descheduled thread (a
           * loaded machine) or a late watchdog from being charged time it did not run. */
          int64_t before = now - started;
          if (cpu_before && cpu - cpu_before < before) before = cpu - cpu_before;
          g->seen_run = seen >> 2;
          g->charged = before > 0 ? before : 0;
          g->cpu_seen = cpu;
        }
        int64_t used = g->charged + (cpu - g->cpu_seen);
        if (used >= budget) {
          stop_run(wd, g, seen, SKI_ECPULIMIT);
          continue;
        }
        /* CPU time cannot pass faster than wall time: look again when the rest of the
         * budget could at the earliest be spent. */
        int64_t at = now + (budget - used);
        if (at < next) next = at;
      }
    }
    int64_t tick = atomic_load_explicit(&wd->min_budget, memory_order_relaxed) / 4;
    if (tick < TICK_MIN_NS) tick = TICK_MIN_NS;
    if (tick > TICK_MAX_NS) tick = TICK_MAX_NS;
    uint64_t runs = atomic_load(&wd->runs);
    if (running || runs != runs_seen) active_until = now + LINGER_NS;
    runs_seen = runs;
    if (now < active_until && now + tick < next) next = now + tick;
    if (next == INT64_MAX) {
      /* Going to sleep until signalled. A run that began after the scan either sees
       * `idle` and signals, or is seen here in `runs` (both sequentially consistent). */
      atomic_store(&wd->idle, true);
      if (atomic_load(&wd->runs) != runs_seen) {
        atomic_store(&wd->idle, false);
        continue;
      }
      pthread_cond_wait(&wd->wake, &wd->lock);
      atomic_store(&wd->idle, false);
    } else {
      struct timespec ts = {(time_t)(next / 1000000000), (long)(next % 1000000000)};
      pthread_cond_timedwait(&wd->wake, &wd->lock, &ts);
    }
    wd->wakeups++;
  }
  pthread_mutex_unlock(&wd->lock);
  return NULL;
}

int ski_watchdog_new(ski_watchdog_t *out) {
  if (!out) return ski_fail(SKI_EINVAL, "ski_watchdog_new: out is NULL");
  ski_watchdog *wd = calloc(1, sizeof *wd);
  if (!wd) return ski_fail(SKI_ENOMEM, "out of memory allocating a watchdog");
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(&wd->wake, &attr);
  pthread_condattr_destroy(&attr);
  pthread_mutex_init(&wd->lock, NULL);
  wd->refs = 1;
  atomic_init(&wd->min_budget, INT64_MAX);
  int rc = pthread_create(&wd->thread, NULL, watchdog_main, wd);
  if (rc != 0) {
    watchdog_destroy(wd);
    return ski_fail(SKI_ENOMEM, "cannot start the watchdog thread: error %d", rc);
  }
  rc = ski_handle_new(SKI_KIND_WATCHDOG, wd, &wd->handle);
  if (rc != SKI_OK) {
    pthread_mutex_lock(&wd->lock);
    wd->stopping = true;
    pthread_cond_signal(&wd->wake);
    pthread_mutex_unlock(&wd->lock);
    pthread_join(wd->thread, NULL);
    watchdog_destroy(wd);
    return rc;
  }
  *out = wd->handle;
  return SKI_OK;
}

int ski_watchdog_free(ski_watchdog_t handle) {
  ski_watchdog *wd;
  pthread_mutex_lock(&lifetime_lock);
  int rc = ski_handle_release(handle, SKI_KIND_WATCHDOG, (void **)&wd);
  pthread_mutex_unlock(&lifetime_lock);
  if (rc != SKI_OK) return rc;
  pthread_mutex_lock(&wd->lock);
  wd->stopping = true;
  pthread_cond_signal(&wd->wake);
  pthread_mutex_unlock(&wd->lock);
  pthread_join(wd->thread, NULL);
  bool free_it;
  pthread_mutex_lock(&wd->lock);
  watchdog_unref_locked(wd, &free_it);
  pthread_mutex_unlock(&wd->lock);
  if (free_it) watchdog_destroy(wd);
  return SKI_OK;
}

int ski_watchdog_get_stats(ski_watchdog_t handle, ski_watchdog_stats *out) {
  ski_watchdog *wd;
  pthread_mutex_lock(&lifetime_lock);
  int rc = ski_handle_get(handle, SKI_KIND_WATCHDOG, (void **)&wd);
  if (rc == SKI_OK && (!out || out->size < sizeof(ski_watchdog_stats)))
    rc = ski_fail(SKI_EINVAL, "ski_watchdog_get_stats: out is NULL or out->size is too small");
  if (rc == SKI_OK) {
    pthread_mutex_lock(&wd->lock);
    out->instances = wd->instances;
    out->terminations = wd->terminations;
    out->wakeups = wd->wakeups;
    pthread_mutex_unlock(&wd->lock);
  }
  pthread_mutex_unlock(&lifetime_lock);
  return rc;
}

int ski_guard_attach(uint64_t watchdog_handle, ski_engine *engine, ski_guard **out) {
  ski_guard *g = calloc(1, sizeof *g);
  if (!g) return ski_fail(SKI_ENOMEM, "out of memory attaching a watchdog");
  /* CLOCK_THREAD_CPUTIME_ID would be the watchdog's own clock when it reads it */
  g->cpu_clock_ok = pthread_getcpuclockid(pthread_self(), &g->cpu_clock) == 0;
  g->engine = engine;
  ski_watchdog *wd;
  pthread_mutex_lock(&lifetime_lock);
  int rc = ski_handle_get(watchdog_handle, SKI_KIND_WATCHDOG, (void **)&wd);
  if (rc == SKI_OK) {
    pthread_mutex_lock(&wd->lock);
    wd->refs++;
    wd->instances++;
    g->watchdog = wd;
    g->next = wd->guards;
    if (wd->guards) wd->guards->prev = g;
    wd->guards = g;
    pthread_mutex_unlock(&wd->lock);
  }
  pthread_mutex_unlock(&lifetime_lock);
  if (rc != SKI_OK) {
    free(g);
    return rc;
  }
  *out = g;
  return SKI_OK;
}

void ski_guard_detach(ski_guard *g) {
  if (!g) return;
  ski_watchdog *wd = g->watchdog;
  bool free_it;
  pthread_mutex_lock(&wd->lock);
  if (g->prev) g->prev->next = g->next;
  else wd->guards = g->next;
  if (g->next) g->next->prev = g->prev;
  wd->instances--;
  watchdog_unref_locked(wd, &free_it);
  pthread_mutex_unlock(&wd->lock);
  if (free_it) watchdog_destroy(wd);
  free(g);
}

void ski_guard_begin(ski_guard *g, int64_t now, int64_t cpu_budget_ns, int64_t wall_deadline_ns) {
  ski_watchdog *wd = g->watchdog;
  atomic_store_explicit(&g->started, now, memory_order_relaxed);
  atomic_store_explicit(&g->cpu_budget, cpu_budget_ns, memory_order_relaxed);
  atomic_store_explicit(&g->wall_deadline, wall_deadline_ns, memory_order_relaxed);
  atomic_store_explicit(&g->state, STATE(++g->runs, PHASE_RUNNING), memory_order_release);
  atomic_fetch_add(&wd->runs, 1);
  /* A smaller budget than any before shortens the tick: the thread must hear of it now,
   * or this very run could end its budget before the next tick sees it. */
  bool smaller = false;
  if (cpu_budget_ns) {
    int64_t min = atomic_load_explicit(&wd->min_budget, memory_order_relaxed);
    while (cpu_budget_ns < min && !(smaller = atomic_compare_exchange_weak(&wd->min_budget, &min, cpu_budget_ns))) {
    }
  }
  if (smaller || atomic_load(&wd->idle)) { /* ticking, it sees this run within a tick unwoken */
    pthread_mutex_lock(&wd->lock);
    pthread_cond_signal(&wd->wake);
    pthread_mutex_unlock(&wd->lock);
  }
}

int ski_guard_end(ski_guard *g) {
  uint64_t running = STATE(g->runs, PHASE_RUNNING);
  if (atomic_compare_exchange_strong(&g->state, &running, STATE(g->runs, PHASE_IDLE))) return 0;
  /* The watchdog claimed this run: wait for its signal to be out, then take its reason. */
  while (PHASE(atomic_load_explicit(&g->state, memory_order_acquire)) != PHASE_STOPPED) sched_yield();
  int reason = g->reason;
  atomic_store_explicit(&g->state, STATE(g->runs, PHASE_IDLE), memory_order_release);
  return reason;
}
