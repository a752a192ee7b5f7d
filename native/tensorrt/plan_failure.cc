#include "tensorrt/plan_failure.h"

#include <cstdint>

#include "error_codes.h"

namespace trtn {
namespace {

constexpr size_t kRealPlanHeaderBytes = 32;

bool Has(const std::string& text, const char* needle) { return text.find(needle) != std::string::npos; }

// The text after `key` up to the next space, comma or parenthesis ("" when absent).
std::string Word(const std::string& text, const std::string& key) {
  size_t start = text.find(key);
  if (start == std::string::npos) return "";
  start += key.size();
  size_t end = text.find_first_of(" ,)\n", start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Header bytes are only a hint: a real TensorRT release number has a major version TensorRT has
// used (junk that happens to carry the tag and a zero word does not).
bool PlausibleVersion(const PlanHeader& header) {
  const LibraryVersion& v = header.version;
  return header.version_known && v.major >= 1 && v.major <= 99 && v.minor <= 99 && v.patch <= 99;
}

bool SameRelease(const LibraryVersion& a, const LibraryVersion& b) {
  return a.major == b.major && a.minor == b.minor && a.patch == b.patch && (a.build < 0 || b.build < 0 || a.build == b.build);
}

// Versions as the user should compare them: with build numbers when only those differ.
std::string Pair(const LibraryVersion& plan, const LibraryVersion& library) {
  bool builds = plan.major == library.major && plan.minor == library.minor && plan.patch == library.patch;
  return "built with TensorRT " + plan.Version(builds) + " but the loaded TensorRT library is " + library.Version(builds);
}

}  // namespace

PlanFailure DiagnosePlanFailure(const PlanFailureContext& c) {
  const std::string& log = c.log;
  std::string library = c.library.Version();

  if (Has(log, "could not find plugin") || Has(log, "IPluginCreator not found")) {
    std::string name = Word(log, "could not find plugin: ");
    std::string version = Word(log, "version: ");
    std::string plugin =
        name.empty() ? "a TensorRT plugin" : "the TensorRT plugin " + name + (version.empty() ? "" : " (version " + version + ")");
    return {ErrorCode::kEngineIncompatible,
            "The plan uses " + plugin + ", which is not registered in this process: " + c.plugins +
                ". Install TensorRT's plugin library (libnvinfer_plugin) next to libnvinfer, or rebuild the engine without the plugin."};
  }
  if (Has(log, "incompatible device")) {
    std::string wanted = Word(log, "expecting compute ");
    std::string got = Word(log, "got compute ");
    std::string which =
        wanted.empty() ? "" : " (this GPU has compute capability " + wanted + (got.empty() ? "" : ", the plan was built for " + got) + ")";
    return {ErrorCode::kEngineIncompatible,
            "The plan was built for another GPU model" + which +
                "; TensorRT engines only run on the GPU model they were built for. Rebuild the engine on this machine "
                "(or build it hardware-compatible)."};
  }
  if (!c.allow_host_code && Has(log, "host code")) {
    return {ErrorCode::kEngineIncompatible,
            "The plan embeds host code (it was built version-compatible); TensorRT runs such plans only when allowed. "
            "Load it with allowHostCode: true if you trust where the file came from."};
  }
  bool other_release = PlausibleVersion(c.header) && !SameRelease(c.header.version, c.library);
  if (other_release || (Has(log, "expecting library version") && !c.header.version_known)) {
    std::string versions = other_release ? Pair(c.header.version, c.library)
                                         : "built with TensorRT " + Word(log, " got ") + " but the loaded TensorRT library is " + library;
    return {ErrorCode::kEngineIncompatible, "The plan was " + versions + ". Rebuild the engine with TensorRT " + library +
                                                ", or build it version-compatible and load it with allowHostCode: true."};
  }
  if (Has(log, "Version tag does not match")) {
    // TensorRT keeps a serialization version in the word after the tag; a small number there is a
    // plan of a release with another plan format, anything else is damage.
    if (c.header.layout_word > 0 && c.header.layout_word <= 0xffff) {
      return {ErrorCode::kEngineIncompatible, "The plan was written by a TensorRT release whose plan format (serialization version " +
                                                  std::to_string(c.header.layout_word) + ") TensorRT " + library +
                                                  " does not read. Rebuild the engine with TensorRT " + library + "."};
    }
    return {ErrorCode::kEngineCorrupt,
            "The data starts with TensorRT's plan tag but is not a plan TensorRT can read (its serialization version tag is "
            "damaged): the file is corrupted or not a plan. Copy the plan again or rebuild the engine."};
  }
  if (c.header.size < kRealPlanHeaderBytes) {
    return {ErrorCode::kEngineCorrupt,
            "The data is not a TensorRT plan: " + std::to_string(c.header.size) +
                " bytes is shorter than a plan header. Pass a .plan/.engine file written by a TensorRT builder."};
  }
  if (!c.header.has_tag || Has(log, "Magic tag does not match")) {
    return {ErrorCode::kEngineCorrupt,
            "The data is not a TensorRT plan (it does not start with the plan tag \"ftrt\"); pass a .plan/.engine file written by a "
            "TensorRT builder."};
  }
  return {ErrorCode::kEngineCorrupt,
          "TensorRT could not deserialize the plan: the file is truncated or corrupted. Copy the plan again or rebuild the engine."};
}

}  // namespace trtn
