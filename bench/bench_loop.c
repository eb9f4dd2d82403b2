/* The loop: throughput of async hello calls over 1, 10 and 100 instances on one loop,
 * the latency interleaving adds, and memory per idle instance.
 *   ski-bench-loop [calls]
 * "microtask" handlers await a resolved promise (done within the call's own run);
 * "timer" handlers await setTimeout(0), so every call goes through the loop. Calls are
 * kept 100 in flight, spread round-robin over the instances. */
#include "bench_util.h"

static const char micro_src[] =
    "export default { async fetch() { await null; return new Response('Hello World') } }";
static const char timer_src[] =
    "export default { async fetch() { await new Promise(r => setTimeout(r, 0)); return new Response('Hello World') } }";

#define IN_FLIGHT 100

/* Runs `total` calls over `n` instances, IN_FLIGHT at a time; returns calls/s and fills
 * lat (per-call start-to-done latency, us). */
static double run(ski_loop_t loop, ski_instance_t *inst, int n, int total, double *lat) {
  ski_call_t calls[IN_FLIGHT];
  double started[IN_FLIGHT];
  int next = 0, done = 0, live = 0;
  double t0 = bench_now_us();
  for (int i = 0; i < IN_FLIGHT && next < total; i++, next++, live++) {
    started[i] = bench_now_us();
    calls[i] = bench_start(inst[next % n]);
  }
  while (done < total) {
    ski_response res = {.size = sizeof res};
    int progressed = 0;
    for (int i = 0; i < IN_FLIGHT; i++) {
      if (!calls[i]) continue;
      int rc = ski_call_response(calls[i], &res);
      if (rc == SKI_EAGAIN) continue;
      bench_expect_hello(calls[i]);
      lat[done++] = bench_now_us() - started[i];
      CHECK(ski_call_free(calls[i]));
      calls[i] = 0;
      live--;
      progressed = 1;
      if (next < total) {
        started[i] = bench_now_us();
        calls[i] = bench_start(inst[next % n]);
        next++;
        live++;
      }
    }
    if (!progressed && live) {
      int rc = ski_loop_run(loop, 0);
      if (rc != 0 && rc != SKI_EAGAIN) CHECK(rc);
      int wait;
      CHECK(ski_loop_next_deadline(loop, &wait));
      if (wait > 0) ski_loop_run(loop, wait);
    }
  }
  return total / ((bench_now_us() - t0) / 1e6);
}

int main(int argc, char **argv) {
  int total = argc > 1 ? atoi(argv[1]) : 20000;
  if (total < IN_FLIGHT) total = IN_FLIGHT;
  printf("%s\n", ski_version());
  ski_loop_t loop;
  CHECK(ski_loop_new(&loop));
  double *lat = malloc(sizeof(double) * (size_t)total);
  const int counts[] = {1, 10, 100};
  const struct { const char *name; const char *src; } kinds[] = {{"microtask", micro_src}, {"timer", timer_src}};
  printf("%-10s %9s %12s %12s %12s\n", "handler", "instances", "calls/s", "p50 us", "p99 us");
  double p50_one[2] = {0}, p99_one[2] = {0};
  for (int k = 0; k < 2; k++) {
    for (int c = 0; c < 3; c++) {
      int n = counts[c];
      ski_instance_t *inst = malloc(sizeof *inst * (size_t)n);
      for (int i = 0; i < n; i++) inst[i] = bench_instance(loop, NULL, kinds[k].src);
      run(loop, inst, n, IN_FLIGHT * 10, lat); /* warm up */
      double rate = run(loop, inst, n, total, lat);
      double p50 = bench_quantile(lat, total, 0.5), p99 = bench_quantile(lat, total, 0.99);
      if (n == 1) p50_one[k] = p50, p99_one[k] = p99;
      printf("%-10s %9d %12.0f %12.1f %12.1f\n", kinds[k].name, n, rate, p50, p99);
      if (n == 100)
        printf("%-10s interleaving 100 instances vs 1 adds p50 %+.1f us, p99 %+.1f us per call\n",
               kinds[k].name, p50 - p50_one[k], p99 - p99_one[k]);
      for (int i = 0; i < n; i++) CHECK(ski_instance_free(inst[i]));
      free(inst);
    }
  }

  /* memory: RSS growth per loaded, idle hello instance */
  enum { IDLE = 100 };
  ski_instance_t idle[IDLE];
  long before = bench_rss_kb();
  for (int i = 0; i < IDLE; i++) idle[i] = bench_instance(loop, NULL, micro_src);
  long after = bench_rss_kb();
  printf("memory per idle instance: %.0f KB (RSS %ld -> %ld KB for %d instances)\n",
         (double)(after - before) / IDLE, before, after, IDLE);
  for (int i = 0; i < IDLE; i++) CHECK(ski_instance_free(idle[i]));
  CHECK(ski_loop_free(loop));
  free(lat);
  return 0;
}
