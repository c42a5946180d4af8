import { EVENT_COLUMNS } from './rows.js';

/** A stream's category, as the index `events_by_category` (migration 2) stores it; reads must use this exact text. */
export const CATEGORY = `substr(e.stream_id, 1, instr(e.stream_id || '-', '-') - 1)`;

// Retention in SQL, for reads across streams (truncated and deleted events are removed from the
// table, so they need no filter).
const VISIBLE = `(s.max_count IS NULL OR e.version > s.version - s.max_count)
  AND (s.max_age IS NULL OR e.recorded_at >= :now - s.max_age)`;

/** Up to this many values, a filter list is read as one index range per value, merged (see below). */
const MAX_BRANCHES = 8;

/** One page of a read across streams. */
export interface PageQuery {
  readonly cursor: number | bigint;
  readonly n: number;
  readonly backward: boolean;
  /** Exclusive upper bound on position (readByTime). */
  readonly endBefore: number | undefined;
  readonly types: readonly string[] | undefined;
  readonly categories: readonly string[] | undefined;
  /** Some stream has retention: join `streams` and apply it at `now`. */
  readonly restricted: boolean;
  readonly now: number;
}

/**
 * The SQL and parameters of one page, in position order. A filter list drives the read through its
 * index — categories through `events_by_category`, else types through `events_by_type`, both keyed
 * `(value, position)`: one value is an equality, so the index yields rows already in position order
 * and the LIMIT stops the scan; a few values are one such range each, merged (`UNION ALL` of
 * per-value pages, then the page of the union). An `IN` list over the index instead makes SQLite
 * collect every match after the cursor and sort it, on every page: a catch-up over a large backlog
 * would read it quadratically. Past {@link MAX_BRANCHES} values the read follows the position
 * (rowid) order and tests each row, which stays linear.
 */
export function pageQuery(q: PageQuery): { sql: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = { cursor: q.cursor, n: q.n };
  const where = [q.backward ? 'e.position <= :cursor' : 'e.position >= :cursor'];
  if (q.endBefore !== undefined) {
    where.push('e.position < :end');
    params['end'] = q.endBefore;
  }
  if (q.restricted) {
    where.push(VISIBLE);
    params['now'] = q.now;
  }
  const byCategory = q.categories !== undefined;
  const driving = byCategory ? q.categories : q.types;
  if (byCategory && q.types !== undefined) {
    where.push('e.type IN (SELECT value FROM json_each(:types))');
    params['types'] = JSON.stringify(q.types);
  }
  const column = byCategory ? CATEGORY : 'e.type';
  const order = `ORDER BY e.position${q.backward ? ' DESC' : ''} LIMIT :n`;
  const from = `FROM events e${q.restricted ? ' JOIN streams s ON s.stream_id = e.stream_id' : ''}`;
  const select = (conditions: readonly string[]): string =>
    `SELECT ${EVENT_COLUMNS} ${from} WHERE ${conditions.join(' AND ')} ${order}`;
  if (driving === undefined) return { sql: select(where), params };
  const values = [...new Set(driving)];
  if (values.length === 1 || values.length > MAX_BRANCHES) {
    if (values.length === 1) {
      where.push(`${column} = :v0`);
      params['v0'] = values[0];
    } else {
      // Unary + keeps SQLite off the value index: the rowid range is read in order and the LIMIT
      // ends it, linear over a whole catch-up.
      where.push(`+${column} IN (SELECT value FROM json_each(:values))`);
      params['values'] = JSON.stringify(values);
    }
    return { sql: select(where), params };
  }
  const branches = values.map((value, i) => {
    params[`v${i}`] = value;
    return `SELECT * FROM (${select([...where, `${column} = :v${i}`])})`;
  });
  return { sql: `${branches.join(' UNION ALL ')} ORDER BY 1${q.backward ? ' DESC' : ''} LIMIT :n`, params };
}
