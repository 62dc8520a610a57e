#include "pipeline/import_model.h"

#include "core/error.h"
#include "import/dynamic_world.h"
#include "nn/graph_spec.h"
#include "store/checkpoint.h"

namespace strata::pipeline {

ImportModelResult run_import_model(const ImportModelOptions& o) {
  if (o.savedmodel.empty()) throw UsageError("import-model: --savedmodel is required");
  if (o.out.empty()) throw UsageError("import-model: --out is required");
  const auto role = import::parse_dynamic_world_role(o.role);
  const nn::ModelState state = import::import_dynamic_world(o.savedmodel, role);

  ImportModelResult r;
  r.role = state.meta("role");
  const nn::GraphSpec g = nn::GraphSpec::parse(state.meta("graph"));
  r.in_bands = g.in_channels();
  r.classes = g.out_channels();
  for (const auto& n : g.nodes) ++r.ops[nn::graph_op_name(n.op)];
  for (const auto& t : state.tensors) {
    if (t.name.starts_with("normalization.")) continue;
    const auto n = static_cast<int64_t>(t.values.size());
    r.parameters += n;
    if (!t.name.ends_with(".running_mean") && !t.name.ends_with(".running_var")) r.trainable_parameters += n;
  }
  store::write_checkpoint(o.out, state);  // temporary name, renamed when whole
  return r;
}

}  // namespace strata::pipeline
