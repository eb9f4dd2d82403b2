// Run once at build time after the layer, in the context that becomes the startup
// snapshot (not part of the layer: order.txt does not list it). What runs here is
// compiled here, and every instance starts with that bytecode. It must leave nothing
// behind: no globals, nothing pending.
(() => {
  const headers = new Headers({ "content-type": "text/plain", "x-a": "1" });
  headers.append("set-cookie", "a=1");
  headers.set("X-B", "2");
  for (const [name, value] of headers) void (name + value);
  headers.get("x-a");
  headers.has("x-b");
  const request = new Request("http://localhost/path?q=1", { method: "POST", headers, body: "body" });
  void request.url, request.method, request.headers.get("content-type");
  request.clone().text();
  request.arrayBuffer();
  const response = new Response("Hello World", { status: 200, headers: { "content-type": "text/plain" } });
  void response.status, response.statusText, response.ok;
  response.text();
  Response.json({ a: [1, 2] }).json();
  new Response(new Uint8Array([1, 2, 3])).arrayBuffer();
  new TextDecoder().decode(new TextEncoder().encode("héllo"));
})();
