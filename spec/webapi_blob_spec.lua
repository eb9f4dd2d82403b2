-- Blob, File, FormData, and the body mixin's blob(), formData() and bytes().
local w = require "helper.webapi"
local js, throws, rejects = w.js, w.throws, w.rejects

describe("Blob", function()
  it("joins strings, buffers and blobs, and normalises its type", function()
    assert.equal('[6,"a/b","abcdef","",[99,100]]', js [=[
      const b = new Blob(["ab", new Uint8Array([99]), new Blob(["d"]), new Uint8Array([101, 102]).buffer], { type: "A/B" });
      return [b.size, b.type, await b.text(), new Blob([], { type: "é" }).type, [...await b.slice(2, -2).bytes()]];
    ]=])
  end)

  it("slices with negative positions and converts native line endings", function()
    assert.equal('["cd","b","a\\nb\\nc","x/y"]', js [=[
      const b = new Blob(["abcd"]);
      return [await b.slice(-2).text(), await b.slice(1, 2).text(),
        await new Blob(["a\r\nb\rc"], { endings: "native" }).text(), b.slice(0, 1, "X/Y").type];
    ]=])
    assert.equal([["TypeError: Failed to construct 'Blob': The provided value cannot be converted to a sequence."]],
      throws [=[ new Blob("abc") ]=])
    assert.equal([["TypeError: Failed to construct 'Blob': The provided value 'x' is not a valid enum value of type EndingType."]],
      throws [=[ new Blob([], { endings: "x" }) ]=])
  end)

  it("has File with name and lastModified", function()
    assert.equal('["n.txt",42,true,"File",true]', js [=[
      const f = new File(["x"], "n.txt", { lastModified: 42 });
      const g = new File([], "g");
      return [f.name, f.lastModified, Math.abs(g.lastModified - Date.now()) < 5000, f.constructor.name, f instanceof Blob];
    ]=])
    assert.equal([["TypeError: Failed to construct 'File': 2 arguments required, but only 1 present."]], throws [=[ new File([]) ]=])
  end)
end)

describe("FormData", function()
  it("appends, sets, deletes and iterates entries, turning blobs into files", function()
    assert.equal('[["a","1"],["a","2"],["f","blob"],"3",["x.bin","x.bin"],false,"[object FormData Iterator]"]', js [=[
      const fd = new FormData();
      fd.append("a", "1"); fd.append("a", 2); fd.append("f", new Blob(["b"]));
      const out = [...fd].map(([k, v]) => [k, typeof v === "string" ? v : v.name]);
      fd.set("a", "3"); out.push(fd.get("a"));
      fd.set("g", new Blob([]), "x.bin"); out.push([fd.get("g").name, fd.getAll("g")[0].name]);
      fd.delete("g"); out.push(fd.has("g"), Object.prototype.toString.call(fd.keys()));
      return out;
    ]=])
    assert.equal([["TypeError: Failed to execute 'append' on 'FormData': parameter 2 is not of type 'Blob'."]],
      throws [=[ new FormData().append("a", "b", "c") ]=])
  end)
end)

describe("bodies", function()
  it("encode FormData as multipart/form-data and parse it back", function()
    assert.equal('[true,"v\\r\\nw",["f.txt","text/plain","hi"]]', js [=[
      const fd = new FormData();
      fd.append("k", "v\nw");
      fd.append("f", new File(["hi"], "f.txt", { type: "text/plain" }));
      const r = new Response(fd);
      const type = r.headers.get("content-type");
      const back = await r.formData();
      const f = back.get("f");
      return [type.startsWith("multipart/form-data; boundary="), back.get("k"), [f.name, f.type, await f.text()]];
    ]=])
  end)

  it("take URLSearchParams and Blob bodies with their content types", function()
    assert.equal('["application/x-www-form-urlencoded;charset=UTF-8","a=1&b=%C3%A9","x/y",null,["1","é"]]', js [=[
      const p = new Response(new URLSearchParams({ a: "1", b: "é" }));
      const type = p.headers.get("content-type");
      const text = await p.clone().text();
      const fd = await p.formData();
      return [type, text, new Response(new Blob(["z"], { type: "x/y" })).headers.get("content-type"),
        new Response(new Blob(["z"])).headers.get("content-type"), [fd.get("a"), fd.get("b")]];
    ]=])
  end)

  it("read as Blob with the Content-Type, and as bytes", function()
    assert.equal('["text/plain;charset=utf-8",2,[104,105],true]', js [=[
      const b = await new Response("hi").blob();
      const bytes = await new Request("http://x/", { method: "POST", body: "hi" }).bytes();
      return [b.type, b.size, [...bytes], bytes instanceof Uint8Array];
    ]=])
  end)

  it("reject formData() for other content types", function()
    assert.equal([["TypeError: Failed to execute 'formData' on 'Response': The body's Content-Type (\"text/plain;charset=UTF-8\") is neither multipart/form-data nor application/x-www-form-urlencoded."]],
      rejects [=[ new Response("x").formData() ]=])
  end)
end)
