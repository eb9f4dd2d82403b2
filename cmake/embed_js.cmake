# Concatenates the JS layer (core/js/order.txt) inside its wrapper and writes it as a C
# array, so libski carries its runtime and needs no file at run time.
# Inputs: JS_DIR, OUT.
file(STRINGS "${JS_DIR}/order.txt" files REGEX "^[^#].*\\.js$")
set(js "(function (ops, globalThis) {\n\"use strict\";\n")
foreach(f IN LISTS files)
  file(READ "${JS_DIR}/${f}" body)
  string(APPEND js "// ---- ${f} ----\n${body}\n")
endforeach()
string(APPEND js "return internals;\n})\n")
file(WRITE "${OUT}.js" "${js}")
file(READ "${OUT}.js" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR len "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp" "/* generated from core/js by cmake/embed_js.cmake; do not edit */\n#include <stddef.h>\nconst char ski_js_runtime[] = {\n${bytes}0};\nconst size_t ski_js_runtime_len = ${len};\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
