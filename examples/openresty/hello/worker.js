// Project "hello": answers every path of the default server.
export default {
  fetch(request) {
    console.log("hello for", request.headers.get("user-agent"));
    return new Response("Hello World\n", { headers: { "content-type": "text/plain" } });
  },
};
