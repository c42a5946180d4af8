import { expect, it } from 'vitest';
import { Deque } from './deque.js';

it('remove() takes an item out from the head, the middle or the tail, across the ring wrap, keeping order', () => {
  const deque = new Deque<number>();
  for (let i = 0; i < 12; i++) deque.push(i);
  for (let i = 0; i < 10; i++) deque.shift(); // head now near the end of the ring
  for (let i = 12; i < 20; i++) deque.push(i); // wraps around
  expect(deque.remove(10)).toBe(true); // head
  expect(deque.remove(15)).toBe(true); // middle, after the wrap
  expect(deque.remove(19)).toBe(true); // tail
  expect(deque.remove(99)).toBe(false);
  const rest: number[] = [];
  for (let item = deque.shift(); item !== undefined; item = deque.shift()) rest.push(item);
  expect(rest).toEqual([11, 12, 13, 14, 16, 17, 18]);
  expect(deque.length).toBe(0);
});
