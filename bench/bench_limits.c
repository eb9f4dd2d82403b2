/* The watchdog: how long after its CPU limit a runaway is stopped, and what attaching a
 * watchdog costs a hello call (both variants measured in this one run, interleaved).
 *   ski-bench-limits [runaways] [calls] */
#include "bench_util.h"

static const char hello[] = "export default { fetch() { return new Response('Hello World') } }";
static const char spin[] = "export default { fetch() { while (true) {} } }";

int main(int argc, char **argv) {
  int runaways = argc > 1 ? atoi(argv[1]) : 50;
  int calls = argc > 2 ? atoi(argv[2]) : 200000;
  if (runaways < 5) runaways = 5;
  printf("%s\n", ski_version());
  ski_loop_t loop;
  ski_watchdog_t wd;
  CHECK(ski_loop_new(&loop));
  CHECK(ski_watchdog_new(&wd));

  /* 1. A runaway handler with a 20 ms CPU limit, over fresh instances: how long its run
   *    lasted past the limit (the instance's own accounting of the run), and CPU time
   *    past the limit until ski_call_start returned (which includes disposing the dead
   *    isolate). */
  const unsigned limit_ms = 20;
  ski_instance_options opts = {.size = sizeof opts, .watchdog = wd, .cpu_ms = limit_ms};
  double *late = malloc(sizeof(double) * (size_t)runaways);
  double *run_late = malloc(sizeof(double) * (size_t)runaways);
  for (int i = 0; i < runaways; i++) {
    ski_instance_t inst = bench_instance(loop, &opts, spin);
    double cpu0 = bench_cpu_us();
    ski_call_t call = bench_start(inst);
    double used = bench_cpu_us() - cpu0;
    ski_response res = {.size = sizeof res};
    int rc = ski_call_response(call, &res);
    if (rc != SKI_ECPULIMIT) {
      fprintf(stderr, "runaway ended with %s\n", ski_error_name(rc));
      return 1;
    }
    late[i] = used - limit_ms * 1000.0;
    ski_instance_stats st = {.size = sizeof st};
    CHECK(ski_instance_get_stats(inst, &st));
    run_late[i] = st.cpu_ns / 1e3 - limit_ms * 1000.0;
    CHECK(ski_call_free(call));
    CHECK(ski_instance_free(inst));
  }
  printf("runaway's run went past its %u ms CPU limit by: p50 %+.0f us, p99 %+.0f us, max %+.0f us (n=%d)\n",
         limit_ms, bench_quantile(run_late, runaways, 0.5), bench_quantile(run_late, runaways, 0.99),
         bench_quantile(run_late, runaways, 1.0), runaways);
  printf("...and the call returned (dead isolate disposed) after: p50 %+.0f us, p99 %+.0f us CPU past the limit\n",
         bench_quantile(late, runaways, 0.5), bench_quantile(late, runaways, 0.99));

  /* 2. Hello throughput with and without a watchdog, alternating rounds. */
  ski_instance_options watched = {.size = sizeof watched, .watchdog = wd};
  ski_instance_t plain = bench_instance(loop, NULL, hello);
  ski_instance_t guarded = bench_instance(loop, &watched, hello);
  double spent[2] = {0, 0};
  const int rounds = 10;
  for (int r = 0; r < rounds + 1; r++) {
    for (int v = 0; v < 2; v++) {
      ski_instance_t inst = v ? guarded : plain;
      double t0 = bench_now_us();
      for (int i = 0; i < calls / rounds; i++) {
        ski_call_t call = bench_start(inst);
        bench_expect_hello(call);
        CHECK(ski_call_free(call));
      }
      if (r > 0) spent[v] += bench_now_us() - t0; /* round 0 warms up */
    }
  }
  double plain_rate = calls / (spent[0] / 1e6), guarded_rate = calls / (spent[1] / 1e6);
  printf("hello calls/s: no watchdog %.0f, watchdog %.0f, ratio %.3f\n", plain_rate, guarded_rate,
         guarded_rate / plain_rate);
  ski_watchdog_stats ws = {.size = sizeof ws};
  CHECK(ski_watchdog_get_stats(wd, &ws));
  printf("watchdog: %llu terminations, %llu wake-ups\n", (unsigned long long)ws.terminations,
         (unsigned long long)ws.wakeups);
  CHECK(ski_instance_free(plain));
  CHECK(ski_instance_free(guarded));
  CHECK(ski_watchdog_free(wd));
  CHECK(ski_loop_free(loop));
  free(late);
  free(run_late);
  return 0;
}
