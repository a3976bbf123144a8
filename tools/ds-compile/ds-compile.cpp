//===- ds-compile.cpp - ahead-of-time compiler for ds models --------------===//
//
//   ds-compile model.mlir -o out/                  forward/loss entry points
//   ds-compile model.mlir --train -o out/          + @train_step (autodiff, AdamW)
//   ds-compile config.textproto --passes=... -o out/
//
// Writes an artifact (docs/artifact.md) that ds-run and libdsrt load without
// the compiler. An unchanged input with unchanged options and the same
// compiler is a cache hit: nothing is rebuilt.
//
//===----------------------------------------------------------------------===//

#include "dialects/ds/DsDialect.h"
#include "frontend/ModelSource.h"
#include "frontend/config/ModelConfig.h"
#include "passes/Passes.h"
#include "passes/codegen/Artifact.h"
#include "passes/gpu/CudaPipeline.h"
#include "passes/remat/Report.h"
#include "passes/shard/Communication.h"
#include "passes/shard/RankMemory.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/xxhash.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstdio>
#include <map>

namespace cl = llvm::cl;

static cl::OptionCategory category("ds-compile options");
static cl::opt<std::string> inputPath(cl::Positional, cl::Required,
                                      cl::desc("<model.mlir | config>"),
                                      cl::cat(category));
static cl::opt<std::string> outputDir("o",
                                      cl::desc("Artifact directory to write "
                                               "(required unless --plan)"),
                                      cl::value_desc("dir"), cl::cat(category));
static cl::opt<bool> planOnly(
    "plan",
    cl::desc("Print what one rank holds (weights, gradients, optimizer "
             "state, activations) and what a step sends, from the IR after "
             "--passes, and stop: nothing is lowered or allocated"),
    cl::cat(category));
static cl::list<std::string>
    entries("entry", cl::CommaSeparated,
            cl::desc("Entry points (default: every function no other calls)"),
            cl::cat(category));
static cl::opt<std::string>
    passes("passes",
           cl::desc("A ds-opt pass pipeline to run before compiling, e.g. "
                    "'ds-autodiff,ds-optimizer{lr=0.01}'"),
           cl::cat(category));
static cl::opt<bool> train("train",
                           cl::desc("Shorthand for --passes=ds-autodiff,"
                                    "ds-optimizer (builds @train_step)"),
                           cl::cat(category));
static cl::opt<unsigned> optLevel("O", cl::Prefix,
                                  cl::desc("LLVM optimisation level (0-3)"),
                                  cl::init(3), cl::cat(category));
static cl::opt<bool> force("force", cl::desc("Rebuild even on a cache hit"),
                           cl::cat(category));
static cl::opt<bool> parallel(
    "parallel",
    cl::desc("Run generated loops with enough work on OpenMP threads "
             "(default; --parallel=false keeps them on the calling thread; "
             "the kernels are threaded either way)"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> fuse(
    "fuse",
    cl::desc("Group generated code into kernels with --ds-fuse (default; "
             "--fuse=false gives one loop nest per linalg op)"),
    cl::init(true), cl::cat(category));
static cl::opt<std::string> target(
    "target",
    cl::desc("What to generate code for: cpu (this machine, the default) or "
             "cuda (NVIDIA GPUs; docs/gpu.md)"),
    cl::init("cpu"), cl::cat(category));
static cl::opt<std::string> gpuChip(
    "gpu-chip", cl::desc("The GPU of --target=cuda: sm_90 (H100, H200), "
                         "sm_90a or sm_80 (A100)"),
    cl::init("sm_90"), cl::cat(category));
static cl::opt<std::string> autocast(
    "autocast",
    cl::desc("Mixed precision: the products (GEMMs, attention, experts) in "
             "bf16 or f16 with f32 accumulation, everything else and the "
             "master weights in f32 (--ds-autocast, before the training "
             "step is derived)"),
    cl::init(""), cl::cat(category));
static cl::opt<bool> keep("keep-intermediates",
                          cl::desc("Keep model.ll and model.o"),
                          cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("Print nothing on success"),
                           cl::cat(category));
static cl::opt<std::string> dtype("dtype",
                                  cl::desc("Element type (configs only)"),
                                  cl::cat(category));
static cl::opt<int64_t> batchSize("batch-size",
                                  cl::desc("Batch size (configs only)"),
                                  cl::init(0), cl::cat(category));
static cl::opt<int64_t> seqLen("seq-len",
                               cl::desc("Sequence length (configs only)"),
                               cl::init(0), cl::cat(category));

/// What --ds-fuse did to each entry: generated kernels per call and the
/// bytes they read and write, before and after; library calls beside.
static void printFusion(const mlir::ds::CompileReport &report) {
  llvm::outs() << llvm::format("  %-24s %18s %34s %8s %16s\n", "entry",
                               "kernels", "kernel traffic (B)", "library",
                               "library (B)");
  for (const auto &entry : report.entries)
    llvm::outs() << llvm::format(
        "  %-24s %8lld -> %-6lld %16lld -> %-14lld %8lld %16lld\n",
        entry.name.c_str(), (long long)entry.kernelsBefore,
        (long long)entry.kernelsAfter, (long long)entry.bytesBefore,
        (long long)entry.bytesAfter, (long long)entry.libraryCalls,
        (long long)entry.libraryBytes);
  llvm::outs() << "  (kernels: generated loop nests per call, before -> "
                  "after --ds-fuse; traffic: the bytes they read and write; "
                  "library: kernel calls and their buffers' bytes)\n";
}

static int fail(const std::string &message) {
  llvm::errs() << "ds-compile: " << message << "\n";
  return 1;
}

/// Hex of a 64-bit hash.
static std::string hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(value));
  return text;
}

/// Hash of a file's bytes ("" when it cannot be read).
static std::string fileHash(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return "";
  return hex(llvm::xxh3_64bits((*buffer)->getBuffer()));
}

/// The Hugging Face config.json of the model, written into the artifact so
/// that checkpoints export to a directory transformers loads (ds-export).
/// A model without a config (hand-written IR) or one transformers cannot run
/// as DS does gets none, with a note saying why.
static bool writeHfConfig(const ds::frontend::ModelSource &source,
                          const std::string &directory, std::string &error) {
  std::string path = directory + "/config.json";
  std::string json, why;
  ds::config::ModelConfig config;
  if (source.configText.empty())
    why = "the IR records no model config (ds.model_config)";
  else if (!ds::config::parseTextprotoConfig(source.configText, "ds.model_config",
                                             config, why) ||
           !ds::config::exportHfConfigJson(config, json, why))
    why = "no Hugging Face equivalent: " + why;
  if (!why.empty()) {
    llvm::sys::fs::remove(path);
    if (!quiet)
      llvm::errs() << "ds-compile: note: the artifact has no config.json ("
                   << why << ")\n";
    return true;
  }
  if (llvm::Error e = llvm::writeToOutput(path, [&](llvm::raw_ostream &os) {
        os << json;
        return llvm::Error::success();
      })) {
    error = path + ": " + llvm::toString(std::move(e));
    return false;
  }
  return true;
}

/// `pipeline` without its top-level ds-shard passes: what the training
/// state means does not depend on how it is split over ranks.
static std::string withoutSharding(const std::string &pipeline) {
  std::string kept, element;
  int depth = 0;
  auto flush = [&] {
    if (!llvm::StringRef(element).trim().starts_with("ds-shard"))
      kept += (kept.empty() ? "" : ",") + element;
    element.clear();
  };
  for (char c : pipeline) {
    depth += c == '{' || c == '(';
    depth -= c == '}' || c == ')';
    if (c == ',' && depth == 0)
      flush();
    else
      element += c;
  }
  flush();
  return kept;
}

/// What the backward pass keeps and recomputes, per entry point, counted on
/// the ds IR before lowering consumes it.
struct EntryActivations {
  int64_t savedBytes = 0;
  mlir::ds::RematCost remat;
};

static std::map<std::string, EntryActivations>
activationsOf(mlir::ModuleOp module) {
  std::map<std::string, EntryActivations> entries;
  for (auto function : module.getOps<mlir::func::FuncOp>()) {
    if (function.isExternal() || !function.isPublic())
      continue;
    EntryActivations &entry = entries[function.getSymName().str()];
    entry.savedBytes = mlir::ds::rankMemoryOf(module, function).activations;
    entry.remat = mlir::ds::rematCostOf(module, function);
  }
  return entries;
}

/// --plan: one rank's memory for a call of the training step.
static void printPlan(llvm::raw_ostream &os, mlir::ModuleOp module,
                      mlir::func::FuncOp step) {
  const mlir::ds::RankMemory m = mlir::ds::rankMemoryOf(module, step);
  const mlir::ds::RematCost remat = mlir::ds::rematCostOf(module, step);
  auto gb = [](int64_t bytes) { return double(bytes) / 1e9; };
  int64_t ranks = 1;
  if (auto attr = step->getAttrOfType<mlir::IntegerAttr>(
          mlir::ds::kRanksAttrName))
    ranks = attr.getInt();
  os << llvm::format("memory per rank of @train_step (%lld rank%s, remat "
                     "policy %s)\n",
                     (long long)ranks, ranks == 1 ? "" : "s",
                     mlir::ds::rematPolicyOf(module, step).c_str());
  os << llvm::format("  %-32s %16s %10s\n", "", "bytes", "GB");
  auto row = [&](const char *what, int64_t bytes, const char *note) {
    os << llvm::format("  %-32s %16lld %10.3f  %s\n", what, (long long)bytes,
                       gb(bytes), note);
  };
  row("parameters", m.parameters, "the weights as this rank holds them");
  row("gradients", m.gradients, "as the backward pass returns them");
  row("optimizer state", m.optimizerState, "AdamW's two moments");
  row("activations", m.activations,
      "forward values the backward pass reads");
  row("total", m.parameters + m.gradients + m.optimizerState + m.activations,
      "");
  os << llvm::format("recomputed per step: %lld FLOP (%.1f %% of the step's "
                     "%lld)\n",
                     (long long)remat.flops,
                     remat.totalFlops ? 100.0 * remat.flops / remat.totalFlops
                                      : 0.0,
                     (long long)remat.totalFlops);
}

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "DS ahead-of-time compiler\n");
  if (outputDir.empty() && !planOnly)
    return fail("-o <dir> is required (or --plan to print the plan only)");

  std::string pipeline = passes;
  if (train)
    pipeline = pipeline.empty() ? "ds-autodiff,ds-optimizer"
                                : "ds-autodiff,ds-optimizer," + pipeline;
  if (!autocast.empty()) {
    if (autocast != "bf16" && autocast != "f16")
      return fail("--autocast: expected bf16 or f16, got '" + autocast + "'");
    std::string pass = "ds-autocast{compute=" + autocast + "}";
    pipeline = pipeline.empty() ? pass : pass + "," + pipeline;
  }

  mlir::ds::CompileOptions options = mlir::ds::defaultCompileOptions();
  options.entries.assign(entries.begin(), entries.end());
  options.parallel = parallel;
  options.fuse = fuse;
  if (target != "cpu" && target != "cuda")
    return fail("--target: expected cpu or cuda, got '" + target + "'");
  if (!mlir::ds::parseGpuChip(gpuChip))
    return fail("--gpu-chip: expected sm_80, sm_90 or sm_90a, got '" +
                gpuChip + "'");
  options.target = target;
  options.gpuChip = gpuChip;
  if (const char *cudaRoot = std::getenv("CUDA_ROOT"); cudaRoot && *cudaRoot)
    options.cudaToolkit = cudaRoot;
  options.keepIntermediates = keep;
  options.optLevel = static_cast<int>(optLevel);
  options.source = inputPath;

  mlir::DialectRegistry registry;
  mlir::ds::registerCompilerDialectsAndPasses(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  mlir::SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);

  // The model: a .mlir file, a config, or a checkpoint directory (its
  // config.json; the weights are the runtime's business).
  ds::frontend::ConfigOverrides overrides;
  if (!dtype.empty())
    overrides.dtype = dtype;
  if (batchSize > 0)
    overrides.batchSize = batchSize;
  if (seqLen > 0)
    overrides.seqLen = seqLen;
  ds::frontend::ModelSource source;
  std::string error;
  if (!ds::frontend::loadModelSource(context, sourceMgr, inputPath, overrides,
                                     source, error))
    return fail(error);
  for (const std::string &note : source.notes)
    llvm::errs() << "ds-compile: note: " << note << "\n";
  if (mlir::failed(mlir::verify(*source.module)))
    return fail(inputPath + ": the module does not verify");

  // The cache key: the model (its IR with locations, which name run-time
  // error sites), everything that changes what is generated, and the
  // compiler itself (this binary and the kernels it links in).
  std::string printed;
  {
    llvm::raw_string_ostream stream(printed);
    source.module->print(stream, mlir::OpPrintingFlags().enableDebugInfo());
  }
  std::string self = llvm::sys::fs::getMainExecutable(argv[0], (void *)&fail);
  std::string identity = hex(llvm::xxh3_64bits(printed)) + "|" + pipeline +
                         "|" + (parallel ? "parallel" : "serial") +
                         (fuse ? "|fused" : "|unfused") + "|" + target +
                         (target == "cuda" ? ":" + gpuChip : "") + "|O" +
                         std::to_string(optLevel) + "|" + fileHash(self) +
                         "|" + fileHash(options.kernelsArchive);
  for (const std::string &entry : options.entries)
    identity += "|" + entry;
  options.cacheKey = hex(llvm::xxh3_64bits(identity));
  options.trainingKey = hex(llvm::xxh3_64bits(
      hex(llvm::xxh3_64bits(printed)) + "|" + withoutSharding(pipeline)));
  if (!planOnly && !force &&
      mlir::ds::existingCacheKey(outputDir) == options.cacheKey) {
    if (!quiet)
      llvm::outs() << "ds-compile: " << outputDir
                   << " is up to date (cache hit)\n";
    return 0;
  }

  if (!pipeline.empty() &&
      mlir::failed(mlir::ds::runPassPipeline(*source.module, pipeline, error)))
    return fail("--passes: " + error);

  // What each sharded entry sends and what a rank holds of the training
  // state, counted before lowering consumes the collectives.
  std::string communication;
  {
    llvm::raw_string_ostream os(communication);
    for (auto function : source.module->getOps<mlir::func::FuncOp>()) {
      const bool sharded = function->hasAttr(mlir::ds::kRanksAttrName);
      if (sharded) {
        auto rows = mlir::ds::communicationOf(*source.module, function);
        if (mlir::failed(rows))
          return fail("cannot count the collectives of @" +
                      function.getSymName().str() + " (see the errors above)");
        mlir::ds::printCommunicationTable(os, function.getSymName(), *rows);
      }
      if (sharded || function.getSymName() == "train_step") {
        mlir::ds::StateBytes state = mlir::ds::stateBytesPerRank(function);
        mlir::ds::RankMemory memory =
            mlir::ds::rankMemoryOf(*source.module, function);
        os << llvm::format(
            "state per rank of @%s: parameters %lld B, optimizer state %lld "
            "B, gradients %lld B; activations %lld B (remat policy %s)\n",
            function.getSymName().str().c_str(), (long long)state.parameters,
            (long long)state.optimizerState, (long long)memory.gradients,
            (long long)memory.activations,
            mlir::ds::rematPolicyOf(*source.module, function).c_str());
      }
    }
  }

  if (planOnly) {
    llvm::outs() << communication;
    auto step = source.module->lookupSymbol<mlir::func::FuncOp>("train_step");
    if (!step)
      return fail("--plan: no @train_step (use --train)");
    printPlan(llvm::outs(), *source.module, step);
    return 0;
  }

  const std::map<std::string, EntryActivations> activations =
      activationsOf(*source.module);
  mlir::ds::CompileReport report;
  if (mlir::failed(mlir::ds::compileArtifact(*source.module, options,
                                             outputDir, report, error)))
    return fail(error.empty() ? "compilation failed (see the errors above)"
                              : error);
  if (!writeHfConfig(source, outputDir, error))
    return fail(error);
  if (!quiet) {
    llvm::outs() << llvm::format(
        "ds-compile: %s -> %s (lower %.2f s, codegen %.2f s, link %.2f s)\n",
        inputPath.c_str(), outputDir.c_str(), report.lowerSeconds,
        report.codegenSeconds, report.linkSeconds);
    llvm::outs() << llvm::format("  %-24s %14s %16s %8s %16s %16s\n",
                                 "entry", "workspace (B)", "unplanned (B)",
                                 "buffers", "activations (B)",
                                 "recomputed FLOP");
    for (const auto &entry : report.entries) {
      auto found = activations.find(entry.name);
      EntryActivations kept =
          found == activations.end() ? EntryActivations() : found->second;
      llvm::outs() << llvm::format(
          "  %-24s %14lld %16lld %8lld %16lld %16lld\n", entry.name.c_str(),
          (long long)entry.workspaceBytes, (long long)entry.unplannedBytes,
          (long long)entry.buffers, (long long)kept.savedBytes,
          (long long)kept.remat.flops);
    }
    llvm::outs() << "  (workspace: the entry's peak memory besides its "
                    "arguments and results; activations: forward values its "
                    "backward pass keeps; recomputed: per call)\n";
    if (fuse)
      printFusion(report);
    llvm::outs() << communication;
  }
  return 0;
}
