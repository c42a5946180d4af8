import net from 'node:net';

/**
 * A TCP proxy in front of PostgreSQL that can lose a connection at a chosen moment: once armed,
 * as soon as the client sends bytes containing `pattern`, they are forwarded, and the server's
 * next reply is swallowed and both sockets are destroyed. The server has done the work (for
 * COMMIT: committed) but the client never hears of it — the "lost during COMMIT" case.
 *
 * `silence()` models a network that goes quiet without resetting anything: from then on no byte
 * is forwarded either way, open sockets stay open, and new connections are accepted and then
 * left unanswered.
 */
export class CutProxy implements AsyncDisposable {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #pattern: string | undefined;
  #cut = false;
  #silent = false;
  #swallowed = 0;
  port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#server = net.createServer((client) => {
      this.#sockets.add(client);
      if (this.#silent) {
        client.on('data', (d: Buffer) => (this.#swallowed += d.length));
        client.on('error', () => client.destroy());
        return;
      }
      const upstream = net.connect(target.port, target.host);
      this.#sockets.add(client).add(upstream);
      let armedHere = false;
      const destroy = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('data', (d: Buffer) => {
        if (this.#silent) {
          this.#swallowed += d.length;
          return;
        }
        if (this.#pattern !== undefined && d.toString('latin1').includes(this.#pattern)) {
          this.#pattern = undefined;
          armedHere = true;
        }
        upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => {
        if (this.#silent) return;
        if (armedHere) {
          this.#cut = true;
          destroy();
          return;
        }
        client.write(d);
      });
      client.on('error', destroy).on('close', destroy);
      upstream.on('error', destroy).on('close', destroy);
    });
  }

  static async start(targetUrl: string): Promise<CutProxy> {
    const url = new URL(targetUrl);
    const proxy = new CutProxy({ host: url.hostname, port: Number(url.port || 5432) });
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.#server.address() as net.AddressInfo).port;
    return proxy;
  }

  /** The target URL rewritten to go through the proxy. */
  url(targetUrl: string): string {
    const url = new URL(targetUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** Cuts the connection that next sends `pattern`, right after the server answers it. */
  arm(pattern: string): void {
    this.#pattern = pattern;
    this.#cut = false;
  }

  /** From now on forward nothing, in either direction, on old and new connections; reset nothing. */
  silence(): void {
    this.#silent = true;
  }

  /** Bytes clients sent after `silence()` that never reached the server. */
  get swallowedBytes(): number {
    return this.#swallowed;
  }

  get didCut(): boolean {
    return this.#cut;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
