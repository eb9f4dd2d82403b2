/* A plain C host: dlopen()s libski at run time (no link-time dependency), loads a
 * worker, routes its console to a callback, sends requests and prints the responses.
 *
 *   ski-host <libski.so> <worker.js> [url...]
 *
 * What any foreign host (Python ctypes, Go cgo, Rust) does, in the smallest form. */
#define _POSIX_C_SOURCE 200809L
#include <ski.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The functions this host uses, resolved by name. */
static struct {
  int (*abi_version)(void);
  const char *(*error_name)(int);
  const char *(*last_error)(void);
  int (*loop_new)(ski_loop_t *);
  int (*loop_free)(ski_loop_t);
  int (*loop_set_console)(ski_loop_t, ski_console_fn, void *);
  int (*instance_new)(ski_loop_t, const ski_instance_options *, ski_instance_t *);
  int (*instance_load)(ski_instance_t, const char *, const char *, size_t);
  int (*instance_free)(ski_instance_t);
  int (*call_start)(ski_instance_t, const ski_request *, ski_call_t *);
  int (*call_wait)(ski_call_t, int);
  int (*call_response)(ski_call_t, ski_response *);
  int (*call_free)(ski_call_t);
} ski;

static int resolve(void *lib) {
#define SKI_RESOLVE(field, symbol)                                         \
  if (!(*(void **)&ski.field = dlsym(lib, #symbol))) {                     \
    fprintf(stderr, "ski-host: libski has no %s\n", #symbol);             \
    return -1;                                                             \
  }
  SKI_RESOLVE(abi_version, ski_abi_version)
  SKI_RESOLVE(error_name, ski_error_name)
  SKI_RESOLVE(last_error, ski_last_error)
  SKI_RESOLVE(loop_new, ski_loop_new)
  SKI_RESOLVE(loop_free, ski_loop_free)
  SKI_RESOLVE(loop_set_console, ski_loop_set_console)
  SKI_RESOLVE(instance_new, ski_instance_new)
  SKI_RESOLVE(instance_load, ski_instance_load)
  SKI_RESOLVE(instance_free, ski_instance_free)
  SKI_RESOLVE(call_start, ski_call_start)
  SKI_RESOLVE(call_wait, ski_call_wait)
  SKI_RESOLVE(call_response, ski_call_response)
  SKI_RESOLVE(call_free, ski_call_free)
#undef SKI_RESOLVE
  return 0;
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static void on_console(void *userdata, ski_instance_t instance, int level, const char *text, size_t len) {
  (void)instance;
  FILE *out = userdata;
  fprintf(out, "[console.%s] %.*s\n", level >= 0 && level <= 3 ? level_names[level] : "?", (int)len, text);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *data = NULL;
  size_t cap = 0, n = 0, got;
  do {
    if (n == cap) {
      char *grown = realloc(data, cap = cap ? cap * 2 : 65536);
      if (!grown) break;
      data = grown;
    }
    got = fread(data + n, 1, cap - n, f);
    n += got;
  } while (got > 0);
  fclose(f);
  *len = n;
  return data;
}

#define FAIL(what, rc)                                                                       \
  do {                                                                                       \
    fprintf(stderr, "ski-host: %s: %s: %s\n", what, ski.error_name(rc), ski.last_error()); \
    status = 1;                                                                              \
  } while (0)

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: ski-host <libski.so> <worker.js> [url...]\n");
    return 2;
  }
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "ski-host: %s\n", dlerror());
    return 1;
  }
  if (resolve(lib) != 0) return 1;
  if (ski.abi_version() < SKI_ABI_VERSION) {
    fprintf(stderr, "ski-host: libski has ABI %d, this host needs %d\n", ski.abi_version(), SKI_ABI_VERSION);
    return 1;
  }
  size_t len;
  char *source = read_file(argv[2], &len);
  if (!source) {
    perror(argv[2]);
    return 1;
  }
  int status = 0, rc;
  ski_loop_t loop;
  ski_instance_t inst;
  if ((rc = ski.loop_new(&loop)) != 0) {
    FAIL("loop", rc);
    return status;
  }
  ski.loop_set_console(loop, on_console, stdout);
  if ((rc = ski.instance_new(loop, NULL, &inst)) != 0) {
    FAIL("instance", rc);
  } else {
    if ((rc = ski.instance_load(inst, argv[2], source, len)) != 0) FAIL("load", rc);
    for (int i = 3; status == 0 && i < (argc > 3 ? argc : 4); i++) {
      const char *url = argc > 3 ? argv[i] : "http://localhost/";
      ski_request req = {.size = sizeof req, .url = url, .url_len = strlen(url)};
      ski_call_t call;
      if ((rc = ski.call_start(inst, &req, &call)) != 0) {
        FAIL("call", rc);
        break;
      }
      ski_response res = {.size = sizeof res};
      ski.call_wait(call, -1);
      if ((rc = ski.call_response(call, &res)) != 0) {
        FAIL(url, rc);
      } else {
        printf("%d %.*s\n", res.status, (int)res.status_text_len, res.status_text);
        for (size_t h = 0; h < res.header_count; h++)
          printf("%.*s: %.*s\n", (int)res.headers[h].name_len, res.headers[h].name,
                 (int)res.headers[h].value_len, res.headers[h].value);
        printf("\n%.*s\n", (int)res.body_len, (const char *)res.body);
      }
      ski.call_free(call);
    }
    ski.instance_free(inst);
  }
  ski.loop_free(loop);
  free(source);
  return status;
}
