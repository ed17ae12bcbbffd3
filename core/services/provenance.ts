// What a generated message records before generation starts: the model file and hash,
// key metadata, adapters, the full sampling config and seed, template and versions.
// Shared by the chat and sampling services so every stored answer says the same things.
import type { EngineStatus, ModelInfo } from "../engine/types.ts";
import type { AdapterUse, JsonObject, ModelRecord, ProvenanceStart } from "../history/types.ts";
import type { SamplingConfig } from "../sampling/config.ts";
import { parseRemoteModelPath } from "../api/providers.ts";

/** The last segment of a path, for either separator. */
export const fileNameOf = (path: string): string => path.split(/[\\/]/).pop() ?? path;

/** Everything startProvenance needs. */
export interface ProvenanceInput {
  record: ModelRecord;
  info: ModelInfo;
  status: EngineStatus;
  adapters: AdapterUse[];
  sampling: SamplingConfig;
  appVersion: string;
  /** Extra entries for modelMetadata (e.g. which compare column). Default {}. */
  extra?: JsonObject;
}

export function startProvenance(p: ProvenanceInput): ProvenanceStart {
  const { record, info, status, sampling } = p;
  // A remote model (remote://provider/model) ran on its provider's server: record that, not our llama.cpp.
  const remote = parseRemoteModelPath(record.filePath);
  return {
    modelFile: remote ? remote.model : fileNameOf(record.filePath),
    modelSha256: record.sha256 ?? info.sha256,
    modelMetadata: {
      ...record.metadata,
      architecture: info.architecture,
      description: info.description,
      parameters: info.parameters,
      contextSize: info.contextSize,
      trainContextSize: info.trainContextSize,
      gpuLayers: info.gpuLayers,
      threads: info.threads,
      backend: remote ? "remote" : status.backend,
      ...p.extra,
    },
    adapters: p.adapters,
    sampling: sampling as unknown as JsonObject,
    seed: sampling.temperature > 0 ? (sampling.seed ?? null) : null,
    chatTemplate: info.chatTemplate ?? info.chatWrapper,
    latheVersion: p.appVersion,
    nodeLlamaCppVersion: remote ? null : status.nodeLlamaCppVersion,
    llamaCppVersion: remote ? null : status.llamaCppRelease,
    startedAt: Date.now(),
  };
}
