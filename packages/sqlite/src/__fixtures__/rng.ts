import { seededRandom } from 'tidings/testing';
/** mulberry32 (core's `seededRandom`): kill points and batch sizes replay from a printed seed. */
export const rng = seededRandom;
