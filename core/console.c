/* Console lines from the instances of a loop, to stderr, to a host callback, or into a
 * bounded ring the host drains by polling (hosts like LuaJIT that must not be called
 * back from C). */
#include "runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void ring_clear(ski_console_sink *sink) {
  for (size_t i = 0; i < sink->count; i++) free(sink->ring[(sink->head + i) % sink->cap].text);
  free(sink->ring);
  sink->ring = NULL;
  sink->cap = sink->head = sink->count = sink->dropped = 0;
}

void ski_console_sink_free(ski_console_sink *sink) {
  ring_clear(sink);
  free(sink->taken);
  sink->taken = NULL;
}

void ski_console_emit(ski_loop *loop, ski_instance_t instance, int level, const char *text, size_t len) {
  ski_console_sink *sink = &loop->console;
  if (sink->fn) {
    sink->fn(sink->userdata, instance, level, text, len);
    return;
  }
  if (!sink->ring) {
    fprintf(stderr, "%.*s\n", (int)len, text);
    return;
  }
  char *copy = malloc(len + 1);
  if (!copy) {
    sink->dropped++;
    return;
  }
  memcpy(copy, text, len);
  copy[len] = '\0';
  if (sink->count == sink->cap) { /* full: the oldest line goes; the next one says so */
    ski_console_entry *oldest = &sink->ring[sink->head];
    size_t lost = oldest->dropped + 1;
    free(oldest->text);
    sink->head = (sink->head + 1) % sink->cap;
    sink->count--;
    if (sink->count) sink->ring[sink->head].dropped += lost;
    else sink->dropped += lost;
  }
  ski_console_entry *e = &sink->ring[(sink->head + sink->count) % sink->cap];
  *e = (ski_console_entry){instance, level, copy, len, sink->dropped};
  sink->dropped = 0;
  sink->count++;
}

int ski_loop_set_console(ski_loop_t handle, ski_console_fn fn, void *userdata) {
  ski_loop *loop;
  int rc = ski_handle_get(handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  ring_clear(&loop->console);
  loop->console.fn = fn;
  loop->console.userdata = userdata;
  return SKI_OK;
}

int ski_loop_buffer_console(ski_loop_t handle, size_t max_lines) {
  ski_loop *loop;
  int rc = ski_handle_get(handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  if (max_lines > ((size_t)1 << 24))
    return ski_fail(SKI_EINVAL, "max_lines %zu is more than 16M", max_lines);
  ski_console_sink *sink = &loop->console;
  ring_clear(sink);
  sink->fn = NULL;
  sink->userdata = NULL;
  if (max_lines) {
    sink->ring = calloc(max_lines, sizeof *sink->ring);
    if (!sink->ring) return ski_fail(SKI_ENOMEM, "out of memory for %zu console lines", max_lines);
    sink->cap = max_lines;
  }
  return SKI_OK;
}

int ski_loop_next_console(ski_loop_t handle, ski_console_line *out) {
  ski_loop *loop;
  int rc = ski_handle_get(handle, SKI_KIND_LOOP, (void **)&loop);
  if (rc != SKI_OK) return rc;
  if (!out || out->size < sizeof(ski_console_line))
    return ski_fail(SKI_EINVAL, "ski_loop_next_console: out is NULL or out->size is too small");
  ski_console_sink *sink = &loop->console;
  free(sink->taken);
  sink->taken = NULL;
  /* Nothing buffered is the normal answer of a poll, not a failure: the last error
   * (perhaps a call's, still to be read) is left alone. */
  if (!sink->ring || sink->count == 0) return SKI_EAGAIN;
  ski_console_entry *e = &sink->ring[sink->head];
  sink->head = (sink->head + 1) % sink->cap;
  sink->count--;
  sink->taken = e->text;
  out->instance = e->instance;
  out->level = e->level;
  out->text = e->text;
  out->text_len = e->len;
  out->dropped = e->dropped;
  return SKI_OK;
}
