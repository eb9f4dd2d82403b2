/* The watchdog: a thread that watches runs of JS and stops those that exceed their CPU
 * or wall time. It only signals (ski_engine_terminate); it never enters an isolate. */
#ifndef SKI_WATCHDOG_H
#define SKI_WATCHDOG_H

#include "internal.h"
#include "v8/engine.h"

#include <stdatomic.h>
#include <time.h>

typedef struct ski_watchdog ski_watchdog;

/* One watched instance. Owned by the instance. The loop thread and the watchdog share it
 * without a lock, through `state`: (run number << 2) | phase. The loop thread writes a
 * run's limits, then publishes RUNNING; it ends the run by swapping RUNNING for IDLE.
 * The watchdog stops a run only by first swapping RUNNING for STOPPING, so exactly one
 * of them wins: a run that ended first cannot be signalled (no late signal reaches a
 * later run), and a run the watchdog claimed is ended by the loop thread only once the
 * signal is out (STOPPED). */
typedef struct ski_guard {
  ski_watchdog *watchdog;
  ski_engine *engine;
  clockid_t cpu_clock;    /* CPU clock of the instance's thread */
  bool cpu_clock_ok;      /* pthread_getcpuclockid gave one */
  _Atomic uint64_t state;
  uint64_t runs;          /* the loop thread's run counter */
  /* the run's limits (atomic only so that a read racing the next run's write is defined;
   * the watchdog discards what it read if `state` changed meanwhile) */
  _Atomic int64_t started;       /* monotonic ns at the start of the run */
  _Atomic int64_t wall_deadline; /* monotonic ns; 0: none */
  _Atomic int64_t cpu_budget;    /* ns of CPU the run may use; 0: none */
  int reason;             /* set by the watchdog before STOPPED */
  /* the watchdog's own: the thread's CPU clock at its previous pass, and for the run it
   * has seen, the clock then and the CPU time charged for before */
  int64_t cpu_at_wake;
  uint64_t seen_run;
  int64_t cpu_seen, charged;
  struct ski_guard *prev, *next; /* the watchdog's list, under its lock */
} ski_guard;

int64_t ski_monotonic_ns(void);
int64_t ski_cpu_ns(clockid_t clock);

/* Attaches a new guard for `engine` to the watchdog behind `handle`. */
int ski_guard_attach(uint64_t watchdog_handle, ski_engine *engine, ski_guard **out);
/* Detaches and frees the guard (the watchdog may already be stopped). */
void ski_guard_detach(ski_guard *guard);
/* A run starts at `now` (monotonic ns): its CPU budget (0: unlimited) and wall deadline
 * (0: none). The loop thread never reads its CPU clock (a system call, where the
 * monotonic clock is not): the watchdog does, and charges a run for the time before it
 * first saw it with the smaller of its wall time and its thread's CPU time since the
 * watchdog's previous pass. */
void ski_guard_begin(ski_guard *guard, int64_t now, int64_t cpu_budget_ns, int64_t wall_deadline_ns);
/* The run is over; returns the watchdog's reason if it stopped it (SKI_ECPULIMIT or
 * SKI_ETIMEOUT), else 0. After this the watchdog cannot signal the run any more. */
int ski_guard_end(ski_guard *guard);

#endif
