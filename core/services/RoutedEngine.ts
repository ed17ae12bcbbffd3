// An Engine that sends each call to the local engine or to a remote provider's engine:
// a model whose catalog path is remote://<provider>/<model> loads (and is then addressed by
// handle remote:<provider>:<model>) through that provider; everything else stays local.
// core/services/handlers.ts gives it to EngineSessions, so chat, sampling, critique and
// evaluation reach remote models without knowing they are remote.
import { parseRemoteModelPath, providerOfHandle } from "../api/providers.ts";
import type { Engine, EngineCallOptions, LoadModelCallOptions } from "../engine/port.ts";
import type { GeneratePacket, GenerateRequest, LoadModelOptionsInput } from "../engine/types.ts";

/** Finds the engine serving a provider's models; rejects when the provider is gone. */
export type RemoteEngineResolver = (providerId: string) => Promise<Engine>;

export class RoutedEngine implements Engine {
  constructor(
    /** The local llama.cpp engine (status, events and every file model). */
    readonly local: Engine,
    private readonly remote: RemoteEngineResolver,
  ) {}

  private async route(modelId: string): Promise<Engine> {
    const provider = providerOfHandle(modelId);
    return provider ? this.remote(provider) : this.local;
  }

  status(options?: EngineCallOptions) {
    return this.local.status(options);
  }
  async loadModel(options: LoadModelOptionsInput, callOptions?: LoadModelCallOptions) {
    const remote = parseRemoteModelPath(options.path);
    return (remote ? await this.remote(remote.providerId) : this.local).loadModel(options, callOptions);
  }
  async unloadModel(modelId: string, options?: EngineCallOptions) {
    return (await this.route(modelId)).unloadModel(modelId, options);
  }
  async *generate(request: GenerateRequest, options?: EngineCallOptions): AsyncIterable<GeneratePacket> {
    yield* (await this.route(request.modelId)).generate(request, options);
  }
  async tokenize(...a: Parameters<Engine["tokenize"]>) {
    return (await this.route(a[0].modelId)).tokenize(...a);
  }
  async detokenize(...a: Parameters<Engine["detokenize"]>) {
    return (await this.route(a[0].modelId)).detokenize(...a);
  }
  async nextTokenDistribution(...a: Parameters<Engine["nextTokenDistribution"]>) {
    return (await this.route(a[0].modelId)).nextTokenDistribution(...a);
  }
  async tokenProbabilities(...a: Parameters<Engine["tokenProbabilities"]>) {
    return (await this.route(a[0].modelId)).tokenProbabilities(...a);
  }
  async logLikelihood(...a: Parameters<Engine["logLikelihood"]>) {
    return (await this.route(a[0].modelId)).logLikelihood(...a);
  }
  async perplexity(...a: Parameters<Engine["perplexity"]>) {
    return (await this.route(a[0].modelId)).perplexity(...a);
  }
  async klDivergence(...a: Parameters<Engine["klDivergence"]>) {
    return (await this.route(a[0].modelId)).klDivergence(...a);
  }
  /** Memory fit reads a local model file: always the local engine. */
  memoryFit(...a: Parameters<Engine["memoryFit"]>) {
    return this.local.memoryFit(...a);
  }
  onEvent(listener: Parameters<Engine["onEvent"]>[0]) {
    return this.local.onEvent(listener);
  }
  dispose() {
    return this.local.dispose();
  }
}
