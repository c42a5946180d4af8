/** What an acknowledged append survives at the given `synchronous_commit` level (for `store.info()`). */
export function describeDurability(level: string): string {
  switch (level) {
    case 'on':
      return 'PostgreSQL synchronous_commit=on: an acknowledged append is flushed to the WAL on disk and survives a crash of the server or the host.';
    case 'remote_write':
    case 'remote_apply':
      return `PostgreSQL synchronous_commit=${level}: an acknowledged append is on disk locally and ${level === 'remote_apply' ? 'applied on' : 'written to'} a synchronous standby.`;
    case 'local':
      return 'PostgreSQL synchronous_commit=local: an acknowledged append is flushed to the local WAL (standbys not awaited).';
    default:
      return 'PostgreSQL synchronous_commit=off: an acknowledged append survives a server crash only after the WAL writer flushes (up to 3x wal_writer_delay later); it is never corrupted, the last moments may be lost.';
  }
}
