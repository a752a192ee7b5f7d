// The operators the simulator supports: their type rules (checked when parsing, as a strongly
// typed network requires), shape rules (with -1 for dimensions known only at run time) and CPU
// kernels.
#pragma once

#include "graph.h"
#include "value.h"

#include <string>
#include <vector>

namespace trtsim {

bool isSupportedOp(const std::string& op);
const std::vector<std::string>& supportedOps();

// Checks the node's attributes and input types and returns its output types; false with a
// reason otherwise. Input types of omitted optional inputs are ignored.
bool inferTypes(const Graph& graph, const Node& node, std::vector<DataType>& outTypes, std::string& error);

// Output shapes from input shapes (entries of -1 stay unknown). Needs constant inputs (Reshape's
// shape) to be in graph.tensors[..].bytes; a shape input that is not a constant is read from
// `values` (indexed like node.inputs, nullptr where unknown), else the shape it decides is unknown.
bool inferShapes(const Graph& graph, const Node& node, const std::vector<Shape>& inShapes, std::vector<Shape>& outShapes,
                 std::string& error, const std::vector<const Value*>* values = nullptr);

// Computes the node on the CPU. Inputs of omitted optional inputs are nullptr.
void runNode(const Node& node, int64_t opset, const std::vector<const Value*>& inputs, std::vector<Value>& outputs);

}  // namespace trtsim
