// What every fake vendor API needs besides its vendor: an HTTP server on a free loopback port that
// closes at once (open keep-alive sockets and pending slow answers included), and a plan of faults
// (injected for the next matching requests, or drawn at random from a seed).
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
// The seeded generator the GitHub fake introduced (its world.ts stays where it is).
import { seededRandom } from './github/world.ts';

export { seededRandom };

export class LoopbackServer {
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server;
  private port = 0;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>) {
    this.server = createServer((req, res) => void handler(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** http://127.0.0.1:PORT (once listening). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A delay that close() cuts short (a `slow` answer must not keep the test process alive). */
  async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

export interface FaultTarget {
  method: string;
  path: string;
  operationId: string;
}

export interface RandomFaults<K extends string> {
  seed: number;
  /** Probability per request of each fault. */
  probability: Partial<Record<K, number>>;
  /** Only requests this accepts are faulted (default: all). */
  only?: (req: FaultTarget) => boolean;
}

export class FaultPlan<K extends string> {
  readonly served: Record<K, number>;
  private random: RandomFaults<K> | null = null;
  private draw: () => number = seededRandom(1);
  private readonly queued: { kind: K; when: (req: FaultTarget) => boolean }[] = [];

  constructor(kinds: readonly K[]) {
    this.served = Object.fromEntries(kinds.map((k) => [k, 0])) as Record<K, number>;
  }

  /** The next `count` requests that `when` accepts (default: any) get this fault. */
  inject(kind: K, count = 1, when: (req: FaultTarget) => boolean = () => true): void {
    for (let i = 0; i < count; i++) this.queued.push({ kind, when });
  }

  setRandom(faults: RandomFaults<K> | null): void {
    this.random = faults;
    if (faults) this.draw = seededRandom(faults.seed);
  }

  /** The fault for this request, if any (counted as served). */
  pick(req: FaultTarget): K | null {
    const kind = this.choose(req);
    if (kind !== null) this.served[kind]++;
    return kind;
  }

  resetCounts(): void {
    for (const k of Object.keys(this.served) as K[]) this.served[k] = 0;
  }

  private choose(req: FaultTarget): K | null {
    const index = this.queued.findIndex((q) => q.when(req));
    if (index >= 0) return this.queued.splice(index, 1)[0]!.kind;
    const random = this.random;
    if (!random || (random.only && !random.only(req))) return null;
    for (const [kind, p] of Object.entries(random.probability) as [K, number][]) if (this.draw() < p) return kind;
    return null;
  }
}
