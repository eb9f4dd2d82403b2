// ski-mksnapshot <out.snapshot> [warmup.js]: build-time tool that runs the JS layer once
// and writes the V8 startup snapshot libski embeds (see ski_engine_write_snapshot).
#include "engine.h"

#include "../internal.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: ski-mksnapshot <out.snapshot> [warmup.js]\n");
    return 2;
  }
  std::string warmup;
  if (argc > 2) {
    std::ifstream in(argv[2]);
    if (!in) {
      fprintf(stderr, "ski-mksnapshot: cannot read %s\n", argv[2]);
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    warmup = text.str();
  }
  int rc = ski_engine_write_snapshot(argv[1], warmup.c_str());
  if (rc != SKI_OK) {
    fprintf(stderr, "ski-mksnapshot: %s: %s\n", ski_error_name(rc), ski_last_error());
    return 1;
  }
  return 0;
}
