// libnvonnxparser of the simulator: the parser's C entry points. Like the real parser library it
// depends on libnvinfer, where the parser stand-in lives next to the network it fills.
#include <NvOnnxParser.h>

extern "C" void* trtsimCreateOnnxParser(void* network, void* logger) noexcept;

extern "C" TENSORRTAPI int getNvOnnxParserVersion() noexcept { return NV_ONNX_PARSER_VERSION; }

extern "C" TENSORRTAPI void* createNvOnnxParser_INTERNAL(void* network, void* logger, int) noexcept {
  return trtsimCreateOnnxParser(network, logger);
}
