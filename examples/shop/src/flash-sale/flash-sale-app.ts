import type { Tidings } from 'tidings';
import type { saleCommands, saleEvents } from './sale-messages.js';

/** The flash sale's application object: its buses typed by its message definitions. */
export type FlashSaleApp = Tidings<typeof saleEvents, typeof saleCommands, []>;
