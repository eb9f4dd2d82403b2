/* Shared by the benchmarks: timing, medians, and failing loudly. */
#ifndef SKI_BENCH_UTIL_H
#define SKI_BENCH_UTIL_H
#define _POSIX_C_SOURCE 200809L
#include <ski.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline double bench_cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts t and returns its q-quantile (0.5 = median). */
static inline double bench_quantile(double *t, int n, double q) {
  qsort(t, (size_t)n, sizeof *t, bench_cmp_double);
  int i = (int)(q * (n - 1) + 0.5);
  return t[i];
}

static inline long bench_rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, rss = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    fclose(f);
  }
  return rss * 4; /* 4 KiB pages */
}

#define CHECK(expr)                                                                           \
  do {                                                                                        \
    int rc_ = (expr);                                                                         \
    if (rc_ != 0) {                                                                           \
      fprintf(stderr, "%s failed: %s: %s\n", #expr, ski_error_name(rc_), ski_last_error()); \
      exit(1);                                                                                \
    }                                                                                         \
  } while (0)

static inline ski_instance_t bench_instance(ski_loop_t loop, const ski_instance_options *opts, const char *src) {
  ski_instance_t inst;
  CHECK(ski_instance_new(loop, opts, &inst));
  CHECK(ski_instance_load(inst, "bench.js", src, strlen(src)));
  return inst;
}

static inline ski_call_t bench_start(ski_instance_t inst) {
  ski_request req = {.size = sizeof req, .method = "GET", .method_len = 3,
                     .url = "http://localhost/", .url_len = 17};
  ski_call_t call;
  CHECK(ski_call_start(inst, &req, &call));
  return call;
}

/* The call's response must be 200 "Hello World". */
static inline void bench_expect_hello(ski_call_t call) {
  ski_response res = {.size = sizeof res};
  CHECK(ski_call_response(call, &res));
  if (res.status != 200 || res.body_len != 11 || memcmp(res.body, "Hello World", 11) != 0) {
    fprintf(stderr, "unexpected response %d\n", res.status);
    exit(1);
  }
}
#endif
