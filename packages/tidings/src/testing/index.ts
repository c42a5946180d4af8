// `tidings/testing`: helpers for users' tests.
export { createFakeClock } from '../time/fake-clock.js';
export type { FakeClock } from '../time/fake-clock.js';
