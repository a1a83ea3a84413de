import type { Resolvers } from './__generated__/resolvers-types.js';
import { BillingAccount, Invoice, InvoiceConnection, InvoiceEdge, InvoiceLine, PageInfo } from './billing.js';
import { Customer, User } from './customer.js';
import { License, LicenseAssignment, LicenseSeatPayload, Product, Usage, UsageForecast } from './license.js';
import { Money } from './money.js';
import { Mutation } from './mutation.js';
import { Query } from './query.js';
import { DateScalar, DateTimeScalar } from './scalars.js';
import { Viewer } from './viewer.js';

/** Every resolver of the schema; thin mappings over the loaders, no authorization. */
export const resolvers: Resolvers = {
  Date: DateScalar,
  DateTime: DateTimeScalar,
  Query,
  Mutation,
  Viewer,
  Customer,
  User,
  BillingAccount,
  Invoice,
  InvoiceLine,
  InvoiceConnection,
  InvoiceEdge,
  PageInfo,
  Money,
  License,
  LicenseAssignment,
  Product,
  Usage,
  UsageForecast,
  LicenseSeatPayload,
};
