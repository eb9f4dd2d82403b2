/* Cold start and call latency of the hello worker, straight through the C ABI.
 *   ski-bench-call [runs]
 * Prints medians (and p90) of: a cold start (instance new + load + first response), the
 * same from a prewarmed isolate, one warm hello call (start + response + free), the
 * request nginx hands over (a Host header, a URL with a port) to the worker of
 * bench/nginx/run (a content-type header), the same right after a system call (what a
 * call inside a server pays: every request there comes between recv and writev; on a
 * kernel with page-table isolation and no PCID each kernel entry empties the TLB, so the
 * call starts cold), the nginx-like call to a worker that routes on new URL(request.url),
 * and, as a same-process baseline, an empty ABI round trip (ski_call_response on a done
 * call). */
#define _GNU_SOURCE
#include "bench_util.h"

#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char hello[] =
    "export default { fetch(request) { return new Response('Hello World'); } };\n";
static const char hello_typed[] =
    "export default { fetch() { return new Response('Hello World', { headers: { 'content-type': 'text/plain' } }); } };\n";
/* the usual first line of a worker that routes */
static const char hello_routed[] =
    "export default { fetch(request) { const url = new URL(request.url);\n"
    "  return new Response(url.pathname === '/ski/hello' && !url.searchParams.has('x') ? 'Hello World' : 'no',\n"
    "    { headers: { 'content-type': 'text/plain' } }); } };\n";

/* What resty.ski sends for `wrk http://127.0.0.1:8080/ski/hello`. */
static void nginx_like_call(ski_instance_t inst) {
  static const ski_header host[] = {{.name = "Host", .name_len = 4, .value = "127.0.0.1:8080", .value_len = 14}};
  static const char url[] = "http://127.0.0.1:8080/ski/hello";
  ski_request req = {.size = sizeof req, .method = "GET", .method_len = 3, .url = url, .url_len = sizeof url - 1,
                     .headers = host, .header_count = 1};
  ski_call_t call;
  CHECK(ski_call_start(inst, &req, &call));
  bench_expect_hello(call);
  CHECK(ski_call_free(call));
}

static void report(const char *what, double *t, int n) {
  double p90 = bench_quantile(t, n, 0.9);
  printf("%-34s median %9.2f us   p90 %9.2f us   (n=%d)\n", what, bench_quantile(t, n, 0.5), p90, n);
}

static void one_call(ski_instance_t inst, ski_call_t *call_out) {
  ski_call_t call = bench_start(inst);
  bench_expect_hello(call);
  if (call_out) *call_out = call;
  else CHECK(ski_call_free(call));
}

/* t[i]: instance new + load + first response. With `prewarm`, the isolate is made
 * beforehand (ski_loop_prewarm, untimed): what a host that prewarms when idle pays on
 * the request path. */
static void cold_starts(ski_loop_t loop, bool prewarm, double *t, int runs) {
  for (int i = 0; i < runs; i++) {
    if (prewarm) CHECK(ski_loop_prewarm(loop, 1));
    double t0 = bench_now_us();
    ski_instance_t inst = bench_instance(loop, NULL, hello);
    one_call(inst, NULL);
    t[i] = bench_now_us() - t0;
    CHECK(ski_instance_free(inst));
  }
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 200;
  if (runs < 10) runs = 10;
  printf("%s\n", ski_version());
  ski_loop_t loop;
  CHECK(ski_loop_new(&loop));

  double *t = malloc(sizeof(double) * (size_t)runs * 50);
  cold_starts(loop, false, t, runs);
  report("cold start (new+load+1st call)", t, runs);
  cold_starts(loop, true, t, runs);
  report("cold start, isolate prewarmed", t, runs);

  ski_instance_t inst = bench_instance(loop, NULL, hello);
  int calls = runs * 50;
  for (int i = 0; i < 1000; i++) one_call(inst, NULL); /* let V8 optimise */
  for (int i = 0; i < calls; i++) {
    double t0 = bench_now_us();
    one_call(inst, NULL);
    t[i] = bench_now_us() - t0;
  }
  report("hello call (start+response+free)", t, calls);

  ski_instance_t typed = bench_instance(loop, NULL, hello_typed);
  for (int i = 0; i < 1000; i++) nginx_like_call(typed);
  /* alternated, so that both see the same phase of a noisy machine */
  double *after = malloc(sizeof(double) * (size_t)calls);
  for (int i = 0; i < calls; i++) {
    double t0 = bench_now_us();
    nginx_like_call(typed);
    t[i] = bench_now_us() - t0;
    syscall(SYS_getppid); /* untimed: only its effect on the next call is measured */
    t0 = bench_now_us();
    nginx_like_call(typed);
    after[i] = bench_now_us() - t0;
  }
  report("nginx-like hello call", t, calls);
  report("nginx-like call after a syscall", after, calls);
  free(after);

  ski_instance_t routed = bench_instance(loop, NULL, hello_routed);
  for (int i = 0; i < 1000; i++) nginx_like_call(routed);
  for (int i = 0; i < calls; i++) {
    double t0 = bench_now_us();
    nginx_like_call(routed);
    t[i] = bench_now_us() - t0;
  }
  report("nginx-like, routing on new URL()", t, calls);
  CHECK(ski_instance_free(routed));
  CHECK(ski_instance_free(typed));

  ski_call_t done;
  one_call(inst, &done);
  for (int i = 0; i < calls; i++) {
    double t0 = bench_now_us();
    ski_response res = {.size = sizeof res};
    CHECK(ski_call_response(done, &res));
    t[i] = bench_now_us() - t0;
  }
  report("baseline: ski_call_response", t, calls);
  CHECK(ski_call_free(done));
  CHECK(ski_instance_free(inst));
  CHECK(ski_loop_free(loop));
  free(t);
  return 0;
}
