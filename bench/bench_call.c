/* Cold start and call latency of the hello worker, straight through the C ABI.
 *   ski-bench [runs]
 * Prints medians (and p90) of: a cold start (instance new + load + first response +
 * free), one warm hello call (start + response + free), and, as a same-process
 * baseline, an empty ABI round trip (ski_call_response on a done call). */
#define _POSIX_C_SOURCE 200809L
#include <ski.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char hello[] =
    "export default { fetch(request) { return new Response('Hello World'); } };\n";

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void report(const char *what, double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  printf("%-34s median %9.2f us   p90 %9.2f us   (n=%d)\n", what, t[n / 2], t[n * 9 / 10], n);
}

#define CHECK(expr)                                                                           \
  do {                                                                                        \
    int rc_ = (expr);                                                                         \
    if (rc_ != 0) {                                                                           \
      fprintf(stderr, "%s failed: %s: %s\n", #expr, ski_error_name(rc_), ski_last_error()); \
      exit(1);                                                                                \
    }                                                                                         \
  } while (0)

static void one_call(ski_instance_t inst, ski_call_t *call_out) {
  ski_request req = {.size = sizeof req, .method = "GET", .method_len = 3,
                     .url = "http://localhost/", .url_len = 17};
  ski_call_t call;
  CHECK(ski_call_start(inst, &req, &call));
  ski_response res = {.size = sizeof res};
  CHECK(ski_call_response(call, &res));
  if (res.status != 200 || res.body_len != 11 || memcmp(res.body, "Hello World", 11) != 0) {
    fprintf(stderr, "unexpected response %d\n", res.status);
    exit(1);
  }
  if (call_out) *call_out = call;
  else CHECK(ski_call_free(call));
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 200;
  if (runs < 10) runs = 10;
  printf("%s\n", ski_version());
  ski_loop_t loop;
  CHECK(ski_loop_new(&loop));

  double *t = malloc(sizeof(double) * (size_t)runs * 50);
  for (int i = 0; i < runs; i++) {
    double t0 = now_us();
    ski_instance_t inst;
    CHECK(ski_instance_new(loop, NULL, &inst));
    CHECK(ski_instance_load(inst, "hello.js", hello, sizeof hello - 1));
    one_call(inst, NULL);
    t[i] = now_us() - t0;
    CHECK(ski_instance_free(inst));
  }
  report("cold start (new+load+1st call)", t, runs);

  ski_instance_t inst;
  CHECK(ski_instance_new(loop, NULL, &inst));
  CHECK(ski_instance_load(inst, "hello.js", hello, sizeof hello - 1));
  int calls = runs * 50;
  for (int i = 0; i < 1000; i++) one_call(inst, NULL); /* let V8 optimise */
  for (int i = 0; i < calls; i++) {
    double t0 = now_us();
    one_call(inst, NULL);
    t[i] = now_us() - t0;
  }
  report("hello call (start+response+free)", t, calls);

  ski_call_t done;
  one_call(inst, &done);
  for (int i = 0; i < calls; i++) {
    double t0 = now_us();
    ski_response res = {.size = sizeof res};
    CHECK(ski_call_response(done, &res));
    t[i] = now_us() - t0;
  }
  report("baseline: ski_call_response", t, calls);
  CHECK(ski_call_free(done));
  CHECK(ski_instance_free(inst));
  CHECK(ski_loop_free(loop));
  free(t);
  return 0;
}
