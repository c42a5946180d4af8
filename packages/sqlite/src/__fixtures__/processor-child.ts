// A child process for the processor crash and lease tests (bundled by `buildChild`). It prints one
// fact per line:  ready | ack <position> | running <epoch> | standby | handling <n> | handled <n>
//                 | lease-lost <message> | error <message>
import { createInterface } from 'node:readline';
import { createProcessorRunner, defineProcessor } from 'tidings';
import { openSqliteEventStore } from '../store.js';
import { createTables, crashProcessors, CRASH_OWNER, type CrashVariant } from './crash-processors.js';
import { rng } from './rng.js';
import { brokenFence } from './unfenced.js';

const [mode, path, seedArg, arg1 = '', arg2 = ''] = process.argv.slice(2) as [string, string, string, string?, string?];
const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** Appends to 8 account streams without end while the three processors follow. */
async function crash(variant: CrashVariant, effectsFile: string): Promise<void> {
  const random = rng(Number(seedArg));
  const store = await openSqliteEventStore(path, {}, {});
  await store.transaction((tx) => Promise.resolve(createTables(tx.connection)));
  const runner = createProcessorRunner(store, {
    processors: crashProcessors(store, variant, effectsFile),
    owner: CRASH_OWNER,
    onError: (error, info) => {
      if (info.kind !== 'handler') say(`error ${info.kind} ${error.message}`);
    },
  });
  await runner.start();
  say('ready');
  for (let n = 0; ; n++) {
    const size = 1 + Math.floor(random() * 3);
    const events = Array.from({ length: size }, () => ({
      type: 'acct.credited',
      data: { amount: 1 + Math.floor(random() * 100) },
    }));
    const r = await store.append(`acct-${Math.floor(random() * 8)}`, events);
    say(`ack ${r.position}`);
  }
}

/**
 * Runs the processor `leased` as `owner`, one event at a time. At event `holdAt` the handler waits
 * for a line `go` on stdin: the parent stops the process there (SIGSTOP), lets another take over,
 * writes `go` and continues it (SIGCONT), so the handler's completion is the first thing it does.
 */
async function lease(owner: string, holdAt: number, fenced: boolean): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  const go = new Promise<void>((resolve) => lines.on('line', (l) => l === 'go' && resolve()));
  const store = await openSqliteEventStore(path, {}, {});
  const runner = createProcessorRunner(fenced ? store : brokenFence(store), {
    owner,
    leaseTtlMs: 1000,
    renewIntervalMs: 300,
    acquireIntervalMs: 100,
    processors: [
      defineProcessor({
        name: 'leased',
        batch: { maxEvents: 1 },
        handle: async (event) => {
          const n = (event.data as { n: number }).n;
          say(`handling ${n}`);
          if (n === holdAt) await go;
          say(`handled ${n}`);
        },
      }),
    ],
    onError: (error, info) => {
      if (info.kind === 'lease') say(`lease-lost ${error.message}`);
      else say(`error ${info.kind} ${error.message}`);
    },
  });
  await runner.start();
  const { state, epoch } = runner.status('leased');
  say(state === 'running' ? `running ${epoch}` : 'standby');
  // Report a takeover from standby.
  const timer = setInterval(() => {
    const s = runner.status('leased');
    if (s.state === 'running' && s.epoch !== epoch) {
      say(`running ${s.epoch}`);
      clearInterval(timer);
    }
  }, 20);
}

try {
  if (mode === 'crash') await crash(arg1 as CrashVariant, arg2);
  else if (mode === 'lease') await lease(arg1, Number(arg2.split(':')[0]), arg2.split(':')[1] !== 'unfenced');
  else throw new Error(`unknown mode ${mode}`);
} catch (error) {
  say(`error ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
