import net from 'node:net';

/**
 * A TCP listener that accepts connections and never answers: what a client meets when pointed at
 * the wrong port of a wedged service, or at a host whose network swallows everything.
 */
export class SilentListener implements AsyncDisposable {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  port = 0;

  private constructor() {
    this.#server = net.createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(): Promise<SilentListener> {
    const listener = new SilentListener();
    await new Promise<void>((resolve) => listener.#server.listen(0, '127.0.0.1', resolve));
    listener.port = (listener.#server.address() as net.AddressInfo).port;
    return listener;
  }

  /** A PostgreSQL URL pointing at this listener. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/test`;
  }

  /** How many connections were opened to it so far and are still open. */
  get openConnections(): number {
    return this.#sockets.size;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
