// The browser test's catalog: `make_serve_catalog DIR` writes the serve tests' synthetic series
// (DIR/synth) and predict's maps of it (DIR/pred), which `strata serve --maps DIR/pred` serves.
#include <cstdio>
#include <exception>

#include "pipeline/synth.h"
#include "serve_fixture.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_serve_catalog DIR\n");
    return 2;
  }
  try {
    const std::string dir = argv[1];
    strata::pipeline::SynthOptions o;
    o.out_dir = dir + "/synth";
    o.size = 384;
    o.dates = 4;
    o.seed = 11;
    o.threads = 1;
    strata::pipeline::run_synth(o);
    std::printf("%s\n", strata::test::make_serve_catalog(dir, o.out_dir + "/S2_*.tif").c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_serve_catalog: %s\n", e.what());
    return 1;
  }
  return 0;
}
