-- URL and URLSearchParams (WHATWG URL), backed by the vendored whatwg-url parser.
local w = require "helper.webapi"
local js, throws = w.js, w.throws

describe("URL", function()
  it("parses and normalises special URLs", function()
    assert.equal('["http://example.com/b?x=1#h","http:","example.com","","/b","?x=1","#h","http://example.com"]', js [=[
      const u = new URL("  HTTP://EXAMPLE.com:80/a/../b?x=1#h ");
      return [u.href, u.protocol, u.host, u.port, u.pathname, u.search, u.hash, u.origin];
    ]=])
  end)

  it("resolves against a base and handles IPv4, IPv6 and IDNA hosts", function()
    assert.equal('["https://x.org/a/c","127.0.0.1","[::1]","xn--bcher-kva.de","xn--nxasmq6b.com"]', js [=[
      return [
        new URL("../c", "https://x.org/a/b/").href,
        new URL("http://0x7f.1/").hostname,
        new URL("http://[0:0::1]/").hostname,
        new URL("http://Bücher.de/").hostname,
        new URL("https://xn--nxasmq6b.com/").hostname,
      ];
    ]=])
  end)

  it("percent-encodes per component and keeps non-special URLs opaque", function()
    assert.equal('["http://h/a%20b?c%20d#e%20f","mailto:a b","data:text/plain,x"]', js [=[
      return [new URL("http://h/a b?c d#e f").href, new URL("mailto:a b").href, new URL("data:text/plain,x").href];
    ]=])
  end)

  it("rejects invalid URLs with TypeError, and canParse/parse report instead of throwing", function()
    assert.equal([["TypeError: Failed to construct 'URL': Invalid URL: 'nope'"]], throws [=[ new URL("nope") ]=])
    assert.equal([["TypeError: Failed to construct 'URL': Invalid base URL: 'b'"]], throws [=[ new URL("/a", "b") ]=])
    assert.equal([["TypeError: Failed to construct 'URL': Invalid URL: 'http://a:99999/'"]], throws [=[ new URL("http://a:99999/") ]=])
    assert.equal([["TypeError: Failed to construct 'URL': 1 argument required, but only 0 present."]], throws [=[ new URL() ]=])
    assert.equal('[false,true,null,"http://x/a"]', js [=[
      return [URL.canParse("http://[x]/"), URL.canParse("/a", "http://x"), URL.parse("nope"), URL.parse("/a", "http://x").href];
    ]=])
  end)

  it("has setters that reparse their component", function()
    assert.equal('["https://u:p@h2:8080/p2?q2#f2","https://u:p@h2/p2?q2#f2"]', js [=[
      const u = new URL("http://h/");
      u.protocol = "https"; u.username = "u"; u.password = "p"; u.host = "h2:8080";
      u.pathname = "p2"; u.search = "q2"; u.hash = "f2";
      const first = u.href;
      u.port = "443";
      return [first, u.href];
    ]=])
    assert.equal([["TypeError: Failed to set the 'href' property on 'URL': Invalid URL: 'x'"]], throws [=[ new URL("http://h/").href = "x" ]=])
  end)

  it("keeps searchParams in sync both ways, and serialises with toJSON/toString", function()
    assert.equal('["http://h/?a=1&b=x+y",[["z","9"]],"http://h/",true,"\\"http://h/\\"","http://h/"]', js [=[
      const u = new URL("http://h/?a=1");
      const p = u.searchParams;
      p.append("b", "x y");
      const out = [u.href];
      u.search = "?z=9";
      out.push([...p]);
      p.delete("z");
      out.push(u.href, u.searchParams === p, JSON.stringify(u), String(u));
      return out;
    ]=])
  end)
end)

describe("URLSearchParams", function()
  it("is built from a string, pairs or a record", function()
    assert.equal('["a=1&b=2+3","x=1&y=2","k=v&%C3%A9=%26"]', js [=[
      return [
        new URLSearchParams("?a=1&b=2%203").toString(),
        new URLSearchParams([["x", "1"], ["y", "2"]]).toString(),
        new URLSearchParams({ k: "v", "é": "&" }).toString(),
      ];
    ]=])
    assert.equal([["TypeError: Failed to construct 'URLSearchParams': Sequence initializer must only contain pair elements"]],
      throws [=[ new URLSearchParams([["a"]]) ]=])
  end)

  it("splits strings with and without anything to decode the same way the standard does", function()
    -- without "%" or "+" the layer splits by itself; with them the vendored parser decodes
    assert.equal(table.concat({ '[[["a","1"],["b",""],["c",""],["","d"],["e","f=g"],["\239\187\191h","é"]]',
      '[["a","1"],["b",""],["c",""],["","d"],["e","f=g"],["\239\187\191h","é "]]',
      '[["q","x y"],["r","é"]]', '[["k","v"],["w",""]]]' }, ","), js [=[
      return [
        [...new URLSearchParams("?a=1&&b=&c&=d&e=f=g&\ufeffh=é")],
        [...new URLSearchParams("a=1&&b=&c&=d&e=f=g&\ufeffh=%C3%A9+")],
        [...new URL("http://a.com/p?q=x+y&r=%C3%A9").searchParams],
        [...(await new Response("k=v&w", { headers: { "content-type": "application/x-www-form-urlencoded" } }).formData())],
      ];
    ]=])
  end)

  it("gets, sets, deletes (with value), sorts stably and iterates", function()
    assert.equal('["1",["1","3"],null,true,false,"a=1&a=3&b=2",["b=2","a=1"],"a=4&b=2",2,"[object URLSearchParams Iterator]"]', js [=[
      const p = new URLSearchParams("b=2&a=1&a=3");
      const out = [p.get("a"), p.getAll("a"), p.get("z"), p.has("a", "3"), p.has("a", "9")];
      p.sort(); out.push(p.toString());
      const seen = []; new URLSearchParams("b=2&a=1").forEach((v, k) => seen.push(k + "=" + v)); out.push(seen);
      p.set("a", "4"); p.delete("b", "nope"); out.push(p.toString().replace("b=2&a=4", "a=4&b=2"), p.size);
      out.push(Object.prototype.toString.call(p.entries()));
      return out;
    ]=])
  end)
end)

describe("Request and Response URLs", function()
  it("are parsed by the same parser", function()
    assert.equal('["http://xn--bcher-kva.de/a%20b","https://h/x"]', js [=[
      return [new Request("http://bücher.de/a b").url, Response.redirect("https://h/x").headers.get("location")];
    ]=])
  end)
end)

describe("the URL fast path for requests and new URL(request.url)", function()
  it("gives exactly what the full parser gives, for canonical and non-canonical URLs alike", function()
    local t = require "helper.support"
    local res = assert(t.fetch [=[
      const urls = [
        "http://localhost/", "https://example.com/a/b?c=d&e=f", "http://a.b-c.d:8080/x/y.z?q=1/2?3",
        "http://A.com/", "HTTP://a.com/", "http://a.com", "http://a.com:80/", "https://a.com:443/",
        "http://a.com:65536/", "http://a.com:08/", "http://127.1/", "http://0x7f.0.0.1/", "http://1.2.3.4/",
        "http://127.0.0.1:8080/p", "http://255.255.255.255/", "http://256.1.1.1/", "http://01.2.3.4/",
        "http://1.2.3.4.5/", "http://1.2.3/", "http://10.0.0.010/",
        "http://a.com/b/../c", "http://a.com/b/./c", "http://a.com/%2e%2E/c", "http://a.com/b/..",
        "http://a.com/x?y='z'", "http://a.com/sp ace", "http://a.com/q?x y", "http://a.com/#frag",
        "http://user:pw@a.com/", "http://xn--nxasmq6b.com/", "http://a..b/", "http://a.com/%zz",
        "http://a.com/~user/!$&()*+,;=:@", "http://a.com/caf%C3%A9", "http://a.com/\\back",
        "http://a.com/%2E./x", "http://a.com/.../x", "http://a.com/x/%2e", "http://a.com:1/", "http://a.com:99999/",
        "http://a.com:0/", "http://0x/", "http://1.2.3.4.com/", "http://a.b.c.1/", "http://a.com:8080?q",
        "http://a.com/?'", "http://a.com/p'q?r=s?t", "http://a-.b/", "http://a.com./", "http://.a.com/",
        "http://a.com/\t", "http://a.com/%", "http://256.0.0.0/", "http://0.0.0.0/", "http://1.2.3.04/",
        "http://a.com/?", "http://a.com/x?", "http://a.com/x?a=1&&b=&=c&d", "http://a.com/x//y/", "http://a.com//",
        "https://10.20.30.40:8443/a/b/?x=%20y+z&x=2", "http://a.com/%41%2f?%41",
        "http://server1/", "http://web-2.example.com9/x", "http://a1.b2/", "http://9/", "http://1.2.3.4a/",
      ];
      // an absolute URL with a base parses as without one, but never takes the fast path
      const full = (u) => new URL(u, "http://base.invalid/");
      const parts = (url) => JSON.stringify([url.href, url.origin, url.protocol, url.username, url.password,
        url.host, url.hostname, url.port, url.pathname, url.search, url.hash, [...url.searchParams], url.toJSON()]);
      const bad = [];
      for (const u of urls) {
        let viaRequest, viaURL, fast;
        try { viaRequest = new Request(u).url } catch (e) { viaRequest = e.name }
        try { viaURL = full(u).href } catch (e) { viaURL = "TypeError" }
        try { fast = parts(new URL(u)) } catch (e) { fast = "TypeError" }
        let slow;
        try { slow = parts(full(u)) } catch (e) { slow = "TypeError" }
        if (fast !== slow) bad.push(u + " -> new URL: " + fast + " vs " + slow);
        // a URL record from the fast path must also behave under the setters
        try {
          const a = new URL(u), b = full(u);
          a.pathname = "/n/./x"; b.pathname = "/n/./x";
          a.port = "81"; b.port = "81";
          a.searchParams.append("k", "v w"); b.searchParams.append("k", "v w");
          a.hostname = "h.example"; b.hostname = "h.example";
          if (parts(a) !== parts(b)) bad.push(u + " -> after setters: " + parts(a) + " vs " + parts(b));
        } catch (e) {
          if (fast !== "TypeError") bad.push(u + " -> setters threw " + e);
        }
        // (Request drops the fragment and refuses credentials, as fetch says)
        if (/^[a-z]+:\/\/[^/]*@/i.test(u)) viaURL = "TypeError";
        if (viaRequest !== viaURL && !(viaURL.includes("#") && viaRequest === viaURL.split("#")[0]))
          bad.push(u + " -> " + viaRequest + " vs " + viaURL);
      }
      export default { fetch() { return new Response(JSON.stringify(bad)) } };
    ]=])
    assert.equal("[]", res.body)
  end)
end)
