import type { EventMap } from '../messages/message.js';

type Segments<S extends string> = S extends `${infer H}.${infer R}` ? [H, ...Segments<R>] : [S];

type SegmentsMatch<T extends readonly string[], P extends readonly string[]> = P extends readonly ['**']
  ? T extends readonly [string, ...string[]]
    ? true
    : false
  : P extends readonly [infer PH extends string, ...infer PR extends string[]]
    ? T extends readonly [infer TH extends string, ...infer TR extends string[]]
      ? PH extends '*'
        ? SegmentsMatch<TR, PR>
        : [PH] extends [TH]
          ? [TH] extends [PH]
            ? SegmentsMatch<TR, PR>
            : false
          : false
      : false
    : T extends readonly []
      ? true
      : false;

/** The event types of `M` that pattern `P` matches (`order.*`, `*.paid`, `order.**`, `**`). */
export type MatchingTypes<M extends EventMap, P extends string> = string extends keyof M
  ? string
  : string extends P
    ? keyof M & string
    : { [K in keyof M & string]: SegmentsMatch<Segments<K>, Segments<P>> extends true ? K : never }[keyof M & string];

/** `P` when it matches at least one event type of `M`; otherwise a message type that fails to compile. */
export type CheckedPattern<M extends EventMap, P extends string> = [MatchingTypes<M, P>] extends [never]
  ? `no event type of this bus matches '${P}'`
  : P;
