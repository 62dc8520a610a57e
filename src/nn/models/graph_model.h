#pragma once
// A model whose architecture is data: a GraphSpec (nn/graph_spec.h) run node by node on a backend.
// What strata import-model writes (Dynamic World's network) and `--model dynamic-world` builds.
//
// Training shares buffers: an output is kept until its last reader (a consumer's forward, or the
// earliest backward that reads it), a gradient from its first writer's backward to its own node's,
// batch norm, mish and ReLU run backward in place, all in one pool of slots; gradients meet where
// a node feeds several (summed).
//
// Inference plans buffers: a convolution followed by its only consumer, a batch norm,
// runs with the batch norm folded into its weights and bias; an activation that is its input's
// only consumer runs in place; and a buffer is reused once its last reader has run, so a
// 1024-pixel tile needs a few activations' memory, not one per node.
#include <cstdint>

#include <memory>

#include "nn/graph_spec.h"
#include "nn/model.h"

namespace strata::nn {

// How far (in input pixels) an output pixel can see, through convolutions and resizes, and the
// multiple input sizes and tile origins must keep so that every resize samples the same grid
// (the product of the resize divisors along the deepest path: 2 for Dynamic World's network).
int64_t graph_receptive_radius(const GraphSpec& spec);
int64_t graph_spatial_multiple(const GraphSpec& spec);

// A graph model (what make_model builds for arch "graph"). share_training_buffers = false (for
// tests) gives every tensor of a training step its own buffer and runs no backward in place, so
// that what the sharing saves can be checked to change no result.
std::unique_ptr<Model> make_graph_model(Backend& be, const ModelConfig& config, uint64_t seed,
                                        bool share_training_buffers = true);

}  // namespace strata::nn
