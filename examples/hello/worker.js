// The smallest ski worker: `bin/ski run examples/hello/worker.js`
export default {
  fetch(request) {
    return new Response("Hello World", { headers: { "content-type": "text/plain" } });
  },
};
