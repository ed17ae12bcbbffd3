// Channels carry wire messages between one client and one server. Adapters here cover
// everything that speaks plain messages: an in-memory pair (tests, same-process use),
// MessagePort-like objects (Web MessagePort, Node worker ports, Electron utility ports)
// and WebSocket-like objects (the browser's WebSocket and the `ws` package alike).

/** A bidirectional message pipe. Messages must be JSON-safe. */
export interface Channel {
  send(message: unknown): void;
  /** Registers a listener; returns a function that removes it. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** Registers a close listener (peer gone); returns a function that removes it. */
  onClose(listener: () => void): () => void;
  close(): void;
}

class Emitter<T> {
  private listeners = new Set<(value: T) => void>();
  on(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
}

/**
 * Two connected in-memory channels. Messages are delivered asynchronously and
 * round-tripped through JSON, so anything that works here works over a real wire.
 */
export function createMemoryChannelPair(): [Channel, Channel] {
  const make = () => ({ message: new Emitter<unknown>(), close: new Emitter<void>(), closed: false });
  const a = make();
  const b = make();
  const side = (self: typeof a, peer: typeof a): Channel => ({
    send(message) {
      if (self.closed || peer.closed) return;
      const copy: unknown = JSON.parse(JSON.stringify(message));
      queueMicrotask(() => {
        if (!peer.closed) peer.message.emit(copy);
      });
    },
    onMessage: (l) => self.message.on(l),
    onClose: (l) => self.close.on(() => l()),
    close() {
      if (self.closed) return;
      self.closed = true;
      peer.closed = true;
      queueMicrotask(() => {
        self.close.emit();
        peer.close.emit();
      });
    },
  });
  return [side(a, b), side(b, a)];
}

/** The structural part of a MessagePort that this adapter needs. */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  start?(): void;
  close(): void;
}

/** Wraps a MessagePort-like object. Close is local only (MessagePorts do not report it). */
export function messagePortChannel(port: MessagePortLike): Channel {
  const close = new Emitter<void>();
  let closed = false;
  port.start?.();
  return {
    send: (message) => {
      if (!closed) port.postMessage(message);
    },
    onMessage(listener) {
      const h = (event: { data: unknown }) => listener(event.data);
      port.addEventListener("message", h);
      return () => port.removeEventListener("message", h);
    },
    onClose: (l) => close.on(() => l()),
    close() {
      if (closed) return;
      closed = true;
      port.close();
      close.emit();
    },
  };
}

/** The structural part of a WebSocket (browser or `ws`) that this adapter needs. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
  addEventListener(type: "close", listener: () => void): void;
  removeEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
}

/** Wraps an open WebSocket. Messages are JSON text frames. */
export function webSocketChannel(ws: WebSocketLike): Channel {
  const OPEN = 1;
  return {
    send(message) {
      if (ws.readyState === OPEN) ws.send(JSON.stringify(message));
    },
    onMessage(listener) {
      const h = (event: { data: unknown }) => {
        const text = typeof event.data === "string" ? event.data : String(event.data);
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return; // Not JSON: not ours. The server answers nothing; the client ignores it.
        }
        listener(parsed);
      };
      ws.addEventListener("message", h);
      return () => ws.removeEventListener("message", h);
    },
    onClose(listener) {
      let live = true;
      ws.addEventListener("close", () => {
        if (live) listener();
      });
      return () => {
        live = false;
      };
    },
    close: () => ws.close(1000, "closed"),
  };
}
