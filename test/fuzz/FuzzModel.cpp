//===- FuzzModel.cpp - What a config that passed validation must do -------===//

#include "test/fuzz/FuzzModel.h"

#include "frontend/builder/ModelBuilder.h"
#include "frontend/config/ModelConfig.h"
#include "test/fuzz/FuzzFiles.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

namespace ds::fuzz {
namespace {

void checkTextprotoRoundTrip(const config::ModelConfig &config) {
  const std::string text = config::toTextproto(config);
  config::ModelConfig again;
  std::string error;
  if (!config::parseTextprotoConfig(text, "printed.textproto", again, error) ||
      !config::finalizeModelConfig(again, "printed.textproto", error))
    propertyFailed("the printed config does not load back: " + error + "\n" +
                   text);
  if (config::toTextproto(again) != text)
    propertyFailed("the printed config loads back different:\n" + text +
                   "\nversus\n" + config::toTextproto(again));
}

void checkHfRoundTrip(const config::ModelConfig &config) {
  std::string json, error;
  if (!config::exportHfConfigJson(config, json, error))
    return; // a config transformers could not run; the error says why
  config::ModelConfig imported;
  if (!config::importHfConfigJson(json, "exported/config.json", imported,
                                  error) ||
      !config::finalizeModelConfig(imported, "exported/config.json", error))
    propertyFailed("the exported config.json does not import back: " + error +
                   "\n" + json);
  std::string again;
  if (!config::exportHfConfigJson(imported, again, error) || again != json)
    propertyFailed("the exported config.json imports back different:\n" +
                   json + "\nversus\n" + again);
}

void checkBuilds(const config::ModelConfig &config) {
  if (config.num_hidden_layers() > kMaxBuiltLayers)
    return;
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler capture(&context, [&](mlir::Diagnostic &d) {
    diagnostics += d.str() + "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      frontend::buildModel(context, config);
  if (!module || mlir::failed(mlir::verify(*module)))
    propertyFailed("a validated config builds invalid IR:\n" + diagnostics +
                   config::toTextproto(config));
}

} // namespace

void checkFinalizedConfig(const config::ModelConfig &config) {
  checkTextprotoRoundTrip(config);
  checkHfRoundTrip(config);
  checkBuilds(config);
}

} // namespace ds::fuzz
