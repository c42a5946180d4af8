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
