/* What common Web API operations cost inside a worker: each is run in a loop in one
 * handler and timed with performance.now(); the first two lines, an empty function call
 * and an `await null` in the same loop, are the baselines the others include.
 *   ski-bench-webapi [iterations]
 * The handler awaits where the operation is asynchronous (its line includes a microtask
 * turn, as the "await null" line shows). */
#include "bench_util.h"

static const char source[] =
    "const cases = [\n"
    "  ['empty call (baseline)', () => 0],\n"
    "  ['await null (baseline)', async () => { await null; }],\n"
    "  ['new URL(canonical)', () => new URL('http://127.0.0.1:8080/api/items?q=1')],\n"
    "  ['new URL(dot segments, port)', () => new URL('http://Example.com:8080/a/../b?x=1')],\n"
    "  ['url.searchParams.get', () => new URL('http://a.com/p?a=1&b=2').searchParams.get('b')],\n"
    "  ['new Headers(record of 3)', () => new Headers({ 'content-type': 'text/plain', 'x-a': '1', accept: '*/*' })],\n"
    "  ['headers.get', ((h) => () => h.get('x-a'))(new Headers({ 'x-a': '1', accept: '*/*' }))],\n"
    "  ['Response.json(small)', () => Response.json({ ok: true, id: 1 })],\n"
    "  ['new Response(text).text()', async () => { await new Response('hello').text(); }],\n"
    "  ['new Request(POST).json()', async () => { await new Request('http://a.com/x', { method: 'POST', body: '{\"a\":[1,2]}' }).json(); }],\n"
    "  ['structuredClone(small)', () => structuredClone({ a: 1, b: [1, 2], c: 'x' })],\n"
    "  ['TextEncoder.encode(20 B)', ((e) => () => e.encode('hello world 12345678'))(new TextEncoder())],\n"
    "  ['TextDecoder.decode(20 B)', ((d, b) => () => d.decode(b))(new TextDecoder(), new Uint8Array(20).fill(65))],\n"
    "  ['crypto.randomUUID', () => crypto.randomUUID()],\n"
    "  ['btoa(20 B)', () => btoa('hello world 12345678')],\n"
    "  ['AbortController + abort()', () => new AbortController().abort()],\n"
    "  ['new Event + dispatchEvent', ((t) => () => t.dispatchEvent(new Event('x')))(new EventTarget())],\n"
    "];\n"
    "export default { async fetch(request) {\n"
    "  const n = Number(new URL(request.url).searchParams.get('n'));\n"
    "  const lines = [];\n"
    "  // two passes, the second reported: the first also warms up the timing loop itself\n"
    "  for (let pass = 0; pass < 2; pass++) {\n"
    "    for (const [name, f] of cases) {\n"
    "      for (let i = 0; i < 1000; i++) await f();\n"
    "      const t0 = performance.now();\n"
    "      for (let i = 0; i < n; i++) await f();\n"
    "      const us = (performance.now() - t0) * 1000 / n;\n"
    "      if (pass === 1) lines.push(name.padEnd(34) + us.toFixed(3).padStart(9) + ' us');\n"
    "    }\n"
    "  }\n"
    "  return new Response(lines.join('\\n') + '\\n');\n"
    "} };\n";

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20000;
  if (n < 100) n = 100;
  printf("%s\n%d iterations each\n", ski_version(), n);
  ski_loop_t loop;
  CHECK(ski_loop_new(&loop));
  ski_instance_options o = {.size = sizeof o, .cpu_ms = 600000, .wall_ms = 600000};
  ski_instance_t inst = bench_instance(loop, &o, source);
  char url[64];
  snprintf(url, sizeof url, "http://localhost/?n=%d", n);
  ski_request req = {.size = sizeof req, .method = "GET", .method_len = 3, .url = url, .url_len = strlen(url)};
  ski_call_t call;
  CHECK(ski_call_start(inst, &req, &call));
  ski_response res = {.size = sizeof res};
  int rc;
  while ((rc = ski_call_response(call, &res)) == SKI_EAGAIN) {
    int ran = ski_loop_run(loop, 1000);
    if (ran != SKI_EAGAIN) CHECK(ran);
  }
  CHECK(rc);
  fwrite(res.body, 1, res.body_len, stdout);
  CHECK(ski_call_free(call));
  CHECK(ski_instance_free(inst));
  CHECK(ski_loop_free(loop));
  return 0;
}
