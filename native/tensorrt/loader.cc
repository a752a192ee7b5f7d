#include "tensorrt/loader.h"

#include <dlfcn.h>
#include <glob.h>
#include <link.h>
#include <sys/stat.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "tensorrt/plan_header.h"

#ifndef TRTN_TENSORRT_HEADERS_MAJOR
#define TRTN_TENSORRT_HEADERS_MAJOR 0  // built without TensorRT headers: no preference
#endif
#ifndef TRTN_TENSORRT_HEADERS_MINOR
#define TRTN_TENSORRT_HEADERS_MINOR 0
#endif

namespace trtn {
namespace {

using Factory = void* (*)(void* logger, int32_t version);
using InitPlugins = bool (*)(void* logger, const char* library_namespace);

std::string LastDlError() {
  const char* text = dlerror();
  return text != nullptr ? text : "unknown dlopen error";
}

void Append(std::string* list, const std::string& item, const char* separator = "; ") {
  if (!list->empty()) *list += separator;
  *list += item;
}

bool IsFile(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

bool IsDirectory(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::string Folder(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

// The path a handle was loaded from, as the dynamic linker found it ("" when unknown).
std::string LoadedPath(void* handle) {
  struct link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr || map->l_name == nullptr) return "";
  return map->l_name;
}

// The file behind that path, symlinks resolved: its name carries the full release
// (libnvonnxparser.so.10 -> libnvonnxparser.so.10.16.0).
std::string RealFile(void* handle) {
  std::string path = LoadedPath(handle);
  char resolved[PATH_MAX];
  return !path.empty() && realpath(path.c_str(), resolved) != nullptr ? resolved : path;
}

// "libnvonnxparser.so.10.16.0" -> 101600; 0 unless the name carries major.minor.patch.
int32_t VersionFromFileName(const std::string& file) {
  size_t at = file.rfind(".so.");
  if (at == std::string::npos) return 0;
  int parts[3] = {0, 0, 0};
  size_t count = 0;
  const char* p = file.c_str() + at + 4;
  while (count < 3 && *p >= '0' && *p <= '9') {
    char* end = nullptr;
    parts[count++] = static_cast<int>(std::strtol(p, &end, 10));
    p = end;
    if (*p != '.') break;
    ++p;
  }
  return count == 3 && parts[1] < 100 && parts[2] < 100 ? parts[0] * 10000 + parts[1] * 100 + parts[2] : 0;
}

template <typename Fn>
bool Resolve(void* handle, const char* symbol, Fn* out, std::string* reason) {
  dlerror();
  void* address = dlsym(handle, symbol);
  if (address == nullptr) {
    if (reason != nullptr) Append(reason, std::string("missing symbol ") + symbol + ": " + LastDlError());
    return false;
  }
  *out = reinterpret_cast<Fn>(address);
  return true;
}

#ifdef TRTN_SIMULATOR
// The simulator build looks next to the addon, where the simulated TensorRT libraries are built
// (build-sim/Release), so the sim addon never picks up a real TensorRT by accident.
std::string AddonDirectory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&LastDlError), &info) == 0 || info.dli_fname == nullptr) return "";
  return Folder(info.dli_fname);
}
#endif

#ifndef TRTN_SIMULATOR
// Where TensorRT's installers put its libraries, after the dynamic linker's own search: the .deb
// packages' multiarch folder (found without ldconfig too) and the usual homes of the tar package.
std::vector<std::string> InstallFolders() {
  std::vector<std::string> folders;
#if defined(__x86_64__)
  folders.push_back("/usr/lib/x86_64-linux-gnu");
#elif defined(__aarch64__)
  folders.push_back("/usr/lib/aarch64-linux-gnu");
#endif
  if (const char* root = std::getenv("TENSORRT_ROOT"); root != nullptr && *root != '\0') folders.push_back(std::string(root) + "/lib");
  folders.push_back("/usr/local/tensorrt/lib");
  folders.push_back("/opt/tensorrt/lib");
  for (const char* pattern : {"/usr/local/TensorRT-*/lib", "/opt/TensorRT-*/lib"}) {
    glob_t matches{};
    if (glob(pattern, GLOB_ONLYDIR, nullptr, &matches) == 0) {
      for (size_t i = 0; i < matches.gl_pathc; ++i) folders.push_back(matches.gl_pathv[i]);
    } else {
      folders.push_back(pattern);  // listed as looked in, with no match
    }
    globfree(&matches);
  }
  return folders;
}
#endif

// One library search: each candidate is offered to `accept` (which may pass it over, saying why)
// until one is accepted. Every failure and every place looked in end up in the reason.
struct Search {
  std::string failures;             // dlopen errors and reasons a library was passed over
  std::vector<std::string> looked;  // places, in order

  template <typename Accept>
  void* Run(const char* override_env, const std::string& stem, const std::vector<int>& majors, const std::string& preferred_folder,
            std::string* loaded, Accept accept) {
    auto names = [&] {
      std::vector<std::string> list;
      for (int major : majors) list.push_back(stem + ".so." + std::to_string(major));
      return list;
    }();
    auto try_path = [&](const std::string& path) -> void* {
      dlerror();
      // RTLD_LOCAL keeps TensorRT's symbols from interposing on anything else in the process.
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle == nullptr) {
        Append(&failures, LastDlError());
        return nullptr;
      }
      std::string why;
      if (!accept(handle, &why)) {
        Append(&failures, path + ": " + why);
        return nullptr;  // the handle stays open: unloading TensorRT libraries is not safe
      }
      *loaded = path;
      return handle;
    };
    auto try_folder = [&](const std::string& folder) -> void* {
      looked.push_back(folder);
      for (const std::string& name : names) {
        std::string path = folder + "/" + name;
        if (!IsFile(path)) continue;
        if (void* handle = try_path(path)) return handle;
      }
      return nullptr;
    };

    if (const char* value = std::getenv(override_env); value != nullptr && *value != '\0') {
      std::string path = value;
      if (IsDirectory(path)) return try_folder(path);
      looked.push_back(std::string(override_env) + "=" + path);
      return try_path(path);
    }
    looked.push_back(std::string(override_env) + " (not set)");
    if (!preferred_folder.empty()) {
      if (void* handle = try_folder(preferred_folder)) return handle;
    }
#ifdef TRTN_SIMULATOR
    return try_folder(AddonDirectory());
#else
    const char* library_path = std::getenv("LD_LIBRARY_PATH");
    looked.push_back(std::string("the dynamic linker's search path (LD_LIBRARY_PATH=") + (library_path ? library_path : "") +
                     ", /etc/ld.so.cache, /lib, /usr/lib)");
    for (const std::string& name : names) {
      if (void* handle = try_path(name)) return handle;
    }
    for (const std::string& folder : InstallFolders()) {
      if (void* handle = try_folder(folder)) return handle;
    }
    return nullptr;
#endif
  }

  std::string Reason(const std::string& stem, const std::vector<int>& majors) const {
    std::string names;
    for (int major : majors) Append(&names, stem + ".so." + std::to_string(major), " or ");
    std::string places;
    for (const std::string& place : looked) Append(&places, place, ", ");
    std::string text = failures;
    Append(&text, "looked for " + names + " in: " + places);
    return text;
  }
};

// The first factory calls register the standard plugins with TensorRT's plugin registry, as
// NVIDIA's samples do before creating a runtime or builder: plans and ONNX models that use
// plugin layers need them registered first.
Factory g_runtime_factory = nullptr;
Factory g_builder_factory = nullptr;
InitPlugins g_init_plugins = nullptr;
std::once_flag g_plugins_once;
enum PluginInit { kNotYet, kRegistered, kFailed };
std::atomic<int> g_plugins_state{kNotYet};

void RegisterPluginsOnce(void* logger) {
  std::call_once(g_plugins_once, [logger] {
    if (g_init_plugins == nullptr) return;
    g_plugins_state = g_init_plugins(logger, "") ? kRegistered : kFailed;
  });
}

void* CreateRuntime(void* logger, int32_t version) {
  RegisterPluginsOnce(logger);
  return g_runtime_factory(logger, version);
}

void* CreateBuilder(void* logger, int32_t version) {
  RegisterPluginsOnce(logger);
  return g_builder_factory(logger, version);
}

std::vector<int> Majors(int preferred) {
  // The runtime classes were compiled against one major version's headers (their layout differs
  // between majors): look for that major first, so a machine with both 10 and 11 gets the usable one.
  return preferred == 10 ? std::vector<int>{10, 11} : std::vector<int>{11, 10};
}

TensorRTLibrary Load() {
  TensorRTLibrary lib;
  const std::vector<int> majors = Majors(TRTN_TENSORRT_HEADERS_MAJOR);
  Search nvinfer_search;
  void* nvinfer = nvinfer_search.Run("TENSORRT_NODE_NVINFER", "libnvinfer", majors, "", &lib.path, [&](void* handle, std::string* why) {
    int32_t (*get_version)() = nullptr;
    Factory runtime = nullptr;
    bool ok = Resolve(handle, "getInferLibVersion", &get_version, why);
    ok = Resolve(handle, "createInferRuntime_INTERNAL", &runtime, why) && ok;
    if (!ok) return false;
    LibraryVersion version = UnpackLibraryVersion(get_version());
    if (TRTN_TENSORRT_HEADERS_MAJOR != 0) {
      std::string mismatch = HeadersLibraryMismatch(LibraryVersion{TRTN_TENSORRT_HEADERS_MAJOR, TRTN_TENSORRT_HEADERS_MINOR, 0}, version);
      if (!mismatch.empty()) {
        *why = mismatch;
        return false;
      }
    }
    lib.version = get_version();
    g_runtime_factory = runtime;
    return true;
  });
  if (nvinfer == nullptr) {
    lib.reason = nvinfer_search.Reason("libnvinfer", majors) +
                 ". Set TENSORRT_NODE_NVINFER to the library or its folder (for TensorRT from pip, the tensorrt_libs folder in "
                 "site-packages), or add that folder to LD_LIBRARY_PATH.";
    lib.builder_reason = "libnvinfer is not available";
    lib.parser_reason = "libnvinfer is not available";
    lib.plugins_reason = "libnvinfer is not available";
    return lib;
  }
  lib.available = true;
  lib.create_infer_runtime = &CreateRuntime;
  int32_t (*get_build)() = nullptr;
  if (Resolve(nvinfer, "getInferLibBuildVersion", &get_build, nullptr)) lib.build = get_build();
  // Lean and dispatch runtimes run plans but carry no builder.
  if (Resolve(nvinfer, "createInferBuilder_INTERNAL", &g_builder_factory, &lib.builder_reason)) {
    lib.builder_available = true;
    lib.create_infer_builder = &CreateBuilder;
  } else {
    lib.builder_reason = lib.path + " has no builder (" + lib.builder_reason + "); building engines needs the full libnvinfer";
  }

  // The parser and the plugins come from the same TensorRT release: next to libnvinfer first.
  const std::string folder = Folder(LoadedPath(nvinfer));
  const std::vector<int> major{lib.version / 10000};
  Search parser_search;
  void* parser = parser_search.Run("TENSORRT_NODE_ONNXPARSER", "libnvonnxparser", major, folder, &lib.parser_path,
                                   [&](void* handle, std::string* why) {
                                     int (*get_version)() = nullptr;
                                     bool ok = Resolve(handle, "getNvOnnxParserVersion", &get_version, why);
                                     ok = Resolve(handle, "createNvOnnxParser_INTERNAL", &lib.create_onnx_parser, why) && ok;
                                     if (!ok) return false;
                                     lib.parser_version = VersionFromFileName(RealFile(handle));
                                     // Some builds report their release here; the parser API's own version (0.x) says nothing.
                                     if (lib.parser_version == 0 && get_version() >= 10000) lib.parser_version = get_version();
                                     return true;
                                   });
  lib.parser_available = parser != nullptr;
  if (parser == nullptr) lib.parser_reason = parser_search.Reason("libnvonnxparser", major);

  Search plugin_search;
  void* plugins =
      plugin_search.Run("TENSORRT_NODE_NVINFER_PLUGIN", "libnvinfer_plugin", major, folder, &lib.plugins_path,
                        [&](void* handle, std::string* why) { return Resolve(handle, "initLibNvInferPlugins", &g_init_plugins, why); });
  lib.plugins_available = plugins != nullptr;
  if (plugins == nullptr) lib.plugins_reason = plugin_search.Reason("libnvinfer_plugin", major);
  // Handles stay open for the life of the process: TensorRT objects may live until exit.
  return lib;
}

}  // namespace

std::string TensorRTLibrary::PluginState() const {
  if (!plugins_available) return "TensorRT's plugin library was not found (" + plugins_reason + ")";
  if (g_plugins_state == kFailed) return "initLibNvInferPlugins of " + plugins_path + " failed";
  return plugins_path + " registered its plugins and this is not one of them";
}

bool TensorRTLibrary::PluginsUsable() const { return plugins_available && g_plugins_state != kFailed; }

const TensorRTLibrary& LoadTensorRT() {
  static std::once_flag once;
  static TensorRTLibrary* library = nullptr;
  std::call_once(once, [] { library = new TensorRTLibrary(Load()); });
  return *library;
}

}  // namespace trtn
