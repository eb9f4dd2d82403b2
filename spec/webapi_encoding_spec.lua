-- TextDecoder's encodings, labels, fatal mode, BOM handling and streaming; atob/btoa.
local w = require "helper.webapi"
local js, throws = w.js, w.throws

describe("TextDecoder", function()
  it("maps the WHATWG labels to encoding names", function()
    assert.equal('["utf-8","utf-16le","utf-16be","windows-1252","iso-8859-2","koi8-r","x-mac-cyrillic","ibm866","iso-8859-8-i","x-user-defined"]', js [=[
      return ["unicode-1-1-utf-8", " UTF-16 ", "utf-16be", "latin1", "l2", "KOI8", "x-mac-ukrainian", "866", "logical", "x-user-defined"]
        .map((l) => new TextDecoder(l).encoding);
    ]=])
  end)

  it("rejects unknown and replacement labels with RangeError", function()
    assert.equal([["RangeError: Failed to construct 'TextDecoder': The encoding label provided ('nope') is invalid."]], throws [=[ new TextDecoder("nope") ]=])
    assert.equal([["RangeError: Failed to construct 'TextDecoder': The encoding label provided ('iso-2022-kr') is invalid."]], throws [=[ new TextDecoder("iso-2022-kr") ]=])
    assert.equal([["RangeError: Failed to construct 'TextDecoder': The encoding label provided ('gbk') names GBK, which this runtime does not decode."]], throws [=[ new TextDecoder("gbk") ]=])
  end)

  it("decodes single-byte encodings, with fatal errors for unmapped bytes", function()
    assert.equal('["€é","Жж","\u{ff}\u{f780}",true]', js [=[
      return [
        new TextDecoder("windows-1252").decode(new Uint8Array([0x80, 0xe9])),
        new TextDecoder("koi8-r").decode(new Uint8Array([0xf6, 0xd6])),
        new TextDecoder("latin1").decode(new Uint8Array([0xff])) + new TextDecoder("x-user-defined").decode(new Uint8Array([0x80])),
        new TextDecoder("windows-1253").decode(new Uint8Array([0xaa])) === "\ufffd",
      ];
    ]=])
    assert.equal([["TypeError: Failed to execute 'decode' on 'TextDecoder': The encoded data was not valid for encoding windows-1253."]],
      throws [=[ new TextDecoder("windows-1253", { fatal: true }).decode(new Uint8Array([0xaa])) ]=])
  end)

  it("decodes UTF-16 with BOM handling, surrogate pairs and lone surrogates", function()
    assert.equal('["A😀","\u{feff}A","AB","A\u{fffd}"]', js [=[
      return [
        new TextDecoder("utf-16le").decode(new Uint8Array([0xff, 0xfe, 0x41, 0, 0x3d, 0xd8, 0x00, 0xde])),
        new TextDecoder("utf-16le", { ignoreBOM: true }).decode(new Uint8Array([0xff, 0xfe, 0x41, 0])),
        new TextDecoder("utf-16be").decode(new Uint8Array([0, 0x41, 0, 0x42])),
        new TextDecoder("utf-16le").decode(new Uint8Array([0x41, 0, 0x3d, 0xd8])),
      ];
    ]=])
    assert.equal([["TypeError: Failed to execute 'decode' on 'TextDecoder': The encoded data was not valid for encoding utf-16le."]],
      throws [=[ new TextDecoder("utf-16le", { fatal: true }).decode(new Uint8Array([0x41])) ]=])
  end)

  it("streams: split sequences wait for the next chunk", function()
    assert.equal('["","😀","","A","\u{fffd}"]', js [=[
      const u8 = new TextDecoder();
      const u16 = new TextDecoder("utf-16le");
      return [
        u8.decode(new Uint8Array([0xf0, 0x9f]), { stream: true }), u8.decode(new Uint8Array([0x98, 0x80])),
        u16.decode(new Uint8Array([0x41]), { stream: true }), u16.decode(new Uint8Array([0])),
        new TextDecoder().decode(new Uint8Array([0xe2, 0x82])),
      ];
    ]=])
  end)

  it("keeps the UTF-8 fatal message", function()
    assert.equal([["TypeError: Failed to execute 'decode' on 'TextDecoder': The encoded data was not valid UTF-8."]],
      throws [=[ new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xff])) ]=])
  end)
end)

describe("atob and btoa", function()
  it("round-trip Latin-1 with forgiving base64", function()
    assert.equal('["aGVsbG8=","hello","\u{ff}\\u0000","ab"]', js [=[
      return [btoa("hello"), atob("aGVs bG8"), atob(btoa("\xff\x00")), atob("YWI")];
    ]=])
  end)

  it("encode Latin-1 however V8 stores the string, and long strings", function()
    -- a slice of a two-byte string is two-byte in V8 but may hold only Latin-1
    assert.equal('["6Q==","/w==",true,1336]', js [=[
      const long = "\xff".repeat(1000);
      return [btoa("\u20ac\xe9".slice(1)), btoa(String.fromCharCode(255)), atob(btoa(long)) === long, btoa(long).length];
    ]=])
    assert.equal([["InvalidCharacterError: Failed to execute 'btoa' on 'WorkerGlobalScope': The string to be encoded contains characters outside of the Latin1 range."]],
      throws [=[ btoa("abc\u0100") ]=])
    assert.equal([["InvalidCharacterError: Failed to execute 'btoa' on 'WorkerGlobalScope': The string to be encoded contains characters outside of the Latin1 range."]],
      throws [=[ btoa("\ud800") ]=])
  end)

  it("throw InvalidCharacterError DOMExceptions", function()
    assert.equal([["InvalidCharacterError: Failed to execute 'btoa' on 'WorkerGlobalScope': The string to be encoded contains characters outside of the Latin1 range."]],
      throws [=[ btoa("€") ]=])
    assert.equal([["InvalidCharacterError: Failed to execute 'atob' on 'WorkerGlobalScope': The string to be decoded is not correctly encoded."]],
      throws [=[ atob("a") ]=])
    assert.equal('[5,true]', js [=[ try { atob("!") } catch (e) { return [e.code, e instanceof DOMException] } ]=])
  end)
end)
