// strata import-model on Google's published Dynamic World SavedModels (../shared/models/dynamicworld,
// never copied into the repository; the tests skip without them): both import, with the graph,
// parameter counts, op histogram, normalisation and provenance expected; the checkpoint reads
// back; and corrupt copies (made in a temporary folder) fail with one line naming the file and
// the reason, leaving nothing under --out.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <fstream>
#include <random>

#include "core/error.h"
#include "import/dynamic_world.h"
#include "import/keras_graph.h"
#include "import/saved_model.h"
#include "import/sstable.h"
#include "import/tensor_bundle.h"
#include "import_bytes.h"
#include "nn/graph_spec.h"
#include "pipeline/import_model.h"
#include "store/checkpoint.h"
#include "test_util.h"

namespace strata::nn {
#include "nn/models/dynamic_world_graph.inc"
}

namespace strata {
namespace {

namespace fs = std::filesystem;

const std::string kModels = STRATA_SHARED_MODELS;
std::string model_dir(const char* which) { return kModels + "/" + which; }
bool have_models() {
  return fs::is_regular_file(model_dir("forward") + "/saved_model.pb") && fs::is_regular_file(model_dir("backward") + "/saved_model.pb");
}
#define SKIP_WITHOUT_MODELS()                                           \
  if (!have_models()) {                                                 \
    GTEST_SKIP() << "no Dynamic World SavedModels at " << kModels;      \
  }

using test::error_of;

// Both models have this architecture (and the forward one's is kDynamicWorldGraph).
const std::map<std::string, int64_t> kOps = {{"input", 1},  {"conv2d", 15}, {"depthwise_conv2d", 10}, {"batch_norm", 24},
                                         {"mish", 24},  {"add", 3},     {"concat", 1},            {"resize", 2},
                                         {"l2_normalize", 1}};

std::map<std::string, int64_t> histogram(const nn::GraphSpec& g) {
  std::map<std::string, int64_t> h;
  for (const auto& n : g.nodes) ++h[nn::graph_op_name(n.op)];
  return h;
}

const nn::ModelState& imported(const char* which) {
  static std::map<std::string, nn::ModelState> cache;
  auto it = cache.find(which);
  if (it == cache.end()) it = cache.emplace(which, import::import_dynamic_world(model_dir(which), import::DynamicWorldRole::automatic)).first;
  return it->second;
}

void expect_common(const nn::ModelState& s, const char* which) {
  EXPECT_EQ(s.meta("format"), nn::kStateFormat);
  EXPECT_EQ(s.meta("arch"), "graph");
  EXPECT_EQ(s.meta("in_bands"), "9");
  EXPECT_EQ(s.meta("classes"), "9");
  EXPECT_EQ(s.meta("widths"), "");
  EXPECT_EQ(s.meta("step"), "0");
  EXPECT_EQ(s.meta("source.format"), "tensorflow-savedmodel/keras-functional");
  EXPECT_EQ(s.meta("source.path"), fs::absolute(model_dir(which)).lexically_normal().string());
  EXPECT_NE(s.meta("source.notice").find("This code is produced for the Dynamic World Project by Google in partnership with "
                                         "National Geographic and the World Resources Institute."),
            std::string::npos);
  EXPECT_NE(s.meta("source.notice").find("Apache-2.0"), std::string::npos);
  EXPECT_NE(s.meta("source.notice").find("doi 10.1038/s41597-022-01307-4"), std::string::npos);
  EXPECT_EQ(s.meta("source.saved_model_sha256").size(), 64u);

  const nn::GraphSpec g = nn::GraphSpec::parse(s.meta("graph"));
  EXPECT_EQ(g.to_text(), s.meta("graph"));  // the text round-trips
  EXPECT_EQ(histogram(g), kOps);
  EXPECT_EQ(g.nodes.size(), 81u);
  EXPECT_EQ(g.nodes.front().op, nn::GraphOp::input);
  EXPECT_EQ(g.in_channels(), 9);
  EXPECT_EQ(g.out_channels(), 9);
  EXPECT_EQ(g.nodes.back().op, nn::GraphOp::conv2d);

  // Every parameter the graph names is there with the shape graph_spec.h gives it; nothing else.
  const std::vector<int64_t> channels = g.channels();
  size_t expected = 2;  // normalization.a, .b
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const auto& n = g.nodes[i];
    const int64_t cin = n.inputs.empty() ? 0 : channels[static_cast<size_t>(g.index_of(n.inputs[0]))];
    std::vector<std::pair<std::string, std::vector<int64_t>>> want;
    if (n.op == nn::GraphOp::conv2d) want = {{".weight", {n.channels, cin, n.kernel, n.kernel}}, {".bias", {n.channels}}};
    if (n.op == nn::GraphOp::depthwise_conv2d) want = {{".weight", {cin, 1, n.kernel, n.kernel}}, {".bias", {cin}}};
    if (n.op == nn::GraphOp::batch_norm)
      want = {{".weight", {cin}}, {".bias", {cin}}, {".running_mean", {cin}}, {".running_var", {cin}}};
    for (const auto& [suffix, shape] : want) {
      const nn::StateTensor* t = s.find(n.name + suffix);
      ASSERT_NE(t, nullptr) << n.name + suffix;
      EXPECT_EQ(t->shape, shape) << n.name + suffix;
    }
    expected += want.size();
  }
  EXPECT_EQ(s.tensors.size(), expected);
  for (const auto& t : s.tensors)
    for (float v : t.values) ASSERT_TRUE(std::isfinite(v)) << t.name;
  for (const auto& t : s.tensors) {
    if (!t.name.ends_with(".running_var")) continue;
    for (float v : t.values) EXPECT_GE(v, 0.0f) << t.name;
  }

  std::vector<nn::StateTensor> weights;
  for (const auto& t : s.tensors)
    if (!t.name.starts_with("normalization.")) weights.push_back(t);
  const auto p = import::count_parameters(weights);
  EXPECT_EQ(p.all, 231209);  // as the README (Keras' count_params) counts: with the BN moving statistics
  EXPECT_EQ(p.trainable, 225513);
}

TEST(ImportModel, ForwardModel) {
  SKIP_WITHOUT_MODELS();
  const nn::ModelState& s = imported("forward");
  expect_common(s, "forward");
  EXPECT_EQ(s.meta("role"), "dynamic-world-forward");
  EXPECT_EQ(s.meta("normalization.mode"), "log_sigmoid");
  EXPECT_EQ(s.meta("band_names"), "B2,B3,B4,B5,B6,B7,B8,B11,B12");
  EXPECT_EQ(s.meta("class_names"), "water,trees,grass,flooded_vegetation,crops,shrub_and_scrub,built,bare,snow_and_ice");
  EXPECT_EQ(s.meta("source.variables_sha256"), "c4a38299f2c0a741682cbe48810d55afdc832ff451e3d3708082751fe655fcb1");
  ASSERT_NE(s.find("normalization.a"), nullptr);
  EXPECT_FLOAT_EQ(s.find("normalization.a")->values.at(0), 1.7417268007636313f);  // B2
  EXPECT_FLOAT_EQ(s.find("normalization.b")->values.at(8), 2.4140534947492487f);  // B12
  EXPECT_EQ(s.meta("graph"), nn::kDynamicWorldGraph);  // src/nn/models/dynamic_world_graph.inc

  const nn::GraphSpec g = nn::GraphSpec::parse(s.meta("graph"));
  const auto& resize = g.nodes[static_cast<size_t>(g.index_of("tf.image.resize"))];
  EXPECT_EQ(resize.divisor, 2);
  EXPECT_TRUE(resize.antialias);
  const auto& resize_back = g.nodes[static_cast<size_t>(g.index_of("tf.image.resize_1"))];
  EXPECT_EQ(resize_back.divisor, 1);
  EXPECT_FALSE(resize_back.antialias);
  EXPECT_EQ(resize_back.size_of, resize.size_of);  // back to the full-resolution size
  for (const auto& n : g.nodes)
    if (n.op == nn::GraphOp::batch_norm) {
      EXPECT_DOUBLE_EQ(n.eps, 0.001);
      EXPECT_DOUBLE_EQ(n.momentum, 0.01);  // Keras 0.99
    }
}

TEST(ImportModel, BackwardModel) {
  SKIP_WITHOUT_MODELS();
  const nn::ModelState& s = imported("backward");
  expect_common(s, "backward");
  EXPECT_EQ(s.meta("role"), "dynamic-world-backward");
  EXPECT_EQ(s.meta("normalization.mode"), "standard");
  EXPECT_EQ(s.meta("band_names"), "water,trees,grass,flooded_vegetation,crops,shrub_and_scrub,built,bare,snow_and_ice");
  EXPECT_EQ(s.meta("class_names"), "B2,B3,B4,B5,B6,B7,B8,B11,B12");
  EXPECT_EQ(s.find("normalization.a")->values, std::vector<float>(9, 0.0f));
  EXPECT_EQ(s.find("normalization.b")->values, std::vector<float>(9, 1.0f));
  EXPECT_EQ(s.meta("source.variables_sha256"), "6383a61b35b43ddbecd1289d6ab4f3054f1255cc85116e01e46d2011b82a3da5");
}

TEST(ImportModel, WritesACheckpointThatReadsBack) {
  SKIP_WITHOUT_MODELS();
  test::TempDir dir;
  const auto r = pipeline::run_import_model({model_dir("forward"), dir / "dw.h5", "auto"});
  EXPECT_EQ(r.role, "dynamic-world-forward");
  EXPECT_EQ(r.parameters, 231209);
  EXPECT_EQ(r.trainable_parameters, 225513);
  EXPECT_EQ(r.in_bands, 9);
  EXPECT_EQ(r.classes, 9);
  EXPECT_EQ(r.ops, kOps);
  const nn::ModelState back = store::read_checkpoint(dir / "dw.h5");
  const nn::ModelState& s = imported("forward");
  EXPECT_EQ(back.metadata, s.metadata);
  ASSERT_EQ(back.tensors.size(), s.tensors.size());
  for (const auto& t : s.tensors) {
    const nn::StateTensor* b = back.find(t.name);
    ASSERT_NE(b, nullptr) << t.name;
    EXPECT_EQ(b->shape, t.shape);
    EXPECT_EQ(b->values, t.values);
  }
  // Nothing beside it but the checkpoint.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(ImportModel, CommandLine) {
  SKIP_WITHOUT_MODELS();
  test::TempDir dir;
  auto r = test::run_strata("import-model --savedmodel " + model_dir("backward") + " --out " + (dir / "b.h5"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("dynamic-world-backward: 9 -> 9 channels, 231209 parameters (225513 without batch-norm"), std::string::npos)
      << r.output;
  EXPECT_TRUE(fs::exists(dir / "b.h5"));
  r = test::run_strata("import-model --savedmodel " + (dir / "nothing") + " --out " + (dir / "c.h5"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.output, "strata: error: " + (dir / "nothing") + ": no such SavedModel folder\n");
  r = test::run_strata("import-model --savedmodel " + model_dir("forward") + " --out " + (dir / "c.h5") + " --role sideways");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(dir / "c.h5"));
  r = test::run_strata("import-model --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("--savedmodel"), std::string::npos);
}

// A writable copy of a published model, to corrupt.
std::string copy_model(const test::TempDir& dir, const char* which) {
  const std::string to = dir / which;
  for (const auto& e : fs::recursive_directory_iterator(model_dir(which))) {
    const fs::path target = fs::path(to) / fs::relative(e.path(), model_dir(which));
    if (e.is_directory()) {
      fs::create_directories(target);
    } else {
      fs::create_directories(target.parent_path());
      fs::copy_file(e.path(), target);
      fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
    }
  }
  return to;
}

void flip_bit(const std::string& path, int64_t offset, int bit) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ (1 << bit));
  f.seekp(offset);
  f.write(&c, 1);
}

// The import fails with one line naming `file` and holding `reason`, and leaves no file in `out`'s folder.
void expect_import_error(const std::string& model, const std::string& file, const std::string& reason, const char* role = "auto") {
  test::TempDir out;
  const std::string msg = error_of([&] { pipeline::run_import_model({model, out / "dw.h5", role}); });
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_EQ(msg.rfind(file + ": ", 0), 0u) << msg;
  EXPECT_NE(msg.find(reason), std::string::npos) << msg;
  EXPECT_EQ(std::distance(fs::directory_iterator(out.path()), fs::directory_iterator()), 0) << "something was written";
}

TEST(ImportModelErrors, MissingVariablesFolder) {
  SKIP_WITHOUT_MODELS();
  test::TempDir dir;
  const std::string m = copy_model(dir, "forward");
  fs::remove_all(m + "/variables");
  expect_import_error(m, m + "/variables", "no such folder (a SavedModel keeps its weights there)");
  fs::create_directories(m + "/variables");
  expect_import_error(m, m + "/variables/variables.index", "no such file");
}

TEST(ImportModelErrors, TruncatedVariablesData) {
  SKIP_WITHOUT_MODELS();
  test::TempDir dir;
  const std::string m = copy_model(dir, "forward");
  const std::string data = m + "/variables/variables.data-00000-of-00001";
  fs::resize_file(data, 500000);
  expect_import_error(m, data, "lie outside the file (500000 bytes; truncated or corrupt?)");
  fs::resize_file(data, 0);
  expect_import_error(m, data, "truncated or corrupt");
}

TEST(ImportModelErrors, FlippedBitInVariablesData) {
  SKIP_WITHOUT_MODELS();
  test::TempDir dir;
  const std::string m = copy_model(dir, "forward");
  const std::string data = m + "/variables/variables.data-00000-of-00001";
  import::TensorBundle bundle(m + "/variables/variables");
  const auto& e = bundle.entry("variables/0/.ATTRIBUTES/VARIABLE_VALUE");  // conv2d's kernel
  flip_bit(data, e.offset + 1000, 3);
  expect_import_error(m, data, "tensor 'variables/0/.ATTRIBUTES/VARIABLE_VALUE': checksum mismatch (corrupt data file)");
  flip_bit(data, e.offset + 1000, 3);  // restored; now the object graph's string bytes
  const auto& g = bundle.entry(import::kObjectGraphKey);
  flip_bit(data, g.offset + g.size - 10, 0);
  expect_import_error(m, data, "tensor '_CHECKPOINTABLE_OBJECT_GRAPH': checksum mismatch (corrupt data file)");
}

TEST(ImportModelErrors, FlippedBitInVariablesIndex) {
  SKIP_WITHOUT_MODELS();
  test::TempDir dir;
  const std::string m = copy_model(dir, "forward");
  const std::string index = m + "/variables/variables.index";
  flip_bit(index, 10, 5);  // inside the first (Snappy-compressed) data block
  expect_import_error(m, index, "checksum mismatch (corrupt file)");
  flip_bit(index, 10, 5);
  flip_bit(index, static_cast<int64_t>(fs::file_size(index)) - 3, 1);  // the footer's magic
  expect_import_error(m, index, "bad table magic number");
}

TEST(ImportModelErrors, SavedModelWithoutKerasConfig) {
  SKIP_WITHOUT_MODELS();
  test::TempDir dir;
  const std::string m = copy_model(dir, "backward");
  const std::string pb = m + "/saved_model.pb";
  const std::string no_config = "no Keras model config in the SavedModel (not a Keras SavedModel, or truncated)";
  fs::resize_file(pb, 100000);  // truncated
  expect_import_error(m, pb, no_config + ": SavedModel: field 2 claims 1459903 bytes, only 99994 left");
  fs::copy_file(kModels + "/LICENSE", pb, fs::copy_options::overwrite_existing);  // an unrelated file
  fs::permissions(pb, fs::perms::owner_read | fs::perms::owner_write);
  expect_import_error(m, pb, no_config);
  // A well-formed SavedModel whose root object is not a Keras model.
  using test::pb_bytes;
  const std::string user = pb_bytes(1, "_generic_user_object");
  const std::string saved = test::pb_varint(1, 1) + pb_bytes(2, pb_bytes(7, pb_bytes(1, pb_bytes(4, user))));
  std::ofstream(pb, std::ios::binary | std::ios::trunc) << saved;
  expect_import_error(m, pb, no_config);
  // A Keras root without its metadata.
  std::ofstream(pb, std::ios::binary | std::ios::trunc)
      << test::pb_varint(1, 1) + pb_bytes(2, pb_bytes(7, pb_bytes(1, pb_bytes(4, pb_bytes(1, "_tf_keras_network")))));
  expect_import_error(m, pb, "the Keras model has no metadata in saved_model.pb");
  fs::remove(pb);
  expect_import_error(m, pb, "no such file");
}

TEST(ImportModelErrors, WeightsOtherThanThePublishedNeedARole) {
  SKIP_WITHOUT_MODELS();
  test::TempDir dir;
  const std::string m = copy_model(dir, "forward");
  const std::string data = m + "/variables/variables.data-00000-of-00001";
  std::ofstream(data, std::ios::binary | std::ios::app) << '\0';  // another digest, every tensor intact
  expect_import_error(m, data, "not the published weights of Dynamic World's forward or backward model");
  test::TempDir out;
  const auto r = pipeline::run_import_model({m, out / "dw.h5", "forward"});
  EXPECT_EQ(r.role, "dynamic-world-forward");
  EXPECT_NE(store::read_checkpoint(out / "dw.h5").meta("source.variables_sha256"),
            "c4a38299f2c0a741682cbe48810d55afdc832ff451e3d3708082751fe655fcb1");
}

TEST(ImportModelErrors, RandomCorruptionOfTheRealIndexGivesErrors) {
  SKIP_WITHOUT_MODELS();
  const std::string path = model_dir("forward") + "/variables/variables.index";
  std::ifstream in(path, std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(import::read_table(good, path).size(), 148u);  // the header and 147 tensors
  std::mt19937_64 rng(5);
  int failed = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string f = good;
    f[rng() % f.size()] ^= static_cast<char>(1 + rng() % 255);
    if (i % 5 == 0) f.resize(rng() % f.size());
    try {
      for (const auto& [key, value] : import::read_table(f, path))
        if (!key.empty()) (void)import::parse_bundle_entry(value, key);
    } catch (const Error&) {
      ++failed;
    }
  }
  EXPECT_GT(failed, 1900);  // the block checksums catch nearly every change
}

// The conversion itself on the real forward config, edited: what a SavedModel with another layer
// or mismatched weights would give (editing the JSON inside saved_model.pb would change the
// lengths of every enclosing message).
struct RealForward {
  std::string pb = model_dir("forward") + "/saved_model.pb";
  nlohmann::json config;
  import::TrackableObjectGraph objects;
  std::map<std::string, import::FloatTensor> tensors;
  RealForward() {
    std::ifstream in(pb, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    config = import::keras_functional_config(bytes, pb);
    import::TensorBundle bundle(model_dir("forward") + "/variables/variables");
    objects = bundle.object_graph();
    tensors = bundle.read_all_floats();
  }
  nlohmann::json& inner_layer(const std::string& name) {
    for (auto& l : config["config"]["layers"][1]["config"]["layers"])
      if (l["name"] == name) return l;
    throw std::runtime_error("no layer " + name);
  }
  std::string convert() {
    return error_of([&] { import::convert_keras_model(config, objects, tensors, pb); });
  }
};

TEST(ImportModelErrors, UnsupportedLayerInTheRealConfig) {
  SKIP_WITHOUT_MODELS();
  RealForward f;
  EXPECT_EQ(f.convert(), "(no error)");
  f.inner_layer("conv2d_2")["class_name"] = "Conv3D";
  EXPECT_EQ(f.convert(), f.pb + ": layer 'conv2d_2' of type Conv3D is not supported by strata import-model");
  f.inner_layer("conv2d_2")["class_name"] = "Conv2D";
  f.inner_layer("tf.math.l2_normalize")["config"]["function"] = "math.reduce_mean";
  EXPECT_EQ(f.convert(), f.pb + ": layer 'tf.math.l2_normalize' of type TFOpLambda/math.reduce_mean is not supported by strata "
                                "import-model");
}

TEST(ImportModelErrors, ShapeMismatchInTheRealConfig) {
  SKIP_WITHOUT_MODELS();
  RealForward f;
  f.inner_layer("conv2d")["config"]["filters"] = 32;
  EXPECT_EQ(f.convert(), f.pb + ": layer 'conv2d' (Conv2D): kernel has shape [3, 3, 9, 64] in the checkpoint, the config and the "
                                "layer's input say [3, 3, 9, 32]");
  f.inner_layer("conv2d")["config"]["filters"] = 64;
  f.config["config"]["layers"][0]["config"]["batch_input_shape"]["items"][3] = 13;  // 13 bands in
  EXPECT_EQ(f.convert(), f.pb + ": layer 'conv2d' (Conv2D): kernel has shape [3, 3, 9, 64] in the checkpoint, the config and the "
                                "layer's input say [3, 3, 13, 64]");
}

}  // namespace
}  // namespace strata
