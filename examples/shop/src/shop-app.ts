import type { EventMapOf, HandlerContext, RequestMapOf, Tidings } from 'tidings';
import type { shopCommands, shopEvents, shopQueries } from './messages.js';

/** The shop's application object: its buses typed by its message definitions. */
export type ShopApp = Tidings<typeof shopEvents, typeof shopCommands, typeof shopQueries>;

/** What the shop's handlers receive as context. */
export type ShopContext = HandlerContext<
  EventMapOf<typeof shopEvents>,
  RequestMapOf<typeof shopCommands>,
  RequestMapOf<typeof shopQueries>
>;
