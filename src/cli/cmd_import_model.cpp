#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/log.h"
#include "pipeline/import_model.h"

namespace strata::cli {

int cmd_import_model(int argc, char** argv) {
  Args args("import-model",
            "Reads Google's Dynamic World TensorFlow SavedModel (forward or backward, from\n"
            "github.com/google/dynamicworld model/) without TensorFlow and writes an ordinary strata\n"
            "checkpoint: the network as a graph of strata ops, its weights, input bands and normalisation,\n"
            "class names and provenance. Every checksum in the SavedModel is verified.",
            {{"savedmodel", "DIR", "the SavedModel folder (saved_model.pb and variables/)", "", true},
             {"out", "FILE.h5", "the checkpoint to write", "", true},
             {"role", "auto|forward|backward", "which Dynamic World model it is; auto knows the published weights", "auto",
              false}});
  if (!parse_command_line(args, argc, argv)) return 0;  // --help was printed
  const auto r = pipeline::run_import_model({args.get("savedmodel"), args.get("out"), args.get("role")});
  std::printf("%s: %lld -> %lld channels, %lld parameters (%lld without batch-norm running statistics)\n", r.role.c_str(),
              static_cast<long long>(r.in_bands), static_cast<long long>(r.classes), static_cast<long long>(r.parameters),
              static_cast<long long>(r.trainable_parameters));
  std::string ops;
  for (const auto& [op, n] : r.ops) ops += (ops.empty() ? "" : ", ") + op + " " + std::to_string(n);
  std::printf("graph: %s\n", ops.c_str());
  log::info("wrote ", args.get("out"));
  return 0;
}

}  // namespace strata::cli
