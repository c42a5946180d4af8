/**
 * Durable timers (decision 0800) for schema `s` (already quoted): one row per pending timer;
 * firing deletes it in the transaction that appends its message. Times are epoch milliseconds of
 * the store's clock (the same clock as `after`), the message is its JSON text.
 */
export function timerTablesSql(s: string): string {
  return `
create table ${s}.timers (
  id uuid primary key,
  due_at bigint not null,
  stream_id text not null,
  message text not null,
  scheduled_at bigint not null
);
create index timers_by_due on ${s}.timers (due_at, id);`;
}

/**
 * Parked timers (decision 1160) for schema `s`: a timer whose message the store refused when it
 * fell due is kept with when (`parked_at`, store clock ms) and why (`error`, JSON) instead of
 * blocking its batch. Pending timers are the rows with `parked_at` null; the due index covers only them.
 */
export function parkedTimersSql(s: string): string {
  return `
alter table ${s}.timers add column parked_at bigint, add column error text;
drop index ${s}.timers_by_due;
create index timers_by_due on ${s}.timers (due_at, id) where parked_at is null;
create index timers_parked on ${s}.timers (parked_at, id) where parked_at is not null;`;
}
