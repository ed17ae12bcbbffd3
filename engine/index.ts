// What the shells import from engine/: the client that implements core's Engine port and
// the launchers that start its host process (child_process for `lathe serve`, an adapter
// for Electron's utilityProcess). Never imports the host, so node-llama-cpp stays out of
// the shell process.
export { EngineClient, type EngineClientOptions } from "./client/EngineClient.ts";
export {
  defaultHostEntry,
  nodeHostLauncher,
  utilityProcessLauncher,
  type HostLauncher,
  type HostProcess,
  type NodeHostLauncherOptions,
  type UtilityProcessLike,
} from "./client/launcher.ts";
