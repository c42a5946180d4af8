import type { ReadAllFilter } from 'tidings';

/** Up to this many values, a filter list is read as one index range per value, merged. */
const MAX_BRANCHES = 8;

/** How a filtered page is read: the condition of each branch, and what every branch also checks. */
export interface FilterPlan {
  /** One entry per branch; a single entry is a plain query, several are merged with UNION ALL. */
  readonly branches: readonly string[];
  /** Conditions every branch adds (the list that does not drive the read). */
  readonly residual: readonly string[];
}

/**
 * Chooses how a types/categories filter drives a page read (decision 0602). The indexes
 * `events_category (category, position)` and `events_type (type, position)` give rows in position
 * order for one value, so a page is an equality whose LIMIT ends the scan after reading only
 * matches. With `= any(array)` PostgreSQL cannot read them in position order: it walks the primary
 * key testing every row (a dense value), or collects every match after the cursor and sorts it on
 * every page (a sparse one). So: categories drive the read when given,
 * else types; one value is an equality; up to {@link MAX_BRANCHES} values are one branch each
 * (merged by the caller); more are tested row by row along the primary key (`(column || '')` keeps
 * the planner off the value index), which stays linear.
 */
export function filterPlan(filter: ReadAllFilter | undefined, param: (value: unknown) => string): FilterPlan {
  const categories = filter?.categories;
  const types = filter?.types;
  const driving = categories ?? types;
  if (driving === undefined) return { branches: [], residual: [] };
  const column = categories !== undefined ? 'e.category' : 'e.type';
  const residual =
    categories !== undefined && types !== undefined ? [`e.type = any(${param([...types])}::text[])`] : [];
  const values = [...new Set(driving)];
  if (values.length > MAX_BRANCHES) {
    return { branches: [`(${column} || '') = any(${param(values)}::text[])`], residual };
  }
  return { branches: values.map((v) => `${column} = ${param(v)}::text`), residual };
}
