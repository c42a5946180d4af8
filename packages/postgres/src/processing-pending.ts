// PLACEHOLDER ON THE processing-base BRANCH ONLY: the storage helper replaces this file with the
// real tables before anything lands on main.
import { TidingsError, type ProcessingStore, type TransactionProcessing } from 'tidings';

const missing = (): Promise<never> => Promise.reject(new TidingsError('NOT_IMPLEMENTED', 'processing storage pending'));
export const pendingProcessing: ProcessingStore = {
  getCheckpoint: missing,
  listCheckpoints: missing,
  deleteCheckpoints: missing,
  acquireLease: missing,
  renewLease: missing,
  releaseLease: missing,
  getLease: missing,
  listParked: missing,
  getParked: missing,
};
export const pendingTxProcessing: TransactionProcessing = {
  getCheckpoint: missing,
  saveCheckpoint: missing,
  claimInbox: missing,
  park: missing,
  unpark: missing,
};
