import type { ResolverContext } from './context.js';
import type { InvoiceLine, InvoicePage } from '../upstream/types.js';

/**
 * Shapes the resolvers pass between GraphQL types where no upstream record fits
 * (codegen `mappers` point GraphQL types here or at the upstream types).
 */

/** Parent of the Viewer fields. */
export interface ViewerModel {
  readonly principal: ResolverContext['principal'];
}

/** An amount in minor units with its currency. */
export interface MoneyModel {
  readonly amountMinor: number;
  readonly currency: string;
}

/** One page of a customer's invoices, as the billing API returned it. */
export interface InvoiceConnectionModel {
  readonly page: InvoicePage;
}

/** An edge of the invoice connection: an invoice and the billing API's cursor for it. */
export interface InvoiceEdgeModel {
  readonly node: InvoicePage['items'][number];
  readonly cursor: string;
}

/** A product, derived from the license record that names it. */
export interface ProductModel {
  readonly id: string;
  readonly name: string;
}

/** Result of a seat change: ids, resolved through the loaders. */
export interface LicenseSeatPayloadModel {
  readonly licenseId: string;
  readonly userId: string;
}

/** An invoice line with the currency of its invoice (lines carry none of their own). */
export interface InvoiceLineModel extends InvoiceLine {
  readonly currency: string;
}
