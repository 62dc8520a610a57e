#pragma once
// A warp-wide operation in the emulator (scheduler.cpp): every lane of `mask` arrives with its
// payload; the last to arrive calls complete() with all of them, then all lanes go on.
#include <string>

#include "kernels/emulator/cuda_emulator.h"

namespace strata::emu {

enum CollectiveKind { kSync = 1, kShuffle = 2, kWmma = 3, kVote = 8 };

struct Collective {
  int kind = 0;
  const char* name = "";
  unsigned mask = 0, arrived = 0;
  bool done = false;
  int departed = 0;
  Site site;
  void* payload[32] = {};  // per lane; the caller passes its own in payload[0]
  void (*complete)(Collective&) = nullptr;
};

void collective(Collective& c, Site site);
// Ends the running block with the report (and where it happened); the fiber never resumes.
[[noreturn]] void fail(const std::string& what);
int current_lane();

}  // namespace strata::emu
