// Project "api": JSON in, JSON out; awaits a timer to show that a waiting request does
// not hold the nginx worker. `env` comes from the project's entry in nginx.conf.
export default {
  async fetch(request, env) {
    const body = request.method === "POST" ? await request.json() : null;
    await new Promise((resolve) => setTimeout(resolve, 10));
    return Response.json({ service: env.SERVICE, method: request.method, url: request.url, got: body });
  },
};
